/*
 * CPUID and MSR exits: VTL0's CPU model (kernel/vtl0/cpu_model.c, docs/cpu-model.md)
 * carried out. CPUID is the real CPU's through the model's rules; each MSR does what
 * its rule says: not intercepted (the VMCB or VMLOAD/VMSAVE swap it, or VTL0 may read
 * Mezzanine's), a constant, VTL0's own copy (EFER without SVME, the shadowed MTRRs,
 * TSC_AUX), or #GP. An MSR the model does not list is #GP too, logged and counted by
 * number for inspect.
 */
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/cpu_model.h"
#include "kernel/vtl0/partition_priv.h"

#define MSR_MTRR_PHYS_FIRST     0x200u
#define MSR_MTRR_PHYS_LAST      0x20Fu
#define MSR_MTRR_FIX_64K        0x250u
#define MSR_MTRR_FIX_16K_80000  0x258u
#define MSR_MTRR_FIX_16K_A0000  0x259u
#define MSR_MTRR_FIX_4K_FIRST   0x268u
#define MSR_MTRR_FIX_4K_LAST    0x26Fu
#define MSR_MTRR_DEF_TYPE       0x2FFu
#define MSR_TSC_AUX             0xC0000103u

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
    for (size_t i = 0; i < cpu_model_msr_rule_count; i++) {
        const struct msr_rule *r = &cpu_model_msr_rules[i];
        for (uint32_t m = r->first; m <= r->last; m++)
            msr_pass(p, m, r->read == MSR_RD_PASS, r->write == MSR_WR_PASS);
    }
    for (uint32_t m = 0; m <= MSR_MTRR_DEF_TYPE; m++) {
        int i = mtrr_index(m);
        if (i >= 0)
            p->mtrr_shadow[i] = rdmsr(m);
    }
}

void vtl0_set_tsc_aux(struct partition *p, uint32_t value)
{
    p->tsc_aux = value;
    wrmsr(MSR_TSC_AUX, value);
}

void vtl0_cpu_reset(struct partition *p)
{
    /* TSC_AUX is 0 after RESET (APM vol. 2, "Processor Initialization State"). Mezzanine
     * itself never reads TSC_AUX (no RDTSCP/RDPID in VTL2), so the CPU's register holds
     * VTL0's value at all times and needs no swap around VMRUN; p->tsc_aux is the
     * authoritative copy (inspect, save). */
    vtl0_set_tsc_aux(p, 0);
}

enum exit_action vtl0_handle_cpuid(struct partition *p)
{
    uint64_t *g = p->gprs.gpr;
    uint32_t leaf = (uint32_t)g[GPR_RAX], sub = (uint32_t)g[GPR_RCX];
    uint32_t r[4] = { 0, 0, 0, 0 };

    if (leaf < CPU_MODEL_HV_BASE || leaf > CPU_MODEL_HV_LAST)
        cpu_cpuid(leaf, sub, &r[0], &r[1], &r[2], &r[3]);
    cpu_model_cpuid(leaf, sub, p->vmcb->save.cr4, r);
    p->stats.cpuid_filtered++;
    g[GPR_RAX] = r[0];
    g[GPR_RBX] = r[1];
    g[GPR_RCX] = r[2];
    g[GPR_RDX] = r[3];
    return vtl0_advance_rip(p) == 0 ? EXIT_RESUME : EXIT_STOP;
}

/* VTL0's own copies (MSR_RD_VCPU). */
static bool vcpu_msr_read(struct partition *p, uint32_t msr, uint64_t *value)
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
    case MSR_TSC_AUX:
        *value = p->tsc_aux;
        return true;
    default:
        return false;
    }
}

static bool vcpu_msr_write(struct partition *p, uint32_t msr, uint64_t value)
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
    case MSR_TSC_AUX:
        if (value >> 32)
            return false;   /* bits 63:32 are reserved: #GP */
        vtl0_set_tsc_aux(p, (uint32_t)value);
        return true;
    default:
        return false;
    }
}

static bool msr_read(struct partition *p, const struct msr_rule *r, uint32_t msr, uint64_t *value)
{
    switch (r == NULL ? MSR_RD_GP : r->read) {
    case MSR_RD_PASS:
        /* Only reached when the MSRPM lets it through anyway (never, today). */
        *value = rdmsr(msr);
        return true;
    case MSR_RD_ZERO:
        *value = 0;
        return true;
    case MSR_RD_VCPU:
        return vcpu_msr_read(p, msr, value);
    default:
        return false;
    }
}

static bool msr_write(struct partition *p, const struct msr_rule *r, uint32_t msr, uint64_t value)
{
    switch (r == NULL ? MSR_WR_GP : r->write) {
    case MSR_WR_DROP:
        log_debug("vtl0", "ignored write of 0x%llx to MSR 0x%x (%s)", (unsigned long long)value,
                  msr, r->name);
        return true;
    case MSR_WR_ZERO:
        return value == 0;
    case MSR_WR_VCPU:
        return vcpu_msr_write(p, msr, value);
    default:
        return false;   /* MSR_WR_PASS never exits; MSR_WR_GP */
    }
}

/* Counts a refusal under its MSR number (inspect "partition/msr_refused"). */
static void count_refusal(struct partition *p, uint32_t msr, bool write)
{
    struct partition_stats *st = &p->stats;
    for (unsigned i = 0; i < VTL0_MSR_REFUSED_KINDS; i++) {
        if (st->msr_refused[i].reads + st->msr_refused[i].writes == 0)
            st->msr_refused[i].msr = msr;
        else if (st->msr_refused[i].msr != msr)
            continue;
        if (write)
            st->msr_refused[i].writes++;
        else
            st->msr_refused[i].reads++;
        return;
    }
    st->msr_refused_other++;
}

enum exit_action vtl0_handle_msr(struct partition *p)
{
    uint64_t *g = p->gprs.gpr;
    uint32_t msr = (uint32_t)g[GPR_RCX];
    bool write = p->vmcb->control.exit_info1 & MSR_EXIT_WRITE;
    const struct msr_rule *rule = cpu_model_msr(msr);
    bool ok;

    if (write) {
        ok = msr_write(p, rule, msr, (g[GPR_RDX] << 32) | (uint32_t)g[GPR_RAX]);
    } else {
        uint64_t value = 0;
        ok = msr_read(p, rule, msr, &value);
        if (ok) {
            g[GPR_RAX] = (uint32_t)value;
            g[GPR_RDX] = value >> 32;
        }
    }
    if (!ok) {
        count_refusal(p, msr, write);
        if (p->stats.msr_unknown++ < MSR_UNKNOWN_LOG_LIMIT) {
            if (rule == NULL)
                log_warn("vtl0", "%s of MSR 0x%x refused: #GP (not in the CPU model)",
                         write ? "write" : "read", msr);
            else
                log_info("vtl0", "%s of MSR 0x%x (%s) refused: #GP, as the CPU model says",
                         write ? "write" : "read", msr, rule->name);
        }
        vtl0_inject_exception(p, 13, true, 0);
        return EXIT_RESUME;   /* #GP: RIP stays on the instruction */
    }
    return vtl0_advance_rip(p) == 0 ? EXIT_RESUME : EXIT_STOP;
}
