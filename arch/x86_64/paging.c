/* Page-table builder; see paging.h. */
#include "arch/x86_64/paging.h"

#include <errno.h>
#include <string.h>

#include "kernel/lib/compiler.h"

static unsigned index_at(uint64_t va, int level)
{
    /* level 4 = PML4 ... level 1 = PT */
    return (unsigned)((va >> (12 + 9 * (level - 1))) & 0x1FF);
}

bool va_is_canonical(uint64_t va)
{
    uint64_t top = va >> 47;
    return top == 0 || top == 0x1FFFF;
}

static uint64_t new_table(struct page_table *pt)
{
    uint64_t phys = pt->ops.alloc_table(pt->ops.ctx);
    if (phys == 0 || !IS_ALIGNED(phys, PAGE_4K))
        return 0;
    memset(pt->ops.table_ptr(pt->ops.ctx, phys), 0, PAGE_4K);
    pt->tables_allocated++;
    return phys;
}

int pt_init(struct page_table *pt, const struct pt_ops *ops, uint64_t table_flags)
{
    pt->ops = *ops;
    pt->table_flags = table_flags | PTE_P;
    pt->tables_allocated = 0;
    pt->root = new_table(pt);
    return pt->root ? 0 : -ENOMEM;
}

/* Returns the table one level below entry `*e`, creating it if absent; NULL on error. */
static uint64_t *next_table(struct page_table *pt, uint64_t *e, int *err)
{
    if (*e & PTE_P) {
        if (*e & PTE_PS) {
            *err = -EEXIST;
            return NULL;
        }
        return pt->ops.table_ptr(pt->ops.ctx, *e & PTE_ADDR_MASK);
    }
    uint64_t phys = new_table(pt);
    if (phys == 0) {
        *err = -ENOMEM;
        return NULL;
    }
    *e = phys | pt->table_flags;
    return pt->ops.table_ptr(pt->ops.ctx, phys);
}

/* The table at level `stop` (2: the page directory, 1: a page table) that maps va,
 * creating the ones above it; NULL with *err on error. */
static uint64_t *table_for(struct page_table *pt, uint64_t va, int stop, int *err)
{
    uint64_t *table = pt->ops.table_ptr(pt->ops.ctx, pt->root);
    for (int level = 4; level > stop && table != NULL; level--)
        table = next_table(pt, &table[index_at(va, level)], err);
    return table;
}

static int map_one(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t leaf_bits, bool large)
{
    int stop = large ? 2 : 1;
    int err = 0;
    uint64_t *table = table_for(pt, va, stop, &err);
    if (table == NULL)
        return err;
    uint64_t *e = &table[index_at(va, stop)];
    if (*e & PTE_P)
        return -EEXIST;
    /* A 2 MiB slot must also not hide a page table with 4 KiB mappings. */
    *e = pa | leaf_bits | (large ? PTE_PS : 0);
    return 0;
}

int pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t len, uint64_t prot,
           bool allow_large)
{
    if (!IS_ALIGNED(va, PAGE_4K) || !IS_ALIGNED(pa, PAGE_4K) || !IS_ALIGNED(len, PAGE_4K) ||
        (prot & ~PT_PROT_MASK) != 0 || (pa & ~PTE_ADDR_MASK) != 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    /* The last physical byte must still fit the 52-bit address field of a PTE. */
    if (va + len - 1 < va || !va_is_canonical(va) || !va_is_canonical(va + len - 1) ||
        ((va ^ (va + len - 1)) >> 47) != 0 || pa + len - 1 < pa ||
        ((pa + len - 1) & ~(PTE_ADDR_MASK | (PAGE_4K - 1))) != 0)
        return -EINVAL;

    uint64_t leaf_bits = PTE_P | prot;
    uint64_t done = 0;
    while (done < len) {
        uint64_t v = va + done, p = pa + done;
        bool large = allow_large && IS_ALIGNED(v, PAGE_2M) && IS_ALIGNED(p, PAGE_2M) &&
                     len - done >= PAGE_2M;
        if (large) {
            int err = map_one(pt, v, p, leaf_bits, true);
            if (err)
                return err;
            done += PAGE_2M;
            continue;
        }
        /* 4 KiB pages: one walk to their page table, then its entries up to the next
         * 2 MiB boundary (where a large page may start) -- an NPT of the low megabyte's
         * 4 KiB windows is hundreds of them, built with VTL0 stopped. */
        int err = 0;
        uint64_t *table = table_for(pt, v, 1, &err);
        if (table == NULL)
            return err;
        do {
            uint64_t *e = &table[index_at(va + done, 1)];
            if (*e & PTE_P)
                return -EEXIST;
            *e = (pa + done) | leaf_bits;
            done += PAGE_4K;
        } while (done < len && !IS_ALIGNED(va + done, PAGE_2M));
    }
    return 0;
}

bool pt_translate(const struct page_table *pt, uint64_t va, uint64_t *pa, uint64_t *leaf)
{
    if (!va_is_canonical(va))
        return false;
    const uint64_t *table = pt->ops.table_ptr(pt->ops.ctx, pt->root);
    for (int level = 4; level >= 1; level--) {
        uint64_t e = table[index_at(va, level)];
        if (!(e & PTE_P))
            return false;
        if (level == 1 || (e & PTE_PS)) {
            if (level == 4)  /* PS is reserved in a PML4E */
                return false;
            uint64_t page_mask = (1ull << (12 + 9 * (level - 1))) - 1;
            *pa = (e & PTE_ADDR_MASK & ~page_mask) | (va & page_mask);
            if (leaf)
                *leaf = e;
            return true;
        }
        table = pt->ops.table_ptr(pt->ops.ctx, e & PTE_ADDR_MASK);
    }
    return false;
}

static void free_level(struct page_table *pt, uint64_t table_phys, int level)
{
    if (level > 1) {
        const uint64_t *table = pt->ops.table_ptr(pt->ops.ctx, table_phys);
        for (unsigned i = 0; i < 512; i++) {
            uint64_t e = table[i];
            if ((e & PTE_P) && !(e & PTE_PS))
                free_level(pt, e & PTE_ADDR_MASK, level - 1);
        }
    }
    pt->ops.free_table(pt->ops.ctx, table_phys);
}

void pt_destroy(struct page_table *pt)
{
    if (pt->root == 0 || pt->ops.free_table == NULL)
        return;
    free_level(pt, pt->root, 4);
    pt->root = 0;
    pt->tables_allocated = 0;
}
