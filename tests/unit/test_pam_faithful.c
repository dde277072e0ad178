/*
 * Unit tests for the faithful GET-backed PAM rules (drivers/vdev/chipset/pam_faithful.c)
 * and the slot discipline carrying them (pam_get.c with PAM_RULES_FAITHFUL), over a fake
 * GET that logs every CREATE, RESET and applied() call and answers CREATE from a script.
 *
 * The 13 ranges x 4 states table is written out by hand from OpenVMM's local
 * RamVisibility rules (reference/openvmm-facts.md 2.5) and the firmware windows of
 * docs/partition.md, never computed by the module under test:
 *   ReadWrite -> no slot; ReadOnly -> identity ROM; Unmapped where the firmware's low
 *   window shows the image -> ROM over rom_bios_offset + start; Unmapped with nothing
 *   behind it -> identity ROM (inexact: docs/pam.md).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/pam_faithful.h"
#include "drivers/vdev/chipset/pam_get.h"
#include "kernel/lib/pb_codec.h"
#include "pam_get.pb.h"

typedef underhill_emuplat_i440bx_host_pci_bridge_SavedState pam_get_msg;

#define MMIO GPA_STATE_MMIO
#define WP   GPA_STATE_WRITE_PROTECTED
#define WO   GPA_STATE_WRITE_ONLY
#define WR   GPA_STATE_WRITABLE

/* rom_bios_offset for a first RAM block ending at 0x1BE00000 (512 MiB, 64 MiB of VTL2). */
#define ROM_BIOS_OFFSET 0x1BD00000ull
/* The firmware's window below 1 MiB: 256 KiB image (SeaBIOS) -> its last 128 KiB at
 * E0000; 64 KiB image (the test firmware) -> F0000 only. */
#define LOW_256K 0xE0000ull
#define LOW_64K  0xF0000ull

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
    uint64_t gpa, len, off;
    bool rom;
    unsigned index;
    bool valid;
};

#define MAX_EV     128
#define MAX_SCRIPT 8

struct fake_get {
    struct ev ev[MAX_EV];
    unsigned n;
    struct { int err; uint32_t status; } script[MAX_SCRIPT];
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
    *status = 0;
    if (fg.pos < fg.nscript) {
        *status = fg.script[fg.pos].status;
        return fg.script[fg.pos++].err;
    }
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

static void fresh(struct pam_get *pg, uint32_t base_slot, uint64_t low_start)
{
    memset(&fg, 0, sizeof(fg));
    memset(pg, 0xcd, sizeof(*pg));
    pam_get_init_rules(pg, PAM_RULES_FAITHFUL, base_slot, ROM_BIOS_OFFSET, low_start, &fake_ops);
}

static void script_create(int err, uint32_t status)
{
    fg.script[fg.nscript].err = err;
    fg.script[fg.nscript].status = status;
    fg.nscript++;
}

struct want_ev {
    int kind;
    uint32_t slot;
    uint64_t gpa, len, off;
    bool rom;
};

#define CREATE(s, g, l, o) { EV_CREATE, (s), (g), (l), (o), true }
#define RESET(s)           { EV_RESET, (s), 0, 0, 0, false }

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
                     "want %s slot %u gpa %#llx len %#llx off %#llx", what, k,
                     e->kind == EV_CREATE ? "CREATE" : "RESET", e->slot,
                     (unsigned long long)e->gpa, (unsigned long long)e->len,
                     (unsigned long long)e->off, e->rom,
                     x->kind == EV_CREATE ? "CREATE" : "RESET", x->slot,
                     (unsigned long long)x->gpa, (unsigned long long)x->len,
                     (unsigned long long)x->off);
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

static const struct ev *last_applied(unsigned index)
{
    const struct ev *last = NULL;
    for (unsigned i = 0; i < fg.n; i++)
        if (fg.ev[i].kind == EV_APPLIED && fg.ev[i].index == index)
            last = &fg.ev[i];
    return last;
}

