/*
 * The one boot-parameters block the kernel entry receives, whatever loaded it
 * (SPEC section 8). Filled by a loader-specific parser from untrusted loader data.
 */
#ifndef MEZZ_KERNEL_BOOT_PARAMS_H
#define MEZZ_KERNEL_BOOT_PARAMS_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/memmap.h"

#define BOOT_CMDLINE_MAX   1024
#define BOOT_MODULES_MAX   8
#define BOOT_MODNAME_MAX   32
#define BOOT_MODSTRING_MAX 256
#define BOOT_LOADERNAME_MAX 48

struct boot_module {
    uint64_t phys_base;
    uint64_t size;
    /* The module's first argument: loaders (QEMU, GRUB) pass "PATH ARGS", and
     * Mezzanine names its modules by ARGS, e.g. "vtl0". Empty if there is none. */
    char name[BOOT_MODNAME_MAX];
};

struct boot_params {
    char cmdline[BOOT_CMDLINE_MAX];
    char loader_name[BOOT_LOADERNAME_MAX];
    struct mem_range mem[MEMMAP_MAX_RANGES];  /* as the loader gave it, not sanitised */
    uint32_t mem_count;
    struct boot_module modules[BOOT_MODULES_MAX];
    uint32_t module_count;
    uint32_t dropped_mem_ranges;   /* entries past MEMMAP_MAX_RANGES or malformed */
    uint32_t dropped_modules;      /* modules past BOOT_MODULES_MAX or malformed */
    /* From an IGVM loader's boot block (kernel/boot/boot_block.h); 0 from multiboot. */
    uint64_t tsc_hz;               /* 0: unknown, calibrate */
    uint64_t kernel_phys;          /* where the image runs; 0: KERNEL_LOAD_PHYS */
    uint64_t vtl2_base, vtl2_size; /* the loader's VTL2 placement; 0: none */
    /* The servicing handoff's: this instance restores; the old one's persisted page. */
    bool servicing;
    uint64_t persisted_pa;
};

#endif
