/*
 * Unit tests for drivers/cmos_view: VTL0's CMOS memory-size registers over a fake RTC.
 * Expected register values are worked out by hand from QEMU's pc_cmos_init() rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/cmos_view.h"

/* ---- a fake RTC: 128 bytes of CMOS and an access log ------------------------------- */

struct fake_rtc {
    uint8_t cmos[128];
    uint8_t index;           /* last value written to the index port, NMI bit included */
    unsigned index_writes, data_reads, data_writes;
    uint8_t last_data_write;
};

static struct fake_rtc rtc;

static void rtc_write_index(void *ctx, uint8_t value)
{
    assert_ptr_equal(ctx, &rtc);
    rtc.index = value;
    rtc.index_writes++;
}

static uint8_t rtc_read_data(void *ctx)
{
    assert_ptr_equal(ctx, &rtc);
    rtc.data_reads++;
    return rtc.cmos[rtc.index & 0x7F];
}

static void rtc_write_data(void *ctx, uint8_t value)
{
    assert_ptr_equal(ctx, &rtc);
    rtc.data_writes++;
    rtc.last_data_write = value;
    rtc.cmos[rtc.index & 0x7F] = value;
}

static const struct cmos_ops rtc_ops = { rtc_write_index, rtc_read_data, rtc_write_data, &rtc };

static struct cmos_view view;

static void fresh(uint64_t below, uint64_t above)
{
    memset(&rtc, 0, sizeof(rtc));
    /* The real machine's (bigger) values: must never show through. */
    for (unsigned i = 0; i < 128; i++)
        rtc.cmos[i] = (uint8_t)(0xA0 ^ i);
    memset(&view, 0x5A, sizeof(view));
    cmos_view_init(&view, below, above, &rtc_ops);
}

static void out(uint16_t port, uint32_t v)
{
    cmos_view_io(&view, port, true, &v);
}

static uint32_t in(uint16_t port)
{
    uint32_t v = 0xDEADBEEF;
    cmos_view_io(&view, port, false, &v);
    return v;
}

/* Reads CMOS register `index` the way firmware does: index, then data. */
static uint32_t cmos_read(uint8_t index)
{
    out(CMOS_PORT_INDEX, index);
    return in(CMOS_PORT_DATA);
}

struct reg_value {
    uint8_t index, value;
};

static void expect_memory_registers(const struct reg_value *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned reads_before = rtc.data_reads;
        uint32_t got = cmos_read(want[i].index);
        if (got != want[i].value)
            fail_msg("CMOS[%#x] = %#x, want %#x", want[i].index, got, want[i].value);
        /* Answered by the view, the real RTC's data port untouched. */
        assert_int_equal(rtc.data_reads, reads_before);
        uint8_t direct = 0;
        assert_true(cmos_memory_register(&view, want[i].index, &direct));
        assert_int_equal(direct, want[i].value);
    }
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_init(void **state)
{
    (void)state;
    fresh(0x1BF00000, 0);
    assert_int_equal(view.ram_below_4g, 0x1BF00000);
    assert_int_equal(view.ram_above_4g, 0);
    assert_int_equal(view.index, 0);
    assert_int_equal(view.memory_writes_dropped, 0);
    assert_int_equal(rtc.index_writes + rtc.data_reads + rtc.data_writes, 0);
}

/* 447 MiB: extended memory capped at 0xFFFF KiB; (447 - 16) MiB = 6896 (0x1AF0) x 64 KiB. */
static void test_447_mib(void **state)
{
    (void)state;
    fresh(447ull << 20, 0);
    static const struct reg_value want[] = {
        { 0x15, 0x80 }, { 0x16, 0x02 },         /* 640 KiB base */
        { 0x17, 0xFF }, { 0x18, 0xFF },         /* capped */
        { 0x30, 0xFF }, { 0x31, 0xFF },
        { 0x34, 0xF0 }, { 0x35, 0x1A },
        { 0x5B, 0x00 }, { 0x5C, 0x00 }, { 0x5D, 0x00 },
    };
    expect_memory_registers(want, sizeof(want) / sizeof(want[0]));
}

