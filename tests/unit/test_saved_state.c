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

#include "kernel/servicing/envelope.h"
#include "tests/unit/state_adapters.h"

#define BLOB_MAX 4096

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
    const struct adapter *other = &adapters[(a - adapters + 1) % nadapters];
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
    for (size_t i = 0; i < nadapters; i++)
        check_device(&adapters[i]);
}

/* ---- the envelope's rules ------------------------------------------------------------------- */

struct all {
    void *dev[16];
    struct state_unit units[16];
};

static void make_all(struct all *s, bool busy)
{
    for (size_t i = 0; i < nadapters; i++) {
        s->dev[i] = make(&adapters[i]);
        if (busy)
            adapters[i].mutate(s->dev[i]);
        s->units[i] = unit_of(&adapters[i], s->dev[i]);
    }
}

static void free_all(struct all *s)
{
    for (size_t i = 0; i < nadapters; i++)
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
    assert_int_equal(state_save(a.units, nadapters, blob.b, sizeof(blob.b), &blob.len, &e), 0);
    struct state_blob_unit parsed[STATE_MAX_UNITS];
    size_t n = 0;
    assert_int_equal(state_parse(blob.b, blob.len, parsed, STATE_MAX_UNITS, &n, &e), 0);
    assert_int_equal(n, nadapters);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(parsed[i].name_len, strlen(adapters[i].name));
        assert_memory_equal(parsed[i].name, adapters[i].name, parsed[i].name_len);
        assert_memory_equal(parsed[i].type_url, adapters[i].type_url, parsed[i].type_url_len);
    }
    assert_int_equal(state_restore(b.units, nadapters, blob.b, blob.len, &e), 0);
    assert_int_equal(state_save(b.units, nadapters, again.b, sizeof(again.b), &again.len, &e), 0);
    assert_true(same(&blob, &again));
    /* the same blob built unit by unit, as the registry's save sink does */
    struct state_writer w;
    struct blob unit_value;
    state_writer_init(&w, again.b, sizeof(again.b));
    for (size_t i = 0; i < nadapters; i++) {
        unit_value = save(&adapters[i], a.dev[i]);
        assert_int_equal(state_writer_add(&w, adapters[i].name, adapters[i].type_url, unit_value.b,
                                          unit_value.len), 0);
    }
    assert_int_equal(w.len, blob.len);
    assert_memory_equal(again.b, blob.b, blob.len);
    state_writer_init(&w, again.b, 10);
    assert_int_equal(state_writer_add(&w, adapters[0].name, adapters[0].type_url, unit_value.b,
                                      unit_value.len), -ENOSPC);
    assert_int_equal(w.len, 0);
    /* a buffer a few bytes over the blob is enough (the header room is reserved exactly) */
    struct blob roomy;
    assert_int_equal(state_save(a.units, nadapters, roomy.b, blob.len + 8, &roomy.len, &e), 0);
    assert_true(same(&blob, &roomy));
    /* too small a buffer: -ENOSPC naming the unit that did not fit */
    assert_int_equal(state_save(a.units, nadapters, again.b, blob.len - 1, &again.len, &e), -ENOSPC);
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
    size_t n;
    struct blob one = save(&adapters[2], a.dev[2]), blob, tmp;
    struct blob first = entry(adapters[2].name, adapters[2].type_url, one.b, one.len);

    /* an unknown unit is an error naming it */
    tmp = entry("no_such_device", adapters[2].type_url, one.b, one.len);
    assert_int_equal(state_restore(a.units, nadapters, tmp.b, tmp.len, &e), -ENOENT);
    assert_string_equal(e.unit, "no_such_device");
    /* a unit twice */
    memcpy(blob.b, first.b, first.len);
    memcpy(blob.b + first.len, first.b, first.len);
    blob.len = 2 * first.len;
    assert_int_equal(state_restore(a.units, nadapters, blob.b, blob.len, &e), -EEXIST);
    assert_string_equal(e.unit, adapters[2].name);
    /* a bad name or type URL */
    uint8_t raw[] = { 0x12, 0x05, 0x0A, 0x01, ' ', 0x12, 0x00 };   /* name " ", state {} */
    assert_int_equal(state_restore(a.units, nadapters, raw, sizeof(raw), &e), -EINVAL);
    uint8_t no_url[] = { 0x12, 0x05, 0x0A, 0x01, 'x', 0x12, 0x00 };
    assert_int_equal(state_restore(a.units, nadapters, no_url, sizeof(no_url), &e), -EINVAL);
    assert_string_equal(e.unit, "x");
    uint8_t no_state[] = { 0x12, 0x03, 0x0A, 0x01, 'x' };
    assert_int_equal(state_restore(a.units, nadapters, no_state, sizeof(no_state), &e), -EINVAL);
    assert_string_equal(e.unit, "x");
    assert_int_equal(state_encode_entry("x", "http://elsewhere/x", one.b, one.len, tmp.b,
                                        sizeof(tmp.b), &tmp.len), -EINVAL);
    /* a state value with a scalar wire type (found by the fuzz target: nanopb hands such a
     * callback field a copy on its stack, which must not become the unit's value) */
    struct blob scalar = entry("cmos_view", CMOS_VIEW_STATE_TYPE_URL, NULL, 0);
    /* {0x12 unit_len, 0x0A 9 "cmos_view", 0x12 any_len, 0x0A url_len url}: append Any
     * field 2 as the varint 5 and grow both lengths (one byte each here) */
    assert_true(scalar.b[1] < 0x7E && scalar.b[13] == 0x12 && scalar.b[14] < 0x7E);
    scalar.b[scalar.len++] = 0x10;
    scalar.b[scalar.len++] = 0x05;
    scalar.b[1] += 2;
    scalar.b[14] += 2;
    struct state_blob_unit one_unit[1];
    assert_int_equal(state_parse(scalar.b, scalar.len, one_unit, 1, &n, &e), -EINVAL);
    assert_string_equal(e.unit, "cmos_view");
    assert_int_equal(state_restore(a.units, nadapters, scalar.b, scalar.len, &e), -EINVAL);
    assert_string_equal(e.unit, "cmos_view");
    /* too many units */
    struct state_blob_unit parsed[2];
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
    assert_int_equal(state_restore(a.units, nadapters, first.b, first.len, &e), 0);
    assert_int_equal(state_restore(a.units, nadapters, NULL, 0, &e), 0);
    /* unknown fields are skipped (new state read by old code) */
    memcpy(blob.b, first.b, first.len);
    static const uint8_t unknown_field[] = { 0x08, 0x2A, 0x1A, 0x02, 'h', 'i' };
    memcpy(blob.b + first.len, unknown_field, sizeof(unknown_field));
    blob.len = first.len + sizeof(unknown_field);
    assert_int_equal(state_restore(a.units, nadapters, blob.b, blob.len, &e), 0);
    free(target);
    free_all(&a);
}