static void expect_slot(const struct pam_get *pg, unsigned index, uint32_t slot, uint64_t gpa,
                        uint64_t len, uint64_t off)
{
    const struct pam_handle *h = &pg->slots[index];
    if (!h->valid || h->gpa != gpa || h->len != len || h->gpa_offset != off || !h->rom)
        fail_msg("slot of range %u: valid %d gpa %#llx len %#llx off %#llx rom %d; want "
                 "gpa %#llx len %#llx off %#llx ROM", index, h->valid, (unsigned long long)h->gpa,
                 (unsigned long long)h->len, (unsigned long long)h->gpa_offset, h->rom,
                 (unsigned long long)gpa, (unsigned long long)len, (unsigned long long)off);
    assert_int_equal(pg->base_slot + index, slot);   /* what the saved handle carries */
}

static void expect_slot_empty(const struct pam_get *pg, unsigned index)
{
    if (pg->slots[index].valid)
        fail_msg("slot of range %u still holds a mapping", index);
}

/* ---- the rule table ------------------------------------------------------------------ */

struct want_h {
    bool valid;
    uint64_t gpa, len, off;     /* always ROM when valid: the faithful rules make no RAM range */
};

#define NONE        { false, 0, 0, 0 }
#define ROMH(g, l, o) { true, (g), (l), (o) }
#define R_ 0x1BD00000ull        /* rom_bios_offset, to keep the table readable */

/*
 * 13 ranges x 4 states for a 256 KiB firmware (low window E0000-FFFFF). The local view
 * each entry reproduces is in the comment: RW = read-write RAM, RO = read-only RAM,
 * FW = unmapped, showing the firmware, UN = unmapped with nothing behind (all-ones).
 */
static const struct {
    const char *name;
    struct want_h mmio, wp, wo, wr;
} table[NRANGES] = {
    /*              Mmio                                  WriteProtected
     *              WriteOnly                             Writable */
    [F0] = { "F0000",   /* FW, RO, FW, RW */
             ROMH(0xF0000, 0x10000, R_ + 0xF0000), ROMH(0xF0000, 0x10000, 0xF0000),
             ROMH(0xF0000, 0x10000, R_ + 0xF0000), NONE },
    [C0] = { "C0000",   /* UN, RO, UN, RW */
             ROMH(0xC0000, 0x4000, 0xC0000), ROMH(0xC0000, 0x4000, 0xC0000),
             ROMH(0xC0000, 0x4000, 0xC0000), NONE },
    [C4] = { "C4000",   /* UN, RO, UN, RW */
             ROMH(0xC4000, 0x4000, 0xC4000), ROMH(0xC4000, 0x4000, 0xC4000),
             ROMH(0xC4000, 0x4000, 0xC4000), NONE },
    [C8] = { "C8000",   /* UN, RW (the SVGABIOS exception), UN, RW */
             ROMH(0xC8000, 0x4000, 0xC8000), NONE,
             ROMH(0xC8000, 0x4000, 0xC8000), NONE },
    [CC] = { "CC000",   /* RO ("unused ranges go to RAM"), RO, RO, RW */
             ROMH(0xCC000, 0x4000, 0xCC000), ROMH(0xCC000, 0x4000, 0xCC000),
             ROMH(0xCC000, 0x4000, 0xCC000), NONE },
    [D0] = { "D0000",   /* RO, RO, RO, RW */
             ROMH(0xD0000, 0x4000, 0xD0000), ROMH(0xD0000, 0x4000, 0xD0000),
             ROMH(0xD0000, 0x4000, 0xD0000), NONE },
    [D4] = { "D4000",   /* RO, RO, RO, RW */
             ROMH(0xD4000, 0x4000, 0xD4000), ROMH(0xD4000, 0x4000, 0xD4000),
             ROMH(0xD4000, 0x4000, 0xD4000), NONE },
    [D8] = { "D8000",   /* RO, RO, RO, RW */
             ROMH(0xD8000, 0x4000, 0xD8000), ROMH(0xD8000, 0x4000, 0xD8000),
             ROMH(0xD8000, 0x4000, 0xD8000), NONE },
    [DC] = { "DC000",   /* RO, RO, RO, RW */
             ROMH(0xDC000, 0x4000, 0xDC000), ROMH(0xDC000, 0x4000, 0xDC000),
             ROMH(0xDC000, 0x4000, 0xDC000), NONE },
    [E0] = { "E0000",   /* FW, RO, FW, RW */
             ROMH(0xE0000, 0x4000, R_ + 0xE0000), ROMH(0xE0000, 0x4000, 0xE0000),
             ROMH(0xE0000, 0x4000, R_ + 0xE0000), NONE },
    [E4] = { "E4000",   /* FW, RO, FW, RW */
             ROMH(0xE4000, 0x4000, R_ + 0xE4000), ROMH(0xE4000, 0x4000, 0xE4000),
             ROMH(0xE4000, 0x4000, R_ + 0xE4000), NONE },
    [E8] = { "E8000",   /* FW, RO, FW, RW */
             ROMH(0xE8000, 0x4000, R_ + 0xE8000), ROMH(0xE8000, 0x4000, 0xE8000),
             ROMH(0xE8000, 0x4000, R_ + 0xE8000), NONE },
    [EC] = { "EC000",   /* FW, RO, FW, RW */
             ROMH(0xEC000, 0x4000, R_ + 0xEC000), ROMH(0xEC000, 0x4000, 0xEC000),
             ROMH(0xEC000, 0x4000, R_ + 0xEC000), NONE },
};

