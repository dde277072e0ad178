/*
 * Unit tests for drivers/pci_proxy: configuration mechanism #1 over a fake PCI bus.
 * The fake bus holds a few functions with 256-byte config spaces and logs every access;
 * 00:00.0 is emulated through the hooks, 00:01.3 is the PIIX4 PM function (8086:7113).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/pci_proxy.h"

/* ---- the fake bus ------------------------------------------------------------------ */

#define MAX_FUNCS  8
#define MAX_LOG    64
#define MAX_EVENTS 16
#define MAX_EMU    512

struct func {
    uint32_t bdf;
    uint8_t cfg[256];
};

struct access {
    bool write;
    uint32_t bdf;
    unsigned offset, size;
    uint32_t value;
};

struct pm_event {
    uint16_t base;
    bool enabled;
};

struct fake_bus {
    struct func funcs[MAX_FUNCS];
    unsigned nfuncs;
    struct access log[MAX_LOG];      /* accesses that reached the real bus */
    unsigned nlog;
    unsigned reads;                  /* all real-bus reads, the log may be full */
    /* the emulated host bridge, 00:00.0 */
    uint8_t emu_cfg[256];
    struct access emu_log[MAX_EMU];
    unsigned nemu;
    /* 0xCF9 */
    uint8_t rcr_written[MAX_EVENTS];
    unsigned nrcr;
    uint8_t rcr_value;
    /* PM base reports */
    struct pm_event pm[MAX_EVENTS];
    unsigned npm;
};

static struct fake_bus bus;

static struct func *find_func(uint32_t bdf)
{
    for (unsigned i = 0; i < bus.nfuncs; i++) {
        if (bus.funcs[i].bdf == bdf)
            return &bus.funcs[i];
    }
    return NULL;
}

static uint32_t get_le(const uint8_t *cfg, unsigned offset, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)cfg[offset + i] << (8 * i);
    return v;
}

static void put_le(uint8_t *cfg, unsigned offset, unsigned size, uint32_t v)
{
    for (unsigned i = 0; i < size; i++)
        cfg[offset + i] = (uint8_t)(v >> (8 * i));
}

static void check_access(uint32_t bdf, unsigned offset, unsigned size)
{
    if ((bdf & ~0x00FFFF00u) != 0 || offset > 255 || offset + size > 256 ||
        (size != 1 && size != 2 && size != 4) || offset % size != 0)
        fail_msg("bad access bdf %#x offset %#x size %u", bdf, offset, size);
}

static void log_access(bool write, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    if (bus.nlog < MAX_LOG)
        bus.log[bus.nlog] = (struct access){ write, bdf, offset, size, value };
    bus.nlog++;
}

static uint32_t bus_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size)
{
    assert_ptr_equal(ctx, &bus);
    check_access(bdf, offset, size);
    bus.reads++;
    struct func *f = find_func(bdf);
    uint32_t v = f ? get_le(f->cfg, offset, size) : (size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
    log_access(false, bdf, offset, size, v);
    return v;
}

static void bus_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    assert_ptr_equal(ctx, &bus);
    check_access(bdf, offset, size);
    log_access(true, bdf, offset, size, value);
    struct func *f = find_func(bdf);
    if (f)
        put_le(f->cfg, offset, size, value);
}

static bool emu_read(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t *value)
{
    assert_ptr_equal(ctx, &bus);
    if (bdf != 0)
        return false;
    check_access(bdf, offset, size);
    assert_true(bus.nemu < MAX_EMU);
    *value = get_le(bus.emu_cfg, offset, size);
    bus.emu_log[bus.nemu++] = (struct access){ false, bdf, offset, size, *value };
    return true;
}

static bool emu_write(void *ctx, uint32_t bdf, unsigned offset, unsigned size, uint32_t value)
{
    assert_ptr_equal(ctx, &bus);
    if (bdf != 0)
        return false;
    check_access(bdf, offset, size);
    assert_true(bus.nemu < MAX_EMU);
    put_le(bus.emu_cfg, offset, size, value);
    bus.emu_log[bus.nemu++] = (struct access){ true, bdf, offset, size, value };
    return true;
}

