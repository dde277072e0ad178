/* VTL0's Bochs-compatible display device; see bochs_display.h. */
#include "drivers/vdev/display/bochs_display.h"

#include <errno.h>
#include <string.h>

#define FOUR_GIB     0x100000000ull
#define ROM_MAX      0x1000000u     /* 16 MiB */
#define ROM_MIN_BAR  0x1000u        /* a page: the NPT shows the ROM (PCI allows 2 KiB) */

static bool is_pow2(uint64_t x)
{
    return x != 0 && (x & (x - 1)) == 0;
}

static uint32_t pow2_at_least(uint32_t x, uint32_t min)
{
    uint32_t p = min;
    while (p < x)
        p <<= 1;
    return p;
}

/* ---- EDID ------------------------------------------------------------------------------ */

/* Chromaticity of sRGB (EDID 1.4, section 3.7), as 10-bit binary fractions. */
static const uint16_t srgb_chroma[8] = {
    655, 338,   /* red   x 0.640, y 0.330 */
    307, 614,   /* green x 0.300, y 0.600 */
    154, 61,    /* blue  x 0.150, y 0.060 */
    320, 337,   /* white x 0.3127, y 0.3290 */
};

/* A display descriptor with no data (EDID 1.4 "dummy descriptor", tag 0x10). */
static void dummy_descriptor(uint8_t *d)
{
    memset(d, 0, 18);
    d[3] = 0x10;
}

static void name_descriptor(uint8_t *d, const char *name)
{
    memset(d, 0, 18);
    d[3] = 0xFC;                        /* display product name */
    size_t n = strlen(name);
    for (size_t i = 0; i < 13; i++)
        d[5 + i] = i < n ? (uint8_t)name[i] : i == n ? 0x0A : 0x20;
}

/* The detailed timing of width x height at 60 Hz with CVT reduced-blanking-like blanking. */
static void timing_descriptor(uint8_t *d, unsigned w, unsigned h)
{
    const unsigned hblank = 160, hfront = 48, hsync = 32;
    const unsigned vblank = 30, vfront = 3, vsync = 4;
    unsigned clock = (unsigned)(((uint64_t)(w + hblank) * (h + vblank) * 60 + 5000) / 10000);
    unsigned hmm = w * 264 / 1000, vmm = h * 264 / 1000;   /* 96 dpi */

    memset(d, 0, 18);
    d[0] = (uint8_t)clock;              /* pixel clock, 10 kHz units, little-endian */
    d[1] = (uint8_t)(clock >> 8);
    d[2] = (uint8_t)w;
    d[3] = (uint8_t)hblank;
    d[4] = (uint8_t)(((w >> 8) & 0xF) << 4 | ((hblank >> 8) & 0xF));
    d[5] = (uint8_t)h;
    d[6] = (uint8_t)vblank;
    d[7] = (uint8_t)(((h >> 8) & 0xF) << 4 | ((vblank >> 8) & 0xF));
    d[8] = (uint8_t)hfront;
    d[9] = (uint8_t)hsync;
    d[10] = (uint8_t)((vfront & 0xF) << 4 | (vsync & 0xF));
    d[11] = (uint8_t)(((hfront >> 8) & 3) << 6 | ((hsync >> 8) & 3) << 4 |
                      ((vfront >> 4) & 3) << 2 | ((vsync >> 4) & 3));
    d[12] = (uint8_t)hmm;
    d[13] = (uint8_t)vmm;
    d[14] = (uint8_t)(((hmm >> 8) & 0xF) << 4 | ((vmm >> 8) & 0xF));
    d[17] = 0x1E;                       /* digital separate sync, +hsync, +vsync */
}

