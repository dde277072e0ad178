/*
 * VTL0's display (SPEC section 7, docs/framebuffer.md): the framebuffer core over the
 * VRAM part of the VTL2 region, the Bochs-compatible PCI function VTL0 programs, and the
 * kernel glue between them, the GPA map and the GET.
 */
#ifndef MEZZ_KERNEL_VTL0_DISPLAY_H
#define MEZZ_KERNEL_VTL0_DISPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/display/framebuffer.h"
#include "kernel/vtl0/partition.h"
#include "mm/memmap.h"

/* Device-window ids in the GPA map (mm/gpa_map.h). */
#define DISPLAY_VRAM_WINDOW 0
#define DISPLAY_ROM_WINDOW  1

/*
 * Creates the display: clears VRAM, makes the fixed VTL2 view of it (logged and shown in
 * inspect "display"), picks a free slot on bus 0 (00:02.0 unless QEMU has a device there),
 * and registers the PCI function, BAR2's MMIO block, the DISPI ports and the reset hook.
 * vgabios (may be NULL) is the expansion ROM image; it is copied into VTL2 memory.
 * Returns 0 or a negative errno (logged; VTL0 then has no display).
 */
int vtl0_display_init(struct partition *p, const struct vtl2_layout *vtl2,
                      const uint8_t *vgabios, size_t vgabios_size);

/* One diag screenshot request (kernel/host/screenshot.h): args in, response body out.
 * Returns the body length or a negative errno (-ENODEV without a display). */
int vtl0_display_screenshot(const uint8_t *args, size_t args_len, uint8_t *out, size_t cap);

#endif
