/*
 * The IGVM parameters Mezzanine's image declares, written by loaders and read by the
 * kernel: the memory map (IGVM entries, page granular) and the command line. Pure.
 */
#ifndef MEZZ_KERNEL_BOOT_IGVM_PARAMS_H
#define MEZZ_KERNEL_BOOT_IGVM_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/igvm_format.h"
#include "mm/memmap.h"

/*
 * Writes e820-typed ranges as IGVM entries into out (cap bytes), ending with a
 * zero-page entry. Usable RAM shrinks to whole pages, anything else grows to whole
 * pages. Returns the number of entries (without the terminator) or -ENOSPC.
 */
int igvm_memmap_encode(const struct mem_range *ranges, size_t n, void *out, size_t cap);

/*
 * Reads IGVM entries from `in` (cap bytes, untrusted) into e820-typed ranges: MEMORY and
 * VTL2_PROTECTABLE become usable, everything else reserved. Stops at the terminator or
 * the end of the area. Returns the number of ranges, or -ENOSPC if more than max;
 * *dropped counts malformed entries (page count overflowing the address space).
 */
int igvm_memmap_decode(const void *in, size_t cap, struct mem_range *out, size_t max,
                       uint32_t *dropped);

/* Puts `text` into the command-line parameter (cap bytes), cut to fit, NUL terminated. */
void igvm_cmdline_encode(const char *text, void *out, size_t cap);

#endif