int bochs_edid_build(uint8_t *out, size_t out_len, uint16_t width, uint16_t height)
{
    static const uint8_t header[8] = { 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00 };
    if (out_len < 128 || width < DISPI_MIN_RES || height < DISPI_MIN_RES ||
        width > 4095 || height > 4095)
        return -EINVAL;
    memset(out, 0, out_len);
    uint8_t *e = out;
    memcpy(e, header, sizeof(header));
    /* Manufacturer "MEZ": three 5-bit letters, big-endian. */
    uint16_t mfg = (uint16_t)(('M' - '@') << 10 | ('E' - '@') << 5 | ('Z' - '@'));
    e[8] = (uint8_t)(mfg >> 8);
    e[9] = (uint8_t)mfg;
    e[10] = 0x01;                       /* product code 1 */
    e[17] = 2026 - 1990;                /* model year */
    e[18] = 1;                          /* EDID 1.4 */
    e[19] = 4;
    e[20] = 0x80;                       /* digital input */
    e[21] = (uint8_t)(width * 264 / 10000);    /* screen size, cm */
    e[22] = (uint8_t)(height * 264 / 10000);
    e[23] = 120;                        /* gamma 2.2 */
    e[24] = 0x06;                       /* sRGB default, preferred timing is native */
    const uint16_t *c = srgb_chroma;
    e[25] = (uint8_t)((c[0] & 3) << 6 | (c[1] & 3) << 4 | (c[2] & 3) << 2 | (c[3] & 3));
    e[26] = (uint8_t)((c[4] & 3) << 6 | (c[5] & 3) << 4 | (c[6] & 3) << 2 | (c[7] & 3));
    for (unsigned i = 0; i < 8; i++)
        e[27 + i] = (uint8_t)(c[i] >> 2);
    e[35] = 0x20;                       /* established: 640x480@60 */
    e[36] = 0x08;                       /*              1024x768@60 */
    for (unsigned i = 0; i < 8; i++) {  /* standard timings: none */
        e[38 + 2 * i] = 0x01;
        e[39 + 2 * i] = 0x01;
    }
    timing_descriptor(e + 54, width, height);
    name_descriptor(e + 72, "Mezzanine");
    dummy_descriptor(e + 90);
    dummy_descriptor(e + 108);
    e[126] = 0;                         /* no extension blocks */
    uint8_t sum = 0;
    for (unsigned i = 0; i < 127; i++)
        sum = (uint8_t)(sum + e[i]);
    e[127] = (uint8_t)(0x100 - sum);
    return 0;
}

/* ---- placement of the regions ------------------------------------------------------------ */

/* Where a 32-bit BAR decodes, as QEMU's pci_bar_address() decides: nowhere at address 0 or
 * when its last byte would be at or above 0xFFFFFFFF (a BAR holding its sizing pattern). */
static bool bar_target(uint32_t addr, uint32_t size, uint32_t *gpa)
{
    if (addr == 0 || (uint64_t)addr + size >= FOUR_GIB)
        return false;
    *gpa = addr;
    return true;
}

static bool vram_target(const struct bochs_display *d, uint32_t *gpa)
{
    return (d->st.command & BOCHS_CMD_MEMORY) &&
           bar_target(d->st.bar0 & BOCHS_BAR_MEM_MASK, d->cfg.vram_size, gpa);
}

static void place_vram(struct bochs_display *d, bool force)
{
    struct bochs_display_state *s = &d->st;
    uint32_t gpa = 0;
    bool placed = vram_target(d, &gpa);
    if (!force && placed == s->vram_placed && gpa == s->vram_gpa)
        return;
    s->vram_placed = placed;
    s->vram_gpa = gpa;
    if (placed) {
        d->stats.vram_moves++;
        if (d->ops.map_vram && d->ops.map_vram(d->ops.ctx, gpa) != 0)
            d->stats.vram_map_failed++;
    } else if (d->ops.unmap_vram) {
        d->ops.unmap_vram(d->ops.ctx);
    }
}

static void place_region(struct bochs_display *d, enum bochs_region r, bool placed,
                         uint32_t gpa, bool force)
{
    bool *was = r == BOCHS_REGION_MMIO ? &d->st.mmio_placed : &d->st.rom_placed;
    uint32_t *at = r == BOCHS_REGION_MMIO ? &d->st.mmio_gpa : &d->st.rom_gpa;
    if (!placed)
        gpa = 0;
    if (!force && placed == *was && gpa == *at)
        return;
    *was = placed;
    *at = gpa;
    if (d->ops.move_region)
        d->ops.move_region(d->ops.ctx, r, placed, gpa);
}

/* Re-derives every region's placement from the registers and reports what changed
 * (everything, with force: restore). With `vram` false VRAM's placement is only recorded. */
