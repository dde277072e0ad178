/* VTL0's CMOS memory registers; see cmos_view.h. */
#include "drivers/vdev/chipset/cmos_view.h"

#include "kernel/lib/compiler.h"

void cmos_view_init(struct cmos_view *v, uint64_t ram_below_4g, uint64_t ram_above_4g,
                    const struct cmos_ops *ops)
{
    v->ram_below_4g = ram_below_4g;
    v->ram_above_4g = ram_above_4g;
    v->ops = *ops;
    v->index = 0;
    v->memory_writes_dropped = 0;
}

void cmos_view_reset(struct cmos_view *v)
{
    v->index = 0;
}

static uint64_t cap16(uint64_t v) { return v > 0xFFFF ? 0xFFFF : v; }

bool cmos_memory_register(const struct cmos_view *v, uint8_t index, uint8_t *value)
{
    const uint64_t base_kib = 640;
    uint64_t ext_kib = v->ram_below_4g > MiB(1) ? cap16((v->ram_below_4g - MiB(1)) / 1024) : 0;
    uint64_t above_16m = v->ram_below_4g > MiB(16) ? cap16((v->ram_below_4g - MiB(16)) / KiB(64)) : 0;
    uint64_t above_4g = v->ram_above_4g / KiB(64);

    switch (index) {
    case CMOS_BASE_MEM_LOW: *value = (uint8_t)base_kib; return true;
    case CMOS_BASE_MEM_HIGH: *value = (uint8_t)(base_kib >> 8); return true;
    case CMOS_EXT_MEM_LOW:
    case CMOS_EXT_MEM2_LOW: *value = (uint8_t)ext_kib; return true;
    case CMOS_EXT_MEM_HIGH:
    case CMOS_EXT_MEM2_HIGH: *value = (uint8_t)(ext_kib >> 8); return true;
    case CMOS_MEM_16M_LOW: *value = (uint8_t)above_16m; return true;
    case CMOS_MEM_16M_HIGH: *value = (uint8_t)(above_16m >> 8); return true;
    case CMOS_MEM_4G_LOW: *value = (uint8_t)above_4g; return true;
    case CMOS_MEM_4G_MID: *value = (uint8_t)(above_4g >> 8); return true;
    case CMOS_MEM_4G_HIGH: *value = (uint8_t)(above_4g >> 16); return true;
    default: return false;
    }
}

void cmos_view_io(struct cmos_view *v, uint16_t port, bool is_write, uint32_t *value)
{
    if (port == CMOS_PORT_INDEX) {
        if (is_write) {
            v->index = (uint8_t)*value;
            /* The NMI-disable bit and the index reach the real RTC either way. */
            v->ops.write_index(v->ops.ctx, v->index);
        } else {
            *value = v->index;
        }
        return;
    }
    uint8_t synthetic;
    bool memory = cmos_memory_register(v, v->index & CMOS_INDEX_MASK, &synthetic);
    if (is_write) {
        if (memory)
            v->memory_writes_dropped++;
        else
            v->ops.write_data(v->ops.ctx, (uint8_t)*value);
        return;
    }
    *value = memory ? synthetic : v->ops.read_data(v->ops.ctx);
}
