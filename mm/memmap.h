/*
 * Physical memory map: the firmware's ranges, sanitised, and the VTL2 region carved
 * from them (SPEC section 1). Pure: no hardware access, built natively for unit tests.
 */
#ifndef MEZZ_MM_MEMMAP_H
#define MEZZ_MM_MEMMAP_H

#include <stdint.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

/* Range types use the e820 numbering, which multiboot1 also uses. */
#define MEM_USABLE   1u
#define MEM_RESERVED 2u
#define MEM_ACPI     3u
#define MEM_NVS      4u
#define MEM_BAD      5u

#define MEMMAP_MAX_RANGES 128

struct mem_range {
    uint64_t base;
    uint64_t size;
    uint32_t type;
};

const char *mem_type_name(uint32_t type);

/*
 * Turns an untrusted firmware list into a sorted list of disjoint, non-empty ranges.
 * Overlaps are resolved in favour of the non-usable type (a range any firmware calls
 * reserved is never handed out); adjacent ranges of one type are merged; ranges that
 * wrap past 2^64 are clipped; unknown types become reserved.
 * Returns the number of ranges written to out, -ENOSPC if more than max are needed, or
 * -E2BIG if n exceeds MEMMAP_MAX_RANGES.
 */
int memmap_sanitize(const struct mem_range *in, size_t n, struct mem_range *out, size_t max);

/* Planned use of the VTL2 region, bottom to top as OpenHCL lays out its VTL2 range. */
struct vtl2_layout {
    uint64_t base, size;           /* the whole region, 2 MiB aligned */
    uint64_t persisted_base, persisted_size;
    uint64_t slot_base[2], slot_size;  /* kernel image slots: running and staged */
    uint64_t vram_base, vram_size;
    uint64_t staging_base, staging_size;
    uint64_t heap_base, heap_size;     /* page allocator: page tables, allocations */
};

#define VTL2_ALIGN          MiB(2)
#define VTL2_PERSISTED_SIZE MiB(2)
#define VTL2_SLOT_SIZE      MiB(4)
#define VTL2_VRAM_SIZE      MiB(8)
#define VTL2_STAGING_SIZE   MiB(4)
#define VTL2_MIN_HEAP_SIZE  MiB(8)
#define VTL2_MIN_SIZE       (VTL2_PERSISTED_SIZE + 2 * VTL2_SLOT_SIZE + VTL2_VRAM_SIZE + \
                             VTL2_STAGING_SIZE + VTL2_MIN_HEAP_SIZE)
#define VTL2_DEFAULT_SIZE   MiB(64)
#define VTL2_MAX_SIZE       GiB(1)

/*
 * Places a VTL2 region of `size` bytes at the top of usable RAM below 4 GiB: its end is
 * the end of the highest usable range below 4 GiB, aligned down to 2 MiB, and the whole
 * region must lie in that one usable range. `map` must be sanitised.
 * Returns 0 and fills *layout, -EINVAL for a bad size, -ENOMEM if it does not fit.
 */
int vtl2_place(const struct mem_range *map, size_t n, uint64_t size, struct vtl2_layout *layout);

/*
 * Lays out a VTL2 region a loader already placed at `base` (docs/image.md): it must be
 * 2 MiB aligned, below 4 GiB and inside one usable range of the sanitised `map`.
 * Returns 0 and fills *layout, -EINVAL for a bad base or size, -ENOMEM if not in RAM.
 */
int vtl2_layout_at(const struct mem_range *map, size_t n, uint64_t base, uint64_t size,
                   struct vtl2_layout *layout);

#endif
