/* Device adapters for the saved-state suite and fuzz target; see state_adapters.h. */
#include "tests/unit/state_adapters.h"

#include "kernel/vtl0/partition_priv.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const uint8_t test_script[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t test_rom[4096] = { 0x55, 0xAA };

/* ---- fakes: every backend call counts, in the wrapper itself ---------------------------- */

static void count(void *ctx)
{
    ((struct fake *)ctx)->calls++;
}

static void i440bx_adjust(void *ctx, const struct pam_range *r, enum gpa_state s)
{
    (void)r, (void)s;
    count(ctx);
}

static int pg_create(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t off, bool rom,
                     uint32_t *status)
{
    (void)slot, (void)gpa, (void)len, (void)off, (void)rom;
    count(ctx);
    *status = PAM_GET_STATUS_SUCCESS;
    return 0;
}

static int pg_reset(void *ctx, uint32_t slot)
{
    (void)slot;
    count(ctx);
    return 0;
}

static void pg_applied(void *ctx, unsigned index, uint32_t slot, const struct pam_handle *h)
{
    (void)index, (void)slot, (void)h;
    count(ctx);
}

static uint32_t pci_read(void *ctx, uint32_t bdf, unsigned off, unsigned size)
{
    (void)bdf, (void)off, (void)size;
    count(ctx);
    return 0xFFFFFFFFu;         /* nothing there: no PIIX4 PM */
}

static void pci_write(void *ctx, uint32_t bdf, unsigned off, unsigned size, uint32_t v)
{
    (void)bdf, (void)off, (void)size, (void)v;
    count(ctx);
}

static void cmos_write(void *ctx, uint8_t v)
{
    (void)v;
    count(ctx);
}

static uint8_t cmos_read(void *ctx)
{
    count(ctx);
    return 0x42;
}

/* A fw_cfg with the signature, features 3 and an empty directory. */
static void fw_select(void *ctx, uint16_t key)
{
    struct fake *f = ctx;
    count(ctx);
    f->fwcfg_key = key;
    f->fwcfg_pos = 0;
}

static uint8_t fw_read(void *ctx)
{
    struct fake *f = ctx;
    uint32_t pos = f->fwcfg_pos++;
    count(ctx);
    if (f->fwcfg_key == FW_CFG_SIGNATURE)
        return pos < 4 ? (uint8_t)"QEMU"[pos] : 0;
    if (f->fwcfg_key == FW_CFG_ID)
        return pos == 0 ? 3 : 0;
    return 0;
}

static int fb_map(void *ctx, uint64_t gpa, uint64_t off, uint64_t size)
{
    (void)gpa, (void)off, (void)size;
    count(ctx);
    return 0;
}

static void fb_unmap(void *ctx, uint64_t gpa)
{
    (void)gpa;
    count(ctx);
}

static int fb_host_map(void *ctx, uint64_t gpa)
{
    (void)gpa;
    count(ctx);
    return 0;
}

static int fb_host_unmap(void *ctx)
{
    count(ctx);
    return 0;
}

static int bochs_map(void *ctx, uint64_t gpa)
{
    (void)gpa;
    count(ctx);
    return 0;
}

static void bochs_unmap(void *ctx)
{
    count(ctx);
}

static void bochs_format(void *ctx, const struct fb_format *f)
{
    (void)f;
    count(ctx);
}

static void bochs_move(void *ctx, enum bochs_region r, bool active, uint64_t gpa)
{
    (void)r, (void)active, (void)gpa;
    count(ctx);
}

static void td_event(void *ctx, const struct testdev_event *ev)
{
    (void)ev;
    count(ctx);
}

/* ---- the adapters ------------------------------------------------------------------------- */

/* i440bx: a bridge carried out by OpenHCL's backend. */
static void i440bx_fresh(void *w)
{
    struct w_i440bx *x = w;
    const struct i440bx_ops ops = { i440bx_adjust, &x->f };
    i440bx_init(&x->dev, I440BX_DEVICE_ID, &ops, false);
    x->dev.pam_backend = I440BX_PAM_OPENHCL;
}
static void i440bx_mutate(void *w)
{
    struct w_i440bx *x = w;
    i440bx_config_write(&x->dev, I440BX_PAM_REG1, 4, 0x33333303);
    i440bx_config_write(&x->dev, I440BX_BSPAD1, 4, 0xCAFE);
}
static void i440bx_do_reset(void *w) { i440bx_reset(&((struct w_i440bx *)w)->dev); }
static int i440bx_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return i440bx_save_state(&((const struct w_i440bx *)w)->dev, b, c, l); }
static int i440bx_restore_w(void *w, const uint8_t *b, size_t l)
{ return i440bx_restore_state(&((struct w_i440bx *)w)->dev, b, l); }

