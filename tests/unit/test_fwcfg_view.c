/*
 * Unit tests for drivers/fwcfg_view: VTL0's view of QEMU's fw_cfg over a fake device.
 * The fake holds items by key the way QEMU does (docs/specs/fw_cfg.rst): numbers in the
 * file directory big-endian, FW_CFG_ID and FW_CFG_RAM_SIZE little-endian, reads past
 * the end of an item give 0, and the write-channel bit (0x4000) does not change which
 * item a key selects. Everything VTL0 should see is written out byte by byte.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/vdev/chipset/fwcfg_view.h"

/* ---- the fake device --------------------------------------------------------------- */

#define MAX_ITEMS   48
#define MAX_SELECTS 64
#define MAX_DIR     110

struct item {
    uint16_t key;
    const uint8_t *data;
    uint32_t len;
};

struct fake_fwcfg {
    bool absent;                    /* nothing decodes the ports: every byte reads 0xFF */
    struct item items[MAX_ITEMS];
    unsigned nitems;
    uint16_t cur;
    uint32_t offset;
    uint16_t selects[MAX_SELECTS];  /* every key written to the selector, raw */
    unsigned nselects;
    unsigned bytes_read;
    uint8_t dir[4 + MAX_DIR * 64];  /* the real FW_CFG_FILE_DIR */
};

static struct fake_fwcfg dev;

static void fake_select(void *ctx, uint16_t key)
{
    assert_ptr_equal(ctx, &dev);
    assert_true(dev.nselects < MAX_SELECTS);
    dev.selects[dev.nselects++] = key;
    dev.cur = key;
    dev.offset = 0;
}

static uint8_t fake_read_byte(void *ctx)
{
    assert_ptr_equal(ctx, &dev);
    dev.bytes_read++;
    if (dev.absent)
        return 0xFF;
    uint16_t key = dev.cur & 0xBFFF;    /* QEMU's FW_CFG_ENTRY_MASK, arch bit kept */
    for (unsigned i = 0; i < dev.nitems; i++) {
        if (dev.items[i].key == key) {
            if (dev.offset >= dev.items[i].len)
                return 0;
            return dev.items[i].data[dev.offset++];
        }
    }
    return 0;
}

static const struct fwcfg_ops fake_ops = { fake_select, fake_read_byte, &dev };

static void add_item(uint16_t key, const void *data, uint32_t len)
{
    assert_true(dev.nitems < MAX_ITEMS);
    dev.items[dev.nitems++] = (struct item){ key, data, len };
}

/* Appends one big-endian directory entry to the fake's real directory. */
static void add_file(uint32_t size, uint16_t select, const char *name)
{
    uint32_t n = ((uint32_t)dev.dir[0] << 24) | ((uint32_t)dev.dir[1] << 16) |
                 ((uint32_t)dev.dir[2] << 8) | dev.dir[3];
    assert_true(n < MAX_DIR);
    uint8_t *e = &dev.dir[4 + n * 64];
    e[0] = (uint8_t)(size >> 24);
    e[1] = (uint8_t)(size >> 16);
    e[2] = (uint8_t)(size >> 8);
    e[3] = (uint8_t)size;
    e[4] = (uint8_t)(select >> 8);
    e[5] = (uint8_t)select;
    assert_true(strlen(name) < 56);
    memcpy(&e[8], name, strlen(name));
    n++;
    dev.dir[0] = (uint8_t)(n >> 24);
    dev.dir[1] = (uint8_t)(n >> 16);
    dev.dir[2] = (uint8_t)(n >> 8);
    dev.dir[3] = (uint8_t)n;
    for (unsigned i = 0; i < dev.nitems; i++) {
        if (dev.items[i].key == FW_CFG_FILE_DIR)
            dev.items[i].len = 4 + n * 64;
    }
}

