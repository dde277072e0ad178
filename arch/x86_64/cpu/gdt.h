/* VTL2's GDT and TSS (AMD APM vol. 2, "Long-Mode Segment Descriptors", "64-Bit TSS"). */
#ifndef MEZZ_ARCH_GDT_H
#define MEZZ_ARCH_GDT_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define GDT_SEL_KERNEL_CODE 0x08
#define GDT_SEL_KERNEL_DATA 0x10
#define GDT_SEL_TSS         0x18

/* Interrupt stack table slots (1-based, as in the IDT gate's IST field). */
#define IST_DOUBLE_FAULT  1
#define IST_NMI           2
#define IST_MACHINE_CHECK 3
#define IST_COUNT         3

struct tss64 {
    uint32_t reserved0;     /* +0x00 */
    uint64_t rsp[3];        /* +0x04 */
    uint64_t reserved1;     /* +0x1c */
    uint64_t ist[7];        /* +0x24 IST1..IST7 */
    uint64_t reserved2;     /* +0x5c */
    uint16_t reserved3;     /* +0x64 */
    uint16_t iopb_offset;   /* +0x66 */
} PACKED;
STATIC_ASSERT_SIZE(struct tss64, 0x68);
STATIC_ASSERT_OFFSET(struct tss64, ist, 0x24);
STATIC_ASSERT_OFFSET(struct tss64, iopb_offset, 0x66);

#include "arch/x86_64/layout.h"

/* The tables the CPU reads while VTL2 runs: owned by the composition root, which keeps
 * them for as long as the CPU does (for ever). */
struct gdt_tables {
    uint64_t gdt[5];
    struct tss64 tss;
    uint8_t ist_stacks[IST_COUNT][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* Fills t, loads the GDT, reloads the segment registers and the task register. */
void gdt_init(struct gdt_tables *t);

#endif