static void rcr_write(void *ctx, uint8_t value)
{
    assert_ptr_equal(ctx, &bus);
    assert_true(bus.nrcr < MAX_EVENTS);
    bus.rcr_written[bus.nrcr++] = value;
}

static uint8_t rcr_read(void *ctx)
{
    assert_ptr_equal(ctx, &bus);
    return bus.rcr_value;
}

static void pm_changed(void *ctx, uint16_t base, bool enabled)
{
    assert_ptr_equal(ctx, &bus);
    assert_true(bus.npm < MAX_EVENTS);
    bus.pm[bus.npm++] = (struct pm_event){ base, enabled };
}

static const struct pci_proxy_ops full_ops = {
    .read = bus_read,
    .write = bus_write,
    .emulated_read = emu_read,
    .emulated_write = emu_write,
    .reset_control = rcr_write,
    .reset_control_read = rcr_read,
    .pm_base_changed = pm_changed,
    .ctx = &bus,
};

static struct func *add_func(uint32_t bdf, uint32_t id)
{
    assert_true(bus.nfuncs < MAX_FUNCS);
    struct func *f = &bus.funcs[bus.nfuncs++];
    f->bdf = bdf;
    /* Recognisable filler: byte i of function n is i ^ (0x11 * n), then the IDs. */
    for (unsigned i = 0; i < 256; i++)
        f->cfg[i] = (uint8_t)(i ^ (0x11 * bus.nfuncs));
    put_le(f->cfg, 0, 4, id);
    return f;
}

#define BDF_HOST   0x000000u     /* 00:00.0 */
#define BDF_ISA    0x000800u     /* 00:01.0 */
#define BDF_IDE    0x000900u     /* 00:01.1 */
#define BDF_PM     0x000B00u     /* 00:01.3 */
#define BDF_VGA    0x001000u     /* 00:02.0 */
#define BDF_NIC    0x001800u     /* 00:03.0 */
#define BDF_BUS1   0x012A00u     /* 01:05.2 */

static struct pci_proxy proxy;

/* QEMU's i440FX machine; PMBA at its reset value 0x00000001, PMREGMISC 0. */
static void fake_machine(uint32_t pmba, uint8_t pmregmisc)
{
    memset(&bus, 0, sizeof(bus));
    add_func(BDF_HOST, 0x12378086);          /* exists on the real bus, but emulated */
    add_func(BDF_ISA, 0x70008086);
    struct func *ide = add_func(BDF_IDE, 0x70108086);
    put_le(ide->cfg, 0x08, 4, 0x01018000);   /* class 01, subclass 01, prog-if 80, rev 0 */
    put_le(ide->cfg, 0x20, 4, 0x0000C001);   /* BMIBA: I/O at C000 */
    struct func *pm = add_func(BDF_PM, 0x71138086);
    put_le(pm->cfg, 0x40, 4, pmba);
    pm->cfg[0x80] = pmregmisc;
    add_func(BDF_VGA, 0x11111234);
    struct func *nic = add_func(BDF_NIC, 0x100E8086);
    put_le(nic->cfg, 0x04, 4, 0x00000003);
    add_func(BDF_BUS1, 0x10001AF4);
    for (unsigned i = 0; i < 256; i++)
        bus.emu_cfg[i] = (uint8_t)(0xE0 ^ i);
    put_le(bus.emu_cfg, 0, 4, 0x71928086);
}

static void fresh(void)
{
    fake_machine(0x00000001, 0);
    memset(&proxy, 0x5A, sizeof(proxy));
    pci_proxy_init(&proxy, &full_ops);
    bus.nlog = 0;
    bus.reads = 0;
}

/* ---- port helpers ------------------------------------------------------------------ */

static uint32_t in(uint16_t port, unsigned size)
{
    uint32_t v = 0xDEADBEEF;
    pci_proxy_io(&proxy, port, size, false, &v);
    return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
    pci_proxy_io(&proxy, port, size, true, &v);
}

static void latch(uint32_t address) { out(0xCF8, 4, address); }

