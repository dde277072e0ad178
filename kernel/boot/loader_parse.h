/*
 * Whatever loaded Mezzanine → the one struct boot_params (SPEC section 8): multiboot 1
 * information (a direct `-kernel build/kernel.bin` boot) or the boot block of an IGVM
 * loader (the shim, the UEFI app, servicing). Pure: memory is read through a callback.
 */
#ifndef MEZZ_KERNEL_BOOT_LOADER_PARSE_H
#define MEZZ_KERNEL_BOOT_LOADER_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/boot_params.h"
#include "kernel/boot/multiboot_parse.h"

/* Reads an IGVM loader's boot block at block_pa (copy, then check). Returns 0, -EINVAL
 * for a bad magic/version/size or missing memory map, or a failed read's error. */
int boot_block_parse(uint64_t block_pa, read_phys_fn read_phys, void *ctx, struct boot_params *out);

/* Dispatches on the entry magic. Returns 0 or a negative errno. */
int boot_loader_parse(uint32_t magic, uint64_t info_pa, read_phys_fn read_phys, void *ctx,
                      struct boot_params *out);

/*
 * The VTL2 region: where the IGVM loader placed it (it loaded the kernel into its slot0),
 * checked against the sanitised map; or, after a plain multiboot load, placed here at
 * the top of RAM below 4 GiB with the requested size. Returns vtl2_layout_at's or
 * vtl2_place's result.
 */
int boot_place_vtl2(const struct boot_params *params, const struct mem_range *map, size_t n,
                     uint64_t requested_size, struct vtl2_layout *out);

#endif