static void update_placement(struct bochs_display *d, bool force, bool vram)
{
    struct bochs_display_state *s = &d->st;
    bool mem = s->command & BOCHS_CMD_MEMORY;
    uint32_t gpa = 0;

    if (vram) {
        place_vram(d, force);
    } else {
        s->vram_placed = vram_target(d, &gpa);
        s->vram_gpa = s->vram_placed ? gpa : 0;
    }
    bool placed = mem && bar_target(s->bar2 & BOCHS_BAR_MEM_MASK, BOCHS_MMIO_SIZE, &gpa);
    place_region(d, BOCHS_REGION_MMIO, placed, gpa, force);
    placed = mem && d->rom_bar_size && (s->rom & BOCHS_ROM_ENABLE) &&
             bar_target(s->rom & BOCHS_ROM_ADDR_MASK, d->rom_bar_size, &gpa);
    place_region(d, BOCHS_REGION_ROM, placed, gpa, force);
}

/* ---- lifecycle --------------------------------------------------------------------------- */

static void power_on(struct bochs_display *d)
{
    memset(&d->st, 0, sizeof(d->st));
    d->st.bar0 = BOCHS_BAR_MEM_PREFETCH;
}

int bochs_display_init(struct bochs_display *d, const struct bochs_display_config *cfg,
                       const struct bochs_display_ops *ops)
{
    if (!is_pow2(cfg->vram_size) || cfg->vram_size < 0x1000 || cfg->rom_size > ROM_MAX ||
        (cfg->rom_size && cfg->rom == NULL))
        return -EINVAL;
    memset(d, 0, sizeof(*d));
    d->cfg = *cfg;
    if (bochs_edid_build(d->edid, sizeof(d->edid), cfg->edid_width, cfg->edid_height) != 0)
        return -EINVAL;
    d->rom_bar_size = cfg->rom_size ? pow2_at_least(cfg->rom_size, ROM_MIN_BAR) : 0;
    if (ops != NULL)
        d->ops = *ops;
    power_on(d);
    return 0;
}

void bochs_display_reset(struct bochs_display *d)
{
    struct bochs_display_state old = d->st;
    power_on(d);
    /* Whatever was placed is now unplaced: report exactly those changes. */
    d->st.vram_placed = old.vram_placed;
    d->st.vram_gpa = old.vram_gpa;
    d->st.mmio_placed = old.mmio_placed;
    d->st.mmio_gpa = old.mmio_gpa;
    d->st.rom_placed = old.rom_placed;
    d->st.rom_gpa = old.rom_gpa;
    update_placement(d, false, true);
}

/* ---- DISPI ------------------------------------------------------------------------------- */

static bool geometry_register(uint16_t index)
{
    return index == DISPI_INDEX_XRES || index == DISPI_INDEX_YRES ||
           index == DISPI_INDEX_BPP || index == DISPI_INDEX_VIRT_WIDTH ||
           index == DISPI_INDEX_VIRT_HEIGHT || index == DISPI_INDEX_X_OFFSET ||
           index == DISPI_INDEX_Y_OFFSET;
}

/* The mode the registers describe, as QEMU's bochs_display_get_mode() checks it, with the
 * framebuffer's one depth (32 bpp, little-endian BGRX). */
static bool mode_format(const struct bochs_display *d, struct fb_format *f)
{
    const uint16_t *r = d->st.dispi;
    uint32_t w = r[DISPI_INDEX_XRES], h = r[DISPI_INDEX_YRES];
    if (r[DISPI_INDEX_BPP] != DISPI_BPP || d->st.big_endian)
        return false;
    if (w < DISPI_MIN_RES || h < DISPI_MIN_RES || w > DISPI_MAX_XRES || h > DISPI_MAX_YRES)
        return false;
    uint32_t virt = r[DISPI_INDEX_VIRT_WIDTH] > w ? r[DISPI_INDEX_VIRT_WIDTH] : w;
    uint64_t pitch = (uint64_t)virt * FB_BYTES_PER_PIXEL;
    uint64_t offset = (uint64_t)r[DISPI_INDEX_X_OFFSET] * FB_BYTES_PER_PIXEL +
                      (uint64_t)r[DISPI_INDEX_Y_OFFSET] * pitch;
    if (offset + pitch * h > d->cfg.vram_size)
        return false;
    *f = (struct fb_format){ w, h, (uint32_t)pitch, (uint32_t)offset };
    return true;
}

static void evaluate_mode(struct bochs_display *d)
{
    struct fb_format f;
    if (!mode_format(d, &f)) {
        d->stats.modes_refused++;
        return;
    }
    d->stats.modes_set++;
    if (d->ops.set_format)
        d->ops.set_format(d->ops.ctx, &f);
}

