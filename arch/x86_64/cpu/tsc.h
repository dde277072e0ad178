/* TSC frequency, calibrated against PIT channel 2 (the 8254's gate is port 0x61). */
#ifndef MEZZ_ARCH_TSC_H
#define MEZZ_ARCH_TSC_H

#include <stdint.h>

#define PIT_HZ 1193182u

/* Pure: TSC ticks per second given TSC ticks elapsed over pit_ticks PIT ticks. */
uint64_t tsc_hz_from_pit(uint64_t tsc_delta, uint32_t pit_ticks);

/* Measures over three 5 ms windows and keeps the smallest result. Returns 0 if the PIT
 * never counted down. */
uint64_t tsc_calibrate(void);

#endif
