/*
 * panic(): only for broken invariants inside Mezzanine, never for anything the host or
 * VTL0 can cause. Prints "PANIC: message" and exits QEMU through isa-debug-exit with
 * MEZZ_EXIT_PANIC, so the host sees status (0x21 << 1) | 1 = 67 (docs/boot-contract.md).
 */
#ifndef MEZZ_KERNEL_PANIC_H
#define MEZZ_KERNEL_PANIC_H

#include "kernel/lib/compiler.h"

#define DEBUG_EXIT_PORT  0xF4
#define MEZZ_EXIT_PANIC  0x21

NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
