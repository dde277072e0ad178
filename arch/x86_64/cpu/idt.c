/* IDT setup; see idt.h. */
#include "arch/x86_64/cpu/idt.h"

#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/trap_dump.h"

extern const char trap_stubs[];
extern const char irq_window_stubs[];

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} PACKED;
STATIC_ASSERT_SIZE(struct idt_pointer, 10);


static uint8_t ist_for_vector(unsigned vector)
{
    switch (vector) {
    case X86_VEC_DF:  return IST_DOUBLE_FAULT;   /* must work even on a blown stack */
    case X86_VEC_NMI: return IST_NMI;
    case X86_VEC_MC:  return IST_MACHINE_CHECK;
    default:          return 0;
    }
}

static struct idt_gate make_gate(const char *stubs, unsigned v, uint8_t ist)
{
    uint64_t handler = (uint64_t)(uintptr_t)(stubs + v * IDT_STUB_SIZE);
    return (struct idt_gate){
        .offset_low = (uint16_t)handler,
        .selector = GDT_SEL_KERNEL_CODE,
        .ist = ist,
        .type_attr = IDT_TYPE_INTERRUPT_GATE,
        .offset_mid = (uint16_t)(handler >> 16),
        .offset_high = (uint32_t)(handler >> 32),
    };
}

void idt_init(struct idt_tables *t)
{
    for (unsigned v = 0; v < 256; v++) {
        t->idt[v] = make_gate(trap_stubs, v, ist_for_vector(v));
        t->window_idt[v] = make_gate(irq_window_stubs, v, 0);
    }
    struct idt_pointer ptr = { .limit = sizeof(t->idt) - 1, .base = (uint64_t)(uintptr_t)t->idt };
    __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}

/* The interrupt mailbox: filled by irq_window_record() (traps.S) while a window is open,
 * copied out and emptied right after. Written only with IF set inside the window. */
static volatile struct irq_window_result window_mailbox;

void irq_window_record(unsigned vector);

void irq_window_record(unsigned vector)
{
    if (window_mailbox.count < IRQ_WINDOW_SLOTS)
        window_mailbox.vectors[window_mailbox.count++] = (uint8_t)vector;
    else
        window_mailbox.overflow++;
}

static void open_window(const struct idt_tables *t, struct irq_window_result *out, bool halt)
{
    struct idt_pointer window = { .limit = sizeof(t->window_idt) - 1,
                                  .base = (uint64_t)(uintptr_t)t->window_idt };
    struct idt_pointer main = { .limit = sizeof(t->idt) - 1, .base = (uint64_t)(uintptr_t)t->idt };
    window_mailbox.count = 0;
    window_mailbox.overflow = 0;
    /* sti's one-instruction shadow ends after the nop (or the hlt, which an interrupt
     * pending at the sti still wakes): pending interrupts are taken there, through
     * window_idt, and cli closes the window again. */
    if (halt)
        __asm__ volatile("lidt %0\n\tsti\n\thlt\n\tcli\n\tlidt %1" : : "m"(window), "m"(main) : "memory");
    else
        __asm__ volatile("lidt %0\n\tsti\n\tnop\n\tcli\n\tlidt %1" : : "m"(window), "m"(main) : "memory");
    out->count = window_mailbox.count;
    out->overflow = window_mailbox.overflow;
    for (unsigned i = 0; i < out->count; i++)
        out->vectors[i] = window_mailbox.vectors[i];
}

void idt_interrupt_window(const struct idt_tables *t, struct irq_window_result *out)
{
    open_window(t, out, false);
}

void idt_interrupt_window_halt(const struct idt_tables *t, struct irq_window_result *out)
{
    open_window(t, out, true);
}

void idt_load_empty(void)
{
    struct idt_pointer ptr = { .limit = 0, .base = 0 };
    __asm__ volatile("lidt %0" : : "m"(ptr) : "memory");
}
