/*
 * Multiboot 1 layouts (Multiboot Specification 0.6.96, section 3): the header in our
 * image and the information structure the loader passes in EBX.
 */
#ifndef MEZZ_ARCH_MULTIBOOT_H
#define MEZZ_ARCH_MULTIBOOT_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define MULTIBOOT_HEADER_MAGIC     0x1BADB002u
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002u

/* Header flags. */
#define MULTIBOOT_HDR_PAGE_ALIGN   (1u << 0)
#define MULTIBOOT_HDR_MEMORY_INFO  (1u << 1)
#define MULTIBOOT_HDR_AOUT_KLUDGE  (1u << 16)  /* load addresses are in the header */

/* Information structure flags: which fields are valid. */
#define MULTIBOOT_INFO_MEMORY      (1u << 0)
#define MULTIBOOT_INFO_CMDLINE     (1u << 2)
#define MULTIBOOT_INFO_MODS        (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP     (1u << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1u << 9)

struct multiboot_info {
    uint32_t flags;              /* +0x00 */
    uint32_t mem_lower;          /* +0x04 KiB below 1 MiB */
    uint32_t mem_upper;          /* +0x08 KiB above 1 MiB */
    uint32_t boot_device;        /* +0x0c */
    uint32_t cmdline;            /* +0x10 physical address of a C string */
    uint32_t mods_count;         /* +0x14 */
    uint32_t mods_addr;          /* +0x18 */
    uint32_t syms[4];            /* +0x1c */
    uint32_t mmap_length;        /* +0x2c bytes */
    uint32_t mmap_addr;          /* +0x30 */
    uint32_t drives_length;      /* +0x34 */
    uint32_t drives_addr;        /* +0x38 */
    uint32_t config_table;       /* +0x3c */
    uint32_t boot_loader_name;   /* +0x40 */
    uint32_t apm_table;          /* +0x44 */
    uint32_t vbe_control_info;   /* +0x48 */
    uint32_t vbe_mode_info;      /* +0x4c */
    uint16_t vbe_mode;           /* +0x50 */
    uint16_t vbe_interface_seg;  /* +0x52 */
    uint16_t vbe_interface_off;  /* +0x54 */
    uint16_t vbe_interface_len;  /* +0x56 */
} PACKED;
STATIC_ASSERT_SIZE(struct multiboot_info, 0x58);
STATIC_ASSERT_OFFSET(struct multiboot_info, cmdline, 0x10);
STATIC_ASSERT_OFFSET(struct multiboot_info, mods_count, 0x14);
STATIC_ASSERT_OFFSET(struct multiboot_info, mods_addr, 0x18);
STATIC_ASSERT_OFFSET(struct multiboot_info, mmap_length, 0x2c);
STATIC_ASSERT_OFFSET(struct multiboot_info, mmap_addr, 0x30);
STATIC_ASSERT_OFFSET(struct multiboot_info, boot_loader_name, 0x40);

/* One memory map entry. `size` counts the bytes after itself: the next entry starts
 * at (entry + size + 4). */
struct multiboot_mmap_entry {
    uint32_t size;   /* +0x00 */
    uint64_t base;   /* +0x04 */
    uint64_t length; /* +0x0c */
    uint32_t type;   /* +0x14 e820 type */
} PACKED;
STATIC_ASSERT_SIZE(struct multiboot_mmap_entry, 24);
STATIC_ASSERT_OFFSET(struct multiboot_mmap_entry, base, 4);
STATIC_ASSERT_OFFSET(struct multiboot_mmap_entry, type, 20);

struct multiboot_module {
    uint32_t start;    /* +0x00 first byte */
    uint32_t end;      /* +0x04 one past the last byte */
    uint32_t string;   /* +0x08 physical address of a C string, or 0 */
    uint32_t reserved; /* +0x0c */
} PACKED;
STATIC_ASSERT_SIZE(struct multiboot_module, 16);

#endif
