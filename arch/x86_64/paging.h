/*
 * 4-level x86-64 page-table builder (AMD APM vol. 2, "Long-Mode Page Translation").
 * Pure: table pages come from, and are reached through, an ops struct, so the same code
 * builds VTL2's own tables here and VTL0's nested tables later, and runs in unit tests
 * on ordinary host memory.
 */
#ifndef MEZZ_ARCH_PAGING_H
#define MEZZ_ARCH_PAGING_H

#include <stdbool.h>
#include <stdint.h>

#define PTE_P      (1ull << 0)   /* present */
#define PTE_W      (1ull << 1)   /* writable */
#define PTE_U      (1ull << 2)   /* user (NPT walks are user accesses: set at every level) */
#define PTE_PWT    (1ull << 3)
#define PTE_PCD    (1ull << 4)
#define PTE_A      (1ull << 5)
#define PTE_D      (1ull << 6)
#define PTE_PS     (1ull << 7)   /* large page, in PDPT and PD entries */
#define PTE_G      (1ull << 8)
#define PTE_NX     (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

#define PAGE_4K (1ull << 12)
#define PAGE_2M (1ull << 21)
#define PAGE_1G (1ull << 30)

/* Leaf protection bits the caller may ask for; P is implied. */
#define PT_PROT_MASK (PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX)

struct pt_ops {
    /* Returns the physical address of a fresh 4 KiB page, or 0 when out of memory. */
    uint64_t (*alloc_table)(void *ctx);
    /* Returns a pointer through which the table page at phys can be read and written. */
    uint64_t *(*table_ptr)(void *ctx, uint64_t phys);
    void *ctx;
    /* Returns a table page to its allocator; only pt_destroy uses it (may be NULL). */
    void (*free_table)(void *ctx, uint64_t phys);
};

struct page_table {
    uint64_t root;            /* physical address of the PML4 */
    uint64_t table_flags;     /* flags for non-leaf entries, e.g. P|W or P|W|U */
    struct pt_ops ops;
    uint64_t tables_allocated;
};

/* Allocates an empty PML4. Returns 0 or -ENOMEM. */
int pt_init(struct page_table *pt, const struct pt_ops *ops, uint64_t table_flags);

/*
 * Maps [va, va+len) to [pa, pa+len) with leaf bits P|prot. va, pa and len must be
 * 4 KiB aligned and va canonical. 2 MiB pages are used where both addresses are 2 MiB
 * aligned and allow_large is set. Returns 0, -EINVAL for bad arguments, -EEXIST if any
 * page is already mapped (the part mapped before the clash stays), -ENOMEM.
 */
int pt_map(struct page_table *pt, uint64_t va, uint64_t pa, uint64_t len, uint64_t prot,
           bool allow_large);

/*
 * Looks va up. Returns true and fills *pa (the exact byte) and *leaf (the leaf entry)
 * if mapped. `leaf` may be NULL.
 */
bool pt_translate(const struct page_table *pt, uint64_t va, uint64_t *pa, uint64_t *leaf);

bool va_is_canonical(uint64_t va);

/* Frees every table page of pt (the root included) through ops.free_table. Leaf
 * mappings are forgotten, the pages they map are not touched. */
void pt_destroy(struct page_table *pt);

#endif