uint16_t bochs_dispi_read(struct bochs_display *d, uint16_t index)
{
    bool caps = d->st.dispi[DISPI_INDEX_ENABLE] & DISPI_GETCAPS;
    switch (index) {
    case DISPI_INDEX_ID:
        return DISPI_ID5;
    case DISPI_INDEX_VIDEO_MEMORY_64K:
        return (uint16_t)(d->cfg.vram_size >> 16);
    case DISPI_INDEX_XRES:
        return caps ? DISPI_MAX_XRES : d->st.dispi[index];
    case DISPI_INDEX_YRES:
        return caps ? DISPI_MAX_YRES : d->st.dispi[index];
    case DISPI_INDEX_BPP:
        return caps ? DISPI_MAX_BPP : d->st.dispi[index];
    default:
        return index < DISPI_REG_COUNT ? d->st.dispi[index] : 0xFFFF;
    }
}

void bochs_dispi_write(struct bochs_display *d, uint16_t index, uint16_t value)
{
    d->stats.dispi_writes++;
    if (index >= DISPI_REG_COUNT)
        return;                         /* VIDEO_MEMORY_64K and beyond: read-only / none */
    d->st.dispi[index] = value;
    bool enabled = d->st.dispi[DISPI_INDEX_ENABLE] & DISPI_ENABLED;
    if ((index == DISPI_INDEX_ENABLE && enabled) || (enabled && geometry_register(index)))
        evaluate_mode(d);
}

/* ---- PCI configuration space ------------------------------------------------------------- */

static uint8_t byte_of(uint32_t v, unsigned i)
{
    return (uint8_t)(v >> (8 * i));
}

static uint8_t config_byte(const struct bochs_display *d, unsigned off)
{
    const struct bochs_display_state *s = &d->st;
    if (off >= BOCHS_CFG_BAR0 && off < BOCHS_CFG_BAR0 + 4)
        return byte_of(s->bar0, off - BOCHS_CFG_BAR0);
    if (off >= BOCHS_CFG_BAR2 && off < BOCHS_CFG_BAR2 + 4)
        return byte_of(s->bar2, off - BOCHS_CFG_BAR2);
    if (off >= BOCHS_CFG_ROM && off < BOCHS_CFG_ROM + 4)
        return byte_of(s->rom, off - BOCHS_CFG_ROM);
    switch (off) {
    case BOCHS_CFG_VENDOR: return byte_of(BOCHS_VENDOR_ID, 0);
    case BOCHS_CFG_VENDOR + 1: return byte_of(BOCHS_VENDOR_ID, 1);
    case BOCHS_CFG_DEVICE: return byte_of(BOCHS_DEVICE_ID, 0);
    case BOCHS_CFG_DEVICE + 1: return byte_of(BOCHS_DEVICE_ID, 1);
    case BOCHS_CFG_COMMAND: return byte_of(s->command, 0);
    case BOCHS_CFG_COMMAND + 1: return byte_of(s->command, 1);
    case BOCHS_CFG_REVISION: return BOCHS_REVISION;
    case BOCHS_CFG_REVISION + 1: return byte_of(BOCHS_CLASS_CODE, 0);
    case BOCHS_CFG_REVISION + 2: return byte_of(BOCHS_CLASS_CODE, 1);
    case BOCHS_CFG_REVISION + 3: return byte_of(BOCHS_CLASS_CODE, 2);
    case BOCHS_CFG_CACHE_LINE: return s->cache_line;
    case BOCHS_CFG_SUBSYS_VENDOR: return byte_of(BOCHS_SUBSYS_VENDOR_ID, 0);
    case BOCHS_CFG_SUBSYS_VENDOR + 1: return byte_of(BOCHS_SUBSYS_VENDOR_ID, 1);
    case BOCHS_CFG_SUBSYS_ID: return byte_of(BOCHS_SUBSYS_ID, 0);
    case BOCHS_CFG_SUBSYS_ID + 1: return byte_of(BOCHS_SUBSYS_ID, 1);
    case BOCHS_CFG_INT_LINE: return s->int_line;
    default: return 0;                  /* status, header type 0, BARs 1/3-5, caps: none */
    }
}

static bool access_ok(unsigned offset, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && (offset & (size - 1)) == 0 &&
           offset + size <= BOCHS_CFG_SIZE;
}

uint32_t bochs_display_config_read(struct bochs_display *d, unsigned offset, unsigned size)
{
    if (!access_ok(offset, size)) {
        d->stats.bad_accesses++;
        return 0xFFFFFFFFu;
    }
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)config_byte(d, offset + i) << (8 * i);
    return v;
}

