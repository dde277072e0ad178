/*
 * VTL0's display (SPEC section 7, docs/framebuffer.md): the framebuffer core over the
 * VRAM part of the VTL2 region, the Bochs-compatible PCI function VTL0 programs, and the
 * kernel glue between them, the GPA map and the GET.
 */
#ifndef MEZZ_KERNEL_VTL0_DISPLAY_H
#define MEZZ_KERNEL_VTL0_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/display/bochs_display.h"
#include "drivers/vdev/display/framebuffer.h"
#include "kernel/host/screenshot.h"
#include "kernel/vtl0/device.h"
#include "kernel/vtl0/partition.h"
#include "mm/memmap.h"

/* Device-window ids in the GPA map (mm/gpa_map.h). */
#define DISPLAY_VRAM_WINDOW 0
#define DISPLAY_ROM_WINDOW  1

struct vtl0_display {
    /* static config */
    struct partition *p;
    uint32_t bdf;
    uint64_t vram_phys;
    uint8_t *view;                  /* the fixed VTL2 view: phys_to_virt(vram_phys) */
    uint64_t rom_phys;              /* VTL2 copy of the VGA BIOS, shown at the ROM BAR */
    uint64_t rom_window_size;       /* the ROM BAR's size, whole pages */
    int mmio_id;
    /* runtime glue */
    struct framebuffer fb;
    struct bochs_display dev;
    struct screenshot_snap snap;
    uint8_t screenshot_line[4 * SCREENSHOT_MAX_WIDTH];
    uint64_t host_failures, rom_map_failed;
    int32_t last_host_status;
    bool host_told_mapped;          /* what the host last heard: MAP_FRAMEBUFFER at ... */
    uint64_t host_told_gpa;         /* ... this GPA, or UNMAP_FRAMEBUFFER */
    bool host_kept_mapping;         /* built for a servicing restore: the blob says it */
    bool up;
    struct vtl0_device fb_unit;     /* "framebuffer" in the device registry */
    struct vtl0_device dev_unit;    /* "bochs_display" */
};

/*
 * Creates the display in d: clears VRAM, makes the fixed VTL2 view of it (logged and shown in
 * inspect "display"), picks a free slot on bus 0 (00:02.0 unless QEMU has a device there),
 * and registers the PCI function, BAR2's MMIO block, the DISPI ports and the reset hook.
 * vgabios (may be NULL) is the expansion ROM image; it is copied into VTL2 memory.
 * Returns 0 or a negative errno (logged; VTL0 then has no display).
 */
int vtl0_display_init(struct vtl0_display *d, struct partition *p, const struct vtl2_layout *vtl2,
                      const uint8_t *vgabios, size_t vgabios_size);

/* One diag screenshot request (kernel/host/screenshot.h) on the display ctx: args in,
 * response body out. Returns the body length or a negative errno (-ENODEV without a
 * display). A diag_screenshot_fn (kernel/host/diag.h). */
int vtl0_display_screenshot(void *ctx, const uint8_t *args, size_t args_len, uint8_t *out,
                            size_t cap);

#endif
