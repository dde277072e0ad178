/* Unit tests for drivers/testdev: the port protocol, every event kind, malformed input. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/testdev/testdev.h"

/* ---- a recording event sink ---------------------------------------------------------- */

#define MAX_EVENTS 32

struct sink {
    unsigned count;
    struct testdev_event ev[MAX_EVENTS];
};

static void record(void *ctx, const struct testdev_event *ev)
{
    struct sink *s = ctx;
    assert_true(s->count < MAX_EVENTS);
    s->ev[s->count++] = *ev;
}

static const uint8_t SCRIPT[] = { 0x10, 0x20, 0x30, 0x40, 0x50 };

static struct testdev td;
static struct sink sink;

static int setup(void **state)
{
    (void)state;
    memset(&sink, 0, sizeof(sink));
    struct testdev_ops ops = { record, &sink };
    testdev_init(&td, SCRIPT, sizeof(SCRIPT), &ops);
    return 0;
}

/* ---- port helpers ---------------------------------------------------------------------- */

static uint32_t in(uint16_t off, unsigned size)
{
    uint32_t v = 0xDEADBEEF;
    assert_int_equal(testdev_io(&td, off, size, false, &v), 0);
    return v;
}

static void out(uint16_t off, unsigned size, uint32_t v)
{
    assert_int_equal(testdev_io(&td, off, size, true, &v), 0);
}

static void arg(uint32_t word) { out(TESTDEV_REG_ARG, 4, word); }
static void cmd(uint8_t kind) { out(TESTDEV_REG_CMD, 1, kind); }
static void value_arg(uint64_t v) { arg((uint32_t)v); arg((uint32_t)(v >> 32)); }

static void log_text(const char *s)
{
    while (*s)
        out(TESTDEV_REG_LOG, 1, (uint8_t)*s++);
}

static const struct testdev_event *last(void)
{
    assert_true(sink.count > 0);
    return &sink.ev[sink.count - 1];
}

static void expect_line(const struct testdev_event *ev, const char *want)
{
    char line[TESTDEV_LINE_MAX];
    size_t n = testdev_format_event(ev, line, sizeof(line));
    assert_string_equal(line, want);
    assert_int_equal(n, strlen(want));
}

static void expect_error(uint32_t reason, uint8_t kind, uint32_t nargs)
{
    const struct testdev_event *ev = last();
    assert_int_equal(ev->kind, TESTDEV_EV_ERROR);
    assert_int_equal(ev->code, reason);
    assert_int_equal(ev->nvalues, 2);
    assert_int_equal(ev->values[0], kind);
    assert_int_equal(ev->values[1], nargs);
    assert_false(ev->has_tag);
}

/* ---- the script ---------------------------------------------------------------------- */

static void test_script_reads_in_order_then_all_ones(void **state)
{
    (void)state;
    assert_int_equal(in(TESTDEV_REG_SCRIPT_LEN, 4), sizeof(SCRIPT));
    assert_int_equal(in(TESTDEV_REG_VERSION, 1), TESTDEV_VERSION);
    for (size_t i = 0; i < sizeof(SCRIPT); i++) {
        assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), i);
        assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), SCRIPT[i]);
    }
    assert_int_equal(td.st.script_overruns, 0);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0xFF);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0xFF);
    assert_int_equal(td.st.script_overruns, 2);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), sizeof(SCRIPT));
    assert_int_equal(sink.count, 0);
}

static void test_cursor_rewinds_and_seeks(void **state)
{
    (void)state;
    in(TESTDEV_REG_SCRIPT, 1);
    in(TESTDEV_REG_SCRIPT, 1);
    out(TESTDEV_REG_SCRIPT_POS, 2, 0);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), SCRIPT[0]);
    out(TESTDEV_REG_SCRIPT_POS, 2, 3);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), SCRIPT[3]);
    /* A seek past the end lands on the end; bits above 16 are not part of the write. */
    out(TESTDEV_REG_SCRIPT_POS, 2, 0x1234);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), sizeof(SCRIPT));
    out(TESTDEV_REG_SCRIPT_POS, 2, 0x10002);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), SCRIPT[2]);
}

static void test_empty_and_null_scripts(void **state)
{
    (void)state;
    testdev_init(&td, NULL, 100, NULL);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_LEN, 4), 0);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0xFF);
    testdev_init(&td, SCRIPT, 0, NULL);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_LEN, 4), 0);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0xFF);
    assert_int_equal(td.st.script_overruns, 1);
}

