/*
 * VTL2's own address space: the kernel image at its link address backed by its slot in
 * the VTL2 region, and a direct map of RAM. Built once at boot from the boot page
 * tables, after which the boot identity map is gone (so address 0 faults).
 */
#ifndef MEZZ_MM_VTL2_SPACE_H
#define MEZZ_MM_VTL2_SPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/paging.h"
#include "mm/memmap.h"
#include "mm/pmm.h"

struct vtl2_space {
    struct page_table pt;
    uint64_t kernel_phys_base;     /* where the image runs now */
    uint64_t kernel_phys_size;
    uint64_t direct_map_end;       /* physical bytes reachable through the direct map */
    bool live;                     /* Mezzanine runs on these tables (after the switch) */
};

/*
 * Builds the tables with pages from pmm, copies the running image from running_phys
 * (KERNEL_LOAD_PHYS after a multiboot load; the slot itself after an IGVM load, then
 * nothing is copied) into slot_phys and switches CR3. `map` is the sanitised firmware
 * map (its RAM goes in the direct map).
 * Returns 0 or a negative errno; on error nothing has been switched.
 */
int vtl2_space_init(struct vtl2_space *space, struct pmm *pmm, const struct mem_range *map,
                    size_t n, uint64_t running_phys, uint64_t slot_phys, uint64_t slot_size);

/* Kernel image bounds as loaded, from the linker script. */
uint64_t kernel_image_size(void);

/* A pointer to physical memory through the direct map (valid after vtl2_space_init). */
void *phys_to_virt(uint64_t phys);

/* Maps device registers (e.g. the local APIC) uncached at MMIO_MAP_BASE + phys into the
 * space Mezzanine runs on, once, and returns the pointer; NULL if they cannot be mapped
 * (or before vtl2_space_init switched to s). */
volatile void *vtl2_map_mmio(struct vtl2_space *s, uint64_t phys, uint64_t size);

#endif
