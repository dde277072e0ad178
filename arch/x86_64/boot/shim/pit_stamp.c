/* See pit_stamp.h. 8254 programming as arch/x86_64/cpu/tsc.c does it (mode 0 on channel
 * 2, gate through port 0x61), plus the counter-latch command to read the count live. */
#include "arch/x86_64/boot/shim/pit_stamp.h"

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/cpu/tsc.h"

#define PIT_CH2_DATA   0x42
#define PIT_COMMAND    0x43
#define PIT_GATE_PORT  0x61
#define PIT_GATE2      0x01
#define PIT_SPEAKER    0x02
#define PIT_OUT2       0x20
#define PIT_CMD_CH2_LOHI_MODE0 0xB0
#define PIT_CMD_CH2_LATCH      0x80
#define PIT_START_COUNT        0xFFFFu

void pit_stamp_start(struct pit_stamp *stamp)
{
    uint8_t gate = inb(PIT_GATE_PORT);
    stamp->gate_saved = gate;
    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) & ~PIT_GATE2));
    outb(PIT_COMMAND, PIT_CMD_CH2_LOHI_MODE0);
    outb(PIT_CH2_DATA, PIT_START_COUNT & 0xFF);
    outb(PIT_CH2_DATA, PIT_START_COUNT >> 8);
    outb(PIT_GATE_PORT, (uint8_t)((gate & ~PIT_SPEAKER) | PIT_GATE2));
    stamp->tsc_start = rdtsc();
}

static uint32_t elapsed_ticks(uint64_t *tsc_now)
{
    outb(PIT_COMMAND, PIT_CMD_CH2_LATCH);
    *tsc_now = rdtsc();
    uint32_t lo = inb(PIT_CH2_DATA);
    uint32_t hi = inb(PIT_CH2_DATA);
    return PIT_START_COUNT - ((hi << 8) | lo);
}

uint64_t pit_stamp_finish(struct pit_stamp *stamp)
{
    uint64_t tsc_now = 0;
    uint32_t ticks = 0;
    for (uint32_t spins = 0; spins < 100000000u; spins++) {
        ticks = elapsed_ticks(&tsc_now);
        if (inb(PIT_GATE_PORT) & PIT_OUT2) {   /* terminal count passed: the count wrapped */
            ticks = 0;
            break;
        }
        if (ticks >= PIT_STAMP_MIN_TICKS)
            break;
    }
    outb(PIT_GATE_PORT, stamp->gate_saved);
    if (ticks < PIT_STAMP_MIN_TICKS)
        return 0;
    return tsc_hz_from_pit(tsc_now - stamp->tsc_start, ticks);
}