static void expect_log(unsigned i, bool write, uint32_t bdf, unsigned offset, unsigned size,
                       uint32_t value)
{
    assert_true(i < bus.nlog);
    const struct access *a = &bus.log[i];
    if (a->write != write || a->bdf != bdf || a->offset != offset || a->size != size ||
        a->value != value)
        fail_msg("access %u: %s bdf %#x off %#x size %u value %#x; want %s bdf %#x off %#x "
                 "size %u value %#x", i, a->write ? "write" : "read", a->bdf, a->offset, a->size,
                 a->value, write ? "write" : "read", bdf, offset, size, value);
}

/* The legal data-port accesses: (port, size). */
static const struct {
    uint16_t port;
    unsigned size;
    unsigned byte;      /* offset within the dword */
} legal[] = {
    { 0xCFC, 4, 0 },
    { 0xCFC, 2, 0 }, { 0xCFE, 2, 2 },
    { 0xCFC, 1, 0 }, { 0xCFD, 1, 1 }, { 0xCFE, 1, 2 }, { 0xCFF, 1, 3 },
};

/* ---- tests ------------------------------------------------------------------------- */

static void test_init_finds_pm_function(void **state)
{
    (void)state;
    fake_machine(0x00000001, 0);
    memset(&proxy, 0x5A, sizeof(proxy));
    pci_proxy_init(&proxy, &full_ops);
    assert_int_equal(proxy.pm_bdf, 0x00000B00);
    assert_int_equal(proxy.address, 0);
    assert_int_equal(proxy.stats.bus_master_blocked, 0);
    assert_int_equal(proxy.stats.disabled_accesses, 0);
    assert_int_equal(proxy.stats.odd_accesses, 0);
    /* The IDs of 00:00.0-7 and 00:01.0-3, then PMBA and PMREGMISC. */
    assert_int_equal(bus.nlog, 14);
    static const uint32_t scanned[12] = {
        0x000, 0x100, 0x200, 0x300, 0x400, 0x500, 0x600, 0x700, 0x800, 0x900, 0xA00, 0xB00,
    };
    for (unsigned i = 0; i < 12; i++)
        assert_false(bus.log[i].write || bus.log[i].bdf != scanned[i] || bus.log[i].offset != 0 ||
                     bus.log[i].size != 4);
    expect_log(12, false, BDF_PM, 0x40, 2, 0x0001);
    expect_log(13, false, BDF_PM, 0x80, 1, 0x00);
    /* Base 0, I/O space off. */
    assert_int_equal(bus.npm, 1);
    assert_int_equal(bus.pm[0].base, 0);
    assert_false(bus.pm[0].enabled);
    assert_int_equal(bus.nemu, 0);
}

static void test_init_reports_programmed_base(void **state)
{
    (void)state;
    fake_machine(0x0000B001, 0x01);
    pci_proxy_init(&proxy, &full_ops);
    assert_int_equal(bus.npm, 1);
    assert_int_equal(bus.pm[0].base, 0xB000);
    assert_true(bus.pm[0].enabled);
}

static void test_init_without_pm_function(void **state)
{
    (void)state;
    fake_machine(0x0000B001, 0x01);
    bus.funcs[3].bdf = 0x020B00;            /* move 8086:7113 to bus 2 */
    pci_proxy_init(&proxy, &full_ops);
    assert_int_equal(proxy.pm_bdf, 0);
    assert_int_equal(bus.npm, 0);
    assert_int_equal(bus.nlog, 256);        /* every function of bus 0 tried */
    /* A PMBA write to where it was is then just a write. */
    bus.nlog = 0;
    latch(0x80000B40);
    out(0xCFC, 4, 0x0000C001);
    assert_int_equal(bus.npm, 0);
    assert_int_equal(bus.nlog, 1);
}

