/*
 * kmain: Mezzanine's boot sequence. Console and traps first, so anything after can be
 * reported; then the loader's data is copied and validated; then VTL2's memory is laid
 * out, its page tables built and the image moved into its VTL2 slot.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "arch/x86_64/cpu/gdt.h"
#include "arch/x86_64/cpu/idt.h"
#include "arch/x86_64/cpu/trap_frame.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/cpu/tsc.h"
#include "kernel/vtl0/bench_exits.h"
#include "kernel/boot/boot_params.h"
#include "kernel/host/get_instance.h"
#include "kernel/boot/boot_info.h"
#include "kernel/core/ambient.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/console.h"
#include "kernel/host/diag.h"
#include "kernel/host/inspect_nodes.h"
#include "kernel/lib/log.h"
#include "kernel/boot/loader_parse.h"
#include "kernel/lib/panic.h"
#include "kernel/vtl0/partition.h"
#include "kernel/vtl0/devices.h"
#include "kernel/host/poll.h"
#include "kernel/servicing/servicing.h"
#include "kernel/core/test_hooks.h"
#include "kernel/version.h"
#include "mm/memmap.h"
#include "mm/pmm.h"
#include "drivers/hw/hpet.h"
#include "mm/vtl2_space.h"

void kmain(uint32_t magic, uint32_t info_pa);

#define MEZZ_BANNER "Mezzanine " MEZZ_VERSION " (" MEZZ_GITREV ") x86_64 paravisor"

/* Loader data is read before VTL2's tables exist, through the boot identity map of
 * the first 4 GiB. */
static int read_boot_phys(void *ctx, uint64_t pa, void *dst, size_t n)
{
    (void)ctx;
    if (pa == 0 || pa >= GiB(4) || n > GiB(4) - pa)
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)pa, n);
    return 0;
}

static void warn_option(void *ctx, const char *option, const char *reason)
{
    (void)ctx;
    log_warn("boot", "ignoring command line option '%s': %s", option, reason);
}

static struct boot_params boot_params;
static struct boot_options options;
static struct mem_range memory_map[MEMMAP_MAX_RANGES];
static size_t memory_map_count;
static struct vtl2_layout vtl2;
static uint64_t pmm_bitmap[PMM_BITMAP_WORDS(VTL2_MAX_SIZE / PAGE_SIZE)];
static struct pmm pmm;
static struct vtl2_space vtl2_space;
static struct gdt_tables gdt_tables;
static struct idt_tables idt_tables;

/* The log, console, panic latch and inspect tree every layer reaches (ambient.h). */
struct kernel_ambient kernel_ambient = KERNEL_AMBIENT_INIT;

/* The host channels and VTL0: every instance Mezzanine has, wired here and passed down. */
static struct get_instance get;
static struct diag diag;
static struct hpet_nmi_timer host_timer;
static struct host_channels host = { .get = &get, .diag = &diag, .timer = &host_timer };
static struct partition partition;
static struct vtl0_extra_devices vtl0_devices;
static struct servicing servicing;
/* The old instance's persisted page, when the servicing handoff entered this image. */
static struct servicing_persisted persisted;
/* A new instance's restore deadline (kernel/servicing/watchdog.h), checked on every NMI,
 * and the stack its rollback runs on once the NMI has ended. */
static struct restore_watchdog restore_watchdog;
static uint8_t rollback_stack[BOOT_STACK_SIZE] __attribute__((aligned(16)));   /* as kmain's */
static unsigned running_slot;
/* The host channels' rings the old instance carried across (valid ones only). */
static struct servicing_rings carried_rings;

const struct vtl2_layout *boot_vtl2_layout(void) { return &vtl2; }

size_t boot_memory_map(const struct mem_range **map)
{
    *map = memory_map;
    return memory_map_count;
}

/* The memory map and VTL2 layout blocks go to the log ring (`tools/mezz log`, diag) and
 * reach the console only with mezz.log=debug: every console byte before boot complete
 * is an exit to QEMU and a host write, and these blocks were most of them
 * (docs/benchmarks.md, "Boot time"). A servicing boot, VTL0 stopped, writes neither:
 * they are the old instance's, handed over unchanged, and inspect "memory" shows both
 * (about 10 us a line under TCG, docs/servicing.md "Timings"). Addresses print 8 hex
 * digits wide. */
