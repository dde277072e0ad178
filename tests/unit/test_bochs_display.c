/*
 * Unit tests for drivers/bochs_display: PCI config space (IDs, BAR sizing, the command
 * register), placement of VRAM, BAR2 and the ROM as VTL0 programs and moves BARs, DISPI
 * register semantics through BAR2 and through the ports, the EDID SeaVGABIOS parses,
 * reset, and save/restore. Expected values are QEMU's bochs-display where it has one.
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

#include "drivers/vdev/display/bochs_display.h"
#include "bochs_display.pb.h"
#include "kernel/lib/pb_codec.h"

/* The saved state as its schema's message (mezzanine.vdev.bochs_display.SavedState). */
typedef mezzanine_vdev_bochs_display_SavedState bochs_msg;
#define BOCHS_MSG_FIELDS mezzanine_vdev_bochs_display_SavedState_fields

struct state_bytes {
    uint8_t b[BOCHS_DISPLAY_STATE_MAX_LEN];
    size_t len;
};

static struct state_bytes save_bytes(const struct bochs_display *d)
{
    struct state_bytes out;
    assert_int_equal(bochs_display_save_state(d, out.b, sizeof(out.b), &out.len), 0);
    return out;
}

static void save_msg(const struct bochs_display *d, bochs_msg *m)
{
    struct state_bytes s = save_bytes(d);
    assert_int_equal(pb_codec_decode(BOCHS_MSG_FIELDS, m, s.b, s.len), 0);
}

static int restore_msg(struct bochs_display *d, const bochs_msg *m)
{
    struct state_bytes blob;
    assert_int_equal(pb_codec_encode(BOCHS_MSG_FIELDS, m, blob.b, sizeof(blob.b), &blob.len), 0);
    return bochs_display_restore_state(d, blob.b, blob.len);
}

#define VRAM (8u << 20)
#define ROM_LEN 28672u          /* vgabios-bochs-display.bin's size */

/* ---- a recording backend ------------------------------------------------------------------ */

enum call_kind { MAP_VRAM, UNMAP_VRAM, SET_FORMAT, MOVE_MMIO, MOVE_ROM };

struct call {
    enum call_kind kind;
    bool active;
    uint64_t gpa;
    struct fb_format f;
};

static struct call calls[64];
static unsigned ncalls;
static int map_result;

static void push(struct call c)
{
    assert_true(ncalls < 64);
    calls[ncalls++] = c;
}

static int op_map(void *ctx, uint64_t gpa)
{
    (void)ctx;
    push((struct call){ .kind = MAP_VRAM, .active = true, .gpa = gpa });
    return map_result;
}

static void op_unmap(void *ctx)
{
    (void)ctx;
    push((struct call){ .kind = UNMAP_VRAM });
}

static void op_format(void *ctx, const struct fb_format *f)
{
    (void)ctx;
    push((struct call){ .kind = SET_FORMAT, .f = *f });
}

static void op_move(void *ctx, enum bochs_region r, bool active, uint64_t gpa)
{
    (void)ctx;
    push((struct call){ .kind = r == BOCHS_REGION_MMIO ? MOVE_MMIO : MOVE_ROM,
                        .active = active, .gpa = gpa });
}

static const struct bochs_display_ops ops = { op_map, op_unmap, op_format, op_move, NULL };
static uint8_t rom[ROM_LEN];
static struct bochs_display dev;

static int setup(void **state)
{
    (void)state;
    ncalls = 0;
    map_result = 0;
    for (unsigned i = 0; i < ROM_LEN; i++)
        rom[i] = (uint8_t)(i ^ 0x5A);
    const struct bochs_display_config cfg = { VRAM, rom, ROM_LEN, 1024, 768 };
    assert_int_equal(bochs_display_init(&dev, &cfg, &ops), 0);
    return 0;
}

static void expect(unsigned i, enum call_kind kind, bool active, uint64_t gpa)
{
    assert_true(i < ncalls);
    assert_int_equal(calls[i].kind, kind);
    assert_int_equal(calls[i].active, active);
    assert_int_equal(calls[i].gpa, gpa);
}

