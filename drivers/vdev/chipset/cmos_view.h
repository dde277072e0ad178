/*
 * VTL0's view of the CMOS memory-size registers (SPEC section 5). The index port 0x70
 * and data port 0x71 pass through to the real RTC except the registers that describe
 * RAM, which report VTL0's RAM the way QEMU's pc_cmos_init() would for a machine of
 * that size. Pure: the real device is reached through ops.
 */
#ifndef MEZZ_DRIVERS_CMOS_VIEW_H
#define MEZZ_DRIVERS_CMOS_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMOS_PORT_INDEX 0x70
#define CMOS_PORT_DATA  0x71
#define CMOS_NMI_DISABLE 0x80
#define CMOS_INDEX_MASK  0x7F

#define CMOS_BASE_MEM_LOW    0x15   /* KiB below 1 MiB */
#define CMOS_BASE_MEM_HIGH   0x16
#define CMOS_EXT_MEM_LOW     0x17   /* KiB from 1 MiB to 64 MiB */
#define CMOS_EXT_MEM_HIGH    0x18
#define CMOS_EXT_MEM2_LOW    0x30   /* the same, again */
#define CMOS_EXT_MEM2_HIGH   0x31
#define CMOS_MEM_16M_LOW     0x34   /* 64 KiB units above 16 MiB, below 4 GiB */
#define CMOS_MEM_16M_HIGH    0x35
#define CMOS_MEM_4G_LOW      0x5B   /* 64 KiB units above 4 GiB: three bytes */
#define CMOS_MEM_4G_MID      0x5C
#define CMOS_MEM_4G_HIGH     0x5D

struct cmos_ops {
    void (*write_index)(void *ctx, uint8_t value);
    uint8_t (*read_data)(void *ctx);
    void (*write_data)(void *ctx, uint8_t value);
    void *ctx;
};

struct cmos_view {
    uint64_t ram_below_4g, ram_above_4g;   /* static config */
    struct cmos_ops ops;                   /* runtime glue */
    uint8_t index;                         /* last value VTL0 wrote to 0x70 */
    uint64_t memory_writes_dropped;
};

void cmos_view_init(struct cmos_view *view, uint64_t ram_below_4g, uint64_t ram_above_4g,
                    const struct cmos_ops *ops);

/* Returns true and the value if `index` is one of the memory-size registers. */
bool cmos_memory_register(const struct cmos_view *view, uint8_t index, uint8_t *value);

/* A byte access to port 0x70 or 0x71 (other sizes act on the low byte). */
void cmos_view_io(struct cmos_view *view, uint16_t port, bool is_write, uint32_t *value);

/* Device reset: the index back to its power-on 0 (the real RTC is not touched). */
void cmos_view_reset(struct cmos_view *view);

/*
 * Saved state (docs/saved-state.md): unit "cmos_view", schema
 * mezzanine.vdev.cmos_view.SavedState: the index. restore decodes into a temporary and
 * validates it (a byte) -- -EINVAL changes nothing -- then takes it; it makes no call
 * (the real RTC keeps its own index).
 */
#define CMOS_VIEW_STATE_UNIT     "cmos_view"
#define CMOS_VIEW_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.cmos_view.SavedState"
#define CMOS_VIEW_STATE_MAX_LEN  8
int cmos_view_save_state(const struct cmos_view *view, uint8_t *buf, size_t cap, size_t *len);
int cmos_view_restore_state(struct cmos_view *view, const uint8_t *buf, size_t len);

#endif