static const uint8_t SIG[] = { 'Q', 'E', 'M', 'U' };
static const uint8_t SIG_BAD[] = { 'Q', 'E', 'M', 'X' };
static const uint8_t ID_DMA[] = { 0x03, 0x00, 0x00, 0x00 };
/* The machine's RAM (VTL2 included): 6 GiB. */
static const uint8_t REAL_RAM_SIZE[] = { 0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00 };
static const uint8_t NB_CPUS[] = { 0x02, 0x00 };
static const uint8_t BOOT_DEVICE[] = { 0x63, 0x00 };
static const uint8_t MAX_CPUS[] = { 0x04, 0x00 };
static const uint8_t KERNEL_JUNK[] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };
static const uint8_t BOOTORDER[16] = {
    0x2F, 0x72, 0x6F, 0x6D, 0x40, 0x67, 0x65, 0x6E, 0x72, 0x6F, 0x6D, 0x73, 0x0A, 0x00, 0xAB, 0xCD,
};
static const uint8_t REAL_E820[60] = {  /* three entries, as QEMU would give the machine */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00,
    0x00, 0xC0, 0xFE, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x02, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x00, 0x00,
};
static const uint8_t ROM_BYTES[8] = { 0x55, 0xAA, 0x10, 0xE9, 0x01, 0x02, 0x03, 0x04 };
static const uint8_t ACPI_ARCH[4] = { 0x0A, 0x0B, 0x0C, 0x0D };

static const uint16_t KERNEL_KEYS[] = {
    0x07, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
};

/* A QEMU-like device: signature, ID with DMA, a few numeric items, eight files. */
static void fake_qemu(const uint8_t *signature)
{
    memset(&dev, 0, sizeof(dev));
    add_item(FW_CFG_SIGNATURE, signature, 4);
    add_item(FW_CFG_ID, ID_DMA, sizeof(ID_DMA));
    add_item(FW_CFG_RAM_SIZE, REAL_RAM_SIZE, sizeof(REAL_RAM_SIZE));
    add_item(0x05, NB_CPUS, sizeof(NB_CPUS));
    add_item(0x0c, BOOT_DEVICE, sizeof(BOOT_DEVICE));
    add_item(0x0f, MAX_CPUS, sizeof(MAX_CPUS));
    for (size_t i = 0; i < sizeof(KERNEL_KEYS) / sizeof(KERNEL_KEYS[0]); i++)
        add_item(KERNEL_KEYS[i], KERNEL_JUNK, sizeof(KERNEL_JUNK));
    add_item(FW_CFG_FILE_DIR, dev.dir, 4);
    add_item(0x20, BOOTORDER, sizeof(BOOTORDER));
    add_item(0x21, REAL_E820, sizeof(REAL_E820));
    add_item(0x22, ROM_BYTES, sizeof(ROM_BYTES));
    add_item(0x23, ROM_BYTES, sizeof(ROM_BYTES));
    add_item(0x25, ROM_BYTES, sizeof(ROM_BYTES));
    add_item(0x8000, ACPI_ARCH, sizeof(ACPI_ARCH));
    add_file(0x10, 0x20, "bootorder");
    add_file(0x3C, 0x21, "etc/e820");
    add_file(0x2000, 0x22, "genroms/kvmvapic.bin");
    add_file(0x600, 0x23, "genroms/multiboot_dma.bin");
    add_file(0x20000, 0x24, "etc/acpi/tables");
    add_file(0x400, 0x25, "genroms/linuxboot_dma.bin");
    add_file(0x1000, 0x26, "etc/table-loader");
    add_file(0x800, 0x27, "genroms/multiboot.bin");
}

static struct fwcfg_view view;

static void fresh(uint64_t below, uint64_t above)
{
    fake_qemu(SIG);
    memset(&view, 0xA5, sizeof(view));
    assert_int_equal(fwcfg_view_init(&view, below, above, &fake_ops), 0);
}

/* ---- port helpers ------------------------------------------------------------------ */

static void select_key(uint16_t key)
{
    uint32_t v = key;
    fwcfg_view_io(&view, FWCFG_PORT_SELECTOR, 2, true, &v);
}

static uint32_t in(uint16_t port, unsigned size)
{
    uint32_t v = 0xDEADBEEF;
    fwcfg_view_io(&view, port, size, false, &v);
    return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
    fwcfg_view_io(&view, port, size, true, &v);
}

/* Reads n bytes of the selected item through byte reads of the data port. */
static void read_bytes(uint8_t *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t v = in(FWCFG_PORT_DATA, 1);
        assert_true(v <= 0xFF);
        buf[i] = (uint8_t)v;
    }
}