/* pam_get: what the bridge's construction and reset drive: the 13 ranges at reset. */
static void pam_get_adjust_reset_states(struct pam_get *pg)
{
    enum gpa_state states[PAM_RANGE_COUNT];
    pam_decode(PAM_REG1_RESET, PAM_REG2_RESET, states);
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++)
        pam_get_adjust(pg, &pam_ranges[i], states[i]);
}
static void pam_get_fresh(void *w)
{
    struct w_pam_get *x = w;
    const struct pam_get_ops ops = { pg_create, pg_reset, pg_applied, NULL, &x->f };
    pam_get_init(&x->dev, 0, 0x1BD00000, &ops);
    pam_get_adjust_reset_states(&x->dev);
}
static void pam_get_mutate(void *w)
{
    struct w_pam_get *x = w;
    pam_get_adjust(&x->dev, &pam_ranges[0], GPA_STATE_WRITE_PROTECTED);
    pam_get_adjust(&x->dev, &pam_ranges[1], GPA_STATE_WRITABLE);
}
static void pam_get_do_reset(void *w) { pam_get_adjust_reset_states(&((struct w_pam_get *)w)->dev); }
static int pam_get_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return pam_get_save_state(&((const struct w_pam_get *)w)->dev, b, c, l); }
static int pam_get_restore_w(void *w, const uint8_t *b, size_t l)
{ return pam_get_restore_state(&((struct w_pam_get *)w)->dev, b, l); }

static void pci_fresh(void *w)
{
    struct w_pci *x = w;
    const struct pci_proxy_ops ops = { .read = pci_read, .write = pci_write, .ctx = &x->f };
    pci_proxy_init(&x->dev, &ops);
}
static void pci_mutate(void *w)
{
    uint32_t v = 0x80001808u;
    pci_proxy_io(&((struct w_pci *)w)->dev, PCI_PORT_ADDRESS, 4, true, &v);
}
static void pci_do_reset(void *w) { pci_proxy_reset(&((struct w_pci *)w)->dev); }
static int pci_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return pci_proxy_save_state(&((const struct w_pci *)w)->dev, b, c, l); }
static int pci_restore_w(void *w, const uint8_t *b, size_t l)
{ return pci_proxy_restore_state(&((struct w_pci *)w)->dev, b, l); }

static void cmos_fresh(void *w)
{
    struct w_cmos *x = w;
    const struct cmos_ops ops = { cmos_write, cmos_read, cmos_write, &x->f };
    cmos_view_init(&x->dev, 0x1BE00000, 0, &ops);
}
static void cmos_mutate(void *w)
{
    uint32_t v = 0x8F;
    cmos_view_io(&((struct w_cmos *)w)->dev, CMOS_PORT_INDEX, true, &v);
}
static void cmos_do_reset(void *w) { cmos_view_reset(&((struct w_cmos *)w)->dev); }
static int cmos_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return cmos_view_save_state(&((const struct w_cmos *)w)->dev, b, c, l); }
static int cmos_restore_w(void *w, const uint8_t *b, size_t l)
{ return cmos_view_restore_state(&((struct w_cmos *)w)->dev, b, l); }

static void fwcfg_fresh(void *w)
{
    struct w_fwcfg *x = w;
    const struct fwcfg_ops ops = { fw_select, fw_read, &x->f };
    if (fwcfg_view_init(&x->dev, 0x1BE00000, 0, &ops) != 0)
        abort();
}
static void fwcfg_mutate(void *w)
{
    struct w_fwcfg *x = w;
    uint32_t v = FW_CFG_RAM_SIZE;
    fwcfg_view_io(&x->dev, FWCFG_PORT_SELECTOR, 2, true, &v);
    fwcfg_view_io(&x->dev, FWCFG_PORT_DATA, 2, false, &v);
}
static void fwcfg_do_reset(void *w) { fwcfg_view_reset(&((struct w_fwcfg *)w)->dev); }
static int fwcfg_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return fwcfg_view_save_state(&((const struct w_fwcfg *)w)->dev, b, c, l); }
static int fwcfg_restore_w(void *w, const uint8_t *b, size_t l)
{ return fwcfg_view_restore_state(&((struct w_fwcfg *)w)->dev, b, l); }

