/* Unit tests for kernel/cmdline: boot options and size parsing. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/core/cmdline.h"

/* ---- a warn callback that records what it was told -------------------------------- */

#define MAX_WARNINGS 8

struct warnings {
    int count;
    char option[MAX_WARNINGS][256];
    char reason[MAX_WARNINGS][128];
};

static void record_warning(void *ctx, const char *option, const char *reason)
{
    struct warnings *w = ctx;
    assert_non_null(option);
    assert_non_null(reason);
    assert_true(w->count < MAX_WARNINGS);
    snprintf(w->option[w->count], sizeof(w->option[0]), "%s", option);
    snprintf(w->reason[w->count], sizeof(w->reason[0]), "%s", reason);
    w->count++;
}

static int parse(const char *cmdline, struct boot_options *opts, struct warnings *w)
{
    memset(w, 0, sizeof(*w));
    boot_options_default(opts);
    return cmdline_parse(cmdline, opts, record_warning, w);
}

static void expect_defaults(const struct boot_options *o)
{
    assert_int_equal(o->log_level, LOG_INFO);
    assert_int_equal(o->vtl2_size, 0x4000000);     /* 64 MiB */
    assert_int_equal(o->fault, TEST_FAULT_NONE);
    assert_int_equal(o->halt, TEST_HALT_NONE);
    assert_int_equal(o->bench, BENCH_NONE);
}

/* Parses a line holding one bad mezz.* option: one warning naming it, defaults kept. */
static void expect_rejected(const char *cmdline, const char *option, const char *reason)
{
    struct boot_options o;
    struct warnings w;
    assert_int_equal(parse(cmdline, &o, &w), 1);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.option[0], option);
    assert_string_equal(w.reason[0], reason);
    expect_defaults(&o);
}

/* ---- tests ------------------------------------------------------------------------ */

static void test_defaults(void **state)
{
    (void)state;
    struct boot_options o;
    memset(&o, 0xa5, sizeof(o));
    boot_options_default(&o);
    expect_defaults(&o);

    struct warnings w;
    assert_int_equal(parse("", &o, &w), 0);
    assert_int_equal(w.count, 0);
    expect_defaults(&o);
    assert_int_equal(parse("   \t  ", &o, &w), 0);
    assert_int_equal(w.count, 0);
    expect_defaults(&o);
}

