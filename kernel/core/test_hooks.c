/* Test-only faults and halts; see test_hooks.h. Each fault has its own function so the
 * harness can check that the dumped RIP lies inside it (nm on kernel.elf). */
#include "kernel/core/test_hooks.h"

#include "kernel/lib/log.h"
#include "kernel/core/machine.h"
#include "kernel/lib/panic.h"

NOINLINE void fault_inject_divide(void);
NOINLINE void fault_inject_page(void);
NOINLINE void fault_inject_gp(void);
NOINLINE void fault_inject_ud(void);
NOINLINE unsigned fault_inject_stack_overflow(unsigned depth, unsigned limit);

NOINLINE void fault_inject_divide(void)
{
    __asm__ volatile("xorl %%ecx, %%ecx\n\tdivl %%ecx" : : : "eax", "ecx", "edx");
}

NOINLINE void fault_inject_page(void)
{
    log_info("fault", "fault: touching unmapped address 0x%016llx",
             (unsigned long long)TEST_UNMAPPED_ADDRESS);
    (void)*(volatile uint64_t *)(uintptr_t)TEST_UNMAPPED_ADDRESS;
}

NOINLINE void fault_inject_gp(void)
{
    log_info("fault", "fault: reading non-canonical address 0x%016llx",
             (unsigned long long)TEST_NONCANONICAL_ADDRESS);
    uint64_t value;
    __asm__ volatile("movq (%1), %0" : "=r"(value) : "r"(TEST_NONCANONICAL_ADDRESS) : "memory");
    (void)value;
}

NOINLINE void fault_inject_ud(void)
{
    __asm__ volatile("ud2");
}

/* Each frame holds 512 bytes the compiler cannot drop, and the addition after the
 * call stops tail-call elimination, so the stack grows until it hits the guard page.
 * limit comes from a volatile read, so the compiler cannot see that it is never met. */
NOINLINE unsigned fault_inject_stack_overflow(unsigned depth, unsigned limit)
{
    volatile uint8_t frame[512];
    if (depth == limit)
        return 0;
    frame[0] = (uint8_t)depth;
    frame[511] = (uint8_t)depth;
    return fault_inject_stack_overflow(depth + 1, limit) + frame[0] + frame[511];
}

void test_hooks_run(const struct boot_options *opts)
{
    if (opts->fault != TEST_FAULT_NONE)
        log_info("test", "test hook: taking fault '%s'", test_fault_name(opts->fault));
    switch (opts->fault) {
    case TEST_FAULT_NONE: break;
    case TEST_FAULT_DIVIDE: fault_inject_divide(); break;
    case TEST_FAULT_PAGE: fault_inject_page(); break;
    case TEST_FAULT_GP: fault_inject_gp(); break;
    case TEST_FAULT_UD: fault_inject_ud(); break;
    case TEST_FAULT_STACK_OVERFLOW: {
        volatile unsigned never = ~0u;   /* the guard page is reached long before */
        (void)fault_inject_stack_overflow(0, never);
        break;
    }
    }
    if (opts->fault != TEST_FAULT_NONE)
        panic("test hook: fault '%s' did not fault", test_fault_name(opts->fault));

    switch (opts->halt) {
    case TEST_HALT_NONE: break;
    case TEST_HALT_POWER_OFF: machine_power_off();
    case TEST_HALT_RESET: machine_reset();
    case TEST_HALT_TRIPLE_FAULT: machine_triple_fault();
    case TEST_HALT_PANIC: panic("test panic requested by mezz.halt=panic");
    }
}