static uint32_t cfg_read(unsigned off, unsigned size)
{
    return bochs_display_config_read(&dev, off, size);
}

static void cfg_write(unsigned off, unsigned size, uint32_t v)
{
    bochs_display_config_write(&dev, off, size, v);
}

static void dispi(uint16_t index, uint16_t value)
{
    bochs_dispi_write(&dev, index, value);
}

static void set_mode(uint16_t w, uint16_t h, uint16_t bpp)
{
    dispi(DISPI_INDEX_ENABLE, 0);
    dispi(DISPI_INDEX_XRES, w);
    dispi(DISPI_INDEX_YRES, h);
    dispi(DISPI_INDEX_BPP, bpp);
    dispi(DISPI_INDEX_ENABLE, DISPI_ENABLED | DISPI_LFB_ENABLED);
}

static void expect_format(unsigned i, uint32_t w, uint32_t h, uint32_t pitch, uint32_t offset)
{
    assert_true(i < ncalls);
    assert_int_equal(calls[i].kind, SET_FORMAT);
    assert_int_equal(calls[i].f.width, w);
    assert_int_equal(calls[i].f.height, h);
    assert_int_equal(calls[i].f.bytes_per_line, pitch);
    assert_int_equal(calls[i].f.offset, offset);
}

/* ---- config space ------------------------------------------------------------------------- */

static void test_init_validates(void **state)
{
    (void)state;
    struct bochs_display d;
    struct bochs_display_config cfg = { VRAM, NULL, 0, 1024, 768 };
    assert_int_equal(bochs_display_init(&d, &cfg, NULL), 0);
    cfg.vram_size = VRAM + 4096;
    assert_int_equal(bochs_display_init(&d, &cfg, NULL), -EINVAL);
    cfg.vram_size = VRAM;
    cfg.rom_size = 10;                     /* a size without an image */
    assert_int_equal(bochs_display_init(&d, &cfg, NULL), -EINVAL);
    cfg.rom_size = 0;
    cfg.edid_width = 32;
    assert_int_equal(bochs_display_init(&d, &cfg, NULL), -EINVAL);
}

static void test_identity(void **state)
{
    (void)state;
    assert_int_equal(cfg_read(0x00, 4), 0x11111234);
    assert_int_equal(cfg_read(0x00, 2), 0x1234);
    assert_int_equal(cfg_read(0x03, 1), 0x11);
    assert_int_equal(cfg_read(0x08, 4), 0x03800002);       /* class 038000, revision 2 */
    assert_int_equal(cfg_read(0x0E, 1), 0x00);             /* type 0, single function */
    assert_int_equal(cfg_read(0x2C, 4), 0x11001AF4);
    assert_int_equal(cfg_read(0x3D, 1), 0);                /* no interrupt pin */
    assert_int_equal(cfg_read(0x06, 2), 0);                /* status: no capabilities */
    assert_int_equal(cfg_read(0x34, 1), 0);
    assert_int_equal(cfg_read(0x04, 2), 0);                /* power-on: nothing decoded */
    assert_int_equal(cfg_read(0x10, 4), 0x00000008);       /* BAR0: prefetchable memory */
    assert_int_equal(cfg_read(0xFC, 4), 0);
    assert_int_equal(ncalls, 0);
}

static void test_bad_config_accesses(void **state)
{
    (void)state;
    assert_int_equal(cfg_read(0x02, 4), 0xFFFFFFFF);       /* misaligned */
    assert_int_equal(cfg_read(0x00, 3), 0xFFFFFFFF);
    cfg_write(0x05, 2, 0xFFFF);
    assert_int_equal(cfg_read(0x04, 2), 0);
    assert_int_equal(dev.stats.bad_accesses, 3);
}

static void test_bar_sizing(void **state)
{
    (void)state;
    static const unsigned bars[] = { 0x10, 0x14, 0x18, 0x1C, 0x20, 0x24, 0x30 };
    static const uint32_t sized[] = { 0xFF800008, 0, 0xFFFFF000, 0, 0, 0, 0xFFFF8000 };
    for (unsigned i = 0; i < 7; i++) {
        cfg_write(bars[i], 4, i == 6 ? 0xFFFFFFFE : 0xFFFFFFFF);
        assert_int_equal(cfg_read(bars[i], 4), sized[i]);
    }
    /* The ROM BAR keeps its enable bit. */
    cfg_write(0x30, 4, 0xFFFFFFFF);
    assert_int_equal(cfg_read(0x30, 4), 0xFFFF8001);
    /* Writes to the unimplemented BARs are counted. */
    assert_int_equal(dev.stats.config_writes_ignored, 16);
}

