/* panic(); see panic.h. */
#include "kernel/lib/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/core/ambient.h"
#include "kernel/core/console.h"
#include "kernel/lib/log.h"

NORETURN void panic(const char *fmt, ...)
{
    char line[320];
    va_list ap;

    __asm__ volatile("cli");
    if (kernel_ambient.panic_depth++) {
        /* A panic while panicking: say so without formatting anything, then leave. */
        console_puts("\nPANIC: nested panic\n");
        outl(DEBUG_EXIT_PORT, MEZZ_EXIT_PANIC);
        cpu_halt_forever();
    }

    int n = snprintf(line, sizeof(line), "PANIC: ");
    va_start(ap, fmt);
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    log_raw_line(line);

    outl(DEBUG_EXIT_PORT, MEZZ_EXIT_PANIC);
    /* No isa-debug-exit device: stay stopped rather than run on. */
    cpu_halt_forever();
}
