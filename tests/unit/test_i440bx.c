/*
 * Unit tests for drivers/i440bx: the i440BX host bridge VTL0 sees at 00:00.0, modelled on
 * OpenVMM's chipset_legacy bridge (reference/openvmm-facts.md 2.1-2.3). Every expected
 * register value, adjust call and saved field is written out by hand from the reference,
 * never taken from the module's own tables or macros.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/i440bx.h"
#include "i440bx.pb.h"
#include "kernel/lib/pb_codec.h"

/* The saved state as its schema's message (chipset.i440bx.host_pci_bridge.SavedState):
 * tests read a save through it and build blobs with it. */
typedef chipset_i440bx_host_pci_bridge_SavedState i440bx_msg;
#define I440BX_MSG_FIELDS chipset_i440bx_host_pci_bridge_SavedState_fields

struct state_bytes {
    uint8_t b[I440BX_STATE_MAX_LEN];
    size_t len;
};

static struct state_bytes save_bytes(const struct i440bx *b)
{
    struct state_bytes out;
    assert_int_equal(i440bx_save_state(b, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static void save_msg(const struct i440bx *b, i440bx_msg *m)
{
    struct state_bytes s = save_bytes(b);
    assert_int_equal(pb_codec_decode(I440BX_MSG_FIELDS, m, s.b, s.len), 0);
}

static int restore_msg(struct i440bx *b, const i440bx_msg *m)
{
    uint8_t buf[I440BX_STATE_MAX_LEN];
    size_t len = 0;
    assert_int_equal(pb_codec_encode(I440BX_MSG_FIELDS, m, buf, sizeof(buf), &len), 0);
    return i440bx_restore_state(b, buf, len);
}

#define MMIO GPA_STATE_MMIO
#define WP   GPA_STATE_WRITE_PROTECTED
#define WO   GPA_STATE_WRITE_ONLY
#define WR   GPA_STATE_WRITABLE

/* The PAM ranges in OpenVMM's table order (reference 2.2), plus the VGA window. */
enum { F0, C0, C4, C8, CC, D0, D4, D8, DC, E0, E4, E8, EC, VGA, NRANGES };

static const struct {
    uint64_t start, end;
    unsigned cfg_byte;      /* config byte holding the range's nibble */
    unsigned shift;         /* 0: low nibble, 4: high nibble */
} R[NRANGES] = {
    [F0] = { 0xF0000, 0x100000, 0x59, 4 },
    [C0] = { 0xC0000, 0xC4000, 0x5A, 0 },
    [C4] = { 0xC4000, 0xC8000, 0x5A, 4 },
    [C8] = { 0xC8000, 0xCC000, 0x5B, 0 },
    [CC] = { 0xCC000, 0xD0000, 0x5B, 4 },
    [D0] = { 0xD0000, 0xD4000, 0x5C, 0 },
    [D4] = { 0xD4000, 0xD8000, 0x5C, 4 },
    [D8] = { 0xD8000, 0xDC000, 0x5D, 0 },
    [DC] = { 0xDC000, 0xE0000, 0x5D, 4 },
    [E0] = { 0xE0000, 0xE4000, 0x5E, 0 },
    [E4] = { 0xE4000, 0xE8000, 0x5E, 4 },
    [E8] = { 0xE8000, 0xEC000, 0x5F, 0 },
    [EC] = { 0xEC000, 0xF0000, 0x5F, 4 },
    [VGA] = { 0xA0000, 0xC0000, 0, 0 },
};

/* Nibble value -> state: bits 2-3 are ignored. */
static const enum gpa_state by_nibble[16] = {
    MMIO, WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP, WO, WR,
};

/* ---- fake ops: record every adjust call ---------------------------------------------- */

#define MAX_CALLS 64

struct call {
    uint64_t start, end;
    enum gpa_state state;
    uint32_t reg1_seen, reg2_seen;  /* the PAM registers as the bridge read them then */
};

struct fake {
    struct call calls[MAX_CALLS];
    unsigned n;
    struct i440bx *bridge;          /* read back during a call (NULL: do not) */
};

static struct fake fk;

static void fake_adjust(void *ctx, const struct pam_range *range, enum gpa_state state)
{
    struct fake *f = ctx;
    assert_ptr_equal(f, &fk);
    if (f->n >= MAX_CALLS)
        fail_msg("more than %u adjust calls", MAX_CALLS);
    struct call *c = &f->calls[f->n++];
    c->start = range->start;
    c->end = range->end;
    c->state = state;
    c->reg1_seen = f->bridge ? i440bx_config_read(f->bridge, 0x58, 4) : 0;
    c->reg2_seen = f->bridge ? i440bx_config_read(f->bridge, 0x5C, 4) : 0;
}

static const struct i440bx_ops fake_ops = { .adjust = fake_adjust, .ctx = &fk };

static void clear_log(void)
{
    fk.n = 0;
}

/* A bridge as VTL0 finds it after construction, log cleared. */
static void fresh(struct i440bx *b, uint16_t device_id)
{
    memset(&fk, 0, sizeof(fk));
    memset(b, 0xcd, sizeof(*b));
    i440bx_init(b, device_id, &fake_ops, false);
    clear_log();
}

struct want_call {
    int range;              /* index into R */
    enum gpa_state state;
};

static void expect_calls_(const struct want_call *want, unsigned n, const char *what)
{
    for (unsigned i = 0; i < n && i < fk.n; i++) {
        const struct call *c = &fk.calls[i];
        if (c->start != R[want[i].range].start || c->end != R[want[i].range].end ||
            c->state != want[i].state)
            fail_msg("%s: call %u is [%#llx, %#llx) state %d, want [%#llx, %#llx) state %d",
                     what, i, (unsigned long long)c->start, (unsigned long long)c->end, c->state,
                     (unsigned long long)R[want[i].range].start,
                     (unsigned long long)R[want[i].range].end, want[i].state);
    }
    if (fk.n != n)
        fail_msg("%s: %u adjust calls, want %u", what, fk.n, n);
}

#define expect_calls(what, ...) do { \
    static const struct want_call w_[] = { __VA_ARGS__ }; \
    expect_calls_(w_, sizeof(w_) / sizeof(w_[0]), what); \
} while (0)

static void expect_no_calls(const char *what)
{
    if (fk.n != 0)
        fail_msg("%s: %u adjust calls, want none (first: [%#llx, %#llx) state %d)", what, fk.n,
                 (unsigned long long)fk.calls[0].start, (unsigned long long)fk.calls[0].end,
                 fk.calls[0].state);
}

static uint32_t rd(struct i440bx *b, unsigned off, unsigned size)
{
    return i440bx_config_read(b, off, size);
}

static void wr(struct i440bx *b, unsigned off, unsigned size, uint32_t v)
{
    i440bx_config_write(b, off, size, v);
}

/* ---- identity and type 0 header ------------------------------------------------------ */

static void check_ids(uint16_t device_id, uint32_t want_dword0, uint8_t dev_lo, uint8_t dev_hi)
{
    struct i440bx b;
    fresh(&b, device_id);
    assert_int_equal(rd(&b, 0x00, 4), want_dword0);
    assert_int_equal(rd(&b, 0x00, 2), 0x8086);
    assert_int_equal(rd(&b, 0x02, 2), want_dword0 >> 16);
    assert_int_equal(rd(&b, 0x00, 1), 0x86);
    assert_int_equal(rd(&b, 0x01, 1), 0x80);
    assert_int_equal(rd(&b, 0x02, 1), dev_lo);
    assert_int_equal(rd(&b, 0x03, 1), dev_hi);
    /* revision 3, prog-if 0, subclass 00 (host), class 06 (bridge) */
    assert_int_equal(rd(&b, 0x08, 4), 0x06000003);
    assert_int_equal(rd(&b, 0x08, 1), 0x03);
    assert_int_equal(rd(&b, 0x09, 1), 0x00);
    assert_int_equal(rd(&b, 0x0A, 1), 0x00);
    assert_int_equal(rd(&b, 0x0B, 1), 0x06);
    assert_int_equal(rd(&b, 0x0A, 2), 0x0600);
    /* header type 0 */
    assert_int_equal(rd(&b, 0x0E, 1) & 0x7F, 0x00);
    /* no BARs, subsystem IDs 0, no capabilities, no interrupt pin */
    for (unsigned off = 0x10; off <= 0x24; off += 4)
        assert_int_equal(rd(&b, off, 4), 0);
    assert_int_equal(rd(&b, 0x2C, 4), 0);
    assert_int_equal(rd(&b, 0x34, 1), 0);
    assert_int_equal(rd(&b, 0x3D, 1), 0);

    /* Writes cannot change any of it. */
    for (unsigned off = 0x00; off < 0x0C; off += 4)
        wr(&b, off, 4, 0xFFFFFFFF);
    for (unsigned off = 0x10; off <= 0x2C; off += 4)
        wr(&b, off, 4, 0xFFFFFFFF);
    wr(&b, 0x00, 1, 0x11);
    wr(&b, 0x02, 2, 0x2222);
    wr(&b, 0x08, 1, 0x44);
    assert_int_equal(rd(&b, 0x00, 4), want_dword0);
    assert_int_equal(rd(&b, 0x08, 4), 0x06000003);
    for (unsigned off = 0x10; off <= 0x24; off += 4)
        assert_int_equal(rd(&b, off, 4), 0);
    assert_int_equal(rd(&b, 0x2C, 4), 0);
    assert_int_equal(b.stats.invalid_reads, 0);
    assert_int_equal(b.stats.invalid_writes, 0);
    expect_no_calls("ID writes");
}

static void test_ids_7192(void **state)
{
    (void)state;
    check_ids(0x7192, 0x71928086, 0x92, 0x71);
}

static void test_ids_1237(void **state)
{
    (void)state;
    check_ids(0x1237, 0x12378086, 0x37, 0x12);
}

/* "A read of offset 0x04 (status/command) is hard-wired to 0x02000006", whatever is written. */
static void test_status_command_hardwired(void **state)
{
    (void)state;
    static const struct { unsigned off, size; uint32_t v; } writes[] = {
        { 0x04, 4, 0x00000000 }, { 0x04, 4, 0xFFFFFFFF }, { 0x04, 4, 0x00000007 },
        { 0x04, 2, 0x0000 },     { 0x04, 2, 0x0547 },     { 0x06, 2, 0xFFFF },
        { 0x04, 1, 0x00 },       { 0x05, 1, 0xFF },       { 0x06, 1, 0x00 },
        { 0x07, 1, 0xF9 },       { 0x04, 4, 0xF9000000 },
    };
    struct i440bx b;
    fresh(&b, 0x7192);
    assert_int_equal(rd(&b, 0x04, 4), 0x02000006);
    for (unsigned i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        wr(&b, writes[i].off, writes[i].size, writes[i].v);
        if (rd(&b, 0x04, 4) != 0x02000006)
            fail_msg("after write %u: status/command %#x", i, rd(&b, 0x04, 4));
        assert_int_equal(rd(&b, 0x04, 2), 0x0006);
        assert_int_equal(rd(&b, 0x06, 2), 0x0200);
        assert_int_equal(rd(&b, 0x04, 1), 0x06);
        assert_int_equal(rd(&b, 0x05, 1), 0x00);
        assert_int_equal(rd(&b, 0x06, 1), 0x00);
        assert_int_equal(rd(&b, 0x07, 1), 0x02);
    }
    i440bx_reset(&b);
    assert_int_equal(rd(&b, 0x04, 4), 0x02000006);
    assert_int_equal(b.stats.invalid_writes, 0);
    assert_int_equal(b.stats.invalid_reads, 0);
}

/* Latency timer (0x0D) and interrupt line (0x3C) are stored by the type 0 emulator. */
static void test_type0_header_storage(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    assert_int_equal(rd(&b, 0x0D, 1), 0);
    assert_int_equal(rd(&b, 0x3C, 1), 0);
    wr(&b, 0x0D, 1, 0x40);
    wr(&b, 0x3C, 1, 0x0B);
    assert_int_equal(rd(&b, 0x0D, 1), 0x40);
    assert_int_equal(rd(&b, 0x3C, 1), 0x0B);
    /* a dword write to 0x0C sets the latency timer from byte 1 */
    wr(&b, 0x0C, 4, 0x00002000);
    assert_int_equal(rd(&b, 0x0D, 1), 0x20);
    i440bx_reset(&b);
    assert_int_equal(rd(&b, 0x0D, 1), 0);
    assert_int_equal(rd(&b, 0x3C, 1), 0);
}

/* ---- the register table (0x40-0xFF) -------------------------------------------------- */

enum reg_kind { K_INVALID = 0, K_IGNORED, K_STATE, K_SMRAM, K_MANUFACTURER };

static const struct {
    unsigned off;
    enum reg_kind kind;
    uint32_t reset;         /* read value after construction */
} table[] = {
    { 0x50, K_IGNORED, 0 },           /* NBXCFG */
    { 0x54, K_IGNORED, 0 },           /* DRAMC */
    { 0x58, K_STATE, 0x00000003 },    /* DRAMT + PAM0-2 */
    { 0x5C, K_STATE, 0x00000000 },    /* PAM3-6 */
    { 0x60, K_STATE, 0x02020202 },    /* DRB_1 */
    { 0x64, K_STATE, 0x00000002 },    /* DRB_2 */
    { 0x68, K_IGNORED, 0 },           /* FDHC/MBSC_1 */
    { 0x70, K_SMRAM, 0x38020000 },
    { 0x74, K_IGNORED, 0 },           /* SDRAMC */
    { 0x78, K_IGNORED, 0x380A0000 },  /* PGPOL / SCRR_1 */
    { 0x7C, K_IGNORED, 0 },           /* SCRR_2 */
    { 0x90, K_IGNORED, 0 }, { 0xA0, K_IGNORED, 0 }, { 0xA4, K_IGNORED, 0 },
    { 0xA8, K_IGNORED, 0 }, { 0xB0, K_IGNORED, 0 }, { 0xB4, K_IGNORED, 0 },
    { 0xB8, K_IGNORED, 0 }, { 0xBC, K_IGNORED, 0 }, { 0xF0, K_IGNORED, 0 },
    { 0xF4, K_IGNORED, 0 },
    { 0xD0, K_STATE, 0 },             /* BSPAD_1 */
    { 0xD4, K_STATE, 0 },             /* BSPAD_2 */
    { 0xF8, K_MANUFACTURER, 0x00000F20 },
};

static unsigned table_index(unsigned off)
{
    for (unsigned i = 0; i < sizeof(table) / sizeof(table[0]); i++)
        if (table[i].off == off)
            return i;
    return ~0u;
}

/* Every dword from 0x40 to 0xFC: its read value, and what a write does. */
static void test_register_table(void **state)
{
    (void)state;
    static const uint32_t patterns[] = { 0xFFFFFFFF, 0x5A5A5A5A, 0x00000000 };
    unsigned invalid_seen = 0;
    for (unsigned off = 0x40; off <= 0xFC; off += 4) {
        unsigned t = table_index(off);
        enum reg_kind kind = t == ~0u ? K_INVALID : table[t].kind;
        uint32_t reset = t == ~0u ? 0xFFFFFFFF : table[t].reset;
        if (kind == K_SMRAM)
            continue;   /* its own tests below */
        invalid_seen += kind == K_INVALID;
        for (unsigned p = 0; p < sizeof(patterns) / sizeof(patterns[0]); p++) {
            struct i440bx b;
            fresh(&b, 0x7192);
            uint32_t got = rd(&b, off, 4);
            if (got != reset)
                fail_msg("%#x reads %#x after construction, want %#x", off, got, reset);
            assert_int_equal(b.stats.invalid_reads, kind == K_INVALID ? 1 : 0);
            /* sub-dword reads of an invalid register are all-ones too */
            if (kind == K_INVALID) {
                assert_int_equal(rd(&b, off + 1, 1), 0xFF);
                assert_int_equal(rd(&b, off + 2, 2), 0xFFFF);
                assert_int_equal(b.stats.invalid_reads, 3);
            }

            uint64_t inv_w = b.stats.invalid_writes, ign_w = b.stats.ignored_writes;
            wr(&b, off, 4, patterns[p]);
            uint32_t after = rd(&b, off, 4);
            switch (kind) {
            case K_STATE:
                if (after != patterns[p])
                    fail_msg("%#x: wrote %#x, reads %#x", off, patterns[p], after);
                assert_int_equal(b.stats.invalid_writes, inv_w);
                break;
            case K_IGNORED:
                if (after != reset)
                    fail_msg("%#x: ignored write of %#x, reads %#x", off, patterns[p], after);
                assert_int_equal(b.stats.invalid_writes, inv_w);
                assert_int_equal(b.stats.ignored_writes, ign_w + 1);
                break;
            case K_MANUFACTURER:
            case K_INVALID:
                if (after != reset)
                    fail_msg("%#x: invalid write of %#x, reads %#x", off, patterns[p], after);
                assert_int_equal(b.stats.invalid_writes, inv_w + 1);
                break;
            case K_SMRAM:
                break;
            }
            if (off != 0x58 && off != 0x5C)
                expect_no_calls("a write outside the PAM registers");
        }
    }
    /* 48 dwords, 24 in the table: 24 InvalidRegister dwords (e.g. 0x6C, 0xCC). */
    assert_int_equal(invalid_seen, 24);
    struct i440bx b;
    fresh(&b, 0x7192);
    assert_int_equal(rd(&b, 0x6C, 4), 0xFFFFFFFF);
    assert_int_equal(rd(&b, 0xCC, 4), 0xFFFFFFFF);
    assert_int_equal(rd(&b, 0xFC, 4), 0xFFFFFFFF);
    assert_int_equal(rd(&b, 0x40, 4), 0xFFFFFFFF);
    assert_int_equal(b.stats.invalid_reads, 4);
    /* invalid reads and writes never touch another register */
    wr(&b, 0x6C, 4, 0x12345678);
    wr(&b, 0xCC, 1, 0x12);
    assert_int_equal(b.stats.invalid_writes, 2);
    assert_int_equal(rd(&b, 0x60, 4), 0x02020202);
    assert_int_equal(rd(&b, 0x58, 4), 0x00000003);
    assert_int_equal(rd(&b, 0xD0, 4), 0);
}

/* ---- byte enables -------------------------------------------------------------------- */

struct be_case {
    unsigned off, size;
    uint32_t value;
    uint32_t want;          /* the whole dword afterwards */
};

static void run_byte_enables(unsigned reg, uint32_t preset, const struct be_case *c, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct i440bx b;
        fresh(&b, 0x7192);
        wr(&b, reg, 4, preset);
        assert_int_equal(rd(&b, reg, 4), preset);
        wr(&b, c[i].off, c[i].size, c[i].value);
        uint32_t got = rd(&b, reg, 4);
        if (got != c[i].want)
            fail_msg("%#x preset %#x, write %u bytes %#x at %#x: reads %#x, want %#x", reg,
                     preset, c[i].size, c[i].value, c[i].off, got, c[i].want);
        /* and reads of each size at each offset see the same bytes */
        for (unsigned o = 0; o < 4; o++)
            assert_int_equal(rd(&b, reg + o, 1), (c[i].want >> (8 * o)) & 0xFF);
        for (unsigned o = 0; o < 3; o++)
            assert_int_equal(rd(&b, reg + o, 2), (c[i].want >> (8 * o)) & 0xFFFF);
    }
}

/* Value bits beyond the access size (0xEE...) are junk the bridge must not take. */
static void test_byte_enables_pam_reg1(void **state)
{
    (void)state;
    static const struct be_case c[] = {
        { 0x58, 1, 0xEEEEEEA5, 0x444444A5 },
        { 0x59, 1, 0xEEEEEE5A, 0x44445A07 },
        { 0x5A, 1, 0xEEEEEE21, 0x44214407 },
        { 0x5B, 1, 0xEEEEEE9C, 0x9C444407 },
        { 0x58, 2, 0xEEEE1234, 0x44441234 },
        { 0x59, 2, 0xEEEE1234, 0x44123407 },
        { 0x5A, 2, 0xEEEE1234, 0x12344407 },
        { 0x58, 4, 0x12345678, 0x12345678 },
    };
    run_byte_enables(0x58, 0x44444407, c, sizeof(c) / sizeof(c[0]));
}

static void test_byte_enables_pam_reg2(void **state)
{
    (void)state;
    static const struct be_case c[] = {
        { 0x5C, 1, 0xEEEEEEA5, 0x888888A5 },
        { 0x5D, 1, 0xEEEEEE5A, 0x88885A88 },
        { 0x5E, 1, 0xEEEEEE21, 0x88218888 },
        { 0x5F, 1, 0xEEEEEE9C, 0x9C888888 },
        { 0x5C, 2, 0xEEEE1234, 0x88881234 },
        { 0x5D, 2, 0xEEEE1234, 0x88123488 },
        { 0x5E, 2, 0xEEEE1234, 0x12348888 },
        { 0x5C, 4, 0x12345678, 0x12345678 },
    };
    run_byte_enables(0x5C, 0x88888888, c, sizeof(c) / sizeof(c[0]));
}

static void test_byte_enables_drb_and_scratch(void **state)
{
    (void)state;
    static const struct be_case drb1[] = {
        { 0x60, 1, 0xEEEEEE10, 0x02020210 },
        { 0x61, 1, 0xEEEEEE10, 0x02021002 },
        { 0x62, 1, 0xEEEEEE10, 0x02100202 },
        { 0x63, 1, 0xEEEEEE10, 0x10020202 },
        { 0x61, 2, 0xEEEE8004, 0x02800402 },
        { 0x62, 2, 0xEEEE8004, 0x80040202 },
    };
    run_byte_enables(0x60, 0x02020202, drb1, sizeof(drb1) / sizeof(drb1[0]));
    static const struct be_case drb2[] = {
        { 0x64, 1, 0x000000FF, 0x000000FF },
        { 0x67, 1, 0x000000FF, 0xFF000002 },
        { 0x64, 2, 0x00000304, 0x00000304 },
    };
    run_byte_enables(0x64, 0x00000002, drb2, sizeof(drb2) / sizeof(drb2[0]));
    static const struct be_case s1[] = {
        { 0xD0, 1, 0x000000EF, 0x000000EF },
        { 0xD1, 1, 0x000000BE, 0x0000BE00 },
        { 0xD2, 2, 0x0000DEAD, 0xDEAD0000 },
        { 0xD0, 4, 0xDEADBEEF, 0xDEADBEEF },
    };
    run_byte_enables(0xD0, 0, s1, sizeof(s1) / sizeof(s1[0]));
    static const struct be_case s2[] = {
        { 0xD7, 1, 0x000000AB, 0xAB345678 },
        { 0xD4, 1, 0x00000000, 0x12345600 },
        { 0xD5, 2, 0x0000AAAA, 0x12AAAA78 },
    };
    run_byte_enables(0xD4, 0x12345678, s2, sizeof(s2) / sizeof(s2[0]));
}

/* DRB and BIOS scratch are four independent stores. */
static void test_drb_and_scratch_storage(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    assert_int_equal(rd(&b, 0x60, 4), 0x02020202);
    assert_int_equal(rd(&b, 0x64, 4), 0x00000002);
    assert_int_equal(rd(&b, 0xD0, 4), 0);
    assert_int_equal(rd(&b, 0xD4, 4), 0);
    wr(&b, 0x60, 4, 0x11111111);
    wr(&b, 0x64, 4, 0x22222222);
    wr(&b, 0xD0, 4, 0x33333333);
    wr(&b, 0xD4, 4, 0x44444444);
    assert_int_equal(rd(&b, 0x60, 4), 0x11111111);
    assert_int_equal(rd(&b, 0x64, 4), 0x22222222);
    assert_int_equal(rd(&b, 0xD0, 4), 0x33333333);
    assert_int_equal(rd(&b, 0xD4, 4), 0x44444444);
    /* neighbouring PAM registers untouched, no adjust */
    assert_int_equal(rd(&b, 0x58, 4), 0x00000003);
    assert_int_equal(rd(&b, 0x5C, 4), 0);
    expect_no_calls("DRB/scratch writes");
    assert_int_equal(b.stats.invalid_writes, 0);
}

/* ---- SMRAM --------------------------------------------------------------------------- */

/* Each row: a fresh bridge, these writes in order, then the 0x70 dword. */
struct smram_case {
    const char *what;
    struct { unsigned off, size; uint32_t v; } w[3];
    unsigned nw;
    uint32_t want;
};

static void test_smram_rules(void **state)
{
    (void)state;
    static const struct smram_case c[] = {
        { "nothing written", { { 0 } }, 0, 0x38020000 },
        { "zero: the forced bits stay", { { 0x70, 4, 0x00000000 } }, 1, 0x38020000 },
        { "bit 3 kept", { { 0x70, 4, 0x00080000 } }, 1, 0x380A0000 },
        { "bit 5 kept", { { 0x70, 4, 0x00200000 } }, 1, 0x38220000 },
        { "bit 1 kept (forced anyway)", { { 0x70, 4, 0x00020000 } }, 1, 0x38020000 },
        { "bit 6 cleared (no SMM RAM)", { { 0x70, 4, 0x00400000 } }, 1, 0x38020000 },
        { "bits 0, 2, 7 not kept", { { 0x70, 4, 0x00850000 } }, 1, 0x38020000 },
        { "bit 14 cleared", { { 0x70, 4, 0x40000000 } }, 1, 0x38020000 },
        { "unsupported bits 8-10, 15 cleared", { { 0x70, 4, 0x87000000 } }, 1, 0x38020000 },
        { "bits 11-13 forced", { { 0x70, 4, 0x00000000 } }, 1, 0x38020000 },
        { "all ones", { { 0x70, 4, 0xFFFF0000 } }, 1, 0x383A0000 },
        { "low word is not used", { { 0x70, 4, 0x0000FFFF } }, 1, 0x38020000 },
        { "byte 0x70 not used", { { 0x70, 1, 0xFF } }, 1, 0x38020000 },
        { "word 0x70 not used", { { 0x70, 2, 0xFFFF } }, 1, 0x38020000 },
        { "byte 0x72 (bit 1 forced)", { { 0x72, 1, 0x28 } }, 1, 0x382A0000 },
        { "byte 0x73 cannot clear forced bits", { { 0x72, 1, 0x28 }, { 0x73, 1, 0x00 } }, 2,
          0x382A0000 },
        { "byte 0x73 all ones", { { 0x72, 1, 0x08 }, { 0x73, 1, 0xFF } }, 2, 0x380A0000 },
        { "word 0x72", { { 0x72, 2, 0x002A } }, 1, 0x382A0000 },
        { "later write replaces", { { 0x72, 1, 0x28 }, { 0x72, 1, 0x08 } }, 2, 0x380A0000 },
        /* lock bit 4: no more writes */
        { "lock", { { 0x72, 1, 0x10 } }, 1, 0x38120000 },
        { "locked: zero ignored", { { 0x72, 1, 0x18 }, { 0x70, 4, 0x00000000 } }, 2, 0x381A0000 },
        { "locked: byte ignored", { { 0x72, 1, 0x10 }, { 0x72, 1, 0x28 } }, 2, 0x38120000 },
        { "locked in the same write as others", { { 0x70, 4, 0x003A0000 }, { 0x72, 2, 0 } }, 2,
          0x383A0000 },
        { "all ones locks", { { 0x70, 4, 0xFFFF0000 }, { 0x70, 4, 0x00080000 } }, 2, 0x383A0000 },
        { "unlocked: writes keep applying", { { 0x72, 1, 0x28 }, { 0x72, 1, 0x0A },
          { 0x72, 1, 0x20 } }, 3, 0x38220000 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct i440bx b;
        fresh(&b, 0x7192);
        for (unsigned j = 0; j < c[i].nw; j++)
            wr(&b, c[i].w[j].off, c[i].w[j].size, c[i].w[j].v);
        uint32_t got = rd(&b, 0x70, 4);
        if (got != c[i].want)
            fail_msg("%s: 0x70 reads %#x, want %#x", c[i].what, got, c[i].want);
        assert_int_equal(rd(&b, 0x70, 2), 0);
        assert_int_equal(rd(&b, 0x72, 2), c[i].want >> 16);
        assert_int_equal(rd(&b, 0x72, 1), (c[i].want >> 16) & 0xFF);
        assert_int_equal(rd(&b, 0x73, 1), c[i].want >> 24);
        /* the stored (saved) word: after the rules, it always equals what reads show */
        i440bx_msg sv;
        save_msg(&b, &sv);
        if (sv.smm_config_word != c[i].want >> 16)
            fail_msg("%s: stored SMRAM word %#x, want %#x", c[i].what, sv.smm_config_word,
                     c[i].want >> 16);
        assert_int_equal(b.stats.invalid_writes, 0);
        assert_int_equal(b.stats.invalid_reads, 0);
        expect_no_calls(c[i].what);
    }
}

/* Reset clears the lock. */
static void test_smram_reset_unlocks(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    wr(&b, 0x72, 1, 0x38);
    assert_int_equal(rd(&b, 0x70, 4), 0x383A0000);
    wr(&b, 0x72, 1, 0x00);
    assert_int_equal(rd(&b, 0x70, 4), 0x383A0000);
    i440bx_reset(&b);
    assert_int_equal(rd(&b, 0x70, 4), 0x38020000);
    wr(&b, 0x72, 1, 0x08);
    assert_int_equal(rd(&b, 0x70, 4), 0x380A0000);
}

static i440bx_msg saved_with(uint32_t reg1, uint32_t reg2, uint16_t smm)
{
    return (i440bx_msg){
        .host_pci_dram1 = 0x02020202, .host_pci_dram2 = 0x00000002,
        .pam_reg1 = reg1, .pam_reg2 = reg2, .smm_config_word = smm,
    };
}

/* The read formula ((word & 0x7A) | 0x3802) << 16, on words only restore can set. */
static void test_smram_read_formula(void **state)
{
    (void)state;
    static const struct { uint16_t word; uint32_t want; bool locked; } c[] = {
        { 0x0000, 0x38020000, false },
        { 0xFFFF, 0x387A0000, true },
        { 0x4040, 0x38420000, false },
        { 0x0085, 0x38020000, false },
        { 0x3802, 0x38020000, false },
        { 0x0010, 0x38120000, true },
        { 0xC7FF, 0x387A0000, true },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct i440bx b;
        fresh(&b, 0x7192);
        i440bx_msg s = saved_with(3, 0, c[i].word);
        assert_int_equal(restore_msg(&b, &s), 0);
        uint32_t got = rd(&b, 0x70, 4);
        if (got != c[i].want)
            fail_msg("word %#x reads %#x, want %#x", c[i].word, got, c[i].want);
        /* the lock bit is that of the stored word */
        wr(&b, 0x70, 4, 0x00280000);
        assert_int_equal(rd(&b, 0x70, 4), c[i].locked ? c[i].want : 0x382A0000);
    }
}

/* ---- reset values -------------------------------------------------------------------- */

static void expect_reset_values(struct i440bx *b)
{
    assert_int_equal(rd(b, 0x58, 4), 0x00000003);
    assert_int_equal(rd(b, 0x5C, 4), 0x00000000);
    assert_int_equal(rd(b, 0x60, 4), 0x02020202);
    assert_int_equal(rd(b, 0x64, 4), 0x00000002);
    assert_int_equal(rd(b, 0xD0, 4), 0);
    assert_int_equal(rd(b, 0xD4, 4), 0);
    assert_int_equal(rd(b, 0x70, 4), 0x38020000);
    i440bx_msg s;
    save_msg(b, &s);
    assert_int_equal(s.host_pci_dram1, 0x02020202);
    assert_int_equal(s.host_pci_dram2, 0x00000002);
    assert_int_equal(s.pam_reg1, 0x00000003);
    assert_int_equal(s.pam_reg2, 0);
    assert_int_equal(s.bios_scratch1, 0);
    assert_int_equal(s.bios_scratch2, 0);
    assert_int_equal(s.smm_config_word, 0x3802);
}

static void test_reset_values(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    expect_reset_values(&b);
    wr(&b, 0x58, 4, 0x33333307);
    wr(&b, 0x5C, 4, 0x11111111);
    wr(&b, 0x60, 4, 0x10101010);
    wr(&b, 0x64, 4, 0x20202020);
    wr(&b, 0xD0, 4, 0xDEADBEEF);
    wr(&b, 0xD4, 4, 0xCAFEF00D);
    wr(&b, 0x72, 1, 0x38);      /* locks */
    i440bx_reset(&b);
    expect_reset_values(&b);
    /* a bridge constructed for restore holds the reset values too */
    memset(&b, 0xcd, sizeof(b));
    clear_log();
    i440bx_init(&b, 0x7192, &fake_ops, true);
    expect_reset_values(&b);
}

/* ---- adjust call order --------------------------------------------------------------- */

static void test_construction_order(void **state)
{
    (void)state;
    struct i440bx b;
    memset(&fk, 0, sizeof(fk));
    i440bx_init(&b, 0x7192, &fake_ops, false);
    expect_calls("construction",
                 { VGA, MMIO }, { F0, MMIO }, { C0, MMIO }, { C4, MMIO }, { C8, MMIO },
                 { CC, MMIO }, { D0, MMIO }, { D4, MMIO }, { D8, MMIO }, { DC, MMIO },
                 { E0, MMIO }, { E4, MMIO }, { E8, MMIO }, { EC, MMIO });
}

static void test_construction_restoring(void **state)
{
    (void)state;
    struct i440bx b;
    memset(&fk, 0, sizeof(fk));
    i440bx_init(&b, 0x7192, &fake_ops, true);
    expect_no_calls("construction while restoring");
}

static void test_reset_order(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    /* from the reset state: all 13 again (force), no VGA */
    i440bx_reset(&b);
    expect_calls("reset from reset state",
                 { F0, MMIO }, { C0, MMIO }, { C4, MMIO }, { C8, MMIO }, { CC, MMIO },
                 { D0, MMIO }, { D4, MMIO }, { D8, MMIO }, { DC, MMIO }, { E0, MMIO },
                 { E4, MMIO }, { E8, MMIO }, { EC, MMIO });
    /* from a shadowed BIOS */
    wr(&b, 0x58, 4, 0x33333303);
    wr(&b, 0x5C, 4, 0x11111111);
    clear_log();
    i440bx_reset(&b);
    expect_calls("reset after shadowing",
                 { F0, MMIO }, { C0, MMIO }, { C4, MMIO }, { C8, MMIO }, { CC, MMIO },
                 { D0, MMIO }, { D4, MMIO }, { D8, MMIO }, { DC, MMIO }, { E0, MMIO },
                 { E4, MMIO }, { E8, MMIO }, { EC, MMIO });
    assert_int_equal(rd(&b, 0x58, 4), 0x00000003);
    assert_int_equal(rd(&b, 0x5C, 4), 0);
}

struct write_case {
    const char *what;
    uint32_t reg1, reg2;            /* preset by dword writes before the log is cleared */
    unsigned off, size;
    uint32_t value;
    struct want_call want[13];
    unsigned nwant;
    uint32_t reg1_after, reg2_after;
};

static void test_pam_write_order(void **state)
{
    (void)state;
    static const struct write_case c[] = {
        { "byte 0x59 high: F0000", 0x3, 0, 0x59, 1, 0x30,
          { { F0, WR } }, 1, 0x00003003, 0 },
        { "byte 0x59 low nibble belongs to no range", 0x3, 0, 0x59, 1, 0x0F,
          { { 0 } }, 0, 0x00000F03, 0 },
        { "byte 0x58 (DRAMT)", 0x3, 0, 0x58, 1, 0xFF,
          { { 0 } }, 0, 0x000000FF, 0 },
        { "byte 0x5A: C0000 then C4000", 0x3, 0, 0x5A, 1, 0x31,
          { { C0, WP }, { C4, WR } }, 2, 0x00310003, 0 },
        { "byte 0x5B high only", 0x3, 0, 0x5B, 1, 0x20,
          { { CC, WO } }, 1, 0x20000003, 0 },
        { "byte 0x5C", 0x3, 0, 0x5C, 1, 0x12,
          { { D0, WO }, { D4, WP } }, 2, 0x3, 0x00000012 },
        { "byte 0x5D from writable", 0x3, 0x33333333, 0x5D, 1, 0x21,
          { { D8, WP }, { DC, WO } }, 2, 0x3, 0x33332133 },
        { "byte 0x5F", 0x3, 0, 0x5F, 1, 0x33,
          { { E8, WR }, { EC, WR } }, 2, 0x3, 0x33000000 },
        { "byte 0x5A, one nibble changed", 0x33333003, 0, 0x5A, 1, 0x13,
          { { C4, WP } }, 1, 0x33133003, 0 },
        { "word 0x5A", 0x3, 0, 0x5A, 2, 0x1111,
          { { C0, WP }, { C4, WP }, { C8, WP }, { CC, WP } }, 4, 0x11110003, 0 },
        { "word 0x59", 0x3, 0, 0x59, 2, 0x3330,
          { { F0, WR }, { C0, WR }, { C4, WR } }, 3, 0x00333003, 0 },
        { "word 0x58", 0x3, 0, 0x58, 2, 0x1003,
          { { F0, WP } }, 1, 0x00001003, 0 },
        { "word 0x5E", 0x3, 0, 0x5E, 2, 0x0302,
          { { E0, WO }, { E8, WR } }, 2, 0x3, 0x03020000 },
        { "word 0x5D", 0x3, 0x11111111, 0x5D, 2, 0x3001,
          { { DC, MMIO }, { E0, MMIO }, { E4, WR } }, 3, 0x3, 0x11300111 },
        { "dword 0x58", 0x3, 0, 0x58, 4, 0x33333003,
          { { F0, WR }, { C0, WR }, { C4, WR }, { C8, WR }, { CC, WR } }, 5, 0x33333003, 0 },
        { "dword 0x5C", 0x3, 0, 0x5C, 4, 0x10321032,
          { { D0, WO }, { D4, WR }, { DC, WP }, { E0, WO }, { E4, WR }, { EC, WP } }, 6,
          0x3, 0x10321032 },
        { "dword 0x5C back to MMIO", 0x3, 0x11111111, 0x5C, 4, 0x00000000,
          { { D0, MMIO }, { D4, MMIO }, { D8, MMIO }, { DC, MMIO }, { E0, MMIO },
            { E4, MMIO }, { E8, MMIO }, { EC, MMIO } }, 8, 0x3, 0 },
        { "dword 0x58 unchanged", 0x33333003, 0, 0x58, 4, 0x33333003,
          { { 0 } }, 0, 0x33333003, 0 },
        { "dword 0x58 only bits 2-3 change", 0x33333003, 0, 0x58, 4, 0x77777FFF,
          { { 0 } }, 0, 0x77777FFF, 0 },
        { "dword 0x5C only bits 2-3 change", 0x3, 0x12301230, 0x5C, 4, 0x9EBC9EBC,
          { { 0 } }, 0, 0x3, 0x9EBC9EBC },
        { "dword 0x58 reverses", 0x12301003, 0, 0x58, 4, 0x21032003,
          { { F0, WO }, { C0, WR }, { C4, MMIO }, { C8, WP }, { CC, WO } }, 5,
          0x21032003, 0 },
    };
    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        struct i440bx b;
        fresh(&b, 0x7192);
        wr(&b, 0x58, 4, c[i].reg1);
        wr(&b, 0x5C, 4, c[i].reg2);
        clear_log();
        wr(&b, c[i].off, c[i].size, c[i].value);
        expect_calls_(c[i].want, c[i].nwant, c[i].what);
        assert_int_equal(rd(&b, 0x58, 4), c[i].reg1_after);
        assert_int_equal(rd(&b, 0x5C, 4), c[i].reg2_after);
    }
}

/* "compare old and new parsed states; call ... then store the new registers" */
static void test_registers_stored_after_adjust(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    fk.bridge = &b;
    wr(&b, 0x59, 1, 0x30);
    assert_int_equal(fk.n, 1);
    assert_int_equal(fk.calls[0].reg1_seen, 0x00000003);
    assert_int_equal(rd(&b, 0x58, 4), 0x00003003);
    clear_log();
    wr(&b, 0x5C, 4, 0x00000011);
    assert_int_equal(fk.n, 2);
    assert_int_equal(fk.calls[1].reg2_seen, 0);
    assert_int_equal(rd(&b, 0x5C, 4), 0x00000011);
    fk.bridge = NULL;
}

/* Successive writes compare against what the previous write stored. */
static void test_pam_write_sequence(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    /* SeaBIOS-like: make F0000 writable, copy, write-protect it */
    wr(&b, 0x59, 1, 0x30);
    expect_calls("unlock", { F0, WR });
    clear_log();
    wr(&b, 0x59, 1, 0x30);
    expect_no_calls("same value again");
    wr(&b, 0x59, 1, 0x10);
    expect_calls("lock", { F0, WP });
    clear_log();
    wr(&b, 0x59, 1, 0x1F);
    expect_no_calls("only the reserved nibble");
    wr(&b, 0x59, 1, 0x5F);
    expect_no_calls("only bit 2 of the nibble");
    wr(&b, 0x58, 4, 0x00000000);
    expect_calls("dword back to zero", { F0, MMIO });
}

static void test_restore_order(void **state)
{
    (void)state;
    struct i440bx b;
    fresh(&b, 0x7192);
    /* reg1 nibbles 3-7: 2 3 0 1 2; reg2 nibbles 0-7: C D E F 0 1 2 3 */
    i440bx_msg s = saved_with(0x21032000, 0x3210FEDC, 0x3802);
    assert_int_equal(restore_msg(&b, &s), 0);
    expect_calls("restore",
                 { F0, WO }, { C0, WR }, { C4, MMIO }, { C8, WP }, { CC, WO },
                 { D0, MMIO }, { D4, WP }, { D8, WO }, { DC, WR }, { E0, MMIO },
                 { E4, WP }, { E8, WO }, { EC, WR });
    /* restoring the same state again still calls all 13 (force) */
    clear_log();
    assert_int_equal(restore_msg(&b, &s), 0);
    assert_int_equal(fk.n, 13);
    /* the restored registers are what later writes compare against */
    clear_log();
    wr(&b, 0x5C, 1, 0xDC);
    expect_no_calls("same states as restored");
}

/* ---- PAM decode through the bridge --------------------------------------------------- */

static void test_pam_decode_every_nibble(void **state)
{
    (void)state;
    for (int r = F0; r <= EC; r++) {
        for (unsigned v = 0; v < 16; v++) {
            /* a byte write from the reset state: one call iff the state leaves Mmio */
            struct i440bx b;
            fresh(&b, 0x7192);
            wr(&b, R[r].cfg_byte, 1, v << R[r].shift);
            if (by_nibble[v] == MMIO) {
                expect_no_calls("nibble decoding to Mmio");
            } else {
                if (fk.n != 1 || fk.calls[0].start != R[r].start || fk.calls[0].end != R[r].end ||
                    fk.calls[0].state != by_nibble[v])
                    fail_msg("range %d nibble %#x: %u calls, first [%#llx) state %d, want %d",
                             r, v, fk.n, (unsigned long long)fk.calls[0].start,
                             fk.calls[0].state, by_nibble[v]);
            }

            /* restore with this nibble here, and every other nibble 0xF or 0x4 */
            for (int other = 0; other < 2; other++) {
                uint64_t reg = other ? 0xFFFFFFFFFFFFFFFFull : 0x4444444444444444ull;
                unsigned bit = (R[r].cfg_byte - 0x58) * 8 + R[r].shift;
                reg = (reg & ~(0xFull << bit)) | ((uint64_t)v << bit);
                i440bx_msg s = saved_with((uint32_t)reg, (uint32_t)(reg >> 32), 0x3802);
                clear_log();
                assert_int_equal(restore_msg(&b, &s), 0);
                assert_int_equal(fk.n, 13);
                for (int j = F0; j <= EC; j++) {
                    enum gpa_state want = j == r ? by_nibble[v] : (other ? WR : MMIO);
                    if (fk.calls[j].start != R[j].start || fk.calls[j].state != want)
                        fail_msg("restore reg %#llx: call %d is [%#llx) state %d, want [%#llx) %d",
                                 (unsigned long long)reg, j,
                                 (unsigned long long)fk.calls[j].start, fk.calls[j].state,
                                 (unsigned long long)R[j].start, want);
                }
            }
        }
    }
}

/* ---- save / restore ------------------------------------------------------------------ */

static void make_busy(struct i440bx *b)
{
    wr(b, 0x58, 4, 0x13311007);     /* DRAMT 07, F0000 WP, C0 WP, C4 WR, C8 WR, CC WP */
    wr(b, 0x5C, 4, 0x33221100);     /* D0 D4 Mmio, D8 DC WP, E0 E4 WO, E8 EC WR */
    wr(b, 0x60, 4, 0x04040404);
    wr(b, 0x64, 4, 0x00000008);
    wr(b, 0xD0, 4, 0xDEADBEEF);
    wr(b, 0xD4, 4, 0x12345678);
    wr(b, 0x72, 1, 0x28);
    wr(b, 0x0D, 1, 0x40);
    wr(b, 0x3C, 1, 0x0B);
}

static void expect_busy_reads(struct i440bx *b)
{
    assert_int_equal(rd(b, 0x58, 4), 0x13311007);
    assert_int_equal(rd(b, 0x5C, 4), 0x33221100);
    assert_int_equal(rd(b, 0x60, 4), 0x04040404);
    assert_int_equal(rd(b, 0x64, 4), 0x00000008);
    assert_int_equal(rd(b, 0xD0, 4), 0xDEADBEEF);
    assert_int_equal(rd(b, 0xD4, 4), 0x12345678);
    assert_int_equal(rd(b, 0x70, 4), 0x382A0000);
    assert_int_equal(rd(b, 0x0D, 1), 0x40);
    assert_int_equal(rd(b, 0x3C, 1), 0x0B);
    assert_int_equal(rd(b, 0x04, 4), 0x02000006);
}

static void test_save_restore_round_trip(void **state)
{
    (void)state;
    struct i440bx a;
    fresh(&a, 0x1237);
    make_busy(&a);
    expect_busy_reads(&a);
    i440bx_msg s;
    memset(&s, 0xee, sizeof(s));
    save_msg(&a, &s);
    assert_int_equal(s.host_pci_dram1, 0x04040404);
    assert_int_equal(s.host_pci_dram2, 0x00000008);
    assert_int_equal(s.pam_reg1, 0x13311007);
    assert_int_equal(s.pam_reg2, 0x33221100);
    assert_int_equal(s.bios_scratch1, 0xDEADBEEF);
    assert_int_equal(s.bios_scratch2, 0x12345678);
    assert_int_equal(s.smm_config_word, 0x382A);
    assert_true(s.has_cfg_space);
    assert_int_equal(s.cfg_space.latency_timer, 0x40);
    assert_int_equal(s.cfg_space.interrupt_line, 0x0B);
    assert_int_equal(s.pam_backend, chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_UNSPECIFIED);
    struct state_bytes blob = save_bytes(&a);

    /* servicing: construct for restore (no calls), then restore (all 13) */
    struct i440bx b;
    memset(&fk, 0, sizeof(fk));
    i440bx_init(&b, 0x1237, &fake_ops, true);
    expect_no_calls("construction for restore");
    assert_int_equal(i440bx_restore_state(&b, blob.b, blob.len), 0);
    expect_calls("restore",
                 { F0, WP }, { C0, WP }, { C4, WR }, { C8, WR }, { CC, WP },
                 { D0, MMIO }, { D4, MMIO }, { D8, WP }, { DC, WP }, { E0, WO },
                 { E4, WO }, { E8, WR }, { EC, WR });
    expect_busy_reads(&b);
    assert_int_equal(rd(&b, 0x00, 4), 0x12378086);
    struct state_bytes again = save_bytes(&b);
    assert_int_equal(again.len, blob.len);
    assert_memory_equal(again.b, blob.b, blob.len);

    /* the restored SMRAM word is live: not locked, writes still apply */
    wr(&b, 0x72, 1, 0x08);
    assert_int_equal(rd(&b, 0x70, 4), 0x380A0000);
}

/* Blobs the bridge must refuse: fields past their register's width, a backend other than
 * the bridge's, and malformed protobuf. Nothing changes and no range is adjusted. */
static void test_restore_bad_blobs(void **state)
{
    (void)state;
    enum { WIDE_SMM, WIDE_LATENCY, WIDE_LINE, BAD_BACKEND, OTHER_BACKEND, TRUNCATED, BAD_WIRE, N };
    for (unsigned i = 0; i < N; i++) {
        struct i440bx b;
        fresh(&b, 0x7192);
        make_busy(&b);
        b.pam_backend = I440BX_PAM_OPENHCL;
        struct state_bytes before = save_bytes(&b);
        i440bx_msg s = saved_with(0x33333333, 0x33333333, 0x3838);
        s.host_pci_dram1 = 0x01010101;
        s.bios_scratch1 = 0x99;
        s.has_cfg_space = true;
        s.cfg_space.latency_timer = 0x77;
        uint8_t buf[I440BX_STATE_MAX_LEN];
        size_t len = 0;
        switch (i) {
        case WIDE_SMM: s.smm_config_word = 0x13802; break;
        case WIDE_LATENCY: s.cfg_space.latency_timer = 0x100; break;
        case WIDE_LINE: s.cfg_space.interrupt_line = 0x1FF; break;
        case BAD_BACKEND: s.pam_backend = (chipset_i440bx_host_pci_bridge_PamBackend)7; break;
        case OTHER_BACKEND: s.pam_backend = chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_LOCAL; break;
        default: break;
        }
        assert_int_equal(pb_codec_encode(I440BX_MSG_FIELDS, &s, buf, sizeof(buf), &len), 0);
        if (i == TRUNCATED)
            len--;                  /* the last field loses its last byte */
        if (i == BAD_WIRE)
            buf[0] = 0x0F;          /* field 1 with wire type 7 */
        clear_log();
        assert_int_equal(i440bx_restore_state(&b, buf, len), -EINVAL);
        expect_no_calls("rejected restore");
        expect_busy_reads(&b);
        struct state_bytes after = save_bytes(&b);
        assert_int_equal(after.len, before.len);
        assert_memory_equal(after.b, before.b, before.len);
    }
}

/* The same blob under the same backend, or from a blob that names none, restores. */
static void test_restore_backend(void **state)
{
    (void)state;
    struct i440bx a, b;
    fresh(&a, 0x7192);
    make_busy(&a);
    a.pam_backend = I440BX_PAM_FAITHFUL;
    struct state_bytes blob = save_bytes(&a);
    i440bx_msg m;
    save_msg(&a, &m);
    assert_int_equal(m.pam_backend, chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_FAITHFUL);
    fresh(&b, 0x7192);
    b.pam_backend = I440BX_PAM_FAITHFUL;
    assert_int_equal(i440bx_restore_state(&b, blob.b, blob.len), 0);
    expect_busy_reads(&b);
    fresh(&b, 0x7192);
    b.pam_backend = I440BX_PAM_LOCAL;
    assert_int_equal(i440bx_restore_state(&b, blob.b, blob.len), -EINVAL);
    m.pam_backend = chipset_i440bx_host_pci_bridge_PamBackend_PAM_BACKEND_UNSPECIFIED;
    assert_int_equal(restore_msg(&b, &m), 0);
    expect_busy_reads(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_7192),
        cmocka_unit_test(test_ids_1237),
        cmocka_unit_test(test_status_command_hardwired),
        cmocka_unit_test(test_type0_header_storage),
        cmocka_unit_test(test_register_table),
        cmocka_unit_test(test_byte_enables_pam_reg1),
        cmocka_unit_test(test_byte_enables_pam_reg2),
        cmocka_unit_test(test_byte_enables_drb_and_scratch),
        cmocka_unit_test(test_drb_and_scratch_storage),
        cmocka_unit_test(test_smram_rules),
        cmocka_unit_test(test_smram_reset_unlocks),
        cmocka_unit_test(test_smram_read_formula),
        cmocka_unit_test(test_reset_values),
        cmocka_unit_test(test_construction_order),
        cmocka_unit_test(test_construction_restoring),
        cmocka_unit_test(test_reset_order),
        cmocka_unit_test(test_pam_write_order),
        cmocka_unit_test(test_registers_stored_after_adjust),
        cmocka_unit_test(test_pam_write_sequence),
        cmocka_unit_test(test_restore_order),
        cmocka_unit_test(test_pam_decode_every_nibble),
        cmocka_unit_test(test_save_restore_round_trip),
        cmocka_unit_test(test_restore_bad_blobs),
        cmocka_unit_test(test_restore_backend),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