static void test_rom_bar_absent_without_image(void **state)
{
    (void)state;
    struct bochs_display_config cfg = { VRAM, NULL, 0, 1024, 768 };
    assert_int_equal(bochs_display_init(&dev, &cfg, &ops), 0);
    cfg_write(0x30, 4, 0xFFFFFFFE);
    assert_int_equal(cfg_read(0x30, 4), 0);
}

static void test_rom_bar_size_rounds_up(void **state)
{
    (void)state;
    struct bochs_display_config cfg = { VRAM, rom, 1, 1024, 768 };
    assert_int_equal(bochs_display_init(&dev, &cfg, &ops), 0);
    cfg_write(0x30, 4, 0xFFFFFFFE);
    assert_int_equal(cfg_read(0x30, 4), 0xFFFFF000);       /* 4 KiB, our minimum */
    cfg.rom_size = 0x8001;
    assert_int_equal(bochs_display_init(&dev, &cfg, &ops), 0);
    cfg_write(0x30, 4, 0xFFFFFFFE);
    assert_int_equal(cfg_read(0x30, 4), 0xFFFF0000);
}

static void test_command_register(void **state)
{
    (void)state;
    cfg_write(0x04, 4, 0xFFFFFFFF);                       /* status bytes ignored silently */
    assert_int_equal(cfg_read(0x04, 4), 0x00000547);
    assert_int_equal(dev.stats.config_writes_ignored, 0);
    cfg_write(0x3C, 1, 0x0B);
    cfg_write(0x0C, 1, 0x10);
    assert_int_equal(cfg_read(0x3C, 2), 0x000B);
    assert_int_equal(cfg_read(0x0C, 1), 0x10);
}

/* ---- placement ---------------------------------------------------------------------------- */

static void test_vram_follows_bar0_and_memory_decoding(void **state)
{
    (void)state;
    cfg_write(0x10, 4, 0xE0000000);
    assert_int_equal(ncalls, 0);                          /* decoding off */
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY);
    assert_int_equal(ncalls, 1);
    expect(0, MAP_VRAM, true, 0xE0000000);
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY | BOCHS_CMD_IO);  /* no change of placement */
    assert_int_equal(ncalls, 1);
    cfg_write(0x10, 4, 0xD0800000);                       /* a move */
    assert_int_equal(ncalls, 2);
    expect(1, MAP_VRAM, true, 0xD0800000);
    cfg_write(0x10, 4, 0xD0800000);                       /* the same address: nothing */
    assert_int_equal(ncalls, 2);
    cfg_write(0x04, 2, 0);                                /* decoding off: unmapped */
    assert_int_equal(ncalls, 3);
    assert_int_equal(calls[2].kind, UNMAP_VRAM);
    assert_int_equal(dev.stats.vram_moves, 2);
}

static void test_bar0_sizing_pattern_is_not_a_place(void **state)
{
    (void)state;
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY);
    cfg_write(0x10, 4, 0xE0000000);
    cfg_write(0x10, 4, 0xFFFFFFFF);                       /* sized with decoding on */
    cfg_write(0x10, 4, 0xE0000000);
    assert_int_equal(ncalls, 3);
    expect(0, MAP_VRAM, true, 0xE0000000);
    assert_int_equal(calls[1].kind, UNMAP_VRAM);          /* 0xFF800000 + 8 MiB = 4 GiB */
    expect(2, MAP_VRAM, true, 0xE0000000);
    cfg_write(0x10, 4, 0xFF000000);                       /* the highest usable place */
    expect(3, MAP_VRAM, true, 0xFF000000);
    cfg_write(0x10, 4, 0);                                /* address 0: unplaced */
    assert_int_equal(calls[4].kind, UNMAP_VRAM);
}

