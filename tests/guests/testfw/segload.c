/*
 * SEGLOAD_ROM: the CPU's own write to a descriptor on a read-only page. Loading a
 * segment register from a descriptor whose accessed bit is clear makes the CPU set that
 * bit in memory (AMD APM vol. 2, "Code-Segment Descriptors"/"Data-Segment Descriptors",
 * the A bit). On a PC with the GDT in ROM the write goes nowhere and the load completes.
 * Here the GDT is the image's gdt_a_clear as seen at F0000h, which is ROM while the
 * PAM registers are at their reset value (everything reads from the firmware).
 * Protected and long mode; FS is loaded, used and put back. In protected mode CS too, by
 * a far JMP through a code descriptor with A clear and back.
 */
#include "tests/guests/testfw/fw.h"

#if FW_BITS == 16
int segload_rom(uint64_t desc_high[2], unsigned *n)
{
    (void)desc_high;
    (void)n;
    return TESTDEV_FAIL_UNSUPPORTED;
}
#else
struct __attribute__((packed)) seg_dtr {
    uint16_t limit;
    uintptr_t base;
};

#define SEL_DATA_A_CLEAR 0x08
#define SEL_CODE_A_CLEAR 0x10

/* Returns how many descriptor dwords it put in desc_high[]: the data descriptor's, and in
 * protected mode also the code descriptor's after a far JMP through it (EA ptr16:32;
 * 64-bit mode has no such JMP). */
int segload_rom(uint64_t desc_high[2], unsigned *n)
{
    /* The table is at a fixed image offset (layout.h), seen here through F0000h. */
    struct seg_dtr saved, rom;
    uint32_t probe = 0;
    __asm__ volatile("sgdt %0" : "=m"(saved));
    rom.limit = 23;
    rom.base = (uintptr_t)(FW_ROM_BASE + FW_GDT_A_CLEAR_OFF);
    __asm__ volatile("lgdt %1\n"
                     "movw %w2, %%fs\n"             /* the CPU sets A: a write to ROM */
                     "movl %%fs:(%3), %0\n"         /* FS works: read through it */
#if FW_BITS == 32
                     "ljmp $0x10, $1f\n"            /* CS from a descriptor with A clear */
                     "1:\n"
#endif
                     "xorl %%ecx, %%ecx\n"
                     "movw %%cx, %%fs\n"
                     "lgdt %4\n"
#if FW_BITS == 32
                     "ljmp $0x08, $2f\n"            /* SEL_CODE32 of the firmware's GDT */
                     "2:\n"
#endif
                     : "=&r"(probe)
                     : "m"(rom), "r"((uint32_t)SEL_DATA_A_CLEAR), "r"((uintptr_t)FW_SHARED),
                       "m"(saved)
                     : "ecx", "memory");
    const volatile uint32_t *gdt = (const volatile uint32_t *)(uintptr_t)(FW_ROM_BASE + FW_GDT_A_CLEAR_OFF);
    desc_high[0] = gdt[SEL_DATA_A_CLEAR / 4 + 1];
    desc_high[1] = gdt[SEL_CODE_A_CLEAR / 4 + 1];
    *n = FW_BITS == 32 ? 2 : 1;
    return probe == FW_SHARED_MAGIC ? 0 : TESTDEV_FAIL_MISMATCH;
}
#endif
