/* VTL0 PCI configuration proxy; see pci_proxy.h. */
#include "drivers/vdev/chipset/pci_proxy.h"

static bool is_pm_register(const struct pci_proxy *p, uint32_t bdf, unsigned offset, unsigned size)
{
    if (p->pm_bdf == 0 || bdf != p->pm_bdf)
        return false;
    return (offset < PIIX4_PMBA + 2 && offset + size > PIIX4_PMBA) ||
           (offset <= PIIX4_PMREGMISC && offset + size > PIIX4_PMREGMISC);
}

static void report_pm_base(struct pci_proxy *p)
{
    uint16_t base = (uint16_t)(p->ops.read(p->ops.ctx, p->pm_bdf, PIIX4_PMBA, 2) & PIIX4_PMBA_MASK);
    bool enabled = p->ops.read(p->ops.ctx, p->pm_bdf, PIIX4_PMREGMISC, 1) & PIIX4_PMIOSE;
    if (p->ops.pm_base_changed)
        p->ops.pm_base_changed(p->ops.ctx, base, enabled && base != 0);
}

void pci_proxy_reset(struct pci_proxy *p)
{
    p->address = 0;
}

void pci_proxy_init(struct pci_proxy *p, const struct pci_proxy_ops *ops)
{
    p->ops = *ops;
    p->address = 0;
    p->pm_bdf = 0;
    p->ide_bdf = 0;
    p->stats = (struct pci_proxy_stats){ 0 };
    for (unsigned dev = 0; dev < 32 && p->pm_bdf == 0; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            uint32_t bdf = PCI_BDF(0, dev, fn);
            uint32_t id = p->ops.read(p->ops.ctx, bdf, 0, 4);
            if (id == PIIX3_IDE_ID || id == PIIX4_IDE_ID)
                p->ide_bdf = bdf;   /* the same function as the PM one, before it */
            if (id == PIIX4_PM_ID) {
                p->pm_bdf = bdf;
                break;
            }
        }
    }
    if (p->pm_bdf != 0)
        report_pm_base(p);
}

/* The IDE function as VTL0 sees it: no bus-master capability, no BAR4 (reads of those
 * bytes of a real-bus value `v` read at offset/size). Accesses are aligned, so one that
 * touches BAR4 lies inside it. */
static uint32_t hide_ide_bus_master(unsigned offset, unsigned size, uint32_t v)
{
    if (offset >= PCI_BAR4 && offset < PCI_BAR4 + 4)
        return 0;
    if (offset <= PCI_PROG_IF && offset + size > PCI_PROG_IF)
        v &= ~(PCI_IDE_PROG_IF_BUS_MASTER << (8 * (PCI_PROG_IF - offset)));
    return v;
}

static void data_access(struct pci_proxy *p, unsigned byte, unsigned size, bool is_write,
                        uint32_t *value)
{
    uint32_t bdf = p->address & 0x00FFFF00u;
    unsigned offset = PCI_ADDR_REG(p->address) + byte;
    bool ide = p->ide_bdf != 0 && bdf == p->ide_bdf;

    if (!is_write) {
        if (p->ops.emulated_read && p->ops.emulated_read(p->ops.ctx, bdf, offset, size, value))
            return;
        *value = p->ops.read(p->ops.ctx, bdf, offset, size);
        if (ide)
            *value = hide_ide_bus_master(offset, size, *value);
        return;
    }
    uint32_t v = *value;
    if (p->ops.emulated_write && p->ops.emulated_write(p->ops.ctx, bdf, offset, size, v))
        return;
    if (ide && offset >= PCI_BAR4 && offset < PCI_BAR4 + 4) {
        p->stats.bmiba_writes_dropped++;
        return;
    }
    /* Does this write cover bit 2 of the command register (byte 0x04)? */
    if (offset <= PCI_COMMAND && offset + size > PCI_COMMAND) {
        uint32_t bme = PCI_COMMAND_BUS_MASTER << (8 * (PCI_COMMAND - offset));
        if (v & bme) {
            v &= ~bme;
            p->stats.bus_master_blocked++;
        }
    }
    p->ops.write(p->ops.ctx, bdf, offset, size, v);
    if (is_pm_register(p, bdf, offset, size))
        report_pm_base(p);
}

void pci_proxy_io(struct pci_proxy *p, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    unsigned byte = port - PCI_PORT_FIRST;

    if (port == PCI_PORT_ADDRESS && size == 4) {
        if (is_write)
            p->address = *value & ~3u;
        else
            *value = p->address;
        return;
    }
    if (port == PCI_PORT_RCR && size == 1) {
        if (is_write) {
            if (p->ops.reset_control)
                p->ops.reset_control(p->ops.ctx, (uint8_t)*value);
        } else {
            *value = p->ops.reset_control_read ? p->ops.reset_control_read(p->ops.ctx) : 0;
        }
        return;
    }
    if (byte >= 4 && byte + size <= 8 && (size == 1 || size == 2 || size == 4) &&
        ((byte - 4) % size) == 0) {
        if (!(p->address & PCI_ADDR_ENABLE)) {
            p->stats.disabled_accesses++;
            if (!is_write)
                *value = 0xFFFFFFFFu;
            return;
        }
        data_access(p, byte - 4, size, is_write, value);
        return;
    }
    /* Byte/word accesses to 0xCF8/0xCFA/0xCFB go to no register on this chipset. */
    p->stats.odd_accesses++;
    if (!is_write)
        *value = 0xFFFFFFFFu;
}