static void test_long_script_is_clamped(void **state)
{
    (void)state;
    static uint8_t big[TESTDEV_SCRIPT_MAX + 10];
    big[TESTDEV_SCRIPT_MAX - 1] = 0x42;
    testdev_init(&td, big, sizeof(big), NULL);
    assert_true(td.script_clamped);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_LEN, 4), TESTDEV_SCRIPT_MAX);
    out(TESTDEV_REG_SCRIPT_POS, 2, TESTDEV_SCRIPT_MAX - 1);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0x42);
    assert_int_equal(in(TESTDEV_REG_SCRIPT, 1), 0xFF);
}

/* ---- every event kind ---------------------------------------------------------------- */

static void test_boot_counts(void **state)
{
    (void)state;
    cmd(TESTDEV_EV_BOOT);
    assert_int_equal(last()->kind, TESTDEV_EV_BOOT);
    assert_int_equal(last()->code, 1);
    expect_line(last(), "BOOT n=1");
    /* A VTL0 reset keeps the device: the cursor stays and the count goes on. */
    in(TESTDEV_REG_SCRIPT, 1);
    cmd(TESTDEV_EV_BOOT);
    expect_line(last(), "BOOT n=2");
    assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), 1);
    assert_int_equal(td.st.boots, 2);
}

static void test_mode(void **state)
{
    (void)state;
    static const char *const want[] = {
        "MODE tag=3 mode=real", "MODE tag=3 mode=protected", "MODE tag=3 mode=long",
        "MODE tag=3 mode=0x9",
    };
    const uint32_t modes[] = { TESTDEV_MODE_REAL, TESTDEV_MODE_PROT, TESTDEV_MODE_LONG, 9 };
    for (unsigned i = 0; i < 4; i++) {
        arg(3);
        arg(modes[i]);
        cmd(TESTDEV_EV_MODE);
        assert_int_equal(last()->kind, TESTDEV_EV_MODE);
        assert_true(last()->has_tag);
        assert_int_equal(last()->tag, 3);
        assert_int_equal(last()->code, modes[i]);
        expect_line(last(), want[i]);
    }
}

static void test_pass_and_done(void **state)
{
    (void)state;
    arg(4000000000u);
    cmd(TESTDEV_EV_PASS);
    expect_line(last(), "PASS tag=4000000000");
    cmd(TESTDEV_EV_DONE);
    assert_int_equal(last()->kind, TESTDEV_EV_DONE);
    expect_line(last(), "DONE");
    assert_int_equal(td.st.events, 2);
    assert_int_equal(td.st.errors, 0);
}

static void test_fail_with_zero_one_two_values(void **state)
{
    (void)state;
    arg(7);
    arg(TESTDEV_FAIL_TRUNCATED);
    cmd(TESTDEV_EV_FAIL);
    expect_line(last(), "FAIL tag=7 reason=truncated");

    arg(7);
    arg(TESTDEV_FAIL_UNSUPPORTED);
    value_arg(0x100000000ull);
    cmd(TESTDEV_EV_FAIL);
    assert_int_equal(last()->nvalues, 1);
    expect_line(last(), "FAIL tag=7 reason=unsupported values=0x100000000");

    arg(7);
    arg(TESTDEV_FAIL_MISMATCH);
    value_arg(0xff);
    value_arg(0);
    cmd(TESTDEV_EV_FAIL);
    expect_line(last(), "FAIL tag=7 reason=mismatch values=0xff,0x0");

    static const char *const names[] = {
        NULL, "mismatch", "bad-opcode", "bad-operand", "unsupported", "truncated",
        "exception", "halt-returned",
    };
    for (uint32_t r = 1; r <= TESTDEV_FAIL_HALT_RETURNED; r++) {
        char want[64];
        arg(1);
        arg(r);
        cmd(TESTDEV_EV_FAIL);
        snprintf(want, sizeof(want), "FAIL tag=1 reason=%s", names[r]);
        expect_line(last(), want);
    }
    arg(1);
    arg(0x77);
    cmd(TESTDEV_EV_FAIL);
    expect_line(last(), "FAIL tag=1 reason=0x77");
}

