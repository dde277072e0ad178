/*
 * Exception vectors 0-31 in each mode, so that a fault in an operation (a #GP from
 * RDMSR, a #PF) is reported as FAIL exception and the script goes on, rather than the
 * machine triple-faulting. The stubs are in the entry files; each gives
 * fw_exception(vector, error, ip) a fresh stack.
 * Interrupts stay masked except inside the TIMER_IRQ operation, which lends one vector
 * to its tick handler (irq_gate_install) and gives it back afterwards.
 */
#include "tests/guests/testfw/fw.h"

#define VECTORS 32
/* Protected and long mode: room for a PIC vector base up to 38h; the gates above the
 * exceptions are not present (an interrupt there is a #NP, reported as such). */
#define IDT_ENTRIES 64

static unsigned saved_vector;

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uintptr_t base;
};

#if FW_BITS == 16
/* The real-mode IVT at 0: one far pointer (offset, segment) per vector. */
extern const uint16_t isr16_table[VECTORS];

void exceptions_init(void)
{
    static const struct dtr ivt = { 0x3FF, 0 };   /* the architectural IVT: 256 x 4 bytes */
    for (unsigned v = 0; v < VECTORS; v++)
        probe_write(v * 4, 4, (uint32_t)FW_RAM_SEG << 16 | isr16_table[v]);
    __asm__ volatile("lidtl %0" : : "m"(ivt));
}

static uint32_t saved_gate;

unsigned irq_gate_limit(void)
{
    return 256;
}

void irq_gate_install(unsigned vector, uintptr_t handler)
{
    uint64_t old = 0;
    probe_read(vector * 4, 4, &old);
    saved_vector = vector;
    saved_gate = (uint32_t)old;
    probe_write(vector * 4, 4, (uint32_t)FW_RAM_SEG << 16 | (uint16_t)handler);
}

void irq_gate_restore(void)
{
    probe_write(saved_vector * 4, 4, saved_gate);
}
#endif

#if FW_BITS == 32
/* 32-bit interrupt gates (AMD APM vol. 2, "Legacy Protected-Mode Interrupt Gates"). */
extern const uint32_t isr32_table[VECTORS];
static uint64_t idt[IDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t saved_gate;

static uint64_t gate32(uint32_t off)
{
    return (off & 0xFFFFu) | (uint64_t)SEL_CODE32 << 16 |
           (uint64_t)0x8E00 << 32 | (uint64_t)(off >> 16) << 48;
}

void exceptions_init(void)
{
    for (unsigned v = 0; v < VECTORS; v++)
        idt[v] = gate32(isr32_table[v]);
    struct dtr d = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

void irq_gate_install(unsigned vector, uintptr_t handler)
{
    saved_vector = vector;
    saved_gate = idt[vector];
    idt[vector] = gate32((uint32_t)handler);
}

void irq_gate_restore(void)
{
    idt[saved_vector] = saved_gate;
}
#endif

#if FW_BITS == 64
/* 16-byte interrupt gates (AMD APM vol. 2, "Long-Mode Interrupt Gates"). */
extern const uint64_t isr64_table[VECTORS];
static uint64_t idt[2 * IDT_ENTRIES] __attribute__((aligned(16)));
static uint64_t saved_gate[2];

static void set_gate64(unsigned v, uint64_t off)
{
    idt[2 * v] = (off & 0xFFFF) | (uint64_t)SEL_CODE64 << 16 |
                 (uint64_t)0x8E00 << 32 | ((off >> 16) & 0xFFFF) << 48;
    idt[2 * v + 1] = off >> 32;
}

void exceptions_init(void)
{
    for (unsigned v = 0; v < VECTORS; v++)
        set_gate64(v, isr64_table[v]);
    struct dtr d = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}

void irq_gate_install(unsigned vector, uintptr_t handler)
{
    saved_vector = vector;
    saved_gate[0] = idt[2 * vector];
    saved_gate[1] = idt[2 * vector + 1];
    set_gate64(vector, handler);
}

void irq_gate_restore(void)
{
    idt[2 * saved_vector] = saved_gate[0];
    idt[2 * saved_vector + 1] = saved_gate[1];
}
#endif

#if FW_BITS != 16
unsigned irq_gate_limit(void)
{
    return IDT_ENTRIES;
}
#endif