/* ---- the bridge and its GET-backed slots together ------------------------------------------ */

/* The bridge's adjusts driving the GET-backed backend, as kernel/vtl0/emuplat/bridge.c
 * wires them; every CREATE / RESET counts. */
struct bridge {
    struct i440bx dev;
    struct pam_get get;
    unsigned get_calls;
};

static void bridge_adjust(void *ctx, const struct pam_range *r, enum gpa_state s)
{
    pam_get_adjust(&((struct bridge *)ctx)->get, r, s);
}

static int bridge_create(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t off,
                         bool rom, uint32_t *status)
{
    (void)slot, (void)gpa, (void)len, (void)off, (void)rom;
    ((struct bridge *)ctx)->get_calls++;
    *status = PAM_GET_STATUS_SUCCESS;
    return 0;
}

static int bridge_reset_slot(void *ctx, uint32_t slot)
{
    (void)slot;
    ((struct bridge *)ctx)->get_calls++;
    return 0;
}

static void bridge_applied(void *ctx, unsigned i, uint32_t slot, const struct pam_handle *h)
{
    (void)ctx, (void)i, (void)slot, (void)h;
}

static void bridge_init(struct bridge *b, bool restoring)
{
    const struct pam_get_ops get_ops = { bridge_create, bridge_reset_slot, bridge_applied, NULL, b };
    const struct i440bx_ops ops = { bridge_adjust, b };
    memset(b, 0, sizeof(*b));
    pam_get_init(&b->get, 0, 0x1BD00000, &get_ops);
    i440bx_init(&b->dev, I440BX_DEVICE_ID, &ops, restoring);
    b->dev.pam_backend = I440BX_PAM_OPENHCL;
}

