/* Bitmap physical page allocator; see pmm.h for the contract. */
#include "mm/pmm.h"

#include <errno.h>

#include "kernel/lib/compiler.h"

static bool bit_get(const struct pmm *pmm, uint64_t page)
{
    return (pmm->bitmap[page / 64] >> (page % 64)) & 1u;
}

static void bit_set(struct pmm *pmm, uint64_t page, bool used)
{
    uint64_t mask = (uint64_t)1 << (page % 64);
    if (used)
        pmm->bitmap[page / 64] |= mask;
    else
        pmm->bitmap[page / 64] &= ~mask;
}

int pmm_init(struct pmm *pmm, uint64_t *bitmap, size_t bitmap_words, uint64_t base, uint64_t npages)
{
    if (!IS_ALIGNED(base, PAGE_SIZE) || bitmap_words < PMM_BITMAP_WORDS(npages))
        return -EINVAL;
    if (npages != 0 && base + npages * PAGE_SIZE - 1 < base)
        return -EINVAL;
    pmm->base = base;
    pmm->npages = npages;
    pmm->bitmap = bitmap;
    pmm->search_hint = 0;
    for (size_t i = 0; i < PMM_BITMAP_WORDS(npages); i++)
        bitmap[i] = ~(uint64_t)0;
    pmm->stats = (struct pmm_stats){ .total_pages = npages };
    return 0;
}

/* Clips [base, base+size) to whole pages inside the window; false if nothing is left. */
static bool clip_to_pages(const struct pmm *pmm, uint64_t base, uint64_t size, bool inner,
                          uint64_t *first, uint64_t *end)
{
    uint64_t win_end = pmm->base + pmm->npages * PAGE_SIZE;
    uint64_t lo = base, hi = base + size;

    if (size == 0)
        return false;
    if (hi < lo)
        hi = UINT64_MAX;
    if (lo < pmm->base)
        lo = pmm->base;
    if (hi > win_end)
        hi = win_end;
    if (lo >= hi)
        return false;
    /* Freeing takes only pages wholly inside; reserving takes any page touched. */
    lo = inner ? ALIGN_UP(lo - pmm->base, (uint64_t)PAGE_SIZE) : ALIGN_DOWN(lo - pmm->base, (uint64_t)PAGE_SIZE);
    hi = inner ? ALIGN_DOWN(hi - pmm->base, (uint64_t)PAGE_SIZE) : ALIGN_UP(hi - pmm->base, (uint64_t)PAGE_SIZE);
    if (lo >= hi)
        return false;
    *first = lo / PAGE_SIZE;
    *end = hi / PAGE_SIZE;
    return true;
}

void pmm_release_range(struct pmm *pmm, uint64_t base, uint64_t size)
{
    uint64_t first, end;
    if (!clip_to_pages(pmm, base, size, true, &first, &end))
        return;
    for (uint64_t p = first; p < end;) {
        /* A whole bitmap word at a time where the range covers it: a heap of ~10,000
         * pages is released at every boot, a servicing boot's with VTL0 stopped. */
        if (p % 64 == 0 && end - p >= 64) {
            uint64_t *word = &pmm->bitmap[p / 64];
            pmm->stats.free_pages += (uint64_t)__builtin_popcountll(*word);
            *word = 0;
            p += 64;
            continue;
        }
        if (bit_get(pmm, p)) {
            bit_set(pmm, p, false);
            pmm->stats.free_pages++;
        }
        p++;
    }
    if (first < pmm->search_hint)
        pmm->search_hint = first;
}

void pmm_reserve_range(struct pmm *pmm, uint64_t base, uint64_t size)
{
    uint64_t first, end;
    if (!clip_to_pages(pmm, base, size, false, &first, &end))
        return;
    for (uint64_t p = first; p < end; p++) {
        if (!bit_get(pmm, p)) {
            bit_set(pmm, p, true);
            pmm->stats.free_pages--;
        }
    }
}

int pmm_alloc(struct pmm *pmm, uint64_t npages, uint64_t align, uint64_t *out)
{
    if (npages == 0 || align < PAGE_SIZE || (align & (align - 1)) != 0 ||
        npages > pmm->stats.free_pages) {
        pmm->stats.alloc_failures++;
        return -ENOMEM;
    }

    uint64_t p = pmm->search_hint;
    while (p + npages <= pmm->npages) {
        /* A word of used pages at a time: the hint stays behind a hole, and a big
         * allocation after it (the GET bench's 8 MiB) left every later search walking
         * two thousand used pages one by one. */
        if (p % 64 == 0 && pmm->bitmap[p / 64] == ~(uint64_t)0) {
            p += 64;
            continue;
        }
        uint64_t addr = pmm->base + p * PAGE_SIZE;
        if (!IS_ALIGNED(addr, align)) {
            p = (ALIGN_UP(addr, align) - pmm->base) / PAGE_SIZE;
            continue;
        }
        uint64_t run = 0;
        while (run < npages) {
            uint64_t q = p + run;
            if (q % 64 == 0 && npages - run >= 64 && pmm->bitmap[q / 64] == 0) {
                run += 64;      /* a word of free pages */
                continue;
            }
            if (bit_get(pmm, q))
                break;
            run++;
        }
        if (run == npages) {
            for (uint64_t i = 0; i < npages; i++)
                bit_set(pmm, p + i, true);
            pmm->stats.free_pages -= npages;
            pmm->stats.allocs++;
            if (p == pmm->search_hint)
                pmm->search_hint = p + npages;
            *out = addr;
            return 0;
        }
        p += run + 1;
    }
    pmm->stats.alloc_failures++;
    return -ENOMEM;
}

int pmm_free(struct pmm *pmm, uint64_t phys, uint64_t npages)
{
    if (npages == 0 || phys < pmm->base || !IS_ALIGNED(phys - pmm->base, (uint64_t)PAGE_SIZE)) {
        pmm->stats.bad_frees++;
        return -EINVAL;
    }
    uint64_t first = (phys - pmm->base) / PAGE_SIZE;
    if (first >= pmm->npages || npages > pmm->npages - first) {
        pmm->stats.bad_frees++;
        return -EINVAL;
    }
    /* Validate the whole run before changing anything. */
    for (uint64_t p = first; p < first + npages; p++) {
        if (!bit_get(pmm, p)) {
            pmm->stats.bad_frees++;
            return -EINVAL;
        }
    }
    for (uint64_t p = first; p < first + npages; p++)
        bit_set(pmm, p, false);
    pmm->stats.free_pages += npages;
    pmm->stats.frees++;
    if (first < pmm->search_hint)
        pmm->search_hint = first;
    return 0;
}

bool pmm_is_free(const struct pmm *pmm, uint64_t phys)
{
    if (phys < pmm->base)
        return false;
    uint64_t page = (phys - pmm->base) / PAGE_SIZE;
    return page < pmm->npages && !bit_get(pmm, page);
}
