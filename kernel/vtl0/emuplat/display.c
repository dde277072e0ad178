/*
 * VTL0's display, kernel glue (docs/framebuffer.md): the framebuffer core's VRAM is the
 * `vram` part of the VTL2 region, read through the fixed VTL2 view (the direct map, made
 * once at boot); VTL0's mapping of it is a device window in the GPA map, moved as VTL0
 * moves BAR0; each map and unmap goes to the host as GET MAP_FRAMEBUFFER /
 * UNMAP_FRAMEBUFFER. The Bochs-compatible device answers PCI config, BAR2 (MMIO through
 * #NPF and the instruction decoder), the DISPI ports and its expansion ROM (a read-only
 * device window over a VTL2 copy of the VGA BIOS).
 */
#include "kernel/vtl0/emuplat/display.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "drivers/hw/pci_cf8.h"
#include "drivers/vdev/display/bochs_display.h"
#include "kernel/host/get_instance.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/host/screenshot.h"
#include "mm/vtl2_space.h"

#define FIRST_SLOT      2           /* 00:00.0 bridge, 00:01.x PIIX3/IDE/ACPI */
#define VGABIOS_MAX     0x100000u   /* 1 MiB: far more than any VGA BIOS */
#define ROM_SIGNATURE   0xAA55u
#define EDID_WIDTH      1024
#define EDID_HEIGHT     768
#define SNAPSHOT_BYTES  0x200000u   /* encoded frames up to 2 MiB are atomic snapshots */

static void fmt_bdf(char *out, size_t cap, uint32_t bdf)
{
    snprintf(out, cap, "%02x:%02x.%x", (bdf >> 16) & 0xFF, (bdf >> 11) & 0x1F, (bdf >> 8) & 7);
}

/* ---- framebuffer ops: VTL0's mapping and the host ---------------------------------------- */

static int fb_map(void *ctx, uint64_t gpa, uint64_t vram_offset, uint64_t size)
{
    struct vtl0_display *d = ctx;
    int err = gpa_map_set_device_window(&d->p->gpa, DISPLAY_VRAM_WINDOW, gpa, size,
                                        d->vram_phys + vram_offset);
    if (err)
        log_warn("display", "VRAM not mapped at 0x%llx (error %d): VTL0's BAR overlaps "
                 "RAM or another device", (unsigned long long)gpa, err);
    else
        log_info("display", "VTL0 maps VRAM at 0x%llx (%llu KiB)", (unsigned long long)gpa,
                 (unsigned long long)(size >> 10));
    return err;
}

static void fb_unmap(void *ctx, uint64_t gpa)
{
    struct vtl0_display *d = ctx;
    gpa_map_clear_device_window(&d->p->gpa, DISPLAY_VRAM_WINDOW);
    log_info("display", "VTL0's VRAM mapping at 0x%llx removed", (unsigned long long)gpa);
}

/* A host answer: 0, a negative errno (no answer), or the host's failure status. */
static int host_result(struct vtl0_display *d, const char *what, int err, uint32_t status)
{
    if (err == 0 && status == 0)
        return 0;
    d->host_failures++;
    d->last_host_status = err ? err : (int32_t)status;
    /* OpenHCL logs a failed MAP/UNMAP_FRAMEBUFFER and goes on. */
    if (err)
        log_warn("display", "%s: no answer from the host (error %d)", what, err);
    else
        log_warn("display", "%s: the host answered status %u", what, status);
    return err ? err : (int)status;
}

static int fb_host_map(void *ctx, uint64_t gpa)
{
    struct vtl0_display *d = ctx;
    uint32_t status = 0;
    d->host_told_mapped = true;
    d->host_told_gpa = gpa;
    int err = get_map_framebuffer(d->p->get, gpa, &status);
    return host_result(ctx, "MAP_FRAMEBUFFER", err, status);
}

static int fb_host_unmap(void *ctx)
{
    struct vtl0_display *d = ctx;
    uint32_t status = 0;
    d->host_told_mapped = false;
    int err = get_unmap_framebuffer(d->p->get, &status);
    return host_result(ctx, "UNMAP_FRAMEBUFFER", err, status);
}

static void fb_format_changed(void *ctx, const struct fb_format *f)
{
    (void)ctx;
    log_info("display", "format %ux%u, %u bytes per line, offset %u", f->width, f->height,
             f->bytes_per_line, f->offset);
}