static void test_address_latch(void **state)
{
    (void)state;
    fresh();
    latch(0x80001804);
    assert_int_equal(in(0xCF8, 4), 0x80001804);
    latch(0x80012A3F);                      /* bits 1:0 read back as 0 */
    assert_int_equal(in(0xCF8, 4), 0x80012A3C);
    latch(0x00000000);
    assert_int_equal(in(0xCF8, 4), 0x00000000);
    latch(0xFFFFFFFF);
    assert_int_equal(in(0xCF8, 4), 0xFFFFFFFC);
    /* Byte and word writes to 0xCF8/0xCFA/0xCFB are not the latch. */
    out(0xCF8, 2, 0x1234);
    out(0xCF8, 1, 0x12);
    out(0xCFA, 2, 0x1234);
    out(0xCFB, 1, 0x12);
    assert_int_equal(in(0xCF8, 4), 0xFFFFFFFC);
    assert_int_equal(proxy.stats.odd_accesses, 4);
    assert_int_equal(bus.nlog, 0);
    assert_int_equal(bus.nrcr, 0);
}

/* The latch selects bus/device/function and register; reserved bits 30:24 do not. */
static void test_function_decode(void **state)
{
    (void)state;
    fresh();
    latch(0x80012A00);
    assert_int_equal(in(0xCFC, 4), 0x10001AF4);
    latch(0x8F012A00);
    assert_int_equal(in(0xCFC, 4), 0x10001AF4);
    latch(0x80001800);
    assert_int_equal(in(0xCFC, 4), 0x100E8086);
    latch(0x80000900);
    assert_int_equal(in(0xCFE, 2), 0x7010);
    latch(0x80002000);                      /* 00:04.0: nothing there */
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    expect_log(0, false, BDF_BUS1, 0, 4, 0x10001AF4);
    expect_log(1, false, BDF_BUS1, 0, 4, 0x10001AF4);
    expect_log(2, false, BDF_NIC, 0, 4, 0x100E8086);
    expect_log(3, false, BDF_IDE, 2, 2, 0x7010);
    expect_log(4, false, 0x002000, 0, 4, 0xFFFFFFFF);
    assert_int_equal(bus.nlog, 5);
}

/* Without the enable bit the data port reads all-ones and writes go nowhere. */
static void test_enable_bit_clear(void **state)
{
    (void)state;
    fresh();
    latch(0x00001804);
    for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
        assert_int_equal(in(legal[i].port, legal[i].size), 0xFFFFFFFF);
        out(legal[i].port, legal[i].size, 0x00000007);
    }
    assert_int_equal(proxy.stats.disabled_accesses, 14);
    assert_int_equal(bus.nlog, 0);
    assert_int_equal(bus.nemu, 0);
    assert_int_equal(proxy.stats.bus_master_blocked, 0);
    /* Emulated function too. */
    latch(0x00000000);
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    assert_int_equal(bus.nemu, 0);
    assert_int_equal(proxy.stats.disabled_accesses, 15);
}

/* Reads of every size at every legal offset of a real function. */
static void test_reads_at_every_offset(void **state)
{
    (void)state;
    fresh();
    const struct func *nic = find_func(BDF_NIC);
    for (unsigned reg = 0; reg < 256; reg += 4) {
        latch(0x80001800 | reg);
        for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
            unsigned off = reg + legal[i].byte, size = legal[i].size;
            uint32_t want = get_le(nic->cfg, off, size);
            bus.nlog = 0;
            assert_int_equal(in(legal[i].port, size), want);
            assert_int_equal(bus.nlog, 1);
            expect_log(0, false, BDF_NIC, off, size, want);
        }
    }
    assert_int_equal(proxy.stats.odd_accesses, 0);
    assert_int_equal(proxy.stats.disabled_accesses, 0);
    /* Some of them literally: 8086:100E, command 0x0003. */
    latch(0x80001800);
    assert_int_equal(in(0xCFC, 4), 0x100E8086);
    assert_int_equal(in(0xCFC, 2), 0x8086);
    assert_int_equal(in(0xCFE, 2), 0x100E);
    assert_int_equal(in(0xCFD, 1), 0x80);
    assert_int_equal(in(0xCFF, 1), 0x10);
    latch(0x80001804);
    assert_int_equal(in(0xCFC, 2), 0x0003);
}