static void test_bar0_byte_writes(void **state)
{
    (void)state;
    cfg_write(0x10, 4, 0xE0000000);
    cfg_write(0x04, 1, BOCHS_CMD_MEMORY);
    cfg_write(0x13, 1, 0xD0);                             /* only the top byte */
    assert_int_equal(cfg_read(0x10, 4), 0xD0000008);
    cfg_write(0x12, 1, 0x80);
    assert_int_equal(cfg_read(0x10, 4), 0xD0800008);
    cfg_write(0x11, 1, 0xFF);                             /* below the size: read-only */
    assert_int_equal(cfg_read(0x10, 4), 0xD0800008);
    assert_int_equal(ncalls, 3);
    expect(1, MAP_VRAM, true, 0xD0000000);
    expect(2, MAP_VRAM, true, 0xD0800000);
}

static void test_map_failure_counted(void **state)
{
    (void)state;
    map_result = -EEXIST;
    cfg_write(0x10, 4, 0xE0000000);
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY);
    assert_int_equal(dev.stats.vram_map_failed, 1);
}

static void test_mmio_and_rom_follow_their_bars(void **state)
{
    (void)state;
    cfg_write(0x18, 4, 0xFEBF0000);
    cfg_write(0x30, 4, 0xFEB00000);                       /* ROM not enabled yet */
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY);
    assert_int_equal(ncalls, 1);
    expect(0, MOVE_MMIO, true, 0xFEBF0000);
    cfg_write(0x30, 4, 0xFEB00001);
    expect(1, MOVE_ROM, true, 0xFEB00000);
    cfg_write(0x18, 4, 0xFEBF1000);
    expect(2, MOVE_MMIO, true, 0xFEBF1000);
    cfg_write(0x30, 4, 0xFEB00000);                       /* ROM disabled */
    expect(3, MOVE_ROM, false, 0);
    cfg_write(0x04, 2, 0);
    expect(4, MOVE_MMIO, false, 0);
    assert_int_equal(ncalls, 5);
}

/* ---- DISPI -------------------------------------------------------------------------------- */

static void test_dispi_fixed_registers(void **state)
{
    (void)state;
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_ID), 0xB0C5);
    dispi(DISPI_INDEX_ID, 0xB0C0);                        /* stored, never read back */
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_ID), 0xB0C5);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_VIDEO_MEMORY_64K), 128);
    dispi(DISPI_INDEX_VIDEO_MEMORY_64K, 1);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_VIDEO_MEMORY_64K), 128);
    assert_int_equal(bochs_dispi_read(&dev, 0x0B), 0xFFFF);
    assert_int_equal(bochs_dispi_read(&dev, 0xFFFF), 0xFFFF);
    for (uint16_t i = DISPI_INDEX_XRES; i < DISPI_REG_COUNT; i++)
        assert_int_equal(bochs_dispi_read(&dev, i), 0);   /* power-on */
}

static void test_dispi_getcaps(void **state)
{
    (void)state;
    dispi(DISPI_INDEX_XRES, 800);
    dispi(DISPI_INDEX_ENABLE, DISPI_GETCAPS);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_XRES), 2560);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_YRES), 1600);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_BPP), 32);
    dispi(DISPI_INDEX_ENABLE, 0);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_XRES), 800);
}

static void test_dispi_enable_sets_format(void **state)
{
    (void)state;
    set_mode(1024, 768, 32);
    assert_int_equal(ncalls, 1);
    expect_format(0, 1024, 768, 4096, 0);
    assert_int_equal(dev.stats.modes_set, 1);
    /* Registers written while disabled set nothing. */
    set_mode(800, 600, 32);
    assert_int_equal(ncalls, 2);
    expect_format(1, 800, 600, 3200, 0);
    /* Disabling keeps the format. */
    dispi(DISPI_INDEX_ENABLE, 0);
    assert_int_equal(ncalls, 2);
}