/* With a 64 KiB firmware the low window is F0000-FFFFF only: E0000-EFFFF in Mmio and
 * WriteOnly are unmapped with nothing behind them locally, identity ROM here. The other
 * 48 entries are the table's. */
static const struct {
    unsigned i;
    struct want_h mmio, wo;
} table_64k[] = {
    { E0, ROMH(0xE0000, 0x4000, 0xE0000), ROMH(0xE0000, 0x4000, 0xE0000) },
    { E4, ROMH(0xE4000, 0x4000, 0xE4000), ROMH(0xE4000, 0x4000, 0xE4000) },
    { E8, ROMH(0xE8000, 0x4000, 0xE8000), ROMH(0xE8000, 0x4000, 0xE8000) },
    { EC, ROMH(0xEC000, 0x4000, 0xEC000), ROMH(0xEC000, 0x4000, 0xEC000) },
};

static const struct want_h *rule(unsigned i, enum gpa_state s)
{
    switch (s) {
    case MMIO: return &table[i].mmio;
    case WP: return &table[i].wp;
    case WO: return &table[i].wo;
    default: return &table[i].wr;
    }
}

static const struct want_h *rule_for(unsigned i, enum gpa_state s, uint64_t low_start)
{
    if (low_start == LOW_64K && (s == MMIO || s == WO)) {
        for (unsigned k = 0; k < sizeof(table_64k) / sizeof(table_64k[0]); k++)
            if (table_64k[k].i == i)
                return s == MMIO ? &table_64k[k].mmio : &table_64k[k].wo;
    }
    return rule(i, s);
}

static void check_handle(const char *what, enum gpa_state s, const struct pam_handle *got,
                         const struct want_h *w)
{
    if (got->valid != w->valid)
        fail_msg("%s state %d: %s, want %s", what, s, got->valid ? "a mapping" : "none",
                 w->valid ? "a mapping" : "none");
    if (w->valid && (got->gpa != w->gpa || got->len != w->len || got->gpa_offset != w->off ||
                     !got->rom))
        fail_msg("%s state %d: gpa %#llx len %#llx off %#llx %s; want gpa %#llx len %#llx "
                 "off %#llx ROM", what, s, (unsigned long long)got->gpa,
                 (unsigned long long)got->len, (unsigned long long)got->gpa_offset,
                 got->rom ? "ROM" : "RAM", (unsigned long long)w->gpa,
                 (unsigned long long)w->len, (unsigned long long)w->off);
}

static const enum gpa_state ALL_STATES[] = { MMIO, WP, WO, WR };

