/*
 * The ambient services: what every layer reaches without being handed a pointer (the
 * log, the console it prints on, the panic latch, the inspect tree). Like every other
 * instance they are built by the composition root: kernel_ambient is defined in
 * kernel/main.c, and this header only names its type. Only kernel/core's own glue
 * (log.c, console.c, panic.c, inspect.c) touches it; everyone else uses their
 * functions (kernel/lib/log.h, kernel/lib/panic.h, kernel/core/console.h,
 * kernel/core/inspect.h).
 */
#ifndef MEZZ_KERNEL_CORE_AMBIENT_H
#define MEZZ_KERNEL_CORE_AMBIENT_H

#include <stdint.h>

#include "drivers/hw/uart16550.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log_format.h"
#include "kernel/lib/log_ring.h"

struct log_state {
    uint64_t boot_tsc;               /* time zero */
    uint64_t tsc_hz;                 /* 0 until calibrated */
    enum log_level console_level;    /* lines above it go to the ring only */
    struct log_ring ring;
};

struct kernel_ambient {
    struct log_state log;
    struct uart console;             /* COM1 */
    struct inspect_registry inspect;
    volatile int panic_depth;        /* > 0 while panicking */
};

extern struct kernel_ambient kernel_ambient;

/* The initial value kernel/main.c gives it. */
#define KERNEL_AMBIENT_INIT { .log = { .console_level = LOG_INFO } }

#endif
