/*
 * Unit tests for drivers/pam_get: OpenHCL's GET-backed AdjustGpaRange
 * (reference/openvmm-facts.md 2.4) over a fake GET that logs every CREATE, RESET and
 * applied() call and answers CREATE from a script. Every expected handle, slot and
 * saved field is written out by hand from the reference's rules table, never computed
 * by the module under test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/pam_get.h"
#include "kernel/lib/pb_codec.h"
#include "pam_get.pb.h"

/* The saved state as its schema's message (underhill.emuplat.i440bx.host_pci_bridge):
 * tests read a save through it and build blobs with it. */
typedef underhill_emuplat_i440bx_host_pci_bridge_SavedState pg_msg;
typedef underhill_emuplat_i440bx_host_pci_bridge_SavedHandle pg_handle_msg;
#define PG_MSG_FIELDS underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields
#define HANDLE_VALID(m, i) ((m).handles.element[i].has_value)
#define HANDLE(m, i) ((m).handles.element[i].value)

struct state_bytes {
    uint8_t b[PAM_GET_STATE_MAX_LEN];
    size_t len;
};

static struct state_bytes save_bytes(const struct pam_get *pg)
{
    struct state_bytes out;
    assert_int_equal(pam_get_save_state(pg, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static void save_msg(const struct pam_get *pg, pg_msg *m)
{
    struct state_bytes s = save_bytes(pg);
    assert_int_equal(pb_codec_decode(PG_MSG_FIELDS, m, s.b, s.len), 0);
}

static struct state_bytes encode_msg(const pg_msg *m)
{
    struct state_bytes out;
    assert_int_equal(pb_codec_encode(PG_MSG_FIELDS, m, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static int restore_msg(struct pam_get *pg, const pg_msg *m)
{
    struct state_bytes blob = encode_msg(m);
    return pam_get_restore_state(pg, blob.b, blob.len);
}

static void expect_same_bytes(const struct state_bytes *a, const struct state_bytes *b)
{
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->b, b->b, a->len);
}

#define MMIO GPA_STATE_MMIO
#define WP   GPA_STATE_WRITE_PROTECTED
#define WO   GPA_STATE_WRITE_ONLY
#define WR   GPA_STATE_WRITABLE

/* rom_bios_offset = end of the first RAM block - 1 MiB (reference 2.4): a block ending at
 * 0x1BE00000. */
#define ROM_BIOS_OFFSET 0x1BD00000ull

/* The PAM ranges in table order (reference 2.2 and 2.4). */
enum { F0, C0, C4, C8, CC, D0, D4, D8, DC, E0, E4, E8, EC, NRANGES };

static const struct pam_range R[NRANGES] = {
    [F0] = { 0xF0000, 0x100000 },
    [C0] = { 0xC0000, 0xC4000 }, [C4] = { 0xC4000, 0xC8000 },
    [C8] = { 0xC8000, 0xCC000 }, [CC] = { 0xCC000, 0xD0000 },
    [D0] = { 0xD0000, 0xD4000 }, [D4] = { 0xD4000, 0xD8000 },
    [D8] = { 0xD8000, 0xDC000 }, [DC] = { 0xDC000, 0xE0000 },
    [E0] = { 0xE0000, 0xE4000 }, [E4] = { 0xE4000, 0xE8000 },
    [E8] = { 0xE8000, 0xEC000 }, [EC] = { 0xEC000, 0xF0000 },
};

static const struct pam_range VGA_WINDOW = { 0xA0000, 0xC0000 };

/* ---- the fake GET -------------------------------------------------------------------- */

enum { EV_CREATE = 1, EV_RESET, EV_APPLIED };

struct ev {
    int kind;
    uint32_t slot;
    uint64_t gpa, len, off;         /* CREATE, APPLIED */
    bool rom;                       /* CREATE, APPLIED */
    unsigned index;                 /* APPLIED */
    bool valid;                     /* APPLIED */
};

#define MAX_EV     128
#define MAX_SCRIPT 8

struct fake_get {
    struct ev ev[MAX_EV];
    unsigned n;
    struct { int err; uint32_t status; } script[MAX_SCRIPT];   /* next CREATE answers */
    unsigned nscript, pos;
    unsigned warns;
};

static struct fake_get fg;

static struct ev *log_ev(int kind)
{
    if (fg.n >= MAX_EV)
        fail_msg("more than %u events", MAX_EV);
    struct ev *e = &fg.ev[fg.n++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    return e;
}

static int fake_create(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t gpa_offset,
                       bool rom, uint32_t *status)
{
    assert_ptr_equal(ctx, &fg);
    struct ev *e = log_ev(EV_CREATE);
    e->slot = slot;
    e->gpa = gpa;
    e->len = len;
    e->off = gpa_offset;
    e->rom = rom;
    if (fg.pos < fg.nscript) {
        int err = fg.script[fg.pos].err;
        *status = fg.script[fg.pos].status;
        fg.pos++;
        return err;
    }
    *status = 0;
    return 0;
}

static int fake_reset(void *ctx, uint32_t slot)
{
    assert_ptr_equal(ctx, &fg);
    log_ev(EV_RESET)->slot = slot;
    return 0;
}

static void fake_applied(void *ctx, unsigned index, uint32_t slot, const struct pam_handle *h)
{
    assert_ptr_equal(ctx, &fg);
    struct ev *e = log_ev(EV_APPLIED);
    e->index = index;
    e->slot = slot;
    e->valid = h->valid;
    if (h->valid) {
        e->gpa = h->gpa;
        e->len = h->len;
        e->off = h->gpa_offset;
        e->rom = h->rom;
    }
}

static void fake_warn(void *ctx, const char *what, unsigned index, long value)
{
    assert_ptr_equal(ctx, &fg);
    (void)what, (void)index, (void)value;
    fg.warns++;
}

static const struct pam_get_ops fake_ops = {
    .create = fake_create, .reset = fake_reset, .applied = fake_applied, .warn = fake_warn,
    .ctx = &fg,
};

static void clear_log(void)
{
    fg.n = 0;
    fg.warns = 0;
}

static void fresh(struct pam_get *pg, uint32_t base_slot)
{
    memset(&fg, 0, sizeof(fg));
    memset(pg, 0xcd, sizeof(*pg));
    pam_get_init(pg, base_slot, ROM_BIOS_OFFSET, &fake_ops);
}

static void script_create(int err, uint32_t status)
{
    fg.script[fg.nscript].err = err;
    fg.script[fg.nscript].status = status;
    fg.nscript++;
}

/* ---- expectations -------------------------------------------------------------------- */

struct want_ev {
    int kind;
    uint32_t slot;
    uint64_t gpa, len, off;
    bool rom;
};

#define CREATE(s, g, l, o, r) { EV_CREATE, (s), (g), (l), (o), (r) }
#define RESET(s)              { EV_RESET, (s), 0, 0, 0, false }

/* The GET calls (CREATE, RESET) in order; applied() events are checked separately. */
static void expect_get_calls_(const struct want_ev *w, unsigned n, const char *what)
{
    unsigned k = 0;
    for (unsigned i = 0; i < fg.n; i++) {
        const struct ev *e = &fg.ev[i];
        if (e->kind == EV_APPLIED)
            continue;
        if (k >= n)
            fail_msg("%s: extra GET call %u (kind %d slot %u)", what, k, e->kind, e->slot);
        const struct want_ev *x = &w[k];
        if (e->kind != x->kind || e->slot != x->slot ||
            (x->kind == EV_CREATE && (e->gpa != x->gpa || e->len != x->len || e->off != x->off ||
                                      e->rom != x->rom)))
            fail_msg("%s: GET call %u is %s slot %u gpa %#llx len %#llx off %#llx rom %d; "
                     "want %s slot %u gpa %#llx len %#llx off %#llx rom %d", what, k,
                     e->kind == EV_CREATE ? "CREATE" : "RESET", e->slot,
                     (unsigned long long)e->gpa, (unsigned long long)e->len,
                     (unsigned long long)e->off, e->rom,
                     x->kind == EV_CREATE ? "CREATE" : "RESET", x->slot,
                     (unsigned long long)x->gpa, (unsigned long long)x->len,
                     (unsigned long long)x->off, x->rom);
        k++;
    }
    if (k != n)
        fail_msg("%s: %u GET calls, want %u", what, k, n);
}

#define expect_get_calls(what, ...) do { \
    const struct want_ev w_[] = { __VA_ARGS__ }; \
    expect_get_calls_(w_, sizeof(w_) / sizeof(w_[0]), what); \
} while (0)

static unsigned count_kind(int kind)
{
    unsigned c = 0;
    for (unsigned i = 0; i < fg.n; i++)
        c += fg.ev[i].kind == kind;
    return c;
}

static void expect_no_get_calls(const char *what)
{
    unsigned c = count_kind(EV_CREATE) + count_kind(EV_RESET);
    if (c)
        fail_msg("%s: %u GET calls, want none", what, c);
}

static void expect_no_events(const char *what)
{
    if (fg.n)
        fail_msg("%s: %u events (first kind %d slot %u), want none", what, fg.n, fg.ev[0].kind,
                 fg.ev[0].slot);
}

static const struct ev *last_applied(unsigned index)
{
    const struct ev *last = NULL;
    for (unsigned i = 0; i < fg.n; i++)
        if (fg.ev[i].kind == EV_APPLIED && fg.ev[i].index == index)
            last = &fg.ev[i];
    return last;
}

/* The last applied() for `index` says slot `slot` now maps {gpa, len, off, rom}. */
static void expect_applied(unsigned index, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t off,
                           bool rom)
{
    const struct ev *e = last_applied(index);
    if (!e)
        fail_msg("no applied() for index %u", index);
    if (!e->valid || e->slot != slot || e->gpa != gpa || e->len != len || e->off != off ||
        e->rom != rom)
        fail_msg("applied(index %u): valid %d slot %u gpa %#llx len %#llx off %#llx rom %d; "
                 "want slot %u gpa %#llx len %#llx off %#llx rom %d", index, e->valid, e->slot,
                 (unsigned long long)e->gpa, (unsigned long long)e->len,
                 (unsigned long long)e->off, e->rom, slot, (unsigned long long)gpa,
                 (unsigned long long)len, (unsigned long long)off, rom);
}

static void expect_applied_gone(unsigned index, uint32_t slot)
{
    const struct ev *e = last_applied(index);
    if (!e)
        fail_msg("no applied() for index %u: the old mapping's removal was not reported", index);
    if (e->valid || e->slot != slot)
        fail_msg("applied(index %u): valid %d slot %u, want gone, slot %u", index, e->valid,
                 e->slot, slot);
}

static void expect_slot_empty(const struct pam_get *pg, unsigned index)
{
    pg_msg s;
    save_msg(pg, &s);
    if (HANDLE_VALID(s, index))
        fail_msg("slot %u still holds a handle", index);
}

static void expect_slot(const struct pam_get *pg, unsigned index, uint32_t slot, uint64_t gpa,
                        uint64_t len, uint64_t off, bool rom)
{
    pg_msg s;
    save_msg(pg, &s);
    const pg_handle_msg *h = &HANDLE(s, index);
    uint64_t h_len = h->range.end - h->range.start;
    if (!HANDLE_VALID(s, index) || !h->has_range || h->remote_handle != slot ||
        h->range.start != gpa || h_len != len || h->gpa_offset != off || h->is_rom != rom)
        fail_msg("saved handle %u: valid %u slot %u gpa %#llx len %#llx off %#llx rom %u; "
                 "want slot %u gpa %#llx len %#llx off %#llx rom %d", index, HANDLE_VALID(s, index),
                 h->remote_handle, (unsigned long long)h->range.start, (unsigned long long)h_len,
                 (unsigned long long)h->gpa_offset, h->is_rom, slot, (unsigned long long)gpa,
                 (unsigned long long)len, (unsigned long long)off, rom);
}

/* ---- the table and the rules --------------------------------------------------------- */

static void test_bounds_table(void **state)
{
    (void)state;
    static const struct { uint64_t start, size, leave; enum pam_bios_kind kind; } want[] = {
        { 0xF0000, 0x10000, 0x2000, PAM_KIND_SYSTEM_BIOS },
        { 0xC0000, 0x4000, 0, PAM_KIND_VGA_BIOS },
        { 0xC4000, 0x4000, 0, PAM_KIND_VGA_BIOS },
        { 0xC8000, 0x4000, 0, PAM_KIND_VGA_BIOS_TSR },
        { 0xCC000, 0x4000, 0, PAM_KIND_NONE },
        { 0xD0000, 0x4000, 0, PAM_KIND_NONE },
        { 0xD4000, 0x4000, 0, PAM_KIND_NONE },
        { 0xD8000, 0x4000, 0, PAM_KIND_NONE },
        { 0xDC000, 0x4000, 0, PAM_KIND_NONE },
        { 0xE0000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
        { 0xE4000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
        { 0xE8000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
        { 0xEC000, 0x4000, 0, PAM_KIND_SYSTEM_BIOS },
    };
    assert_int_equal(PAM_RANGE_COUNT, 13);
    for (unsigned i = 0; i < 13; i++) {
        assert_int_equal(pam_bios_bounds[i].start, want[i].start);
        assert_int_equal(pam_bios_bounds[i].size, want[i].size);
        assert_int_equal(pam_bios_bounds[i].leave_writable, want[i].leave);
        assert_int_equal(pam_bios_bounds[i].kind, want[i].kind);
    }
    assert_string_equal(pam_bios_kind_name(PAM_KIND_NONE), "none");
    assert_string_equal(pam_bios_kind_name(PAM_KIND_SYSTEM_BIOS), "system-bios");
    assert_string_equal(pam_bios_kind_name(PAM_KIND_VGA_BIOS), "vga-bios");
    assert_string_equal(pam_bios_kind_name(PAM_KIND_VGA_BIOS_TSR), "vga-bios-tsr");
}

struct want_h {
    bool valid;
    uint64_t gpa, len, off;
    bool rom;
};

#define NONE          { false, 0, 0, 0, false }
#define ROMH(g, l, o) { true, (g), (l), (o), true }
#define RAMH(g, l, o) { true, (g), (l), (o), false }

/*
 * Reference 2.4 step 4, 13 ranges x 4 states, rom_bios_offset 0x1BD00000. WriteOnly is
 * treated as Writable (step 3).
 */
static const struct {
    const char *name;
    struct want_h mmio, wp, wo, wr;
} rules[NRANGES] = {
    [F0] = { "F0000 system BIOS",
             ROMH(0xF0000, 0x10000, 0x1BDF0000), ROMH(0xF0000, 0xE000, 0xF0000), NONE, NONE },
    [C0] = { "C0000 VGA BIOS",
             ROMH(0xC0000, 0x4000, 0xC0000), ROMH(0xC0000, 0x4000, 0xC0000),
             RAMH(0xC0000, 0x4000, 0x1BDC0000), RAMH(0xC0000, 0x4000, 0x1BDC0000) },
    [C4] = { "C4000 VGA BIOS",
             ROMH(0xC4000, 0x4000, 0xC4000), ROMH(0xC4000, 0x4000, 0xC4000),
             RAMH(0xC4000, 0x4000, 0x1BDC4000), RAMH(0xC4000, 0x4000, 0x1BDC4000) },
    [C8] = { "C8000 VGA BIOS TSR",
             NONE, ROMH(0xC8000, 0x4000, 0xC8000),
             RAMH(0xC8000, 0x4000, 0x1BDC8000), RAMH(0xC8000, 0x4000, 0x1BDC8000) },
    [CC] = { "CC000 none",
             ROMH(0xCC000, 0x4000, 0xCC000), ROMH(0xCC000, 0x4000, 0xCC000), NONE, NONE },
    [D0] = { "D0000 none",
             ROMH(0xD0000, 0x4000, 0xD0000), ROMH(0xD0000, 0x4000, 0xD0000), NONE, NONE },
    [D4] = { "D4000 none",
             ROMH(0xD4000, 0x4000, 0xD4000), ROMH(0xD4000, 0x4000, 0xD4000), NONE, NONE },
    [D8] = { "D8000 none",
             ROMH(0xD8000, 0x4000, 0xD8000), ROMH(0xD8000, 0x4000, 0xD8000), NONE, NONE },
    [DC] = { "DC000 none",
             ROMH(0xDC000, 0x4000, 0xDC000), ROMH(0xDC000, 0x4000, 0xDC000), NONE, NONE },
    [E0] = { "E0000 system BIOS",
             ROMH(0xE0000, 0x4000, 0x1BDE0000), ROMH(0xE0000, 0x4000, 0xE0000), NONE, NONE },
    [E4] = { "E4000 system BIOS",
             ROMH(0xE4000, 0x4000, 0x1BDE4000), ROMH(0xE4000, 0x4000, 0xE4000), NONE, NONE },
    [E8] = { "E8000 system BIOS",
             ROMH(0xE8000, 0x4000, 0x1BDE8000), ROMH(0xE8000, 0x4000, 0xE8000), NONE, NONE },
    [EC] = { "EC000 system BIOS",
             ROMH(0xEC000, 0x4000, 0x1BDEC000), ROMH(0xEC000, 0x4000, 0xEC000), NONE, NONE },
};

static const struct want_h *rule(unsigned i, enum gpa_state s)
{
    switch (s) {
    case MMIO: return &rules[i].mmio;
    case WP: return &rules[i].wp;
    case WO: return &rules[i].wo;
    default: return &rules[i].wr;
    }
}

static void check_handle(const char *what, enum gpa_state s, const struct pam_handle *got,
                         const struct want_h *w)
{
    if (got->valid != w->valid)
        fail_msg("%s state %d: %s, want %s", what, s, got->valid ? "a mapping" : "none",
                 w->valid ? "a mapping" : "none");
    if (w->valid && (got->gpa != w->gpa || got->len != w->len || got->gpa_offset != w->off ||
                     got->rom != w->rom))
        fail_msg("%s state %d: gpa %#llx len %#llx off %#llx %s; want gpa %#llx len %#llx "
                 "off %#llx %s", what, s, (unsigned long long)got->gpa,
                 (unsigned long long)got->len, (unsigned long long)got->gpa_offset,
                 got->rom ? "ROM" : "RAM", (unsigned long long)w->gpa,
                 (unsigned long long)w->len, (unsigned long long)w->off, w->rom ? "ROM" : "RAM");
}

static void test_desired_rule_table(void **state)
{
    (void)state;
    static const enum gpa_state states[] = { MMIO, WP, WO, WR };
    for (unsigned i = 0; i < NRANGES; i++) {
        for (unsigned k = 0; k < 4; k++) {
            struct pam_handle h = pam_get_desired(&pam_bios_bounds[i], states[k], ROM_BIOS_OFFSET);
            check_handle(rules[i].name, states[k], &h, rule(i, states[k]));
        }
    }
}

/* The offset is the configured one, not a constant. */
static void test_desired_other_rom_offset(void **state)
{
    (void)state;
    static const struct {
        unsigned i;
        enum gpa_state s;
        struct want_h w;
    } c[] = {
        { F0, MMIO, ROMH(0xF0000, 0x10000, 0x7FF0000) },
        { E4, MMIO, ROMH(0xE4000, 0x4000, 0x7FE4000) },
        { C0, WR, RAMH(0xC0000, 0x4000, 0x7FC0000) },
        { C8, WR, RAMH(0xC8000, 0x4000, 0x7FC8000) },
        { F0, WP, ROMH(0xF0000, 0xE000, 0xF0000) },
        { D4, MMIO, ROMH(0xD4000, 0x4000, 0xD4000) },
    };
    for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        struct pam_handle h = pam_get_desired(&pam_bios_bounds[c[k].i], c[k].s, 0x7F00000);
        check_handle(rules[c[k].i].name, c[k].s, &h, &c[k].w);
    }
}

/* ---- adjust -------------------------------------------------------------------------- */

/* Every range's first mapping through adjust, for both base slots: slot = base + index,
 * the byte length, the offset and the ROM flag as the rules say, then applied(). */
static void test_adjust_creates_every_range(void **state)
{
    (void)state;
    static const uint32_t bases[] = { 0, 20 };
    static const enum gpa_state states[] = { MMIO, WP, WO, WR };
    for (unsigned b = 0; b < 2; b++) {
        for (unsigned i = 0; i < NRANGES; i++) {
            for (unsigned k = 0; k < 4; k++) {
                struct pam_get pg;
                fresh(&pg, bases[b]);
                const struct want_h *w = rule(i, states[k]);
                pam_get_adjust(&pg, &R[i], states[k]);
                if (!w->valid) {
                    /* an empty slot that should stay empty: nothing to do */
                    expect_no_events(rules[i].name);
                    assert_int_equal(pg.stats.skipped, 1);
                    continue;
                }
                uint32_t slot = bases[b] + i;
                if (fg.n != 2 || fg.ev[0].kind != EV_CREATE || fg.ev[1].kind != EV_APPLIED)
                    fail_msg("%s state %d: %u events, want CREATE then applied", rules[i].name,
                             states[k], fg.n);
                const struct ev *e = &fg.ev[0];
                if (e->slot != slot || e->gpa != w->gpa || e->len != w->len || e->off != w->off ||
                    e->rom != w->rom)
                    fail_msg("%s state %d base %u: CREATE slot %u gpa %#llx len %#llx off %#llx "
                             "rom %d", rules[i].name, states[k], bases[b], e->slot,
                             (unsigned long long)e->gpa, (unsigned long long)e->len,
                             (unsigned long long)e->off, e->rom);
                assert_int_equal(fg.ev[1].index, i);
                expect_applied(i, slot, w->gpa, w->len, w->off, w->rom);
                expect_slot(&pg, i, slot, w->gpa, w->len, w->off, w->rom);
                assert_int_equal(pg.stats.creates, 1);
                assert_int_equal(pg.stats.write_only, states[k] == WO ? 1 : 0);
            }
        }
    }
}

static void test_skip_if_unchanged(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0);
    pam_get_adjust(&pg, &R[F0], WR);             /* none, and the slot is empty */
    expect_no_events("F0000 writable from empty");
    pam_get_adjust(&pg, &R[F0], MMIO);
    expect_get_calls("F0000 mmio", CREATE(0, 0xF0000, 0x10000, 0x1BDF0000, true));
    clear_log();
    pam_get_adjust(&pg, &R[F0], MMIO);
    expect_no_get_calls("F0000 mmio again");
    /* different states with the same metadata: VgaBios and None, Mmio then WriteProtected */
    pam_get_adjust(&pg, &R[C0], MMIO);
    pam_get_adjust(&pg, &R[D8], MMIO);
    expect_get_calls("C0000 and D8000 mmio",
                     CREATE(1, 0xC0000, 0x4000, 0xC0000, true),
                     CREATE(7, 0xD8000, 0x4000, 0xD8000, true));
    clear_log();
    uint64_t skipped = pg.stats.skipped;
    pam_get_adjust(&pg, &R[C0], WP);
    pam_get_adjust(&pg, &R[D8], WP);
    pam_get_adjust(&pg, &R[C0], MMIO);
    expect_no_get_calls("mmio <-> write-protected with the same metadata");
    assert_int_equal(pg.stats.skipped, skipped + 3);
    /* C8000 Mmio is none too */
    pam_get_adjust(&pg, &R[C8], MMIO);
    expect_no_get_calls("C8000 mmio from empty");
    /* WriteOnly after Writable is the same desire */
    pam_get_adjust(&pg, &R[C4], WR);
    clear_log();
    pam_get_adjust(&pg, &R[C4], WO);
    expect_no_get_calls("C4000 write-only after writable");
    assert_int_equal(pg.stats.creates, 4);
    assert_int_equal(pg.stats.resets, 0);
}

static void test_reset_before_create(void **state)
{
    (void)state;
    static const uint32_t bases[] = { 0, 20 };
    for (unsigned b = 0; b < 2; b++) {
        uint32_t base = bases[b];
        struct pam_get pg;
        fresh(&pg, base);
        pam_get_adjust(&pg, &R[F0], MMIO);
        clear_log();
        pam_get_adjust(&pg, &R[F0], WP);
        expect_get_calls("F0000 mmio -> write-protected",
                         RESET(base + 0), CREATE(base + 0, 0xF0000, 0xE000, 0xF0000, true));
        expect_applied(0, base + 0, 0xF0000, 0xE000, 0xF0000, true);
        expect_slot(&pg, 0, base + 0, 0xF0000, 0xE000, 0xF0000, true);

        /* the VGA kludge: Writable is RAM from the high copy */
        pam_get_adjust(&pg, &R[C4], MMIO);
        clear_log();
        pam_get_adjust(&pg, &R[C4], WR);
        expect_get_calls("C4000 mmio -> writable",
                         RESET(base + 2), CREATE(base + 2, 0xC4000, 0x4000, 0x1BDC4000, false));
        expect_applied(2, base + 2, 0xC4000, 0x4000, 0x1BDC4000, false);
        clear_log();
        pam_get_adjust(&pg, &R[C4], WP);
        expect_get_calls("C4000 writable -> write-protected",
                         RESET(base + 2), CREATE(base + 2, 0xC4000, 0x4000, 0xC4000, true));
        expect_applied(2, base + 2, 0xC4000, 0x4000, 0xC4000, true);

        /* E0000 system BIOS: Mmio (high copy) <-> WriteProtected (identity) */
        pam_get_adjust(&pg, &R[E0], WP);
        clear_log();
        pam_get_adjust(&pg, &R[E0], MMIO);
        expect_get_calls("E0000 write-protected -> mmio",
                         RESET(base + 9), CREATE(base + 9, 0xE0000, 0x4000, 0x1BDE0000, true));
        assert_int_equal(pg.stats.resets, 4);
    }
}

/* A mapping that is no longer wanted: RESET only, and applied() says it is gone. */
static void test_to_none_resets_only(void **state)
{
    (void)state;
    static const struct { int r; enum gpa_state from, to; } c[] = {
        { F0, WP, WR }, { F0, MMIO, WO }, { C8, WP, MMIO }, { CC, MMIO, WR },
        { DC, WP, WO }, { EC, MMIO, WR },
    };
    for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        struct pam_get pg;
        fresh(&pg, 20);
        pam_get_adjust(&pg, &R[c[k].r], c[k].from);
        assert_int_equal(count_kind(EV_CREATE), 1);
        clear_log();
        pam_get_adjust(&pg, &R[c[k].r], c[k].to);
        struct want_ev w = RESET(20 + (uint32_t)c[k].r);
        expect_get_calls_(&w, 1, rules[c[k].r].name);
        expect_applied_gone((unsigned)c[k].r, 20 + (uint32_t)c[k].r);
        expect_slot_empty(&pg, (unsigned)c[k].r);
    }
}

static void test_write_only_as_writable(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0);
    pam_get_adjust(&pg, &R[C0], WO);
    expect_get_calls("C0000 write-only", CREATE(1, 0xC0000, 0x4000, 0x1BDC0000, false));
    assert_int_equal(pg.stats.write_only, 1);
    assert_true(fg.warns >= 1);
    clear_log();
    pam_get_adjust(&pg, &R[C0], WR);
    expect_no_get_calls("C0000 writable after write-only");
    assert_int_equal(pg.stats.write_only, 1);
    pam_get_adjust(&pg, &R[F0], MMIO);
    clear_log();
    pam_get_adjust(&pg, &R[F0], WO);
    expect_get_calls("F0000 write-only: the catch-all RAM", RESET(0));
    assert_int_equal(pg.stats.write_only, 2);
    assert_true(fg.warns >= 1);
}

/* "the host already sets VGA to be MMIO": no GET call. */
static void test_vga_window_no_call(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0);
    pam_get_adjust(&pg, &VGA_WINDOW, MMIO);
    expect_no_events("VGA window");
    assert_int_equal(pg.stats.bad_ranges, 0);
    assert_int_equal(pg.stats.creates, 0);
    for (unsigned i = 0; i < NRANGES; i++)
        expect_slot_empty(&pg, i);
}

static void test_range_outside_table(void **state)
{
    (void)state;
    static const struct pam_range bad[] = {
        { 0xD0000, 0xD8000 }, { 0x100000, 0x104000 }, { 0xF0000, 0xFE000 },
        { 0xC0000, 0xC8000 }, { 0xA0000, 0xB0000 }, { 0xC2000, 0xC6000 }, { 0, 0x4000 },
    };
    struct pam_get pg;
    fresh(&pg, 0);
    pam_get_adjust(&pg, &R[C0], MMIO);
    struct state_bytes before = save_bytes(&pg), after;
    clear_log();
    for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
        pam_get_adjust(&pg, &bad[k], MMIO);
        pam_get_adjust(&pg, &bad[k], WR);
    }
    expect_no_events("ranges outside the table");
    assert_int_equal(pg.stats.bad_ranges, 2 * (sizeof(bad) / sizeof(bad[0])));
    after = save_bytes(&pg);
    expect_same_bytes(&after, &before);
}

/* A refused or unanswered CREATE after a RESET: the slot is empty, applied() was told,
 * the failure counted; a later successful adjust recovers. */
static void test_failed_create(void **state)
{
    (void)state;
    static const struct { int err; uint32_t status; bool timeout; } c[] = {
        { 0, 1, false },            /* SLOT_OUT_OF_BOUNDS */
        { 0, 2, false },            /* SLOT_OCCUPIED */
        { 0, 3, false },            /* INVALID_FLAG */
        { 0, 4, false },            /* INVALID_GPA */
        { 0, 5, false },            /* FAILED */
        { 0, 0x1234, false },       /* a status the protocol does not know */
        { -ETIMEDOUT, 0, true },
        { -EIO, 0, false },
    };
    for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        struct pam_get pg;
        fresh(&pg, 0);
        pam_get_adjust(&pg, &R[F0], MMIO);
        expect_slot(&pg, 0, 0, 0xF0000, 0x10000, 0x1BDF0000, true);
        clear_log();
        script_create(c[k].err, c[k].status);
        pam_get_adjust(&pg, &R[F0], WP);
        expect_get_calls("failing CREATE", RESET(0), CREATE(0, 0xF0000, 0xE000, 0xF0000, true));
        expect_applied_gone(0, 0);
        expect_slot_empty(&pg, 0);
        assert_int_equal(pg.stats.create_failures, 1);
        assert_int_equal(pg.stats.create_timeouts, c[k].timeout ? 1 : 0);
        if (c[k].err == 0)
            assert_int_equal(pg.stats.last_status, c[k].status);
        assert_true(fg.warns >= 1);

        /* the same state again: nothing to reset, CREATE succeeds */
        clear_log();
        pam_get_adjust(&pg, &R[F0], WP);
        expect_get_calls("retry", CREATE(0, 0xF0000, 0xE000, 0xF0000, true));
        expect_applied(0, 0, 0xF0000, 0xE000, 0xF0000, true);
        expect_slot(&pg, 0, 0, 0xF0000, 0xE000, 0xF0000, true);
        assert_int_equal(pg.stats.create_failures, 1);
    }
}

/* A failing CREATE into an empty slot, base 20, and recovery through another state. */
static void test_failed_create_empty_slot(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 20);
    script_create(0, 5);
    script_create(-ETIMEDOUT, 0);
    pam_get_adjust(&pg, &R[C0], MMIO);
    expect_get_calls("failing CREATE", CREATE(21, 0xC0000, 0x4000, 0xC0000, true));
    const struct ev *e = last_applied(1);
    if (e && e->valid)
        fail_msg("applied() reported a mapping the host refused");
    expect_slot_empty(&pg, 1);
    clear_log();
    pam_get_adjust(&pg, &R[C0], WR);
    expect_get_calls("timed-out CREATE", CREATE(21, 0xC0000, 0x4000, 0x1BDC0000, false));
    expect_slot_empty(&pg, 1);
    assert_int_equal(pg.stats.create_failures, 2);
    assert_int_equal(pg.stats.create_timeouts, 1);
    assert_int_equal(pg.stats.last_status, 5);
    clear_log();
    pam_get_adjust(&pg, &R[C0], WP);
    expect_get_calls("recovered", CREATE(21, 0xC0000, 0x4000, 0xC0000, true));
    expect_applied(1, 21, 0xC0000, 0x4000, 0xC0000, true);
    expect_slot(&pg, 1, 21, 0xC0000, 0x4000, 0xC0000, true);
}