static void test_rule_table_256k(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NRANGES; i++)
        for (unsigned k = 0; k < 4; k++) {
            struct pam_handle h = pam_faithful_desired(&R[i], ALL_STATES[k], ROM_BIOS_OFFSET,
                                                       LOW_256K);
            check_handle(table[i].name, ALL_STATES[k], &h, rule(i, ALL_STATES[k]));
        }
}

static void test_rule_table_64k(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NRANGES; i++)
        for (unsigned k = 0; k < 4; k++) {
            struct pam_handle h = pam_faithful_desired(&R[i], ALL_STATES[k], ROM_BIOS_OFFSET,
                                                       LOW_64K);
            check_handle(table[i].name, ALL_STATES[k], &h, rule_for(i, ALL_STATES[k], LOW_64K));
        }
}

/* The offset is the configured one, not a constant. */
static void test_other_rom_offset(void **state)
{
    (void)state;
    struct pam_handle h = pam_faithful_desired(&R[F0], MMIO, 0x7F00000, LOW_256K);
    check_handle("F0000", MMIO, &h, &(struct want_h)ROMH(0xF0000, 0x10000, 0x7FF0000));
    h = pam_faithful_desired(&R[E8], WO, 0x7F00000, LOW_256K);
    check_handle("E8000", WO, &h, &(struct want_h)ROMH(0xE8000, 0x4000, 0x7FE8000));
    h = pam_faithful_desired(&R[D4], MMIO, 0x7F00000, LOW_256K);
    check_handle("D4000", MMIO, &h, &(struct want_h)ROMH(0xD4000, 0x4000, 0xD4000));
}

/* Where a GPA range cannot show the local view (docs/pam.md), written out. */
static void test_inexact_cases(void **state)
{
    (void)state;
    static const struct { uint64_t low; unsigned i; enum gpa_state s; } inexact[] = {
        { LOW_256K, C0, MMIO }, { LOW_256K, C0, WO }, { LOW_256K, C4, MMIO },
        { LOW_256K, C4, WO }, { LOW_256K, C8, MMIO }, { LOW_256K, C8, WO },
        { LOW_64K, C0, MMIO }, { LOW_64K, C0, WO }, { LOW_64K, C4, MMIO }, { LOW_64K, C4, WO },
        { LOW_64K, C8, MMIO }, { LOW_64K, C8, WO }, { LOW_64K, E0, MMIO }, { LOW_64K, E0, WO },
        { LOW_64K, E4, MMIO }, { LOW_64K, E4, WO }, { LOW_64K, E8, MMIO }, { LOW_64K, E8, WO },
        { LOW_64K, EC, MMIO }, { LOW_64K, EC, WO },
    };
    static const uint64_t lows[] = { LOW_256K, LOW_64K };
    unsigned found = 0;
    for (unsigned l = 0; l < 2; l++)
        for (unsigned i = 0; i < NRANGES; i++)
            for (unsigned k = 0; k < 4; k++) {
                bool listed = false;
                for (unsigned x = 0; x < sizeof(inexact) / sizeof(inexact[0]); x++)
                    listed |= inexact[x].low == lows[l] && inexact[x].i == i &&
                              inexact[x].s == ALL_STATES[k];
                bool exact = pam_faithful_exact(&R[i], ALL_STATES[k], lows[l]);
                if (exact == listed)
                    fail_msg("%s state %d low %#llx: exact %d, listed inexact %d", table[i].name,
                             ALL_STATES[k], (unsigned long long)lows[l], exact, listed);
                found += !exact;
            }
    assert_int_equal(found, sizeof(inexact) / sizeof(inexact[0]));
}

/* ---- adjust through the slot discipline ---------------------------------------------- */

/* Every range and state from an empty slot, base 0 and 20: CREATE slot base + index with
 * the table's values (ROM always) then applied(), or nothing at all. */
