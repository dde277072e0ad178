/* VTL0 GPA map; see gpa_map.h. */
#include "mm/gpa_map.h"

#include <errno.h>
#include <string.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/sort_u64.h"

const uint64_t gpa_legacy_cuts[GPA_LEGACY_REGIONS] = {
    0x0, 0xA0000, 0xC0000, 0xC4000, 0xC8000, 0xCC000, 0xD0000, 0xD4000,
    0xD8000, 0xDC000, 0xE0000, 0xE4000, 0xE8000, 0xEC000, 0xF0000, 0x100000,
};

#define LEGACY_END 0x100000ull

const char *gpa_visibility_name(enum gpa_visibility v)
{
    switch (v) {
    case GPA_UNMAPPED: return "unmapped";
    case GPA_READ_ONLY: return "read-only";
    case GPA_READ_WRITE: return "read-write";
    default: return "?";
    }
}

const char *gpa_kind_name(enum gpa_kind k)
{
    switch (k) {
    case GPA_KIND_RAM: return "ram";
    case GPA_KIND_OVERRIDE: return "override";
    case GPA_KIND_ROM: return "rom";
    case GPA_KIND_PASSTHROUGH: return "passthrough";
    case GPA_KIND_DEVICE: return "device";
    default: return "?";
    }
}

int gpa_map_init(struct gpa_map *map, uint64_t low_ram_end)
{
    if (low_ram_end <= LEGACY_END || !IS_ALIGNED(low_ram_end, PAGE_4K))
        return -EINVAL;
    memset(map, 0, sizeof(*map));
    map->low_ram_end = low_ram_end;
    for (unsigned i = 0; i < GPA_LEGACY_REGIONS; i++) {
        map->regions[i].start = gpa_legacy_cuts[i];
        map->regions[i].end = i + 1 < GPA_LEGACY_REGIONS ? gpa_legacy_cuts[i + 1] : low_ram_end;
        map->regions[i].visibility = GPA_READ_WRITE;
    }
    return 0;
}

int gpa_map_find_region(const struct gpa_map *map, uint64_t start, uint64_t end)
{
    for (unsigned i = 0; i < GPA_LEGACY_REGIONS; i++) {
        if (map->regions[i].start == start && map->regions[i].end == end)
            return (int)i;
    }
    return -EINVAL;
}

int gpa_map_set_visibility(struct gpa_map *map, uint64_t start, uint64_t end,
                           enum gpa_visibility visibility)
{
    if (visibility != GPA_UNMAPPED && visibility != GPA_READ_ONLY && visibility != GPA_READ_WRITE)
        return -EINVAL;
    int i = gpa_map_find_region(map, start, end);
    if (i < 0)
        return i;
    if (map->regions[i].visibility != visibility) {
        map->regions[i].visibility = (uint8_t)visibility;
        map->generation++;
    }
    return 0;
}

/* The NPT builder (pt_map) maps addresses below 2^47 only: accepting more here would
 * let a validated map fail gpa_map_build_npt later. */
#define GPA_LIMIT (1ull << 47)

static bool range_ok(uint64_t base, uint64_t size)
{
    return size != 0 && IS_ALIGNED(base, PAGE_4K) && IS_ALIGNED(size, PAGE_4K) &&
           base + size > base && base + size <= GPA_LIMIT;
}

static bool inside_low_ram(const struct gpa_map *map, uint64_t base, uint64_t size)
{
    return base < map->low_ram_end && size <= map->low_ram_end - base;
}

/* Puts w at table[id] (an indexed table: override slots, device windows) unless that
 * entry is taken or w overlaps another active entry (-EEXIST). */
static int claim_window(struct gpa_window *table, size_t count, unsigned id,
                        struct gpa_window w, uint64_t *generation)
{
    if (table[id].active)
        return -EEXIST;
    for (size_t i = 0; i < count; i++) {
        if (table[i].active && w.gpa < table[i].gpa + table[i].size &&
            table[i].gpa < w.gpa + w.size)
            return -EEXIST;
    }
    table[id] = w;
    (*generation)++;
    return 0;
}

static int release_window(struct gpa_window *table, size_t count, unsigned id,
                          uint64_t *generation)
{
    if (id >= count || !table[id].active)
        return -EINVAL;
    table[id].active = false;
    (*generation)++;
    return 0;
}

