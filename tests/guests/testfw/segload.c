/*
 * SEGLOAD_ROM: the CPU's own write to a descriptor on a read-only page. Loading a
 * segment register from a descriptor whose accessed bit is clear makes the CPU set that
 * bit in memory (AMD APM vol. 2, "Code-Segment Descriptors"/"Data-Segment Descriptors",
 * the A bit). On a PC with the GDT in ROM the write goes nowhere and the load completes.
 * Here the GDT is the image's gdt_a_clear as seen at F0000h, which is ROM while the
 * PAM registers are at their reset value (everything reads from the firmware).
 * Protected and long mode; FS is loaded, used and put back.
 */
#include "tests/guests/testfw/fw.h"

#if FW_BITS == 16
int segload_rom(uint64_t *desc_high)
{
    (void)desc_high;
    return TESTDEV_FAIL_UNSUPPORTED;
}
#else
struct __attribute__((packed)) seg_dtr {
    uint16_t limit;
    uintptr_t base;
};

#define SEL_A_CLEAR 0x08

int segload_rom(uint64_t *desc_high)
{
    /* The table is at a fixed image offset (layout.h), seen here through F0000h. */
    struct seg_dtr saved, rom;
    uint32_t probe = 0;
    __asm__ volatile("sgdt %0" : "=m"(saved));
    rom.limit = 15;
    rom.base = (uintptr_t)(FW_ROM_BASE + FW_GDT_A_CLEAR_OFF);
    __asm__ volatile("lgdt %1\n"
                     "movw %w2, %%fs\n"             /* the CPU sets A: a write to ROM */
                     "movl %%fs:(%3), %0\n"         /* FS works: read through it */
                     "xorl %%ecx, %%ecx\n"
                     "movw %%cx, %%fs\n"
                     "lgdt %4\n"
                     : "=&r"(probe)
                     : "m"(rom), "r"((uint32_t)SEL_A_CLEAR), "r"((uintptr_t)FW_SHARED), "m"(saved)
                     : "ecx", "memory");
    *desc_high = *(volatile const uint32_t *)(uintptr_t)(FW_ROM_BASE + FW_GDT_A_CLEAR_OFF + 12);
    return probe == FW_SHARED_MAGIC ? 0 : TESTDEV_FAIL_MISMATCH;
}
#endif
