/*
 * VTL0's display: a PCI function compatible with QEMU's `bochs-display` (SPEC section 7),
 * the device Debian's SeaVGABIOS build vgabios-bochs-display.bin drives.
 *
 *   PCI       1234:1111 rev 2, class 0x038000 (display, other), header type 0, no IRQ.
 *   BAR0      VRAM (8 MiB), 32-bit prefetchable memory.
 *   BAR2      4 KiB MMIO: EDID at 0x000 (256 bytes), DISPI registers at 0x500 (16-bit,
 *             register index x 2), QEMU's extended registers at 0x600.
 *   ROM BAR   the VGA BIOS image, when one is configured (size rounded up to a power of 2,
 *             at least 4 KiB so that the NPT can show it).
 *   ports     DISPI index 0x1CE, data 0x1CF (and 0x1D0, as QEMU's VBE ports): a second
 *             door to the same registers, decoded whatever the command register says.
 *
 * Memory decoding (command bit 1) with a BAR at a usable address places that region;
 * every change is reported once through the ops: BAR0 -> map_vram / unmap_vram (VTL0's
 * mapping of VRAM moves), BAR2 and the ROM -> move_region. A BAR reads as unplaced (as in
 * QEMU) at address 0 or when it would reach the last byte below 4 GiB (a BAR holding its
 * sizing pattern). Enabling DISPI with a valid 32-bpp mode sets the framebuffer format
 * (ops->set_format; bytes_per_line from VIRT_WIDTH, at least XRES); any other mode is
 * refused visibly: the format stays and stats.modes_refused counts it.
 *
 * Pure: no hardware access, no allocation; builds for the kernel and for
 * tests/unit/test_bochs_display.c.
 */
#ifndef MEZZ_DRIVERS_BOCHS_DISPLAY_H
#define MEZZ_DRIVERS_BOCHS_DISPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/display/framebuffer.h"
#include "kernel/lib/compiler.h"

#define BOCHS_VENDOR_ID        0x1234u
#define BOCHS_DEVICE_ID        0x1111u
#define BOCHS_REVISION         0x02u
#define BOCHS_CLASS_CODE       0x038000u    /* base 03 display, sub 80 other, prog-if 0 */
#define BOCHS_SUBSYS_VENDOR_ID 0x1AF4u      /* what QEMU puts in every device */
#define BOCHS_SUBSYS_ID        0x1100u

/* PCI configuration space (type 0 header) offsets the device decodes. */
#define BOCHS_CFG_VENDOR       0x00   /* u16 */
#define BOCHS_CFG_DEVICE       0x02   /* u16 */
#define BOCHS_CFG_COMMAND      0x04   /* u16, writable bits BOCHS_CMD_WRITABLE */
#define BOCHS_CFG_STATUS       0x06   /* u16, 0 */
#define BOCHS_CFG_REVISION     0x08   /* u8, then the class code in 0x09-0x0B */
#define BOCHS_CFG_CACHE_LINE   0x0C   /* u8, writable */
#define BOCHS_CFG_HEADER_TYPE  0x0E   /* u8, 0: single function */
#define BOCHS_CFG_BAR0         0x10
#define BOCHS_CFG_BAR2         0x18
#define BOCHS_CFG_SUBSYS_VENDOR 0x2C
#define BOCHS_CFG_SUBSYS_ID    0x2E
#define BOCHS_CFG_ROM          0x30
#define BOCHS_CFG_INT_LINE     0x3C   /* u8, writable */
#define BOCHS_CFG_INT_PIN      0x3D   /* u8, 0: no interrupt */
#define BOCHS_CFG_SIZE         256

#define BOCHS_CMD_IO           0x0001u
#define BOCHS_CMD_MEMORY       0x0002u
#define BOCHS_CMD_BUS_MASTER   0x0004u
#define BOCHS_CMD_WRITABLE     0x0547u   /* IO, MEM, BME, parity, SERR, INTx disable */

#define BOCHS_BAR_MEM_PREFETCH 0x00000008u
#define BOCHS_BAR_MEM_MASK     0xFFFFFFF0u
#define BOCHS_ROM_ENABLE       0x00000001u
#define BOCHS_ROM_ADDR_MASK    0xFFFFF800u