static void test_adjust_creates_every_range(void **state)
{
    (void)state;
    static const uint32_t bases[] = { 0, 20 };
    for (unsigned b = 0; b < 2; b++)
        for (unsigned i = 0; i < NRANGES; i++)
            for (unsigned k = 0; k < 4; k++) {
                struct pam_get pg;
                fresh(&pg, bases[b], LOW_256K);
                const struct want_h *w = rule(i, ALL_STATES[k]);
                pam_get_adjust(&pg, &R[i], ALL_STATES[k]);
                assert_int_equal(pg.stats.write_only, ALL_STATES[k] == WO ? 1 : 0);
                if (!w->valid) {
                    assert_int_equal(fg.n, 0);
                    assert_int_equal(pg.stats.skipped, 1);
                    continue;
                }
                uint32_t slot = bases[b] + i;
                struct want_ev c = CREATE(slot, w->gpa, w->len, w->off);
                expect_get_calls_(&c, 1, table[i].name);
                const struct ev *a = last_applied(i);
                assert_non_null(a);
                assert_true(a->valid && a->slot == slot && a->rom && a->off == w->off);
                expect_slot(&pg, i, slot, w->gpa, w->len, w->off);
            }
}

/* The bridge's construction and every VTL0 reset adjust all 13 ranges to Mmio. */
static void test_construction_sequence(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0, LOW_256K);
    pam_get_adjust(&pg, &VGA_WINDOW, MMIO);
    for (unsigned i = 0; i < NRANGES; i++)
        pam_get_adjust(&pg, &R[i], MMIO);
    expect_get_calls("construction",
                     CREATE(0, 0xF0000, 0x10000, R_ + 0xF0000),
                     CREATE(1, 0xC0000, 0x4000, 0xC0000), CREATE(2, 0xC4000, 0x4000, 0xC4000),
                     CREATE(3, 0xC8000, 0x4000, 0xC8000), CREATE(4, 0xCC000, 0x4000, 0xCC000),
                     CREATE(5, 0xD0000, 0x4000, 0xD0000), CREATE(6, 0xD4000, 0x4000, 0xD4000),
                     CREATE(7, 0xD8000, 0x4000, 0xD8000), CREATE(8, 0xDC000, 0x4000, 0xDC000),
                     CREATE(9, 0xE0000, 0x4000, R_ + 0xE0000),
                     CREATE(10, 0xE4000, 0x4000, R_ + 0xE4000),
                     CREATE(11, 0xE8000, 0x4000, R_ + 0xE8000),
                     CREATE(12, 0xEC000, 0x4000, R_ + 0xEC000));
    /* SeaBIOS's unlock: everything Writable -> 13 RESETs, no CREATE */
    clear_log();
    for (unsigned i = 0; i < NRANGES; i++)
        pam_get_adjust(&pg, &R[i], WR);
    expect_get_calls("all writable", RESET(0), RESET(1), RESET(2), RESET(3), RESET(4), RESET(5),
                     RESET(6), RESET(7), RESET(8), RESET(9), RESET(10), RESET(11), RESET(12));
    for (unsigned i = 0; i < NRANGES; i++)
        expect_slot_empty(&pg, i);
    /* a VTL0 reset: all Mmio again, the construction's CREATEs */
    clear_log();
    for (unsigned i = 0; i < NRANGES; i++)
        pam_get_adjust(&pg, &R[i], MMIO);
    assert_int_equal(count_kind(EV_CREATE), 13);
    assert_int_equal(count_kind(EV_RESET), 0);
}

static void test_skip_if_unchanged(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0, LOW_256K);
    pam_get_adjust(&pg, &R[F0], WR);
    expect_no_get_calls("F0000 writable from empty");
    pam_get_adjust(&pg, &R[F0], MMIO);
    pam_get_adjust(&pg, &R[CC], MMIO);
    pam_get_adjust(&pg, &R[C0], MMIO);
    clear_log();
    uint64_t skipped = pg.stats.skipped;
    /* WriteOnly is Mmio; CC000 is the same read-only RAM in three states; C0000's
     * Mmio and WriteProtected give the same identity ROM; C8000 WP and WR are both RAM */
    pam_get_adjust(&pg, &R[F0], WO);
    pam_get_adjust(&pg, &R[F0], MMIO);
    pam_get_adjust(&pg, &R[CC], WP);
    pam_get_adjust(&pg, &R[CC], WO);
    pam_get_adjust(&pg, &R[C0], WP);
    pam_get_adjust(&pg, &R[C8], WP);
    pam_get_adjust(&pg, &R[C8], WR);
    expect_no_get_calls("unchanged slots");
    assert_int_equal(pg.stats.skipped, skipped + 7);
    assert_int_equal(pg.stats.write_only, 2);
    assert_int_equal(fg.warns, 0);     /* WriteOnly is no deviation here: locally the same */
}

