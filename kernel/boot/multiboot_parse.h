/* Multiboot 1 information → struct boot_params. Pure: memory is read through a callback. */
#ifndef MEZZ_KERNEL_MULTIBOOT_PARSE_H
#define MEZZ_KERNEL_MULTIBOOT_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/boot/boot_params.h"

/* Copies n bytes of physical memory at pa into dst. Returns 0 or a negative errno. */
typedef int (*read_phys_fn)(void *ctx, uint64_t pa, void *dst, size_t n);

/*
 * Validates the loader magic and copies everything Mezzanine uses out of the loader's
 * structures into *out (copy first, then validate the copy). Malformed memory map
 * entries and modules are dropped and counted. Returns 0, -EINVAL for a wrong magic or
 * missing memory map, or the error of a failed read.
 */
int multiboot_parse(uint32_t magic, uint64_t info_pa, read_phys_fn read_phys, void *ctx,
                    struct boot_params *out);

#endif