/* ---- save / restore ------------------------------------------------------------------ */

static const enum gpa_state busy_states[NRANGES] = {
    [F0] = WP, [C0] = WR, [C4] = MMIO, [C8] = MMIO, [CC] = WP, [D0] = WR, [D4] = WR,
    [D8] = WR, [DC] = WO, [E0] = MMIO, [E4] = WR, [E8] = WR, [EC] = WP,
};

static void make_busy(struct pam_get *pg)
{
    for (unsigned i = 0; i < NRANGES; i++)
        pam_get_adjust(pg, &R[i], busy_states[i]);
}

/* busy_states with base slot 20, by the rules table. */
static void expect_busy_saved(const pg_msg *s)
{
    static const struct {
        uint8_t valid, rom;
        uint32_t slot;
        uint64_t gpa, len, off;
    } want[NRANGES] = {
        [F0] = { 1, 1, 20, 0xF0000, 0xE000, 0xF0000 },
        [C0] = { 1, 0, 21, 0xC0000, 0x4000, 0x1BDC0000 },
        [C4] = { 1, 1, 22, 0xC4000, 0x4000, 0xC4000 },
        [CC] = { 1, 1, 24, 0xCC000, 0x4000, 0xCC000 },
        [E0] = { 1, 1, 29, 0xE0000, 0x4000, 0x1BDE0000 },
        [EC] = { 1, 1, 32, 0xEC000, 0x4000, 0xEC000 },
    };
    assert_int_equal(s->base_slot, 20);
    assert_true(s->has_handles);
    assert_int_equal(s->handles.element_count, 13);   /* mesh: a fixed array of 13 */
    for (unsigned i = 0; i < NRANGES; i++) {
        const pg_handle_msg *h = &HANDLE(*s, i);
        assert_int_equal(HANDLE_VALID(*s, i), want[i].valid);
        if (!want[i].valid)
            continue;
        if (!h->has_range || h->is_rom != want[i].rom || h->remote_handle != want[i].slot ||
            h->range.start != want[i].gpa || h->range.end - h->range.start != want[i].len ||
            h->gpa_offset != want[i].off)
            fail_msg("saved handle %u: rom %u slot %u gpa %#llx len %#llx off %#llx", i, h->is_rom,
                     h->remote_handle, (unsigned long long)h->range.start,
                     (unsigned long long)(h->range.end - h->range.start),
                     (unsigned long long)h->gpa_offset);
    }
}

