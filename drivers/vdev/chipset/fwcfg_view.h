/*
 * VTL0's view of QEMU's fw_cfg device (SPEC section 5). VTL0's accesses to the selector
 * and data ports land here; most items pass through to the real device, but:
 *  - FW_CFG_ID hides the DMA feature (DMA takes host-physical addresses: VTL0 could make
 *    it write VTL2 memory), and the DMA ports are refused;
 *  - FW_CFG_RAM_SIZE and the "etc/e820" file describe VTL0's RAM, not the machine's, so
 *    firmware never places anything in the VTL2 region;
 *  - the items of QEMU's -kernel boot (Mezzanine itself) and the option ROMs that load
 *    it are hidden, so VTL0's firmware does not try to boot Mezzanine; so is QEMU's
 *    kvmvapic ROM, whose port makes QEMU write physical memory.
 * Pure: the real device is reached through ops. QEMU's layouts: docs/specs/fw_cfg.rst.
 */
#ifndef MEZZ_DRIVERS_FWCFG_VIEW_H
#define MEZZ_DRIVERS_FWCFG_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

#define FWCFG_PORT_SELECTOR 0x510
#define FWCFG_PORT_DATA     0x511
#define FWCFG_PORT_DMA_HIGH 0x514
#define FWCFG_PORT_DMA_LOW  0x518
#define FWCFG_PORT_FIRST    0x510
#define FWCFG_PORT_COUNT    12      /* 0x510 .. 0x51B */

#define FW_CFG_SIGNATURE    0x0000
#define FW_CFG_ID           0x0001
#define FW_CFG_RAM_SIZE     0x0003
#define FW_CFG_KERNEL_ADDR  0x0007
#define FW_CFG_INITRD_SIZE  0x000b
#define FW_CFG_KERNEL_ENTRY 0x0010
#define FW_CFG_SETUP_DATA   0x0018
#define FW_CFG_FILE_DIR     0x0019
#define FW_CFG_WRITE_CHANNEL 0x4000   /* ignored by QEMU when it picks the item */
#define FW_CFG_ID_TRADITIONAL 0x1u
#define FW_CFG_ID_DMA         0x2u

#define FWCFG_MAX_FILES     96
#define FWCFG_NAME_LEN      56
#define FWCFG_MAX_E820      4

/* One directory entry as QEMU lays it out (big-endian numbers). */
struct fwcfg_file {
    uint32_t size_be;
    uint16_t select_be;
    uint16_t reserved;
    char name[FWCFG_NAME_LEN];
} PACKED;
STATIC_ASSERT_SIZE(struct fwcfg_file, 64);

/* One "etc/e820" entry (little-endian). */
struct fwcfg_e820 {
    uint64_t address;
    uint64_t length;
    uint32_t type;
} PACKED;
STATIC_ASSERT_SIZE(struct fwcfg_e820, 20);

/*
 * The view's directory as a servicing handoff carries it (docs/servicing.md, "The
 * persisted part"). QEMU's directory belongs to the machine and never changes, so a new
 * instance takes it from the old one instead of reading the device: the read is ~1,300
 * port reads with VTL0 stopped, and it would move the real device's selection under a
 * VTL0 that is halfway through an item (the view keeps no offset for those). It is the
 * view's directory (hidden files already gone), refiltered by the taker: a file an older
 * version hid stays hidden until the next cold boot.
 */
#define FWCFG_CARRY_MAGIC 0x46434657u    /* "WFCF" */
struct fwcfg_carry {
    uint32_t magic;
    uint32_t features;                   /* the real FW_CFG_ID */
    uint32_t count;                      /* entries in dir */
    uint32_t reserved;
    struct fwcfg_file dir[FWCFG_MAX_FILES];
} PACKED;
STATIC_ASSERT_SIZE(struct fwcfg_carry, 16 + 64 * FWCFG_MAX_FILES);
STATIC_ASSERT_OFFSET(struct fwcfg_carry, dir, 16);

struct fwcfg_ops {
    void (*select)(void *ctx, uint16_t key);
    uint8_t (*read_byte)(void *ctx);
    void *ctx;
};

struct fwcfg_view_stats {
    uint64_t dma_refused;       /* accesses to the DMA ports */
    uint64_t data_writes;       /* writes to the data port (ignored, as QEMU does) */
    uint64_t hidden_reads;      /* bytes read from hidden or synthetic items */
    uint64_t passthrough_reads;
};

struct fwcfg_view {
    /* static config */
    uint64_t ram_below_4g;      /* VTL0's RAM from 0 */
    uint64_t ram_above_4g;      /* VTL0's RAM from 4 GiB (0 if none) */
    /* runtime glue */
    struct fwcfg_ops ops;
    /* built at init from the real directory */
    bool present;
    uint32_t features;          /* the real FW_CFG_ID */
    uint16_t e820_key;          /* selector of "etc/e820", 0 if absent */
    uint32_t file_count;        /* entries kept in dir */
    struct fwcfg_file dir[FWCFG_MAX_FILES];
    uint8_t e820_count;
    struct fwcfg_e820 e820[FWCFG_MAX_E820];
    /* plain state */
    uint16_t selected;
    uint32_t offset;            /* within a synthetic item */
    struct fwcfg_view_stats stats;
};

/* Reads the real device's signature, features and file directory and builds the view.
 * Returns 0, or -ENODEV if the device does not answer "QEMU" (the view then reads as an
 * absent device: all-ones). */
int fwcfg_view_init(struct fwcfg_view *view, uint64_t ram_below_4g, uint64_t ram_above_4g,
                    const struct fwcfg_ops *ops);

/* The directory for the next instance: its record (magic 0 when there is no device). */
void fwcfg_view_carry(const struct fwcfg_view *view, struct fwcfg_carry *out);
/* fwcfg_view_init from a carried directory, touching nothing of the real device: the
 * record is copied, then checked (magic, count); every entry goes through the same
 * filter as at init (this version's hidden files, VTL0's e820 size). Returns 0, or
 * -EINVAL for a record that does not pass (the caller reads the device instead). */
int fwcfg_view_init_carried(struct fwcfg_view *view, uint64_t ram_below_4g, uint64_t ram_above_4g,
                            const struct fwcfg_ops *ops, const struct fwcfg_carry *carried);

/* One VTL0 port access in [0x510, 0x51C). Reads fill *value. */
void fwcfg_view_io(struct fwcfg_view *view, uint16_t port, unsigned size, bool is_write,
                   uint32_t *value);

/* VTL0 reset: the signature selected again, offset 0 (the real device is not touched). */
void fwcfg_view_reset(struct fwcfg_view *view);

/*
 * Saved state (docs/saved-state.md): unit "fwcfg_view", schema
 * mezzanine.vdev.fwcfg_view.SavedState: the selected key and the offset in a synthetic
 * item. restore decodes into a temporary and validates it (a 16-bit key without the
 * write-channel bit) -- -EINVAL changes nothing -- then takes it; it makes no call (the
 * real device keeps its own selection). The directory and e820 view are rebuilt by init.
 */
#define FWCFG_VIEW_STATE_UNIT     "fwcfg_view"
#define FWCFG_VIEW_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.fwcfg_view.SavedState"
#define FWCFG_VIEW_STATE_MAX_LEN  16
int fwcfg_view_save_state(const struct fwcfg_view *view, uint8_t *buf, size_t cap, size_t *len);
int fwcfg_view_restore_state(struct fwcfg_view *view, const uint8_t *buf, size_t len);

/* True for items VTL0 must not see (QEMU's -kernel boot and its loader ROMs). */
bool fwcfg_hidden_file(const char *name);

#endif
