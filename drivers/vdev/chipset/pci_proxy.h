/*
 * VTL0's PCI configuration mechanism #1 (0xCF8 address, 0xCFC-0xCFF data; PCI Local
 * Bus spec 3.0, "Configuration Mechanism #1"). Functions Mezzanine emulates answer
 * through hooks (00:00.0, the host bridge, for now); every other function passes
 * through to QEMU's real bus, with two rules:
 *  - Bus Master Enable (command bit 2) is never set on a real function: with no IOMMU a
 *    bus master could write VTL2 memory (SPEC section 5, DMA);
 *  - writes that move the PIIX4 power-management I/O base are reported, so the
 *    power-off intercept follows the PM1a_CNT register wherever VTL0 puts it;
 *  - a function that cannot DMA (BME withheld) must not look DMA-capable (SPEC section
 *    5): the PIIX IDE function's bus-master capability (prog-if bit 7) reads 0 and its
 *    bus-master BAR (BAR4, BMIBA) reads 0 and ignores writes, so BAR sizing finds no
 *    BAR and guests (Linux ata_piix: "BAR4 is zero"; SeaBIOS) use PIO.
 * The byte at 0xCF9 is the PIIX3 reset control register, not part of the address: byte
 * writes there go to the reset hook. Pure: the real bus and the hooks are ops.
 */
#ifndef MEZZ_DRIVERS_PCI_PROXY_H
#define MEZZ_DRIVERS_PCI_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/hw/piix_regs.h"

#define PCI_PORT_ADDRESS   0xCF8
#define PCI_PORT_RCR       0xCF9
#define PCI_PORT_DATA      0xCFC
#define PCI_PORT_FIRST     0xCF8
#define PCI_PORT_COUNT     8

#define PCI_ADDR_ENABLE    0x80000000u
#define PCI_ADDR_BUS(a)    (((a) >> 16) & 0xFFu)
#define PCI_ADDR_DEV(a)    (((a) >> 11) & 0x1Fu)
#define PCI_ADDR_FN(a)     (((a) >> 8) & 0x7u)
#define PCI_ADDR_REG(a)    ((a) & 0xFCu)

#define PCI_COMMAND        0x04
#define PCI_COMMAND_BUS_MASTER 0x0004u
#define PCI_PROG_IF        0x09
#define PCI_IDE_PROG_IF_BUS_MASTER 0x80u   /* PCI IDE Controller spec, "Programming Interface" */
#define PCI_BAR4           0x20
#define PIIX3_IDE_ID       0x70108086u     /* 82371SB function 1 */
#define PIIX4_IDE_ID       0x71118086u     /* 82371AB function 1 */


/* A function address without the enable bit and register: bus/dev/fn. */
#define PCI_BDF(bus, dev, fn) (((uint32_t)(bus) << 16) | ((uint32_t)(dev) << 11) | ((uint32_t)(fn) << 8))

struct pci_proxy_ops {
    /* The real bus: an access of size bytes at byte `offset` (0-255) of function bdf. */
    uint32_t (*read)(void *ctx, uint32_t bdf, unsigned offset, unsigned size);
    void (*write)(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value);
    /* Emulated functions: return true if bdf is emulated (then the access is theirs). */
    bool (*emulated_read)(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t *value);
    bool (*emulated_write)(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value);
    void (*reset_control)(void *ctx, uint8_t value);       /* byte written to 0xCF9 */
    uint8_t (*reset_control_read)(void *ctx);
    void (*pm_base_changed)(void *ctx, uint16_t base, bool enabled);
    void *ctx;
};

struct pci_proxy_stats {
    uint64_t bus_master_blocked;   /* writes that tried to set BME on a real function */
    uint64_t disabled_accesses;    /* data port used with the enable bit clear */
    uint64_t odd_accesses;         /* unaligned or odd-sized accesses, refused */
    uint64_t bmiba_writes_dropped; /* writes to the hidden IDE bus-master BAR */
};

struct pci_proxy {
    struct pci_proxy_ops ops;      /* runtime glue */
    uint32_t address;              /* plain state: the 0xCF8 latch */
    uint32_t pm_bdf;               /* the PIIX4 PM function, found at init (0 = none) */
    uint32_t ide_bdf;              /* the PIIX IDE function, found at init (0 = none) */
    struct pci_proxy_stats stats;
};

/* Finds the PIIX4 PM function on bus 0 (and the PIIX IDE function on the way) and
 * reports the PM function's current I/O base. */
void pci_proxy_init(struct pci_proxy *proxy, const struct pci_proxy_ops *ops);

/* One VTL0 access to a port in [0xCF8, 0xD00). Reads fill *value. */
void pci_proxy_io(struct pci_proxy *proxy, uint16_t port, unsigned size, bool is_write,
                  uint32_t *value);

/* VTL0 reset: the address latch clears. */
void pci_proxy_reset(struct pci_proxy *proxy);

/*
 * Saved state (docs/saved-state.md): unit "pci_proxy", schema
 * mezzanine.vdev.pci_proxy.SavedState: the 0xCF8 latch. restore decodes into a temporary
 * and validates it (a latch VTL0 could have written: bits 1:0 clear) -- -EINVAL changes
 * nothing -- then takes it; it makes no call (the real bus keeps its own state).
 */
#define PCI_PROXY_STATE_UNIT     "pci_proxy"
#define PCI_PROXY_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.pci_proxy.SavedState"
#define PCI_PROXY_STATE_MAX_LEN  8
int pci_proxy_save_state(const struct pci_proxy *proxy, uint8_t *buf, size_t cap, size_t *len);
int pci_proxy_restore_state(struct pci_proxy *proxy, const uint8_t *buf, size_t len);

#endif