static void test_dispi_virtual_width_and_offsets(void **state)
{
    (void)state;
    dispi(DISPI_INDEX_VIRT_WIDTH, 1280);
    set_mode(1024, 768, 32);
    expect_format(0, 1024, 768, 5120, 0);
    /* Panning while enabled: a new offset. */
    dispi(DISPI_INDEX_Y_OFFSET, 10);
    expect_format(1, 1024, 768, 5120, 10 * 5120);
    dispi(DISPI_INDEX_X_OFFSET, 16);
    expect_format(2, 1024, 768, 5120, 10 * 5120 + 64);
    /* A virtual width below XRES counts as XRES (QEMU's rule). */
    dispi(DISPI_INDEX_VIRT_WIDTH, 100);
    expect_format(3, 1024, 768, 4096, 10 * 4096 + 64);
    /* BANK and VIRT_HEIGHT writes re-evaluate only the geometry ones. */
    dispi(DISPI_INDEX_BANK, 3);
    assert_int_equal(ncalls, 4);
}

static void test_dispi_refuses_other_modes(void **state)
{
    (void)state;
    set_mode(1024, 768, 32);
    unsigned n = ncalls;
    static const uint16_t depths[] = { 0, 4, 8, 15, 16, 24 };
    for (unsigned i = 0; i < 6; i++)
        set_mode(640, 480, depths[i]);
    set_mode(63, 480, 32);                                /* smaller than QEMU allows */
    set_mode(640, 63, 32);
    set_mode(2561, 768, 32);                              /* beyond the VBE limits */
    set_mode(1024, 1601, 32);
    dispi(DISPI_INDEX_ENABLE, 0);
    dispi(DISPI_INDEX_VIRT_WIDTH, 0xFFFF);                /* pitch * height past VRAM */
    set_mode(1024, 768, 32);
    dispi(DISPI_INDEX_ENABLE, 0);
    dispi(DISPI_INDEX_VIRT_WIDTH, 0);
    dispi(DISPI_INDEX_Y_OFFSET, 1500);                    /* offset + size past VRAM */
    set_mode(1024, 768, 32);
    assert_int_equal(ncalls, n);                          /* the format never changed */
    assert_int_equal(dev.stats.modes_refused, 12);
    /* Exactly filling VRAM is fine: 1024 x 2048 would be too tall, 8 MiB = 2048 lines. */
    dispi(DISPI_INDEX_ENABLE, 0);
    dispi(DISPI_INDEX_Y_OFFSET, 2048 - 768);
    set_mode(1024, 768, 32);
    expect_format(n, 1024, 768, 4096, (2048 - 768) * 4096);
}

static void test_dispi_ports(void **state)
{
    (void)state;
    uint32_t v = DISPI_INDEX_XRES;
    bochs_display_port_io(&dev, 0x1CE, 2, true, &v);
    v = 1024;
    bochs_display_port_io(&dev, 0x1CF, 2, true, &v);
    v = 0;
    bochs_display_port_io(&dev, 0x1CE, 2, false, &v);
    assert_int_equal(v, DISPI_INDEX_XRES);
    bochs_display_port_io(&dev, 0x1CF, 2, false, &v);
    assert_int_equal(v, 1024);
    bochs_display_port_io(&dev, 0x1D0, 2, false, &v);     /* QEMU's second data port */
    assert_int_equal(v, 1024);
    v = DISPI_INDEX_ID;
    bochs_display_port_io(&dev, 0x1CE, 1, true, &v);
    bochs_display_port_io(&dev, 0x1CF, 1, false, &v);
    assert_int_equal(v, 0xC5);
    bochs_display_port_io(&dev, 0x1CF, 4, false, &v);
    assert_int_equal(v, 0xFFFFFFFF);
    assert_int_equal(dev.stats.bad_accesses, 1);
    /* A mode set through the ports alone. */
    static const uint16_t seq[][2] = { { 4, 0 }, { 1, 800 }, { 2, 600 }, { 3, 32 }, { 4, 0x41 } };
    for (unsigned i = 0; i < 5; i++) {
        v = seq[i][0];
        bochs_display_port_io(&dev, 0x1CE, 2, true, &v);
        v = seq[i][1];
        bochs_display_port_io(&dev, 0x1CF, 2, true, &v);
    }
    expect_format(0, 800, 600, 3200, 0);
}

/* ---- BAR2 ----------------------------------------------------------------------------------- */