/* ---- device ops ---------------------------------------------------------------------------- */

static int dev_map_vram(void *ctx, uint64_t gpa)
{
    struct vtl0_display *d = ctx;
    return framebuffer_map(&d->fb, gpa, NULL);
}

static void dev_unmap_vram(void *ctx)
{
    struct vtl0_display *d = ctx;
    framebuffer_unmap(&d->fb);
}

static void dev_set_format(void *ctx, const struct fb_format *f)
{
    struct vtl0_display *d = ctx;
    framebuffer_set_format(&d->fb, f);
}

static void dev_move_region(void *ctx, enum bochs_region r, bool active, uint64_t gpa)
{
    struct vtl0_display *d = ctx;
    if (r == BOCHS_REGION_MMIO) {
        vtl0_mmio_move(d->p, d->mmio_id, active, gpa);
        log_debug("display", "BAR2 %s 0x%llx", active ? "at" : "off, was", (unsigned long long)gpa);
        return;
    }
    gpa_map_clear_device_window(&d->p->gpa, DISPLAY_ROM_WINDOW);
    if (!active)
        return;
    int err = gpa_map_set_device_rom(&d->p->gpa, DISPLAY_ROM_WINDOW, gpa, d->rom_window_size,
                                     d->rom_phys);
    if (err) {
        d->rom_map_failed++;
        log_warn("display", "expansion ROM not shown at 0x%llx (error %d)",
                 (unsigned long long)gpa, err);
    } else {
        log_info("display", "expansion ROM shown at 0x%llx", (unsigned long long)gpa);
    }
}

/* ---- the partition's seams ----------------------------------------------------------------- */

static uint32_t cfg_read(void *ctx, unsigned offset, unsigned size)
{
    struct vtl0_display *d = ctx;
    return bochs_display_config_read(&d->dev, offset, size);
}

static void cfg_write(void *ctx, unsigned offset, unsigned size, uint32_t value)
{
    struct vtl0_display *d = ctx;
    bochs_display_config_write(&d->dev, offset, size, value);
}

static uint64_t mmio_read(void *ctx, uint64_t offset, unsigned size)
{
    struct vtl0_display *d = ctx;
    return bochs_display_mmio_read(&d->dev, offset, size);
}

static void mmio_write(void *ctx, uint64_t offset, unsigned size, uint64_t value)
{
    struct vtl0_display *d = ctx;
    bochs_display_mmio_write(&d->dev, offset, size, value);
}

static void port_io(void *ctx, uint16_t port, unsigned size, bool is_write, uint32_t *value)
{
    struct vtl0_display *d = ctx;
    bochs_display_port_io(&d->dev, port, size, is_write, value);
}

/* Unit "framebuffer": VTL0's mapping of VRAM and the format. Registered before the
 * device, so a restore maps VRAM before the device's BARs are placed. */
static void fb_unit_reset(void *ctx)
{
    struct vtl0_display *d = ctx;
    framebuffer_unmap(&d->fb);
}

/* A VTL0 power cycle also clears VRAM (SPEC section 7, beyond OpenVMM). */
static void fb_unit_power_cycle(void *ctx)
{
    struct vtl0_display *d = ctx;
    framebuffer_reset(&d->fb);
}

static int fb_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return framebuffer_save_state(&((const struct vtl0_display *)ctx)->fb, buf, cap, len);
}

/* The core's restore assumes the host kept the mapping, as it does across servicing. A
 * live instance knows what it last told the host (a reset in a save/restore pulse told
 * it "unmapped"), so it tells the host again where that differs from the restored state. */
static int fb_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    struct vtl0_display *d = ctx;
    int err = framebuffer_restore_state(&d->fb, buf, len);
    if (err)
        return err;
    const struct framebuffer_state *st = &d->fb.st;
    if (d->host_kept_mapping) {
        /* A new instance after servicing takes the blob's word: the host kept it. */
        d->host_kept_mapping = false;
        d->host_told_mapped = st->mapped;
        d->host_told_gpa = st->gpa;
        return 0;
    }
    if (st->mapped && (!d->host_told_mapped || d->host_told_gpa != st->gpa))
        (void)fb_host_map(d, st->gpa);
    else if (!st->mapped && d->host_told_mapped)
        (void)fb_host_unmap(d);
    return 0;
}

