/*
 * What every IGVM loader of Mezzanine does after igvm_plan_load() and before entering
 * (the boot shim, the UEFI app; the servicing handoff will too): check the plan against
 * the VTL2 region the loader placed, write the memory-map and command-line parameters,
 * and fill the boot block (kernel/boot/boot_block.h). Pure.
 */
#ifndef MEZZ_KERNEL_BOOT_IGVM_BOOT_H
#define MEZZ_KERNEL_BOOT_IGVM_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm.h"
#include "mm/memmap.h"

/*
 * Does the plan fit the VTL2 region (image inside slot0, REQUIRED_MEMORY at the region's
 * base and no larger), declare both parameters with room for map_entries memory-map
 * entries plus the terminator, and keep 64-bit paging on at entry? Returns NULL, or the
 * reason (a static string) to refuse the image with.
 */
const char *igvm_boot_check(const struct igvm_plan *plan, const struct vtl2_layout *vtl2,
                            uint32_t map_entries);
/* The same for the kernel slot `slot` (0 or 1): the servicing handoff loads the new
 * image into the slot the running one does not use. */
const char *igvm_boot_check_slot(const struct igvm_plan *plan, const struct vtl2_layout *vtl2,
                                 unsigned slot, uint32_t map_entries);

/*
 * Writes the memory map (already IGVM-encoded: map_entries entries + terminator) and
 * the command line into the plan's parameter areas through phys (after
 * igvm_plan_apply). Returns 0 or -EFAULT.
 */
int igvm_boot_write_params(const struct igvm_plan *plan, const void *encoded_map,
                           uint32_t map_entries, const char *cmdline, igvm_phys_fn phys, void *ctx);

/* Fills *block for the kernel (modules are the caller's to add). */
void igvm_boot_fill_block(struct mezz_boot_block *block, const struct igvm_plan *plan,
                          const struct vtl2_layout *vtl2, uint64_t tsc_hz, const char *loader_name);

/* Adds a module; returns false (and adds nothing) when the block is full. */
bool igvm_boot_add_module(struct mezz_boot_block *block, const char *name, uint64_t phys_base,
                          uint64_t size);

/* The control-register bits the loader sets from the VP context at entry. */
#define IGVM_BOOT_EFER_BITS ((1ull << 8) | (1ull << 11))   /* LME | NXE; LMA follows */

#endif
