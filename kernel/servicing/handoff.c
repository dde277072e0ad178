/* The servicing handoff; see handoff.h and docs/servicing.md. */
#include "kernel/servicing/handoff.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm_boot.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/lib/log.h"
#include "mm/pmm.h"

extern const char handoff_trampoline_start[], handoff_trampoline_end[];

typedef void (*trampoline_fn)(uint64_t cr3, uint64_t rip, uint64_t block_pa, uint64_t gdt_desc_pa);

#define PDE_LARGE_RWX (PTE_P | PTE_W | PTE_PS)
#define TABLE_RW      (PTE_P | PTE_W)

void handoff_init(struct handoff *h, const struct handoff_config *cfg)
{
    memset(h, 0, sizeof(*h));
    h->cfg = *cfg;
}

static unsigned other_slot(const struct handoff *h)
{
    return h->cfg.running_slot ^ 1u;
}

static int refuse(struct handoff *h, const char *why)
{
    h->why = why;
    log_error("servicing", "staged image refused: %s%s%s", why, h->detail[0] ? ": " : "", h->detail);
    return -EINVAL;
}

int handoff_check_staged(struct handoff *h)
{
    const struct vtl2_layout *v = h->cfg.vtl2;
    struct servicing_staging_header hdr;
    h->detail[0] = '\0';
    memcpy(&hdr, phys_to_virt(v->staging_base), sizeof(hdr));
    if (hdr.magic != SERVICING_STAGING_MAGIC || hdr.version != 1)
        return refuse(h, "no image staged");
    if (hdr.image_len == 0 || hdr.image_len > v->staging_size - SERVICING_STAGING_IMAGE_OFF)
        return refuse(h, "staged image length");
    return handoff_check_image(h, phys_to_virt(v->staging_base + SERVICING_STAGING_IMAGE_OFF),
                               (size_t)hdr.image_len);
}

int handoff_check_image(struct handoff *h, const uint8_t *image, size_t len)
{
    const struct vtl2_layout *v = h->cfg.vtl2;
    struct igvm_error error;
    h->detail[0] = '\0';
    h->prepared = false;       /* a new plan: nothing of it is loaded yet */
    h->image = image;
    h->image_len = len;
    uint64_t base = v->slot_base[other_slot(h)];
    if (igvm_plan_load(image, len, base, &h->plan, &error) != 0) {
        igvm_error_format(&error, h->detail, sizeof(h->detail));
        return refuse(h, "igvm");
    }
    h->encoded_entries = igvm_memmap_encode(h->cfg.mem, h->cfg.mem_count, h->encoded_map,
                                            sizeof(h->encoded_map));
    if (h->encoded_entries < 0)
        return refuse(h, "memory map does not fit the parameter");
    const char *why = igvm_boot_check_slot(&h->plan, v, other_slot(h), (uint32_t)h->encoded_entries);
    if (why != NULL)
        return refuse(h, why);
    return 0;
}

static void *direct_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    const struct vtl2_layout *v = ctx;
    /* Only the VTL2 region is the handoff's to write. */
    if (gpa < v->base || len > v->size || gpa - v->base > v->size - len)
        return NULL;
    return phys_to_virt(gpa);
}

/* handoff.S takes its stack at the top of the page after its own. */
_Static_assert(SERVICING_TRAMPOLINE_STACK_OFF == SERVICING_TRAMPOLINE_OFF + PAGE_SIZE,
               "the trampoline's stack is the page after it (handoff.S)");

static void write_if_changed(void *dst, const void *src, size_t n)
{
    if (memcmp(dst, src, n) != 0)
        memcpy(dst, src, n);
}

/* Identity map of 0-4 GiB with 2 MiB pages, and the kernel window onto the new slot, as
 * the boot shim builds them (docs/image.md's boot contract). */
