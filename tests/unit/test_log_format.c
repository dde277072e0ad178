/* Unit tests for kernel/log_format: log line layout, TSC to microseconds, level names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/log_format.h"

/* Formats into a buffer pre-filled with '#' so writes past the NUL show up. */
static size_t fmt(char *buf, size_t bufsize, size_t cap, uint64_t us, enum log_level level,
                  const char *subsystem, const char *message)
{
    memset(buf, '#', bufsize);
    return log_format_line(buf, cap, us, level, subsystem, message);
}

static void expect_untouched_from(const char *buf, size_t from, size_t bufsize)
{
    for (size_t i = from; i < bufsize; i++)
        assert_int_equal(buf[i], '#');
}

static void test_line_format_levels(void **state)
{
    (void)state;
    char buf[128];
    static const struct { enum log_level level; const char *want; } cases[] = {
        { LOG_ERROR, "[     1.000002] E boot: hi\n" },
        { LOG_WARN,  "[     1.000002] W boot: hi\n" },
        { LOG_INFO,  "[     1.000002] I boot: hi\n" },
        { LOG_DEBUG, "[     1.000002] D boot: hi\n" },
        { (enum log_level)7, "[     1.000002] ? boot: hi\n" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = fmt(buf, sizeof(buf), sizeof(buf), 1000002, cases[i].level, "boot", "hi");
        assert_string_equal(buf, cases[i].want);
        assert_int_equal(n, 27);
        expect_untouched_from(buf, 28, sizeof(buf));
    }
}

static void test_line_format_timestamps(void **state)
{
    (void)state;
    char buf[128];
    size_t n;

    n = fmt(buf, sizeof(buf), sizeof(buf), 0, LOG_INFO, "mm", "memory map (firmware):");
    assert_string_equal(buf, "[     0.000000] I mm: memory map (firmware):\n");
    assert_int_equal(n, 45);

    n = fmt(buf, sizeof(buf), sizeof(buf), 999999, LOG_WARN, "tsc", "slow");
    assert_string_equal(buf, "[     0.999999] W tsc: slow\n");
    assert_int_equal(n, 28);

    n = fmt(buf, sizeof(buf), sizeof(buf), 123456789012ull, LOG_DEBUG, "x", "y");
    assert_string_equal(buf, "[123456.789012] D x: y\n");
    assert_int_equal(n, 23);

    /* More than 999999 seconds: the field widens instead of losing digits. */
    n = fmt(buf, sizeof(buf), sizeof(buf), 1234567000001ull, LOG_ERROR, "a", "b");
    assert_string_equal(buf, "[1234567.000001] E a: b\n");
    assert_int_equal(n, 24);

    n = fmt(buf, sizeof(buf), sizeof(buf), UINT64_MAX, LOG_INFO, "a", "b");
    assert_string_equal(buf, "[18446744073709.551615] I a: b\n");
    assert_int_equal(n, 31);

    /* Empty subsystem and message. */
    n = fmt(buf, sizeof(buf), sizeof(buf), 5, LOG_INFO, "", "");
    assert_string_equal(buf, "[     0.000005] I : \n");
    assert_int_equal(n, 21);
}

static void test_line_truncation(void **state)
{
    (void)state;
    char buf[64];
    size_t n;
    /* Full line: "[     1.000002] I boot: hello world\n" is 36 characters. */

    n = fmt(buf, sizeof(buf), 37, 1000002, LOG_INFO, "boot", "hello world");
    assert_string_equal(buf, "[     1.000002] I boot: hello world\n");
    assert_int_equal(n, 36);
    expect_untouched_from(buf, 37, sizeof(buf));

    /* One short: the cut line ends in "...\n" and the NUL sits at cap - 1. */
    n = fmt(buf, sizeof(buf), 36, 1000002, LOG_INFO, "boot", "hello world");
    assert_string_equal(buf, "[     1.000002] I boot: hello w...\n");
    assert_int_equal(n, 35);
    assert_int_equal(buf[35], '\0');
    expect_untouched_from(buf, 36, sizeof(buf));

    n = fmt(buf, sizeof(buf), 20, 1000002, LOG_INFO, "boot", "hello world");
    assert_string_equal(buf, "[     1.000002]...\n");
    assert_int_equal(n, 19);
    assert_int_equal(buf[19], '\0');
    expect_untouched_from(buf, 20, sizeof(buf));

    /* A very long message into a typical line buffer. */
    char msg[300];
    memset(msg, 'm', sizeof(msg) - 1);
    msg[sizeof(msg) - 1] = '\0';
    n = fmt(buf, sizeof(buf), sizeof(buf), 42, LOG_ERROR, "panic", msg);
    assert_int_equal(n, 63);
    assert_string_equal(buf, "[     0.000042] E panic: mmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmmm...\n");
}

static void test_line_tiny_caps(void **state)
{
    (void)state;
    char buf[16];
    size_t n;

    /* cap 0: nothing written at all. */
    n = fmt(buf, sizeof(buf), 0, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 0);
    expect_untouched_from(buf, 0, sizeof(buf));

    n = fmt(buf, sizeof(buf), 1, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 0);
    assert_int_equal(buf[0], '\0');
    expect_untouched_from(buf, 1, sizeof(buf));

    n = fmt(buf, sizeof(buf), 2, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 1);
    assert_string_equal(buf, "[");
    expect_untouched_from(buf, 2, sizeof(buf));

    /* Too small for the marker: plain cut, still terminated. */
    n = fmt(buf, sizeof(buf), 4, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 3);
    assert_string_equal(buf, "[  ");
    expect_untouched_from(buf, 4, sizeof(buf));

    /* Exactly room for the marker. */
    n = fmt(buf, sizeof(buf), 5, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 4);
    assert_string_equal(buf, "...\n");
    expect_untouched_from(buf, 5, sizeof(buf));

    n = fmt(buf, sizeof(buf), 6, 1000002, LOG_INFO, "boot", "hi");
    assert_int_equal(n, 5);
    assert_string_equal(buf, "[...\n");
    expect_untouched_from(buf, 6, sizeof(buf));
}

/* Reference: exact floor(delta * 10^6 / hz) in 128-bit arithmetic. */
static uint64_t ref_us(uint64_t delta, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)delta * 1000000u / hz);
}