static void expect_bytes(const uint8_t *want, size_t n)
{
    uint8_t got[128];
    assert_true(n <= sizeof(got));
    read_bytes(got, n);
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i])
            fail_msg("byte %zu: %#x, want %#x", i, got[i], want[i]);
    }
}

static void expect_zeros(size_t n)
{
    static const uint8_t zeros[128];
    expect_bytes(zeros, n);
}

/* One directory entry as VTL0 must see it. */
struct dir_entry {
    uint8_t size_be[4];
    uint8_t select_be[2];
    const char *name;
};

static void expect_dir_entry(const struct dir_entry *want)
{
    uint8_t e[64];
    read_bytes(e, sizeof(e));
    assert_memory_equal(e, want->size_be, 4);
    assert_memory_equal(e + 4, want->select_be, 2);
    assert_int_equal(e[6], 0);
    assert_int_equal(e[7], 0);
    assert_memory_equal(e + 8, want->name, strlen(want->name));
    for (size_t i = 8 + strlen(want->name); i < 64; i++)
        assert_int_equal(e[i], 0);
}

static void expect_directory(const struct dir_entry *want, uint8_t count)
{
    select_key(FW_CFG_FILE_DIR);
    const uint8_t count_be[4] = { 0, 0, 0, count };
    expect_bytes(count_be, 4);
    for (uint8_t i = 0; i < count; i++)
        expect_dir_entry(&want[i]);
    expect_zeros(64);               /* past the end */
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_init_reads_the_real_device(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    assert_true(view.present);
    assert_int_equal(view.features, 3);
    assert_int_equal(view.e820_key, 0x21);
    assert_int_equal(view.file_count, 4);
    assert_int_equal(view.selected, 0);
    assert_int_equal(view.stats.dma_refused + view.stats.data_writes + view.stats.hidden_reads +
                     view.stats.passthrough_reads, 0);
    /* Signature, ID, directory, then back to the signature. */
    static const uint16_t want[] = { 0x0000, 0x0001, 0x0019, 0x0000 };
    assert_int_equal(dev.nselects, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(dev.selects[i], want[i]);
    assert_int_equal(dev.bytes_read, 4 + 4 + 4 + 8 * 64);
}

/* Hidden files are gone, the count says so, etc/e820 has the size of VTL0's table. */
static void test_directory_below_4g_only(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    unsigned selects = dev.nselects, reads = dev.bytes_read;
    static const struct dir_entry want[] = {
        { { 0x00, 0x00, 0x00, 0x10 }, { 0x00, 0x20 }, "bootorder" },
        { { 0x00, 0x00, 0x00, 0x14 }, { 0x00, 0x21 }, "etc/e820" },
        { { 0x00, 0x02, 0x00, 0x00 }, { 0x00, 0x24 }, "etc/acpi/tables" },
        { { 0x00, 0x00, 0x10, 0x00 }, { 0x00, 0x26 }, "etc/table-loader" },
    };
    expect_directory(want, 4);
    /* Served from the view's copy: the device was neither selected nor read. */
    assert_int_equal(dev.nselects, selects);
    assert_int_equal(dev.bytes_read, reads);
    assert_int_equal(view.stats.hidden_reads, 4 + 5 * 64);
    assert_int_equal(view.stats.passthrough_reads, 0);
}

static void test_directory_with_ram_above_4g(void **state)
{
    (void)state;
    fresh(0xB0000000, 0x50000000);
    static const struct dir_entry want[] = {
        { { 0x00, 0x00, 0x00, 0x10 }, { 0x00, 0x20 }, "bootorder" },
        { { 0x00, 0x00, 0x00, 0x28 }, { 0x00, 0x21 }, "etc/e820" },
        { { 0x00, 0x02, 0x00, 0x00 }, { 0x00, 0x24 }, "etc/acpi/tables" },
        { { 0x00, 0x00, 0x10, 0x00 }, { 0x00, 0x26 }, "etc/table-loader" },
    };
    expect_directory(want, 4);
    /* The count read as one little-endian dword: big-endian 4. */
    select_key(FW_CFG_FILE_DIR);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x04000000);
}

static void test_e820_below_4g_only(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    unsigned selects = dev.nselects, reads = dev.bytes_read;
    select_key(0x21);
    static const uint8_t want[20] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,     /* address 0 */
        0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,     /* length 2 GiB */
        0x01, 0x00, 0x00, 0x00,                             /* E820_RAM */
    };
    expect_bytes(want, sizeof(want));
    expect_zeros(40);
    assert_int_equal(dev.nselects, selects);
    assert_int_equal(dev.bytes_read, reads);
}