static uint64_t build_tables(struct handoff *h, uint64_t base_pa)
{
    uint64_t *t = phys_to_virt(base_pa);
    memset(t, 0, SERVICING_TABLES_PAGES * PAGE_SIZE);
    uint64_t *pml4 = t, *pdpt_low = t + 512, *pd = t + 2 * 512, *pdpt_high = t + 6 * 512,
             *pd_kernel = t + 7 * 512;
    for (unsigned g = 0; g < 4; g++) {
        pdpt_low[g] = (base_pa + (2 + g) * PAGE_SIZE) | TABLE_RW;
        for (unsigned i = 0; i < 512; i++)
            pd[g * 512 + i] = (GiB(g) + MiB(2) * i) | PDE_LARGE_RWX;
    }
    pml4[0] = (base_pa + PAGE_SIZE) | TABLE_RW;
    const struct igvm_plan *plan = &h->plan;
    uint64_t first = plan->region_gpa / MiB(2);
    uint64_t count = ALIGN_UP(plan->region_size, MiB(2)) / MiB(2);
    for (uint64_t i = 0; i < count && first + i < 512; i++)
        pd_kernel[first + i] = (plan->load_base + i * MiB(2)) | PDE_LARGE_RWX;
    pdpt_high[510] = (base_pa + 7 * PAGE_SIZE) | TABLE_RW;
    pml4[511] = (base_pa + 6 * PAGE_SIZE) | TABLE_RW;
    return base_pa;
}

int handoff_map_trampoline(struct handoff *h)
{
    /* The trampoline must be reachable at its identity address from the running tables;
     * mapped already, it needs no page-table page (pt_map answers -EEXIST). */
    uint64_t tramp_pa = h->cfg.vtl2->persisted_base + SERVICING_TRAMPOLINE_OFF;
    int err = pt_map(&h->cfg.space->pt, tramp_pa, tramp_pa, PAGE_SIZE, 0, false);
    if (err && err != -EEXIST) {
        h->why = "cannot map the trampoline";
        return -EFAULT;
    }
    return 0;
}

/* Copies modules into the persisted part from h->next_pa on and lists them in the boot
 * block; checks their room first, so a refusal writes nothing. */
static int carry_modules(struct handoff *h, const struct handoff_module *modules, unsigned count)
{
    const struct vtl2_layout *v = h->cfg.vtl2;
    uint64_t end = v->persisted_base + v->persisted_size;
    uint64_t at = h->next_pa;
    for (unsigned i = 0; i < count; i++) {
        if (modules[i].data == NULL || modules[i].size == 0)
            continue;
        if (modules[i].size > v->persisted_size || at > end || modules[i].size > end - at) {
            h->why = "the modules do not fit the persisted part";
            return -EFAULT;
        }
        at = ALIGN_UP(at + modules[i].size, PAGE_SIZE);
    }
    struct mezz_boot_block *block = phys_to_virt(v->persisted_base + SERVICING_BOOT_BLOCK_OFF);
    for (unsigned i = 0; i < count; i++) {
        if (modules[i].data == NULL || modules[i].size == 0)
            continue;
        memcpy(phys_to_virt(h->next_pa), modules[i].data, modules[i].size);
        igvm_boot_add_module(block, modules[i].name, h->next_pa, modules[i].size);
        h->next_pa = ALIGN_UP(h->next_pa + modules[i].size, PAGE_SIZE);
    }
    return 0;
}