static uint32_t set_byte(uint32_t v, unsigned i, uint8_t b)
{
    return (v & ~(0xFFu << (8 * i))) | ((uint32_t)b << (8 * i));
}

/* What each BAR register holds after `raw` is written to it (the size bits read as zero,
 * the type bits are fixed). Restore accepts only values these leave unchanged. */
static uint32_t bar0_value(const struct bochs_display *d, uint32_t raw)
{
    return (raw & ~(d->cfg.vram_size - 1) & BOCHS_BAR_MEM_MASK) | BOCHS_BAR_MEM_PREFETCH;
}

static uint32_t bar2_value(uint32_t raw)
{
    return raw & ~(BOCHS_MMIO_SIZE - 1);
}

/* Without a ROM the register holds nothing. */
static uint32_t rom_value(const struct bochs_display *d, uint32_t raw)
{
    if (!d->rom_bar_size)
        return 0;
    return raw & ((~(d->rom_bar_size - 1) & BOCHS_ROM_ADDR_MASK) | BOCHS_ROM_ENABLE);
}

void bochs_display_config_write(struct bochs_display *d, unsigned offset, unsigned size,
                                uint32_t value)
{
    struct bochs_display_state *s = &d->st;
    if (!access_ok(offset, size)) {
        d->stats.bad_accesses++;
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        unsigned off = offset + i;
        uint8_t b = byte_of(value, i);
        if (off == BOCHS_CFG_COMMAND || off == BOCHS_CFG_COMMAND + 1) {
            s->command = (uint16_t)(set_byte(s->command, off - BOCHS_CFG_COMMAND, b) &
                                    BOCHS_CMD_WRITABLE);
        } else if (off == BOCHS_CFG_STATUS || off == BOCHS_CFG_STATUS + 1) {
            /* nothing to clear */
        } else if (off >= BOCHS_CFG_BAR0 && off < BOCHS_CFG_BAR0 + 4) {
            s->bar0 = bar0_value(d, set_byte(s->bar0, off - BOCHS_CFG_BAR0, b));
        } else if (off >= BOCHS_CFG_BAR2 && off < BOCHS_CFG_BAR2 + 4) {
            s->bar2 = bar2_value(set_byte(s->bar2, off - BOCHS_CFG_BAR2, b));
        } else if (off >= BOCHS_CFG_ROM && off < BOCHS_CFG_ROM + 4 && d->rom_bar_size) {
            s->rom = rom_value(d, set_byte(s->rom, off - BOCHS_CFG_ROM, b));
        } else if (off == BOCHS_CFG_CACHE_LINE) {
            s->cache_line = b;
        } else if (off == BOCHS_CFG_INT_LINE) {
            s->int_line = b;
        } else {
            d->stats.config_writes_ignored++;
        }
    }
    update_placement(d, false, true);
}

/* ---- BAR2 -------------------------------------------------------------------------------- */

static bool mmio_size_ok(uint64_t offset, unsigned size)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && offset < BOCHS_MMIO_SIZE &&
           size <= BOCHS_MMIO_SIZE - offset;
}

static bool in_dispi(uint64_t off)
{
    return off >= BOCHS_MMIO_DISPI && off < BOCHS_MMIO_DISPI + 2 * DISPI_INDEX_END;
}

static bool in_qext(uint64_t off)
{
    return off >= BOCHS_MMIO_QEXT && off < BOCHS_MMIO_QEXT + BOCHS_QEXT_SIZE;
}

static uint32_t qext_reg(const struct bochs_display *d, unsigned reg)
{
    if (reg == BOCHS_QEXT_REG_SIZE)
        return BOCHS_QEXT_SIZE;
    return d->st.big_endian ? BOCHS_QEXT_BIG_ENDIAN : BOCHS_QEXT_LITTLE_ENDIAN;
}

