/*
 * VTL0's CPU model: the CPUID and MSR tables; see cpu_model.h and docs/cpu-model.md.
 *
 * Base: the CPU Mezzanine runs on (QEMU's `-cpu max` under TCG), passed through. The
 * rules below take away what VTL0 cannot have or what Mezzanine does not back with
 * MSRs, and synthesise what describes the partition. Bit positions: AMD APM vol. 3,
 * appendix E "Obtaining Processor Information Via the CPUID Instruction", and Intel SDM
 * vol. 2A "CPUID"; MSRs: APM vol. 2 appendix A "MSR Cross-Reference" and the BKDG/PPR
 * of AMD family 17h. Where VTL0 gets a constant, the value is what KVM gives a guest
 * (arch/x86/kvm/x86.c kvm_get_msr_common: 0 for SYSCFG, HWCR, INT_PENDING_MSG, the
 * microcode level; MCG_CAP with no banks).
 */
#include "kernel/vtl0/cpu_model.h"

#include "arch/x86_64/cpu/cpu_bits.h"

#define BIT(n) (1u << (n))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define RULE(l, r, act, b, n, w) { (l), (l), CPUID_ANY_SUBLEAF, (r), (act), (b), 0, (n), (w) }
#define RULE_SUB(l, s, r, act, b, n, w) { (l), (l), (s), (r), (act), (b), 0, (n), (w) }

const struct cpuid_rule cpu_model_cpuid_rules[] = {
    /* Leaf 1: features. */
    RULE(1, CPUID_ECX, CPUID_MASK, BIT(3), "monitor", "MWAIT would stop Mezzanine with VTL0"),
    RULE(1, CPUID_ECX, CPUID_MASK, BIT(5), "vmx", "no nested virtualization"),
    RULE(1, CPUID_ECX, CPUID_MASK, BIT(15), "pdcm", "PERF_CAPABILITIES (0x345) is refused"),
    RULE(1, CPUID_ECX, CPUID_MASK, BIT(21), "x2apic", "the x2APIC MSRs (0x800-0x8FF) are refused; VTL0 uses the xAPIC page"),
    RULE(1, CPUID_ECX, CPUID_MASK, BIT(24), "tsc_deadline_timer", "TSC_DEADLINE (0x6E0) is refused"),
    { 1, 1, CPUID_ANY_SUBLEAF, CPUID_ECX, CPUID_FROM_CR4, BIT(27), CR4_OSXSAVE, "osxsave",
      "the real bit is Mezzanine's CR4; VTL0 sees its own" },
    RULE(1, CPUID_ECX, CPUID_SET, BIT(31), "hypervisor", "VTL0 runs under a hypervisor"),
    RULE(1, CPUID_EDX, CPUID_MASK, BIT(21), "dts", "debug store MSRs are refused"),
    RULE(1, CPUID_EDX, CPUID_MASK, BIT(22), "acpi", "thermal-monitor MSRs are refused"),
    RULE(1, CPUID_EDX, CPUID_MASK, BIT(29), "tm", "thermal-monitor MSRs are refused"),
    /* Leaf 7.0: structured extended features. */
    RULE_SUB(7, 0, CPUID_EBX, CPUID_MASK, BIT(1), "tsc_adjust", "TSC_ADJUST (0x3B) is refused"),
    { 7, 7, 0, CPUID_ECX, CPUID_FROM_CR4, BIT(4), CR4_PKE, "ospke",
      "the real bit is Mezzanine's CR4; VTL0 sees its own" },
    RULE_SUB(7, 0, CPUID_ECX, CPUID_MASK, BIT(5), "waitpkg", "UMWAIT_CONTROL (0xE1) is refused; UMWAIT would stop Mezzanine"),
    RULE_SUB(7, 0, CPUID_ECX, CPUID_MASK, BIT(7), "shstk", "the CET MSRs are refused"),
    RULE_SUB(7, 0, CPUID_ECX, CPUID_MASK, BIT(16), "la57", "guest_translate walks 4 levels, not 5"),
    RULE_SUB(7, 0, CPUID_EDX, CPUID_MASK, BIT(20), "ibt", "the CET MSRs are refused"),
    RULE_SUB(7, 0, CPUID_EDX, CPUID_MASK, BIT(26) | BIT(27) | BIT(31), "spec_ctrl, stibp, ssbd",
             "SPEC_CTRL (0x48) and PRED_CMD (0x49) are refused"),
    RULE_SUB(7, 0, CPUID_EDX, CPUID_MASK, BIT(28), "flush_l1d", "FLUSH_CMD (0x10B) is refused"),
    RULE_SUB(7, 0, CPUID_EDX, CPUID_MASK, BIT(29), "arch_capabilities", "ARCH_CAPABILITIES (0x10A) is refused"),
    RULE_SUB(7, 0, CPUID_EDX, CPUID_MASK, BIT(30), "core_capabilities", "CORE_CAPABILITIES (0xCF) is refused"),
    /* Leaf 0Ah: architectural performance monitoring. */
    { 0xA, 0xA, CPUID_ANY_SUBLEAF, CPUID_EAX, CPUID_ZERO_LEAF, 0, 0, "arch_perfmon",
      "no PMU: the counter MSRs are refused" },
    /* Leaf 8000_0001h: extended features. */
    RULE(0x80000001u, CPUID_ECX, CPUID_MASK, BIT(2), "svm", "no nested virtualization"),
    RULE(0x80000001u, CPUID_ECX, CPUID_MASK, BIT(10), "ibs", "the IBS MSRs are refused"),
    RULE(0x80000001u, CPUID_ECX, CPUID_MASK, BIT(13), "wdt", "the watchdog MSRs are refused"),
    RULE(0x80000001u, CPUID_ECX, CPUID_MASK, BIT(23) | BIT(24), "perfctr_core, perfctr_nb",
         "no PMU: PERF_CTL/CTR (0xC0010200-) are refused"),
    /* Leaf 8000_0008h EBX: speculation controls. */
    RULE(0x80000008u, CPUID_EBX, CPUID_MASK, BIT(12) | BIT(14) | BIT(15) | BIT(24) | BIT(25),
         "ibpb, ibrs, stibp, ssbd, virt_ssbd", "SPEC_CTRL, PRED_CMD and VIRT_SPEC_CTRL are refused"),
    RULE(0x80000008u, CPUID_EBX, CPUID_MASK, BIT(23), "amd_ppin", "PPIN MSRs are refused"),
    /* Leaf 8000_000Ah: SVM revision and features. */
    { 0x8000000Au, 0x8000000Au, CPUID_ANY_SUBLEAF, CPUID_EAX, CPUID_ZERO_LEAF, 0, 0, "svm leaf",
      "no nested virtualization" },
};
const size_t cpu_model_cpuid_rule_count = ARRAY_LEN(cpu_model_cpuid_rules);

