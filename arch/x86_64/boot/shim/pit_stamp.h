/*
 * TSC frequency measured while the shim works, not instead of it: PIT channel 2 counts
 * down from 0xFFFF (55 ms) from the shim's start; just before entering the kernel the
 * count is latched next to a TSC read, so the window is the shim's own run time (made
 * up to PIT_STAMP_MIN_TICKS if the shim was quicker; it normally takes about 5 ms under
 * TCG, half of it the SHA-256 of the image: tools/bench/boot_phases). The kernel then
 * skips its 15 ms calibration (SPEC section 8).
 */
#ifndef MEZZ_ARCH_SHIM_PIT_STAMP_H
#define MEZZ_ARCH_SHIM_PIT_STAMP_H

#include <stdint.h>

#define PIT_STAMP_MIN_TICKS (1193182u / 500)   /* 2 ms: +-0.05% on TCG, measured */

struct pit_stamp {
    uint64_t tsc_start;
    uint8_t gate_saved;
};

void pit_stamp_start(struct pit_stamp *stamp);
/* TSC ticks per second, or 0 if the PIT wrapped (the shim took over 55 ms) or never ran. */
uint64_t pit_stamp_finish(struct pit_stamp *stamp);

#endif