static void test_mmio_dispi(void **state)
{
    (void)state;
    assert_int_equal(bochs_display_mmio_read(&dev, 0x500, 2), 0xB0C5);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x501, 1), 0xB0);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x514, 2), 128);   /* VIDEO_MEMORY_64K */
    /* A 32-bit write covers two registers (XRES, YRES). */
    bochs_display_mmio_write(&dev, 0x502, 4, (600u << 16) | 800);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_XRES), 800);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_YRES), 600);
    /* A byte write changes only its byte. */
    bochs_display_mmio_write(&dev, 0x503, 1, 0x04);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_XRES), 0x420);
    bochs_display_mmio_write(&dev, 0x502, 2, 1024);
    bochs_display_mmio_write(&dev, 0x506, 2, 32);
    bochs_display_mmio_write(&dev, 0x508, 2, DISPI_ENABLED);
    expect_format(0, 1024, 600, 4096, 0);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x500, 8),
                     0xB0C5ull | 1024ull << 16 | 600ull << 32 | 32ull << 48);
}

static void test_mmio_qext(void **state)
{
    (void)state;
    assert_int_equal(bochs_display_mmio_read(&dev, 0x600, 4), 8);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x604, 4), 0x1E1E1E1E);
    bochs_display_mmio_write(&dev, 0x604, 4, 0xBEBEBEBE);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x604, 4), 0xBEBEBEBE);
    /* Big-endian pixels are not BGRX: modes are refused while it is set. */
    set_mode(1024, 768, 32);
    assert_int_equal(ncalls, 0);
    bochs_display_mmio_write(&dev, 0x604, 4, 0x12345678);  /* neither value: no change */
    assert_int_equal(bochs_display_mmio_read(&dev, 0x604, 4), 0xBEBEBEBE);
    bochs_display_mmio_write(&dev, 0x604, 4, 0x1E1E1E1E);
    set_mode(1024, 768, 32);
    assert_int_equal(ncalls, 1);
}

static void test_mmio_elsewhere(void **state)
{
    (void)state;
    assert_int_equal(bochs_display_mmio_read(&dev, 0x400, 1), 0xFF);   /* no VGA registers */
    assert_int_equal(bochs_display_mmio_read(&dev, 0xFFC, 4), 0xFFFFFFFF);
    bochs_display_mmio_write(&dev, 0x400, 1, 0x20);        /* SeaVGABIOS's "unblank" */
    bochs_display_mmio_write(&dev, 0x10, 1, 0x20);         /* EDID is read-only */
    assert_int_equal(dev.stats.mmio_ignored, 4);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x1000, 1), ~0ull);  /* outside BAR2 */
    assert_int_equal(bochs_display_mmio_read(&dev, 0xFFE, 4), ~0ull);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x500, 3), ~0ull);
    bochs_display_mmio_write(&dev, 0xFFF, 2, 0);
    assert_int_equal(dev.stats.bad_accesses, 4);
}

/* ---- EDID and ROM ------------------------------------------------------------------------- */

/* What SeaVGABIOS (vgasrc/bochsdisplay.c) takes from the EDID. */
static void seavgabios_parse(const uint8_t *e, int *w, int *h)
{
    *w = e[54 + 2] | (e[54 + 4] & 0xF0) << 4;
    *h = e[54 + 5] | (e[54 + 7] & 0xF0) << 4;
}

static void test_edid(void **state)
{
    (void)state;
    uint8_t e[256];
    for (unsigned i = 0; i < 256; i++)
        e[i] = (uint8_t)bochs_display_mmio_read(&dev, i, 1);
    static const uint8_t header[8] = { 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0 };
    assert_memory_equal(e, header, 8);
    uint8_t sum = 0;
    for (unsigned i = 0; i < 128; i++)
        sum = (uint8_t)(sum + e[i]);
    assert_int_equal(sum, 0);
    assert_int_equal(e[18], 1);
    assert_int_equal(e[19], 4);
    int w, h;
    seavgabios_parse(e, &w, &h);
    assert_int_equal(w, 1024);
    assert_int_equal(h, 768);
    for (unsigned i = 128; i < 256; i++)
        assert_int_equal(e[i], 0);

    static const uint16_t modes[][2] = { { 800, 600 }, { 1280, 800 }, { 1920, 1080 }, { 64, 64 } };
    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(bochs_edid_build(e, 128, modes[i][0], modes[i][1]), 0);
        seavgabios_parse(e, &w, &h);
        assert_int_equal(w, modes[i][0]);
        assert_int_equal(h, modes[i][1]);
        sum = 0;
        for (unsigned j = 0; j < 128; j++)
            sum = (uint8_t)(sum + e[j]);
        assert_int_equal(sum, 0);
    }
    assert_int_equal(bochs_edid_build(e, 127, 1024, 768), -EINVAL);
    assert_int_equal(bochs_edid_build(e, 128, 4096, 768), -EINVAL);
}