static void test_value_with_one_to_four_values(void **state)
{
    (void)state;
    arg(12);
    value_arg(0xff);
    cmd(TESTDEV_EV_VALUE);
    expect_line(last(), "VALUE tag=12 values=0xff");
    assert_int_equal(last()->values[0], 0xff);

    arg(0);
    value_arg(0x0123456789abcdefull);
    value_arg(UINT64_MAX);
    value_arg(0);
    value_arg(0x80000000ull);
    cmd(TESTDEV_EV_VALUE);
    assert_int_equal(last()->nvalues, 4);
    assert_int_equal(last()->values[0], 0x0123456789abcdefull);
    expect_line(last(),
                "VALUE tag=0 values=0x123456789abcdef,0xffffffffffffffff,0x0,0x80000000");
}

static void test_log_text(void **state)
{
    (void)state;
    log_text("hello, world");
    arg(5);
    cmd(TESTDEV_EV_LOG);
    assert_string_equal(last()->text, "hello, world");
    expect_line(last(), "LOG tag=5 text=hello, world");

    /* Empty text is allowed; the buffer was emptied by the last CMD. */
    arg(TESTDEV_TAG_NONE);
    cmd(TESTDEV_EV_LOG);
    expect_line(last(), "LOG text=");

    /* Control characters and bytes above 0x7E never reach the console. */
    out(TESTDEV_REG_LOG, 1, '\n');
    out(TESTDEV_REG_LOG, 1, 0x1b);
    out(TESTDEV_REG_LOG, 1, 0x80 | 'A');
    out(TESTDEV_REG_LOG, 1, 0x100 | 'B');   /* only the low byte is written */
    arg(1);
    cmd(TESTDEV_EV_LOG);
    assert_string_equal(last()->text, "???B");
}

static void test_log_text_is_capped(void **state)
{
    (void)state;
    for (unsigned i = 0; i < TESTDEV_LOG_MAX + 5; i++)
        out(TESTDEV_REG_LOG, 1, 'a' + i % 26);
    assert_int_equal(td.st.log_dropped, 5);
    arg(1);
    cmd(TESTDEV_EV_LOG);
    assert_int_equal(strlen(last()->text), TESTDEV_LOG_MAX);
    char line[TESTDEV_LINE_MAX];
    size_t n = testdev_format_event(last(), line, sizeof(line));
    assert_int_equal(n, strlen("LOG tag=1 text=") + TESTDEV_LOG_MAX);
}

/* ---- malformed sequences ------------------------------------------------------------- */

static void test_unknown_kind(void **state)
{
    (void)state;
    const uint8_t kinds[] = { 0x00, 0x08, TESTDEV_EV_ERROR, 0xFF };
    for (unsigned i = 0; i < sizeof(kinds); i++) {
        arg(1);
        cmd(kinds[i]);
        expect_error(TESTDEV_ERR_BAD_KIND, kinds[i], 1);
    }
    char line[TESTDEV_LINE_MAX];
    testdev_format_event(last(), line, sizeof(line));
    assert_string_equal(line, "ERROR reason=bad-kind kind=0xff nargs=1");
    assert_int_equal(td.st.errors, 4);
}