static void test_reset_before_create(void **state)
{
    (void)state;
    static const uint32_t bases[] = { 0, 20 };
    for (unsigned b = 0; b < 2; b++) {
        uint32_t base = bases[b];
        struct pam_get pg;
        fresh(&pg, base, LOW_256K);
        pam_get_adjust(&pg, &R[F0], MMIO);
        clear_log();
        pam_get_adjust(&pg, &R[F0], WP);
        expect_get_calls("F0000 mmio -> write-protected",
                         RESET(base), CREATE(base, 0xF0000, 0x10000, 0xF0000));
        expect_slot(&pg, F0, base, 0xF0000, 0x10000, 0xF0000);
        clear_log();
        pam_get_adjust(&pg, &R[F0], WO);
        expect_get_calls("F0000 write-protected -> write-only",
                         RESET(base), CREATE(base, 0xF0000, 0x10000, R_ + 0xF0000));
        pam_get_adjust(&pg, &R[E4], WP);
        clear_log();
        pam_get_adjust(&pg, &R[E4], MMIO);
        expect_get_calls("E4000 write-protected -> mmio",
                         RESET(base + 10), CREATE(base + 10, 0xE4000, 0x4000, R_ + 0xE4000));
        assert_int_equal(pg.stats.resets, 3);
    }
}

/* A mapping no longer wanted: RESET only, applied() says it is gone. */
static void test_to_none_resets_only(void **state)
{
    (void)state;
    static const struct { unsigned r; enum gpa_state from, to; } c[] = {
        { F0, WP, WR }, { F0, MMIO, WR }, { C8, MMIO, WP }, { C8, WO, WR }, { CC, MMIO, WR },
        { DC, WP, WR }, { EC, WO, WR }, { C0, WP, WR },
    };
    for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        struct pam_get pg;
        fresh(&pg, 20, LOW_256K);
        pam_get_adjust(&pg, &R[c[k].r], c[k].from);
        assert_int_equal(count_kind(EV_CREATE), 1);
        clear_log();
        pam_get_adjust(&pg, &R[c[k].r], c[k].to);
        struct want_ev w = RESET(20 + c[k].r);
        expect_get_calls_(&w, 1, table[c[k].r].name);
        const struct ev *a = last_applied(c[k].r);
        assert_non_null(a);
        assert_false(a->valid);
        assert_int_equal(a->slot, 20 + c[k].r);
        expect_slot_empty(&pg, c[k].r);
    }
}

static void test_vga_window_no_call(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0, LOW_256K);
    pam_get_adjust(&pg, &VGA_WINDOW, MMIO);
    assert_int_equal(fg.n, 0);
    assert_int_equal(pg.stats.creates, 0);
    assert_int_equal(pg.stats.bad_ranges, 0);
}

/* Refused (each status) or unanswered CREATE after a RESET: the slot is empty, applied()
 * told, the failure counted; the same state again retries and recovers. */
