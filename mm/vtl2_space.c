/* VTL2 address space construction and kernel relocation; see vtl2_space.h. */
#include "mm/vtl2_space.h"

#include <errno.h>

#include "arch/x86_64/layout.h"
#include "kernel/lib/compiler.h"

extern char __kernel_phys_start[], __kernel_phys_end[];
extern char __image_vma_start[];
extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_end[];
extern char boot_stack_guard[];

void relocate_and_switch(void *dst, const void *src, uint64_t len, uint64_t cr3);

void *phys_to_virt(uint64_t phys)
{
    return (void *)(uintptr_t)(DIRECT_MAP_BASE + phys);
}

uint64_t kernel_image_size(void)
{
    return (uint64_t)(uintptr_t)__kernel_phys_end - (uint64_t)(uintptr_t)__kernel_phys_start;
}

static uint64_t alloc_table(void *ctx)
{
    uint64_t phys;
    return pmm_alloc(ctx, 1, PAGE_SIZE, &phys) == 0 ? phys : 0;
}

/* Before the switch, tables are written through the boot identity map (below 4 GiB, where
 * the heap is); after it, through the direct map. */
static uint64_t *boot_table_ptr(void *ctx, uint64_t phys)
{
    (void)ctx;
    return (uint64_t *)(uintptr_t)phys;
}

static uint64_t *table_ptr(void *ctx, uint64_t phys)
{
    (void)ctx;
    return phys_to_virt(phys);
}

/* Physical address of a kernel link address once the image lives at slot_phys. */
static uint64_t image_phys(uint64_t slot_phys, const char *va)
{
    return slot_phys + ((uint64_t)(uintptr_t)va - KERNEL_VMA_BASE - KERNEL_LOAD_PHYS);
}

static int map_image_part(struct vtl2_space *s, uint64_t slot, const char *start, const char *end,
                          uint64_t prot)
{
    uint64_t va = (uint64_t)(uintptr_t)start;
    uint64_t len = (uint64_t)(uintptr_t)end - va;
    return pt_map(&s->pt, va, image_phys(slot, start), len, prot, false);
}

static int map_kernel_image(struct vtl2_space *s, uint64_t slot)
{
    int err;
    /* .text: read-only, executable. .rodata: read-only. .data/.bss: writable, never
     * executable; the page below the boot stack stays unmapped as a guard. */
    err = map_image_part(s, slot, __text_start, __text_end, 0);
    if (!err)
        err = map_image_part(s, slot, __rodata_start, __rodata_end, PTE_NX);
    if (!err)
        err = map_image_part(s, slot, __data_start, boot_stack_guard, PTE_W | PTE_NX);
    if (!err)
        err = map_image_part(s, slot, boot_stack_guard + PAGE_SIZE, __bss_end, PTE_W | PTE_NX);
    return err;
}

/* Direct map of the first MiB and every RAM-like range (usable, ACPI, NVS), 4 KiB
 * granular. The first MiB is RAM behind the legacy windows (Mezzanine sets the real PAM
 * to RAM) and backs VTL0's legacy regions, though the firmware map omits part of it. */
#define LOW_MEMORY_END 0x100000ull

static int map_direct(struct vtl2_space *s, const struct mem_range *map, size_t n)
{
    int low_err = pt_map(&s->pt, DIRECT_MAP_BASE, 0, LOW_MEMORY_END, PTE_W | PTE_NX, true);
    if (low_err)
        return low_err;
    uint64_t mapped_until = LOW_MEMORY_END;
    for (size_t i = 0; i < n; i++) {
        if (map[i].type != MEM_USABLE && map[i].type != MEM_ACPI && map[i].type != MEM_NVS)
            continue;
        uint64_t lo = ALIGN_DOWN(map[i].base, (uint64_t)PAGE_SIZE);
        uint64_t hi = ALIGN_UP(map[i].base + map[i].size, (uint64_t)PAGE_SIZE);
        if (hi > DIRECT_MAP_MAX)
            hi = DIRECT_MAP_MAX;
        if (lo < mapped_until)
            lo = mapped_until;
        if (lo >= hi)
            continue;
        int err = pt_map(&s->pt, DIRECT_MAP_BASE + lo, lo, hi - lo, PTE_W | PTE_NX, true);
        if (err)
            return err;
        mapped_until = hi;
    }
    s->direct_map_end = mapped_until;
    return 0;
}

int vtl2_space_init(struct vtl2_space *s, struct pmm *pmm, const struct mem_range *map,
                    size_t n, uint64_t running_phys, uint64_t slot_phys, uint64_t slot_size)
{
    const struct pt_ops ops = { .alloc_table = alloc_table, .table_ptr = boot_table_ptr, .ctx = pmm };
    uint64_t size = kernel_image_size();
    int err;

    if (size > slot_size || !IS_ALIGNED(slot_phys, PAGE_2M) || slot_phys + slot_size > GiB(4))
        return -EINVAL;
    /* A forward copy onto a partly overlapping range would corrupt the image. */
    if (running_phys != slot_phys && running_phys < slot_phys + size && slot_phys < running_phys + size)
        return -EINVAL;
    err = pt_init(&s->pt, &ops, PTE_W);
    if (!err)
        err = map_kernel_image(s, slot_phys);
    if (!err)
        err = map_direct(s, map, n);
    if (err)
        return err;

    s->kernel_phys_base = slot_phys;
    s->kernel_phys_size = size;
    /* Both addresses are below 4 GiB, reachable through the boot identity map. An IGVM
     * loader already put the image in its slot: then only the tables switch. */
    relocate_and_switch((void *)(uintptr_t)slot_phys, (const void *)(uintptr_t)running_phys,
                        running_phys == slot_phys ? 0 : size, s->pt.root);
    s->pt.ops.table_ptr = table_ptr;
    s->live = true;
    return 0;
}

volatile void *vtl2_map_mmio(struct vtl2_space *s, uint64_t phys, uint64_t size)
{
    uint64_t base = ALIGN_DOWN(phys, (uint64_t)PAGE_SIZE);
    uint64_t end = ALIGN_UP(phys + size, (uint64_t)PAGE_SIZE);
    if (!s->live || end <= base || end > DIRECT_MAP_MAX)
        return NULL;
    for (uint64_t page = base; page < end; page += PAGE_SIZE) {
        uint64_t pa, leaf;
        if (pt_translate(&s->pt, MMIO_MAP_BASE + page, &pa, &leaf))
            continue;   /* mapped by an earlier call */
        if (pt_map(&s->pt, MMIO_MAP_BASE + page, page, PAGE_SIZE,
                   PTE_W | PTE_NX | PTE_PCD | PTE_PWT, false) != 0)
            return NULL;
    }
    /* New translations only: nothing stale to flush. */
    return (volatile void *)(uintptr_t)(MMIO_MAP_BASE + phys);
}
