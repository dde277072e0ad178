/*
 * The multiboot boot shim (SPEC section 8, docs/image.md): QEMU loads it with
 * `-kernel build/shim.bin` and Mezzanine's IGVM image as the multiboot module "igvm".
 * It places the VTL2 region exactly as the kernel would (mm/memmap.c), loads the image
 * into the kernel's slot with the IGVM library, fills the memory-map and command-line
 * parameters and the boot block, and enters the kernel. A refused image ends the
 * machine with isa-debug-exit status SHIM_REJECT_CODE ("image rejected" for the host)
 * before anything was copied.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86_64/boot/shim/pit_stamp.h"
#include "arch/x86_64/cpu/cpu.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm.h"
#include "kernel/boot/igvm_boot.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/boot/multiboot_parse.h"
#include "kernel/core/cmdline.h"
#include "mm/memmap.h"

#define CONSOLE_PORT 0x2E8   /* COM4, Mezzanine's console (docs/boot-contract.md) */
#define DEBUG_EXIT_PORT 0xF4
/* isa-debug-exit: QEMU exits with (v << 1) | 1 = 69; the kernel's panic uses 0x21 (67). */
#define SHIM_REJECT_CODE 0x22
#define IGVM_MODULE "igvm"
#define MEMORY_MAP_SCRATCH 8192

#define PTE_PRESENT_WRITABLE 0x03ull
#define PDE_LARGE            0x83ull

void shim_main(uint32_t magic, uint32_t info_pa);
NORETURN void shim_enter(uint64_t rip, uint64_t cr0, uint64_t cr4, uint64_t efer_bits,
                         uint32_t magic, uint32_t block);
extern uint64_t shim_pml4[512], shim_pdpt_high[512], shim_pd_kernel[512];
extern char __shim_start[], __shim_bss_end[];

#ifdef SHIM_PHASE_STAMPS
/* Development build only (build/shim-stamps.bin, tools/bench/boot_phases): the TSC at
 * each phase boundary, printed on COM4 just before the kernel is entered. The entry
 * stamp is taken by shim_entry.S before anything else. */
extern uint64_t shim_entry_tsc;
#define SHIM_PHASES 8
#define PHASE_STAMP(shim) ((shim)->stamps[(shim)->stamp_count++] = rdtsc())
#else
#define PHASE_STAMP(shim) ((void)0)
#endif

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
#ifdef SHIM_PHASE_STAMPS
    uint64_t stamps[SHIM_PHASES];
    unsigned stamp_count;
#endif
};

static void put(const char *s)
{
    for (; *s != '\0'; s++) {
        while (!(inb(CONSOLE_PORT + 5) & 0x20))   /* LSR: transmitter holding register empty */
            ;
        outb(CONSOLE_PORT, (uint8_t)*s);
    }
}

#ifdef SHIM_PHASE_STAMPS
static void put_u64(uint64_t v)
{
    char text[21];
    int i = (int)sizeof(text) - 1;
    text[i] = '\0';
    do {
        text[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    put(text + i);
}

/* "shim phases: tsc_hz=HZ entry=TSC TSC...": the entry stamp, then one per phase in the
 * order shim_main takes them (tools/bench/boot_phases names them). */
static void put_phases(const struct shim_state *shim, uint64_t tsc_hz)
{
    put("shim phases: tsc_hz=");
    put_u64(tsc_hz);
    put(" entry=");
    put_u64(shim_entry_tsc);
    for (unsigned i = 0; i < shim->stamp_count; i++) {
        put(" ");
        put_u64(shim->stamps[i]);
    }
    put("\r\n");
}
#endif

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

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static void ignore_option(void *ctx, const char *option, const char *reason)
{
    (void)ctx, (void)option, (void)reason;   /* the kernel reports them */
}

/* The memory map as the kernel will see it: through the IGVM parameter's page
 * granularity and back, then sanitised; so both agree on what is RAM. */
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

static void fill_block(struct shim_state *shim, const struct vtl2_layout *vtl2, uint64_t tsc_hz)
{
    igvm_boot_fill_block(&shim->block, &shim->plan, vtl2, tsc_hz, "mezzanine igvm shim");
    for (uint32_t i = 0; i < shim->params.module_count; i++) {
        const struct boot_module *m = &shim->params.modules[i];
        /* The image too: the kernel keeps a copy to roll servicing back to. */
        if (!igvm_boot_add_module(&shim->block, m->name, m->phys_base, m->size))
            reject("shim", "more modules than the boot block holds");
    }
}

void shim_main(uint32_t magic, uint32_t info_pa)
{
    struct shim_state state;
    struct shim_state *shim = &state;

#ifdef SHIM_PHASE_STAMPS
    shim->stamp_count = 0;
#endif
    PHASE_STAMP(shim);                       /* long mode, paging, stack set up */
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

    /* The region is about to be written: it must not hold the shim (code, tables,
     * stack) or anything QEMU loaded for us. */
    if (overlaps(vtl2.base, vtl2.size, (uint64_t)(uintptr_t)__shim_start,
                 (uint64_t)(uintptr_t)(__shim_bss_end - __shim_start)))
        reject("vtl2 region", "overlaps the boot shim");
    for (uint32_t i = 0; i < shim->params.module_count; i++) {
        const struct boot_module *m = &shim->params.modules[i];
        if (overlaps(vtl2.base, vtl2.size, m->phys_base, m->size))
            reject("vtl2 region", "overlaps a multiboot module");
    }

    PHASE_STAMP(shim);                       /* multiboot info, memory map, VTL2 placed */
    /* Validate everything before touching VTL2 memory. */
    struct igvm_error error;
    const uint8_t *image = (const uint8_t *)(uintptr_t)igvm->phys_base;
    if (igvm_plan_load(image, igvm->size, vtl2.slot_base[0], &shim->plan, &error) != 0) {
        char text[160];
        igvm_error_format(&error, text, sizeof(text));
        reject("igvm", text);
    }
    PHASE_STAMP(shim);                       /* parsed, CRC and SHA-256 checked */
    const struct igvm_plan *plan = &shim->plan;
    const char *why = igvm_boot_check(plan, &vtl2, (uint32_t)encoded);
    if (why != NULL)
        reject("igvm", why);

    if (igvm_plan_apply(plan, image, identity_ptr, NULL) != 0)
        reject("igvm", "a destination page is not reachable");
    PHASE_STAMP(shim);                       /* pages copied and zeroed */
    if (igvm_boot_write_params(plan, shim->memory_map, (uint32_t)encoded, shim->params.cmdline,
                               identity_ptr, NULL) != 0)
        reject("igvm", "a parameter area is not reachable");
    map_kernel_window(plan);
    PHASE_STAMP(shim);                       /* parameters written, kernel window mapped */
    uint64_t tsc_hz = pit_stamp_finish(&shim->stamp);
    PHASE_STAMP(shim);                       /* PIT window closed */
    fill_block(shim, &vtl2, tsc_hz);
#ifdef SHIM_PHASE_STAMPS
    put_phases(shim, tsc_hz);
#endif
    shim_enter(plan->entry.rip, plan->entry.cr0, plan->entry.cr4,
               plan->entry.efer & IGVM_BOOT_EFER_BITS, MEZZ_BOOT_BLOCK_MAGIC,
               (uint32_t)(uintptr_t)&shim->block);
}
