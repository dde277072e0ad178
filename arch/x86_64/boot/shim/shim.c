/*
 * The multiboot boot shim (SPEC section 8, docs/image.md): QEMU loads it with
 * `-kernel build/shim.bin` and Mezzanine's IGVM image as the multiboot module "igvm".
 * It places the VTL2 region exactly as the kernel will (mm/memmap.c), loads the image
 * into the kernel's slot with the IGVM library, fills the memory-map and command-line
 * parameters and the boot block, and enters the kernel. A refused image ends the
 * machine with isa-debug-exit status SHIM_REJECT_CODE ("image rejected" for the host)
 * before anything was copied.
 */
#include <errno.h>
#include <string.h>

#include "arch/x86_64/boot/shim/pit_stamp.h"
#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/layout.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/boot/multiboot_parse.h"
#include "kernel/core/cmdline.h"
#include "mm/memmap.h"

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xF4
/* isa-debug-exit: QEMU exits with (v << 1) | 1 = 69; the kernel's panic uses 0x21 (67). */
#define SHIM_REJECT_CODE 0x22
#define IGVM_MODULE "igvm"
#define MEMORY_MAP_SCRATCH 8192

#define PTE_PRESENT_WRITABLE 0x03ull
#define PDE_LARGE            0x83ull
#define EFER_LME  (1ull << 8)
#define EFER_LMA  (1ull << 10)
#define EFER_NXE  (1ull << 11)
#define CR0_PE    (1ull << 0)
#define CR0_PG    (1ull << 31)
#define CR4_PAE   (1ull << 5)

void shim_main(uint32_t magic, uint32_t info_pa);
NORETURN void shim_enter(uint64_t rip, uint64_t cr0, uint64_t cr4, uint64_t efer_bits,
                         uint32_t magic, uint32_t block);
extern uint64_t shim_pml4[512], shim_pdpt_high[512], shim_pd_kernel[512];

/* Everything the shim works with and hands on: one frame on the shim's stack (it never
 * returns), in its own memory below the VTL2 region, until the kernel copied it. */
struct shim_state {
    struct boot_params params;
    struct mem_range sanitized[MEMMAP_MAX_RANGES];
    struct mem_range roundtrip[MEMMAP_MAX_RANGES];
    uint8_t memory_map[MEMORY_MAP_SCRATCH];
    struct igvm_plan plan;
    struct mezz_boot_block block;
    struct pit_stamp stamp;
};

static void put(const char *s)
{
    for (; *s != '\0'; s++) {
        while (!(inb(COM1 + 5) & 0x20))   /* LSR: transmitter holding register empty */
            ;
        outb(COM1, (uint8_t)*s);
    }
}

static NORETURN void reject(const char *what, const char *why)
{
    put("IMAGE REJECTED: ");
    put(what);
    put(": ");
    put(why);
    put("\r\n");
    outl(DEBUG_EXIT_PORT, SHIM_REJECT_CODE);
    for (;;)
        __asm__ volatile("cli; hlt");
}

static int read_identity(void *ctx, uint64_t pa, void *dst, size_t n)
{
    (void)ctx;
    if (pa == 0 || pa >= GiB(4) || n > GiB(4) - pa)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)pa, n);
    return 0;
}

static void *identity_ptr(void *ctx, uint64_t gpa, uint64_t len)
{
    (void)ctx;
    if (gpa == 0 || gpa >= GiB(4) || len > GiB(4) - gpa)
        return NULL;
    return (void *)(uintptr_t)gpa;
}

static void ignore_option(void *ctx, const char *option, const char *reason)
{
    (void)ctx, (void)option, (void)reason;   /* the kernel reports them */
}

/* The memory map as the kernel will see it: through the IGVM parameter's page
 * granularity and back, then sanitised; so both place VTL2 alike. */
static size_t prepare_memory_map(struct shim_state *shim, int *encoded)
{
    *encoded = igvm_memmap_encode(shim->params.mem, shim->params.mem_count, shim->memory_map,
                                  sizeof(shim->memory_map));
    if (*encoded < 0)
        reject("memory map", "too many ranges for the parameter area");
    uint32_t dropped = 0;
    int n = igvm_memmap_decode(shim->memory_map, sizeof(shim->memory_map), shim->roundtrip,
                               MEMMAP_MAX_RANGES, &dropped);
    int count = n < 0 ? n : memmap_sanitize(shim->roundtrip, (size_t)n, shim->sanitized,
                                            MEMMAP_MAX_RANGES);
    if (count <= 0)
        reject("memory map", "empty or too fragmented");
    return (size_t)count;
}

/* Maps the kernel window (KERNEL_VMA_BASE + the image's nominal addresses) onto where
 * the plan put the region, with 2 MiB pages, next to the identity map. */