static void test_save_restore_round_trip(void **state)
{
    (void)state;
    struct pam_get a;
    fresh(&a, 20);
    make_busy(&a);
    assert_int_equal(count_kind(EV_CREATE), 6);
    pg_msg s;
    memset(&s, 0xee, sizeof(s));
    save_msg(&a, &s);
    expect_busy_saved(&s);
    struct state_bytes blob = save_bytes(&a);

    /* servicing: a new object (constructed with base 0), restored from the blob */
    struct pam_get b;
    fresh(&b, 0);
    assert_int_equal(pam_get_restore_state(&b, blob.b, blob.len), 0);
    expect_no_get_calls("restore");
    assert_int_equal(count_kind(EV_APPLIED), 6);
    expect_applied(F0, 20, 0xF0000, 0xE000, 0xF0000, true);
    expect_applied(C0, 21, 0xC0000, 0x4000, 0x1BDC0000, false);
    expect_applied(C4, 22, 0xC4000, 0x4000, 0xC4000, true);
    expect_applied(CC, 24, 0xCC000, 0x4000, 0xCC000, true);
    expect_applied(E0, 29, 0xE0000, 0x4000, 0x1BDE0000, true);
    expect_applied(EC, 32, 0xEC000, 0x4000, 0xEC000, true);
    assert_int_equal(b.base_slot, 20);

    /* the chipset's restore then adjusts all 13 with the same states: all skipped */
    clear_log();
    uint64_t skipped = b.stats.skipped;
    make_busy(&b);
    expect_no_get_calls("the 13 adjusts after restore");
    assert_int_equal(b.stats.skipped, skipped + 13);
    struct state_bytes again = save_bytes(&b);
    expect_same_bytes(&again, &blob);

    /* the restored handles are live: a change resets the restored slot first */
    clear_log();
    pam_get_adjust(&b, &R[E0], WP);
    expect_get_calls("change after restore",
                     RESET(29), CREATE(29, 0xE0000, 0x4000, 0xE0000, true));
    clear_log();
    pam_get_adjust(&b, &R[C0], MMIO);
    expect_get_calls("C0000 after restore", RESET(21), CREATE(21, 0xC0000, 0x4000, 0xC0000, true));
}