static void test_log_levels(void **state)
{
    (void)state;
    static const struct { const char *line; enum log_level level; } cases[] = {
        { "mezz.log=error", LOG_ERROR },
        { "mezz.log=warn", LOG_WARN },
        { "mezz.log=info", LOG_INFO },
        { "mezz.log=debug", LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_options o;
        struct warnings w;
        assert_int_equal(parse(cases[i].line, &o, &w), 0);
        assert_int_equal(w.count, 0);
        assert_int_equal(o.log_level, cases[i].level);
        assert_int_equal(o.vtl2_size, 0x4000000);
        assert_int_equal(o.fault, TEST_FAULT_NONE);
        assert_int_equal(o.halt, TEST_HALT_NONE);
    }
}

static void test_vtl2_sizes_accepted(void **state)
{
    (void)state;
    static const struct { const char *line; uint64_t size; } cases[] = {
        { "mezz.vtl2_size=64M", 0x4000000 },
        { "mezz.vtl2_size=30M", 0x1e00000 },              /* the minimum */
        { "mezz.vtl2_size=32M", 0x2000000 },
        { "mezz.vtl2_size=128m", 0x8000000 },
        { "mezz.vtl2_size=1G", 0x40000000 },             /* the maximum */
        { "mezz.vtl2_size=1g", 0x40000000 },
        { "mezz.vtl2_size=1024M", 0x40000000 },
        { "mezz.vtl2_size=1048576K", 0x40000000 },
        { "mezz.vtl2_size=98304k", 0x6000000 },
        { "mezz.vtl2_size=67108864", 0x4000000 },        /* plain bytes */
        { "mezz.vtl2_size=100M", 0x6400000 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_options o;
        struct warnings w;
        assert_int_equal(parse(cases[i].line, &o, &w), 0);
        assert_int_equal(w.count, 0);
        assert_int_equal(o.vtl2_size, cases[i].size);
        assert_int_equal(o.log_level, LOG_INFO);
    }
}

static void test_vtl2_size_rules(void **state)
{
    (void)state;
    static const char range[] = "must be a multiple of 2M between the minimum and 1G";
    static const char syntax[] = "expected a size such as 64M";

    expect_rejected("mezz.vtl2_size=28M", "mezz.vtl2_size=28M", range);      /* below 30M */
    expect_rejected("mezz.vtl2_size=0", "mezz.vtl2_size=0", range);
    expect_rejected("mezz.vtl2_size=31M", "mezz.vtl2_size=31M", range);      /* not 2M aligned */
    expect_rejected("mezz.vtl2_size=65M", "mezz.vtl2_size=65M", range);
    expect_rejected("mezz.vtl2_size=65540K", "mezz.vtl2_size=65540K", range); /* 64M + 4K */
    expect_rejected("mezz.vtl2_size=1026M", "mezz.vtl2_size=1026M", range);  /* above 1G */
    expect_rejected("mezz.vtl2_size=2G", "mezz.vtl2_size=2G", range);
    expect_rejected("mezz.vtl2_size=67108865", "mezz.vtl2_size=67108865", range);
    expect_rejected("mezz.vtl2_size=64MB", "mezz.vtl2_size=64MB", syntax);
    expect_rejected("mezz.vtl2_size=", "mezz.vtl2_size=", syntax);
    expect_rejected("mezz.vtl2_size=big", "mezz.vtl2_size=big", syntax);
    expect_rejected("mezz.vtl2_size=-64M", "mezz.vtl2_size=-64M", syntax);
    expect_rejected("mezz.vtl2_size=0x4000000", "mezz.vtl2_size=0x4000000", syntax);
    expect_rejected("mezz.vtl2_size=99999999999999999999G", "mezz.vtl2_size=99999999999999999999G",
                    syntax);
    /* 2^64 + 2M wraps to 2M in 64 bits: it must not slip through as 2M. */
    expect_rejected("mezz.vtl2_size=17179869186G", "mezz.vtl2_size=17179869186G", syntax);
}

static void test_faults(void **state)
{
    (void)state;
    static const struct { const char *line; enum test_fault fault; const char *name; } cases[] = {
        { "mezz.fault=divide", TEST_FAULT_DIVIDE, "divide" },
        { "mezz.fault=page", TEST_FAULT_PAGE, "page" },
        { "mezz.fault=gp", TEST_FAULT_GP, "gp" },
        { "mezz.fault=ud", TEST_FAULT_UD, "ud" },
        { "mezz.fault=stack-overflow", TEST_FAULT_STACK_OVERFLOW, "stack-overflow" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_options o;
        struct warnings w;
        assert_int_equal(parse(cases[i].line, &o, &w), 0);
        assert_int_equal(w.count, 0);
        assert_int_equal(o.fault, cases[i].fault);
        assert_int_equal(o.halt, TEST_HALT_NONE);
        assert_string_equal(test_fault_name(cases[i].fault), cases[i].name);
    }
    assert_string_equal(test_fault_name(TEST_FAULT_NONE), "none");
    assert_string_equal(test_fault_name((enum test_fault)99), "?");

    static const char reason[] = "expected divide, page, gp, ud or stack-overflow";
    expect_rejected("mezz.fault=nmi", "mezz.fault=nmi", reason);
    expect_rejected("mezz.fault=", "mezz.fault=", reason);
    expect_rejected("mezz.fault=GP", "mezz.fault=GP", reason);
    expect_rejected("mezz.fault=page2", "mezz.fault=page2", reason);
}

static void test_halts(void **state)
{
    (void)state;
    static const struct { const char *line; enum test_halt halt; const char *name; } cases[] = {
        { "mezz.halt=power-off", TEST_HALT_POWER_OFF, "power-off" },
        { "mezz.halt=reset", TEST_HALT_RESET, "reset" },
        { "mezz.halt=triple-fault", TEST_HALT_TRIPLE_FAULT, "triple-fault" },
        { "mezz.halt=panic", TEST_HALT_PANIC, "panic" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_options o;
        struct warnings w;
        assert_int_equal(parse(cases[i].line, &o, &w), 0);
        assert_int_equal(w.count, 0);
        assert_int_equal(o.halt, cases[i].halt);
        assert_int_equal(o.fault, TEST_FAULT_NONE);
        assert_string_equal(test_halt_name(cases[i].halt), cases[i].name);
    }
    assert_string_equal(test_halt_name(TEST_HALT_NONE), "none");
    assert_string_equal(test_halt_name((enum test_halt)99), "?");

    static const char reason[] = "expected power-off, reset, triple-fault or panic";
    expect_rejected("mezz.halt=reboot", "mezz.halt=reboot", reason);
    expect_rejected("mezz.halt=", "mezz.halt=", reason);
    expect_rejected("mezz.halt=poweroff", "mezz.halt=poweroff", reason);
}

static void test_bench(void **state)
{
    (void)state;
    struct boot_options o;
    struct warnings w;
    assert_int_equal(parse("mezz.bench=exits", &o, &w), 0);
    assert_int_equal(w.count, 0);
    assert_int_equal(o.bench, BENCH_EXITS);
    expect_rejected("mezz.bench=fast", "mezz.bench=fast", "expected exits");
    expect_rejected("mezz.bench=", "mezz.bench=", "expected exits");
}

static void test_transport(void **state)
{
    (void)state;
    struct boot_options o;
    struct warnings w;
    assert_int_equal(parse("", &o, &w), 0);
    assert_false(o.force_uart);
    assert_int_equal(parse("mezz.transport=uart", &o, &w), 0);
    assert_true(o.force_uart);
    assert_int_equal(parse("mezz.transport=uart mezz.transport=ring", &o, &w), 0);
    assert_false(o.force_uart);
    expect_rejected("mezz.transport=rings", "mezz.transport=rings", "expected ring or uart");
}

static void test_pam_choices(void **state)
{
    (void)state;
    static const struct { const char *line; enum pam_choice pam; const char *name; } cases[] = {
        { "mezz.pam=auto", PAM_CHOICE_AUTO, "auto" },
        { "mezz.pam=openhcl", PAM_CHOICE_OPENHCL, "openhcl" },
        { "mezz.pam=get", PAM_CHOICE_OPENHCL, "openhcl" },      /* the old spelling */
        { "mezz.pam=faithful", PAM_CHOICE_FAITHFUL, "faithful" },
        { "mezz.pam=local", PAM_CHOICE_LOCAL, "local" },
        { "mezz.pam=local mezz.pam=faithful", PAM_CHOICE_FAITHFUL, "faithful" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct boot_options o;
        struct warnings w;
        assert_int_equal(parse(cases[i].line, &o, &w), 0);
        assert_int_equal(o.pam, cases[i].pam);
        assert_string_equal(pam_choice_name(o.pam), cases[i].name);
    }
    struct boot_options o;
    boot_options_default(&o);
    assert_int_equal(o.pam, PAM_CHOICE_AUTO);
    assert_string_equal(pam_choice_name((enum pam_choice)99), "?");
    static const char reason[] = "expected auto, openhcl, faithful or local";
    expect_rejected("mezz.pam=Faithful", "mezz.pam=Faithful", reason);
    expect_rejected("mezz.pam=", "mezz.pam=", reason);
    expect_rejected("mezz.pam=ohcl", "mezz.pam=ohcl", reason);
    struct warnings w;
    assert_int_equal(parse("mezz.pam=faithful mezz.pam=bogus", &o, &w), 1);
    assert_int_equal(o.pam, PAM_CHOICE_FAITHFUL);               /* a bad value changes nothing */
}

static void test_bad_log_level(void **state)
{
    (void)state;
    static const char reason[] = "expected error, warn, info or debug";
    expect_rejected("mezz.log=verbose", "mezz.log=verbose", reason);
    expect_rejected("mezz.log=", "mezz.log=", reason);
    expect_rejected("mezz.log=DEBUG", "mezz.log=DEBUG", reason);
    expect_rejected("mezz.log=debug=1", "mezz.log=debug=1", reason);
    /* Surrounding words do not change what is reported. */
    expect_rejected("quiet mezz.log=loud\tconsole=ttyS0", "mezz.log=loud", reason);
}

static void test_unknown_mezz_key(void **state)
{
    (void)state;
    expect_rejected("mezz.foo=1", "mezz.foo=1", "unknown option");
    expect_rejected("mezz.=1", "mezz.=1", "unknown option");
    expect_rejected("mezz.LOG=debug", "mezz.LOG=debug", "unknown option");
    expect_rejected("mezz.log.x=debug", "mezz.log.x=debug", "unknown option");
}

static void test_foreign_words_ignored(void **state)
{
    (void)state;
    struct boot_options o;
    struct warnings w;
    assert_int_equal(parse("console=ttyS0,115200 quiet root=/dev/sda1 init=/bin/sh "
                           "mezz=1 mezzanine.log=debug log=debug xmezz.log=debug "
                           "mezz.log mezz.vtl2_size", &o, &w), 0);
    assert_int_equal(w.count, 0);
    expect_defaults(&o);
}

static void test_several_options(void **state)
{
    (void)state;
    struct boot_options o;
    struct warnings w;
    /* QEMU's multiboot loader puts the kernel's path first. */
    int r = parse("/work/main/build/kernel.bin  quiet\tmezz.log=debug   mezz.bogus=1 "
                  "mezz.vtl2_size=128M\t\t"
                  "mezz.fault=ud mezz.halt=panic mezz.halt=nope console=ttyS0  ", &o, &w);
    assert_int_equal(r, 2);
    assert_int_equal(w.count, 2);
    assert_string_equal(w.option[0], "mezz.bogus=1");
    assert_string_equal(w.reason[0], "unknown option");
    assert_string_equal(w.option[1], "mezz.halt=nope");
    assert_string_equal(w.reason[1], "expected power-off, reset, triple-fault or panic");
    assert_int_equal(o.log_level, LOG_DEBUG);
    assert_int_equal(o.vtl2_size, 0x8000000);
    assert_int_equal(o.fault, TEST_FAULT_UD);
    assert_int_equal(o.halt, TEST_HALT_PANIC);     /* the bad later value did not clobber it */

    /* The last good value wins. */
    assert_int_equal(parse("mezz.log=debug mezz.log=error", &o, &w), 0);
    assert_int_equal(o.log_level, LOG_ERROR);
}

static void test_null_warn(void **state)
{
    (void)state;
    struct boot_options o;
    boot_options_default(&o);
    assert_int_equal(cmdline_parse("mezz.nope=1 mezz.log=warn mezz.log=x", &o, NULL, NULL), 2);
    assert_int_equal(o.log_level, LOG_WARN);
}

static void test_too_long_word(void **state)
{
    (void)state;
    char line[512], want[128];
    struct boot_options o;
    struct warnings w;

    /* 127 characters fit: this one is parsed and rejected for its value. */
    memset(line, 0, sizeof(line));
    strcpy(line, "mezz.log=");
    memset(line + 9, 'x', 127 - 9);
    assert_int_equal(strlen(line), 127);
    expect_rejected(line, line, "expected error, warn, info or debug");

    /* 128 characters: rejected as too long, reported cut to 127, defaults kept. */
    memset(line, 0, sizeof(line));
    strcpy(line, "mezz.log=");
    memset(line + 9, 'x', 128 - 9);
    memcpy(want, line, 127);
    want[127] = '\0';
    expect_rejected(line, want, "option too long");

    /* A long valid-looking value is not applied, and later options still are. */
    memset(line, 0, sizeof(line));
    strcpy(line, "mezz.vtl2_size=");
    memset(line + 15, '0', 300);
    strcat(line, "64M mezz.log=debug");
    assert_int_equal(parse(line, &o, &w), 1);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.reason[0], "option too long");
    assert_int_equal(strlen(w.option[0]), 127);
    assert_int_equal(strncmp(w.option[0], "mezz.vtl2_size=000", 18), 0);
    assert_int_equal(o.vtl2_size, 0x4000000);
    assert_int_equal(o.log_level, LOG_DEBUG);

    /* A mezz.* option whose '=' lies beyond the cut is still a mezz.* option. */
    memset(line, 0, sizeof(line));
    strcpy(line, "mezz.");
    memset(line + 5, 'k', 200);
    strcat(line, "=1");
    memcpy(want, line, 127);
    want[127] = '\0';
    expect_rejected(line, want, "option too long");

    /* Too-long foreign words are ignored silently. */
    memset(line, 0, sizeof(line));
    strcpy(line, "root=");
    memset(line + 5, 'r', 300);
    strcat(line, " mezz.halt=reset");
    assert_int_equal(parse(line, &o, &w), 0);
    assert_int_equal(w.count, 0);
    assert_int_equal(o.halt, TEST_HALT_RESET);
}

static void test_servicing_test_hooks(void **state)
{
    (void)state;
    struct boot_options o;
    struct warnings w;
    assert_int_equal(parse("mezz.servicing_test=restore-stuck", &o, &w), 0);
    assert_true(o.servicing_restore_stuck);
    assert_false(o.servicing_restore_fail || o.servicing_save_fail);
    assert_int_equal(parse("mezz.servicing_test=restore-fail", &o, &w), 0);
    assert_true(o.servicing_restore_fail);
    assert_false(o.servicing_restore_stuck);
    expect_rejected("mezz.servicing_test=stuck", "mezz.servicing_test=stuck",
                    "expected save-fail, restore-fail or restore-stuck");
}

static void test_parse_size(void **state)
{
    (void)state;
    static const struct { const char *text; uint64_t value; } good[] = {
        { "0", 0 },
        { "1", 1 },
        { "4096", 4096 },
        { "007", 7 },
        { "512K", 524288 },
        { "512k", 524288 },
        { "64M", 67108864 },
        { "64m", 67108864 },
        { "1G", 1073741824 },
        { "3g", 3221225472ull },
        { "0K", 0 },
        { "18446744073709551615", UINT64_MAX },
        { "17179869183G", 0xffffffffc0000000ull },
        { "17592186044415M", 0xfffffffffff00000ull },
        { "18014398509481983K", 0xfffffffffffffc00ull },
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t v = 0xdeadbeef;
        assert_int_equal(parse_size(good[i].text, &v), 0);
        assert_int_equal(v, good[i].value);
    }

    static const char *const bad[] = {
        "", "K", "M", "G", "-1", "+1", " 1", "1 ", "1.5G", "0x10", "64MB", "64T", "64KK",
        "1e6", "M64", "12a", "18446744073709551616", "99999999999999999999",
        "17179869184G", "17592186044416M", "18014398509481984K",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 0xdeadbeef;
        int r = parse_size(bad[i], &v);
        if (r != -EINVAL)
            fail_msg("parse_size(\"%s\") = %d, want -EINVAL", bad[i], r);
        assert_int_equal(v, 0xdeadbeef);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_log_levels),
        cmocka_unit_test(test_vtl2_sizes_accepted),
        cmocka_unit_test(test_vtl2_size_rules),
        cmocka_unit_test(test_faults),
        cmocka_unit_test(test_halts),
        cmocka_unit_test(test_bench),
        cmocka_unit_test(test_transport),
        cmocka_unit_test(test_pam_choices),
        cmocka_unit_test(test_bad_log_level),
        cmocka_unit_test(test_unknown_mezz_key),
        cmocka_unit_test(test_foreign_words_ignored),
        cmocka_unit_test(test_several_options),
        cmocka_unit_test(test_null_warn),
        cmocka_unit_test(test_too_long_word),
        cmocka_unit_test(test_servicing_test_hooks),
        cmocka_unit_test(test_parse_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