static void test_e820_with_ram_above_4g(void **state)
{
    (void)state;
    fresh(0xB0000000, 0x50000000);
    select_key(0x21);
    static const uint8_t want[40] = {
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0xB0, 0x00, 0x00, 0x00, 0x00,
        0x01, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,     /* 4 GiB */
        0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00, 0x00,     /* 1.25 GiB */
        0x01, 0x00, 0x00, 0x00,
    };
    expect_bytes(want, sizeof(want));
    expect_zeros(8);

    /* The same table in dword and word reads; reselecting starts over. */
    select_key(0x21);
    static const uint32_t dwords[10] = {
        0x00000000, 0x00000000, 0xB0000000, 0x00000000, 0x00000001,
        0x00000000, 0x00000001, 0x50000000, 0x00000000, 0x00000001,
    };
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(in(FWCFG_PORT_DATA, 4), dwords[i]);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0);
    select_key(0x21);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x0000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x0000);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x00);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x0000);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0xB0);
}

/* FW_CFG_ID without the DMA bit. */
static void test_id_hides_dma(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    unsigned selects = dev.nselects;
    select_key(FW_CFG_ID);
    static const uint8_t want[4] = { 0x01, 0x00, 0x00, 0x00 };
    expect_bytes(want, 4);
    expect_zeros(4);
    select_key(FW_CFG_ID);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000001);
    assert_int_equal(dev.nselects, selects);
    assert_int_equal(FW_CFG_ID_TRADITIONAL, 0x1);
    assert_int_equal(FW_CFG_ID_DMA, 0x2);
}

/* FW_CFG_RAM_SIZE is VTL0's RAM, below plus above 4 GiB. */
static void test_ram_size(void **state)
{
    (void)state;
    fresh(0xB0000000, 0x50000000);
    select_key(FW_CFG_RAM_SIZE);
    static const uint8_t want[8] = { 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };
    expect_bytes(want, 8);
    expect_zeros(4);

    fresh(0x7000000, 0);
    select_key(FW_CFG_RAM_SIZE);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x07000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
}

/* The -kernel items read as zero and never reach the device. */
static void test_kernel_items_read_zero(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    for (size_t i = 0; i < sizeof(KERNEL_KEYS) / sizeof(KERNEL_KEYS[0]); i++) {
        unsigned selects = dev.nselects, reads = dev.bytes_read;
        select_key(KERNEL_KEYS[i]);
        if (in(FWCFG_PORT_DATA, 4) != 0 || in(FWCFG_PORT_DATA, 4) != 0)
            fail_msg("key %#x does not read zero", KERNEL_KEYS[i]);
        expect_zeros(2);
        assert_int_equal(dev.nselects, selects);
        assert_int_equal(dev.bytes_read, reads);
    }
}

/* The neighbours of the kernel items, and files, pass through with their own selector. */
static void test_pass_through(void **state)
{
    (void)state;
    fresh(0x80000000, 0);

    unsigned n = dev.nselects;
    select_key(0x0f);                           /* FW_CFG_MAX_CPUS */
    assert_int_equal(dev.nselects, n + 1);
    assert_int_equal(dev.selects[n], 0x0f);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x0004);

    select_key(0x0c);                           /* FW_CFG_BOOT_DEVICE */
    assert_int_equal(dev.selects[dev.nselects - 1], 0x0c);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x63);

    select_key(0x05);                           /* FW_CFG_NB_CPUS */
    assert_int_equal(dev.selects[dev.nselects - 1], 0x05);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x02);

    select_key(0x20);                           /* bootorder, in mixed sizes */
    assert_int_equal(dev.selects[dev.nselects - 1], 0x20);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x6D6F722F);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x40);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x6567);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x6D6F726E);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0xAB000A73);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x000000CD);  /* past the end: zeros */
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);

    select_key(0x8000);                         /* an arch-local item */
    assert_int_equal(dev.selects[dev.nselects - 1], 0x8000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x0D0C0B0A);

    select_key(FW_CFG_SIGNATURE);
    assert_int_equal(dev.selects[dev.nselects - 1], 0x0000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x554D4551);   /* "QEMU" */

    assert_int_equal(view.stats.passthrough_reads, 2 + 1 + 1 + 23 + 4 + 4);
    assert_int_equal(view.stats.hidden_reads, 0);
}