static void map_kernel_window(const struct igvm_plan *plan)
{
    uint64_t first = plan->region_gpa / MiB(2);
    uint64_t count = ALIGN_UP(plan->region_size, MiB(2)) / MiB(2);
    if (first + count > 512)
        reject("kernel window", "image region beyond the first GiB of the link window");
    for (uint64_t i = 0; i < count; i++)
        shim_pd_kernel[first + i] = (plan->load_base + i * MiB(2)) | PDE_LARGE;
    shim_pdpt_high[510] = (uint64_t)(uintptr_t)shim_pd_kernel | PTE_PRESENT_WRITABLE;
    shim_pml4[511] = (uint64_t)(uintptr_t)shim_pdpt_high | PTE_PRESENT_WRITABLE;
}

static void fill_block(struct shim_state *shim, const struct igvm_plan *plan, const struct vtl2_layout *vtl2, uint64_t tsc_hz)
{
    struct mezz_boot_block *b = &shim->block;
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
    strncpy(b->loader_name, "mezzanine igvm shim", sizeof(b->loader_name) - 1);
    for (uint32_t i = 0; i < shim->params.module_count; i++) {
        const struct boot_module *m = &shim->params.modules[i];
        if (strcmp(m->name, IGVM_MODULE) == 0 || b->module_count == MEZZ_BOOT_MODULES_MAX)
            continue;
        struct mezz_boot_module *out = &b->modules[b->module_count++];
        out->phys_base = m->phys_base;
        out->size = m->size;
        strncpy(out->name, m->name, sizeof(out->name) - 1);
    }
}

void shim_main(uint32_t magic, uint32_t info_pa)
{
    struct shim_state state;
    struct shim_state *shim = &state;
    pit_stamp_start(&shim->stamp);
    if (multiboot_parse(magic, info_pa, read_identity, NULL, &shim->params) != 0)
        reject("shim", "unusable multiboot information");
    const struct boot_module *igvm = NULL;
    for (uint32_t i = 0; i < shim->params.module_count; i++) {
        if (strcmp(shim->params.modules[i].name, IGVM_MODULE) == 0)
            igvm = &shim->params.modules[i];
    }
    if (igvm == NULL)
        reject("shim", "no multiboot module named 'igvm'");

    int encoded;
    size_t map_count = prepare_memory_map(shim, &encoded);
    struct boot_options options;
    boot_options_default(&options);
    cmdline_parse(shim->params.cmdline, &options, ignore_option, NULL);
    struct vtl2_layout vtl2;
    if (vtl2_place(shim->sanitized, map_count, options.vtl2_size, &vtl2) != 0)
        reject("vtl2 region", "no room below 4 GiB for the requested size");

    /* Validate everything before touching VTL2 memory. */
    struct igvm_error error;
    const uint8_t *image = (const uint8_t *)(uintptr_t)igvm->phys_base;
    if (igvm_plan_load(image, igvm->size, vtl2.slot_base[0], &shim->plan, &error) != 0) {
        char text[160];
        igvm_error_format(&error, text, sizeof(text));
        reject("igvm", text);
    }
    const struct igvm_plan *plan = &shim->plan;
    if (plan->image_low < vtl2.slot_base[0] || plan->image_high > vtl2.slot_base[0] + vtl2.slot_size)
        reject("igvm", "image does not fit the kernel slot");
    if (plan->required_gpa != vtl2.base || plan->required_size > vtl2.size)
        reject("igvm", "REQUIRED_MEMORY does not match the VTL2 region");
    if (plan->memory_map_area == NULL || plan->command_line_area == NULL)
        reject("igvm", "image declares no memory map or command line parameter");
    const struct igvm_plan_area *map = plan->memory_map_area;
    if ((uint64_t)(encoded + 1) * sizeof(struct igvm_memory_map_entry) > map->size - map->memory_map_offset)
        reject("igvm", "memory map parameter area does not fit the map");
    uint64_t cr0 = plan->entry.cr0, cr4 = plan->entry.cr4, efer = plan->entry.efer;
    if (!(cr0 & CR0_PG) || !(cr0 & CR0_PE) || !(cr4 & CR4_PAE) || !(efer & EFER_LME))
        reject("igvm", "VP context does not keep 64-bit paging on");

    if (igvm_plan_apply(plan, image, identity_ptr, NULL) != 0)
        reject("igvm", "a destination page is not reachable");
    memcpy((void *)(uintptr_t)(map->gpa + map->memory_map_offset), shim->memory_map,
           (size_t)(encoded + 1) * sizeof(struct igvm_memory_map_entry));
    const struct igvm_plan_area *cmd = plan->command_line_area;
    igvm_cmdline_encode(shim->params.cmdline, (void *)(uintptr_t)(cmd->gpa + cmd->command_line_offset),
                        cmd->size - cmd->command_line_offset);
    map_kernel_window(plan);
    fill_block(shim, plan, &vtl2, pit_stamp_finish(&shim->stamp));
    shim_enter(plan->entry.rip, cr0, cr4, efer & (EFER_LME | EFER_NXE), MEZZ_BOOT_BLOCK_MAGIC,
               (uint32_t)(uintptr_t)&shim->block);
}
