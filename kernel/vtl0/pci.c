/*
 * VTL0's PCI configuration space: the proxy's glue to QEMU's real bus, and the table of
 * functions Mezzanine emulates (the i440BX host bridge at 00:00.0, the display...),
 * which answer in place of whatever is real at their address. VTL0 never writes the
 * real 00:00.0.
 */
#include <errno.h>
#include <string.h>

#include "drivers/hw/pci_cf8.h"
#include "drivers/hw/piix_regs.h"
#include "kernel/lib/log.h"
#include "kernel/vtl0/partition_priv.h"

/* Every PAM nibble = 3: the real bridge maps C0000-FFFFF to RAM, so what VTL0 sees there
 * is decided by the NPT alone. */
#define REAL_PAM_ALL_RAM_REG1 0x33333300u
#define REAL_PAM_ALL_RAM_REG2 0x33333333u

static uint32_t real_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size)
{
    (void)ctx;
    outl(PCI_CF8_ADDRESS, PCI_CF8_ENABLE | bdf | (offset & 0xFC));
    return host_port_in((uint16_t)(PCI_CF8_DATA + (offset & 3)), size);
}

static void real_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    (void)ctx;
    outl(PCI_CF8_ADDRESS, PCI_CF8_ENABLE | bdf | (offset & 0xFC));
    host_port_out((uint16_t)(PCI_CF8_DATA + (offset & 3)), size, value);
}

int vtl0_pci_add_function(struct partition *p, const struct vtl0_pci_function *fn)
{
    for (unsigned i = 0; i < p->pci_function_count; i++) {
        if (p->pci_functions[i].bdf == fn->bdf)
            return -EEXIST;
    }
    if (p->pci_function_count == VTL0_MAX_PCI_FUNCTIONS)
        return -ENOSPC;
    p->pci_functions[p->pci_function_count++] = *fn;
    return 0;
}

static const struct vtl0_pci_function *emulated_function(const struct partition *p, uint32_t bdf)
{
    for (unsigned i = 0; i < p->pci_function_count; i++) {
        if (p->pci_functions[i].bdf == bdf)
            return &p->pci_functions[i];
    }
    return NULL;
}

static bool emulated_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t *value)
{
    const struct vtl0_pci_function *fn = emulated_function(ctx, bdf);
    if (fn == NULL)
        return false;
    *value = fn->read(fn->ctx, offset, size);
    return true;
}

static bool emulated_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    const struct vtl0_pci_function *fn = emulated_function(ctx, bdf);
    if (fn == NULL)
        return false;
    fn->write(fn->ctx, offset, size, value);
    return true;
}

static void reset_control(void *ctx, uint8_t value)
{
    struct partition *p = ctx;
    if (value & RCR_RST_CPU)
        vtl0_request_halt(p, VTL0_HALT_RESET, "reset control register 0xCF9");
}

static uint8_t reset_control_read(void *ctx)
{
    (void)ctx;
    return 0;
}

/* Unit "pci_proxy": the CONFIG_ADDRESS latch. */
static void pci_unit_reset(void *ctx)
{
    pci_proxy_reset(&((struct partition *)ctx)->pci);
}

static int pci_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return pci_proxy_save_state(&((const struct partition *)ctx)->pci, buf, cap, len);
}

static int pci_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return pci_proxy_restore_state(&((struct partition *)ctx)->pci, buf, len);
}

static const struct vtl0_device_ops pci_unit_ops = {
    .reset = pci_unit_reset, .save = pci_unit_save, .restore = pci_unit_restore,
};

void vtl0_pci_init(struct partition *p)
{
    const struct pci_proxy_ops ops = {
        .read = real_read, .write = real_write,
        .emulated_read = emulated_read, .emulated_write = emulated_write,
        .reset_control = reset_control, .reset_control_read = reset_control_read,
        .pm_base_changed = vtl0_pm_base_changed, .ctx = p,
    };
    /* Written only if they differ: a PAM write makes QEMU rebuild its memory map and
     * flush its translation TLBs (~0.2 ms under TCG), and a servicing boot finds them
     * set already by the instance before it (the chipset keeps running). */
    uint32_t reg1 = pci_cf8_read32(0, 0, 0, PAM_REG1_OFFSET);
    uint32_t want1 = (reg1 & 0xFF) | REAL_PAM_ALL_RAM_REG1;
    if (reg1 != want1)
        pci_cf8_write32(0, 0, 0, PAM_REG1_OFFSET, want1);
    if (pci_cf8_read32(0, 0, 0, PAM_REG2_OFFSET) != REAL_PAM_ALL_RAM_REG2)
        pci_cf8_write32(0, 0, 0, PAM_REG2_OFFSET, REAL_PAM_ALL_RAM_REG2);
    pci_proxy_init(&p->pci, &ops);
    p->pci_unit = (struct vtl0_device){ .name = PCI_PROXY_STATE_UNIT, .type_url = PCI_PROXY_STATE_TYPE_URL,
                                        .ops = &pci_unit_ops, .ctx = p };
    (void)vtl0_add_device(p, &p->pci_unit);
}