/* The worked example of reference/openvmm-facts.md 4.2 (mesh's encoding of OpenHCL's
 * state with base slot 0 and only slot 0 set): our save is byte-identical. */
static void test_save_matches_mesh_encoding(void **state)
{
    (void)state;
    static const uint8_t want[48] = {
        0x12, 0x2E,
        0x0A, 0x14, 0x0A, 0x12,
        0x12, 0x08, 0x08, 0x80, 0x80, 0x3C, 0x10, 0x80, 0x80, 0x40,
        0x18, 0x80, 0x80, 0xFC, 0xFF, 0x07, 0x20, 0x01,
        0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00,
        0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00, 0x0A, 0x00,
    };
    pg_msg m = underhill_emuplat_i440bx_host_pci_bridge_SavedState_init_zero;
    m.has_handles = true;
    m.handles.element_count = 13;
    HANDLE_VALID(m, F0) = true;
    HANDLE(m, F0) = (pg_handle_msg){
        .remote_handle = 0, .has_range = true, .range = { 0xF0000, 0x100000 },
        .gpa_offset = 0x7FFF0000, .is_rom = true,
    };
    struct pam_get pg;
    fresh(&pg, 0);
    assert_int_equal(restore_msg(&pg, &m), 0);
    struct state_bytes got = save_bytes(&pg);
    assert_int_equal(got.len, sizeof(want));
    assert_memory_equal(got.b, want, sizeof(want));
}