/* After init the signature is selected: a read without a selector write gives "QEMU". */
static void test_signature_selected_after_init(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    static const uint8_t want[4] = { 'Q', 'E', 'M', 'U' };
    expect_bytes(want, 4);
}

/* The DMA registers (0x514-0x51B) are refused and counted; nothing reaches the device. */
static void test_dma_ports_refused(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    unsigned selects = dev.nselects, reads = dev.bytes_read;
    out(FWCFG_PORT_DMA_HIGH, 4, 0x00000000);
    out(FWCFG_PORT_DMA_LOW, 4, 0x00100000);
    out(0x51B, 1, 0xFF);
    assert_int_equal(in(FWCFG_PORT_DMA_HIGH, 4), 0);
    assert_int_equal(in(FWCFG_PORT_DMA_LOW, 4), 0);
    assert_int_equal(in(0x516, 2), 0);
    assert_int_equal(view.stats.dma_refused, 6);
    assert_int_equal(dev.nselects, selects);
    assert_int_equal(dev.bytes_read, reads);
    assert_int_equal(FWCFG_PORT_DMA_HIGH, 0x514);
    assert_int_equal(FWCFG_PORT_DMA_LOW, 0x518);
}

/* Data-port writes are ignored and counted; a byte write to the selector is one too. */
static void test_data_writes_counted(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    select_key(0x20);
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x2F);
    unsigned selects = dev.nselects;
    out(FWCFG_PORT_DATA, 1, 0x41);
    out(FWCFG_PORT_DATA, 2, 0x4142);
    out(FWCFG_PORT_DATA, 4, 0x41424344);
    out(FWCFG_PORT_SELECTOR, 1, 0x19);
    assert_int_equal(view.stats.data_writes, 4);
    assert_int_equal(dev.nselects, selects);
    /* The selection and the position are unchanged. */
    assert_int_equal(in(FWCFG_PORT_DATA, 1), 0x72);
}

/* A device that does not answer "QEMU" reads as absent: all-ones everywhere. */
static void test_absent_device(void **state)
{
    (void)state;
    for (int variant = 0; variant < 2; variant++) {
        fake_qemu(SIG_BAD);
        dev.absent = variant == 1;
        memset(&view, 0xA5, sizeof(view));
        assert_int_equal(fwcfg_view_init(&view, 0x80000000, 0, &fake_ops), -ENODEV);
        assert_false(view.present);
        unsigned selects = dev.nselects, reads = dev.bytes_read;
        assert_int_equal(selects, 1);               /* only the signature was tried */
        select_key(FW_CFG_ID);
        out(FWCFG_PORT_DATA, 1, 0);
        out(FWCFG_PORT_DMA_LOW, 4, 0x1000);
        assert_int_equal(in(FWCFG_PORT_DATA, 1), 0xFFFFFFFF);
        assert_int_equal(in(FWCFG_PORT_DATA, 2), 0xFFFFFFFF);
        assert_int_equal(in(FWCFG_PORT_DATA, 4), 0xFFFFFFFF);
        assert_int_equal(in(FWCFG_PORT_SELECTOR, 2), 0xFFFFFFFF);
        assert_int_equal(in(FWCFG_PORT_DMA_HIGH, 4), 0xFFFFFFFF);
        assert_int_equal(dev.nselects, selects);
        assert_int_equal(dev.bytes_read, reads);
    }
}

/*
 * QEMU picks the item from key & ~0x4000 (FW_CFG_ENTRY_MASK keeps the arch bit), so the
 * write-channel alias of a synthetic key must give VTL0's view too, not the machine's.
 */