/* BAR2 layout (QEMU: PCI_VGA_MMIO_SIZE, PCI_VGA_BOCHS_OFFSET, PCI_VGA_QEXT_OFFSET). */
#define BOCHS_MMIO_SIZE        0x1000u
#define BOCHS_MMIO_EDID        0x000u
#define BOCHS_EDID_SIZE        256u
#define BOCHS_MMIO_DISPI       0x500u
#define BOCHS_MMIO_QEXT        0x600u
#define BOCHS_QEXT_REG_SIZE    0x00u    /* reads BOCHS_QEXT_SIZE */
#define BOCHS_QEXT_REG_BYTEORDER 0x04u
#define BOCHS_QEXT_SIZE        8u
#define BOCHS_QEXT_LITTLE_ENDIAN 0x1E1E1E1Eu
#define BOCHS_QEXT_BIG_ENDIAN    0xBEBEBEBEu

/* DISPI (Bochs VBE) registers, by index. */
#define DISPI_INDEX_ID          0x0
#define DISPI_INDEX_XRES        0x1
#define DISPI_INDEX_YRES        0x2
#define DISPI_INDEX_BPP         0x3
#define DISPI_INDEX_ENABLE      0x4
#define DISPI_INDEX_BANK        0x5
#define DISPI_INDEX_VIRT_WIDTH  0x6
#define DISPI_INDEX_VIRT_HEIGHT 0x7
#define DISPI_INDEX_X_OFFSET    0x8
#define DISPI_INDEX_Y_OFFSET    0x9
#define DISPI_INDEX_VIDEO_MEMORY_64K 0xA   /* read-only: VRAM size / 64 KiB */
#define DISPI_REG_COUNT         0xA        /* stored registers: 0 .. 9 */
#define DISPI_INDEX_END         0xB        /* MMIO window: 0x500 .. 0x515 */

#define DISPI_ID5               0xB0C5u
#define DISPI_ENABLED           0x0001u
#define DISPI_GETCAPS           0x0002u
#define DISPI_8BIT_DAC          0x0020u
#define DISPI_LFB_ENABLED       0x0040u
#define DISPI_NOCLEARMEM        0x0080u
#define DISPI_MAX_XRES          2560u      /* Bochs VBE limits; GETCAPS reports them */
#define DISPI_MAX_YRES          1600u
#define DISPI_MAX_BPP           32u
#define DISPI_MIN_RES           64u        /* QEMU's bochs-display refuses smaller modes */
#define DISPI_BPP               32u        /* the only depth the framebuffer shows */

#define BOCHS_PORT_INDEX        0x1CE
#define BOCHS_PORT_DATA         0x1CF
#define BOCHS_PORT_DATA_ALT     0x1D0
#define BOCHS_PORT_FIRST        BOCHS_PORT_INDEX
#define BOCHS_PORT_COUNT        3

/* Regions other than VRAM that move with their BARs. */
enum bochs_region {
    BOCHS_REGION_MMIO = 0,     /* BAR2 */
    BOCHS_REGION_ROM = 1,      /* expansion ROM */
};

struct bochs_display_ops {
    /* VRAM shown to VTL0 at gpa (the framebuffer core's map: unmaps any old mapping) /
     * no longer shown. map_vram returns 0 or a negative errno. */
    int (*map_vram)(void *ctx, uint64_t gpa);
    void (*unmap_vram)(void *ctx);
    /* A valid 32-bpp mode was enabled: the framebuffer's new format. */
    void (*set_format)(void *ctx, const struct fb_format *format);
    /* BAR2 or the ROM now decodes at gpa (active) or nowhere. */
    void (*move_region)(void *ctx, enum bochs_region region, bool active, uint64_t gpa);
    void *ctx;
};

struct bochs_display_config {
    uint32_t vram_size;        /* a power of two >= 4 KiB: BAR0's size */
    const uint8_t *rom;        /* the VGA BIOS image, or NULL: no ROM BAR */
    uint32_t rom_size;
    uint16_t edid_width, edid_height;   /* the preferred mode the EDID announces */
};

/* Plain state: the only part that is saved (struct bochs_saved). */
struct bochs_display_state {
    uint16_t command;
    uint8_t cache_line, int_line;
    uint32_t bar0, bar2, rom;          /* as read back (type bits included) */
    uint16_t dispi_index;
    uint16_t dispi[DISPI_REG_COUNT];
    bool big_endian;                   /* QEMU ext byte-order register */
    /* Where each region was last reported (derived from the above; kept to report only
     * changes). */
    bool vram_placed, mmio_placed, rom_placed;
    uint32_t vram_gpa, mmio_gpa, rom_gpa;
};