#define MSR(f, l, r, w, n, why) { (f), (l), (r), (w), (n), (why) }

/* Sorted by first; no overlaps (the unit test checks both). */
const struct msr_rule cpu_model_msr_rules[] = {
    MSR(0x010, 0x010, MSR_RD_PASS, MSR_WR_DROP, "TSC", "shared with Mezzanine: VTL0 may not move it"),
    MSR(0x01B, 0x01B, MSR_RD_PASS, MSR_WR_DROP, "APIC_BASE", "the LAPIC stays where Mezzanine and VTL0 both expect it"),
    MSR(0x08B, 0x08B, MSR_RD_ZERO, MSR_WR_DROP, "PATCH_LEVEL", "microcode level: none to report (KVM: 0 on writes by the guest)"),
    MSR(0x0FE, 0x0FE, MSR_RD_PASS, MSR_WR_GP, "MTRRcap", "read-only in hardware"),
    MSR(0x174, 0x176, MSR_RD_PASS, MSR_WR_PASS, "SYSENTER_CS/ESP/EIP", "swapped by VMRUN (VMCB save area)"),
    MSR(0x179, 0x179, MSR_RD_ZERO, MSR_WR_GP, "MCG_CAP", "no banks, no MCG_CTL (CTL_P = 0); read-only in hardware"),
    MSR(0x17A, 0x17A, MSR_RD_ZERO, MSR_WR_ZERO, "MCG_STATUS", "no machine check is ever in progress"),
    MSR(0x17B, 0x17B, MSR_RD_GP, MSR_WR_GP, "MCG_CTL", "absent: MCG_CAP.CTL_P = 0"),
    MSR(0x200, 0x20F, MSR_RD_VCPU, MSR_WR_VCPU, "MTRRphysBase/Mask0-7", "shadowed: memory types are Mezzanine's"),
    MSR(0x250, 0x250, MSR_RD_VCPU, MSR_WR_VCPU, "MTRRfix64K_00000", "shadowed"),
    MSR(0x258, 0x259, MSR_RD_VCPU, MSR_WR_VCPU, "MTRRfix16K_80000/A0000", "shadowed"),
    MSR(0x268, 0x26F, MSR_RD_VCPU, MSR_WR_VCPU, "MTRRfix4K_C0000-F8000", "shadowed"),
    MSR(0x277, 0x277, MSR_RD_PASS, MSR_WR_PASS, "PAT", "G_PAT in the VMCB under nested paging"),
    MSR(0x2FF, 0x2FF, MSR_RD_VCPU, MSR_WR_VCPU, "MTRRdefType", "shadowed"),
    MSR(0x400, 0x47F, MSR_RD_GP, MSR_WR_GP, "MCi_CTL/STATUS/ADDR/MISC", "absent: MCG_CAP.Count = 0 banks"),
    MSR(0xC0000080u, 0xC0000080u, MSR_RD_VCPU, MSR_WR_VCPU, "EFER", "SVME hidden: VMRUN needs it set in the guest"),
    MSR(0xC0000081u, 0xC0000084u, MSR_RD_PASS, MSR_WR_PASS, "STAR/LSTAR/CSTAR/SFMASK", "swapped by VMLOAD/VMSAVE"),
    MSR(0xC0000100u, 0xC0000102u, MSR_RD_PASS, MSR_WR_PASS, "FS_BASE/GS_BASE/KERNEL_GS_BASE", "swapped by VMRUN and VMLOAD/VMSAVE"),
    MSR(0xC0000103u, 0xC0000103u, MSR_RD_VCPU, MSR_WR_VCPU, "TSC_AUX", "VTL0's value, kept per vCPU, in the CPU while VTL0 runs (RDTSCP, RDPID)"),
    MSR(0xC0010000u, 0xC0010007u, MSR_RD_GP, MSR_WR_GP, "PERF_CTL0-3/PERF_CTR0-3", "no PMU (Linux: \"PMU not available due to virtualization\")"),
    MSR(0xC0010010u, 0xC0010010u, MSR_RD_ZERO, MSR_WR_DROP, "SYSCFG", "memory-controller configuration is Mezzanine's (KVM: 0)"),
    MSR(0xC0010015u, 0xC0010015u, MSR_RD_ZERO, MSR_WR_DROP, "HWCR", "hardware configuration is Mezzanine's (KVM: 0)"),
    MSR(0xC0010055u, 0xC0010055u, MSR_RD_ZERO, MSR_WR_DROP, "INT_PENDING_MSG", "no C1E/SMI message (KVM: 0)"),
    MSR(0xC0011029u, 0xC0011029u, MSR_RD_ZERO, MSR_WR_DROP, "DE_CFG", "decode configuration is Mezzanine's"),
};
const size_t cpu_model_msr_rule_count = ARRAY_LEN(cpu_model_msr_rules);

