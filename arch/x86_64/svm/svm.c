/* SVM enable and the VMRUN wrapper; see svm.h. */
#include "arch/x86_64/svm/svm.h"

#include <errno.h>

#include "arch/x86_64/cpu/cpu.h"

#define CPUID_EXT_FEATURES     0x80000001u
#define CPUID_EXT_ECX_SVM      (1u << 2)
#define CPUID_SVM_FEATURES     0x8000000Au

void svm_run(uint64_t guest_vmcb_pa, struct guest_gprs *gprs, uint64_t host_vmcb_pa);


int svm_probe(struct svm_features *out, const char **why)
{
    uint32_t a, b, c, d;

    cpu_cpuid(CPUID_EXT_FEATURES, 0, &a, &b, &c, &d);
    if (!(c & CPUID_EXT_ECX_SVM)) {
        *why = "CPUID reports no SVM (use -cpu max or qemu64,+svm,+npt)";
        return -ENODEV;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        *why = "SVM is disabled in VM_CR";
        return -ENODEV;
    }
    cpu_cpuid(CPUID_SVM_FEATURES, 0, &a, &b, &c, &d);
    out->revision = a & 0xFF;
    out->num_asids = b;
    out->features = d;
    if (!(d & SVM_FEATURE_NP)) {
        *why = "SVM without nested paging (add +npt, or use -cpu max)";
        return -ENODEV;
    }
    return 0;
}

void svm_enable(uint64_t hsave_pa, uint64_t host_vmcb_pa)
{
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, hsave_pa);
    /* VMSAVE's state (FS, GS, TR, LDTR, KernelGSBase, the SYSCALL and SYSENTER MSRs) is
     * set up once at boot (gdt_init) and never changes, so it is saved here, once, and
     * svm_run only restores it after each #VMEXIT. */
    __asm__ volatile("vmsave %%rax" : : "a"(host_vmcb_pa) : "memory");
}

void svm_enter(uint64_t guest_vmcb_pa, uint64_t host_vmcb_pa, struct guest_gprs *gprs,
               bool interrupts)
{
    /* GIF = 0 holds interrupts and NMIs until VMRUN sets the guest's GIF; IF = 1 makes
     * the saved host state let physical interrupts interrupt the guest (as INTR exits,
     * with V_INTR_MASKING). After #VMEXIT GIF is 0 again: clear IF before setting it, so
     * a pending interrupt stays pending for the INTR handler. */
    __asm__ volatile("clgi" ::: "memory");
    if (interrupts)
        __asm__ volatile("sti" ::: "memory");
    svm_run(guest_vmcb_pa, gprs, host_vmcb_pa);
    __asm__ volatile("cli\n\tstgi" ::: "memory");
}

const char *svm_exit_name(uint64_t code)
{
    if (code >= VMEXIT_EXCEPTION_BASE && code < VMEXIT_EXCEPTION_BASE + 32)
        return "exception";
    switch (code) {
    case VMEXIT_INTR: return "intr";
    case VMEXIT_NMI: return "nmi";
    case VMEXIT_SMI: return "smi";
    case VMEXIT_INIT: return "init";
    case VMEXIT_VINTR: return "vintr";
    case VMEXIT_RDPMC: return "rdpmc";
    case VMEXIT_CPUID: return "cpuid";
    case VMEXIT_RSM: return "rsm";
    case VMEXIT_INVD: return "invd";
    case VMEXIT_HLT: return "hlt";
    case VMEXIT_INVLPGA: return "invlpga";
    case VMEXIT_IOIO: return "ioio";
    case VMEXIT_MSR: return "msr";
    case VMEXIT_TASK_SWITCH: return "task_switch";
    case VMEXIT_SHUTDOWN: return "shutdown";
    case VMEXIT_VMRUN: return "vmrun";
    case VMEXIT_VMMCALL: return "vmmcall";
    case VMEXIT_VMLOAD: return "vmload";
    case VMEXIT_VMSAVE: return "vmsave";
    case VMEXIT_STGI: return "stgi";
    case VMEXIT_CLGI: return "clgi";
    case VMEXIT_SKINIT: return "skinit";
    case VMEXIT_XSETBV: return "xsetbv";
    case VMEXIT_NPF: return "npf";
    case VMEXIT_INVALID: return "invalid";
    default: return "unknown";
    }
}