static void test_rom_contents(void **state)
{
    (void)state;
    assert_int_equal(bochs_display_rom_byte(&dev, 0), rom[0]);
    assert_int_equal(bochs_display_rom_byte(&dev, ROM_LEN - 1), rom[ROM_LEN - 1]);
    assert_int_equal(bochs_display_rom_byte(&dev, ROM_LEN), 0);
    assert_int_equal(bochs_display_rom_byte(&dev, 0xFFFFFFFF), 0);
}

/* ---- reset and saved state ------------------------------------------------------------------ */

static void place_everything(void)
{
    cfg_write(0x10, 4, 0xE0000000);
    cfg_write(0x18, 4, 0xFEBF0000);
    cfg_write(0x30, 4, 0xFEB00001);
    cfg_write(0x3C, 1, 11);
    cfg_write(0x04, 2, BOCHS_CMD_MEMORY | BOCHS_CMD_IO);
    dispi(DISPI_INDEX_VIRT_WIDTH, 1280);
    set_mode(1024, 768, 32);
    uint32_t v = DISPI_INDEX_BPP;
    bochs_display_port_io(&dev, 0x1CE, 2, true, &v);
    bochs_display_mmio_write(&dev, 0x604, 4, 0xBEBEBEBE);
}

static void test_reset(void **state)
{
    (void)state;
    place_everything();
    ncalls = 0;
    bochs_display_reset(&dev);
    assert_int_equal(ncalls, 3);
    assert_int_equal(calls[0].kind, UNMAP_VRAM);
    expect(1, MOVE_MMIO, false, 0);
    expect(2, MOVE_ROM, false, 0);
    assert_int_equal(cfg_read(0x04, 2), 0);
    assert_int_equal(cfg_read(0x10, 4), 8);
    assert_int_equal(cfg_read(0x18, 4), 0);
    assert_int_equal(cfg_read(0x30, 4), 0);
    assert_int_equal(cfg_read(0x3C, 1), 0);
    assert_int_equal(bochs_dispi_read(&dev, DISPI_INDEX_XRES), 0);
    assert_int_equal(bochs_display_mmio_read(&dev, 0x604, 4), 0x1E1E1E1E);
    /* A reset of a device that placed nothing reports nothing. */
    bochs_display_reset(&dev);
    assert_int_equal(ncalls, 3);
}

static void test_save_restore_round_trip(void **state)
{
    (void)state;
    place_everything();
    bochs_msg saved;
    save_msg(&dev, &saved);
    assert_int_equal(saved.bar0, 0xE0000008);
    assert_int_equal(saved.dispi_count, DISPI_REG_COUNT);
    assert_int_equal(saved.dispi[DISPI_INDEX_VIRT_WIDTH], 1280);
    assert_int_equal(saved.dispi_index, DISPI_INDEX_BPP);
    assert_true(saved.big_endian);
    struct state_bytes blob = save_bytes(&dev);

    struct bochs_display_state before = dev.st;
    setup(NULL);
    assert_int_equal(bochs_display_restore_state(&dev, blob.b, blob.len), 0);
    /* BAR2 and the ROM re-placed; VRAM and the format are the framebuffer's to restore. */
    assert_int_equal(ncalls, 2);
    expect(0, MOVE_MMIO, true, 0xFEBF0000);
    expect(1, MOVE_ROM, true, 0xFEB00000);
    assert_memory_equal(&dev.st, &before, sizeof(before));
    struct state_bytes again = save_bytes(&dev);
    assert_int_equal(again.len, blob.len);
    assert_memory_equal(again.b, blob.b, blob.len);
    /* It behaves as before: moving BAR0 maps VRAM at the new place. */
    cfg_write(0x10, 4, 0xD0000000);
    expect(2, MAP_VRAM, true, 0xD0000000);
    /* ...and the restored DISPI index is the one the data port uses. */
    uint32_t v = 0;
    bochs_display_port_io(&dev, 0x1CF, 2, false, &v);
    assert_int_equal(v, 32);
}