#define FEAT(l, s, r, b, m, n) { (l), (s), (r), (b), (m), (n) }

const struct feature_msr cpu_model_feature_msrs[] = {
    FEAT(1, 0, CPUID_EDX, BIT(5), 0x010, "msr: TSC"),
    FEAT(1, 0, CPUID_EDX, BIT(7), 0x179, "mce: MCG_CAP"),
    FEAT(1, 0, CPUID_EDX, BIT(7), 0x17A, "mce: MCG_STATUS"),
    FEAT(1, 0, CPUID_EDX, BIT(14), 0x179, "mca: MCG_CAP"),
    FEAT(1, 0, CPUID_EDX, BIT(14), 0x17A, "mca: MCG_STATUS"),
    FEAT(1, 0, CPUID_EDX, BIT(9), 0x01B, "apic: APIC_BASE"),
    FEAT(1, 0, CPUID_EDX, BIT(11), 0x174, "sep: SYSENTER_CS"),
    FEAT(1, 0, CPUID_EDX, BIT(11), 0x176, "sep: SYSENTER_EIP"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x0FE, "mtrr: MTRRcap"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x2FF, "mtrr: MTRRdefType"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x200, "mtrr: MTRRphysBase0"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x250, "mtrr: MTRRfix64K"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x259, "mtrr: MTRRfix16K_A0000"),
    FEAT(1, 0, CPUID_EDX, BIT(12), 0x26F, "mtrr: MTRRfix4K_F8000"),
    FEAT(1, 0, CPUID_EDX, BIT(16), 0x277, "pat: PAT"),
    FEAT(1, 0, CPUID_ECX, BIT(15), 0x345, "pdcm: PERF_CAPABILITIES"),
    FEAT(1, 0, CPUID_ECX, BIT(21), 0x802, "x2apic: x2APIC ID"),
    FEAT(1, 0, CPUID_ECX, BIT(24), 0x6E0, "tsc_deadline_timer: TSC_DEADLINE"),
    FEAT(7, 0, CPUID_EBX, BIT(1), 0x03B, "tsc_adjust: TSC_ADJUST"),
    FEAT(7, 0, CPUID_ECX, BIT(22), 0xC0000103u, "rdpid: TSC_AUX"),
    FEAT(7, 0, CPUID_EDX, BIT(26), 0x048, "spec_ctrl: SPEC_CTRL"),
    FEAT(7, 0, CPUID_EDX, BIT(26), 0x049, "spec_ctrl: PRED_CMD"),
    FEAT(7, 0, CPUID_EDX, BIT(28), 0x10B, "flush_l1d: FLUSH_CMD"),
    FEAT(7, 0, CPUID_EDX, BIT(29), 0x10A, "arch_capabilities: ARCH_CAPABILITIES"),
    FEAT(7, 0, CPUID_EDX, BIT(31), 0x048, "ssbd: SPEC_CTRL"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(27), 0xC0000103u, "rdtscp: TSC_AUX"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(11), 0xC0000081u, "syscall: STAR"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(11), 0xC0000084u, "syscall: SFMASK"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(29), 0xC0000080u, "lm: EFER"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(29), 0xC0000082u, "lm: LSTAR"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(29), 0xC0000100u, "lm: FS_BASE"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(29), 0xC0000102u, "lm: KERNEL_GS_BASE"),
    FEAT(0x80000001u, 0, CPUID_EDX, BIT(20), 0xC0000080u, "nx: EFER"),
    FEAT(0x80000001u, 0, CPUID_ECX, BIT(2), 0xC0010114u, "svm: VM_CR"),
    FEAT(0x80000001u, 0, CPUID_ECX, BIT(23), 0xC0010200u, "perfctr_core: PERF_CTL0"),
    FEAT(0x80000008u, 0, CPUID_EBX, BIT(12), 0x049, "ibpb: PRED_CMD"),
    FEAT(0x80000008u, 0, CPUID_EBX, BIT(14), 0x048, "ibrs: SPEC_CTRL"),
    FEAT(0x80000008u, 0, CPUID_EBX, BIT(24), 0x048, "ssbd: SPEC_CTRL"),
    FEAT(0x80000008u, 0, CPUID_EBX, BIT(25), 0xC001011Fu, "virt_ssbd: VIRT_SPEC_CTRL"),
};
const size_t cpu_model_feature_msr_count = ARRAY_LEN(cpu_model_feature_msrs);