static void test_write_channel_alias(void **state)
{
    (void)state;
    fresh(0x80000000, 0);
    select_key(0x4000 | FW_CFG_ID);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000001);
    select_key(0x4000 | FW_CFG_RAM_SIZE);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x80000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    select_key(0x4000 | FW_CFG_FILE_DIR);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x04000000);
    select_key(0x4000 | 0x21);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x80000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000001);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    select_key(0x4000 | 0x08);                  /* FW_CFG_KERNEL_SIZE */
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x00000000);
    /* A pass-through item still reads the same through its alias. */
    select_key(0x4000 | 0x0f);
    assert_int_equal(dev.selects[dev.nselects - 1], 0x000f);
    assert_int_equal(in(FWCFG_PORT_DATA, 2), 0x0004);
}

/* More files than the view keeps: the first FWCFG_MAX_FILES (96) stay, all are consumed. */
static void test_directory_overflow(void **state)
{
    (void)state;
    memset(&dev, 0, sizeof(dev));
    add_item(FW_CFG_SIGNATURE, SIG, 4);
    add_item(FW_CFG_ID, ID_DMA, 4);
    add_item(FW_CFG_FILE_DIR, dev.dir, 4);
    for (unsigned i = 0; i < 100; i++) {
        char name[16];
        snprintf(name, sizeof(name), "opt/f%03u", i);
        add_file(i + 1, (uint16_t)(0x20 + i), name);
    }
    assert_int_equal(fwcfg_view_init(&view, 0x80000000, 0, &fake_ops), 0);
    assert_int_equal(view.file_count, 96);
    assert_int_equal(view.e820_key, 0);
    assert_int_equal(dev.bytes_read, 4 + 4 + 4 + 100 * 64);
    select_key(FW_CFG_FILE_DIR);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x60000000);
    /* Entry 95, the last kept: size 96, select 0x7F, "opt/f095". */
    for (unsigned i = 0; i < 95 * 16; i++)
        in(FWCFG_PORT_DATA, 4);
    const struct dir_entry last = { { 0x00, 0x00, 0x00, 0x60 }, { 0x00, 0x7F }, "opt/f095" };
    expect_dir_entry(&last);
    expect_zeros(64);
}

/* ---- the directory carried across servicing ------------------------------------------ */

/* What the old instance hands over builds the same view in the new one, and the new one
 * touches nothing of the real device doing so (VTL0 may be halfway through an item). */
static void test_carried_directory_builds_the_same_view(void **state)
{
    (void)state;
    fresh(0x7FE00000, 0x40000000);
    static struct fwcfg_carry carry;
    fwcfg_view_carry(&view, &carry);
    assert_int_equal(carry.magic, FWCFG_CARRY_MAGIC);
    assert_int_equal(carry.count, 4);
    static struct fwcfg_view read;
    read = view;
    unsigned selects = dev.nselects, bytes = dev.bytes_read;
    memset(&view, 0xA5, sizeof(view));
    assert_int_equal(fwcfg_view_init_carried(&view, 0x7FE00000, 0x40000000, &fake_ops, &carry), 0);
    assert_int_equal(dev.nselects, selects);
    assert_int_equal(dev.bytes_read, bytes);
    assert_true(view.present);
    assert_int_equal(view.features, read.features);
    assert_int_equal(view.e820_key, read.e820_key);
    assert_int_equal(view.file_count, read.file_count);
    assert_memory_equal(view.dir, read.dir, read.file_count * sizeof(read.dir[0]));
    assert_int_equal(view.e820_count, read.e820_count);
    assert_memory_equal(view.e820, read.e820, read.e820_count * sizeof(read.e820[0]));
    assert_int_equal(view.selected, FW_CFG_SIGNATURE);
    /* And VTL0 reads the same directory through it. */
    select_key(FW_CFG_FILE_DIR);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 0x04000000);
    const struct dir_entry first = { { 0x00, 0x00, 0x00, 0x10 }, { 0x00, 0x20 }, "bootorder" };
    expect_dir_entry(&first);

    /* No device at the old instance: nothing carried, the new one reads the device. */
    fake_qemu(SIG_BAD);
    assert_int_equal(fwcfg_view_init(&view, 0x80000000, 0, &fake_ops), -ENODEV);
    fwcfg_view_carry(&view, &carry);
    assert_int_equal(carry.magic, 0);
    assert_int_equal(fwcfg_view_init_carried(&view, 0x80000000, 0, &fake_ops, &carry), -EINVAL);
}

/* A record is checked before anything is taken, and its entries go through this
 * version's filter: hidden files dropped, etc/e820 given VTL0's size, names ended. */