static void test_tsc_delta_to_us_exact(void **state)
{
    (void)state;
    assert_int_equal(tsc_delta_to_us(0, 3000000000ull), 0);
    assert_int_equal(tsc_delta_to_us(1, 3000000000ull), 0);
    assert_int_equal(tsc_delta_to_us(2999, 3000000000ull), 0);
    assert_int_equal(tsc_delta_to_us(3000, 3000000000ull), 1);
    assert_int_equal(tsc_delta_to_us(5999, 3000000000ull), 1);
    assert_int_equal(tsc_delta_to_us(3000000000ull, 3000000000ull), 1000000);
    assert_int_equal(tsc_delta_to_us(3000006000ull, 3000000000ull), 1000002);
    assert_int_equal(tsc_delta_to_us(4499999999ull, 3000000000ull), 1499999);
    assert_int_equal(tsc_delta_to_us(1000000, 1000000), 1000000);
    assert_int_equal(tsc_delta_to_us(7, 1), 7000000);
    /* 2.5 GHz for one hour. */
    assert_int_equal(tsc_delta_to_us(9000000000000ull, 2500000000ull), 3600000000ull);
    /* An uneven clock: 2893437123 Hz, 10 s + 1234 ticks. */
    assert_int_equal(tsc_delta_to_us(28934372464ull, 2893437123ull), 10000000);
}

static void test_tsc_delta_to_us_uncalibrated(void **state)
{
    (void)state;
    assert_int_equal(tsc_delta_to_us(0, 0), 0);
    assert_int_equal(tsc_delta_to_us(123456789, 0), 0);
    assert_int_equal(tsc_delta_to_us(UINT64_MAX, 0), 0);
}

static void test_tsc_delta_to_us_large(void **state)
{
    (void)state;
    /* 2^64 - 1 ticks at 3 GHz: 6148914691.236517 s. */
    assert_int_equal(tsc_delta_to_us(UINT64_MAX, 3000000000ull), 6148914691236517ull);
    assert_int_equal(tsc_delta_to_us(UINT64_MAX - 1, 3000000000ull), 6148914691236517ull);
    assert_int_equal(tsc_delta_to_us(0x8000000000000000ull, 3000000000ull), 3074457345618258ull);

    static const uint64_t hzs[] = {
        1000000ull, 1193182ull, 100000000ull, 999999999ull, 1000000000ull, 2893437123ull,
        3000000000ull, 4294967296ull, 5000000000ull, 17000000000000ull,
    };
    static const uint64_t deltas[] = {
        UINT64_MAX, UINT64_MAX - 1, UINT64_MAX - 2999, 0xfffffffffffff000ull,
        0x8000000000000001ull, 0x7fffffffffffffffull, 0x0123456789abcdefull,
        0xfedcba9876543210ull, 18446744073ull, 1ull << 40,
    };
    for (size_t i = 0; i < sizeof(hzs) / sizeof(hzs[0]); i++) {
        for (size_t j = 0; j < sizeof(deltas) / sizeof(deltas[0]); j++) {
            unsigned __int128 exact = (unsigned __int128)deltas[j] * 1000000u / hzs[i];
            if (exact > UINT64_MAX)
                continue;   /* not representable: no defined answer */
            uint64_t got = tsc_delta_to_us(deltas[j], hzs[i]);
            if (got != ref_us(deltas[j], hzs[i]))
                fail_msg("tsc_delta_to_us(%#llx, %llu) = %llu, want %llu",
                         (unsigned long long)deltas[j], (unsigned long long)hzs[i],
                         (unsigned long long)got,
                         (unsigned long long)ref_us(deltas[j], hzs[i]));
        }
    }
}

