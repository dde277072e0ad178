/* Firmware memory map sanitising and VTL2 region placement; see memmap.h. */
#include "mm/memmap.h"

#include <errno.h>
#include <stdbool.h>

#include "kernel/lib/sort_u64.h"

const char *mem_type_name(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:   return "usable";
    case MEM_RESERVED: return "reserved";
    case MEM_ACPI:     return "acpi";
    case MEM_NVS:      return "acpi-nvs";
    case MEM_BAD:      return "bad";
    default:           return "unknown";
    }
}

/* Higher rank wins an overlap: usable is the weakest claim on a byte. */
static unsigned type_rank(uint32_t type)
{
    switch (type) {
    case MEM_USABLE:   return 0;
    case MEM_ACPI:     return 1;
    case MEM_NVS:      return 2;
    case MEM_RESERVED: return 3;
    default:           return 4; /* bad and unknown */
    }
}

static uint32_t normalise_type(uint32_t type)
{
    return (type >= MEM_USABLE && type <= MEM_BAD) ? type : MEM_RESERVED;
}

/* A range wrapping past 2^64 is clipped at the top of the address space. */
static uint64_t range_end(const struct mem_range *r)
{
    uint64_t end = r->base + r->size;
    return end < r->base ? UINT64_MAX : end;
}

/*
 * Sweep over boundary points: between two consecutive boundaries the type is the
 * highest-ranked type among the input ranges covering that piece. n is bounded by
 * MEMMAP_MAX_RANGES so the quadratic work stays small.
 */
int memmap_sanitize(const struct mem_range *in, size_t n, struct mem_range *out, size_t max)
{
    uint64_t points[2 * MEMMAP_MAX_RANGES];
    size_t npoints = 0;
    size_t nout = 0;

    /* Dropping input ranges could lose a reserved one: refuse instead. */
    if (n > MEMMAP_MAX_RANGES)
        return -E2BIG;

    for (size_t i = 0; i < n; i++) {
        if (in[i].size == 0)
            continue;
        points[npoints++] = in[i].base;
        points[npoints++] = range_end(&in[i]);
    }

    sort_u64(points, npoints);  /* at most 256 points */

    for (size_t p = 0; p + 1 < npoints; p++) {
        uint64_t lo = points[p], hi = points[p + 1];
        if (lo == hi)
            continue;
        bool covered = false;
        uint32_t type = MEM_USABLE;
        for (size_t i = 0; i < n; i++) {
            if (in[i].size == 0)
                continue;
            if (in[i].base <= lo && range_end(&in[i]) >= hi) {
                uint32_t t = normalise_type(in[i].type);
                if (!covered || type_rank(t) > type_rank(type))
                    type = t;
                covered = true;
            }
        }
        if (!covered)
            continue;
        if (nout > 0 && out[nout - 1].type == type &&
            out[nout - 1].base + out[nout - 1].size == lo) {
            out[nout - 1].size += hi - lo;
            continue;
        }
        if (nout == max)
            return -ENOSPC;
        out[nout].base = lo;
        out[nout].size = hi - lo;
        out[nout].type = type;
        nout++;
    }
    return (int)nout;
}

int vtl2_place(const struct mem_range *map, size_t n, uint64_t size, struct vtl2_layout *layout)
{
    const uint64_t four_gib = GiB(4);
    const struct mem_range *top = NULL;

    if (size < VTL2_MIN_SIZE || size > VTL2_MAX_SIZE || !IS_ALIGNED(size, VTL2_ALIGN))
        return -EINVAL;

    for (size_t i = 0; i < n; i++) {
        if (map[i].type != MEM_USABLE || map[i].base >= four_gib)
            continue;
        if (top == NULL || map[i].base > top->base)
            top = &map[i];
    }
    if (top == NULL)
        return -ENOMEM;

    uint64_t end = top->base + top->size;
    if (end > four_gib)
        end = four_gib;
    end = ALIGN_DOWN(end, VTL2_ALIGN);
    if (end < size || end - size < top->base)
        return -ENOMEM;

    return vtl2_layout_at(map, n, end - size, size, layout);
}

int vtl2_layout_at(const struct mem_range *map, size_t n, uint64_t base, uint64_t size,
                   struct vtl2_layout *layout)
{
    if (size < VTL2_MIN_SIZE || size > VTL2_MAX_SIZE || !IS_ALIGNED(size, VTL2_ALIGN) ||
        !IS_ALIGNED(base, VTL2_ALIGN) || base > GiB(4) - size)
        return -EINVAL;
    bool inside = false;
    for (size_t i = 0; i < n && !inside; i++)
        inside = map[i].type == MEM_USABLE && map[i].base <= base &&
                 base + size <= map[i].base + map[i].size;
    if (!inside)
        return -ENOMEM;
    uint64_t end = base + size;
    layout->base = base;
    layout->size = size;
    layout->persisted_base = base;
    layout->persisted_size = VTL2_PERSISTED_SIZE;
    layout->slot_size = VTL2_SLOT_SIZE;
    layout->slot_base[0] = base + VTL2_PERSISTED_SIZE;
    layout->slot_base[1] = layout->slot_base[0] + VTL2_SLOT_SIZE;
    layout->vram_base = layout->slot_base[1] + VTL2_SLOT_SIZE;
    layout->vram_size = VTL2_VRAM_SIZE;
    layout->staging_base = layout->vram_base + VTL2_VRAM_SIZE;
    layout->staging_size = VTL2_STAGING_SIZE;
    layout->heap_base = layout->staging_base + VTL2_STAGING_SIZE;
    layout->heap_size = end - layout->heap_base;
    return 0;
}
