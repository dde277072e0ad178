/* Machine power-off, reset and triple fault; see machine.h. */
#include "kernel/core/machine.h"

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/cpu/idt.h"
#include "drivers/hw/pci_cf8.h"
#include "drivers/hw/piix_regs.h"
#include "kernel/lib/log.h"
#include "kernel/lib/panic.h"

#define PIIX4_DEFAULT_PMBA     0x600u   /* what SeaBIOS programs */
#define KBC_COMMAND_PORT       0x64
#define KBC_PULSE_RESET        0xFE

#define SETTLE_SPINS 10000000u

static void settle(void)
{
    for (volatile uint32_t i = 0; i < SETTLE_SPINS; i++)
        ;
}

/* Finds the PM function on bus 0 and returns its I/O base, enabling it if needed. */
static int piix4_pm_base(uint16_t *base)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            if (pci_cf8_read32(0, dev, fn, 0) != PIIX4_PM_ID)
                continue;
            uint32_t pmba = pci_cf8_read32(0, dev, fn, PIIX4_PMBA) & PIIX4_PMBA_MASK;
            uint32_t misc = pci_cf8_read32(0, dev, fn, PIIX4_PMREGMISC);
            if (pmba == 0 || !(misc & PIIX4_PMIOSE)) {
                pmba = PIIX4_DEFAULT_PMBA;
                pci_cf8_write32(0, dev, fn, PIIX4_PMBA, pmba | 1u);
                pci_cf8_write32(0, dev, fn, PIIX4_PMREGMISC, misc | PIIX4_PMIOSE);
            }
            *base = (uint16_t)pmba;
            return 0;
        }
    }
    return -1;
}

NORETURN void machine_power_off(void)
{
    uint16_t base;
    log_info("machine", "halt: power-off requested");
    if (piix4_pm_base(&base) != 0)
        panic("power-off: no PIIX4 power-management function on bus 0");
    outw((uint16_t)(base + PM1A_CNT_OFFSET),
         (uint16_t)(PM1_CNT_SLP_EN | SLP_TYP_S5 << PM1_CNT_SLP_TYP_SHIFT));
    settle();
    panic("power-off: PM1a_CNT at 0x%x did not power the machine off", base + PM1A_CNT_OFFSET);
}

NORETURN void machine_reset(void)
{
    log_info("machine", "halt: reset requested");
    outb(RESET_CONTROL_PORT, RCR_SYS_RST);
    outb(RESET_CONTROL_PORT, RCR_SYS_RST | RCR_RST_CPU);
    settle();
    outb(KBC_COMMAND_PORT, KBC_PULSE_RESET);
    settle();
    panic("reset: neither 0xCF9 nor the keyboard controller reset the machine");
}

NORETURN void machine_triple_fault(void)
{
    log_info("machine", "halt: triple fault requested (empty IDT, then int3)");
    idt_load_empty();
    __asm__ volatile("int3");
    panic("triple fault: int3 with an empty IDT returned");
}