static int bridge_save_dev(const void *d, uint8_t *buf, size_t cap, size_t *len)
{ return i440bx_save_state(d, buf, cap, len); }
static int bridge_restore_dev(void *d, const uint8_t *buf, size_t len)
{ return i440bx_restore_state(d, buf, len); }
static int bridge_save_get(const void *g, uint8_t *buf, size_t cap, size_t *len)
{ return pam_get_save_state(g, buf, cap, len); }
static int bridge_restore_get(void *g, const uint8_t *buf, size_t len)
{ return pam_get_restore_state(g, buf, len); }

/* Servicing restores the slots before the bridge (docs/saved-state.md): then the new
 * instance makes no GET call at all; the other order would. */
static void test_bridge_restore_order(void **state)
{
    (void)state;
    struct bridge *old = calloc(1, sizeof(*old)), *fresh = calloc(1, sizeof(*fresh));
    assert_non_null(old);
    assert_non_null(fresh);
    bridge_init(old, false);
    i440bx_config_write(&old->dev, I440BX_PAM_REG1, 4, 0x11333303);
    i440bx_config_write(&old->dev, I440BX_PAM_REG2, 4, 0x33110011);
    assert_true(old->get_calls > 0);
    struct state_unit units[2] = {
        { PAM_GET_STATE_UNIT, PAM_GET_STATE_TYPE_URL, bridge_save_get, bridge_restore_get, &old->get },
        { I440BX_STATE_UNIT, I440BX_STATE_TYPE_URL, bridge_save_dev, bridge_restore_dev, &old->dev },
    };
    struct blob blob, again;
    struct state_error e;
    assert_int_equal(state_save(units, 2, blob.b, sizeof(blob.b), &blob.len, &e), 0);

    bridge_init(fresh, true);
    units[0].dev = &fresh->get;
    units[1].dev = &fresh->dev;
    assert_int_equal(state_restore(units, 2, blob.b, blob.len, &e), 0);
    assert_int_equal(fresh->get_calls, 0);
    assert_int_equal(state_save(units, 2, again.b, sizeof(again.b), &again.len, &e), 0);
    assert_true(same(&blob, &again));

    /* the bridge first: its adjusts meet empty slots and go to the host */
    struct state_unit reversed[2] = { units[1], units[0] };
    bridge_init(fresh, true);
    reversed[0].dev = &fresh->dev;
    reversed[1].dev = &fresh->get;
    assert_int_equal(state_restore(reversed, 2, blob.b, blob.len, &e), 0);
    assert_true(fresh->get_calls > 0);
    free(old);
    free(fresh);
}

/* ---- golden blobs: new code reads old state ----------------------------------------------- */

#ifndef MEZZ_VECTORS_DIR
#define MEZZ_VECTORS_DIR "tests/vectors"
#endif