int handoff_prepare(struct handoff *h, uint64_t tsc_hz, const struct handoff_module *modules,
                    unsigned module_count, size_t late_room)
{
    const struct vtl2_layout *v = h->cfg.vtl2;
    const struct igvm_plan *plan = &h->plan;
    uint64_t base = v->persisted_base;
    uint64_t start = rdtsc();

    h->prepared = false;
    /* Room for everything first (the late modules' included): checking touches nothing. */
    size_t need = ALIGN_UP(late_room, (size_t)PAGE_SIZE);
    for (unsigned i = 0; i < module_count; i++)
        need += ALIGN_UP(modules[i].size, (size_t)PAGE_SIZE);
    if (need > v->persisted_size - SERVICING_MODULES_OFF) {
        h->why = "the modules do not fit the persisted part";
        return -EFAULT;
    }
    uint64_t tramp_pa = base + SERVICING_TRAMPOLINE_OFF;
    if (handoff_map_trampoline(h) != 0)
        return -EFAULT;
    if (igvm_plan_apply_changed(plan, h->image, direct_ptr, (void *)v) != 0 ||
        igvm_boot_write_params(plan, h->encoded_map, (uint32_t)h->encoded_entries, h->cfg.cmdline,
                               direct_ptr, (void *)v) != 0) {
        h->why = "a destination of the image is outside the VTL2 region";
        return -EFAULT;
    }

    struct mezz_boot_block *block = phys_to_virt(base + SERVICING_BOOT_BLOCK_OFF);
    igvm_boot_fill_block(block, plan, v, tsc_hz, "mezzanine servicing handoff");
    h->next_pa = base + SERVICING_MODULES_OFF;
    if (carry_modules(h, modules, module_count) != 0)
        return -EFAULT;

    h->cr3 = build_tables(h, base + SERVICING_TABLES_OFF);
    /* The trampoline, and a flat GDT (null, 64-bit code 0x08, data 0x10) and its
     * descriptor mid-page; its stack is the next page (handoff.S). Written only where
     * they differ: the page is the same every handoff, and under TCG a write to it would
     * throw away the translation of the code the last handoff ran there. */
    uint8_t *tramp = phys_to_virt(tramp_pa);
    static const uint64_t gdt[3] = { 0, 0x00AF9A000000FFFFull, 0x00CF92000000FFFFull };
    struct { uint16_t limit; uint64_t base; } PACKED desc = { 3 * 8 - 1, tramp_pa + 0x800 };
    write_if_changed(tramp, handoff_trampoline_start,
                     (size_t)(handoff_trampoline_end - handoff_trampoline_start));
    write_if_changed(tramp + 0x800, gdt, sizeof(gdt));
    write_if_changed(tramp + 0x7F0, &desc, sizeof(desc));
    h->prepared = true;
    log_debug("servicing", "handoff prepared in slot%u: %u modules, %llu us", other_slot(h),
              module_count, (unsigned long long)tsc_delta_to_us(rdtsc() - start, tsc_hz));
    return 0;
}

int handoff_enter_prepared(struct handoff *h, const struct servicing_persisted *persisted,
                           const struct handoff_module *late, unsigned late_count)
{
    const struct vtl2_layout *v = h->cfg.vtl2;
    const struct igvm_plan *plan = &h->plan;
    uint64_t base = v->persisted_base;
    uint64_t tramp_pa = base + SERVICING_TRAMPOLINE_OFF;

    if (!h->prepared) {
        h->why = "handoff not prepared";
        return -EFAULT;
    }
    if (carry_modules(h, late, late_count) != 0)
        return -EFAULT;
    struct mezz_boot_block *block = phys_to_virt(base + SERVICING_BOOT_BLOCK_OFF);
    block->flags = MEZZ_BOOT_FLAG_SERVICING;
    block->persisted_pa = base + SERVICING_PERSISTED_PAGE_OFF;
    memcpy(phys_to_virt(base + SERVICING_PERSISTED_PAGE_OFF), persisted, sizeof(*persisted));

    /* Debug: VTL0 is stopped, and the console is slow; the new instance says whom it was
     * entered by. */
    log_debug("servicing", "entering %s (%s) in slot%u at 0x%llx",
             plan->info.version, plan->info.build_id, other_slot(h),
             (unsigned long long)plan->entry.rip);
    /* The new image takes NMIs only once its IDT is up: no host tick until it starts its
     * own (an NMI with no IDT is a triple fault). */
    if (h->cfg.tick != NULL)
        hpet_nmi_timer_stop(h->cfg.tick);
    ((trampoline_fn)(uintptr_t)tramp_pa)(h->cr3, plan->entry.rip, base + SERVICING_BOOT_BLOCK_OFF,
                                         tramp_pa + 0x7F0);
    __builtin_unreachable();
}

int handoff_enter(struct handoff *h, const struct servicing_persisted *persisted,
                  const struct handoff_module *modules, unsigned module_count)
{
    int err = handoff_prepare(h, persisted->tsc_hz, modules, module_count, 0);
    if (err)
        return err;
    return handoff_enter_prepared(h, persisted, NULL, 0);
}
