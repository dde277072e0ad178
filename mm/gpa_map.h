/*
 * VTL0's guest-physical address map (SPEC section 5), from which the nested page table
 * is derived and nothing else. Layers, highest priority first:
 *   1. overrides: GPA ranges created through the GET (slots), mapping a GPA range onto
 *      another offset of VTL0 RAM, read-only (ROM) or writable;
 *   2. VTL0's first RAM block [0, low_ram_end), split exactly like OpenVMM's legacy mode
 *      into 16 regions, each Unmapped / ReadOnly / ReadWrite (identity backed);
 *      plus further RAM blocks (identity, read-write);
 *   3. device memory: Mezzanine-owned memory a device shows VTL0 at a GPA VTL0 chose
 *      (the display's VRAM behind its BAR); the backing is Mezzanine's, not VTL0 RAM;
 *   4. ROM windows: the firmware image seen read-only through windows (below 1 MiB and
 *      below 4 GiB), visible only where the layers above leave the GPA unmapped;
 *   5. pass-through MMIO pages (identity, e.g. the local APIC).
 * Everything else is MMIO: accesses exit and are emulated. Pure: the NPT is built
 * through the page-table builder's ops.
 */
#ifndef MEZZ_MM_GPA_MAP_H
#define MEZZ_MM_GPA_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/paging.h"

enum gpa_visibility {
    GPA_UNMAPPED = 0,
    GPA_READ_ONLY = 1,
    GPA_READ_WRITE = 2,
};

#define GPA_LEGACY_REGIONS 16
#define GPA_MAX_OVERRIDES  16
#define GPA_MAX_ROMS       4
#define GPA_MAX_RAM_BLOCKS 4
#define GPA_MAX_PASSTHROUGH 4
#define GPA_MAX_DEVICE_WINDOWS 4
#define GPA_MAX_EXTENTS    96

/* What backs one extent of the map. */
enum gpa_kind {
    GPA_KIND_RAM = 0,        /* a legacy region or extra RAM block */
    GPA_KIND_OVERRIDE = 1,
    GPA_KIND_ROM = 2,
    GPA_KIND_PASSTHROUGH = 3,
    GPA_KIND_DEVICE = 4,
};

struct gpa_extent {
    uint64_t gpa, size, backing;
    bool writable;
    uint8_t kind;            /* enum gpa_kind */
};

struct gpa_region {
    uint64_t start, end;
    uint8_t visibility;      /* enum gpa_visibility */
};

struct gpa_window {          /* an override, a ROM window, a RAM block or a pass-through */
    bool active;
    uint64_t gpa, size, backing;
    bool writable;
};

struct gpa_map {
    /* static config */
    uint64_t low_ram_end;    /* end of VTL0's first RAM block: no backing may reach past it */
    /* plain state */
    struct gpa_region regions[GPA_LEGACY_REGIONS];
    struct gpa_window overrides[GPA_MAX_OVERRIDES];   /* indexed by slot */
    struct gpa_window roms[GPA_MAX_ROMS];
    struct gpa_window ram_blocks[GPA_MAX_RAM_BLOCKS];
    struct gpa_window passthrough[GPA_MAX_PASSTHROUGH];
    struct gpa_window devices[GPA_MAX_DEVICE_WINDOWS];   /* indexed by window id */
    uint64_t generation;     /* bumped by every change */
};

/* The cut points of OpenVMM's legacy split (reference section 6), before low_ram_end. */
extern const uint64_t gpa_legacy_cuts[GPA_LEGACY_REGIONS];

/* Sets up the 16 regions of [0, low_ram_end) all read-write, nothing else.
 * Returns -EINVAL unless low_ram_end is above 1 MiB (the last region is never empty)
 * and page aligned. */
int gpa_map_init(struct gpa_map *map, uint64_t low_ram_end);

/* Index of the legacy region that is exactly [start, end), or -EINVAL: a region's
 * visibility is controlled whole (as OpenVMM requires). */
int gpa_map_find_region(const struct gpa_map *map, uint64_t start, uint64_t end);
int gpa_map_set_visibility(struct gpa_map *map, uint64_t start, uint64_t end,
                           enum gpa_visibility visibility);

/*
 * Validated setters (copy → validate → act): page-aligned, non-empty, no wrap, ending
 * at or below 2^47 (all the NPT builder maps), and the backing must lie inside VTL0's
 * first RAM block (or, for RAM blocks and pass-through, outside it as declared). They
 * return 0 or -EINVAL / -ENOSPC / -EEXIST, changing nothing on error.
 */
int gpa_map_set_override(struct gpa_map *map, unsigned slot, uint64_t gpa, uint64_t size,
                         uint64_t backing, bool writable);
int gpa_map_clear_override(struct gpa_map *map, unsigned slot);
int gpa_map_add_rom(struct gpa_map *map, uint64_t gpa, uint64_t size, uint64_t backing);
int gpa_map_add_ram_block(struct gpa_map *map, uint64_t gpa, uint64_t size);
int gpa_map_add_passthrough(struct gpa_map *map, uint64_t gpa, uint64_t size);

/*
 * Device memory (layer 3): window `id` shows [backing, backing + size) at gpa, writable.
 * The backing is Mezzanine's own memory (e.g. VRAM in the VTL2 region); the caller
 * vouches for it. gpa is chosen by VTL0 (a BAR), so it must not overlap VTL0's first RAM
 * block or the other layers' windows above; -EINVAL / -EEXIST otherwise.
 */
int gpa_map_set_device_window(struct gpa_map *map, unsigned id, uint64_t gpa, uint64_t size,
                              uint64_t backing);
/* The same, read-only (a device's expansion ROM): VTL0's writes there are dropped and
 * counted like writes to any ROM. Cleared with gpa_map_clear_device_window(). */
int gpa_map_set_device_rom(struct gpa_map *map, unsigned id, uint64_t gpa, uint64_t size,
                           uint64_t backing);
int gpa_map_clear_device_window(struct gpa_map *map, unsigned id);

/* Resolves one GPA: returns true and the extent-style answer if anything maps it. */
bool gpa_map_lookup(const struct gpa_map *map, uint64_t gpa, struct gpa_extent *out);

/*
 * The whole map as sorted, disjoint, maximal extents (adjacent pieces with contiguous
 * backing, the same rights and the same kind are merged). Returns the count or -ENOSPC.
 */
int gpa_map_extents(const struct gpa_map *map, struct gpa_extent *out, size_t max);

/* Maps every extent into pt (an empty nested page table: leaves get P|U, W if writable;
 * large pages where alignment allows). Returns 0 or the builder's error. */
int gpa_map_build_npt(const struct gpa_map *map, struct page_table *pt);

const char *gpa_visibility_name(enum gpa_visibility v);
const char *gpa_kind_name(enum gpa_kind k);

#endif
