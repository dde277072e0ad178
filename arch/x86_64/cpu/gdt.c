/* GDT, TSS and interrupt stacks; see gdt.h. */
#include "arch/x86_64/cpu/gdt.h"


/* Descriptor bits (APM vol. 2, "Code-Segment Descriptors" in long mode). */
#define DESC_ACCESSED (1ull << 40)
#define DESC_RW       (1ull << 41)
#define DESC_CODE     (1ull << 43)
#define DESC_S        (1ull << 44)    /* code/data, not system */
#define DESC_P        (1ull << 47)
#define DESC_L        (1ull << 53)    /* 64-bit code */
#define DESC_DB       (1ull << 54)
#define DESC_G        (1ull << 55)
#define DESC_LIMIT_MAX (0xFFFFull | (0xFull << 48))
#define DESC_TYPE_TSS_AVAILABLE (0x9ull << 40)

struct gdt_pointer {
    uint16_t limit;
    uint64_t base;
} PACKED;
STATIC_ASSERT_SIZE(struct gdt_pointer, 10);

void gdt_init(struct gdt_tables *t)
{
    uint64_t *gdt = t->gdt;
    struct tss64 *tss = &t->tss;
    uint64_t tss_base = (uint64_t)(uintptr_t)tss;
    uint64_t tss_limit = sizeof(*tss) - 1;

    gdt[0] = 0;
    gdt[GDT_SEL_KERNEL_CODE / 8] = DESC_P | DESC_S | DESC_CODE | DESC_RW | DESC_ACCESSED |
                                   DESC_L | DESC_G | DESC_LIMIT_MAX;
    gdt[GDT_SEL_KERNEL_DATA / 8] = DESC_P | DESC_S | DESC_RW | DESC_ACCESSED | DESC_DB |
                                   DESC_G | DESC_LIMIT_MAX;
    /* A 64-bit TSS descriptor takes two slots: base 63:32 sits in the second one. */
    gdt[GDT_SEL_TSS / 8] = DESC_P | DESC_TYPE_TSS_AVAILABLE | (tss_limit & 0xFFFF) |
                           ((tss_base & 0xFFFFFF) << 16) | ((tss_base >> 24 & 0xFF) << 56);
    gdt[GDT_SEL_TSS / 8 + 1] = tss_base >> 32;

    for (int i = 0; i < IST_COUNT; i++)
        tss->ist[i] = (uint64_t)(uintptr_t)&t->ist_stacks[i][IST_STACK_SIZE];
    tss->iopb_offset = sizeof(*tss);  /* no I/O permission bitmap */

    struct gdt_pointer ptr = { .limit = sizeof(t->gdt) - 1, .base = (uint64_t)(uintptr_t)gdt };
    __asm__ volatile(
        "lgdt %0\n\t"
        "pushq %1\n\t"
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "movw %w2, %%ax\n\t"
        "movw %%ax, %%ds\n\t"
        "movw %%ax, %%es\n\t"
        "movw %%ax, %%ss\n\t"
        "ltr %w3\n\t"
        :
        : "m"(ptr), "i"(GDT_SEL_KERNEL_CODE), "r"((uint64_t)GDT_SEL_KERNEL_DATA),
          "r"((uint64_t)GDT_SEL_TSS)
        : "rax", "memory");
}
