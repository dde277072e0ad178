/*
 * Saved state, generically (docs/saved-state.md): ONE body run over every device core
 * through an adapter table, in the manner of crosvm's suspendable_tests -- a fresh
 * device's save equals another fresh device's; a state-changing operation changes the
 * save; restore(save) then save is byte-equal; restore into a reset device works; reset
 * returns to the fresh save; a truncated, garbled or wrong-type blob is refused with an
 * error naming the unit and leaves the device exactly as it was (the whole object,
 * counters and fake backends included, compared byte for byte). Then the envelope's own
 * rules, and the golden blobs of tests/vectors/saved_state (new code reads old state).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/cmos_view.h"
#include "drivers/vdev/chipset/fwcfg_view.h"
#include "drivers/vdev/chipset/i440bx.h"
#include "drivers/vdev/chipset/pam_get.h"
#include "drivers/vdev/chipset/pci_proxy.h"
#include "drivers/vdev/display/bochs_display.h"
#include "drivers/vdev/display/framebuffer.h"
#include "drivers/vdev/testdev/testdev.h"
#include "kernel/servicing/envelope.h"

#define BLOB_MAX 4096

/* ---- fakes: every backend call counts, in the wrapper itself ---------------------------- */

struct fake {
    unsigned calls;
    uint16_t fwcfg_key;         /* fw_cfg: the selected item */
    uint32_t fwcfg_pos;
};

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

#define FB_TEST_VRAM 0x10000u
#define BOCHS_TEST_VRAM 0x10000u
static const uint8_t test_script[] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t test_rom[4096] = { 0x55, 0xAA };

struct w_i440bx { struct i440bx dev; struct fake f; };
struct w_pam_get { struct pam_get dev; struct fake f; };
struct w_pci { struct pci_proxy dev; struct fake f; };
struct w_cmos { struct cmos_view dev; struct fake f; };
struct w_fwcfg { struct fwcfg_view dev; struct fake f; };
struct w_fb { struct framebuffer dev; struct fake f; uint8_t vram[FB_TEST_VRAM]; };
struct w_bochs { struct bochs_display dev; struct fake f; };
struct w_testdev { struct testdev dev; struct fake f; };

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
    assert_int_equal(fwcfg_view_init(&x->dev, 0x1BE00000, 0, &ops), 0);
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
    assert_int_equal(framebuffer_init(&x->dev, x->vram, FB_TEST_VRAM, &ops), 0);
}
static void fb_mutate(void *w)
{
    const struct fb_range r = { 0x2000, 0x4000 };
    assert_int_equal(framebuffer_map(&((struct w_fb *)w)->dev, 0xE0000000, &r), 0);
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
    assert_int_equal(bochs_display_init(&x->dev, &cfg, &ops), 0);
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
    assert_int_equal(testdev_io(td, TESTDEV_REG_ARG, 4, true, &v), 0);
    v = 'h';
    assert_int_equal(testdev_io(td, TESTDEV_REG_LOG, 1, true, &v), 0);
    assert_int_equal(testdev_io(td, TESTDEV_REG_SCRIPT, 1, false, &v), 0);
    v = TESTDEV_EV_BOOT;       /* an ERROR event: args pending for BOOT */
    assert_int_equal(testdev_io(td, TESTDEV_REG_CMD, 1, true, &v), 0);
    v = 0x5678;
    assert_int_equal(testdev_io(td, TESTDEV_REG_ARG, 4, true, &v), 0);
}
static void td_do_reset(void *w) { td_fresh(w); }
static int td_save_w(const void *w, uint8_t *b, size_t c, size_t *l)
{ return testdev_save_state(&((const struct w_testdev *)w)->dev, b, c, l); }
static int td_restore_w(void *w, const uint8_t *b, size_t l)
{ return testdev_restore_state(&((struct w_testdev *)w)->dev, b, l); }

struct adapter {
    const char *name, *type_url;
    size_t size;
    void (*fresh)(void *w);
    void (*mutate)(void *w);        /* a state-changing operation */
    void (*reset)(void *w);
    int (*save)(const void *w, uint8_t *buf, size_t cap, size_t *len);
    int (*restore)(void *w, const uint8_t *buf, size_t len);
};