static void test_wrong_argument_counts(void **state)
{
    (void)state;
    static const struct { uint8_t kind; uint32_t nargs; } bad[] = {
        { TESTDEV_EV_BOOT, 1 }, { TESTDEV_EV_DONE, 1 },
        { TESTDEV_EV_MODE, 0 }, { TESTDEV_EV_MODE, 1 }, { TESTDEV_EV_MODE, 3 },
        { TESTDEV_EV_PASS, 0 }, { TESTDEV_EV_PASS, 2 },
        { TESTDEV_EV_LOG, 0 }, { TESTDEV_EV_LOG, 2 },
        { TESTDEV_EV_FAIL, 0 }, { TESTDEV_EV_FAIL, 1 }, { TESTDEV_EV_FAIL, 3 },
        { TESTDEV_EV_FAIL, 5 }, { TESTDEV_EV_FAIL, 8 },
        { TESTDEV_EV_VALUE, 0 }, { TESTDEV_EV_VALUE, 1 }, { TESTDEV_EV_VALUE, 2 },
        { TESTDEV_EV_VALUE, 4 }, { TESTDEV_EV_VALUE, 8 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (uint32_t n = 0; n < bad[i].nargs; n++)
            arg(n);
        cmd(bad[i].kind);
        expect_error(TESTDEV_ERR_BAD_ARGS, bad[i].kind, bad[i].nargs);
    }
    char line[TESTDEV_LINE_MAX];
    testdev_format_event(last(), line, sizeof(line));
    assert_string_equal(line, "ERROR reason=bad-args kind=0x5 nargs=8");
    assert_int_equal(td.st.boots, 0);
}

static void test_too_many_arguments_then_recovery(void **state)
{
    (void)state;
    for (uint32_t n = 0; n < TESTDEV_MAX_ARGS + 3; n++)
        arg(n);
    cmd(TESTDEV_EV_VALUE);
    expect_error(TESTDEV_ERR_TOO_MANY_ARGS, TESTDEV_EV_VALUE, TESTDEV_MAX_ARGS + 3);
    /* The words are gone: the next event is judged on its own. */
    arg(2);
    cmd(TESTDEV_EV_PASS);
    expect_line(last(), "PASS tag=2");
    assert_int_equal(td.st.errors, 1);
    assert_int_equal(td.st.events, 2);
}

static void test_stray_log_text(void **state)
{
    (void)state;
    log_text("oops");
    arg(1);
    cmd(TESTDEV_EV_PASS);
    expect_error(TESTDEV_ERR_STRAY_TEXT, TESTDEV_EV_PASS, 1);
    char line[TESTDEV_LINE_MAX];
    testdev_format_event(last(), line, sizeof(line));
    assert_string_equal(line, "ERROR reason=stray-text kind=0x3 nargs=1");
    arg(1);
    cmd(TESTDEV_EV_LOG);
    expect_line(last(), "LOG tag=1 text=");
}

static void test_cmd_ignores_bits_above_its_size(void **state)
{
    (void)state;
    arg(9);
    out(TESTDEV_REG_CMD, 1, 0xFFFFFF00u | TESTDEV_EV_PASS);
    expect_line(last(), "PASS tag=9");
}

/* ---- accesses the device does not decode --------------------------------------------- */

static bool decoded(uint16_t off, unsigned size, bool is_write)
{
    if (is_write)
        return (off == 0 && size == 4) || (off == 4 && size == 1) ||
               (off == 5 && size == 1) || (off == 6 && size == 2);
    return (off == 0 && size == 4) || (off == 4 && size == 1) ||
           (off == 5 && size == 1) || (off == 6 && size == 2);
}

static void test_wrong_sizes_and_offsets_are_refused(void **state)
{
    (void)state;
    const unsigned sizes[] = { 0, 1, 2, 3, 4, 8 };
    uint64_t refused = 0;
    for (uint16_t off = 0; off < TESTDEV_PORT_COUNT + 4; off++) {
        for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
            for (int w = 0; w < 2; w++) {
                if (decoded(off, sizes[s], w))
                    continue;
                uint32_t v = 0x12345678;
                assert_int_equal(testdev_io(&td, off, sizes[s], w, &v), -EINVAL);
                assert_int_equal(v, 0x12345678);   /* left alone */
                refused++;
            }
        }
    }
    assert_int_equal(td.st.bad_accesses, refused);
    uint32_t v = 0;
    assert_int_equal(testdev_io(&td, TESTDEV_REG_SCRIPT, 1, false, NULL), -EINVAL);
    assert_int_equal(testdev_io(&td, TESTDEV_REG_ARG, 4, true, NULL), -EINVAL);
    assert_int_equal(td.st.bad_accesses, refused + 2);
    /* None of that touched the script, the pending words or the events. */
    assert_int_equal(sink.count, 0);
    assert_int_equal(td.st.nargs, 0);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), 0);
    assert_int_equal(testdev_io(&td, TESTDEV_REG_SCRIPT, 1, false, &v), 0);
    assert_int_equal(v, SCRIPT[0]);
}

static void test_no_event_callback(void **state)
{
    (void)state;
    testdev_init(&td, SCRIPT, sizeof(SCRIPT), NULL);
    cmd(TESTDEV_EV_BOOT);
    cmd(0x42);
    assert_int_equal(td.st.events, 2);
    assert_int_equal(td.st.errors, 1);
    struct testdev_ops ops = { NULL, NULL };
    testdev_init(&td, SCRIPT, sizeof(SCRIPT), &ops);
    cmd(TESTDEV_EV_DONE);
    assert_int_equal(td.st.events, 1);
}