static void test_failed_create(void **state)
{
    (void)state;
    static const struct { int err; uint32_t status; bool timeout; } c[] = {
        { 0, 1, false }, { 0, 2, false }, { 0, 3, false }, { 0, 4, false }, { 0, 5, false },
        { 0, 0x1234, false }, { -ETIMEDOUT, 0, true }, { -EIO, 0, false },
    };
    for (unsigned k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
        struct pam_get pg;
        fresh(&pg, 0, LOW_256K);
        pam_get_adjust(&pg, &R[E8], MMIO);
        clear_log();
        script_create(c[k].err, c[k].status);
        pam_get_adjust(&pg, &R[E8], WP);
        expect_get_calls("failing CREATE", RESET(11), CREATE(11, 0xE8000, 0x4000, 0xE8000));
        const struct ev *a = last_applied(E8);
        assert_non_null(a);
        assert_false(a->valid);
        expect_slot_empty(&pg, E8);
        assert_int_equal(pg.stats.create_failures, 1);
        assert_int_equal(pg.stats.create_timeouts, c[k].timeout ? 1 : 0);
        if (c[k].err == 0)
            assert_int_equal(pg.stats.last_status, c[k].status);
        assert_true(fg.warns >= 1);
        clear_log();
        pam_get_adjust(&pg, &R[E8], WP);
        expect_get_calls("retry", CREATE(11, 0xE8000, 0x4000, 0xE8000));
        expect_slot(&pg, E8, 11, 0xE8000, 0x4000, 0xE8000);
        assert_int_equal(pg.stats.create_failures, 1);
    }
}

/* A failing CREATE into an empty slot leaves it empty; applied() never sees the refused
 * mapping; a later state recovers. */
static void test_failed_create_empty_slot(void **state)
{
    (void)state;
    struct pam_get pg;
    fresh(&pg, 0, LOW_256K);
    script_create(0, 5);
    pam_get_adjust(&pg, &R[C4], WP);
    expect_get_calls("refused", CREATE(2, 0xC4000, 0x4000, 0xC4000));
    const struct ev *a = last_applied(C4);
    assert_true(a == NULL || !a->valid);
    expect_slot_empty(&pg, C4);
    clear_log();
    pam_get_adjust(&pg, &R[C4], WR);
    expect_no_get_calls("writable over an empty slot");
    pam_get_adjust(&pg, &R[C4], MMIO);
    expect_get_calls("recovered", CREATE(2, 0xC4000, 0x4000, 0xC4000));
    expect_slot(&pg, C4, 2, 0xC4000, 0x4000, 0xC4000);
}

/* ---- saved state --------------------------------------------------------------------- */

/* The saved message, decoded, changed by a test, and encoded again. */
static size_t reencode(const uint8_t *blob, size_t len, void (*change)(pam_get_msg *m), uint8_t *out,
                       size_t cap)
{
    pam_get_msg m;
    size_t n = 0;
    assert_int_equal(pb_codec_decode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m,
                                     blob, len), 0);
    change(&m);
    assert_int_equal(pb_codec_encode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m,
                                     out, cap, &n), 0);
    return n;
}

static void unknown_rules(pam_get_msg *m) { m->rules = PAM_RULES_COUNT; }
static void huge_rules(pam_get_msg *m) { m->rules = 0xFFFF; }
static void openhcl_rules(pam_get_msg *m)
{
    m->rules = PAM_RULES_OPENHCL;
    m->handles.element[F0].value.range.end = m->handles.element[F0].value.range.start + 0xE000;
}