/* Counters (inspect "display/device"); not saved. */
struct bochs_display_stats {
    uint64_t dispi_writes, modes_set, modes_refused;
    uint64_t vram_moves, vram_map_failed;
    uint64_t config_writes_ignored;    /* read-only or unimplemented config bytes */
    uint64_t mmio_ignored;             /* BAR2 accesses outside EDID/DISPI/QEXT */
    uint64_t bad_accesses;             /* sizes the device does not decode */
};

struct bochs_display {
    /* static config */
    struct bochs_display_config cfg;
    uint32_t rom_bar_size;             /* power of two >= 2 KiB, 0 without a ROM */
    uint8_t edid[BOCHS_EDID_SIZE];
    /* runtime glue (never saved) */
    struct bochs_display_ops ops;
    struct bochs_display_stats stats;
    /* plain state */
    struct bochs_display_state st;
};

/*
 * Sets up the device in its power-on state (nothing decoded, nothing reported) and
 * builds its EDID. Returns -EINVAL for a VRAM size that is not a power of two of at least
 * 4 KiB, a ROM over 16 MiB, or an EDID mode outside 64..4095 pixels.
 */
int bochs_display_init(struct bochs_display *d, const struct bochs_display_config *cfg,
                       const struct bochs_display_ops *ops);

/* VTL0 reset: registers back to power-on; every placed region is reported gone. */
void bochs_display_reset(struct bochs_display *d);

/* PCI configuration space: `size` (1, 2 or 4) bytes at `offset` (0-255, size-aligned). */
uint32_t bochs_display_config_read(struct bochs_display *d, unsigned offset, unsigned size);
void bochs_display_config_write(struct bochs_display *d, unsigned offset, unsigned size,
                                uint32_t value);

/* BAR2: size 1, 2, 4 or 8 bytes at offset; reads of nothing are all-ones. */
uint64_t bochs_display_mmio_read(struct bochs_display *d, uint64_t offset, unsigned size);
void bochs_display_mmio_write(struct bochs_display *d, uint64_t offset, unsigned size,
                              uint64_t value);

/* The DISPI ports (BOCHS_PORT_FIRST .. + BOCHS_PORT_COUNT), size 1 or 2; other accesses
 * are counted and read as all-ones. */
void bochs_display_port_io(struct bochs_display *d, uint16_t port, unsigned size,
                           bool is_write, uint32_t *value);

/* One DISPI register as VTL0 reads it / writes it (index port + data port). */
uint16_t bochs_dispi_read(struct bochs_display *d, uint16_t index);
void bochs_dispi_write(struct bochs_display *d, uint16_t index, uint16_t value);

/* The ROM BAR's contents at offset (what VTL0 reads there): the image, zero past its end. */
uint8_t bochs_display_rom_byte(const struct bochs_display *d, uint32_t offset);

/* Writes a 128-byte EDID 1.4 block announcing width x height at 60 Hz as the preferred
 * (first detailed) timing, padded with zeros to out_len (>= 128). Returns 0 or -EINVAL. */
int bochs_edid_build(uint8_t *out, size_t out_len, uint16_t width, uint16_t height);

/*
 * Saved state (docs/saved-state.md): unit "bochs_display", schema
 * mezzanine.vdev.bochs_display.SavedState: the registers; where each region is placed
 * follows from them. restore decodes into a temporary and validates all of it first
 * (-EINVAL changes nothing and makes no call), then bochs_display_set_state(). VRAM's
 * mapping and the format are the framebuffer's saved state, so restore neither maps
 * VRAM nor sets a format.
 */
#define BOCHS_DISPLAY_STATE_UNIT     "bochs_display"
#define BOCHS_DISPLAY_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.bochs_display.SavedState"
#define BOCHS_DISPLAY_STATE_MAX_LEN  112
int bochs_display_save_state(const struct bochs_display *d, uint8_t *buf, size_t cap, size_t *len);
int bochs_display_restore_state(struct bochs_display *d, const uint8_t *buf, size_t len);

/* Could st's registers be this device's (writable command bits only, BARs as the device
 * would read them back)? Only the registers are looked at, not the placement fields. */
bool bochs_display_state_ok(const struct bochs_display *d, const struct bochs_display_state *st);
/* Takes the registers of a state bochs_display_state_ok() accepted and re-places BAR2 and
 * the ROM through move_region. */
void bochs_display_set_state(struct bochs_display *d, const struct bochs_display_state *st);

#endif