/* Unit "bochs_display": the registers VTL0 programs; BAR2 and the ROM follow them. */
static void dev_unit_reset(void *ctx)
{
    struct vtl0_display *d = ctx;
    bochs_display_reset(&d->dev);      /* reports VRAM unmapped, BAR2 and ROM gone */
}

static int dev_unit_save(const void *ctx, uint8_t *buf, size_t cap, size_t *len)
{
    return bochs_display_save_state(&((const struct vtl0_display *)ctx)->dev, buf, cap, len);
}

static int dev_unit_restore(void *ctx, const uint8_t *buf, size_t len)
{
    return bochs_display_restore_state(&((struct vtl0_display *)ctx)->dev, buf, len);
}

static const struct vtl0_device_ops fb_unit_ops = {
    .reset = fb_unit_reset, .power_cycle = fb_unit_power_cycle,
    .save = fb_unit_save, .restore = fb_unit_restore,
};
static const struct vtl0_device_ops dev_unit_ops = {
    .reset = dev_unit_reset, .save = dev_unit_save, .restore = dev_unit_restore,
};

/* ---- inspect ------------------------------------------------------------------------------- */

static void inspect_format(struct inspect_writer *w, const char *name, const struct fb_format *f)
{
    inspect_begin(w, name);
    inspect_u64(w, "width", f->width);
    inspect_u64(w, "height", f->height);
    inspect_u64(w, "bytes_per_line", f->bytes_per_line);
    inspect_u64(w, "offset", f->offset);
    inspect_end(w);
}

static void inspect_framebuffer(struct inspect_writer *w, const struct framebuffer *fb)
{
    const struct framebuffer_stats *s = &fb->stats;
    uint16_t width, height;
    fb_view_resolution(&fb->view, &width, &height);
    inspect_begin(w, "framebuffer");
    inspect_bool(w, "mapped", fb->st.mapped);
    inspect_hex(w, "gpa", fb->st.mapped ? fb->st.gpa : 0);
    inspect_hex(w, "subrange_start", fb->st.subrange.start);
    inspect_hex(w, "subrange_size", fb->st.subrange.size);
    inspect_format(w, "format", &fb->st.format);
    inspect_bool(w, "format_sent", fb->st.format_sent);
    inspect_begin(w, "view");
    inspect_u64(w, "width", width);
    inspect_u64(w, "height", height);
    inspect_bool(w, "has_format", fb->view.has_format);
    inspect_format(w, "format", &fb->view.format);
    inspect_end(w);
    inspect_begin(w, "counters");
    inspect_u64(w, "maps", s->maps);
    inspect_u64(w, "unmaps", s->unmaps);
    inspect_u64(w, "map_refused", s->map_refused);
    inspect_u64(w, "map_failed", s->map_failed);
    inspect_u64(w, "host_failures", s->host_failures);
    inspect_u64(w, "formats_forwarded", s->formats_forwarded);
    inspect_u64(w, "formats_unchanged", s->formats_unchanged);
    inspect_u64(w, "resets", s->resets);
    inspect_end(w);
    inspect_end(w);
}

static void inspect_device(struct inspect_writer *w, const struct bochs_display *dev)
{
    static const char *const names[DISPI_REG_COUNT] = {
        "id", "xres", "yres", "bpp", "enable", "bank", "virt_width", "virt_height",
        "x_offset", "y_offset",
    };
    const struct bochs_display_state *s = &dev->st;
    const struct bochs_display_stats *c = &dev->stats;
    inspect_begin(w, "device");
    inspect_hex(w, "command", s->command);
    inspect_hex(w, "bar0", s->bar0);
    inspect_hex(w, "bar2", s->bar2);
    inspect_hex(w, "rom_bar", s->rom);
    inspect_hex(w, "rom_bar_size", dev->rom_bar_size);
    inspect_bool(w, "vram_placed", s->vram_placed);
    inspect_hex(w, "vram_gpa", s->vram_gpa);
    inspect_bool(w, "mmio_placed", s->mmio_placed);
    inspect_hex(w, "mmio_gpa", s->mmio_gpa);
    inspect_bool(w, "rom_placed", s->rom_placed);
    inspect_hex(w, "rom_gpa", s->rom_gpa);
    inspect_begin(w, "dispi");
    inspect_hex(w, "index", s->dispi_index);
    for (unsigned i = 0; i < DISPI_REG_COUNT; i++)
        inspect_u64(w, names[i], s->dispi[i]);
    inspect_bool(w, "big_endian", s->big_endian);
    inspect_end(w);
    inspect_begin(w, "counters");
    inspect_u64(w, "dispi_writes", c->dispi_writes);
    inspect_u64(w, "modes_set", c->modes_set);
    inspect_u64(w, "modes_refused", c->modes_refused);
    inspect_u64(w, "vram_moves", c->vram_moves);
    inspect_u64(w, "vram_map_failed", c->vram_map_failed);
    inspect_u64(w, "config_writes_ignored", c->config_writes_ignored);
    inspect_u64(w, "mmio_ignored", c->mmio_ignored);
    inspect_u64(w, "bad_accesses", c->bad_accesses);
    inspect_end(w);
    inspect_end(w);
}

