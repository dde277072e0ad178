/* Unit tests for kernel/servicing/persisted.c: the persisted page a new instance accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/servicing/persisted.h"

/* What the old instance writes (kernel/servicing/servicing.c). */
static struct servicing_persisted good_page(void)
{
    struct servicing_persisted pp;
    memset(&pp, 0, sizeof(pp));
    pp.magic = SERVICING_PERSISTED_MAGIC;
    pp.version = SERVICING_PERSISTED_VERSION;
    pp.size = sizeof(pp);
    pp.tsc_hz = 2000000000ull;
    pp.old_slot = 1;
    pp.new_slot = 0;
    strcpy(pp.old_version, "0.1.0");
    strcpy(pp.old_build_id, "691727cc59ad");
    return pp;
}

static void test_the_old_instances_page_is_accepted(void **state)
{
    (void)state;
    struct servicing_persisted pp = good_page();
    assert_true(servicing_persisted_ok(&pp));
    pp.flags = SERVICING_PERSISTED_ROLLBACK;
    pp.old_slot = 0;
    pp.new_slot = 1;
    assert_true(servicing_persisted_ok(&pp));
    /* the longest strings that still end in their fields */
    memset(pp.old_version, 'v', sizeof(pp.old_version) - 1);
    memset(pp.old_build_id, 'b', sizeof(pp.old_build_id) - 1);
    assert_true(servicing_persisted_ok(&pp));
}

static void test_each_check_refuses(void **state)
{
    (void)state;
    struct servicing_persisted pp;
    pp = good_page(); pp.magic ^= 1;            assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.version = 2;           assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.size = 136;            assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.size = SERVICING_PERSISTED_SIZE_V1 + 8; assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.tsc_hz = 0;            assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.old_slot = 2; pp.new_slot = 3; assert_false(servicing_persisted_ok(&pp));
    pp = good_page(); pp.new_slot = pp.old_slot; assert_false(servicing_persisted_ok(&pp));
    /* strings that fill their fields would be read past their end */
    pp = good_page();
    memset(pp.old_version, 'v', sizeof(pp.old_version));
    assert_false(servicing_persisted_ok(&pp));
    pp = good_page();
    memset(pp.old_build_id, 'b', sizeof(pp.old_build_id));
    assert_false(servicing_persisted_ok(&pp));
}

/* A page of the first layout (144 bytes, before the CRC, budget and rollback reason) is
 * read; the fields it lacks become 0 whatever the bytes after it hold. */
static void test_a_first_layout_page_is_read_with_its_new_fields_zero(void **state)
{
    (void)state;
    struct servicing_persisted pp = good_page();
    pp.size = SERVICING_PERSISTED_SIZE_V1;
    pp.saved_state_crc = 0xDEADBEEFu;
    pp.restore_budget_ms = 7;
    pp.rollback_reason = 3;
    pp.rollback_error = -5;
    assert_true(servicing_persisted_ok(&pp));
    servicing_persisted_settle(&pp);
    assert_int_equal(pp.saved_state_crc, 0);
    assert_int_equal(pp.restore_budget_ms, 0);
    assert_int_equal(pp.rollback_reason, 0);
    assert_int_equal(pp.rollback_error, 0);
    assert_int_equal(pp.tsc_hz, good_page().tsc_hz);

    /* a page of this layout keeps them */
    pp = good_page();
    pp.restore_budget_ms = 7;
    servicing_persisted_settle(&pp);
    assert_int_equal(pp.restore_budget_ms, 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_old_instances_page_is_accepted),
        cmocka_unit_test(test_each_check_refuses),
        cmocka_unit_test(test_a_first_layout_page_is_read_with_its_new_fields_zero),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