/* 8 MiB: 7 MiB = 7168 (0x1C00) KiB extended; nothing above 16 MiB. */
static void test_8_mib(void **state)
{
    (void)state;
    fresh(8ull << 20, 0);
    static const struct reg_value want[] = {
        { 0x15, 0x80 }, { 0x16, 0x02 },
        { 0x17, 0x00 }, { 0x18, 0x1C },
        { 0x30, 0x00 }, { 0x31, 0x1C },
        { 0x34, 0x00 }, { 0x35, 0x00 },
        { 0x5B, 0x00 }, { 0x5C, 0x00 }, { 0x5D, 0x00 },
    };
    expect_memory_registers(want, sizeof(want) / sizeof(want[0]));
}

/* 17 MiB + 64 KiB: 16448 (0x4040) KiB extended, 17 (0x11) units above 16 MiB. */
static void test_just_above_16_mib(void **state)
{
    (void)state;
    fresh(0x1110000, 0);
    static const struct reg_value want[] = {
        { 0x17, 0x40 }, { 0x18, 0x40 },
        { 0x30, 0x40 }, { 0x31, 0x40 },
        { 0x34, 0x11 }, { 0x35, 0x00 },
    };
    expect_memory_registers(want, sizeof(want) / sizeof(want[0]));
}

/* 3 GiB below, 5 GiB above: (3072 - 16) MiB = 0xBF00 units; 5 GiB = 0x14000 units. */
static void test_above_4g(void **state)
{
    (void)state;
    fresh(3ull << 30, 5ull << 30);
    static const struct reg_value want[] = {
        { 0x15, 0x80 }, { 0x16, 0x02 },
        { 0x17, 0xFF }, { 0x18, 0xFF },
        { 0x30, 0xFF }, { 0x31, 0xFF },
        { 0x34, 0x00 }, { 0x35, 0xBF },
        { 0x5B, 0x00 }, { 0x5C, 0x40 }, { 0x5D, 0x01 },
    };
    expect_memory_registers(want, sizeof(want) / sizeof(want[0]));
}

/* Three distinct bytes above 4 GiB: 0x123450000 bytes = 0x12345 units. */
static void test_above_4g_three_bytes(void **state)
{
    (void)state;
    fresh(2ull << 30, 0x123450000ull);
    static const struct reg_value want[] = {
        { 0x34, 0x00 }, { 0x35, 0x7F },         /* (2048 - 16) MiB = 0x7F00 units */
        { 0x5B, 0x45 }, { 0x5C, 0x23 }, { 0x5D, 0x01 },
    };
    expect_memory_registers(want, sizeof(want) / sizeof(want[0]));
}

/* Bit 7 of the index is NMI-disable: it reaches the RTC, and does not change the register. */
static void test_nmi_bit(void **state)
{
    (void)state;
    fresh(447ull << 20, 0);
    out(CMOS_PORT_INDEX, 0x80 | 0x35);
    assert_int_equal(rtc.index, 0xB5);
    assert_int_equal(rtc.index_writes, 1);
    assert_int_equal(in(CMOS_PORT_DATA), 0x1A);
    assert_int_equal(rtc.data_reads, 0);

    out(CMOS_PORT_INDEX, 0x80 | 0x17);
    assert_int_equal(in(CMOS_PORT_DATA), 0xFF);

    /* A pass-through register with NMI disabled. */
    rtc.cmos[0x0A] = 0x26;
    out(CMOS_PORT_INDEX, 0x8A);
    assert_int_equal(rtc.index, 0x8A);
    assert_int_equal(in(CMOS_PORT_DATA), 0x26);
    assert_int_equal(rtc.data_reads, 1);
}

