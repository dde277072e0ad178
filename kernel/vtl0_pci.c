/*
 * VTL0's PCI configuration space: the proxy's glue to QEMU's real bus, and the host
 * bridge placeholder at 00:00.0 until the i440BX model lands (PAM issue). The
 * placeholder emulates only the PAM registers, with OpenVMM's local RAM-visibility
 * rules (drivers/pam.c); other bridge reads come from the real bridge and other
 * writes are dropped, so VTL0 never writes the real bridge.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/pci_cf8.h"
#include "kernel/log.h"
#include "kernel/partition_priv.h"

#define BRIDGE_BDF PCI_BDF(0, 0, 0)
#define PAM_FIRST  PAM_REG1_OFFSET
#define PAM_END    (PAM_REG2_OFFSET + 4)
/* Every PAM nibble = 3: the real bridge maps C0000-FFFFF to RAM, so what VTL0 sees there
 * is decided by the NPT alone. */
#define REAL_PAM_ALL_RAM_REG1 0x33333300u
#define REAL_PAM_ALL_RAM_REG2 0x33333333u

static uint32_t real_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size)
{
    (void)ctx;
    outl(PCI_CF8_ADDRESS, PCI_CF8_ENABLE | bdf | (offset & 0xFC));
    uint16_t port = (uint16_t)(PCI_CF8_DATA + (offset & 3));
    return size == 1 ? inb(port) : size == 2 ? inw(port) : inl(port);
}

static void real_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    (void)ctx;
    outl(PCI_CF8_ADDRESS, PCI_CF8_ENABLE | bdf | (offset & 0xFC));
    uint16_t port = (uint16_t)(PCI_CF8_DATA + (offset & 3));
    if (size == 1)
        outb(port, (uint8_t)value);
    else if (size == 2)
        outw(port, (uint16_t)value);
    else
        outl(port, value);
}

static uint8_t pam_byte(const struct partition *p, unsigned offset)
{
    uint32_t reg = offset < PAM_REG2_OFFSET ? p->pam_reg1 : p->pam_reg2;
    return (uint8_t)(reg >> (8 * (offset & 3)));
}

int vtl0_pci_add_function(struct partition *p, const struct vtl0_pci_function *fn)
{
    if (fn->bdf == BRIDGE_BDF)
        return -EEXIST;
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

static bool bridge_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t *value)
{
    struct partition *p = ctx;
    const struct vtl0_pci_function *fn = emulated_function(p, bdf);
    if (fn != NULL) {
        *value = fn->read(fn->ctx, offset, size);
        return true;
    }
    if (bdf != BRIDGE_BDF)
        return false;
    uint32_t v = real_read(NULL, bdf, offset, size);
    for (unsigned i = 0; i < size; i++) {
        if (offset + i >= PAM_FIRST && offset + i < PAM_END) {
            v &= ~(0xFFu << (8 * i));
            v |= (uint32_t)pam_byte(p, offset + i) << (8 * i);
        }
    }
    *value = v;
    return true;
}

static bool bridge_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    struct partition *p = ctx;
    const struct vtl0_pci_function *fn = emulated_function(p, bdf);
    if (fn != NULL) {
        fn->write(fn->ctx, offset, size, value);
        return true;
    }
    if (bdf != BRIDGE_BDF)
        return false;
    bool pam = false;
    for (unsigned i = 0; i < size; i++) {
        unsigned byte = offset + i;
        uint8_t b = (uint8_t)(value >> (8 * i));
        if (byte < PAM_FIRST || byte >= PAM_END) {
            p->stats.bridge_writes_dropped++;
            continue;
        }
        uint32_t *reg = byte < PAM_REG2_OFFSET ? &p->pam_reg1 : &p->pam_reg2;
        unsigned shift = 8 * (byte & 3);
        *reg = (*reg & ~(0xFFu << shift)) | ((uint32_t)b << shift);
        pam = true;
    }
    if (pam) {
        p->stats.pam_writes++;
        log_info("pam", "write 0x%02x <- 0x%0*x: reg1 0x%08x reg2 0x%08x", offset, (int)size * 2,
                 value, p->pam_reg1, p->pam_reg2);
        vtl0_pam_apply(p, false);
    } else {
        log_debug("pci", "00:00.0 write 0x%02x <- 0x%x dropped (bridge placeholder)", offset, value);
    }
    return true;
}

static void reset_control(void *ctx, uint8_t value)
{
    struct partition *p = ctx;
    if (value & 0x04)   /* RST_CPU */
        vtl0_request_halt(p, VTL0_HALT_RESET, "reset control register 0xCF9");
}

static uint8_t reset_control_read(void *ctx)
{
    (void)ctx;
    return 0;
}

void vtl0_pam_apply(struct partition *p, bool force)
{
    enum gpa_state states[PAM_RANGE_COUNT];
    pam_decode(p->pam_reg1, p->pam_reg2, states);
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        const struct pam_range *r = &pam_ranges[i];
        enum gpa_visibility vis = pam_local_visibility(r, states[i]);
        int old = gpa_map_find_region(&p->gpa, r->start, r->end);
        if (old < 0)
            continue;
        if (!force && p->gpa.regions[old].visibility == vis)
            continue;
        gpa_map_set_visibility(&p->gpa, r->start, r->end, vis);
        log_debug("pam", "range 0x%05llx-0x%05llx %s -> %s", (unsigned long long)r->start,
                  (unsigned long long)(r->end - 1), gpa_state_name(states[i]), gpa_visibility_name(vis));
    }
}

void vtl0_pci_init(struct partition *p)
{
    const struct pci_proxy_ops ops = {
        .read = real_read, .write = real_write,
        .emulated_read = bridge_read, .emulated_write = bridge_write,
        .reset_control = reset_control, .reset_control_read = reset_control_read,
        .pm_base_changed = vtl0_pm_base_changed, .ctx = p,
    };
    uint32_t dramt = pci_cf8_read32(0, 0, 0, PAM_REG1_OFFSET) & 0xFF;
    pci_cf8_write32(0, 0, 0, PAM_REG1_OFFSET, dramt | REAL_PAM_ALL_RAM_REG1);
    pci_cf8_write32(0, 0, 0, PAM_REG2_OFFSET, REAL_PAM_ALL_RAM_REG2);
    pci_proxy_init(&p->pci, &ops);
}

void vtl0_pci_reset(struct partition *p)
{
    p->pam_reg1 = PAM_REG1_RESET;
    p->pam_reg2 = PAM_REG2_RESET;
    p->pci.address = 0;
    vtl0_pam_apply(p, true);
}