/* Writes of every size at every legal offset (BME clear, so unchanged). */
static void test_writes_at_every_offset(void **state)
{
    (void)state;
    fresh();
    for (unsigned reg = 0; reg < 256; reg += 4) {
        latch(0x80001800 | reg);
        for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++) {
            unsigned off = reg + legal[i].byte, size = legal[i].size;
            uint32_t v = size == 4 ? 0xA1B2C3D0 : size == 2 ? 0xC3D0 : 0xD0;
            bus.nlog = 0;
            out(legal[i].port, size, v);
            assert_int_equal(bus.nlog, 1);
            expect_log(0, true, BDF_NIC, off, size, v);
        }
    }
    assert_int_equal(proxy.stats.bus_master_blocked, 0);
    assert_int_equal(bus.npm, 1);           /* only init's report */
}

/* Misaligned or odd-sized data accesses are refused, counted, and reach nothing. */
static void test_odd_accesses(void **state)
{
    (void)state;
    fresh();
    latch(0x80001804);
    static const struct {
        uint16_t port;
        unsigned size;
    } odd[] = {
        { 0xCFD, 2 }, { 0xCFF, 2 }, { 0xCFD, 4 }, { 0xCFE, 4 }, { 0xCFF, 4 },
        { 0xCFC, 3 }, { 0xCFC, 0 }, { 0xCFC, 8 }, { 0xCF9, 2 }, { 0xCF9, 4 },
        { 0xCFA, 1 }, { 0xCFB, 1 }, { 0xCF8, 1 }, { 0xCF8, 2 },
    };
    const size_t n = sizeof(odd) / sizeof(odd[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(in(odd[i].port, odd[i].size), 0xFFFFFFFF);
        out(odd[i].port, odd[i].size, 0x00000004);
    }
    assert_int_equal(proxy.stats.odd_accesses, 28);
    assert_int_equal(bus.nlog, 0);
    assert_int_equal(bus.nemu, 0);
    assert_int_equal(bus.nrcr, 0);
    assert_int_equal(proxy.stats.bus_master_blocked, 0);
    assert_int_equal(in(0xCF8, 4), 0x80001804);
}

/* Bus Master Enable never reaches a real function, whatever the access size. */
static void test_bus_master_stripped(void **state)
{
    (void)state;
    fresh();
    latch(0x80001804);
    out(0xCFC, 4, 0x00000007);              /* dword: command + status */
    out(0xCFC, 4, 0xFFFFFFFF);
    out(0xCFC, 2, 0x0006);                  /* word: command */
    out(0xCFC, 1, 0x04);                    /* byte: command low */
    out(0xCFC, 1, 0xFF);
    expect_log(0, true, BDF_NIC, 0x04, 4, 0x00000003);
    expect_log(1, true, BDF_NIC, 0x04, 4, 0xFFFFFFFB);
    expect_log(2, true, BDF_NIC, 0x04, 2, 0x0002);
    expect_log(3, true, BDF_NIC, 0x04, 1, 0x00);
    expect_log(4, true, BDF_NIC, 0x04, 1, 0xFB);
    assert_int_equal(proxy.stats.bus_master_blocked, 5);

    /* Bit 2 of bytes that are not the command's low byte is left alone. */
    bus.nlog = 0;
    out(0xCFD, 1, 0x04);                    /* command high */
    out(0xCFE, 2, 0x0004);                  /* status */
    out(0xCFF, 1, 0x04);
    latch(0x80001800);
    out(0xCFC, 4, 0x00000004);              /* vendor/device */
    out(0xCFC, 1, 0x04);
    latch(0x80001808);
    out(0xCFC, 4, 0x00000004);
    expect_log(0, true, BDF_NIC, 0x05, 1, 0x04);
    expect_log(1, true, BDF_NIC, 0x06, 2, 0x0004);
    expect_log(2, true, BDF_NIC, 0x07, 1, 0x04);
    expect_log(3, true, BDF_NIC, 0x00, 4, 0x00000004);
    expect_log(4, true, BDF_NIC, 0x00, 1, 0x04);
    expect_log(5, true, BDF_NIC, 0x08, 4, 0x00000004);
    assert_int_equal(proxy.stats.bus_master_blocked, 5);

    /* A write without BME passes unchanged and is not counted. */
    bus.nlog = 0;
    latch(0x80001804);
    out(0xCFC, 2, 0x0003);
    expect_log(0, true, BDF_NIC, 0x04, 2, 0x0003);
    assert_int_equal(proxy.stats.bus_master_blocked, 5);

    /* Other functions, another bus, the PM function. */
    latch(0x80012A04);
    out(0xCFC, 4, 0x00100407);
    latch(0x80000B04);
    out(0xCFC, 1, 0x05);
    expect_log(1, true, BDF_BUS1, 0x04, 4, 0x00100403);
    expect_log(2, true, BDF_PM, 0x04, 1, 0x01);
    assert_int_equal(proxy.stats.bus_master_blocked, 7);
    assert_int_equal(find_func(BDF_NIC)->cfg[4], 0x03);
}

/* 00:00.0 belongs to the hooks: no access reaches the real bus, BME included. */
/* SPEC section 5: with BME withheld the IDE function must not look DMA-capable. */
static void test_ide_bus_master_hidden(void **state)
{
    (void)state;
    fresh();
    assert_int_equal(proxy.ide_bdf, BDF_IDE);
    latch(0x80000908);
    assert_int_equal(in(0xCFC, 4), 0x01010000);      /* prog-if 80 -> 00 */
    assert_int_equal(in(0xCFD, 1), 0x00);
    assert_int_equal(in(0xCFC, 2), 0x0000);           /* revision and prog-if */
    assert_int_equal(in(0xCFE, 2), 0x0101);           /* class untouched */
    latch(0x80000920);
    assert_int_equal(in(0xCFC, 4), 0);
    assert_int_equal(in(0xCFC, 2), 0);
    assert_int_equal(in(0xCFF, 1), 0);
    /* sizing: the write never reaches the function, the BAR still reads 0 */
    bus.nlog = 0;
    out(0xCFC, 4, 0xFFFFFFFF);
    out(0xCFE, 2, 0xFFFF);
    assert_int_equal(in(0xCFC, 4), 0);
    for (unsigned i = 0; i < bus.nlog && i < MAX_LOG; i++)
        assert_false(bus.log[i].write);
    assert_int_equal(proxy.stats.bmiba_writes_dropped, 2);
    assert_int_equal(get_le(find_func(BDF_IDE)->cfg, 0x20, 4), 0x0000C001);
    /* the other BARs and the same offsets of other functions are left alone */
    latch(0x80000910);
    out(0xCFC, 4, 0x000001F1);
    assert_int_equal(in(0xCFC, 4), 0x000001F1);
    latch(0x80001808);
    put_le(find_func(BDF_NIC)->cfg, 0x08, 4, 0x02008000);
    assert_int_equal(in(0xCFC, 4), 0x02008000);
    latch(0x80001820);
    out(0xCFC, 4, 0x0000D001);
    assert_int_equal(in(0xCFC, 4), 0x0000D001);
}

static void test_emulated_function(void **state)
{
    (void)state;
    fresh();
    latch(0x80000000);
    assert_int_equal(in(0xCFC, 4), 0x71928086);
    assert_int_equal(in(0xCFE, 2), 0x7192);
    assert_int_equal(in(0xCFD, 1), 0x80);
    for (unsigned reg = 0; reg < 256; reg += 4) {
        latch(0x80000000 | reg);
        for (size_t i = 0; i < sizeof(legal) / sizeof(legal[0]); i++)
            in(legal[i].port, legal[i].size);
    }
    latch(0x80000004);
    out(0xCFC, 4, 0x00000006);
    out(0xCFC, 2, 0x0007);
    out(0xCFC, 1, 0x04);
    latch(0x80000058);
    out(0xCFD, 1, 0x33);
    assert_int_equal(bus.nlog, 0);
    assert_int_equal(bus.reads, 0);
    assert_int_equal(proxy.stats.bus_master_blocked, 0);
    assert_int_equal(bus.nemu, 3 + 64 * 7 + 4);
    const struct access *w = &bus.emu_log[bus.nemu - 4];
    assert_true(w[0].write && w[0].offset == 0x04 && w[0].size == 4 && w[0].value == 0x00000006);
    assert_true(w[1].write && w[1].offset == 0x04 && w[1].size == 2 && w[1].value == 0x0007);
    assert_true(w[2].write && w[2].offset == 0x04 && w[2].size == 1 && w[2].value == 0x04);
    assert_true(w[3].write && w[3].offset == 0x59 && w[3].size == 1 && w[3].value == 0x33);

    /* 00:00.1 is not emulated. */
    latch(0x80000100);
    assert_int_equal(in(0xCFC, 4), 0xFFFFFFFF);
    assert_int_equal(bus.nlog, 1);
    expect_log(0, false, 0x000100, 0, 4, 0xFFFFFFFF);
}

/* Without hooks, 00:00.0 is an ordinary function of the real bus. */
static void test_no_emulation_hooks(void **state)
{
    (void)state;
    fake_machine(0x00000001, 0);
    struct pci_proxy_ops ops = full_ops;
    ops.emulated_read = NULL;
    ops.emulated_write = NULL;
    ops.reset_control = NULL;
    ops.reset_control_read = NULL;
    ops.pm_base_changed = NULL;
    pci_proxy_init(&proxy, &ops);
    bus.nlog = 0;
    latch(0x80000000);
    assert_int_equal(in(0xCFC, 4), 0x12378086);
    latch(0x80000004);
    out(0xCFC, 2, 0x0006);
    expect_log(1, true, BDF_HOST, 0x04, 2, 0x0002);
    /* 0xCF9 with no reset hooks: the write goes nowhere, the read is 0. */
    out(0xCF9, 1, 0x06);
    assert_int_equal(in(0xCF9, 1), 0);
    assert_int_equal(bus.nlog, 2);
    /* PM writes with no hook: nothing to report to. */
    latch(0x80000B40);
    out(0xCFC, 4, 0x0000B001);
    assert_int_equal(bus.npm, 0);
}

/* A byte write to 0xCF9 is the reset control register, not the latch. */
static void test_reset_control(void **state)
{
    (void)state;
    fresh();
    latch(0x80001804);
    out(0xCF9, 1, 0x06);
    out(0xCF9, 1, 0x0E);
    out(0xCF9, 1, 0x1234502);               /* low byte only */
    assert_int_equal(bus.nrcr, 3);
    assert_int_equal(bus.rcr_written[0], 0x06);
    assert_int_equal(bus.rcr_written[1], 0x0E);
    assert_int_equal(bus.rcr_written[2], 0x02);
    bus.rcr_value = 0x04;
    assert_int_equal(in(0xCF9, 1), 0x04);
    assert_int_equal(in(0xCF8, 4), 0x80001804);
    assert_int_equal(bus.nlog, 0);
    assert_int_equal(proxy.stats.odd_accesses, 0);
    /* A dword write to 0xCF8 is still the latch, not a reset. */
    latch(0x80000600);
    assert_int_equal(bus.nrcr, 3);
}

static void expect_pm(unsigned i, uint16_t base, bool enabled)
{
    assert_true(i < bus.npm);
    if (bus.pm[i].base != base || bus.pm[i].enabled != enabled)
        fail_msg("PM report %u: base %#x %s; want %#x %s", i, bus.pm[i].base,
                 bus.pm[i].enabled ? "on" : "off", base, enabled ? "on" : "off");
}

/* Writes that can move or switch the PM I/O base are reported, after the write. */
static void test_pm_base_changes(void **state)
{
    (void)state;
    fresh();
    assert_int_equal(bus.npm, 1);
    latch(0x80000B40);
    out(0xCFC, 4, 0x0000B001);              /* PMBA, I/O space still off */
    expect_pm(1, 0xB000, false);
    latch(0x80000B80);
    out(0xCFC, 1, 0x01);                    /* PMREGMISC.PMIOSE on */
    expect_pm(2, 0xB000, true);
    out(0xCFC, 1, 0x00);                    /* off */
    expect_pm(3, 0xB000, false);
    out(0xCFC, 4, 0x00000001);              /* dword covering PMREGMISC: on */
    expect_pm(4, 0xB000, true);
    out(0xCFC, 2, 0x0001);                  /* word covering it */
    expect_pm(5, 0xB000, true);
    latch(0x80000B40);
    out(0xCFC, 2, 0x0601);                  /* PMBA low word */
    expect_pm(6, 0x0600, true);
    out(0xCFD, 1, 0xC0);                    /* PMBA byte 1 */
    expect_pm(7, 0xC000, true);
    out(0xCFC, 1, 0x41);                    /* PMBA byte 0: bits 7:6 are base bits */
    expect_pm(8, 0xC040, true);
    out(0xCFC, 1, 0x3F);                    /* bits 5:0 are not */
    expect_pm(9, 0xC000, true);
    out(0xCFC, 4, 0x00000001);              /* base 0 counts as disabled */
    expect_pm(10, 0x0000, false);
    assert_int_equal(bus.npm, 11);

    /* Writes that miss both registers report nothing. */
    out(0xCFE, 2, 0xFFFF);                  /* PMBA high word */
    out(0xCFF, 1, 0xFF);
    latch(0x80000B3C);
    out(0xCFC, 4, 0xFFFFFFFF);
    latch(0x80000B80);
    out(0xCFD, 1, 0xFF);                    /* 0x81 */
    out(0xCFE, 2, 0xFFFF);
    latch(0x80000B7C);
    out(0xCFC, 4, 0xFFFFFFFF);
    latch(0x80000B84);
    out(0xCFC, 4, 0xFFFFFFFF);
    latch(0x80001840);                      /* offset 0x40 of another function */
    out(0xCFC, 4, 0x0000D001);
    latch(0x80001880);
    out(0xCFC, 1, 0x01);
    latch(0x80000B40);                      /* reads never report */
    in(0xCFC, 4);
    latch(0x80000B80);
    in(0xCFC, 1);
    assert_int_equal(bus.npm, 11);

    /* The write itself reached the real PM function unchanged. */
    const struct func *pm = find_func(BDF_PM);
    assert_int_equal(get_le(pm->cfg, 0x40, 4), 0xFFFF0001);
    assert_int_equal(pm->cfg[0x80], 0x01);
}

static void test_constants(void **state)
{
    (void)state;
    assert_int_equal(PCI_BDF(0, 1, 3), 0x00000B00);
    assert_int_equal(PCI_BDF(1, 5, 2), 0x00012A00);
    assert_int_equal(PCI_BDF(255, 31, 7), 0x00FFFF00);
    assert_int_equal(PCI_ADDR_BUS(0x80012A3Cu), 1);
    assert_int_equal(PCI_ADDR_DEV(0x80012A3Cu), 5);
    assert_int_equal(PCI_ADDR_FN(0x80012A3Cu), 2);
    assert_int_equal(PCI_ADDR_REG(0x80012A3Fu), 0x3C);
    assert_int_equal(PIIX4_PM_ID, 0x71138086);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_finds_pm_function),
        cmocka_unit_test(test_init_reports_programmed_base),
        cmocka_unit_test(test_init_without_pm_function),
        cmocka_unit_test(test_address_latch),
        cmocka_unit_test(test_function_decode),
        cmocka_unit_test(test_enable_bit_clear),
        cmocka_unit_test(test_reads_at_every_offset),
        cmocka_unit_test(test_writes_at_every_offset),
        cmocka_unit_test(test_odd_accesses),
        cmocka_unit_test(test_bus_master_stripped),
        cmocka_unit_test(test_ide_bus_master_hidden),
        cmocka_unit_test(test_emulated_function),
        cmocka_unit_test(test_no_emulation_hooks),
        cmocka_unit_test(test_reset_control),
        cmocka_unit_test(test_pm_base_changes),
        cmocka_unit_test(test_constants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