static void test_init_clears_state(void **state)
{
    (void)state;
    in(TESTDEV_REG_SCRIPT, 1);
    arg(1);
    log_text("x");
    cmd(TESTDEV_EV_BOOT);
    struct testdev_ops ops = { record, &sink };
    testdev_init(&td, SCRIPT, sizeof(SCRIPT), &ops);
    assert_int_equal(in(TESTDEV_REG_SCRIPT_POS, 2), 0);
    assert_int_equal(td.st.nargs, 0);
    assert_int_equal(td.st.log_len, 0);
    assert_int_equal(td.st.events, 0);
    cmd(TESTDEV_EV_BOOT);
    expect_line(last(), "BOOT n=1");
}

/* ---- formatting ------------------------------------------------------------------------ */

static void test_format_truncates_and_terminates(void **state)
{
    (void)state;
    struct testdev_event ev = { .kind = TESTDEV_EV_VALUE, .has_tag = true, .tag = 12,
                                .nvalues = 1, .values = { 0xff } };
    char buf[8];
    memset(buf, 'X', sizeof(buf));
    assert_int_equal(testdev_format_event(&ev, buf, sizeof(buf)), 7);
    assert_string_equal(buf, "VALUE t");
    assert_int_equal(testdev_format_event(&ev, buf, 1), 0);
    assert_string_equal(buf, "");
    buf[0] = 'X';
    assert_int_equal(testdev_format_event(&ev, buf, 0), 0);
    assert_int_equal(buf[0], 'X');
}

static void test_format_worst_case_fits(void **state)
{
    (void)state;
    struct testdev_event ev = { .kind = TESTDEV_EV_VALUE, .has_tag = true,
                                .tag = UINT32_MAX - 1, .nvalues = 200 };
    for (unsigned i = 0; i < TESTDEV_MAX_VALUES; i++)
        ev.values[i] = UINT64_MAX;
    char line[TESTDEV_LINE_MAX + 64];
    size_t n = testdev_format_event(&ev, line, sizeof(line));
    assert_true(n < TESTDEV_LINE_MAX);   /* nvalues is capped at MAX_VALUES */

    struct testdev_event log = { .kind = TESTDEV_EV_LOG, .has_tag = true,
                                 .tag = UINT32_MAX - 1 };
    memset(log.text, '\t', TESTDEV_LOG_MAX);   /* the formatter sanitises too */
    n = testdev_format_event(&log, line, sizeof(line));
    assert_true(n < TESTDEV_LINE_MAX);
    assert_null(strchr(line, '\t'));

    struct testdev_event fail = { .kind = TESTDEV_EV_FAIL, .has_tag = true,
                                  .tag = UINT32_MAX - 1, .code = UINT32_MAX, .nvalues = 2,
                                  .values = { UINT64_MAX, UINT64_MAX } };
    n = testdev_format_event(&fail, line, sizeof(line));
    assert_true(n < TESTDEV_LINE_MAX);

    struct testdev_event unknown = { .kind = 0x55 };
    testdev_format_event(&unknown, line, sizeof(line));
    assert_string_equal(line, "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_script_reads_in_order_then_all_ones, setup),
        cmocka_unit_test_setup(test_cursor_rewinds_and_seeks, setup),
        cmocka_unit_test_setup(test_empty_and_null_scripts, setup),
        cmocka_unit_test_setup(test_long_script_is_clamped, setup),
        cmocka_unit_test_setup(test_boot_counts, setup),
        cmocka_unit_test_setup(test_mode, setup),
        cmocka_unit_test_setup(test_pass_and_done, setup),
        cmocka_unit_test_setup(test_fail_with_zero_one_two_values, setup),
        cmocka_unit_test_setup(test_value_with_one_to_four_values, setup),
        cmocka_unit_test_setup(test_log_text, setup),
        cmocka_unit_test_setup(test_log_text_is_capped, setup),
        cmocka_unit_test_setup(test_unknown_kind, setup),
        cmocka_unit_test_setup(test_wrong_argument_counts, setup),
        cmocka_unit_test_setup(test_too_many_arguments_then_recovery, setup),
        cmocka_unit_test_setup(test_stray_log_text, setup),
        cmocka_unit_test_setup(test_cmd_ignores_bits_above_its_size, setup),
        cmocka_unit_test_setup(test_wrong_sizes_and_offsets_are_refused, setup),
        cmocka_unit_test_setup(test_no_event_callback, setup),
        cmocka_unit_test_setup(test_init_clears_state, setup),
        cmocka_unit_test_setup(test_format_truncates_and_terminates, setup),
        cmocka_unit_test_setup(test_format_worst_case_fits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
