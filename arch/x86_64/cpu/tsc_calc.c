/* Pure part of TSC calibration. */
#include "arch/x86_64/cpu/tsc.h"

uint64_t tsc_hz_from_pit(uint64_t tsc_delta, uint32_t pit_ticks)
{
    if (pit_ticks == 0)
        return 0;
    /* tsc_delta over ~10 ms stays far below 2^64 / PIT_HZ for any real clock. */
    if (tsc_delta > UINT64_MAX / PIT_HZ)
        return 0;
    return tsc_delta * PIT_HZ / pit_ticks;
}
