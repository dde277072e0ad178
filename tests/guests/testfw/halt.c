/*
 * Ending the machine the ways firmware and operating systems do. Each function returns
 * only if the machine did not go away; the interpreter then reports halt-returned.
 */
#include "tests/guests/testfw/fw.h"

/* Intel 82371AB (PIIX4) function 3, power management (PIIX4 data sheet, "PMBA",
 * "PMREGMISC", "PM1CNT"). */
#define PIIX4_PM_ID        0x71138086u   /* device 7113, vendor 8086 */
#define PIIX4_PMBA         0x40          /* I/O base in bits 15:6, bit 0 reads as 1 */
#define PIIX4_PMBA_MASK    0xFFC0u
#define PIIX4_PMREGMISC    0x80          /* bit 0: PM I/O space enable */
#define PIIX4_PMIOSE       0x01u
#define PIIX4_PMBA_DEFAULT 0xB000u       /* what SeaBIOS programs (PORT_ACPI_PM_BASE) */
#define PM1_CNT            0x04
#define PM1_CNT_SLP_EN     (1u << 13)
#define PM1_CNT_SLP_TYP(t) ((uint32_t)(t) << 10)
#define SLP_TYP_S5         0             /* QEMU's PIIX4 DSDT: \_S5 = { 0, 0 } */

/* PIIX3/PIIX4 reset control register: SYS_RST (bit 1) | RST_CPU (bit 2). */
#define RESET_CONTROL      0xCF9
#define RESET_CONTROL_HARD 0x06
#define KBC_COMMAND        0x64
#define KBC_PULSE_RESET    0xFE

/* ACPI S5 through PM1a_CNT, programming the PM I/O base first if nobody has. */
void halt_power_off(void)
{
    uint32_t pm = pci_find(PIIX4_PM_ID);
    if (pm == PCI_NO_FUNCTION)
        return;
    uint32_t base = pci_cfg_read(pm + PIIX4_PMBA, 4) & PIIX4_PMBA_MASK;
    uint32_t misc = pci_cfg_read(pm + PIIX4_PMREGMISC, 4);
    if (base == 0 || !(misc & PIIX4_PMIOSE)) {
        if (base == 0)
            base = PIIX4_PMBA_DEFAULT;
        pci_cfg_write(pm + PIIX4_PMBA, 4, base | 1);
        pci_cfg_write(pm + PIIX4_PMREGMISC, 4, misc | PIIX4_PMIOSE);
    }
    port_out((uint16_t)(base + PM1_CNT), 2, PM1_CNT_SLP_EN | PM1_CNT_SLP_TYP(SLP_TYP_S5));
}

void halt_reset_cf9(void)
{
    port_out(RESET_CONTROL, 1, RESET_CONTROL_HARD);
}

void halt_reset_kbc(void)
{
    port_out(KBC_COMMAND, 1, KBC_PULSE_RESET);
}

/*
 * An empty IDT (limit 0) makes int3 fault: #GP on the gate beyond the limit, then #DF,
 * then shutdown (AMD APM vol. 2, "Double-Fault Exception (#DF)"). The same in real mode,
 * where the IDTR limit bounds the IVT too.
 */
void halt_triple_fault(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uintptr_t base;
    } empty = { 0, 0 };
    __asm__ volatile("cli; lidt %0; int3" : : "m"(empty));
    exceptions_init();   /* it came back: put the handlers back */
}
