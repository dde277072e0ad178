/* Loader steps shared by the IGVM loaders; see igvm_boot.h. */
#include "kernel/boot/igvm_boot.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "kernel/boot/igvm_params.h"

#define CR0_PE   (1ull << 0)
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define EFER_LME (1ull << 8)

const char *igvm_boot_check(const struct igvm_plan *plan, const struct vtl2_layout *vtl2,
                            uint32_t map_entries)
{
    return igvm_boot_check_slot(plan, vtl2, 0, map_entries);
}

const char *igvm_boot_check_slot(const struct igvm_plan *plan, const struct vtl2_layout *vtl2,
                                 unsigned slot, uint32_t map_entries)
{
    if (slot > 1)
        return "no such kernel slot";
    if (plan->image_low < vtl2->slot_base[slot] ||
        plan->image_high > vtl2->slot_base[slot] + vtl2->slot_size)
        return "image does not fit the kernel slot";
    /* REQUIRED_MEMORY relocates with the slot: loaded into slot1 it names the region
     * shifted by the distance between the slots, and means the same region. */
    uint64_t shift = vtl2->slot_base[slot] - vtl2->slot_base[0];
    if (plan->required_gpa - shift != vtl2->base || plan->required_size > vtl2->size)
        return "REQUIRED_MEMORY does not match the VTL2 region";
    const struct igvm_plan_area *map = plan->memory_map_area;
    if (map == NULL || plan->command_line_area == NULL)
        return "image declares no memory map or command line parameter";
    if (((uint64_t)map_entries + 1) * sizeof(struct igvm_memory_map_entry) >
        map->size - map->memory_map_offset)
        return "memory map parameter area does not fit the map";
    const struct igvm_entry_state *e = &plan->entry;
    if (!(e->cr0 & CR0_PG) || !(e->cr0 & CR0_PE) || !(e->cr4 & CR4_PAE) || !(e->efer & EFER_LME))
        return "VP context does not keep 64-bit paging on";
    return NULL;
}

int igvm_boot_write_params(const struct igvm_plan *plan, const void *encoded_map,
                           uint32_t map_entries, const char *cmdline, igvm_phys_fn phys, void *ctx)
{
    const struct igvm_plan_area *map = plan->memory_map_area, *cmd = plan->command_line_area;
    uint64_t map_bytes = ((uint64_t)map_entries + 1) * sizeof(struct igvm_memory_map_entry);
    void *map_dst = phys(ctx, map->gpa + map->memory_map_offset, map_bytes);
    uint64_t cmd_room = cmd->size - cmd->command_line_offset;
    void *cmd_dst = phys(ctx, cmd->gpa + cmd->command_line_offset, cmd_room);
    if (map_dst == NULL || cmd_dst == NULL)
        return -EFAULT;
    memcpy(map_dst, encoded_map, (size_t)map_bytes);
    igvm_cmdline_encode(cmdline, cmd_dst, (size_t)cmd_room);
    return 0;
}

static void copy_padded(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; i + 1 < cap && src[i] != '\0'; i++)
        dst[i] = src[i];
    for (; i < cap; i++)
        dst[i] = '\0';
}

void igvm_boot_fill_block(struct mezz_boot_block *b, const struct igvm_plan *plan,
                          const struct vtl2_layout *vtl2, uint64_t tsc_hz, const char *loader_name)
{
    const struct igvm_plan_area *map = plan->memory_map_area, *cmd = plan->command_line_area;
    memset(b, 0, sizeof(*b));
    b->magic = MEZZ_BOOT_BLOCK_MAGIC;
    b->version = MEZZ_BOOT_BLOCK_VERSION;
    b->size = sizeof(*b);
    b->tsc_hz = tsc_hz;
    b->kernel_phys = plan->load_base;
    b->vtl2_base = vtl2->base;
    b->vtl2_size = vtl2->size;
    b->memory_map_pa = map->gpa + map->memory_map_offset;
    b->memory_map_bytes = (uint32_t)(map->size - map->memory_map_offset);
    b->command_line_pa = cmd->gpa + cmd->command_line_offset;
    b->command_line_bytes = (uint32_t)(cmd->size - cmd->command_line_offset);
    copy_padded(b->loader_name, sizeof(b->loader_name), loader_name);
}

bool igvm_boot_add_module(struct mezz_boot_block *b, const char *name, uint64_t phys_base,
                          uint64_t size)
{
    if (b->module_count >= MEZZ_BOOT_MODULES_MAX)
        return false;
    struct mezz_boot_module *m = &b->modules[b->module_count++];
    m->phys_base = phys_base;
    m->size = size;
    copy_padded(m->name, sizeof(m->name), name);
    return true;
}
