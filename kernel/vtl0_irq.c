/*
 * Physical interrupts for VTL0. VTL0 owns the PIC, PIT and APIC; Mezzanine keeps
 * RFLAGS.IF clear. With the INTR intercept and V_INTR_MASKING, an interrupt that
 * arrives while VTL0 runs is an INTR exit; Mezzanine then opens a one-instruction
 * window through the window IDT (arch/x86_64/idt.c), which records the vector (the
 * interrupt controller's acknowledge cycle has happened, as it would for VTL0), and
 * injects it into VTL0 as soon as VTL0 can take it (APM vol. 2, "Event Injection",
 * "Virtual Interrupts"). VTL0's handler sends the EOI to its controller directly.
 */
#include "kernel/log.h"
#include "kernel/partition_priv.h"
#include "kernel/poll.h"
#include "arch/x86_64/idt.h"

#define RFLAGS_IF_BIT (1ull << 9)
#define NMI_VECTOR 2
#define WINDOW_SLOTS 32

/* Filled by irq_window_record() while the window is open, drained right after. */
static volatile uint8_t window_vectors[WINDOW_SLOTS];
static volatile unsigned window_count;
static volatile unsigned window_overflow;

void irq_window_record(unsigned vector);

void irq_window_record(unsigned vector)
{
    if (window_count < WINDOW_SLOTS)
        window_vectors[window_count++] = (uint8_t)vector;
    else
        window_overflow++;
}

void vtl0_irq_reset(struct partition *p)
{
    p->irq_head = 0;
    p->irq_count = 0;
    p->nmi_pending = false;
}

static void queue_push(struct partition *p, uint8_t vector)
{
    if (p->irq_count == VTL0_IRQ_QUEUE) {
        log_warn("vtl0", "interrupt queue full: vector 0x%02x dropped", vector);
        return;
    }
    p->irq_queue[(p->irq_head + p->irq_count) % VTL0_IRQ_QUEUE] = vector;
    p->irq_count++;
}

void vtl0_irq_collect(struct partition *p)
{
    window_count = 0;
    idt_interrupt_window();
    for (unsigned i = 0; i < window_count; i++) {
        if (window_vectors[i] == NMI_VECTOR)
            p->nmi_pending = true;
        else
            queue_push(p, window_vectors[i]);
    }
}

void vtl0_irq_prepare_entry(struct partition *p)
{
    struct vmcb_control *c = &p->vmcb->control;
    const struct vmcb_save *s = &p->vmcb->save;

    if (c->event_inject & EVENT_VALID)
        return;   /* an exception or a re-delivery goes first */
    if (p->nmi_pending) {
        p->nmi_pending = false;
        c->event_inject = NMI_VECTOR | EVENT_TYPE_NMI | EVENT_VALID;
        p->stats.nmis_injected++;
        return;
    }
    if (p->irq_count == 0) {
        c->vintr &= ~VINTR_IRQ;
        c->intercept_misc1 &= ~INTERCEPT1_VINTR;
        return;
    }
    if ((s->rflags & RFLAGS_IF_BIT) && !(c->interrupt_shadow & INTERRUPT_SHADOW_ACTIVE)) {
        uint8_t vector = p->irq_queue[p->irq_head];
        p->irq_head = (p->irq_head + 1) % VTL0_IRQ_QUEUE;
        p->irq_count--;
        c->event_inject = vector | EVENT_TYPE_INTR | EVENT_VALID;
        p->stats.interrupts_injected++;
        return;
    }
    /* VTL0 cannot take it yet: ask for an exit when it can (a virtual interrupt with
     * the VINTR intercept; the vector does not matter, it is never delivered). */
    c->vintr |= VINTR_IRQ | VINTR_IGN_TPR;
    c->intercept_misc1 |= INTERCEPT1_VINTR;
}

enum exit_action vtl0_handle_hlt(struct partition *p)
{
    if (vtl0_advance_rip(p) != 0)
        return EXIT_STOP;
    if (!(p->vmcb->save.rflags & RFLAGS_IF_BIT) && p->irq_count == 0 && !p->nmi_pending) {
        /* Nothing but an NMI could wake it, and nothing will send one. */
        log_info("vtl0", "VTL0 halted with interrupts disabled at 0x%llx",
                 (unsigned long long)p->vmcb->save.rip);
        p->state = VTL0_STOPPED;
        return EXIT_RESUME;
    }
    /* Wait for an interrupt while keeping the host channels served. Busy-polling costs
     * a host CPU while VTL0 idles; it keeps the GET and diag answered without a timer. */
    while (p->irq_count == 0 && !p->nmi_pending && p->pending_halt == VTL0_HALT_NONE) {
        vtl0_irq_collect(p);
        kernel_poll();
        __asm__ volatile("pause");
    }
    return EXIT_RESUME;
}
