/*
 * Unit tests for drivers/pam: i440BX PAM decoding and OpenVMM's local RAM-visibility
 * rules (reference sections 2.2 and 2.5). Every expectation is written out by hand
 * from the reference, never derived from the module's own tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/pam.h"

#define MMIO GPA_STATE_MMIO
#define WP   GPA_STATE_WRITE_PROTECTED
#define WO   GPA_STATE_WRITE_ONLY
#define WR   GPA_STATE_WRITABLE

#define UNM GPA_UNMAPPED
#define RO  GPA_READ_ONLY
#define RW  GPA_READ_WRITE

/*
 * Where each range's nibble sits, from the reference's table: config byte 0x58 + n is
 * byte n of pam_reg1 (n < 4) or byte n - 4 of pam_reg2.
 */
static const struct {
    uint64_t start, end;
    int reg;                /* 1 or 2 */
    unsigned shift;         /* bit position of the nibble in that register */
} layout[PAM_RANGE_COUNT] = {
    { 0xF0000, 0x100000, 1, 12 },   /* 0x59 high */
    { 0xC0000, 0xC4000, 1, 16 },    /* 0x5A low */
    { 0xC4000, 0xC8000, 1, 20 },    /* 0x5A high */
    { 0xC8000, 0xCC000, 1, 24 },    /* 0x5B low */
    { 0xCC000, 0xD0000, 1, 28 },    /* 0x5B high */
    { 0xD0000, 0xD4000, 2, 0 },     /* 0x5C low */
    { 0xD4000, 0xD8000, 2, 4 },     /* 0x5C high */
    { 0xD8000, 0xDC000, 2, 8 },     /* 0x5D low */
    { 0xDC000, 0xE0000, 2, 12 },    /* 0x5D high */
    { 0xE0000, 0xE4000, 2, 16 },    /* 0x5E low */
    { 0xE4000, 0xE8000, 2, 20 },    /* 0x5E high */
    { 0xE8000, 0xEC000, 2, 24 },    /* 0x5F low */
    { 0xEC000, 0xF0000, 2, 28 },    /* 0x5F high */
};

/* Nibble value -> state: bits 2-3 are ignored. */
static const enum gpa_state by_nibble[16] = {
    MMIO, WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP, WO, WR,
};

static void decode(uint32_t reg1, uint32_t reg2, enum gpa_state out[PAM_RANGE_COUNT])
{
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++)
        out[i] = (enum gpa_state)0x55;      /* every slot must be written */
    pam_decode(reg1, reg2, out);
}

static void expect_all(const enum gpa_state got[PAM_RANGE_COUNT], enum gpa_state want)
{
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        if (got[i] != want)
            fail_msg("range %u: state %d, want %d", i, got[i], want);
    }
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_range_table(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        assert_int_equal(pam_ranges[i].start, layout[i].start);
        assert_int_equal(pam_ranges[i].end, layout[i].end);
    }
    assert_int_equal(PAM_REG1_OFFSET, 0x58);
    assert_int_equal(PAM_REG2_OFFSET, 0x5C);
    assert_int_equal(PAM_REG1_RESET, 0x00000003);
    assert_int_equal(PAM_REG2_RESET, 0);
}

static void test_reset_values_decode_to_mmio(void **state)
{
    (void)state;
    enum gpa_state s[PAM_RANGE_COUNT];
    decode(0x00000003, 0x00000000, s);
    expect_all(s, MMIO);
}

/* Each range alone, with every nibble value, and the other nibbles 0 or 0xF. */
static void test_every_nibble_of_every_range(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        for (unsigned v = 0; v < 16; v++) {
            for (int others = 0; others < 2; others++) {
                uint64_t mask = 0xFull << layout[i].shift;
                uint32_t r1 = others ? 0xFFFFFFFFu : 0, r2 = others ? 0xFFFFFFFFu : 0;
                if (layout[i].reg == 1)
                    r1 = (uint32_t)((r1 & ~mask) | ((uint64_t)v << layout[i].shift));
                else
                    r2 = (uint32_t)((r2 & ~mask) | ((uint64_t)v << layout[i].shift));
                enum gpa_state s[PAM_RANGE_COUNT];
                decode(r1, r2, s);
                for (unsigned j = 0; j < PAM_RANGE_COUNT; j++) {
                    enum gpa_state want = j == i ? by_nibble[v] : (others ? WR : MMIO);
                    if (s[j] != want)
                        fail_msg("reg1 %#x reg2 %#x: range %u is %d, want %d", r1, r2, j,
                                 s[j], want);
                }
            }
        }
    }
}

/* Byte 0x58 (DRAMT) and the low nibble of 0x59 belong to no range. */
static void test_dramt_and_reserved_nibble_ignored(void **state)
{
    (void)state;
    enum gpa_state s[PAM_RANGE_COUNT];
    decode(0x000000FF, 0, s);
    expect_all(s, MMIO);
    decode(0x00000FFF, 0, s);
    expect_all(s, MMIO);
    decode(0xFFFFF000, 0xFFFFFFFF, s);
    expect_all(s, WR);
    decode(0xFFFFFFFF, 0xFFFFFFFF, s);
    expect_all(s, WR);
}