/* The saved state as nanopb encodes the message the slots make (what the written-out
 * encoder in pam_get_state.c replaced). */
static struct state_bytes nanopb_save(const struct pam_get *pg)
{
    pg_msg m = underhill_emuplat_i440bx_host_pci_bridge_SavedState_init_zero;
    m.base_slot = pg->base_slot;
    m.rules = pg->rules;
    m.has_handles = true;
    m.handles.element_count = PAM_RANGE_COUNT;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        const struct pam_handle *h = &pg->slots[i];
        if (!h->valid)
            continue;
        HANDLE_VALID(m, i) = true;
        HANDLE(m, i) = (pg_handle_msg){
            .remote_handle = pg->base_slot + i, .has_range = true,
            .range = { .start = h->gpa, .end = h->gpa + h->len },
            .gpa_offset = h->gpa_offset, .is_rom = h->rom,
        };
    }
    return encode_msg(&m);
}

/* Byte for byte nanopb's encoding, for slot tables of every shape: empty, full, zero and
 * large values (one- to ten-byte varints), base slot 0 (remote handle 0 left out), both
 * rules; and -ENOSPC one byte short. */
static void test_save_matches_nanopb(void **state)
{
    (void)state;
    uint64_t seed = 0x9E3779B97F4A7C15ull;
    for (unsigned round = 0; round < 2000; round++) {
        struct pam_get pg;
        fresh(&pg, round % 3 == 0 ? 0 : (uint32_t)(round * 7919u));
        pg.rules = (uint8_t)(round % PAM_RULES_COUNT);
        for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t r = seed >> 11;
            pg.slots[i] = (struct pam_handle){ .valid = false };
            if (round % 5 == 0 || (r & 3) == 0)
                continue;
            unsigned shift = (unsigned)(r >> 2) % 64;
            pg.slots[i] = (struct pam_handle){
                .valid = true,
                .gpa = (r & 8) ? 0 : pam_bios_bounds[i].start,
                .len = (r & 16) ? 0 : (r >> 7) % (pam_bios_bounds[i].size + 1),
                .gpa_offset = (r & 32) ? 0 : (seed >> shift),
                .rom = (r & 64) != 0,
            };
        }
        struct state_bytes want = nanopb_save(&pg), got;
        assert_int_equal(pam_get_save_state(&pg, got.b, sizeof(got.b), &got.len), 0);
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.b, want.b, want.len);
        assert_int_equal(pam_get_save_state(&pg, got.b, want.len - 1, &got.len), -ENOSPC);
    }
}

