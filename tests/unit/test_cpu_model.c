/*
 * Unit tests for kernel/vtl0/cpu_model.c: VTL0's CPUID against the table, and the MSR
 * table consistent with what CPUID advertises (SPEC section 5, "One consistent CPU
 * model"; docs/cpu-model.md).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/cpu/cpu_bits.h"
#include "kernel/vtl0/cpu_model.h"

#define ALL 0xFFFFFFFFu

/* VTL0's answer for a real CPU that says "yes" to everything. */
static void model_of_all_ones(uint32_t leaf, uint32_t sub, uint64_t cr4, uint32_t r[4])
{
    r[0] = r[1] = r[2] = r[3] = ALL;
    cpu_model_cpuid(leaf, sub, cr4, r);
}

static bool advertised(uint32_t leaf, uint32_t sub, unsigned reg, uint32_t bit)
{
    uint32_t r[4];
    model_of_all_ones(leaf, sub, CR4_OSXSAVE | CR4_PKE, r);
    return (r[reg] & bit) != 0;
}

static void test_features_vtl0_cannot_have_are_hidden(void **state)
{
    (void)state;
    assert_false(advertised(7, 0, CPUID_ECX, 1u << 16));          /* LA57 */
    assert_false(advertised(1, 0, CPUID_ECX, 1u << 3));           /* MONITOR */
    assert_false(advertised(1, 0, CPUID_ECX, 1u << 5));           /* VMX */
    assert_false(advertised(0x80000001u, 0, CPUID_ECX, 1u << 2)); /* SVM */
    assert_false(advertised(1, 0, CPUID_ECX, 1u << 21));          /* x2APIC */
    uint32_t r[4];
    model_of_all_ones(0x8000000Au, 0, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    model_of_all_ones(0xA, 0, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_features_backed_by_the_model_are_passed(void **state)
{
    (void)state;
    assert_true(advertised(1, 0, CPUID_EDX, 1u << 7));            /* MCE */
    assert_true(advertised(1, 0, CPUID_EDX, 1u << 14));           /* MCA */
    assert_true(advertised(1, 0, CPUID_EDX, 1u << 12));           /* MTRR */
    assert_true(advertised(0x80000001u, 0, CPUID_EDX, 1u << 27)); /* RDTSCP */
    assert_true(advertised(7, 0, CPUID_ECX, 1u << 22));           /* RDPID */
    assert_true(advertised(0x80000001u, 0, CPUID_EDX, 1u << 29)); /* LM */
    /* a bit no rule names goes through untouched */
    uint32_t r[4] = { 0x12345678, 0x9ABCDEF0, 0x0F0F0F0F, 0xF0F0F0F0 };
    cpu_model_cpuid(0x80000007u, 0, 0, r);
    assert_int_equal(r[0], 0x12345678);
    assert_int_equal(r[3], 0xF0F0F0F0);
}

static void test_hypervisor_leaves_are_synthesised(void **state)
{
    (void)state;
    uint32_t r[4];
    model_of_all_ones(1, 0, 0, r);
    assert_true(r[CPUID_ECX] & (1u << 31));
    uint32_t z[4] = { 0, 0, 0, 0 };
    cpu_model_cpuid(1, 0, 0, z);
    assert_int_equal(z[CPUID_ECX], 1u << 31);

    model_of_all_ones(CPU_MODEL_HV_BASE, 0, 0, r);
    assert_int_equal(r[0], CPU_MODEL_HV_BASE);
    char vendor[13] = { 0 };
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[2], 4);
    memcpy(vendor + 8, &r[3], 4);
    assert_string_equal(vendor, "MezzanineVTL");
    model_of_all_ones(CPU_MODEL_HV_BASE + 1, 0, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
    model_of_all_ones(CPU_MODEL_HV_LAST, 0, 0, r);
    assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

static void test_os_bits_follow_vtl0_cr4(void **state)
{
    (void)state;
    uint32_t r[4];
    model_of_all_ones(1, 0, 0, r);
    assert_false(r[CPUID_ECX] & (1u << 27));
    model_of_all_ones(1, 0, CR4_OSXSAVE, r);
    assert_true(r[CPUID_ECX] & (1u << 27));
    uint32_t z[4] = { 0, 0, 0, 0 };
    cpu_model_cpuid(7, 0, CR4_PKE, z);
    assert_int_equal(z[CPUID_ECX], 1u << 4);
    model_of_all_ones(7, 0, 0, r);
    assert_false(r[CPUID_ECX] & (1u << 4));
    /* other subleaves of 7 are not leaf 7.0's features */
    model_of_all_ones(7, 1, 0, r);
    assert_int_equal(r[CPUID_ECX], ALL);
}

/* The heart of it: whatever CPUID still advertises, the MSR behind it answers. */
static void test_every_advertised_feature_has_its_msrs(void **state)
{
    (void)state;
    unsigned checked = 0;
    for (size_t i = 0; i < cpu_model_feature_msr_count; i++) {
        const struct feature_msr *f = &cpu_model_feature_msrs[i];
        if (!advertised(f->leaf, f->subleaf, f->reg, f->bit))
            continue;
        const struct msr_rule *r = cpu_model_msr(f->msr);
        if (r == NULL || r->read == MSR_RD_GP)
            fail_msg("%s: advertised, but MSR 0x%x is refused", f->name, f->msr);
        checked++;
    }
    assert_true(checked >= 20);
}

static void test_machine_check_msrs(void **state)
{
    (void)state;
    const struct msr_rule *cap = cpu_model_msr(0x179), *status = cpu_model_msr(0x17A);
    assert_non_null(cap);
    assert_non_null(status);
    assert_int_equal(cap->read, MSR_RD_ZERO);     /* 0 banks, CTL_P clear */
    assert_int_equal(cap->write, MSR_WR_GP);
    assert_int_equal(status->read, MSR_RD_ZERO);
    assert_int_equal(status->write, MSR_WR_ZERO);
    /* MCG_CTL exists only with MCG_CAP.CTL_P (bit 8); banks only with Count > 0 */
    const struct msr_rule *ctl = cpu_model_msr(0x17B);
    assert_non_null(ctl);
    assert_int_equal(ctl->read, MSR_RD_GP);
    assert_int_equal(cpu_model_msr(0x400)->read, MSR_RD_GP);
    assert_int_equal(cpu_model_msr(0x47F)->write, MSR_WR_GP);
}

static void test_probe_msrs_read_zero(void **state)
{
    (void)state;
    /* What Linux 6.1 read in the probe (docs/reference/linux-guest.md). */
    const uint32_t zero[] = { 0x8B, 0xC0010010u, 0xC0010015u, 0xC0011029u, 0xC0010055u };
    for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
        const struct msr_rule *r = cpu_model_msr(zero[i]);
        assert_non_null(r);
        assert_int_equal(r->read, MSR_RD_ZERO);
        assert_int_equal(r->write, MSR_WR_DROP);
    }
    const struct msr_rule *aux = cpu_model_msr(0xC0000103u);
    assert_non_null(aux);
    assert_int_equal(aux->read, MSR_RD_VCPU);
    assert_int_equal(aux->write, MSR_WR_VCPU);
    assert_null(cpu_model_msr(0x12345));
    assert_null(cpu_model_msr(0xC0010008u));
}

static void test_msr_table_sorted_and_disjoint(void **state)
{
    (void)state;
    for (size_t i = 0; i < cpu_model_msr_rule_count; i++) {
        const struct msr_rule *r = &cpu_model_msr_rules[i];
        assert_true(r->first <= r->last);
        assert_non_null(r->name);
        assert_non_null(r->why);
        if (i > 0)
            assert_true(cpu_model_msr_rules[i - 1].last < r->first);
        /* every rule is found, at both ends */
        assert_ptr_equal(cpu_model_msr(r->first), r);
        assert_ptr_equal(cpu_model_msr(r->last), r);
        /* a passed-through write only with a passed-through read (the VMCB swaps both) */
        if (r->write == MSR_WR_PASS)
            assert_int_equal(r->read, MSR_RD_PASS);
    }
    for (size_t i = 0; i < cpu_model_cpuid_rule_count; i++) {
        assert_non_null(cpu_model_cpuid_rules[i].name);
        assert_non_null(cpu_model_cpuid_rules[i].why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_vtl0_cannot_have_are_hidden),
        cmocka_unit_test(test_features_backed_by_the_model_are_passed),
        cmocka_unit_test(test_hypervisor_leaves_are_synthesised),
        cmocka_unit_test(test_os_bits_follow_vtl0_cr4),
        cmocka_unit_test(test_every_advertised_feature_has_its_msrs),
        cmocka_unit_test(test_machine_check_msrs),
        cmocka_unit_test(test_probe_msrs_read_zero),
        cmocka_unit_test(test_msr_table_sorted_and_disjoint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
