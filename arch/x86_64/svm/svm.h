/* Turning SVM on and running one guest VMCB (AMD APM vol. 2, chapter 15 "Secure
 * Virtual Machine"). */
#ifndef MEZZ_ARCH_SVM_H
#define MEZZ_ARCH_SVM_H

#include <stdbool.h>
#include <stdint.h>

#include "arch/x86_64/svm/guest_regs.h"
#include "arch/x86_64/svm/vmcb.h"

/* CPUID Fn8000_000A EDX feature bits ("SVM Feature Identification"). */
#define SVM_FEATURE_NP     (1u << 0)
#define SVM_FEATURE_NRIPS  (1u << 3)
#define SVM_FEATURE_DECODE_ASSISTS (1u << 7)

struct svm_features {
    uint32_t revision;
    uint32_t num_asids;
    uint32_t features;        /* Fn8000_000A EDX */
};

/* Reads CPUID and VM_CR. Returns 0, or -ENODEV (no SVM, SVM disabled by firmware, or
 * no nested paging, which Mezzanine requires) with a reason in *why. */
int svm_probe(struct svm_features *out, const char **why);

/* Sets EFER.SVME and VM_HSAVE_PA, and VMSAVEs Mezzanine's own state into host_vmcb,
 * from where it is restored after each #VMEXIT: that state (FS, GS, TR, ...) must not
 * change afterwards. Both pages are 4 KiB aligned physical addresses. */
void svm_enable(uint64_t hsave_pa, uint64_t host_vmcb_pa);

/*
 * Runs the guest until the next #VMEXIT, then restores the host state svm_enable saved
 * at host_vmcb_pa. With `interrupts`, physical interrupts are
 * recognised during VMRUN (host RFLAGS.IF = 1, with V_INTR_MASKING the host's IF is the
 * one that masks them), so with the INTR intercept they exit; without, they stay pending
 * while the guest runs. On return IF is clear and GIF set again.
 */
void svm_enter(uint64_t guest_vmcb_pa, uint64_t host_vmcb_pa, struct guest_gprs *gprs,
               bool interrupts);

const char *svm_exit_name(uint64_t exit_code);

#endif