/* tests/vectors/<dir>/<name> into out. */
static bool read_vector(const char *dir, const char *name, struct blob *out)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s/%s", MEZZ_VECTORS_DIR, dir, name);
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
        if (!read_vector("saved_state", names[k], &golden))
            fail_msg("cannot read %s/saved_state/%s", MEZZ_VECTORS_DIR, names[k]);
        struct all a;
        make_all(&a, false);
        struct state_error e;
        int err = state_restore(a.units, nadapters, golden.b, golden.len, &e);
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
        struct legacy_ports *lp = &((struct w_legacy *)a.dev[8])->dev;
        assert_int_equal(lp->st.kbc_expect_output_port, busy);
        assert_int_equal(legacy_port92_read(lp), busy ? 0x00 : LEGACY_PORT92_A20);
        assert_int_equal(lp->st.debugcon_len, busy ? 1 : 0);
        struct w_partition *vp = a.dev[9];
        assert_int_equal(vp->vmcb.save.rip, busy ? 0x7C00 : 0xFFF0);
        assert_int_equal(vp->vmcb.save.cr0, busy ? 0x60000011 : 0x60000010);
        assert_int_equal(vp->dev.gprs.gpr[GPR_RBX], busy ? 0x1234 : 0);
        assert_int_equal(vp->dev.irq_count, busy ? 1 : 0);
        assert_int_equal(vp->dev.mtrr_shadow[3], busy ? 6 : 0);
        /* and today's save of that state is still a blob that restores */
        struct blob again;
        assert_int_equal(state_save(a.units, nadapters, again.b, sizeof(again.b), &again.len, &e), 0);
        struct all b2;
        make_all(&b2, false);
        assert_int_equal(state_restore(b2.units, nadapters, again.b, again.len, &e), 0);
        free_all(&b2);
        free_all(&a);
    }
}

/* ---- the golden servicing blob: a real one, saved by a running Mezzanine ------------------ */

/*
 * tests/vectors/servicing/testfw-v1.bin (README.md there): what Mezzanine 0.1.0 sent its
 * host when serviced with the test firmware at the end of test_pulse's workload. It must
 * restore, in this and every later version, into every unit, through the same adapters
 * as above -- configured as that machine was where the configuration bounds the state:
 * the test script's length (the cursor is checked against it) and the VRAM's size.
 * The units restore in the kernel registry's order, which is the blob's.
 */
#define GOLDEN_SCRIPT_LEN 4529u        /* test_pulse's workload script, in bytes */

static void configure_like_the_machine(struct all *a, uint8_t *script, uint8_t *vram)
{
    adapter_testdev_use_script(a->dev[7], script, GOLDEN_SCRIPT_LEN);
    adapter_framebuffer_use_vram(a->dev[5], vram, FB_VRAM_SIZE);
}