int gpa_map_set_override(struct gpa_map *map, unsigned slot, uint64_t gpa, uint64_t size,
                         uint64_t backing, bool writable)
{
    if (slot >= GPA_MAX_OVERRIDES || !range_ok(gpa, size) || !range_ok(backing, size) ||
        !inside_low_ram(map, backing, size))
        return -EINVAL;
    /* Overrides of different slots never overlap: the host's slot table would not
     * say which one VTL0 sees. */
    return claim_window(map->overrides, GPA_MAX_OVERRIDES, slot,
                        (struct gpa_window){ true, gpa, size, backing, writable },
                        &map->generation);
}

int gpa_map_clear_override(struct gpa_map *map, unsigned slot)
{
    return release_window(map->overrides, GPA_MAX_OVERRIDES, slot, &map->generation);
}

static int add_window(struct gpa_window *table, size_t count, uint64_t gpa, uint64_t size,
                      uint64_t backing, bool writable, uint64_t *generation)
{
    for (size_t i = 0; i < count; i++) {
        if (!table[i].active) {
            table[i] = (struct gpa_window){ true, gpa, size, backing, writable };
            (*generation)++;
            return 0;
        }
    }
    return -ENOSPC;
}

int gpa_map_add_rom(struct gpa_map *map, uint64_t gpa, uint64_t size, uint64_t backing)
{
    if (!range_ok(gpa, size) || !range_ok(backing, size) || !inside_low_ram(map, backing, size))
        return -EINVAL;
    return add_window(map->roms, GPA_MAX_ROMS, gpa, size, backing, false, &map->generation);
}

int gpa_map_add_ram_block(struct gpa_map *map, uint64_t gpa, uint64_t size)
{
    if (!range_ok(gpa, size) || gpa < map->low_ram_end)
        return -EINVAL;
    return add_window(map->ram_blocks, GPA_MAX_RAM_BLOCKS, gpa, size, gpa, true, &map->generation);
}

int gpa_map_add_passthrough(struct gpa_map *map, uint64_t gpa, uint64_t size)
{
    if (!range_ok(gpa, size) || gpa < map->low_ram_end)
        return -EINVAL;
    return add_window(map->passthrough, GPA_MAX_PASSTHROUGH, gpa, size, gpa, true,
                      &map->generation);
}

static int set_device(struct gpa_map *map, unsigned id, uint64_t gpa, uint64_t size,
                      uint64_t backing, bool writable)
{
    if (id >= GPA_MAX_DEVICE_WINDOWS || !range_ok(gpa, size) || !range_ok(backing, size) ||
        gpa < map->low_ram_end)
        return -EINVAL;
    return claim_window(map->devices, GPA_MAX_DEVICE_WINDOWS, id,
                        (struct gpa_window){ true, gpa, size, backing, writable },
                        &map->generation);
}

int gpa_map_set_device_window(struct gpa_map *map, unsigned id, uint64_t gpa, uint64_t size,
                              uint64_t backing)
{
    return set_device(map, id, gpa, size, backing, true);
}

int gpa_map_set_device_rom(struct gpa_map *map, unsigned id, uint64_t gpa, uint64_t size,
                           uint64_t backing)
{
    return set_device(map, id, gpa, size, backing, false);
}

int gpa_map_clear_device_window(struct gpa_map *map, unsigned id)
{
    return release_window(map->devices, GPA_MAX_DEVICE_WINDOWS, id, &map->generation);
}

static bool window_hit(const struct gpa_window *w, uint64_t gpa)
{
    return w->active && gpa >= w->gpa && gpa - w->gpa < w->size;
}

static bool from_window(const struct gpa_window *table, size_t count, uint64_t gpa,
                        enum gpa_kind kind, struct gpa_extent *out)
{
    for (size_t i = 0; i < count; i++) {
        if (window_hit(&table[i], gpa)) {
            *out = (struct gpa_extent){ gpa, PAGE_4K, table[i].backing + (gpa - table[i].gpa),
                                        table[i].writable, (uint8_t)kind };
            return true;
        }
    }
    return false;
}

