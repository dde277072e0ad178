/*
 * Timer interrupts (the TIMER_IRQ operation): program the 8259 PIC pair and the 8254
 * PIT the way a BIOS does, take IRQ0 at a vector of our choosing for a number of
 * `sti; hlt` waits, and count the ticks (tick.S). Under Mezzanine the PIC and PIT are
 * QEMU's own; each tick is a physical interrupt that Mezzanine must hand to VTL0.
 *
 * The PIC reaches the CPU through the local APIC's LINT0 in "virtual wire" mode (Intel
 * MultiProcessor spec, "Virtual Wire Mode"): APIC software-enabled, LINT0 ExtINT, LINT1
 * NMI, as SeaBIOS's smp_setup() leaves it. At reset the APIC is enabled in
 * IA32_APIC_BASE but LINT0 is masked, so without this no PIC interrupt arrives.
 *
 * 8259A: ICW1 (edge, cascade, ICW4 follows), ICW2 (vector base), ICW3 (slave on IRQ2),
 * ICW4 (8086 mode), then OCW1 masks (Intel 8259A data sheet). 8254: control word 0x34
 * is channel 0, low then high byte, mode 2 (rate generator), binary (Intel 8254 data
 * sheet); the input clock is 1.193182 MHz.
 */
#include "tests/guests/testfw/fw.h"

#define PIC1_COMMAND   0x20
#define PIC1_DATA      0x21
#define PIC2_COMMAND   0xA0
#define PIC2_DATA      0xA1
#define ICW1_INIT_ICW4 0x11
#define ICW3_MASTER    0x04    /* a slave on IRQ2 */
#define ICW3_SLAVE     0x02    /* slave identity 2 */
#define ICW4_8086      0x01
#define PIC_MASK_ALL   0xFF
#define PIC_IRQ0_ONLY  0xFE

#define PIT_CHANNEL0   0x40
#define PIT_CONTROL    0x43
#define PIT_CH0_RATE   0x34
#define PIT_CH0_ONESHOT 0x32   /* channel 0, low/high byte, mode 1: waits for a gate edge */
#define PIT_CLOCK_HZ   1193182u
#define TICK_HZ        1000u

#define CPUID_1_EDX_APIC   (1u << 9)
#define MSR_APIC_BASE      0x1B
#define APIC_BASE_ENABLE   (1u << 11)
#define APIC_BASE_ADDRESS  0xFFFFF000u   /* below 4 GiB: the firmware reaches no higher */
#define APIC_SVR           0xF0
#define APIC_SVR_ENABLE    0x100u
#define APIC_LINT0         0x350
#define APIC_LINT1         0x360
#define LVT_EXTINT_LEVEL   0x8700u       /* what SeaBIOS writes */
#define LVT_NMI_LEVEL      0x8400u

/* The vector base a BIOS would pick: 08h in real mode (IRQ0 = INT 08h), 20h above the
 * exception vectors otherwise. */
#if FW_BITS == 16
#define DEFAULT_BASE   0x08
#else
#define DEFAULT_BASE   0x20
#endif

volatile uint32_t fw_ticks;          /* counted by fw_tick_handler */
extern char fw_tick_handler[];

#if FW_BITS == 16
uint32_t flat16_rw(uint32_t address, uint32_t value, uint32_t write);

static uint32_t mmio_read32(uint32_t address)
{
    return flat16_rw(address, 0, 0);
}

static void mmio_write32(uint32_t address, uint32_t value)
{
    flat16_rw(address, value, 1);
}
#else
static uint32_t mmio_read32(uint32_t address)
{
    return *(volatile uint32_t *)(uintptr_t)address;
}

static void mmio_write32(uint32_t address, uint32_t value)
{
    *(volatile uint32_t *)(uintptr_t)address = value;
}
#endif