static void inspect_display(struct inspect_writer *w, void *ctx)
{
    struct vtl0_display *d = ctx;
    char bdf[16];
    fmt_bdf(bdf, sizeof(bdf), d->bdf);
    inspect_bool(w, "up", d->up);
    inspect_str(w, "bdf", bdf);
    inspect_hex(w, "view_address", (uint64_t)(uintptr_t)d->view);
    inspect_hex(w, "vram_phys", d->vram_phys);
    inspect_hex(w, "vram_size", d->fb.vram_size);
    inspect_hex(w, "rom_phys", d->rom_phys);
    inspect_u64(w, "rom_size", d->dev.cfg.rom_size);
    inspect_u64(w, "host_failures", d->host_failures);
    inspect_i64(w, "last_host_status", d->last_host_status);
    inspect_u64(w, "rom_map_failed", d->rom_map_failed);
    inspect_u64(w, "screenshots", d->snap.seq);
    inspect_framebuffer(w, &d->fb);
    inspect_device(w, &d->dev);
}

/* ---- setup ----------------------------------------------------------------------------------- */

/* 00:02.0 unless QEMU's bus has a function there (an emulated one would shadow it). */
static int pick_slot(struct partition *p, const struct vtl0_pci_function *proto, uint32_t *bdf)
{
    for (unsigned dev = FIRST_SLOT; dev < 32; dev++) {
        if ((pci_cf8_read32(0, dev, 0, 0) & 0xFFFF) != 0xFFFF)
            continue;
        struct vtl0_pci_function fn = *proto;
        fn.bdf = PCI_BDF(0, dev, 0);
        int err = vtl0_pci_add_function(p, &fn);
        if (err == -EEXIST)
            continue;
        if (err == 0)
            *bdf = fn.bdf;
        return err;
    }
    return -ENOSPC;
}

static const uint8_t *copy_rom(struct vtl0_display *d, const uint8_t *image, size_t size,
                               uint64_t window)
{
    uint64_t pages = window / PAGE_SIZE;
    if (pmm_alloc(d->p->pmm, pages, PAGE_SIZE, &d->rom_phys) != 0) {
        log_error("display", "no VTL2 memory for the VGA BIOS (%llu KiB)",
                  (unsigned long long)(window >> 10));
        return NULL;
    }
    uint8_t *copy = phys_to_virt(d->rom_phys);
    memset(copy, 0, window);
    memcpy(copy, image, size);
    d->rom_window_size = window;
    return copy;
}

