/* Kernel command line parsing; see cmdline.h. */
#include "kernel/core/cmdline.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "mm/memmap.h"

#define MAX_WORD 128

static const char *const fault_names[] = {
    [TEST_FAULT_NONE] = "none",
    [TEST_FAULT_DIVIDE] = "divide",
    [TEST_FAULT_PAGE] = "page",
    [TEST_FAULT_GP] = "gp",
    [TEST_FAULT_UD] = "ud",
    [TEST_FAULT_STACK_OVERFLOW] = "stack-overflow",
};

static const char *const halt_names[] = {
    [TEST_HALT_NONE] = "none",
    [TEST_HALT_POWER_OFF] = "power-off",
    [TEST_HALT_RESET] = "reset",
    [TEST_HALT_TRIPLE_FAULT] = "triple-fault",
    [TEST_HALT_PANIC] = "panic",
};

static const char *const pam_names[] = {
    [PAM_CHOICE_AUTO] = "auto",
    [PAM_CHOICE_OPENHCL] = "openhcl",
    [PAM_CHOICE_FAITHFUL] = "faithful",
    [PAM_CHOICE_LOCAL] = "local",
};

const char *pam_choice_name(enum pam_choice choice)
{
    return (unsigned)choice < ARRAY_SIZE(pam_names) ? pam_names[choice] : "?";
}

const char *test_fault_name(enum test_fault fault)
{
    return (unsigned)fault < ARRAY_SIZE(fault_names) ? fault_names[fault] : "?";
}

const char *test_halt_name(enum test_halt halt)
{
    return (unsigned)halt < ARRAY_SIZE(halt_names) ? halt_names[halt] : "?";
}

static int lookup(const char *const *names, size_t count, const char *value)
{
    for (size_t i = 1; i < count; i++) {
        if (strcmp(names[i], value) == 0)
            return (int)i;
    }
    return -1;
}

void boot_options_default(struct boot_options *opts)
{
    opts->log_level = LOG_INFO;
    opts->vtl2_size = VTL2_DEFAULT_SIZE;
    opts->fault = TEST_FAULT_NONE;
    opts->halt = TEST_HALT_NONE;
    opts->bench = BENCH_NONE;
    opts->pam = PAM_CHOICE_AUTO;
    opts->bridge_i440fx = false;
    opts->force_uart = false;
    opts->servicing_save_fail = false;
    opts->servicing_restore_fail = false;
    opts->servicing_restore_stuck = false;
}

int parse_size(const char *text, uint64_t *out)
{
    uint64_t value = 0;
    const char *p = text;

    if (*p < '0' || *p > '9')
        return -EINVAL;
    while (*p >= '0' && *p <= '9') {
        uint64_t digit = (uint64_t)(*p - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return -EINVAL;
        value = value * 10 + digit;
        p++;
    }
    unsigned shift = 0;
    switch (*p) {
    case 'K': case 'k': shift = 10; p++; break;
    case 'M': case 'm': shift = 20; p++; break;
    case 'G': case 'g': shift = 30; p++; break;
    default: break;
    }
    if (*p != '\0')
        return -EINVAL;
    if (shift && value > (UINT64_MAX >> shift))
        return -EINVAL;
    *out = value << shift;
    return 0;
}

/* Applies one "key=value" word; returns a static reason on rejection, NULL if accepted. */
static const char *apply_option(struct boot_options *opts, const char *key, const char *value)
{
    if (strcmp(key, "mezz.log") == 0) {
        enum log_level level;
        if (log_level_parse(value, &level) != 0)
            return "expected error, warn, info or debug";
        opts->log_level = level;
    } else if (strcmp(key, "mezz.vtl2_size") == 0) {
        uint64_t size;
        if (parse_size(value, &size) != 0)
            return "expected a size such as 64M";
        if (size < VTL2_MIN_SIZE || size > VTL2_MAX_SIZE || !IS_ALIGNED(size, VTL2_ALIGN))
            return "must be a multiple of 2M between the minimum and 1G";
        opts->vtl2_size = size;
    } else if (strcmp(key, "mezz.fault") == 0) {
        int f = lookup(fault_names, ARRAY_SIZE(fault_names), value);
        if (f < 0)
            return "expected divide, page, gp, ud or stack-overflow";
        opts->fault = (enum test_fault)f;
    } else if (strcmp(key, "mezz.halt") == 0) {
        int h = lookup(halt_names, ARRAY_SIZE(halt_names), value);
        if (h < 0)
            return "expected power-off, reset, triple-fault or panic";
        opts->halt = (enum test_halt)h;
    } else if (strcmp(key, "mezz.pam") == 0) {
        int c = lookup(pam_names, ARRAY_SIZE(pam_names), value);
        if (strcmp(value, "auto") == 0)
            c = PAM_CHOICE_AUTO;
        else if (strcmp(value, "get") == 0)     /* the spelling before the faithful rules */
            c = PAM_CHOICE_OPENHCL;
        if (c < 0)
            return "expected auto, openhcl, faithful or local";
        opts->pam = (enum pam_choice)c;
    } else if (strcmp(key, "mezz.servicing_test") == 0) {
        if (strcmp(value, "save-fail") == 0)
            opts->servicing_save_fail = true;
        else if (strcmp(value, "restore-fail") == 0)
            opts->servicing_restore_fail = true;
        else if (strcmp(value, "restore-stuck") == 0)
            opts->servicing_restore_stuck = true;
        else
            return "expected save-fail, restore-fail or restore-stuck";
    } else if (strcmp(key, "mezz.bridge_id") == 0) {
        if (strcmp(value, "i440bx") == 0)
            opts->bridge_i440fx = false;
        else if (strcmp(value, "i440fx") == 0)
            opts->bridge_i440fx = true;
        else
            return "expected i440bx or i440fx";
    } else if (strcmp(key, "mezz.transport") == 0) {
        if (strcmp(value, "uart") == 0)
            opts->force_uart = true;
        else if (strcmp(value, "ring") == 0)
            opts->force_uart = false;
        else
            return "expected ring or uart";
    } else if (strcmp(key, "mezz.bench") == 0) {
        if (strcmp(value, "exits") != 0)
            return "expected exits";
        opts->bench = BENCH_EXITS;
    } else {
        return "unknown option";
    }
    return NULL;
}

int cmdline_parse(const char *cmdline, struct boot_options *opts, cmdline_warn_fn warn, void *ctx)
{
    char word[MAX_WORD];
    int rejected = 0;
    const char *p = cmdline;

    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        size_t len = 0;
        bool too_long = false;
        bool has_eq = false;    /* anywhere in the word, also past the cut */
        while (*p != '\0' && *p != ' ' && *p != '\t') {
            if (*p == '=')
                has_eq = true;
            if (len + 1 < sizeof(word))
                word[len++] = *p;
            else
                too_long = true;
            p++;
        }
        word[len] = '\0';

        if (!has_eq || strncmp(word, "mezz.", 5) != 0)
            continue;
        if (too_long) {
            rejected++;
            if (warn)
                warn(ctx, word, "option too long");
            continue;
        }
        char *eq = strchr(word, '=');
        *eq = '\0';
        const char *reason = apply_option(opts, word, eq + 1);
        if (reason != NULL) {
            rejected++;
            *eq = '=';
            if (warn)
                warn(ctx, word, reason);
        }
    }
    return rejected;
}