/* A fresh object saves 13 empty handles, and restoring that empties a busy one. */
static void test_save_restore_empty(void **state)
{
    (void)state;
    struct pam_get a;
    fresh(&a, 0);
    pg_msg s;
    save_msg(&a, &s);
    assert_int_equal(s.base_slot, 0);
    assert_int_equal(s.handles.element_count, 13);
    for (unsigned i = 0; i < NRANGES; i++)
        assert_int_equal(HANDLE_VALID(s, i), 0);
    struct pam_get b;
    fresh(&b, 20);
    make_busy(&b);
    clear_log();
    assert_int_equal(restore_msg(&b, &s), 0);
    expect_no_get_calls("restore");
    assert_int_equal(b.base_slot, 0);
    for (unsigned i = 0; i < NRANGES; i++)
        expect_slot_empty(&b, i);
    /* and the first adjust after it creates slot base + index with the restored base */
    clear_log();
    pam_get_adjust(&b, &R[D0], MMIO);
    expect_get_calls("after restoring empty", CREATE(5, 0xD0000, 0x4000, 0xD0000, true));
}

/* The whole blob is validated before anything changes. */
static void test_restore_rejects_malformed(void **state)
{
    (void)state;
    enum {
        M_NO_HANDLES, M_12_HANDLES, M_SLOT_F0, M_SLOT_EC, M_BASE, M_GPA_F0, M_GPA_C0, M_LEN0,
        M_LEN_LONG, M_LEN_LONG_F0, M_NO_RANGE, M_BACKWARDS, M_TRUNCATED, M_BAD_WIRE, M_COUNT
    };
    static const char *const names[M_COUNT] = {
        "no handles", "12 handles", "F0000 slot 21", "EC000 slot 20", "base slot 0",
        "F0000 gpa F1000", "C0000 gpa C4000", "C4000 len 0", "C4000 len 0x4001",
        "F0000 len 0x10001", "C0000 without a range", "C4000 range ends before it starts",
        "truncated", "wire type 7",
    };
    struct pam_get src;
    fresh(&src, 20);
    make_busy(&src);
    pg_msg good;
    save_msg(&src, &good);

    for (unsigned m = 0; m < M_COUNT; m++) {
        pg_msg s = good;
        switch (m) {
        case M_NO_HANDLES: s.has_handles = false; break;
        case M_12_HANDLES: s.handles.element_count = 12; break;
        case M_SLOT_F0: HANDLE(s, F0).remote_handle = 21; break;
        case M_SLOT_EC: HANDLE(s, EC).remote_handle = 20; break;
        case M_BASE: s.base_slot = 0; break;
        case M_GPA_F0: HANDLE(s, F0).range.start = 0xF1000; break;
        case M_GPA_C0: HANDLE(s, C0).range = (topology_MemoryRange){ 0xC4000, 0xC8000 }; break;
        case M_LEN0: HANDLE(s, C4).range.end = 0xC4000; break;
        case M_LEN_LONG: HANDLE(s, C4).range.end = 0xC8001; break;
        case M_LEN_LONG_F0: HANDLE(s, F0).range.end = 0x100001; break;
        case M_NO_RANGE: HANDLE(s, C0).has_range = false; break;
        case M_BACKWARDS: HANDLE(s, C4).range.end = 0xC0000; break;
        default: break;
        }
        struct state_bytes blob = encode_msg(&s);
        if (m == M_TRUNCATED)
            blob.len--;
        if (m == M_BAD_WIRE)
            blob.b[0] = 0x0F;
        /* the target holds something else: base 5, F0000 and D0000 mapped */
        struct pam_get t;
        fresh(&t, 5);
        pam_get_adjust(&t, &R[F0], MMIO);
        pam_get_adjust(&t, &R[D0], WP);
        struct state_bytes before = save_bytes(&t), after;
        clear_log();
        int rc = pam_get_restore_state(&t, blob.b, blob.len);
        if (rc != -EINVAL)
            fail_msg("%s: restore returned %d, want -EINVAL", names[m], rc);
        expect_no_events(names[m]);
        assert_int_equal(t.base_slot, 5);
        after = save_bytes(&t);
        expect_same_bytes(&after, &before);
        /* and it still works as before */
        pam_get_adjust(&t, &R[F0], MMIO);
        expect_no_get_calls(names[m]);
    }
}

