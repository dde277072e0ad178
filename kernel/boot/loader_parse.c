/* Loader data → struct boot_params; see loader_parse.h. */
#include "kernel/boot/loader_parse.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/boot/multiboot.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm.h"
#include "kernel/boot/igvm_params.h"

/* Copies a NUL-padded field into a terminated string of cap bytes. */
static void copy_name(char *dst, size_t cap, const char *src, size_t src_len)
{
    size_t i = 0;
    for (; i + 1 < cap && i < src_len && src[i] != '\0'; i++)
        dst[i] = src[i];
    dst[i] = '\0';
}

static int read_command_line(const struct mezz_boot_block *b, read_phys_fn read_phys, void *ctx,
                             struct boot_params *out)
{
    size_t len = b->command_line_bytes < sizeof(out->cmdline) ? b->command_line_bytes
                                                              : sizeof(out->cmdline);
    if (b->command_line_pa == 0 || len == 0)
        return 0;
    int err = read_phys(ctx, b->command_line_pa, out->cmdline, len);
    if (err)
        return err;
    /* The parameter is NUL terminated; anything unterminated is cut to fit. */
    if (memchr(out->cmdline, '\0', len) == NULL)
        out->cmdline[len - 1] = '\0';
    return 0;
}

static int read_memory_map(const struct mezz_boot_block *b, read_phys_fn read_phys, void *ctx,
                           struct boot_params *out)
{
    /* The parameter lives in an IGVM parameter area, which is at most 64 KiB. */
    if (b->memory_map_pa == 0 || b->memory_map_bytes < sizeof(struct igvm_memory_map_entry) ||
        b->memory_map_bytes > IGVM_MAX_PARAM_AREA_SIZE)
        return -EINVAL;
    for (uint64_t off = 0; off + sizeof(struct igvm_memory_map_entry) <= b->memory_map_bytes;
         off += sizeof(struct igvm_memory_map_entry)) {
        struct igvm_memory_map_entry e;
        int err = read_phys(ctx, b->memory_map_pa + off, &e, sizeof(e));
        if (err)
            return err;
        if (e.number_of_pages == 0)
            break;
        struct mem_range r;
        int n = igvm_memmap_decode(&e, sizeof(e), &r, 1, &out->dropped_mem_ranges);
        if (n != 1)
            continue;
        if (out->mem_count == MEMMAP_MAX_RANGES) {
            out->dropped_mem_ranges++;
            continue;
        }
        out->mem[out->mem_count++] = r;
    }
    return 0;
}

int boot_block_parse(uint64_t block_pa, read_phys_fn read_phys, void *ctx, struct boot_params *out)
{
    struct mezz_boot_block b;
    memset(out, 0, sizeof(*out));
    int err = read_phys(ctx, block_pa, &b, sizeof(b));
    if (err)
        return err;
    if (b.magic != MEZZ_BOOT_BLOCK_MAGIC || b.version != MEZZ_BOOT_BLOCK_VERSION ||
        b.size != sizeof(b))
        return -EINVAL;
    err = read_command_line(&b, read_phys, ctx, out);
    if (!err)
        err = read_memory_map(&b, read_phys, ctx, out);
    if (err)
        return err;
    copy_name(out->loader_name, sizeof(out->loader_name), b.loader_name, sizeof(b.loader_name));
    uint32_t count = b.module_count;
    if (count > MEZZ_BOOT_MODULES_MAX) {
        out->dropped_modules += count - MEZZ_BOOT_MODULES_MAX;
        count = MEZZ_BOOT_MODULES_MAX;
    }
    for (uint32_t i = 0; i < count; i++) {
        const struct mezz_boot_module *m = &b.modules[i];
        if (m->size == 0 || m->phys_base + m->size < m->phys_base || out->module_count >= BOOT_MODULES_MAX) {
            out->dropped_modules++;
            continue;
        }
        struct boot_module *bm = &out->modules[out->module_count++];
        bm->phys_base = m->phys_base;
        bm->size = m->size;
        copy_name(bm->name, sizeof(bm->name), m->name, sizeof(m->name));
    }
    out->tsc_hz = b.tsc_hz;
    out->kernel_phys = b.kernel_phys;
    out->vtl2_base = b.vtl2_base;
    out->vtl2_size = b.vtl2_size;
    if (b.flags & MEZZ_BOOT_FLAG_SERVICING) {
        if (b.persisted_pa == 0 || (b.persisted_pa & 0xFFF) != 0 || b.persisted_pa >= (1ull << 32))
            return -EINVAL;
        out->servicing = true;
        out->persisted_pa = b.persisted_pa;
    }
    return 0;
}

int boot_loader_parse(uint32_t magic, uint64_t info_pa, read_phys_fn read_phys, void *ctx,
                      struct boot_params *out)
{
    if (magic == MEZZ_BOOT_BLOCK_MAGIC)
        return boot_block_parse(info_pa, read_phys, ctx, out);
    return multiboot_parse(magic, info_pa, read_phys, ctx, out);
}

int boot_place_vtl2(const struct boot_params *params, const struct mem_range *map, size_t n,
                     uint64_t requested_size, struct vtl2_layout *out)
{
    if (params->vtl2_size != 0)
        return vtl2_layout_at(map, n, params->vtl2_base, params->vtl2_size, out);
    return vtl2_place(map, n, requested_size, out);
}