static void lapic_virtual_wire(void)
{
    uint32_t regs[4];
    cpu_cpuid(1, 0, regs);
    if (!(regs[3] & CPUID_1_EDX_APIC))
        return;                       /* no APIC: the PIC drives INTR itself */
    uint64_t msr = cpu_rdmsr(MSR_APIC_BASE);
    if (!(msr & APIC_BASE_ENABLE))
        return;                       /* globally disabled: likewise */
    uint32_t base = (uint32_t)msr & APIC_BASE_ADDRESS;
    mmio_write32(base + APIC_SVR, mmio_read32(base + APIC_SVR) | APIC_SVR_ENABLE);
    mmio_write32(base + APIC_LINT0, LVT_EXTINT_LEVEL);
    mmio_write32(base + APIC_LINT1, LVT_NMI_LEVEL);
}

static void pic_init(uint8_t base)
{
    port_out(PIC1_COMMAND, 1, ICW1_INIT_ICW4);
    port_out(PIC2_COMMAND, 1, ICW1_INIT_ICW4);
    port_out(PIC1_DATA, 1, base);
    port_out(PIC2_DATA, 1, (uint8_t)(base + 8));
    port_out(PIC1_DATA, 1, ICW3_MASTER);
    port_out(PIC2_DATA, 1, ICW3_SLAVE);
    port_out(PIC1_DATA, 1, ICW4_8086);
    port_out(PIC2_DATA, 1, ICW4_8086);
    port_out(PIC1_DATA, 1, PIC_MASK_ALL);
    port_out(PIC2_DATA, 1, PIC_MASK_ALL);
}

static void pit_periodic(uint32_t hz)
{
    uint32_t divisor = PIT_CLOCK_HZ / hz;
    port_out(PIT_CONTROL, 1, PIT_CH0_RATE);
    port_out(PIT_CHANNEL0, 1, divisor & 0xFF);
    port_out(PIT_CHANNEL0, 1, (divisor >> 8) & 0xFF);
}

/* Channel 0 in mode 1 (hardware-triggered one-shot): its output goes high and, with
 * the gate tied high as on a PC, never moves again: no IRQ0 edge until the next
 * TIMER_IRQ, so nothing is pending while the next one initialises the PICs. */
static void pit_quiet(void)
{
    port_out(PIT_CONTROL, 1, PIT_CH0_ONESHOT);
    port_out(PIT_CHANNEL0, 1, 0xFF);
    port_out(PIT_CHANNEL0, 1, 0xFF);
}

uint8_t timer_vector_base(uint8_t requested)
{
    if (requested == 0)
        requested = DEFAULT_BASE;
    if ((requested & 7) != 0 || requested >= irq_gate_limit())
        return 0;
    return requested;
}

uint32_t timer_ticks(uint8_t base, uint32_t halts, uint64_t *tsc_elapsed)
{
    irq_gate_install(base, (uintptr_t)fw_tick_handler);
    fw_ticks = 0;
    pic_init(base);                   /* first: everything masked, old requests gone */
    lapic_virtual_wire();
    *tsc_elapsed = 0;
    if (halts != 0) {                 /* 0: no timer, just the sti window below */
        pit_periodic(TICK_HZ);
        port_out(PIC1_DATA, 1, PIC_IRQ0_ONLY);
        uint64_t start = cpu_rdtsc();
        for (uint32_t i = 0; i < halts; i++)
            __asm__ volatile("sti; hlt; cli" : : : "memory");
        *tsc_elapsed = cpu_rdtsc() - start;
        port_out(PIC1_DATA, 1, PIC_MASK_ALL);
    }
    /* A tick taken in before the mask is delivered at the next sti: let it come here,
     * to our handler, rather than in some later operation at a vector no longer ours.
     * On bare hardware nothing is pending by now; a paravisor may have acknowledged
     * one on our behalf while IF was clear. */
    __asm__ volatile("sti; nop; nop; cli" : : : "memory");
    pit_quiet();
    irq_gate_restore();
    return fw_ticks;
}