static void test_golden_servicing_blob(void **state)
{
    (void)state;
    struct blob golden;
    if (!read_vector("servicing", "testfw-v1.bin", &golden))
        fail_msg("cannot read %s/servicing/testfw-v1.bin", MEZZ_VECTORS_DIR);
    uint8_t *script = calloc(1, GOLDEN_SCRIPT_LEN), *vram = calloc(1, FB_VRAM_SIZE);
    assert_non_null(script);
    assert_non_null(vram);
    struct all a;
    make_all(&a, false);
    configure_like_the_machine(&a, script, vram);
    /* The kernel registry's order, which is the blob's. */
    struct state_unit units[16];
    for (size_t i = 0; i < nadapters; i++)
        units[i] = a.units[adapters_registry_order[i]];
    struct state_blob_unit parsed[STATE_MAX_UNITS];
    size_t count = 0;
    struct state_error e;
    assert_int_equal(state_parse(golden.b, golden.len, parsed, STATE_MAX_UNITS, &count, &e), 0);
    assert_int_equal(count, nadapters);
    for (size_t i = 0; i < count; i++) {
        assert_int_equal(parsed[i].name_len, strlen(units[i].name));
        assert_memory_equal(parsed[i].name, units[i].name, parsed[i].name_len);
    }
    int err = state_restore(units, nadapters, golden.b, golden.len, &e);
    if (err)
        fail_msg("testfw-v1.bin: %d, unit \"%s\": %s", err, e.unit, e.what);

    /* What VTL0 had done (test_pulse's workload): PAM 0x11111003/0x11111111 under
     * OpenHCL's backend, the display's BAR0 at 0xE0000000 and BAR2 at 0xFEBF8000, mode
     * 320x200x32 enabled, the whole script run. */
    struct i440bx *b = &((struct w_i440bx *)a.dev[0])->dev;
    assert_int_equal(i440bx_config_read(b, I440BX_PAM_REG1, 4), 0x11111003);
    assert_int_equal(i440bx_config_read(b, I440BX_PAM_REG2, 4), 0x11111111);
    assert_int_equal(b->pam_backend, I440BX_PAM_OPENHCL);
    struct pam_get *pg = &((struct w_pam_get *)a.dev[1])->dev;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        assert_true(pg->slots[i].valid);
        assert_true(pg->slots[i].rom);
        assert_int_equal(pg->slots[i].gpa, pam_ranges[i].start);
    }
    assert_int_equal(pg->slots[0].gpa, 0xF0000);
    assert_int_equal(pg->slots[0].len, 0xE000);
    assert_int_equal(((struct w_pci *)a.dev[2])->dev.address, 0x80001010u);
    struct framebuffer *fb = &((struct w_fb *)a.dev[5])->dev;
    assert_true(fb->st.mapped);
    assert_int_equal(fb->st.gpa, 0xE0000000);
    assert_int_equal(fb->st.subrange.size, FB_VRAM_SIZE);
    assert_int_equal(fb->st.format.width, 320);
    assert_int_equal(fb->st.format.height, 200);
    assert_int_equal(fb->st.format.bytes_per_line, 1280);
    struct bochs_display *d = &((struct w_bochs *)a.dev[6])->dev;
    assert_int_equal(bochs_display_config_read(d, 0x10, 4) & ~0xFu, 0xE0000000);
    assert_int_equal(bochs_display_config_read(d, 0x18, 4) & ~0xFu, 0xFEBF8000);
    assert_int_equal(bochs_dispi_read(d, DISPI_INDEX_XRES), 320);
    assert_int_equal(bochs_dispi_read(d, DISPI_INDEX_YRES), 200);
    assert_int_equal(bochs_dispi_read(d, DISPI_INDEX_BPP), 32);
    assert_int_equal(bochs_dispi_read(d, DISPI_INDEX_ENABLE), 0x41);
    struct testdev *td = &((struct w_testdev *)a.dev[7])->dev;
    assert_int_equal(td->st.cursor, GOLDEN_SCRIPT_LEN);
    assert_int_equal(td->st.boots, 1);
    assert_int_equal(td->st.events, 394);
    assert_int_equal(td->st.errors, 0);
    struct legacy_ports *lp = &((struct w_legacy *)a.dev[8])->dev;
    assert_int_equal(legacy_port92_read(lp) & LEGACY_PORT92_A20, LEGACY_PORT92_A20);
    assert_int_equal(lp->st.pm_base, 0x600);
    struct w_partition *vp = a.dev[9];
    assert_int_equal(vp->vmcb.save.cr0 & 0x80000001u, 0x80000001u);     /* PG, PE */
    assert_int_equal(vp->vmcb.save.efer & 0x500u, 0x500u);              /* LMA, LME */
    assert_int_equal(vp->vmcb.save.cs.selector, 0x18);
    assert_int_equal(vp->vmcb.save.cr3, 0x20000);
    assert_int_equal(vp->vmcb.save.rip, 0x1A0E6);

    /* And today's save of that state restores again, byte for byte the same. */
    struct blob again, twice;
    assert_int_equal(state_save(units, nadapters, again.b, sizeof(again.b), &again.len, &e), 0);
    assert_int_equal(state_restore(units, nadapters, again.b, again.len, &e), 0);
    assert_int_equal(state_save(units, nadapters, twice.b, sizeof(twice.b), &twice.len, &e), 0);
    assert_true(same(&again, &twice));
    free_all(&a);
    free(script);
    free(vram);
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
        if (state_save(a.units, nadapters, blob.b, sizeof(blob.b), &blob.len, &e) != 0)
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
        cmocka_unit_test(test_bridge_restore_order),
        cmocka_unit_test(test_golden_blobs),
        cmocka_unit_test(test_golden_servicing_blob),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