/* Handles at the limits of the checks are accepted. */
static void test_restore_accepts_edges(void **state)
{
    (void)state;
    pg_msg s = underhill_emuplat_i440bx_host_pci_bridge_SavedState_init_zero;
    s.base_slot = 7;
    s.has_handles = true;
    s.handles.element_count = 13;
    HANDLE_VALID(s, F0) = true;
    HANDLE(s, F0) = (pg_handle_msg){
        .is_rom = true, .remote_handle = 7, .has_range = true, .range = { 0xF0000, 0x100000 },
        .gpa_offset = 0x1BDF0000,
    };
    HANDLE_VALID(s, EC) = true;
    HANDLE(s, EC) = (pg_handle_msg){
        .is_rom = false, .remote_handle = 19, .has_range = true, .range = { 0xEC000, 0xF0000 },
        .gpa_offset = 0x1BDEC000,
    };
    struct pam_get pg;
    fresh(&pg, 0);
    assert_int_equal(restore_msg(&pg, &s), 0);
    expect_no_get_calls("restore");
    expect_applied(F0, 7, 0xF0000, 0x10000, 0x1BDF0000, true);
    expect_applied(EC, 19, 0xEC000, 0x4000, 0x1BDEC000, false);
    /* F0000 Mmio is exactly what was restored */
    clear_log();
    pam_get_adjust(&pg, &R[F0], MMIO);
    expect_no_get_calls("F0000 mmio after restore");
    /* EC000 held a RAM mapping the rules never make: Writable wants none, so it goes */
    pam_get_adjust(&pg, &R[EC], WR);
    expect_get_calls("EC000 writable after restore", RESET(19));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bounds_table),
        cmocka_unit_test(test_desired_rule_table),
        cmocka_unit_test(test_desired_other_rom_offset),
        cmocka_unit_test(test_adjust_creates_every_range),
        cmocka_unit_test(test_skip_if_unchanged),
        cmocka_unit_test(test_reset_before_create),
        cmocka_unit_test(test_to_none_resets_only),
        cmocka_unit_test(test_write_only_as_writable),
        cmocka_unit_test(test_vga_window_no_call),
        cmocka_unit_test(test_range_outside_table),
        cmocka_unit_test(test_failed_create),
        cmocka_unit_test(test_failed_create_empty_slot),
        cmocka_unit_test(test_save_restore_round_trip),
        cmocka_unit_test(test_save_matches_mesh_encoding),
        cmocka_unit_test(test_save_matches_nanopb),
        cmocka_unit_test(test_save_restore_empty),
        cmocka_unit_test(test_restore_rejects_malformed),
        cmocka_unit_test(test_restore_accepts_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
