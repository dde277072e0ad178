/* Multiboot 1 information parsing; see multiboot_parse.h. */
#include "kernel/boot/multiboot_parse.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/boot/multiboot.h"

/* Reads a C string of at most cap-1 characters; a longer one is cut. */
static int read_string(read_phys_fn read_phys, void *ctx, uint64_t pa, char *dst, size_t cap)
{
    for (size_t i = 0; i + 1 < cap; i++) {
        char c;
        int err = read_phys(ctx, pa + i, &c, 1);
        if (err)
            return err;
        dst[i] = c;
        if (c == '\0')
            return 0;
    }
    dst[cap - 1] = '\0';
    return 0;
}

/* Copies the first word after the path of a module string into name (cut to fit). */
static void module_name_from_string(const char *string, char *name, size_t cap)
{
    const char *p = string;
    size_t len = 0;

    while (*p == ' ')
        p++;
    while (*p != '\0' && *p != ' ')   /* the path */
        p++;
    while (*p == ' ')
        p++;
    while (*p != '\0' && *p != ' ' && len + 1 < cap)
        name[len++] = *p++;
    name[len] = '\0';
}

static int parse_mmap(const struct multiboot_info *mbi, read_phys_fn read_phys, void *ctx,
                      struct boot_params *out)
{
    uint64_t pos = mbi->mmap_addr;
    uint64_t end = (uint64_t)mbi->mmap_addr + mbi->mmap_length;

    while (pos + sizeof(uint32_t) <= end) {
        struct multiboot_mmap_entry entry;
        uint32_t size;
        int err = read_phys(ctx, pos, &size, sizeof(size));
        if (err)
            return err;
        /* An entry too small to hold base/length/type, or running past the table, ends
         * the walk: we cannot know where the next one starts. */
        if (size < sizeof(entry) - sizeof(uint32_t) || pos + sizeof(uint32_t) + size > end) {
            out->dropped_mem_ranges++;
            break;
        }
        err = read_phys(ctx, pos, &entry, sizeof(entry));
        if (err)
            return err;
        if (out->mem_count < MEMMAP_MAX_RANGES) {
            out->mem[out->mem_count].base = entry.base;
            out->mem[out->mem_count].size = entry.length;
            out->mem[out->mem_count].type = entry.type;
            out->mem_count++;
        } else {
            out->dropped_mem_ranges++;
        }
        pos += sizeof(uint32_t) + size;
    }
    return 0;
}

static int parse_modules(const struct multiboot_info *mbi, read_phys_fn read_phys, void *ctx,
                         struct boot_params *out)
{
    for (uint32_t i = 0; i < mbi->mods_count; i++) {
        if (i >= 64) { /* a loader claiming more is lying; stop reading */
            out->dropped_modules += mbi->mods_count - i;
            break;
        }
        struct multiboot_module mod;
        int err = read_phys(ctx, (uint64_t)mbi->mods_addr + i * sizeof(mod), &mod, sizeof(mod));
        if (err)
            return err;
        if (mod.end <= mod.start || out->module_count >= BOOT_MODULES_MAX) {
            out->dropped_modules++;
            continue;
        }
        struct boot_module *bm = &out->modules[out->module_count];
        bm->phys_base = mod.start;
        bm->size = (uint64_t)mod.end - mod.start;
        bm->name[0] = '\0';
        if (mod.string != 0) {
            char string[BOOT_MODSTRING_MAX];
            err = read_string(read_phys, ctx, mod.string, string, sizeof(string));
            if (err)
                return err;
            module_name_from_string(string, bm->name, sizeof(bm->name));
        }
        out->module_count++;
    }
    return 0;
}

int multiboot_parse(uint32_t magic, uint64_t info_pa, read_phys_fn read_phys, void *ctx,
                    struct boot_params *out)
{
    struct multiboot_info mbi;
    int err;

    memset(out, 0, sizeof(*out));
    if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
        return -EINVAL;
    err = read_phys(ctx, info_pa, &mbi, sizeof(mbi));
    if (err)
        return err;
    if (!(mbi.flags & MULTIBOOT_INFO_MEM_MAP))
        return -EINVAL;

    if ((mbi.flags & MULTIBOOT_INFO_CMDLINE) && mbi.cmdline != 0) {
        err = read_string(read_phys, ctx, mbi.cmdline, out->cmdline, sizeof(out->cmdline));
        if (err)
            return err;
    }
    if ((mbi.flags & MULTIBOOT_INFO_LOADER_NAME) && mbi.boot_loader_name != 0) {
        err = read_string(read_phys, ctx, mbi.boot_loader_name, out->loader_name,
                          sizeof(out->loader_name));
        if (err)
            return err;
    }
    err = parse_mmap(&mbi, read_phys, ctx, out);
    if (err)
        return err;
    if (mbi.flags & MULTIBOOT_INFO_MODS) {
        err = parse_modules(&mbi, read_phys, ctx, out);
        if (err)
            return err;
    }
    return 0;
}
