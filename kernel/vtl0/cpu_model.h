/*
 * VTL0's CPU model (SPEC section 5, docs/cpu-model.md): one table of what CPUID says
 * and one of what each MSR does, kept consistent with each other (what CPUID
 * advertises, the MSRs answer; what Mezzanine cannot support is not advertised).
 * Pure: the real CPU's CPUID values come in, VTL0's go out; the MSR policy is data that
 * kernel/vtl0/cpu.c carries out. tests/unit/test_cpu_model.c holds the two tables
 * against each other.
 */
#ifndef MEZZ_KERNEL_VTL0_CPU_MODEL_H
#define MEZZ_KERNEL_VTL0_CPU_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cpuid_reg { CPUID_EAX = 0, CPUID_EBX, CPUID_ECX, CPUID_EDX };

#define CPUID_ANY_SUBLEAF 0xFFFFFFFFu

/* What a CPUID rule does to its register. Everything no rule names is passed. */
enum cpuid_action {
    CPUID_MASK,        /* bits cleared: a feature VTL0 does not get */
    CPUID_SET,         /* bits set: synthesised */
    CPUID_ZERO_LEAF,   /* leaves [leaf, leaf_last]: all four registers 0 */
    CPUID_FROM_CR4,    /* bits = whether VTL0's CR4 has `cr4_bit` (OSXSAVE, OSPKE) */
};

struct cpuid_rule {
    uint32_t leaf, leaf_last;   /* leaf_last: CPUID_ZERO_LEAF only (else = leaf) */
    uint32_t subleaf;           /* or CPUID_ANY_SUBLEAF */
    uint8_t reg;                /* enum cpuid_reg */
    uint8_t action;             /* enum cpuid_action */
    uint32_t bits;
    uint64_t cr4_bit;           /* CPUID_FROM_CR4 only */
    const char *name;           /* the feature, as Linux's /proc/cpuinfo spells it */
    const char *why;
};

/* How VTL0's RDMSR / WRMSR of one MSR is answered. */
enum msr_read {
    MSR_RD_GP,       /* #GP */
    MSR_RD_PASS,     /* not intercepted: the real MSR (VMCB-swapped or shared read-only) */
    MSR_RD_ZERO,     /* reads 0 */
    MSR_RD_VCPU,     /* VTL0's own copy (cpu.c: EFER, MTRRs, TSC_AUX) */
};

enum msr_write {
    MSR_WR_GP,       /* #GP */
    MSR_WR_PASS,     /* not intercepted */
    MSR_WR_DROP,     /* accepted and ignored */
    MSR_WR_ZERO,     /* 0 accepted (and ignored), anything else #GP */
    MSR_WR_VCPU,     /* into VTL0's own copy, validated (cpu.c) */
};

struct msr_rule {
    uint32_t first, last;
    uint8_t read, write;        /* enum msr_read, enum msr_write */
    const char *name;
    const char *why;
};

/* "If CPUID advertises this bit, the MSR must answer": the consistency the unit test
 * checks (a bit the CPUID table masks may leave its MSR refused). */
struct feature_msr {
    uint32_t leaf, subleaf;
    uint8_t reg;
    uint32_t bit;
    uint32_t msr;
    const char *name;
};

extern const struct cpuid_rule cpu_model_cpuid_rules[];
extern const size_t cpu_model_cpuid_rule_count;
extern const struct msr_rule cpu_model_msr_rules[];
extern const size_t cpu_model_msr_rule_count;
extern const struct feature_msr cpu_model_feature_msrs[];
extern const size_t cpu_model_feature_msr_count;

/* The hypervisor leaf range Mezzanine owns: 0x40000000 is synthesised ("MezzanineVTL",
 * max leaf 0x40000000), the rest of the range reads 0. */
#define CPU_MODEL_HV_BASE 0x40000000u
#define CPU_MODEL_HV_LAST 0x400000FFu

/* VTL0's CPUID (leaf, subleaf) from the real CPU's answer `regs` (in/out) and VTL0's
 * CR4. For leaves in the hypervisor range `regs` is ignored. */
void cpu_model_cpuid(uint32_t leaf, uint32_t subleaf, uint64_t vtl0_cr4, uint32_t regs[4]);

/* The rule for an MSR; NULL means unlisted (refused with #GP, and worth a warning: the
 * model has no word for it). */
const struct msr_rule *cpu_model_msr(uint32_t msr);

#endif