static void boot_dump_line(const char *line)
{
    log_raw_line_level(LOG_DEBUG, line);
}

/* The console level while a servicing boot runs with VTL0 stopped: warnings and errors. */
static enum log_level servicing_console_level(void)
{
    return options.log_level < LOG_WARN ? options.log_level : LOG_WARN;
}

static void print_memory_map(void)
{
    boot_dump_line("memory map (firmware):");
    for (size_t i = 0; i < memory_map_count; i++) {
        char line[96];
        const struct mem_range *r = &memory_map[i];
        snprintf(line, sizeof(line), "  0x%08llx-0x%08llx %s", (unsigned long long)r->base,
                 (unsigned long long)(r->base + r->size - 1), mem_type_name(r->type));
        boot_dump_line(line);
    }
}

static void print_region(const char *name, uint64_t base, uint64_t size)
{
    char line[96];
    snprintf(line, sizeof(line), "  %-10s 0x%08llx-0x%08llx %6llu KiB", name,
             (unsigned long long)base, (unsigned long long)(base + size - 1),
             (unsigned long long)(size >> 10));
    boot_dump_line(line);
}

static void print_vtl2_layout(void)
{
    char line[128];
    snprintf(line, sizeof(line), "vtl2 region: 0x%08llx-0x%08llx (%llu MiB)",
             (unsigned long long)vtl2.base, (unsigned long long)(vtl2.base + vtl2.size - 1),
             (unsigned long long)(vtl2.size >> 20));
    boot_dump_line(line);
    print_region("persisted", vtl2.persisted_base, vtl2.persisted_size);
    print_region("slot0", vtl2.slot_base[0], vtl2.slot_size);
    print_region("slot1", vtl2.slot_base[1], vtl2.slot_size);
    print_region("vram", vtl2.vram_base, vtl2.vram_size);
    print_region("staging", vtl2.staging_base, vtl2.staging_size);
    print_region("heap", vtl2.heap_base, vtl2.heap_size);
    /* VTL0's first RAM block ends where VTL2 begins (SPEC section 1). */
    snprintf(line, sizeof(line), "vtl0 low ram: 0x0-0x%08llx, rom_bios_offset 0x%llx",
             (unsigned long long)(vtl2.base - 1), (unsigned long long)(vtl2.base - MiB(1)));
    boot_dump_line(line);
}

static void setup_allocator(void)
{
    uint64_t npages = vtl2.heap_size / PAGE_SIZE;
    if (pmm_init(&pmm, pmm_bitmap, ARRAY_SIZE(pmm_bitmap), vtl2.heap_base, npages) != 0)
        panic("pmm: cannot manage heap 0x%llx (+%llu pages)", (unsigned long long)vtl2.heap_base,
              (unsigned long long)npages);
    /* Free exactly the usable parts of the heap window; anything the firmware reserves
     * inside it stays reserved. */
    for (size_t i = 0; i < memory_map_count; i++) {
        if (memory_map[i].type == MEM_USABLE)
            pmm_release_range(&pmm, memory_map[i].base, memory_map[i].size);
    }
    log_debug("mm", "page allocator: %llu of %llu pages free at 0x%llx",
             (unsigned long long)pmm.stats.free_pages, (unsigned long long)pmm.stats.total_pages,
             (unsigned long long)vtl2.heap_base);
}

const struct boot_module *boot_find_module(const char *name)
{
    for (uint32_t i = 0; i < boot_params.module_count; i++) {
        if (strcmp(boot_params.modules[i].name, name) == 0)
            return &boot_params.modules[i];
    }
    return NULL;
}

static uint64_t ram_above_4g(void)
{
    uint64_t total = 0;
    for (size_t i = 0; i < memory_map_count; i++) {
        if (memory_map[i].type == MEM_USABLE && memory_map[i].base >= GiB(4))
            total += memory_map[i].size;
    }
    return total;
}

/* A copy in VTL2 memory of the boot module `name` (its memory becomes VTL0's, or the next
 * handoff's), or NULL. With `defer` (a module in the persisted part, which nothing
 * writes before the next handoff is prepared): the room is taken now, the copy waits
 * for keep_images(), so the restore does not pay for it while VTL0 is stopped. */
