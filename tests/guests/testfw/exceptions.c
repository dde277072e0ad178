/*
 * Exception vectors 0-31 in each mode, so that a fault in an operation (a #GP from
 * RDMSR, a #PF) is reported as FAIL exception and the script goes on, rather than the
 * machine triple-faulting. The stubs are in the entry files; each gives
 * fw_exception(vector, error, ip) a fresh stack.
 * Interrupts stay masked throughout (the firmware never executes sti).
 */
#include "tests/guests/testfw/fw.h"

#define VECTORS 32

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
#endif

#if FW_BITS == 32
/* 32-bit interrupt gates (AMD APM vol. 2, "Legacy Protected-Mode Interrupt Gates"). */
extern const uint32_t isr32_table[VECTORS];
static uint64_t idt[VECTORS] __attribute__((aligned(8)));

void exceptions_init(void)
{
    for (unsigned v = 0; v < VECTORS; v++) {
        uint32_t off = isr32_table[v];
        idt[v] = (off & 0xFFFFu) | (uint64_t)SEL_CODE32 << 16 |
                 (uint64_t)0x8E00 << 32 | (uint64_t)(off >> 16) << 48;
    }
    struct dtr d = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}
#endif

#if FW_BITS == 64
/* 16-byte interrupt gates (AMD APM vol. 2, "Long-Mode Interrupt Gates"). */
extern const uint64_t isr64_table[VECTORS];
static uint64_t idt[2 * VECTORS] __attribute__((aligned(16)));

void exceptions_init(void)
{
    for (unsigned v = 0; v < VECTORS; v++) {
        uint64_t off = isr64_table[v];
        idt[2 * v] = (off & 0xFFFF) | (uint64_t)SEL_CODE64 << 16 |
                     (uint64_t)0x8E00 << 32 | ((off >> 16) & 0xFFFF) << 48;
        idt[2 * v + 1] = off >> 32;
    }
    struct dtr d = { sizeof(idt) - 1, (uintptr_t)idt };
    __asm__ volatile("lidt %0" : : "m"(d));
}
#endif