uint64_t bochs_display_mmio_read(struct bochs_display *d, uint64_t offset, unsigned size)
{
    if (!mmio_size_ok(offset, size)) {
        d->stats.bad_accesses++;
        return ~0ull;
    }
    uint64_t v = 0;
    bool ignored = false;
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = offset + i;
        uint8_t b;
        if (off < BOCHS_MMIO_EDID + BOCHS_EDID_SIZE) {
            b = d->edid[off - BOCHS_MMIO_EDID];
        } else if (in_dispi(off)) {
            unsigned rel = (unsigned)(off - BOCHS_MMIO_DISPI);
            b = byte_of(bochs_dispi_read(d, (uint16_t)(rel / 2)), rel & 1);
        } else if (in_qext(off)) {
            unsigned rel = (unsigned)(off - BOCHS_MMIO_QEXT);
            b = byte_of(qext_reg(d, rel & ~3u), rel & 3);
        } else {
            b = 0xFF;
            ignored = true;
        }
        v |= (uint64_t)b << (8 * i);
    }
    if (ignored)
        d->stats.mmio_ignored++;
    return v;
}

void bochs_display_mmio_write(struct bochs_display *d, uint64_t offset, unsigned size,
                              uint64_t value)
{
    if (!mmio_size_ok(offset, size)) {
        d->stats.bad_accesses++;
        return;
    }
    bool ignored = false;
    uint64_t end = offset + size;
    for (uint64_t off = offset; off < end;) {
        if (in_dispi(off)) {
            /* Each register the access touches, merged with its bytes not written. */
            uint16_t index = (uint16_t)((off - BOCHS_MMIO_DISPI) / 2);
            uint64_t reg = BOCHS_MMIO_DISPI + 2ull * index;
            uint16_t v = index < DISPI_REG_COUNT ? d->st.dispi[index] : 0;
            for (unsigned i = 0; i < 2; i++) {
                if (reg + i >= offset && reg + i < end)
                    v = (uint16_t)set_byte(v, i, byte_of((uint32_t)(value >> (8 * (reg + i - offset))), 0));
            }
            bochs_dispi_write(d, index, v);
            off = reg + 2;
        } else if (off == BOCHS_MMIO_QEXT + BOCHS_QEXT_REG_BYTEORDER && size == 4) {
            if ((uint32_t)value == BOCHS_QEXT_BIG_ENDIAN)
                d->st.big_endian = true;
            else if ((uint32_t)value == BOCHS_QEXT_LITTLE_ENDIAN)
                d->st.big_endian = false;
            off += 4;
        } else {
            ignored = true;                 /* EDID, the size register, nothing */
            off++;
        }
    }
    if (ignored)
        d->stats.mmio_ignored++;
}

/* ---- ports ------------------------------------------------------------------------------- */

void bochs_display_port_io(struct bochs_display *d, uint16_t port, unsigned size,
                           bool is_write, uint32_t *value)
{
    bool index_port = port == BOCHS_PORT_INDEX;
    bool data_port = port == BOCHS_PORT_DATA || port == BOCHS_PORT_DATA_ALT;
    if ((size != 1 && size != 2) || (!index_port && !data_port)) {
        d->stats.bad_accesses++;
        if (!is_write)
            *value = 0xFFFFFFFFu;
        return;
    }
    uint16_t mask = size == 1 ? 0xFF : 0xFFFF;
    if (is_write) {
        uint16_t v = (uint16_t)(*value & mask);
        if (index_port)
            d->st.dispi_index = v;
        else
            bochs_dispi_write(d, d->st.dispi_index, v);
    } else {
        *value = (index_port ? d->st.dispi_index : bochs_dispi_read(d, d->st.dispi_index)) & mask;
    }
}

uint8_t bochs_display_rom_byte(const struct bochs_display *d, uint32_t offset)
{
    return offset < d->cfg.rom_size ? d->cfg.rom[offset] : 0;
}

/* ---- saved state ------------------------------------------------------------------------- */

bool bochs_display_state_ok(const struct bochs_display *d, const struct bochs_display_state *st)
{
    return !(st->command & ~BOCHS_CMD_WRITABLE) && st->bar0 == bar0_value(d, st->bar0) &&
           st->bar2 == bar2_value(st->bar2) && st->rom == rom_value(d, st->rom);
}

void bochs_display_set_state(struct bochs_display *d, const struct bochs_display_state *st)
{
    struct bochs_display_state *s = &d->st;
    s->command = st->command;
    s->cache_line = st->cache_line;
    s->int_line = st->int_line;
    s->bar0 = st->bar0;
    s->bar2 = st->bar2;
    s->rom = st->rom;
    s->dispi_index = st->dispi_index;
    memcpy(s->dispi, st->dispi, sizeof(s->dispi));
    s->big_endian = st->big_endian;
    update_placement(d, true, false);
}