static bool rule_matches(const struct cpuid_rule *r, uint32_t leaf, uint32_t subleaf)
{
    if (leaf < r->leaf || leaf > r->leaf_last)
        return false;
    return r->subleaf == CPUID_ANY_SUBLEAF || r->subleaf == subleaf;
}

void cpu_model_cpuid(uint32_t leaf, uint32_t subleaf, uint64_t vtl0_cr4, uint32_t regs[4])
{
    if (leaf >= CPU_MODEL_HV_BASE && leaf <= CPU_MODEL_HV_LAST) {
        regs[0] = regs[1] = regs[2] = regs[3] = 0;
        if (leaf == CPU_MODEL_HV_BASE) {
            /* "MezzanineVTL" in EBX, ECX, EDX (little-endian byte order); no further
             * hypervisor leaves. */
            regs[0] = CPU_MODEL_HV_BASE;
            regs[1] = 'M' | 'e' << 8 | 'z' << 16 | (uint32_t)'z' << 24;
            regs[2] = 'a' | 'n' << 8 | 'i' << 16 | (uint32_t)'n' << 24;
            regs[3] = 'e' | 'V' << 8 | 'T' << 16 | (uint32_t)'L' << 24;
        }
        return;
    }
    for (size_t i = 0; i < cpu_model_cpuid_rule_count; i++) {
        const struct cpuid_rule *r = &cpu_model_cpuid_rules[i];
        if (!rule_matches(r, leaf, subleaf))
            continue;
        switch (r->action) {
        case CPUID_MASK:
            regs[r->reg] &= ~r->bits;
            break;
        case CPUID_SET:
            regs[r->reg] |= r->bits;
            break;
        case CPUID_ZERO_LEAF:
            regs[0] = regs[1] = regs[2] = regs[3] = 0;
            break;
        case CPUID_FROM_CR4:
            if (vtl0_cr4 & r->cr4_bit)
                regs[r->reg] |= r->bits;
            else
                regs[r->reg] &= ~r->bits;
            break;
        default:
            break;
        }
    }
}

const struct msr_rule *cpu_model_msr(uint32_t msr)
{
    size_t lo = 0, hi = cpu_model_msr_rule_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct msr_rule *r = &cpu_model_msr_rules[mid];
        if (msr < r->first)
            hi = mid;
        else if (msr > r->last)
            lo = mid + 1;
        else
            return r;
    }
    return NULL;
}