int vtl0_display_init(struct vtl0_display *d, struct partition *p, const struct vtl2_layout *vtl2,
                      const uint8_t *vgabios, size_t vgabios_size)
{
    memset(d, 0, sizeof(*d));
    d->p = p;
    d->mmio_id = -1;
    d->fb_unit = (struct vtl0_device){ .name = FRAMEBUFFER_STATE_UNIT, .type_url = FRAMEBUFFER_STATE_TYPE_URL,
                                       .ops = &fb_unit_ops, .ctx = d };
    d->dev_unit = (struct vtl0_device){ .name = BOCHS_DISPLAY_STATE_UNIT,
                                        .type_url = BOCHS_DISPLAY_STATE_TYPE_URL,
                                        .ops = &dev_unit_ops, .ctx = d };
    if (vtl2->vram_size != FB_VRAM_SIZE) {
        log_error("display", "VRAM is %llu bytes, not 8 MiB: no display",
                  (unsigned long long)vtl2->vram_size);
        return -EINVAL;
    }
    d->vram_phys = vtl2->vram_base;
    d->view = phys_to_virt(d->vram_phys);
    /* After servicing VRAM is VTL0's picture, and the host kept the mapping it was told. */
    d->host_kept_mapping = p->restoring;
    if (!p->restoring)
        memset(d->view, 0, FB_VRAM_SIZE);

    const struct framebuffer_ops fb_ops = { fb_map, fb_unmap, fb_host_map, fb_host_unmap,
                                            fb_format_changed, d };
    int err = framebuffer_init(&d->fb, d->view, FB_VRAM_SIZE, &fb_ops);
    if (err)
        return err;

    const uint8_t *rom = NULL;
    if (vgabios != NULL && vgabios_size >= 3 && vgabios_size <= VGABIOS_MAX &&
        (vgabios[0] | vgabios[1] << 8) == ROM_SIGNATURE) {
        /* The ROM BAR's size as the device rounds it, in whole pages for the NPT. */
        uint64_t window = PAGE_SIZE;
        while (window < vgabios_size)
            window <<= 1;
        rom = copy_rom(d, vgabios, vgabios_size, window);
    } else if (vgabios != NULL) {
        log_error("display", "module 'vgabios' (%zu bytes) is not an option ROM: no ROM BAR",
                  vgabios_size);
    }
    const struct bochs_display_config cfg = {
        .vram_size = FB_VRAM_SIZE, .rom = rom, .rom_size = rom ? (uint32_t)vgabios_size : 0,
        .edid_width = EDID_WIDTH, .edid_height = EDID_HEIGHT,
    };
    const struct bochs_display_ops dev_ops = { dev_map_vram, dev_unmap_vram, dev_set_format,
                                               dev_move_region, d };
    err = bochs_display_init(&d->dev, &cfg, &dev_ops);
    if (err)
        return err;

    const struct vtl0_pci_function fn = { 0, cfg_read, cfg_write, d };
    err = pick_slot(p, &fn, &d->bdf);
    if (err) {
        log_error("display", "no PCI slot on bus 0 (error %d): no display", err);
        return err;
    }
    const struct vtl0_mmio_device mmio = { false, 0, BOCHS_MMIO_SIZE, mmio_read, mmio_write, d };
    d->mmio_id = vtl0_mmio_add(p, &mmio);
    const struct vtl0_port_device ports = { BOCHS_PORT_FIRST, BOCHS_PORT_COUNT, port_io, d };
    err = d->mmio_id < 0 ? d->mmio_id : vtl0_port_add(p, &ports);
    if (!err)
        err = vtl0_add_device(p, &d->fb_unit);
    if (!err)
        err = vtl0_add_device(p, &d->dev_unit);
    if (!err)
        err = inspect_register("display", inspect_display, d);
    if (err) {
        log_error("display", "cannot register the display's seams (error %d)", err);
        return err;
    }
    uint64_t snap_phys;
    if (pmm_alloc(p->pmm, SNAPSHOT_BYTES / PAGE_SIZE, PAGE_SIZE, &snap_phys) == 0)
        screenshot_snap_init(&d->snap, phys_to_virt(snap_phys), SNAPSHOT_BYTES);
    else
        log_warn("display", "no memory for screenshot snapshots: screenshots are read live");
    d->up = true;
    char bdf[16];
    fmt_bdf(bdf, sizeof(bdf), d->bdf);
    log_info("display", "bochs-display %04x:%04x at %s; VRAM %u KiB at phys 0x%llx, fixed "
             "VTL2 view at 0x%llx", BOCHS_VENDOR_ID, BOCHS_DEVICE_ID, bdf, FB_VRAM_SIZE >> 10,
             (unsigned long long)d->vram_phys, (unsigned long long)(uintptr_t)d->view);
    if (rom)
        log_info("display", "expansion ROM: VGA BIOS of %zu bytes (ROM BAR %u KiB)",
                 vgabios_size, d->dev.rom_bar_size >> 10);
    return 0;
}

int vtl0_display_screenshot(void *ctx, const uint8_t *args, size_t args_len, uint8_t *out,
                            size_t cap)
{
    struct vtl0_display *d = ctx;
    if (!d->up)
        return -ENODEV;
    return screenshot_request(&d->snap, &d->fb.view, (uint32_t)d->fb.stats.formats_forwarded,
                              args, args_len, out, cap, d->screenshot_line, sizeof(d->screenshot_line));
}
