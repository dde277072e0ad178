/*
 * CPUID and MSR emulation for VTL0. CPUID is the real CPU's with SVM hidden (VTL0 has
 * no nested virtualization) and a hypervisor leaf added. MSRs: the ones VMLOAD/VMSAVE
 * and the VMCB swap per guest pass through; the MTRRs are shadowed (they would change
 * the machine's memory types); EFER hides SVME, which VMRUN requires in the guest;
 * everything else is #GP, as for an MSR the CPU does not have.
 */
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"

#define CPUID_FEATURES          0x00000001u
#define CPUID1_ECX_MONITOR      (1u << 3)
#define CPUID1_ECX_HYPERVISOR   (1u << 31)
#define CPUID_HV_BASE           0x40000000u
#define CPUID_EXT_FEATURES      0x80000001u
#define CPUIDX_ECX_SVM          (1u << 2)
#define CPUID_SVM_LEAF          0x8000000Au

#define MSR_TSC                 0x010u
#define MSR_APIC_BASE           0x01Bu
#define MSR_MTRR_CAP            0x0FEu
#define MSR_SYSENTER_CS         0x174u
#define MSR_SYSENTER_EIP        0x176u
#define MSR_MTRR_PHYS_FIRST     0x200u
#define MSR_MTRR_PHYS_LAST      0x20Fu
#define MSR_MTRR_FIX_64K        0x250u
#define MSR_MTRR_FIX_16K_80000  0x258u
#define MSR_MTRR_FIX_16K_A0000  0x259u
#define MSR_MTRR_FIX_4K_FIRST   0x268u
#define MSR_MTRR_FIX_4K_LAST    0x26Fu
#define MSR_PAT                 0x277u
#define MSR_MTRR_DEF_TYPE       0x2FFu
#define MSR_STAR                0xC0000081u
#define MSR_SFMASK              0xC0000084u
#define MSR_FS_BASE             0xC0000100u
#define MSR_KERNEL_GS_BASE      0xC0000102u

/* EFER bits VTL0 may set (APM vol. 2, "Extended Feature Enable Register"): SCE, LME,
 * LMA (ignored on write), NXE, LMSLE, FFXSR, TCE. SVME is refused. */
#define EFER_VTL0_WRITABLE      (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | (1ull << 13) | \
                                 (1ull << 14) | (1ull << 15))

#define MSR_UNKNOWN_LOG_LIMIT   16

_Static_assert(VTL0_MTRR_SHADOW_COUNT == 16 + 1 + 2 + 8 + 1, "mtrr_index() covers the shadow");

static int mtrr_index(uint32_t msr)
{
    if (msr >= MSR_MTRR_PHYS_FIRST && msr <= MSR_MTRR_PHYS_LAST)
        return (int)(msr - MSR_MTRR_PHYS_FIRST);
    if (msr == MSR_MTRR_FIX_64K)
        return 16;
    if (msr == MSR_MTRR_FIX_16K_80000 || msr == MSR_MTRR_FIX_16K_A0000)
        return 17 + (int)(msr - MSR_MTRR_FIX_16K_80000);
    if (msr >= MSR_MTRR_FIX_4K_FIRST && msr <= MSR_MTRR_FIX_4K_LAST)
        return 19 + (int)(msr - MSR_MTRR_FIX_4K_FIRST);
    if (msr == MSR_MTRR_DEF_TYPE)
        return 27;
    return -1;
}

/* Byte and bit of an MSR's read intercept in the MSR permission map ("MSR Permissions
 * Map"): three 2 KiB vectors for 0-1FFF, C0000000-C0001FFF, C0010000-C0011FFF. */
static bool msrpm_position(uint32_t msr, unsigned *byte, unsigned *bit)
{
    unsigned base, index;
    if (msr <= 0x1FFF) {
        base = 0;
        index = msr;
    } else if (msr >= 0xC0000000u && msr <= 0xC0001FFFu) {
        base = 0x800;
        index = msr - 0xC0000000u;
    } else if (msr >= 0xC0010000u && msr <= 0xC0011FFFu) {
        base = 0x1000;
        index = msr - 0xC0010000u;
    } else {
        return false;
    }
    *byte = base + index / 4;
    *bit = (index % 4) * 2;
    return true;
}

static void msr_pass(struct partition *p, uint32_t msr, bool read, bool write)
{
    unsigned byte, bit;
    if (!msrpm_position(msr, &byte, &bit))
        return;
    if (read)
        p->msrpm[byte] &= (uint8_t)~(1u << bit);
    if (write)
        p->msrpm[byte] &= (uint8_t)~(1u << (bit + 1));
}

