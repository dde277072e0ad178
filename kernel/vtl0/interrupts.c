/*
 * Physical interrupts for VTL0. VTL0 owns the PIC, PIT and APIC; Mezzanine keeps
 * RFLAGS.IF clear. With the INTR intercept and V_INTR_MASKING, an interrupt that
 * arrives while VTL0 runs is an INTR exit; Mezzanine then opens a one-instruction
 * window through the window IDT (arch/x86_64/cpu/idt.c), which records the vector (the
 * interrupt controller's acknowledge cycle has happened, as it would for VTL0), and
 * injects it into VTL0 as soon as VTL0 can take it (APM vol. 2, "Event Injection",
 * "Virtual Interrupts"). VTL0's handler sends the EOI to its controller directly.
 */
#include "arch/x86_64/cpu/cpu.h"
#include "kernel/lib/log.h"
#include "mm/vtl2_space.h"
#include "kernel/vtl0/partition_priv.h"
#include "kernel/host/poll.h"
#include "arch/x86_64/cpu/idt.h"

#define NMI_VECTOR 2
/* 8259A pair and 8254 channel 0 (chipset reset for VTL0): VTL0 must not inherit the
 * boot firmware's interrupt set-up, pending requests included. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xA0
#define PIC2_DATA 0xA1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIT_CMD 0x43
#define PIT_CH0_LOHI_MODE0 0x30        /* a control word without a count stops channel 0 */

static void reset_interrupt_controllers(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC1_DATA, 0x08);              /* the BIOS vector bases */
    outb(PIC1_DATA, 0x04);              /* slave on IRQ2 */
    outb(PIC1_DATA, 0x01);              /* 8086 mode */
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    outb(PIC2_DATA, 0x70);
    outb(PIC2_DATA, 0x02);
    outb(PIC2_DATA, 0x01);
    outb(PIC1_DATA, 0xFF);              /* all masked until VTL0's firmware says otherwise */
    outb(PIC2_DATA, 0xFF);
    outb(PIT_CMD, PIT_CH0_LOHI_MODE0);
}

/* The local APIC as after RESET for what decides interrupt delivery (Intel SDM vol. 3,
 * "Local APIC State After Power-Up or Reset"): every LVT masked, software-disabled
 * (SVR 0xFF), TPR 0. VTL0's firmware programs LINT0 (ExtINT) itself, as on hardware;
 * otherwise it would inherit the boot firmware's set-up. */
#define LAPIC_TPR       0x080
#define LAPIC_SVR       0x0F0
#define LAPIC_LVT_FIRST 0x320   /* timer, thermal, perf, LINT0, LINT1, error */
#define LAPIC_LVT_LAST  0x370
#define LAPIC_LVT_MASKED 0x10000u
#define LAPIC_SVR_RESET 0xFFu

static void reset_local_apic(struct partition *p)
{
    volatile uint8_t *apic = p->lapic;
    if (apic == NULL) {
        log_warn("vtl0", "local APIC not reachable: not reset");
        return;
    }
    for (unsigned reg = LAPIC_LVT_FIRST; reg <= LAPIC_LVT_LAST; reg += 0x10)
        *(volatile uint32_t *)(apic + reg) = LAPIC_LVT_MASKED;
    *(volatile uint32_t *)(apic + LAPIC_TPR) = 0;
    *(volatile uint32_t *)(apic + LAPIC_SVR) = LAPIC_SVR_RESET;
}

void vtl0_irq_reset(struct partition *p)
{
    p->irq_head = 0;
    p->irq_count = 0;
    p->nmi_pending = false;
    p->intr_deferred = false;
}

void vtl0_irq_reset_hardware(struct partition *p)
{
    (void)p;
    reset_interrupt_controllers();
    reset_local_apic(p);
    /* Anything already latched: drain it now, not into VTL0. */
    struct irq_window_result drained;
    idt_interrupt_window(p->idt, &drained);
}

bool vtl0_interruptible(const struct partition *p)
{
    const struct vmcb_control *c = &p->vmcb->control;
    return (p->vmcb->save.rflags & RFLAGS_IF) && !(c->interrupt_shadow & INTERRUPT_SHADOW_ACTIVE) &&
           !(c->event_inject & EVENT_VALID);
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

static void collect_window(struct partition *p, bool halt)
{
    struct irq_window_result window;
    if (halt)
        idt_interrupt_window_halt(p->idt, &window);
    else
        idt_interrupt_window(p->idt, &window);
    unsigned nmis = 0;
    for (unsigned i = 0; i < window.count; i++) {
        if (window.vectors[i] == NMI_VECTOR) {
            nmis++;
            p->host->window_nmis++;
        } else
            queue_push(p, window.vectors[i]);
    }
    p->stats.interrupts_overflowed += window.overflow;
    if (nmis) {
        /* Mezzanine's tick, or VTL0's NMI: the HPET comparator tells (poll.h). */
        unsigned for_vtl0 = kernel_nmis_for_vtl0(p->host);
        if (for_vtl0)
            p->nmi_pending = true;
        p->stats.host_ticks += nmis > for_vtl0 ? nmis - for_vtl0 : 0;
    }
}

void vtl0_irq_collect(struct partition *p)
{
    collect_window(p, false);
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
    if (p->irq_count == 0 && !p->intr_deferred) {
        c->vintr &= ~VINTR_IRQ;
        c->intercept_misc1 &= ~INTERCEPT1_VINTR;
        return;
    }
    if (p->irq_count != 0 && (s->rflags & RFLAGS_IF) &&
        !(c->interrupt_shadow & INTERRUPT_SHADOW_ACTIVE)) {
        uint8_t vector = p->irq_queue[p->irq_head];
        p->irq_head = (p->irq_head + 1) % VTL0_IRQ_QUEUE;
        p->irq_count--;
        c->event_inject = vector | EVENT_TYPE_INTR | EVENT_VALID;
        p->stats.interrupts_injected++;
        if (p->irq_count == 0 && !p->intr_deferred)
            return;
        /* More to deliver: ask for an exit when VTL0 can take the next one. */
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
    if (!(p->vmcb->save.rflags & RFLAGS_IF) && !p->nmi_pending) {
        /* Nothing but an NMI could wake it, and nothing will send one: the guest stopped
         * itself (Linux's `halt`, a failed power-off, a firmware's final `cli; hlt`). */
        vtl0_request_halt(p, VTL0_HALT_HALTED, "HLT with interrupts disabled, nothing pending");
        return EXIT_RESUME;
    }
    /* Wait for an interrupt while keeping the host channels served: halted inside the
     * interrupt window, so VTL0's interrupts wake Mezzanine and are recorded, and the
     * host tick's NMI wakes it to poll (docs/get.md). Without the tick: busy polling. */
    if (kernel_tick_running(p->host)) {
        kernel_tick_idle(p->host, true);
        p->host_idle = true;            /* partition_step sets the running pace again */
    }
    while (p->irq_count == 0 && !p->nmi_pending && p->pending_halt == VTL0_HALT_NONE) {
        bool sleep = kernel_may_sleep(p->host);
        collect_window(p, sleep);
        kernel_poll(p->host);
        if (!sleep)
            __asm__ volatile("pause");
    }
    return EXIT_RESUME;
}
