/* PIT channel 2 one-shot used as a 10 ms reference for the TSC. */
#include "arch/x86_64/cpu/tsc.h"

#include "arch/x86_64/cpu/cpu.h"

#define PIT_CH2_DATA   0x42
#define PIT_COMMAND    0x43
#define PIT_GATE_PORT  0x61
#define PIT_GATE2      0x01     /* port 0x61 bit 0: channel 2 gate */
#define PIT_SPEAKER    0x02     /* port 0x61 bit 1: speaker data, kept off */
#define PIT_OUT2       0x20     /* port 0x61 bit 5: channel 2 output */
#define PIT_CMD_CH2_LOHI_MODE0 0xB0

#define CALIBRATION_TICKS (PIT_HZ / 200)   /* 5 ms per window */
#define CALIBRATION_WINDOWS 3
#define CALIBRATION_SPIN_LIMIT 100000000u

/* One PIT one-shot window. */
static uint64_t calibrate_once(void)
{
    uint8_t gate = inb(PIT_GATE_PORT);
    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) & ~PIT_GATE2));
    outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
    outb(PIT_CH2_DATA, CALIBRATION_TICKS & 0xFF);
    outb(PIT_CH2_DATA, CALIBRATION_TICKS >> 8);
    /* Mode 0 counts while the gate is high; OUT2 rises at terminal count. */
    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE2));

    uint64_t start = rdtsc();
    uint32_t spins = 0;
    while (!(inb(PIT_GATE_PORT) & PIT_OUT2)) {
        if (++spins == CALIBRATION_SPIN_LIMIT)
            return 0;
    }
    uint64_t end = rdtsc();
    outb(PIT_GATE_PORT, gate);
    return tsc_hz_from_pit(end - start, CALIBRATION_TICKS);
}

/* The smallest of a few windows: on a loaded host a window can only be stretched (the
 * polling loop loses the CPU after the PIT fired), never shortened. */
uint64_t tsc_calibrate(void)
{
    uint64_t best = 0;
    for (int i = 0; i < CALIBRATION_WINDOWS; i++) {
        uint64_t hz = calibrate_once();
        if (hz != 0 && (best == 0 || hz < best))
            best = hz;
    }
    return best;
}