static const uint8_t *keep_module(const char *name, size_t *len, bool defer, uint8_t **home)
{
    const struct boot_module *m = boot_find_module(name);
    uint64_t pa;
    *len = 0;
    if (m == NULL || m->size == 0 || m->size > MiB(4) ||
        pmm_alloc(&pmm, ALIGN_UP(m->size, (uint64_t)PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE, &pa) != 0)
        return NULL;
    *len = m->size;
    if (defer) {
        *home = phys_to_virt(pa);
        return phys_to_virt(m->phys_base);
    }
    memcpy(phys_to_virt(pa), phys_to_virt(m->phys_base), m->size);
    return phys_to_virt(pa);
}

/* Homes in VTL2 memory for the images a servicing boot found in the persisted part. */
static uint8_t *own_image_home, *previous_image_home;

/* servicing's keep_images: before anything writes the persisted part again. */
static void keep_images(struct servicing *s)
{
    if (own_image_home != NULL && s->own_image != own_image_home) {
        memcpy(own_image_home, s->own_image, s->own_image_len);
        s->own_image = own_image_home;
    }
    if (previous_image_home != NULL && s->previous_image != previous_image_home) {
        memcpy(previous_image_home, s->previous_image, s->previous_image_len);
        s->previous_image = previous_image_home;
    }
}

/* Starts VTL0 with the firmware module, if there is one, and never returns then;
 * returns if VTL0 cannot run (reported), so Mezzanine goes on serving its host. */
static void start_vtl0(void)
{
    const struct boot_module *fw = boot_find_module("vtl0");
    const struct boot_module *script = boot_find_module("testscript");

    for (uint32_t i = 0; i < boot_params.module_count; i++) {
        const struct boot_module *m = &boot_params.modules[i];
        if (m != fw && m != script && strcmp(m->name, "vgabios") != 0 &&  /* the display's */
            strcmp(m->name, "igvm") != 0 && strcmp(m->name, "igvm-previous") != 0 &&
            strcmp(m->name, "blob") != 0)                                   /* servicing's */
            log_warn("boot", "ignoring module '%s' (%llu bytes)", m->name, (unsigned long long)m->size);
    }
    if (fw == NULL) {
        log_info("vtl0", "no VTL0 firmware given");
        return;
    }
    log_info("vtl0", "firmware image: %llu bytes at phys 0x%llx", (unsigned long long)fw->size,
             (unsigned long long)fw->phys_base);
    bool restoring = boot_params.servicing;
    /* Servicing's: this image, the one before it and the blob, kept before VTL0 runs. */
    size_t own_image_len, previous_image_len, carried_blob_len;
    const uint8_t *own_image = keep_module("igvm", &own_image_len, restoring, &own_image_home);
    const uint8_t *previous_image = keep_module("igvm-previous", &previous_image_len, restoring,
                                                &previous_image_home);
    uint8_t *blob_home = NULL;
    const uint8_t *carried_blob = keep_module("blob", &carried_blob_len, false, &blob_home);
    const struct handoff_config handoff_cfg = {
        .vtl2 = &vtl2, .space = &vtl2_space, .mem = boot_params.mem,
        .mem_count = boot_params.mem_count, .cmdline = boot_params.cmdline,
        .running_slot = running_slot, .generation = restoring ? persisted.generation : 0,
        .tick = &host_timer,
    };
    servicing_init(&servicing, &partition, &handoff_cfg);
    struct partition_config cfg = {
        .restoring = restoring,
        .host = &host,
        .idt = &idt_tables,
        .space = &vtl2_space,
        .low_ram_end = vtl2.base,
        .ram_above_4g = ram_above_4g(),
        .firmware = phys_to_virt(fw->phys_base),
        .firmware_size = fw->size,
        .test_script = script ? phys_to_virt(script->phys_base) : NULL,
        .test_script_len = script ? script->size : 0,
        /* At this instance's own persisted part (the boot block's address is the
         * host's to change), which the direct map always covers. */
        .fwcfg_carried = restoring ? phys_to_virt(vtl2.persisted_base + SERVICING_FWCFG_OFF) : NULL,
    };
    if (partition_init(&partition, &cfg, &pmm) != 0) {
        log_error("vtl0", "VTL0 not started");
        return;
    }
    /* A servicing boot sent VERSION and DPS in kmain and the host answered them while the
     * partition was built; RESTORE goes out now and is answered while the devices are
     * built and the way back prepared. */
    if (restoring) {
        (void)get_start_begin(&get);
        (void)get_start_finish(&get);
        servicing_restore_ahead(&servicing, &get, &persisted);
    }
    const struct vtl0_devices_config devices_cfg = {
        .pam_backend = options.pam == PAM_CHOICE_OPENHCL ? PAM_BACKEND_OPENHCL
                     : options.pam == PAM_CHOICE_FAITHFUL ? PAM_BACKEND_FAITHFUL
                     : options.pam == PAM_CHOICE_LOCAL ? PAM_BACKEND_LOCAL : PAM_BACKEND_AUTO,
        .bridge_device_id = options.bridge_i440fx ? I440FX_DEVICE_ID : I440BX_DEVICE_ID,
    };
    if (vtl0_devices_init(&vtl0_devices, &partition, &vtl2, &devices_cfg) == 0) {
        diag.screenshot = vtl0_display_screenshot;
        diag.screenshot_ctx = &vtl0_devices.display;
    }
    servicing.test_save_fail = options.servicing_save_fail;
    servicing.test_restore_fail = options.servicing_restore_fail;
    servicing.test_restore_stuck = options.servicing_restore_stuck;
    servicing.watchdog = &restore_watchdog;
    servicing.own_image = own_image;
    servicing.own_image_len = own_image_len;
    servicing.previous_image = previous_image;
    servicing.previous_image_len = previous_image_len;
    servicing.keep_images = keep_images;
    servicing.carried_blob = carried_blob;
    servicing.carried_blob_len = carried_blob_len;
    servicing_carry_module(&servicing, "vtl0", partition.firmware, partition.firmware_size);
    servicing_carry_module(&servicing, "testscript", partition.test_script, partition.test_script_len);
    if (vtl0_devices.display_up)
        servicing_carry_module(&servicing, "vgabios", vtl0_devices.display.dev.cfg.rom,
                               vtl0_devices.display.dev.cfg.rom_size);
    diag.servicing = servicing_command;
    diag.servicing_ctx = &servicing;
    /* The watchdog may roll back only once the way back is ready (and allocation-free). */
    if (restoring && restore_watchdog.armed) {
        int prep = servicing_prepare_rollback(&servicing);
        if (prep == 0)
            restore_watchdog_ready(&restore_watchdog);
        else
            log_warn("servicing", "no way back (%d): the restore watchdog cannot roll back", prep);
    }
    /* The restore's own lines (blackout_time_us) are the console's again. */
    log_set_console_level(options.log_level);
    if (restoring && servicing_restore(&servicing, &persisted) != 0) {
        log_error("vtl0", "restore failed: VTL0 not resumed");
        return;
    }
    host.save_request = servicing_save_request;
    host.save_request_ctx = &servicing;
    get_notify_start_vtl0_completed(&get);
    partition_run(&partition);
}

/* A carried ring pair is taken only if it is wholly inside the heap, page aligned, of
 * this build's size and still free here; its pages are then reserved before anything
 * else is allocated. */
static bool claim_ring_pages(const struct host_ring_carry *c)
{
    uint64_t heap_end = vtl2.heap_base + vtl2.heap_size;
    if (c->gpa % PAGE_SIZE != 0 || c->data_size != HOST_RING_DATA_SIZE || c->gpa < vtl2.heap_base ||
        c->gpa > heap_end || heap_end - c->gpa < HOST_RING_PAIR_BYTES)
        return false;
    for (uint64_t pa = c->gpa; pa < c->gpa + HOST_RING_PAIR_BYTES; pa += PAGE_SIZE) {
        if (!pmm_is_free(&pmm, pa))
            return false;
    }
    pmm_reserve_range(&pmm, c->gpa, HOST_RING_PAIR_BYTES);
    return true;
}

/* A servicing boot: the rings the old instance carried in the persisted page (docs/
 * servicing.md), copied and checked; the ones that pass are used by setup_host_rings. */
static void claim_carried_rings(void)
{
    struct servicing_rings r;
    if (!boot_params.servicing || !(persisted.flags & SERVICING_PERSISTED_RINGS) ||
        read_boot_phys(NULL, boot_params.persisted_pa + SERVICING_RINGS_OFF, &r, sizeof(r)) != 0 ||
        r.magic != SERVICING_RINGS_MAGIC)
        return;
    carried_rings.magic = r.magic;
    if ((r.channels & SERVICING_RINGS_GET) && claim_ring_pages(&r.get)) {
        carried_rings.get = r.get;
        carried_rings.channels |= SERVICING_RINGS_GET;
    }
    /* (Pages the GET's took are not free any more: two records cannot overlap.) */
    if ((r.channels & SERVICING_RINGS_DIAG) && claim_ring_pages(&r.diag)) {
        carried_rings.diag = r.diag;
        carried_rings.channels |= SERVICING_RINGS_DIAG;
    }
    if (carried_rings.channels != r.channels)
        log_warn("servicing", "carried rings refused (channels 0x%x of 0x%x kept): offering new ones",
                 carried_rings.channels, r.channels);
}

/* The restore watchdog fired: entered by the NMI's IRET (below), on rollback_stack. The
 * restore is abandoned where it was; what it held (the GET client, the allocator) is
 * left alone. */
static NORETURN void restore_deadline_passed(void)
{
    servicing_restore_deadline_passed(&servicing, &persisted);
    log_error("vtl0", "restore stuck and no way back: VTL0 not resumed");
    for (;;)
        __asm__ volatile("cli\n\thlt" ::: "memory");
}

/*
 * Every NMI Mezzanine takes (arch/x86_64/cpu/trap.c). The rollback does not run in the
 * handler: while an NMI handler runs, further NMIs are held until the next IRET (AMD APM
 * vol. 2, 8.2.3; QEMU's TCG keeps HF2_NMI_MASK until IRET likewise), and an image
 * entered from here would start with its own tick's NMIs blocked. Instead the frame is
 * pointed at restore_deadline_passed on a stack of its own, interrupts still off: the
 * handler's IRET ends the NMI and lands there.
 */
void trap_nmi_hook(struct trap_frame *frame)
{
    if (!restore_watchdog.armed || !restore_watchdog_expired(&restore_watchdog, rdtsc()))
        return;                     /* the common case: no restore under way */
    frame->rip = (uint64_t)(uintptr_t)restore_deadline_passed;
    /* As after a call: rsp + 8 is 16-byte aligned at a function's entry (SysV ABI). */
    frame->rsp = (uint64_t)(uintptr_t)(rollback_stack + sizeof(rollback_stack)) - 8;
    frame->rflags = RFLAGS_FIXED;
}

/* Whole pages of the VTL2 heap for a scratch buffer taken late (get_bench's), or NULL. */
static void *alloc_heap(void *ctx, size_t bytes)
{
    uint64_t phys;
    if (pmm_alloc(ctx, ALIGN_UP(bytes, (size_t)PAGE_SIZE) / PAGE_SIZE, PAGE_SIZE, &phys) != 0)
        return NULL;
    return phys_to_virt(phys);
}

/* Shared-memory rings for the GET and diag (docs/get.md, "Rings"): VTL2 heap pages,
 * which VTL0 never maps and the host reaches through the guest-RAM file. */
static void setup_host_rings(void)
{
    struct host_ring_config *cfgs[2] = { &get.ring_cfg, &diag.ring_cfg };
    const struct host_ring_carry *carried[2] = {
        carried_rings.channels & SERVICING_RINGS_GET ? &carried_rings.get : NULL,
        carried_rings.channels & SERVICING_RINGS_DIAG ? &carried_rings.diag : NULL,
    };
    for (size_t i = 0; i < ARRAY_SIZE(cfgs); i++) {
        uint64_t phys;
        cfgs[i]->force_uart = options.force_uart;
        if (carried[i] != NULL) {
            cfgs[i]->gpa = carried[i]->gpa;
            cfgs[i]->mem = phys_to_virt(carried[i]->gpa);
            cfgs[i]->carried = carried[i];
            continue;
        }
        if (pmm_alloc(&pmm, HOST_RING_PAIR_BYTES / PAGE_SIZE, PAGE_SIZE, &phys) != 0) {
            log_warn("boot", "no memory for host channel rings: UART only");
            continue;
        }
        cfgs[i]->gpa = phys;
        cfgs[i]->mem = phys_to_virt(phys);
    }
    get.bench_alloc = alloc_heap;
    get.bench_alloc_ctx = &pmm;
}

static uint32_t hpet_read(void *ctx, unsigned reg)
{
    return *(volatile uint32_t *)((volatile uint8_t *)ctx + reg);
}

static void hpet_write(void *ctx, unsigned reg, uint32_t value)
{
    *(volatile uint32_t *)((volatile uint8_t *)ctx + reg) = value;
}

/* Mezzanine's own tick: HPET NMIs that VTL0 can neither mask nor reprogram. */
static void start_host_timer(void)
{
    volatile void *regs = vtl2_map_mmio(&vtl2_space, HPET_BASE, PAGE_SIZE);
    if (regs == NULL) {
        log_warn("boot", "HPET not mappable: no host tick, the host channels are polled");
        return;
    }
    const struct hpet_ops ops = { .read = hpet_read, .write = hpet_write, .ctx = (void *)regs };
    int err = hpet_nmi_timer_start(&host_timer, &ops, HOST_TICK_RUN_US, 0);
    if (err)
        log_warn("boot", "no HPET FSB timer (%d): no host tick, the host channels are polled", err);
    else
        log_info("boot", "host tick: HPET timer %u, NMI every %u us", host_timer.timer,
                 HOST_TICK_RUN_US);
}

void kmain(uint32_t magic, uint32_t info_pa)
{
    log_set_boot_tsc(rdtsc());
    console_init();
    gdt_init(&gdt_tables);
    idt_init(&idt_tables);
    /* Multiboot information or an IGVM loader's boot block (kernel/boot/loader_parse.c);
     * a loader that knows the TSC frequency spares the PIT calibration. */
    int err = boot_loader_parse(magic, info_pa, read_boot_phys, NULL, &boot_params);
    if (!err && boot_params.servicing) {
        /* Entered by the servicing handoff: the old instance's TSC frequency and time
         * zero carry on (no calibration, one log timeline). */
        err = read_boot_phys(NULL, boot_params.persisted_pa, &persisted, sizeof(persisted));
        if (!err && !servicing_persisted_ok(&persisted))
            err = -EINVAL;
        if (!err) {
            servicing_persisted_settle(&persisted);
            boot_params.tsc_hz = persisted.tsc_hz;
            log_set_boot_tsc(persisted.boot_tsc);
            /* Until the restore only warnings reach the console: every console byte is
             * two port exits to QEMU and a host write, with VTL0 stopped. */
            log_set_console_level(LOG_WARN);
            /* A new instance's restore must end by its deadline, counted from the
             * handoff; a rollback instance has nothing to go back to. */
            if (!(persisted.flags & SERVICING_PERSISTED_ROLLBACK)) {
                uint32_t ms = persisted.restore_budget_ms ? persisted.restore_budget_ms
                                                          : SERVICING_RESTORE_BUDGET_DEFAULT_MS;
                restore_watchdog_arm(&restore_watchdog,
                                     persisted.handoff_tsc + persisted.tsc_hz / 1000u * ms);
            }
        }
    }
    /* The banner leads the console of a cold boot (nothing prints before it); a
     * servicing boot, VTL0 stopped, keeps it in the ring: every console byte is two
     * port exits to QEMU and a host write (docs/servicing.md, "Timings"). */
    if (!err && boot_params.servicing)
        log_raw_line_level(LOG_INFO, MEZZ_BANNER);
    else
        log_raw_line(MEZZ_BANNER);
    log_set_tsc_hz(boot_params.tsc_hz != 0 ? boot_params.tsc_hz : tsc_calibrate());
    log_info("boot", "TSC %llu kHz%s", (unsigned long long)(log_tsc_hz() / 1000),
             boot_params.tsc_hz != 0 ? " (from the loader)" : "");
    if (err)
        panic("boot: unusable loader information (magic 0x%x, info 0x%x): error %d", magic,
              info_pa, err);
    boot_options_default(&options);
    cmdline_parse(boot_params.cmdline, &options, warn_option, NULL);
    log_set_console_level(boot_params.servicing ? servicing_console_level() : options.log_level);
    log_info("boot", "loader '%s', command line '%s'", boot_params.loader_name, boot_params.cmdline);
    if (boot_params.dropped_mem_ranges || boot_params.dropped_modules)
        log_warn("boot", "dropped %u malformed memory ranges and %u modules",
                 boot_params.dropped_mem_ranges, boot_params.dropped_modules);

    int count = memmap_sanitize(boot_params.mem, boot_params.mem_count, memory_map,
                                ARRAY_SIZE(memory_map));
    if (count <= 0)
        panic("boot: firmware memory map is empty or too fragmented (%d)", count);
    memory_map_count = (size_t)count;
    if (!boot_params.servicing)
        print_memory_map();

    err = boot_place_vtl2(&boot_params, memory_map, memory_map_count, options.vtl2_size, &vtl2);
    if (err)
        panic("boot: no room for a %llu MiB VTL2 region below 4 GiB (error %d)",
              (unsigned long long)(options.vtl2_size >> 20), err);
    if (!boot_params.servicing)
        print_vtl2_layout();
    /* The servicing handoff enters an image in the slot the old one does not use; the
     * old image stays intact in its own. */
    running_slot = boot_params.kernel_phys != 0 && boot_params.kernel_phys == vtl2.slot_base[1] ? 1 : 0;
    if (boot_params.servicing)
        log_info("servicing", "entered by the handoff from %s (%s) in slot%u; restoring in slot%u",
                 persisted.old_version, persisted.old_build_id, persisted.old_slot, running_slot);
    setup_allocator();
    claim_carried_rings();

    err = vtl2_space_init(&vtl2_space, &pmm, memory_map, memory_map_count,
                          boot_params.kernel_phys != 0 ? boot_params.kernel_phys : KERNEL_LOAD_PHYS,
                          vtl2.slot_base[running_slot],
                          vtl2.slot_size);
    if (err)
        panic("mm: cannot build VTL2 page tables (error %d)", err);
    log_info("mm", "kernel image: phys 0x%08llx - 0x%08llx (%llu KiB)",
             (unsigned long long)vtl2_space.kernel_phys_base,
             (unsigned long long)(vtl2_space.kernel_phys_base + vtl2_space.kernel_phys_size),
             (unsigned long long)(vtl2_space.kernel_phys_size >> 10));
    log_debug("mm", "vtl2 page tables: root 0x%llx, %llu table pages, direct map of %llu MiB at 0x%llx",
             (unsigned long long)vtl2_space.pt.root, (unsigned long long)vtl2_space.pt.tables_allocated,
             (unsigned long long)(vtl2_space.direct_map_end >> 20), (unsigned long long)DIRECT_MAP_BASE);

    log_info("boot", "boot complete in %llu us", (unsigned long long)log_uptime_us());
    test_hooks_run(&options);

    inspect_nodes_register();
    setup_host_rings();
    start_host_timer();
    diag.get = &get;
    diag_init(&diag);
    /* A servicing boot sends VERSION and DPS now and takes the answers in start_vtl0,
     * after building the partition: the host answers meanwhile (docs/servicing.md). */
    if (boot_params.servicing)
        (void)get_connect_begin(&get);
    else
        (void)get_start(&get);
    if (options.bench == BENCH_EXITS) {
        bench_exits_run(&partition, &vtl0_devices.bridge, &host, &idt_tables, &vtl2_space, &pmm,
                        vtl2.base);
        log_info("boot", "benchmark done; VTL0 not started");
    } else {
        /* START_VTL0_COMPLETED goes out from start_vtl0(), when VTL0 really starts. */
        start_vtl0();
    }
    (void)get_start_finish(&get);     /* if start_vtl0 returned before it started the GET */
    log_set_console_level(options.log_level);
    log_info("boot", "waiting");
    kernel_idle(&host);
}
