/* VTL2's IDT: every vector goes to a stub in traps.S, then to trap_handle(). */
#ifndef MEZZ_ARCH_IDT_H
#define MEZZ_ARCH_IDT_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

struct idt_gate {
    uint16_t offset_low;    /* +0x0 */
    uint16_t selector;      /* +0x2 */
    uint8_t ist;            /* +0x4 bits 2:0 */
    uint8_t type_attr;      /* +0x5 P | DPL | type */
    uint16_t offset_mid;    /* +0x6 */
    uint32_t offset_high;   /* +0x8 */
    uint32_t reserved;      /* +0xc */
} PACKED;
STATIC_ASSERT_SIZE(struct idt_gate, 16);

#define IDT_TYPE_INTERRUPT_GATE 0x8E   /* present, DPL 0, 64-bit interrupt gate */
#define IDT_STUB_SIZE 16               /* traps.S aligns each stub to 16 bytes */

/* The IDT Mezzanine runs on and the one loaded only inside an interrupt window: owned by
 * the composition root, which keeps them for as long as the CPU does. */
struct idt_tables {
    struct idt_gate idt[256];
    struct idt_gate window_idt[256];
};

/* Fills t and loads its main IDT. */
void idt_init(struct idt_tables *t);

/* The most vectors one interrupt window records; more are counted as overflow. */
#define IRQ_WINDOW_SLOTS 32

/* What one interrupt window let in, in arrival order. */
struct irq_window_result {
    uint8_t vectors[IRQ_WINDOW_SLOTS];
    unsigned count;
    unsigned overflow;              /* vectors that arrived after the slots were full */
};

/* Lets pending external interrupts in for one instruction, through an IDT whose every
 * vector records itself in an arch mailbox (irq_window.c), then closes again and hands
 * the recorded vectors to the caller. */
void idt_interrupt_window(const struct idt_tables *t, struct irq_window_result *out);
/* The same window, but halted inside it (sti; hlt; cli): sleeps until an interrupt or an
 * NMI arrives, and records what came. */
/* NMIs Mezzanine's own IDT has taken so far (arch/x86_64/cpu/trap.c): every NMI that
 * arrives outside an interrupt window, NMI exits included (svm_enter sets GIF again). */
uint64_t trap_nmi_count(void);
/* Defined by the composition root (kernel/main.c): called for every NMI taken through
 * the IDT, after it is counted. It may rewrite the frame, whose IRET then ends the NMI. */
struct trap_frame;
void trap_nmi_hook(struct trap_frame *frame);
void idt_interrupt_window_halt(const struct idt_tables *t, struct irq_window_result *out);

/* Loads an IDT with limit 0: the next exception cannot be delivered (triple fault). */
void idt_load_empty(void);

#endif
