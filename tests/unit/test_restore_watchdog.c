/* Unit tests for kernel/servicing/watchdog.c: the budget from the host's hint, and the
 * watchdog firing once, only when armed, ready and past its deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/servicing/persisted.h"
#include "kernel/servicing/watchdog.h"

static void budget_is_half_the_hint_within_bounds(void **state)
{
    (void)state;
    assert_int_equal(restore_budget_ms(4), 2000);
    assert_int_equal(restore_budget_ms(8), 4000);
    assert_int_equal(restore_budget_ms(1), SERVICING_RESTORE_BUDGET_MIN_MS);
    assert_int_equal(restore_budget_ms(60), SERVICING_RESTORE_BUDGET_DEFAULT_MS);
    assert_int_equal(restore_budget_ms(0), SERVICING_RESTORE_BUDGET_DEFAULT_MS);
    assert_int_equal(restore_budget_ms(0xFFFF), SERVICING_RESTORE_BUDGET_DEFAULT_MS);
    assert_int_equal(restore_budget_ms(0xFFFFFFFFu), SERVICING_RESTORE_BUDGET_DEFAULT_MS);
}

static void fires_once_past_the_deadline(void **state)
{
    (void)state;
    struct restore_watchdog w = { 0 };
    assert_false(restore_watchdog_expired(&w, 1000));         /* never armed */
    restore_watchdog_arm(&w, 500);
    restore_watchdog_ready(&w);
    assert_false(restore_watchdog_expired(&w, 499));
    assert_true(restore_watchdog_expired(&w, 500));
    assert_false(restore_watchdog_expired(&w, 501));          /* once */
    assert_true(restore_watchdog_disarm(&w));                 /* it had fired */
}

static void waits_until_ready(void **state)
{
    (void)state;
    struct restore_watchdog w = { 0 };
    restore_watchdog_arm(&w, 100);
    assert_false(restore_watchdog_expired(&w, 200));          /* no way back yet */
    restore_watchdog_ready(&w);
    assert_true(restore_watchdog_expired(&w, 201));
}

static void disarmed_never_fires(void **state)
{
    (void)state;
    struct restore_watchdog w = { 0 };
    restore_watchdog_arm(&w, 100);
    restore_watchdog_ready(&w);
    assert_false(restore_watchdog_disarm(&w));
    assert_false(restore_watchdog_expired(&w, 1000));
    restore_watchdog_arm(&w, 2000);                           /* re-armed: fresh */
    restore_watchdog_ready(&w);
    assert_false(restore_watchdog_expired(&w, 1999));
    assert_true(restore_watchdog_expired(&w, 2000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(budget_is_half_the_hint_within_bounds),
        cmocka_unit_test(fires_once_past_the_deadline),
        cmocka_unit_test(waits_until_ready),
        cmocka_unit_test(disarmed_never_fires),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
