/*
 * CPUID, MSRs and port I/O: the same instructions in every mode (in real mode the
 * 16-bit build adds the operand-size prefixes). RDMSR/WRMSR of an MSR the CPU refuses
 * raise #GP, which the mode's exception handler reports.
 */
#include "tests/guests/testfw/fw.h"

void cpu_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(subleaf));
    regs[0] = a;
    regs[1] = b;
    regs[2] = c;
    regs[3] = d;
}

uint64_t cpu_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

uint64_t cpu_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

uint32_t cpu_rdtscp_aux(void)
{
    uint32_t lo, hi, aux;
    __asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
    return aux;
}

uint64_t cpu_rdpid(void)
{
    /* RDPID rAX: F3 0F C7 /7, ModRM F8 (the assembler may not know the mnemonic). */
#if FW_BITS == 64
    uint64_t v;
#else
    uint32_t v;
#endif
    __asm__ volatile(".byte 0xf3, 0x0f, 0xc7, 0xf8" : "=a"(v));
    return v;
}

void cpu_wrmsr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

uint32_t port_in(uint16_t port, unsigned bytes)
{
    uint32_t v;
    if (bytes == 1) {
        uint8_t b;
        __asm__ volatile("inb %w1, %0" : "=a"(b) : "Nd"(port));
        v = b;
    } else if (bytes == 2) {
        uint16_t w;
        __asm__ volatile("inw %w1, %0" : "=a"(w) : "Nd"(port));
        v = w;
    } else {
        __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
    }
    return v;
}

/* Aligned so that it never straddles a 512-byte block, whatever code grows before it:
 * tests/integration/dma_probes.py (kvmvapic) needs the block of its `out`. */
__attribute__((aligned(64))) void port_out(uint16_t port, unsigned bytes, uint32_t value)
{
    if (bytes == 1)
        __asm__ volatile("outb %b0, %w1" : : "a"((uint8_t)value), "Nd"(port));
    else if (bytes == 2)
        __asm__ volatile("outw %w0, %w1" : : "a"((uint16_t)value), "Nd"(port));
    else
        __asm__ volatile("outl %0, %w1" : : "a"(value), "Nd"(port));
}

NORETURN void cpu_halt_forever(void)
{
    for (;;)
        __asm__ volatile("cli; hlt");
}
