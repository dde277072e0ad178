/*
 * The boot block: what an IGVM loader (the multiboot shim, the UEFI app, the servicing
 * handoff) tells the kernel beyond the IGVM parameters themselves. The loader enters
 * _start64 with EDI = MEZZ_BOOT_BLOCK_MAGIC and ESI = the block's physical address
 * (below 4 GiB); the memory map and command line are IGVM parameters in areas the plan
 * inserted into the kernel's slot, and the block says where they are (docs/image.md).
 * Untrusted like any loader data: kernel/boot/boot_block_parse.c copies and checks it.
 */
#ifndef MEZZ_KERNEL_BOOT_BLOCK_H
#define MEZZ_KERNEL_BOOT_BLOCK_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define MEZZ_BOOT_BLOCK_MAGIC   0x4D5A4254u   /* "TBZM": not multiboot's 0x2BADB002 */
#define MEZZ_BOOT_BLOCK_VERSION 1u
#define MEZZ_BOOT_MODULES_MAX   8
#define MEZZ_BOOT_NAME_MAX      32
#define MEZZ_BOOT_LOADER_MAX    48
/* flags: the servicing handoff entered this image; persisted_pa is the persisted page
 * the old instance wrote (kernel/servicing/persisted.h). */
#define MEZZ_BOOT_FLAG_SERVICING 0x1u

struct mezz_boot_module {
    uint64_t phys_base;
    uint64_t size;
    char name[MEZZ_BOOT_NAME_MAX];           /* NUL padded, e.g. "vtl0" */
} PACKED;
STATIC_ASSERT_SIZE(struct mezz_boot_module, 48);

struct mezz_boot_block {
    uint32_t magic;
    uint16_t version;
    uint16_t size;                           /* sizeof(struct mezz_boot_block) */
    uint64_t tsc_hz;                         /* 0: unknown, the kernel calibrates */
    uint64_t kernel_phys;                    /* where the image's slot was placed */
    uint64_t vtl2_base, vtl2_size;           /* the VTL2 region the loader placed */
    uint64_t memory_map_pa;                  /* IGVM memory map entries, 0-terminated */
    uint32_t memory_map_bytes;               /* the area's room for it */
    uint32_t command_line_bytes;
    uint64_t command_line_pa;                /* NUL-terminated ASCII */
    uint32_t module_count;
    uint32_t flags;                          /* MEZZ_BOOT_FLAG_* */
    struct mezz_boot_module modules[MEZZ_BOOT_MODULES_MAX];
    char loader_name[MEZZ_BOOT_LOADER_MAX];  /* NUL padded */
    uint64_t persisted_pa;                   /* with MEZZ_BOOT_FLAG_SERVICING; else 0 */
} PACKED;
STATIC_ASSERT_OFFSET(struct mezz_boot_block, tsc_hz, 8);
STATIC_ASSERT_OFFSET(struct mezz_boot_block, memory_map_pa, 40);
STATIC_ASSERT_OFFSET(struct mezz_boot_block, command_line_pa, 56);
STATIC_ASSERT_OFFSET(struct mezz_boot_block, modules, 72);
STATIC_ASSERT_OFFSET(struct mezz_boot_block, persisted_pa, 72 + 8 * 48 + 48);
STATIC_ASSERT_SIZE(struct mezz_boot_block, 72 + 8 * 48 + 48 + 8);

#endif
