/*
 * Physical page allocator for VTL2 memory: a bitmap over one contiguous window of
 * 4 KiB pages. Every page starts reserved; the caller frees the usable parts of the
 * firmware map and reserves what is taken. Pure: the bitmap storage is the caller's.
 */
#ifndef MEZZ_MM_PMM_H
#define MEZZ_MM_PMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#define PAGE_SIZE  4096u
#define PAGE_SHIFT 12

struct pmm_stats {
    uint64_t total_pages;
    uint64_t free_pages;
    uint64_t allocs;
    uint64_t frees;
    uint64_t alloc_failures;
    uint64_t bad_frees;     /* frees of pages outside the window or already free */
};

struct pmm {
    uint64_t base;          /* physical address of page 0 of the window */
    uint64_t npages;
    uint64_t *bitmap;       /* bit set = page in use or reserved */
    uint64_t search_hint;   /* first page index worth looking at */
    struct pmm_stats stats;
};

/* Words of bitmap needed for npages. */
#define PMM_BITMAP_WORDS(npages) (((npages) + 63) / 64)

/*
 * Sets up a window of npages pages at base (page aligned) with all pages reserved.
 * bitmap must hold PMM_BITMAP_WORDS(npages) words. Returns 0 or -EINVAL.
 */
int pmm_init(struct pmm *pmm, uint64_t *bitmap, size_t bitmap_words, uint64_t base, uint64_t npages);

/* Marks the pages wholly inside [base, base+size) ∩ window free / reserved. */
void pmm_release_range(struct pmm *pmm, uint64_t base, uint64_t size);
void pmm_reserve_range(struct pmm *pmm, uint64_t base, uint64_t size);

/*
 * Allocates npages contiguous pages whose first address is a multiple of align
 * (a power of two, at least PAGE_SIZE). Returns 0 and the address in *out, or -ENOMEM.
 * The pages are not zeroed: the caller maps and clears them.
 */
int pmm_alloc(struct pmm *pmm, uint64_t npages, uint64_t align, uint64_t *out);

/* Frees npages pages at phys. Returns -EINVAL, and changes nothing, if any page is
 * outside the window, unaligned or already free. */
int pmm_free(struct pmm *pmm, uint64_t phys, uint64_t npages);

bool pmm_is_free(const struct pmm *pmm, uint64_t phys);

#endif
