/*
 * Long-mode page tables at FW_PT_BASE (AMD APM vol. 2, "Long-Mode Page Translation"):
 * 4-level paging with 2 MiB pages, identity for 0-4 GiB. Built by the protected-mode
 * build just before it turns paging on; the long-mode build adds and removes the window
 * used by probes above 4 GiB (probe_flat.c).
 */
#include "tests/guests/testfw/fw.h"

#define PTE_P    0x001ull
#define PTE_RW   0x002ull
#define PTE_PS   0x080ull   /* in a PD entry: this is a 2 MiB page */
#define PAGE     0x1000u
#define MIB2     0x200000ull
#define GIB      0x40000000ull
#define ENTRIES  512

/* Table n of the eight (layout.h): PML4, PDPT, PD for GiB 0-3, window PDPT, window PD. */
static volatile uint64_t *table(unsigned n)
{
    return (volatile uint64_t *)(uintptr_t)(FW_PT_BASE + n * PAGE);
}

#define PML4      table(0)
#define PDPT      table(1)
#define PD(gib)   table(2 + (gib))
#define WIN_PDPT  table(6)
#define WIN_PD    table(7)

#if FW_BITS == 32
void paging_build(void)
{
    memset((void *)(uintptr_t)FW_PT_BASE, 0, 8 * PAGE);
    PML4[0] = (uintptr_t)PDPT | PTE_P | PTE_RW;
    for (unsigned gib = 0; gib < 4; gib++) {
        PDPT[gib] = (uintptr_t)PD(gib) | PTE_P | PTE_RW;
        for (unsigned i = 0; i < ENTRIES; i++)
            PD(gib)[i] = gib * GIB + i * MIB2 | PTE_P | PTE_RW | PTE_PS;
    }
}
#endif

#if FW_BITS == 64
static void flush_tlb(void)
{
    uint64_t cr3;
    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static unsigned max_phys_bits(void)
{
    uint32_t r[4];
    cpu_cpuid(0x80000000, 0, r);
    if (r[0] < 0x80000008)
        return 36;   /* the architectural minimum with PAE */
    cpu_cpuid(0x80000008, 0, r);
    return r[0] & 0xFF;
}

int paging_window_map(uint64_t addr)
{
    unsigned i4 = (addr >> 39) & 511, i3 = (addr >> 30) & 511;
    uint64_t gib = addr & ~(GIB - 1);

    if (addr >> max_phys_bits())
        return -1;
    for (unsigned i = 0; i < ENTRIES; i++)
        WIN_PD[i] = gib + i * MIB2 | PTE_P | PTE_RW | PTE_PS;
    if (i4 == 0) {
        PDPT[i3] = (uintptr_t)WIN_PD | PTE_P | PTE_RW;
    } else {
        for (unsigned i = 0; i < ENTRIES; i++)
            WIN_PDPT[i] = 0;
        WIN_PDPT[i3] = (uintptr_t)WIN_PD | PTE_P | PTE_RW;
        PML4[i4] = (uintptr_t)WIN_PDPT | PTE_P | PTE_RW;
    }
    flush_tlb();
    return 0;
}

void paging_window_unmap(uint64_t addr)
{
    unsigned i4 = (addr >> 39) & 511, i3 = (addr >> 30) & 511;
    if (i4 == 0)
        PDPT[i3] = 0;
    else
        PML4[i4] = 0;
    flush_tlb();
}
#endif