static void fb_fresh(void *w)
{
    struct w_fb *x = w;
    const struct framebuffer_ops ops = {
        .map = fb_map, .unmap = fb_unmap, .host_map = fb_host_map, .host_unmap = fb_host_unmap,
        .ctx = &x->f,
    };
    if (framebuffer_init(&x->dev, x->vram, FB_TEST_VRAM, &ops) != 0)
        abort();
}
static void fb_mutate(void *w)
{
    const struct fb_range r = { 0x2000, 0x4000 };
    if (framebuffer_map(&((struct w_fb *)w)->dev, 0xE0000000, &r) != 0)
        abort();
}
static void fb_do_reset(void *w) { framebuffer_reset(&((struct w_fb *)w)->dev); }
static int fb_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return framebuffer_save_state(&((const struct w_fb *)w)->dev, b, c, l); }
static int fb_restore_w(void *w, const uint8_t *b, size_t l)
{ return framebuffer_restore_state(&((struct w_fb *)w)->dev, b, l); }

static void bochs_fresh(void *w)
{
    struct w_bochs *x = w;
    const struct bochs_display_ops ops = { bochs_map, bochs_unmap, bochs_format, bochs_move, &x->f };
    const struct bochs_display_config cfg = { BOCHS_TEST_VRAM, test_rom, sizeof(test_rom), 1024, 768 };
    if (bochs_display_init(&x->dev, &cfg, &ops) != 0)
        abort();
}
static void bochs_mutate(void *w)
{
    struct bochs_display *d = &((struct w_bochs *)w)->dev;
    bochs_display_config_write(d, 0x18, 4, 0xFEBF0000);
    bochs_display_config_write(d, 0x30, 4, 0xFEB00001);
    bochs_display_config_write(d, 0x04, 2, BOCHS_CMD_MEMORY | BOCHS_CMD_IO);
    bochs_dispi_write(d, DISPI_INDEX_XRES, 640);
    uint32_t v = DISPI_INDEX_YRES;
    bochs_display_port_io(d, 0x1CE, 2, true, &v);
}
static void bochs_do_reset(void *w) { bochs_display_reset(&((struct w_bochs *)w)->dev); }
static int bochs_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return bochs_display_save_state(&((const struct w_bochs *)w)->dev, b, c, l); }
static int bochs_restore_w(void *w, const uint8_t *b, size_t l)
{ return bochs_display_restore_state(&((struct w_bochs *)w)->dev, b, l); }

/* testdev has no VTL0 reset (its state survives them, docs/testdev.md): its reset here is
 * its power-on, testdev_init(). */
static void td_fresh(void *w)
{
    struct w_testdev *x = w;
    const struct testdev_ops ops = { td_event, &x->f };
    testdev_init(&x->dev, test_script, sizeof(test_script), &ops);
}
static void td_mutate(void *w)
{
    struct testdev *td = &((struct w_testdev *)w)->dev;
    uint32_t v = 0x1234;
    if (testdev_io(td, TESTDEV_REG_ARG, 4, true, &v) != 0)
        abort();
    v = 'h';
    if (testdev_io(td, TESTDEV_REG_LOG, 1, true, &v) != 0)
        abort();
    if (testdev_io(td, TESTDEV_REG_SCRIPT, 1, false, &v) != 0)
        abort();
    v = TESTDEV_EV_BOOT;       /* an ERROR event: args pending for BOOT */
    if (testdev_io(td, TESTDEV_REG_CMD, 1, true, &v) != 0)
        abort();
    v = 0x5678;
    if (testdev_io(td, TESTDEV_REG_ARG, 4, true, &v) != 0)
        abort();
}
static void td_do_reset(void *w) { td_fresh(w); }
static int td_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return testdev_save_state(&((const struct w_testdev *)w)->dev, b, c, l); }
static int td_restore_w(void *w, const uint8_t *b, size_t l)
{ return testdev_restore_state(&((struct w_testdev *)w)->dev, b, l); }

/* ---- legacy_ports -------------------------------------------------------------------- */

static void legacy_fresh(void *w)
{
    legacy_ports_init(&((struct w_legacy *)w)->dev);
}
static void legacy_mutate(void *w)
{
    struct legacy_ports *lp = &((struct w_legacy *)w)->dev;
    char line[LEGACY_DEBUGCON_LINE];
    legacy_kbc_command(lp, 0xD1);
    (void)legacy_port92_write(lp, 0x00);
    (void)legacy_debugcon_put(lp, 'S', line);
}
static void legacy_do_reset(void *w) { legacy_ports_reset(&((struct w_legacy *)w)->dev); }
static int legacy_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return legacy_ports_save_state(&((const struct w_legacy *)w)->dev, b, c, l); }
static int legacy_restore_w(void *w, const uint8_t *b, size_t l)
{ return legacy_ports_restore_state(&((struct w_legacy *)w)->dev, b, l); }