#define ADAPTER(unit, url, wrapper, p) \
    { unit, url, sizeof(struct wrapper), p##_fresh, p##_mutate, p##_do_reset, p##_save_w, \
      p##_restore_w }

static const struct adapter adapters[] = {
    ADAPTER(I440BX_STATE_UNIT, I440BX_STATE_TYPE_URL, w_i440bx, i440bx),
    ADAPTER(PAM_GET_STATE_UNIT, PAM_GET_STATE_TYPE_URL, w_pam_get, pam_get),
    ADAPTER(PCI_PROXY_STATE_UNIT, PCI_PROXY_STATE_TYPE_URL, w_pci, pci),
    ADAPTER(CMOS_VIEW_STATE_UNIT, CMOS_VIEW_STATE_TYPE_URL, w_cmos, cmos),
    ADAPTER(FWCFG_VIEW_STATE_UNIT, FWCFG_VIEW_STATE_TYPE_URL, w_fwcfg, fwcfg),
    ADAPTER(FRAMEBUFFER_STATE_UNIT, FRAMEBUFFER_STATE_TYPE_URL, w_fb, fb),
    ADAPTER(BOCHS_DISPLAY_STATE_UNIT, BOCHS_DISPLAY_STATE_TYPE_URL, w_bochs, bochs),
    ADAPTER(TESTDEV_STATE_UNIT, TESTDEV_STATE_TYPE_URL, w_testdev, td),
};
#define NADAPTERS (sizeof(adapters) / sizeof(adapters[0]))

/* ---- helpers ------------------------------------------------------------------------------ */

struct blob {
    uint8_t b[BLOB_MAX];
    size_t len;
};

static void *make(const struct adapter *a)
{
    void *w = calloc(1, a->size);
    assert_non_null(w);
    a->fresh(w);
    return w;
}

static struct blob save(const struct adapter *a, const void *w)
{
    struct blob out;
    assert_int_equal(a->save(w, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static bool same(const struct blob *x, const struct blob *y)
{
    return x->len == y->len && memcmp(x->b, y->b, x->len) == 0;
}

static void expect_same(const struct adapter *a, const char *what, const struct blob *x,
                        const struct blob *y)
{
    if (!same(x, y))
        fail_msg("%s: %s: saves differ (%zu and %zu bytes)", a->name, what, x->len, y->len);
}

static struct state_unit unit_of(const struct adapter *a, void *w)
{
    return (struct state_unit){ a->name, a->type_url, a->save, a->restore, w };
}

/* One envelope entry carrying value under name/type_url. */
static struct blob entry(const char *name, const char *type_url, const uint8_t *value, size_t len)
{
    struct blob out;
    assert_int_equal(state_encode_entry(name, type_url, value, len, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

/* Restores blob into w, which must refuse it, name the unit and change nothing. */
static void expect_refused(const struct adapter *a, void *w, const struct blob *blob,
                           const char *what, bool names_unit)
{
    void *copy = malloc(a->size);
    assert_non_null(copy);
    memcpy(copy, w, a->size);
    struct state_unit u = unit_of(a, w);
    struct state_error e;
    memset(&e, 0, sizeof(e));
    int err = state_restore(&u, 1, blob->b, blob->len, &e);
    if (err >= 0 || e.err != err)
        fail_msg("%s: %s: restore returned %d (error %d), want a refusal", a->name, what, err, e.err);
    if (names_unit && strcmp(e.unit, a->name) != 0)
        fail_msg("%s: %s: error names \"%s\" (%s)", a->name, what, e.unit, e.what);
    if (memcmp(copy, w, a->size) != 0)
        fail_msg("%s: %s: the refused restore changed the device", a->name, what);
    free(copy);
}

/* ---- the one body ------------------------------------------------------------------------- */

static void check_device(const struct adapter *a)
{
    void *x = make(a), *y = make(a);
    struct blob fresh_x = save(a, x), fresh_y = save(a, y);
    expect_same(a, "two fresh devices", &fresh_x, &fresh_y);

    a->mutate(x);
    struct blob busy = save(a, x);
    if (same(&busy, &fresh_x))
        fail_msg("%s: the save did not change after a state-changing operation", a->name);
    assert_true(busy.len > 0);

    /* restore(save) then save, in place and into another fresh device */
    assert_int_equal(a->restore(x, busy.b, busy.len), 0);
    struct blob again = save(a, x);
    expect_same(a, "restore of its own save", &busy, &again);
    assert_int_equal(a->restore(y, busy.b, busy.len), 0);
    again = save(a, y);
    expect_same(a, "restore into a fresh device", &busy, &again);

    /* reset returns to the fresh save; restore into the reset device works */
    a->reset(x);
    struct blob after_reset = save(a, x);
    expect_same(a, "reset", &fresh_x, &after_reset);
    assert_int_equal(a->restore(x, busy.b, busy.len), 0);
    again = save(a, x);
    expect_same(a, "restore into a reset device", &busy, &again);

    /* through the envelope: save and restore as a unit */
    struct state_unit ux = unit_of(a, x), uy = unit_of(a, y);
    struct state_error e;
    struct blob env;
    assert_int_equal(state_save(&ux, 1, env.b, sizeof(env.b), &env.len, &e), 0);
    a->reset(y);
    assert_int_equal(state_restore(&uy, 1, env.b, env.len, &e), 0);
    again = save(a, y);
    expect_same(a, "envelope round trip", &busy, &again);

    /* refusals, each against a device in the fresh state (x is busy: use y reset) */
    a->reset(y);
    struct blob bad = entry(a->name, a->type_url, busy.b, busy.len - 1);
    expect_refused(a, y, &bad, "value truncated by a byte", true);
    uint8_t garbled[BLOB_MAX];
    memcpy(garbled, busy.b, busy.len);
    garbled[0] |= 7;                        /* the first field's wire type becomes 7 */
    bad = entry(a->name, a->type_url, garbled, busy.len);
    expect_refused(a, y, &bad, "wire type 7", true);
    static const uint8_t overlong[] = { 0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
                                        0xFF, 0xFF, 0x01 };
    memcpy(garbled + busy.len, overlong, sizeof(overlong));
    memcpy(garbled, busy.b, busy.len);
    bad = entry(a->name, a->type_url, garbled, busy.len + sizeof(overlong));
    expect_refused(a, y, &bad, "an 11-byte varint", true);
    static const uint8_t overrun[] = { 0x7A, 0x7F, 0x00 };   /* field 15, 127 bytes, 1 there */
    memcpy(garbled + busy.len, overrun, sizeof(overrun));
    bad = entry(a->name, a->type_url, garbled, busy.len + sizeof(overrun));
    expect_refused(a, y, &bad, "a length past the end", true);
    /* wrong type: this unit's name with another unit's type URL */
    const struct adapter *other = &adapters[(a - adapters + 1) % NADAPTERS];
    bad = entry(a->name, other->type_url, busy.b, busy.len);
    expect_refused(a, y, &bad, "another unit's type", true);
    /* a truncated envelope */
    memcpy(bad.b, env.b, env.len);
    bad.len = env.len - 1;
    expect_refused(a, y, &bad, "envelope truncated by a byte", false);
    bad.len = env.len / 2;
    expect_refused(a, y, &bad, "envelope cut in half", false);
    /* and the device still works: it restores the good blob */
    assert_int_equal(state_restore(&uy, 1, env.b, env.len, &e), 0);
    again = save(a, y);
    expect_same(a, "restore after refusals", &busy, &again);

    free(x);
    free(y);
}

static void test_every_device(void **state)
{
    (void)state;
    for (size_t i = 0; i < NADAPTERS; i++)
        check_device(&adapters[i]);
}

/* ---- the envelope's rules ------------------------------------------------------------------- */

struct all {
    void *dev[NADAPTERS];
    struct state_unit units[NADAPTERS];
};

static void make_all(struct all *s, bool busy)
{
    for (size_t i = 0; i < NADAPTERS; i++) {
        s->dev[i] = make(&adapters[i]);
        if (busy)
            adapters[i].mutate(s->dev[i]);
        s->units[i] = unit_of(&adapters[i], s->dev[i]);
    }
}

static void free_all(struct all *s)
{
    for (size_t i = 0; i < NADAPTERS; i++)
        free(s->dev[i]);
}

static void test_all_units_round_trip(void **state)
{
    (void)state;
    struct all a, b;
    make_all(&a, true);
    make_all(&b, false);
    struct state_error e;
    struct blob blob, again;
    assert_int_equal(state_save(a.units, NADAPTERS, blob.b, sizeof(blob.b), &blob.len, &e), 0);
    struct state_blob_unit parsed[STATE_MAX_UNITS];
    size_t n = 0;
    assert_int_equal(state_parse(blob.b, blob.len, parsed, STATE_MAX_UNITS, &n, &e), 0);
    assert_int_equal(n, NADAPTERS);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(parsed[i].name_len, strlen(adapters[i].name));
        assert_memory_equal(parsed[i].name, adapters[i].name, parsed[i].name_len);
        assert_memory_equal(parsed[i].type_url, adapters[i].type_url, parsed[i].type_url_len);
    }
    assert_int_equal(state_restore(b.units, NADAPTERS, blob.b, blob.len, &e), 0);
    assert_int_equal(state_save(b.units, NADAPTERS, again.b, sizeof(again.b), &again.len, &e), 0);
    assert_true(same(&blob, &again));
    /* too small a buffer: -ENOSPC naming the unit that did not fit */
    assert_int_equal(state_save(a.units, NADAPTERS, again.b, blob.len - 1, &again.len, &e), -ENOSPC);
    assert_int_equal(e.err, -ENOSPC);
    assert_true(e.unit[0] != '\0');
    free_all(&a);
    free_all(&b);
}

static void test_envelope_rules(void **state)
{
    (void)state;
    struct all a;
    make_all(&a, true);
    struct state_error e;
    struct blob one = save(&adapters[2], a.dev[2]), blob, tmp;
    struct blob first = entry(adapters[2].name, adapters[2].type_url, one.b, one.len);

    /* an unknown unit is an error naming it */
    tmp = entry("no_such_device", adapters[2].type_url, one.b, one.len);
    assert_int_equal(state_restore(a.units, NADAPTERS, tmp.b, tmp.len, &e), -ENOENT);
    assert_string_equal(e.unit, "no_such_device");
    /* a unit twice */
    memcpy(blob.b, first.b, first.len);
    memcpy(blob.b + first.len, first.b, first.len);
    blob.len = 2 * first.len;
    assert_int_equal(state_restore(a.units, NADAPTERS, blob.b, blob.len, &e), -EEXIST);
    assert_string_equal(e.unit, adapters[2].name);
    /* a bad name or type URL */
    uint8_t raw[] = { 0x12, 0x05, 0x0A, 0x01, ' ', 0x12, 0x00 };   /* name " ", state {} */
    assert_int_equal(state_restore(a.units, NADAPTERS, raw, sizeof(raw), &e), -EINVAL);
    uint8_t no_url[] = { 0x12, 0x05, 0x0A, 0x01, 'x', 0x12, 0x00 };
    assert_int_equal(state_restore(a.units, NADAPTERS, no_url, sizeof(no_url), &e), -EINVAL);
    assert_string_equal(e.unit, "x");
    uint8_t no_state[] = { 0x12, 0x03, 0x0A, 0x01, 'x' };
    assert_int_equal(state_restore(a.units, NADAPTERS, no_state, sizeof(no_state), &e), -EINVAL);
    assert_string_equal(e.unit, "x");
    assert_int_equal(state_encode_entry("x", "http://elsewhere/x", one.b, one.len, tmp.b,
                                        sizeof(tmp.b), &tmp.len), -EINVAL);
    /* too many units */
    struct state_blob_unit parsed[2];
    size_t n;
    struct blob three;
    struct blob e1 = entry("a", adapters[2].type_url, one.b, one.len);
    struct blob e2 = entry("b", adapters[2].type_url, one.b, one.len);
    struct blob e3 = entry("c", adapters[2].type_url, one.b, one.len);
    memcpy(three.b, e1.b, e1.len);
    memcpy(three.b + e1.len, e2.b, e2.len);
    memcpy(three.b + e1.len + e2.len, e3.b, e3.len);
    three.len = e1.len + e2.len + e3.len;
    assert_int_equal(state_parse(three.b, three.len, parsed, 2, &n, &e), -E2BIG);
    assert_string_equal(e.unit, "c");
    /* the envelope is checked whole before any unit restores: an unknown unit after a
     * good one leaves the good one's device untouched */
    void *target = make(&adapters[2]);
    struct state_unit u = unit_of(&adapters[2], target);
    memcpy(blob.b, first.b, first.len);
    struct blob unknown = entry("zz", adapters[2].type_url, one.b, one.len);
    memcpy(blob.b + first.len, unknown.b, unknown.len);
    blob.len = first.len + unknown.len;
    struct blob before = save(&adapters[2], target), after;
    assert_int_equal(state_restore(&u, 1, blob.b, blob.len, &e), -ENOENT);
    after = save(&adapters[2], target);
    assert_true(same(&before, &after));
    /* a unit with no entry keeps its state; an empty blob restores nothing */
    assert_int_equal(state_restore(a.units, NADAPTERS, first.b, first.len, &e), 0);
    assert_int_equal(state_restore(a.units, NADAPTERS, NULL, 0, &e), 0);
    /* unknown fields are skipped (new state read by old code) */
    memcpy(blob.b, first.b, first.len);
    static const uint8_t unknown_field[] = { 0x08, 0x2A, 0x1A, 0x02, 'h', 'i' };
    memcpy(blob.b + first.len, unknown_field, sizeof(unknown_field));
    blob.len = first.len + sizeof(unknown_field);
    assert_int_equal(state_restore(a.units, NADAPTERS, blob.b, blob.len, &e), 0);
    free(target);
    free_all(&a);
}

/* ---- golden blobs: new code reads old state ----------------------------------------------- */

#ifndef MEZZ_VECTORS_DIR
#define MEZZ_VECTORS_DIR "tests/vectors"
#endif

static bool read_file(const char *name, struct blob *out)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/saved_state/%s", MEZZ_VECTORS_DIR, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    out->len = fread(out->b, 1, sizeof(out->b), f);
    bool ok = !ferror(f) && feof(f);
    fclose(f);
    return ok;
}

/* Every golden blob restores into fresh devices, and what VTL0 then reads is the state
 * it was saved from (the mutations above, as of the first protobuf format). */
static void test_golden_blobs(void **state)
{
    (void)state;
    static const char *const names[] = { "fresh-v1.bin", "busy-v1.bin" };
    for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
        struct blob golden;
        if (!read_file(names[k], &golden))
            fail_msg("cannot read %s/saved_state/%s", MEZZ_VECTORS_DIR, names[k]);
        struct all a;
        make_all(&a, false);
        struct state_error e;
        int err = state_restore(a.units, NADAPTERS, golden.b, golden.len, &e);
        if (err)
            fail_msg("%s: %d, unit \"%s\": %s", names[k], err, e.unit, e.what);
        bool busy = k == 1;
        struct i440bx *b = &((struct w_i440bx *)a.dev[0])->dev;
        assert_int_equal(i440bx_config_read(b, I440BX_PAM_REG1, 4), busy ? 0x33333303 : PAM_REG1_RESET);
        assert_int_equal(i440bx_config_read(b, I440BX_BSPAD1, 4), busy ? 0xCAFE : 0);
        assert_int_equal(b->pam_backend, I440BX_PAM_OPENHCL);
        struct pam_get *pg = &((struct w_pam_get *)a.dev[1])->dev;
        assert_true(pg->slots[0].valid);
        assert_int_equal(pg->slots[0].len, busy ? 0xE000 : 0x10000);
        assert_int_equal(pg->slots[1].valid, true);
        assert_int_equal(pg->slots[1].rom, !busy);
        assert_int_equal(((struct w_pci *)a.dev[2])->dev.address, busy ? 0x80001808u : 0);
        assert_int_equal(((struct w_cmos *)a.dev[3])->dev.index, busy ? 0x8F : 0);
        assert_int_equal(((struct w_fwcfg *)a.dev[4])->dev.selected, busy ? FW_CFG_RAM_SIZE : 0);
        assert_int_equal(((struct w_fwcfg *)a.dev[4])->dev.offset, busy ? 2 : 0);
        struct framebuffer *fb = &((struct w_fb *)a.dev[5])->dev;
        assert_int_equal(fb->st.mapped, busy);
        assert_int_equal(fb->st.gpa, busy ? 0xE0000000 : 0);
        struct bochs_display *d = &((struct w_bochs *)a.dev[6])->dev;
        assert_int_equal(bochs_display_config_read(d, 0x18, 4), busy ? 0xFEBF0000 : 0);
        assert_int_equal(bochs_dispi_read(d, DISPI_INDEX_XRES), busy ? 640 : 0);
        struct testdev *td = &((struct w_testdev *)a.dev[7])->dev;
        assert_int_equal(td->st.cursor, busy ? 1 : 0);
        assert_int_equal(td->st.nargs, busy ? 1 : 0);
        assert_int_equal(td->st.events, busy ? 1 : 0);
        /* and today's save of that state is still a blob that restores */
        struct blob again;
        assert_int_equal(state_save(a.units, NADAPTERS, again.b, sizeof(again.b), &again.len, &e), 0);
        struct all b2;
        make_all(&b2, false);
        assert_int_equal(state_restore(b2.units, NADAPTERS, again.b, again.len, &e), 0);
        free_all(&b2);
        free_all(&a);
    }
}

/* `test_saved_state --write-vectors DIR` writes the golden blobs of TODAY's format. Never
 * overwrite the committed ones (they are old state by now): add new names instead. */
static int write_vectors(const char *dir)
{
    for (int busy = 0; busy < 2; busy++) {
        struct all a;
        make_all(&a, busy);
        struct blob blob;
        struct state_error e;
        if (state_save(a.units, NADAPTERS, blob.b, sizeof(blob.b), &blob.len, &e) != 0)
            return 1;
        char path[512];
        snprintf(path, sizeof(path), "%s/%s", dir, busy ? "busy-v1.bin" : "fresh-v1.bin");
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(blob.b, 1, blob.len, f) != blob.len || fclose(f) != 0)
            return 1;
        free_all(&a);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-vectors") == 0)
        return write_vectors(argv[2]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_device),
        cmocka_unit_test(test_all_units_round_trip),
        cmocka_unit_test(test_envelope_rules),
        cmocka_unit_test(test_golden_blobs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
