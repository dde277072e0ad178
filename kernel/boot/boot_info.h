/* Read-only views of what kmain set up at boot (kernel/main.c), for inspect and others. */
#ifndef MEZZ_KERNEL_BOOT_INFO_H
#define MEZZ_KERNEL_BOOT_INFO_H

#include <stddef.h>

#include "mm/memmap.h"

/* The VTL2 region layout (valid after boot). */
const struct vtl2_layout *boot_vtl2_layout(void);
/* The sanitised firmware memory map; returns the number of ranges. */
size_t boot_memory_map(const struct mem_range **map);
/* The multiboot module named `name` ("vtl0", "vgabios", ...), or NULL. Its memory is
 * VTL0's once VTL0 runs: copy what must last. */
struct boot_module;
const struct boot_module *boot_find_module(const char *name);

#endif
