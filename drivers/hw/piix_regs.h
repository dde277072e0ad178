/* Register facts of QEMU's PIIX3/PIIX4 south bridge that both Mezzanine's own power-off
 * and reset (kernel/core/machine.c) and VTL0's view of the chipset (drivers/vdev/chipset/pci_proxy.c,
 * kernel/vtl0/ports.c, kernel/vtl0/pci.c) depend on. Declared once here.
 *
 * Intel 82371AB (PIIX4) function 3, power management, and the ACPI PM1a control
 * register in the I/O space it decodes; Intel 82371SB (PIIX3) reset control. */
#ifndef MEZZ_PIIX_REGS_H
#define MEZZ_PIIX_REGS_H

#define PIIX4_PM_ID        0x71138086u   /* vendor 8086, device 7113 */
#define PIIX4_PMBA         0x40          /* PM I/O base, bits 15:6 */
#define PIIX4_PMBA_MASK    0xFFC0u
#define PIIX4_PMREGMISC    0x80          /* bit 0: PM I/O space enable */
#define PIIX4_PMIOSE       0x01u

#define PM1A_CNT_OFFSET        0x04      /* from the PM I/O base */
#define PM1_CNT_SCI_EN         (1u << 0)
#define PM1_CNT_SLP_EN         (1u << 13)
#define PM1_CNT_SLP_TYP_SHIFT  10
#define PM1_CNT_SLP_TYP(v)     (((v) >> PM1_CNT_SLP_TYP_SHIFT) & 7u)
#define SLP_TYP_S5             0u        /* QEMU's DSDT: \_S5 = 0 */

/* APM control port (SMI_CMD in QEMU's FADT) and the ACPI handshake values QEMU's FADT
 * gives (hw/i386/acpi-build.c: acpi_enable_cmd 0xF1, acpi_disable_cmd 0xF0). */
#define APM_CNT_PORT       0xB2
#define ACPI_ENABLE_CMD    0xF1
#define ACPI_DISABLE_CMD   0xF0

/* PIIX3 reset control register (82371SB data sheet, "RC—Reset Control"). */
#define RESET_CONTROL_PORT 0xCF9
#define RCR_SYS_RST        0x02
#define RCR_RST_CPU        0x04

#endif