static void test_save_carries_the_rules(void **state)
{
    (void)state;
    uint8_t blob[PAM_GET_STATE_MAX_LEN], other[PAM_GET_STATE_MAX_LEN];
    size_t len = 0;
    struct pam_get a;
    fresh(&a, 20, LOW_256K);
    pam_get_adjust(&a, &R[F0], WP);
    pam_get_adjust(&a, &R[E0], MMIO);
    assert_int_equal(pam_get_save_state(&a, blob, sizeof(blob), &len), 0);
    pam_get_msg m;
    assert_int_equal(pb_codec_decode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m,
                                     blob, len), 0);
    assert_int_equal(m.rules, PAM_RULES_FAITHFUL);
    assert_int_equal(m.base_slot, 20);
    assert_true(m.handles.element[F0].has_value);
    assert_int_equal(m.handles.element[F0].value.range.end - m.handles.element[F0].value.range.start,
                     0x10000);
    assert_int_equal(m.handles.element[E0].value.gpa_offset, R_ + 0xE0000);

    /* restored into an object made with OpenHCL's rules: the saved rules win, no GET
     * call, and the chipset's 13 adjusts after it are skipped */
    struct pam_get b;
    memset(&fg, 0, sizeof(fg));
    pam_get_init(&b, 0, ROM_BIOS_OFFSET, &fake_ops);
    b.firmware_low_start = LOW_256K;
    assert_int_equal(pam_get_restore_state(&b, blob, len), 0);
    expect_no_get_calls("restore");
    assert_int_equal(b.rules, PAM_RULES_FAITHFUL);
    clear_log();
    pam_get_adjust(&b, &R[F0], WP);
    pam_get_adjust(&b, &R[E0], MMIO);
    pam_get_adjust(&b, &R[C8], WP);
    expect_no_get_calls("adjusts after restore");
    /* OpenHCL's rules would have made F0000 write-protected 0xE000 long */
    clear_log();
    pam_get_adjust(&b, &R[F0], WO);
    expect_get_calls("F0000 after restore", RESET(20), CREATE(20, 0xF0000, 0x10000, R_ + 0xF0000));

    /* a rules value nobody knows is refused before anything changes */
    struct pam_get c;
    fresh(&c, 3, LOW_256K);
    size_t n = reencode(blob, len, unknown_rules, other, sizeof(other));
    assert_int_equal(pam_get_restore_state(&c, other, n), -EINVAL);
    assert_int_equal(c.rules, PAM_RULES_FAITHFUL);
    assert_int_equal(c.base_slot, 3);
    n = reencode(blob, len, huge_rules, other, sizeof(other));
    assert_int_equal(pam_get_restore_state(&c, other, n), -EINVAL);

    /* a blob saved by OpenHCL's rules turns a faithful object into an OpenHCL one */
    n = reencode(blob, len, openhcl_rules, other, sizeof(other));
    assert_int_equal(pam_get_restore_state(&c, other, n), 0);
    assert_int_equal(c.rules, PAM_RULES_OPENHCL);
    assert_string_equal(pam_get_rules_name(PAM_RULES_OPENHCL), "openhcl");
    assert_string_equal(pam_get_rules_name(PAM_RULES_FAITHFUL), "faithful");
}

/* OpenHCL's own blobs have no rules field (proto3 omits a zero): they read as OpenHCL's
 * rules, which is what made them. */
static void test_blob_without_rules_is_openhcl(void **state)
{
    (void)state;
    pam_get_msg m = underhill_emuplat_i440bx_host_pci_bridge_SavedState_init_zero;
    uint8_t blob[PAM_GET_STATE_MAX_LEN];
    size_t len = 0;
    m.has_handles = true;
    m.handles.element_count = PAM_RANGE_COUNT;
    assert_int_equal(pb_codec_encode(underhill_emuplat_i440bx_host_pci_bridge_SavedState_fields, &m,
                                     blob, sizeof(blob), &len), 0);
    struct pam_get pg;
    fresh(&pg, 9, LOW_256K);
    assert_int_equal(pam_get_restore_state(&pg, blob, len), 0);
    assert_int_equal(pg.rules, PAM_RULES_OPENHCL);
    assert_int_equal(pg.base_slot, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_table_256k),
        cmocka_unit_test(test_rule_table_64k),
        cmocka_unit_test(test_other_rom_offset),
        cmocka_unit_test(test_inexact_cases),
        cmocka_unit_test(test_adjust_creates_every_range),
        cmocka_unit_test(test_construction_sequence),
        cmocka_unit_test(test_skip_if_unchanged),
        cmocka_unit_test(test_reset_before_create),
        cmocka_unit_test(test_to_none_resets_only),
        cmocka_unit_test(test_vga_window_no_call),
        cmocka_unit_test(test_failed_create),
        cmocka_unit_test(test_failed_create_empty_slot),
        cmocka_unit_test(test_save_carries_the_rules),
        cmocka_unit_test(test_blob_without_rules_is_openhcl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