static void test_restore_rejects_bad_blobs(void **state)
{
    (void)state;
    place_everything();
    bochs_msg good, bad;
    save_msg(&dev, &good);
    struct state_bytes truncated = save_bytes(&dev);
    truncated.len--;
    setup(NULL);
    struct bochs_display_state power_on = dev.st;
#define REJECT(mutation) do { bad = good; mutation; \
        assert_int_equal(restore_msg(&dev, &bad), -EINVAL); } while (0)
    assert_int_equal(bochs_display_restore_state(&dev, truncated.b, truncated.len), -EINVAL);
    REJECT(bad.dispi_count = DISPI_REG_COUNT - 1);
    REJECT(bad.dispi[3] = 0x10000);
    REJECT(bad.dispi_index = 0x10000);
    REJECT(bad.int_line = 0x100);
    REJECT(bad.command = 0x8000);
    REJECT(bad.bar0 = 0xE0000000);                         /* type bits missing */
    REJECT(bad.bar0 = 0xE0001008);                         /* below the BAR's size */
    REJECT(bad.bar2 = 0xFEBF0800);
    REJECT(bad.rom = 0xFEB04001);
#undef REJECT
    assert_int_equal(ncalls, 0);
    assert_memory_equal(&dev.st, &power_on, sizeof(power_on));
    /* A device without a ROM takes no ROM BAR value. */
    struct bochs_display_config cfg = { VRAM, NULL, 0, 1024, 768 };
    assert_int_equal(bochs_display_init(&dev, &cfg, &ops), 0);
    assert_int_equal(restore_msg(&dev, &good), -EINVAL);
    good.rom = 0;
    assert_int_equal(restore_msg(&dev, &good), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_init_validates, setup),
        cmocka_unit_test_setup(test_identity, setup),
        cmocka_unit_test_setup(test_bad_config_accesses, setup),
        cmocka_unit_test_setup(test_bar_sizing, setup),
        cmocka_unit_test_setup(test_rom_bar_absent_without_image, setup),
        cmocka_unit_test_setup(test_rom_bar_size_rounds_up, setup),
        cmocka_unit_test_setup(test_command_register, setup),
        cmocka_unit_test_setup(test_vram_follows_bar0_and_memory_decoding, setup),
        cmocka_unit_test_setup(test_bar0_sizing_pattern_is_not_a_place, setup),
        cmocka_unit_test_setup(test_bar0_byte_writes, setup),
        cmocka_unit_test_setup(test_map_failure_counted, setup),
        cmocka_unit_test_setup(test_mmio_and_rom_follow_their_bars, setup),
        cmocka_unit_test_setup(test_dispi_fixed_registers, setup),
        cmocka_unit_test_setup(test_dispi_getcaps, setup),
        cmocka_unit_test_setup(test_dispi_enable_sets_format, setup),
        cmocka_unit_test_setup(test_dispi_virtual_width_and_offsets, setup),
        cmocka_unit_test_setup(test_dispi_refuses_other_modes, setup),
        cmocka_unit_test_setup(test_dispi_ports, setup),
        cmocka_unit_test_setup(test_mmio_dispi, setup),
        cmocka_unit_test_setup(test_mmio_qext, setup),
        cmocka_unit_test_setup(test_mmio_elsewhere, setup),
        cmocka_unit_test_setup(test_edid, setup),
        cmocka_unit_test_setup(test_rom_contents, setup),
        cmocka_unit_test_setup(test_reset, setup),
        cmocka_unit_test_setup(test_save_restore_round_trip, setup),
        cmocka_unit_test_setup(test_restore_rejects_bad_blobs, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