bool gpa_map_lookup(const struct gpa_map *map, uint64_t gpa, struct gpa_extent *out)
{
    gpa = ALIGN_DOWN(gpa, PAGE_4K);
    if (from_window(map->overrides, GPA_MAX_OVERRIDES, gpa, GPA_KIND_OVERRIDE, out))
        return true;
    if (gpa < map->low_ram_end) {
        for (unsigned i = 0; i < GPA_LEGACY_REGIONS; i++) {
            const struct gpa_region *r = &map->regions[i];
            if (gpa < r->start || gpa >= r->end)
                continue;
            if (r->visibility == GPA_UNMAPPED)
                break;
            *out = (struct gpa_extent){ gpa, PAGE_4K, gpa, r->visibility == GPA_READ_WRITE,
                                        GPA_KIND_RAM };
            return true;
        }
    }
    if (from_window(map->ram_blocks, GPA_MAX_RAM_BLOCKS, gpa, GPA_KIND_RAM, out))
        return true;
    if (from_window(map->devices, GPA_MAX_DEVICE_WINDOWS, gpa, GPA_KIND_DEVICE, out))
        return true;
    if (from_window(map->roms, GPA_MAX_ROMS, gpa, GPA_KIND_ROM, out))
        return true;
    return from_window(map->passthrough, GPA_MAX_PASSTHROUGH, gpa, GPA_KIND_PASSTHROUGH, out);
}

/* Every address where the answer of gpa_map_lookup can change. */
static size_t collect_cuts(const struct gpa_map *map, uint64_t *cuts, size_t max)
{
    size_t n = 0;
#define CUT(x) do { if (n < max) cuts[n++] = (x); } while (0)
    for (unsigned i = 0; i < GPA_LEGACY_REGIONS; i++) {
        CUT(map->regions[i].start);
        CUT(map->regions[i].end);
    }
    const struct gpa_window *tables[] = { map->overrides, map->roms, map->ram_blocks,
                                          map->passthrough, map->devices };
    const size_t counts[] = { GPA_MAX_OVERRIDES, GPA_MAX_ROMS, GPA_MAX_RAM_BLOCKS,
                              GPA_MAX_PASSTHROUGH, GPA_MAX_DEVICE_WINDOWS };
    for (size_t t = 0; t < ARRAY_SIZE(tables); t++) {
        for (size_t i = 0; i < counts[t]; i++) {
            if (tables[t][i].active) {
                CUT(tables[t][i].gpa);
                CUT(tables[t][i].gpa + tables[t][i].size);
            }
        }
    }
#undef CUT
    sort_u64(cuts, n);  /* at most ~90 entries */
    return n;
}

int gpa_map_extents(const struct gpa_map *map, struct gpa_extent *out, size_t max)
{
    uint64_t cuts[2 * (GPA_LEGACY_REGIONS + GPA_MAX_OVERRIDES + GPA_MAX_ROMS +
                       GPA_MAX_RAM_BLOCKS + GPA_MAX_PASSTHROUGH + GPA_MAX_DEVICE_WINDOWS)];
    size_t ncuts = collect_cuts(map, cuts, ARRAY_SIZE(cuts));
    size_t n = 0;

    for (size_t c = 0; c + 1 < ncuts; c++) {
        uint64_t lo = cuts[c], hi = cuts[c + 1];
        struct gpa_extent e;
        if (lo == hi || !gpa_map_lookup(map, lo, &e))
            continue;
        /* Within [lo, hi) the answer is the same layer, so the extent is contiguous. */
        e.size = hi - lo;
        if (n > 0) {
            struct gpa_extent *prev = &out[n - 1];
            if (prev->gpa + prev->size == e.gpa && prev->backing + prev->size == e.backing &&
                prev->writable == e.writable && prev->kind == e.kind) {
                prev->size += e.size;
                continue;
            }
        }
        if (n == max)
            return -ENOSPC;
        out[n++] = e;
    }
    return (int)n;
}

int gpa_map_build_npt(const struct gpa_map *map, struct page_table *pt)
{
    struct gpa_extent extents[GPA_MAX_EXTENTS];
    int n = gpa_map_extents(map, extents, ARRAY_SIZE(extents));
    if (n < 0)
        return n;
    for (int i = 0; i < n; i++) {
        /* NPT walks are user-mode accesses: U at every level (svm-under-tcg.md). */
        uint64_t prot = PTE_U | (extents[i].writable ? PTE_W : 0);
        if (extents[i].kind == GPA_KIND_PASSTHROUGH)
            prot |= PTE_PCD;
        int err = pt_map(pt, extents[i].gpa, extents[i].backing, extents[i].size, prot, true);
        if (err)
            return err;
    }
    return 0;
}
