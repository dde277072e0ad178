/*
 * Kernel command line: space-separated key=value options (docs/boot-contract.md).
 * Pure: unknown keys and bad values are reported through a callback and leave the
 * defaults in place; nothing on the command line can stop the boot.
 */
#ifndef MEZZ_KERNEL_CMDLINE_H
#define MEZZ_KERNEL_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/log_format.h"

enum test_fault {
    TEST_FAULT_NONE = 0,
    TEST_FAULT_DIVIDE,          /* #DE */
    TEST_FAULT_PAGE,            /* #PF on an unmapped address */
    TEST_FAULT_GP,              /* #GP from a non-canonical access */
    TEST_FAULT_UD,              /* #UD from ud2 */
    TEST_FAULT_STACK_OVERFLOW,  /* #PF on the stack guard, delivered as #DF on IST */
};

enum test_halt {
    TEST_HALT_NONE = 0,
    TEST_HALT_POWER_OFF,
    TEST_HALT_RESET,
    TEST_HALT_TRIPLE_FAULT,
    TEST_HALT_PANIC,
};

enum bench_kind {
    BENCH_NONE = 0,
    BENCH_EXITS,                /* kernel/vtl0/bench_exits.c: exit cost, bare vs full path */
};

/* mezz.pam= (docs/pam.md): which PAM backend carries out the bridge's ranges. */
enum pam_choice {
    PAM_CHOICE_AUTO = 0,        /* OpenHCL's GET-backed rules if a host answers, else local */
    PAM_CHOICE_OPENHCL,         /* GET-backed, OpenHCL's rules ("get" is the old spelling) */
    PAM_CHOICE_FAITHFUL,        /* GET-backed, the local view through host ranges */
    PAM_CHOICE_LOCAL,           /* OpenVMM's RAM visibility, no GET */
};

const char *pam_choice_name(enum pam_choice choice);

struct boot_options {
    enum log_level log_level;
    uint64_t vtl2_size;
    enum test_fault fault;
    enum test_halt halt;
    enum bench_kind bench;
    enum pam_choice pam;
    bool force_uart;            /* mezz.transport=uart: host channels stay on the UARTs */
    bool bridge_i440fx;         /* mezz.bridge_id=i440fx: present 8086:1237 (SeaBIOS) */
    /* mezz.servicing_test=save-fail: OpenHCL's OPENHCL_TEST_CONFIG=SERVICING_SAVE_FAIL, the
     * save fails after VTL0 stopped; =restore-fail: a new instance's restore fails (not a
     * rollback's); =restore-stuck: OpenHCL's SERVICING_RESTORE_STUCK, a new instance stalls
     * in its restore for ever, and the restore watchdog rolls back (docs/servicing.md). */
    bool servicing_save_fail;
    bool servicing_restore_fail;
    bool servicing_restore_stuck;
};

/* Called once per rejected option; `reason` is a static string. */
typedef void (*cmdline_warn_fn)(void *ctx, const char *option, const char *reason);

void boot_options_default(struct boot_options *opts);

/*
 * Parses `cmdline` (NUL terminated, untrusted) into *opts. Words without '=' and keys
 * outside the "mezz." namespace are ignored silently (they belong to someone else).
 * Returns the number of rejected mezz.* options.
 */
int cmdline_parse(const char *cmdline, struct boot_options *opts, cmdline_warn_fn warn, void *ctx);

/* Parses a size like "64M", "1G", "4096", "512K". Returns 0 or -EINVAL (also on overflow). */
int parse_size(const char *text, uint64_t *out);

const char *test_fault_name(enum test_fault fault);
const char *test_halt_name(enum test_halt halt);

#endif
