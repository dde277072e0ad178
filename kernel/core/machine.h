/*
 * Ending the whole machine: power-off, reset, triple fault. Used by Mezzanine's own
 * test hooks today; VTL0's halts go to the host over the GET instead (SPEC section 5).
 */
#ifndef MEZZ_KERNEL_MACHINE_H
#define MEZZ_KERNEL_MACHINE_H

#include "kernel/lib/compiler.h"

/* ACPI S5 through the PIIX4 power-management function (PM1a_CNT: SLP_TYP=0, SLP_EN).
 * Panics if the machine is still running afterwards. */
NORETURN void machine_power_off(void);

/* Hard reset through the PIIX3 reset control register (0xCF9), then the keyboard
 * controller (0x64 <- 0xFE). Panics if neither takes effect. */
NORETURN void machine_reset(void);

/* An exception with an empty IDT: the CPU shuts down (triple fault). */
NORETURN void machine_triple_fault(void);

#endif