void vtl0_msr_init(struct partition *p)
{
    memset(p->msrpm, 0xFF, MSRPM_SIZE);   /* intercept everything, then open up */
    for (uint32_t m = MSR_SYSENTER_CS; m <= MSR_SYSENTER_EIP; m++)
        msr_pass(p, m, true, true);
    for (uint32_t m = MSR_STAR; m <= MSR_SFMASK; m++)
        msr_pass(p, m, true, true);
    for (uint32_t m = MSR_FS_BASE; m <= MSR_KERNEL_GS_BASE; m++)
        msr_pass(p, m, true, true);
    msr_pass(p, MSR_PAT, true, true);        /* G_PAT in the VMCB under nested paging */
    msr_pass(p, MSR_TSC, true, false);
    msr_pass(p, MSR_APIC_BASE, true, false);
    msr_pass(p, MSR_MTRR_CAP, true, false);
    for (uint32_t m = 0; m <= MSR_MTRR_DEF_TYPE; m++) {
        int i = mtrr_index(m);
        if (i >= 0)
            p->mtrr_shadow[i] = rdmsr(m);
    }
}

enum exit_action vtl0_handle_cpuid(struct partition *p)
{
    uint64_t *g = p->gprs.gpr;
    uint32_t leaf = (uint32_t)g[GPR_RAX], sub = (uint32_t)g[GPR_RCX];
    uint32_t a, b, c, d;

    if (leaf == CPUID_HV_BASE) {
        /* "MezzanineVTL" in EBX, ECX, EDX; no further hypervisor leaves. */
        a = CPUID_HV_BASE;
        memcpy(&b, "Mezz", 4);
        memcpy(&c, "anin", 4);
        memcpy(&d, "eVTL", 4);
    } else {
        cpu_cpuid(leaf, sub, &a, &b, &c, &d);
        if (leaf == CPUID_FEATURES) {
            c |= CPUID1_ECX_HYPERVISOR;
            c &= ~CPUID1_ECX_MONITOR;       /* MWAIT would stop Mezzanine too */
        } else if (leaf == CPUID_EXT_FEATURES) {
            c &= ~CPUIDX_ECX_SVM;
        } else if (leaf == CPUID_SVM_LEAF) {
            a = b = c = d = 0;
        }
        p->stats.cpuid_filtered++;
    }
    g[GPR_RAX] = a;
    g[GPR_RBX] = b;
    g[GPR_RCX] = c;
    g[GPR_RDX] = d;
    return vtl0_advance_rip(p) == 0 ? EXIT_RESUME : EXIT_STOP;
}

static bool msr_read(struct partition *p, uint32_t msr, uint64_t *value)
{
    int i = mtrr_index(msr);
    if (i >= 0) {
        *value = p->mtrr_shadow[i];
        return true;
    }
    switch (msr) {
    case MSR_EFER:
        *value = p->vmcb->save.efer & ~EFER_SVME;
        return true;
    case MSR_TSC:
        *value = rdtsc();
        return true;
    case MSR_APIC_BASE:
    case MSR_MTRR_CAP:
        *value = rdmsr(msr);
        return true;
    default:
        return false;
    }
}

static bool msr_write(struct partition *p, uint32_t msr, uint64_t value)
{
    int i = mtrr_index(msr);
    if (i >= 0) {
        p->mtrr_shadow[i] = value;
        return true;
    }
    switch (msr) {
    case MSR_EFER:
        if (value & ~EFER_VTL0_WRITABLE)
            return false;
        /* LMA is the CPU's to set; keep the current one. */
        p->vmcb->save.efer = (value & ~EFER_LMA) | (p->vmcb->save.efer & EFER_LMA) | EFER_SVME;
        return true;
    case MSR_TSC:
    case MSR_APIC_BASE:
        /* Shared with Mezzanine: accepted and ignored (logged once per kind below). */
        log_debug("vtl0", "ignored write of 0x%llx to MSR 0x%x", (unsigned long long)value, msr);
        return true;
    default:
        return false;
    }
}

enum exit_action vtl0_handle_msr(struct partition *p)
{
    uint64_t *g = p->gprs.gpr;
    uint32_t msr = (uint32_t)g[GPR_RCX];
    bool write = p->vmcb->control.exit_info1 & MSR_EXIT_WRITE;
    bool ok;

    if (write) {
        ok = msr_write(p, msr, (g[GPR_RDX] << 32) | (uint32_t)g[GPR_RAX]);
    } else {
        uint64_t value = 0;
        ok = msr_read(p, msr, &value);
        if (ok) {
            g[GPR_RAX] = (uint32_t)value;
            g[GPR_RDX] = value >> 32;
        }
    }
    if (!ok) {
        if (p->stats.msr_unknown++ < MSR_UNKNOWN_LOG_LIMIT)
            log_warn("vtl0", "%s of MSR 0x%x refused: #GP", write ? "write" : "read", msr);
        vtl0_inject_exception(p, 13, true, 0);
        return EXIT_RESUME;   /* #GP: RIP stays on the instruction */
    }
    return vtl0_advance_rip(p) == 0 ? EXIT_RESUME : EXIT_STOP;
}