/* What SeaBIOS writes: 0x30 / 0x33 to make the BIOS writable, 0x10 / 0x11 for read-only. */
static void test_seabios_patterns(void **state)
{
    (void)state;
    enum gpa_state s[PAM_RANGE_COUNT];
    decode(0x33333003, 0x33333333, s);
    expect_all(s, WR);
    decode(0x11111003, 0x11111111, s);
    expect_all(s, WP);
    /* Only F0000 writable (0x59 = 0x30), everything else still MMIO. */
    decode(0x00003003, 0, s);
    assert_int_equal(s[0], WR);
    for (unsigned i = 1; i < PAM_RANGE_COUNT; i++)
        assert_int_equal(s[i], MMIO);
}

/* A distinct state per range, to catch swapped or shifted nibbles. */
static void test_mixed_pattern(void **state)
{
    (void)state;
    enum gpa_state s[PAM_RANGE_COUNT];
    /* nibbles 3..7 of reg1: 1,2,3,0,1 ; nibbles 0..7 of reg2: 2,3,0,1,2,3,0,1 */
    decode(0x10321000, 0x10321032, s);
    static const enum gpa_state want[PAM_RANGE_COUNT] = {
        WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP, WO, WR, MMIO, WP,
    };
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++)
        assert_int_equal(s[i], want[i]);
}

/*
 * The reference's rules, 13 ranges x 4 states, written out:
 * Writable -> RW; WriteProtected -> RO except C8000-CBFFF -> RW;
 * WriteOnly / Mmio -> RO if the range overlaps CC000-DFFFF, else Unmapped.
 */
static void test_local_visibility_table(void **state)
{
    (void)state;
    static const struct {
        uint64_t start, end;
        enum gpa_visibility mmio, wp, wo, wr;
    } want[PAM_RANGE_COUNT] = {
        { 0xF0000, 0x100000, UNM, RO, UNM, RW },
        { 0xC0000, 0xC4000, UNM, RO, UNM, RW },
        { 0xC4000, 0xC8000, UNM, RO, UNM, RW },
        { 0xC8000, 0xCC000, UNM, RW, UNM, RW },
        { 0xCC000, 0xD0000, RO, RO, RO, RW },
        { 0xD0000, 0xD4000, RO, RO, RO, RW },
        { 0xD4000, 0xD8000, RO, RO, RO, RW },
        { 0xD8000, 0xDC000, RO, RO, RO, RW },
        { 0xDC000, 0xE0000, RO, RO, RO, RW },
        { 0xE0000, 0xE4000, UNM, RO, UNM, RW },
        { 0xE4000, 0xE8000, UNM, RO, UNM, RW },
        { 0xE8000, 0xEC000, UNM, RO, UNM, RW },
        { 0xEC000, 0xF0000, UNM, RO, UNM, RW },
    };
    for (unsigned i = 0; i < PAM_RANGE_COUNT; i++) {
        struct pam_range r = { want[i].start, want[i].end };
        assert_int_equal(pam_local_visibility(&r, MMIO), want[i].mmio);
        assert_int_equal(pam_local_visibility(&r, WP), want[i].wp);
        assert_int_equal(pam_local_visibility(&r, WO), want[i].wo);
        assert_int_equal(pam_local_visibility(&r, WR), want[i].wr);
        /* The module's own table entries give the same answers. */
        assert_int_equal(pam_local_visibility(&pam_ranges[i], MMIO), want[i].mmio);
        assert_int_equal(pam_local_visibility(&pam_ranges[i], WP), want[i].wp);
        assert_int_equal(pam_local_visibility(&pam_ranges[i], WO), want[i].wo);
        assert_int_equal(pam_local_visibility(&pam_ranges[i], WR), want[i].wr);
    }
}

/* "A0000-BFFFF Mmio therefore becomes Unmapped." */
static void test_vga_window(void **state)
{
    (void)state;
    struct pam_range vga = { VGA_WINDOW_START, VGA_WINDOW_END };
    assert_int_equal(VGA_WINDOW_START, 0xA0000);
    assert_int_equal(VGA_WINDOW_END, 0xC0000);
    assert_int_equal(pam_local_visibility(&vga, MMIO), UNM);
    assert_int_equal(pam_local_visibility(&vga, WO), UNM);
    assert_int_equal(pam_local_visibility(&vga, WP), RO);
    assert_int_equal(pam_local_visibility(&vga, WR), RW);
}

static void test_state_names(void **state)
{
    (void)state;
    assert_string_equal(gpa_state_name(MMIO), "mmio");
    assert_string_equal(gpa_state_name(WP), "write-protected");
    assert_string_equal(gpa_state_name(WO), "write-only");
    assert_string_equal(gpa_state_name(WR), "writable");
    assert_string_equal(gpa_state_name((enum gpa_state)4), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_range_table),
        cmocka_unit_test(test_reset_values_decode_to_mmio),
        cmocka_unit_test(test_every_nibble_of_every_range),
        cmocka_unit_test(test_dramt_and_reserved_nibble_ignored),
        cmocka_unit_test(test_seabios_patterns),
        cmocka_unit_test(test_mixed_pattern),
        cmocka_unit_test(test_local_visibility_table),
        cmocka_unit_test(test_vga_window),
        cmocka_unit_test(test_state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