/* ---- partition (VTL0's CPU) ---------------------------------------------------------- */

/* What partition_init leaves: the VMCB at the reset vector (the values VMRUN needs). */
static void partition_fresh(void *w)
{
    struct w_partition *x = w;
    memset(x, 0, sizeof(*x));
    x->dev.vmcb = &x->vmcb;
    x->vmcb.save.cs = (struct vmcb_segment){ .selector = 0xF000, .attrib = 0x9B, .limit = 0xFFFF,
                                             .base = 0xFFFF0000 };
    x->vmcb.save.cr0 = 0x60000010;
    x->vmcb.save.rflags = 0x2;
    x->vmcb.save.rip = 0xFFF0;
    x->vmcb.save.efer = 1u << 12;            /* EFER.SVME */
    x->vmcb.save.g_pat = 0x0007040600070406ull;
}
/* VTL0 ran a while: in protected mode with registers set, an interrupt queued. */
static void partition_mutate(void *w)
{
    struct w_partition *x = w;
    x->vmcb.save.cr0 |= 1;
    x->vmcb.save.rip = 0x7C00;
    x->dev.gprs.gpr[GPR_RBX] = 0x1234;
    x->dev.irq_queue[0] = 0x20;
    x->dev.irq_count = 1;
    x->dev.mtrr_shadow[3] = 0x6;
}
static void partition_do_reset(void *w) { partition_fresh(w); }
static int partition_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return partition_cpu_save(&((const struct w_partition *)w)->dev, b, c, l); }
static int partition_restore_w(void *w, const uint8_t *b, size_t l)
{ return partition_cpu_restore(&((struct w_partition *)w)->dev, b, l); }

#define ADAPTER(unit, url, wrapper, p) \
    { unit, url, sizeof(struct wrapper), p##_fresh, p##_mutate, p##_do_reset, p##_save_w, \
      p##_restore_w }

const struct adapter adapters[] = {
    ADAPTER(I440BX_STATE_UNIT, I440BX_STATE_TYPE_URL, w_i440bx, i440bx),
    ADAPTER(PAM_GET_STATE_UNIT, PAM_GET_STATE_TYPE_URL, w_pam_get, pam_get),
    ADAPTER(PCI_PROXY_STATE_UNIT, PCI_PROXY_STATE_TYPE_URL, w_pci, pci),
    ADAPTER(CMOS_VIEW_STATE_UNIT, CMOS_VIEW_STATE_TYPE_URL, w_cmos, cmos),
    ADAPTER(FWCFG_VIEW_STATE_UNIT, FWCFG_VIEW_STATE_TYPE_URL, w_fwcfg, fwcfg),
    ADAPTER(FRAMEBUFFER_STATE_UNIT, FRAMEBUFFER_STATE_TYPE_URL, w_fb, fb),
    ADAPTER(BOCHS_DISPLAY_STATE_UNIT, BOCHS_DISPLAY_STATE_TYPE_URL, w_bochs, bochs),
    ADAPTER(TESTDEV_STATE_UNIT, TESTDEV_STATE_TYPE_URL, w_testdev, td),
    ADAPTER(LEGACY_PORTS_STATE_UNIT, LEGACY_PORTS_STATE_TYPE_URL, w_legacy, legacy),
    ADAPTER("partition", "type.googleapis.com/mezzanine.vtl0.partition.SavedState", w_partition,
            partition),
};
const size_t nadapters = sizeof(adapters) / sizeof(adapters[0]);
const size_t adapters_registry_order[] = { 9, 8, 3, 4, 7, 2, 1, 0, 5, 6 };
_Static_assert(sizeof(adapters_registry_order) == sizeof(adapters) / sizeof(adapters[0]) *
               sizeof(size_t), "every adapter once in the registry's order");

void adapter_testdev_use_script(void *w, const uint8_t *script, size_t len)
{
    struct w_testdev *x = w;
    const struct testdev_ops ops = { td_event, &x->f };
    testdev_init(&x->dev, script, len, &ops);
}

void adapter_framebuffer_use_vram(void *w, uint8_t *vram, uint64_t size)
{
    struct w_fb *x = w;
    const struct framebuffer_ops ops = x->dev.ops;
    if (framebuffer_init(&x->dev, vram, size, &ops) != 0)
        abort();
}
