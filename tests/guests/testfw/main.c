/*
 * Entry into C, in each mode. fw_cold (real mode only) runs once per reset; fw_warm runs
 * on every arrival from another mode and either takes the next step toward the target
 * mode or goes back to the script.
 */
#include "tests/guests/testfw/fw.h"

/* The shared block must look the same to all three builds. */
_Static_assert(sizeof(struct fw_shared) == 40, "fw_shared size");
_Static_assert(offsetof(struct fw_shared, last_value) == 32, "fw_shared.last_value");
_Static_assert(sizeof(struct fw_shared) <= FW_SHARED_SIZE, "fw_shared fits its page");

extern char __bss_start[], __bss_end[];

static void enter_mode(void)
{
    memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));
    exceptions_init();
    report_init();
}

#if FW_BITS == 16
NORETURN void fw_cold(void);
NORETURN void fw_cold(void)
{
    enter_mode();
    memset(FW_STATE, 0, sizeof(*FW_STATE));
    FW_STATE->magic = FW_SHARED_MAGIC;
    FW_STATE->tag = TESTDEV_TAG_NONE;
    FW_STATE->target_mode = TESTDEV_MODE_REAL;
    source_detect();
    report_boot();
    interp_run();
}
#endif

NORETURN void fw_warm(void);
NORETURN void fw_warm(void)
{
    enter_mode();
    report_mode(FW_STATE->tag, FW_MODE);
    if (FW_STATE->target_mode != FW_MODE)
        mode_step();
    FW_STATE->tag = TESTDEV_TAG_NONE;
    interp_run();
}

/*
 * An exception in an operation is that operation's result: report it and go on with the
 * next one (the operands are already read, and the stub gave us a fresh stack). One
 * while reporting means the firmware itself is broken: stop.
 */
NORETURN void fw_exception(uint32_t vector, uint32_t error, uint64_t ip)
{
    uint64_t values[2] = { vector | (uint64_t)error << 32, ip };
    if (FW_STATE->in_exception)
        cpu_halt_forever();
    FW_STATE->in_exception = 1;
    report_fail(FW_STATE->tag, TESTDEV_FAIL_EXCEPTION, values, 2);
    FW_STATE->in_exception = 0;
    FW_STATE->tag = TESTDEV_TAG_NONE;
    interp_run();
}
