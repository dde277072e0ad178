/* Unit tests for arch/x86_64/tsc_calc: TSC frequency from a PIT-timed interval. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "arch/x86_64/cpu/tsc.h"

static void test_pit_hz(void **state)
{
    (void)state;
    assert_int_equal(PIT_HZ, 1193182);
}

static void test_exact_conversions(void **state)
{
    (void)state;
    /* A full PIT second: ticks per second is the TSC delta itself. */
    assert_int_equal(tsc_hz_from_pit(3000000000ull, 1193182), 3000000000ull);
    assert_int_equal(tsc_hz_from_pit(1193182, 1193182), 1193182);
    /* TSC running at the PIT's rate. */
    assert_int_equal(tsc_hz_from_pit(11932, 11932), 1193182);
    /* ~10 ms window (11932 PIT ticks) on a ~3 GHz TSC: floor(30e6 * 1193182 / 11932). */
    assert_int_equal(tsc_hz_from_pit(30000000, 11932), 2999954743ull);
    /* 1 PIT tick. */
    assert_int_equal(tsc_hz_from_pit(2514, 1), 2999659548ull);
    /* The result is rounded down. */
    assert_int_equal(tsc_hz_from_pit(1, 2), 596591);
    assert_int_equal(tsc_hz_from_pit(1, 1193183), 0);
    /* Largest pit_ticks. */
    assert_int_equal(tsc_hz_from_pit(3599997, UINT32_MAX), 1000);
}

static void test_zero(void **state)
{
    (void)state;
    assert_int_equal(tsc_hz_from_pit(0, 11932), 0);
    assert_int_equal(tsc_hz_from_pit(30000000, 0), 0);
    assert_int_equal(tsc_hz_from_pit(0, 0), 0);
    assert_int_equal(tsc_hz_from_pit(UINT64_MAX, 0), 0);
}

static void test_overflow_guard(void **state)
{
    (void)state;
    /* floor((2^64 - 1) / 1193182) = 15460126010708: the largest delta that can be
     * multiplied by PIT_HZ in 64 bits. */
    assert_int_equal(tsc_hz_from_pit(15460126010708ull, 1), 18446744073708592856ull);
    assert_int_equal(tsc_hz_from_pit(15460126010708ull, 11932), 1545989278721806ull);
    /* One more would overflow: refused with 0 rather than a wrapped value. */
    assert_int_equal(tsc_hz_from_pit(15460126010709ull, 1), 0);
    assert_int_equal(tsc_hz_from_pit(15460126010709ull, UINT32_MAX), 0);
    assert_int_equal(tsc_hz_from_pit(1ull << 63, 11932), 0);
    assert_int_equal(tsc_hz_from_pit(UINT64_MAX, 11932), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pit_hz),
        cmocka_unit_test(test_exact_conversions),
        cmocka_unit_test(test_zero),
        cmocka_unit_test(test_overflow_guard),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