static void test_log_level_parse(void **state)
{
    (void)state;
    enum log_level l;

    assert_int_equal(log_level_parse("error", &l), 0);
    assert_int_equal(l, LOG_ERROR);
    assert_int_equal(log_level_parse("warn", &l), 0);
    assert_int_equal(l, LOG_WARN);
    assert_int_equal(log_level_parse("info", &l), 0);
    assert_int_equal(l, LOG_INFO);
    assert_int_equal(log_level_parse("debug", &l), 0);
    assert_int_equal(l, LOG_DEBUG);

    static const char *const bad[] = {
        "", "ERROR", "Info", "warning", "inf", "debug ", " debug", "err", "trace", "3",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        l = (enum log_level)99;
        assert_int_equal(log_level_parse(bad[i], &l), -EINVAL);
        assert_int_equal(l, 99);
    }
}

static void test_log_level_letter(void **state)
{
    (void)state;
    assert_int_equal(log_level_letter(LOG_ERROR), 'E');
    assert_int_equal(log_level_letter(LOG_WARN), 'W');
    assert_int_equal(log_level_letter(LOG_INFO), 'I');
    assert_int_equal(log_level_letter(LOG_DEBUG), 'D');
    assert_int_equal(log_level_letter((enum log_level)4), '?');
}

/* The line as snprintf made it before log_format_line formatted it by hand. */
static size_t reference_line(char *buf, size_t cap, uint64_t us, enum log_level level,
                             const char *subsystem, const char *message)
{
    if (cap == 0)
        return 0;
    int n = snprintf(buf, cap, "[%6llu.%06llu] %c %s: %s\n", (unsigned long long)(us / 1000000u),
                     (unsigned long long)(us % 1000000u), log_level_letter(level), subsystem,
                     message);
    if ((size_t)n < cap)
        return (size_t)n;
    size_t len = cap - 1;
    if (len >= 4)
        memcpy(buf + len - 4, "...\n", 4);
    buf[len] = '\0';
    return len;
}

/* Byte for byte snprintf's line, for every cap from 0 up, timestamps from 0 to 2^64 - 1,
 * empty and long texts; nothing written past the NUL. */
static void test_line_matches_snprintf(void **state)
{
    (void)state;
    static const uint64_t stamps[] = { 0, 1, 999999, 1000000, 1000002, 123456789012ull,
                                       999999999999ull, 1000000000000ull, UINT64_MAX };
    static const char *const texts[] = { "", "x", "boot", "a rather longer message, 50 chars or so......" };
    char want[160], got[160];
    for (size_t t = 0; t < sizeof(stamps) / sizeof(stamps[0]); t++) {
        for (size_t a = 0; a < 4; a++) {
            for (size_t b = 0; b < 4; b++) {
                for (size_t cap = 0; cap < 120; cap++) {
                    memset(want, '#', sizeof(want));
                    memset(got, '#', sizeof(got));
                    enum log_level level = (enum log_level)((t + a + b) % 5);
                    size_t wn = reference_line(want, cap, stamps[t], level, texts[a], texts[b]);
                    size_t gn = log_format_line(got, cap, stamps[t], level, texts[a], texts[b]);
                    assert_int_equal(gn, wn);
                    assert_memory_equal(got, want, sizeof(got));
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_line_format_levels),
        cmocka_unit_test(test_line_format_timestamps),
        cmocka_unit_test(test_line_truncation),
        cmocka_unit_test(test_line_tiny_caps),
        cmocka_unit_test(test_line_matches_snprintf),
        cmocka_unit_test(test_tsc_delta_to_us_exact),
        cmocka_unit_test(test_tsc_delta_to_us_uncalibrated),
        cmocka_unit_test(test_tsc_delta_to_us_large),
        cmocka_unit_test(test_log_level_parse),
        cmocka_unit_test(test_log_level_letter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