static void test_carried_record_checked_and_filtered(void **state)
{
    (void)state;
    fake_qemu(SIG);
    unsigned bytes = dev.bytes_read;
    static struct fwcfg_carry carry;
    memset(&carry, 0, sizeof(carry));
    carry.magic = FWCFG_CARRY_MAGIC;
    carry.count = FWCFG_MAX_FILES + 1;
    assert_int_equal(fwcfg_view_init_carried(&view, 0x80000000, 0, &fake_ops, &carry), -EINVAL);
    carry.magic = FWCFG_CARRY_MAGIC ^ 1;
    carry.count = 1;
    assert_int_equal(fwcfg_view_init_carried(&view, 0x80000000, 0, &fake_ops, &carry), -EINVAL);

    carry.magic = FWCFG_CARRY_MAGIC;
    carry.features = 3;
    carry.count = 3;
    carry.dir[0] = (struct fwcfg_file){ .size_be = 0x00100000, .select_be = 0x2200 };
    strcpy(carry.dir[0].name, "genroms/multiboot.bin");
    carry.dir[1] = (struct fwcfg_file){ .size_be = 0x3C000000, .select_be = 0x2100 };
    strcpy(carry.dir[1].name, "etc/e820");                       /* QEMU's 60 bytes */
    carry.dir[2] = (struct fwcfg_file){ .size_be = 0x10000000, .select_be = 0x2000 };
    memset(carry.dir[2].name, 'x', sizeof(carry.dir[2].name));   /* no NUL */
    assert_int_equal(fwcfg_view_init_carried(&view, 0x80000000, 0, &fake_ops, &carry), 0);
    assert_int_equal(dev.bytes_read, bytes);
    assert_int_equal(view.file_count, 2);
    assert_int_equal(view.e820_key, 0x21);
    assert_string_equal(view.dir[0].name, "etc/e820");
    assert_int_equal(view.dir[0].size_be, 0x14000000);           /* one entry of 20 bytes */
    assert_int_equal(strlen(view.dir[1].name), FWCFG_NAME_LEN - 1);
    assert_int_equal(view.features, 3);
    select_key(FW_CFG_ID);
    assert_int_equal(in(FWCFG_PORT_DATA, 4), 1);                 /* DMA still hidden */
}

static void test_hidden_file_names(void **state)
{
    (void)state;
    assert_true(fwcfg_hidden_file("genroms/multiboot_dma.bin"));
    assert_true(fwcfg_hidden_file("genroms/multiboot.bin"));
    assert_true(fwcfg_hidden_file("genroms/linuxboot_dma.bin"));
    assert_true(fwcfg_hidden_file("genroms/linuxboot.bin"));
    /* kvmvapic drives QEMU's vapic port, which writes physical memory: hidden too. */
    assert_true(fwcfg_hidden_file("genroms/kvmvapic.bin"));
    assert_false(fwcfg_hidden_file("genroms/linux"));
    assert_false(fwcfg_hidden_file("etc/e820"));
    assert_false(fwcfg_hidden_file("bootorder"));
    assert_false(fwcfg_hidden_file("opt/genroms/multiboot.bin"));
    assert_false(fwcfg_hidden_file(""));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_reads_the_real_device),
        cmocka_unit_test(test_carried_directory_builds_the_same_view),
        cmocka_unit_test(test_carried_record_checked_and_filtered),
        cmocka_unit_test(test_directory_below_4g_only),
        cmocka_unit_test(test_directory_with_ram_above_4g),
        cmocka_unit_test(test_e820_below_4g_only),
        cmocka_unit_test(test_e820_with_ram_above_4g),
        cmocka_unit_test(test_id_hides_dma),
        cmocka_unit_test(test_ram_size),
        cmocka_unit_test(test_kernel_items_read_zero),
        cmocka_unit_test(test_pass_through),
        cmocka_unit_test(test_signature_selected_after_init),
        cmocka_unit_test(test_dma_ports_refused),
        cmocka_unit_test(test_data_writes_counted),
        cmocka_unit_test(test_absent_device),
        cmocka_unit_test(test_write_channel_alias),
        cmocka_unit_test(test_directory_overflow),
        cmocka_unit_test(test_hidden_file_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