/* Everything else reaches the real RTC: the neighbours of the memory registers included. */
static void test_pass_through(void **state)
{
    (void)state;
    fresh(447ull << 20, 1ull << 30);
    static const uint8_t others[] = {
        0x00, 0x0A, 0x0B, 0x0F, 0x10, 0x14, 0x19, 0x2F, 0x32, 0x33, 0x36, 0x38, 0x5A, 0x5E, 0x7F,
    };
    for (size_t i = 0; i < sizeof(others); i++) {
        uint8_t idx = others[i];
        unsigned reads = rtc.data_reads, idx_writes = rtc.index_writes;
        uint8_t unused;
        assert_false(cmos_memory_register(&view, idx, &unused));
        assert_int_equal(cmos_read(idx), (uint8_t)(0xA0 ^ idx));
        assert_int_equal(rtc.index_writes, idx_writes + 1);
        assert_int_equal(rtc.index, idx);
        assert_int_equal(rtc.data_reads, reads + 1);

        out(CMOS_PORT_DATA, 0x3C);
        assert_int_equal(rtc.last_data_write, 0x3C);
        assert_int_equal(rtc.cmos[idx], 0x3C);
    }
    assert_int_equal(rtc.data_writes, sizeof(others));
    assert_int_equal(view.memory_writes_dropped, 0);
}

/* Writes to the memory registers never reach the RTC; they are counted. */
static void test_memory_writes_dropped(void **state)
{
    (void)state;
    fresh(8ull << 20, 0);
    static const uint8_t regs[] = {
        0x15, 0x16, 0x17, 0x18, 0x30, 0x31, 0x34, 0x35, 0x5B, 0x5C, 0x5D,
    };
    for (size_t i = 0; i < sizeof(regs); i++) {
        out(CMOS_PORT_INDEX, regs[i]);
        out(CMOS_PORT_DATA, 0x99);
        assert_int_equal(view.memory_writes_dropped, i + 1);
    }
    /* With the NMI bit set too. */
    out(CMOS_PORT_INDEX, 0x80 | 0x18);
    out(CMOS_PORT_DATA, 0x99);
    assert_int_equal(view.memory_writes_dropped, 12);
    assert_int_equal(rtc.data_writes, 0);
    for (unsigned i = 0; i < 128; i++)
        assert_int_equal(rtc.cmos[i], (uint8_t)(0xA0 ^ i));
    /* The registers still read VTL0's values. */
    assert_int_equal(cmos_read(0x18), 0x1C);
    assert_int_equal(cmos_read(0x15), 0x80);
}

/* The data port acts on the low byte of a wider value. */
static void test_wide_values_use_low_byte(void **state)
{
    (void)state;
    fresh(8ull << 20, 0);
    out(CMOS_PORT_INDEX, 0x1234560B);
    assert_int_equal(rtc.index, 0x0B);
    out(CMOS_PORT_DATA, 0xABCDEF42);
    assert_int_equal(rtc.last_data_write, 0x42);
    assert_int_equal(in(CMOS_PORT_DATA), 0x42);
}

static void test_register_numbers(void **state)
{
    (void)state;
    assert_int_equal(CMOS_PORT_INDEX, 0x70);
    assert_int_equal(CMOS_PORT_DATA, 0x71);
    assert_int_equal(CMOS_NMI_DISABLE, 0x80);
    assert_int_equal(CMOS_INDEX_MASK, 0x7F);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_447_mib),
        cmocka_unit_test(test_8_mib),
        cmocka_unit_test(test_just_above_16_mib),
        cmocka_unit_test(test_above_4g),
        cmocka_unit_test(test_above_4g_three_bytes),
        cmocka_unit_test(test_nmi_bit),
        cmocka_unit_test(test_pass_through),
        cmocka_unit_test(test_memory_writes_dropped),
        cmocka_unit_test(test_wide_values_use_low_byte),
        cmocka_unit_test(test_register_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
