/*
 * VTL0's emulated devices beyond the chipset basics (the display, ...): created once,
 * after partition_init and before partition_run, through the partition's device seams
 * (kernel/vtl0/partition.h) and registered in its device registry (device.h).
 */
#ifndef MEZZ_KERNEL_VTL0_DEVICES_H
#define MEZZ_KERNEL_VTL0_DEVICES_H

#include "kernel/vtl0/emuplat/bridge.h"
#include "kernel/vtl0/emuplat/display.h"
#include "kernel/vtl0/partition.h"
#include "mm/memmap.h"

/* The devices' storage, owned by the composition root (kernel/main.c). */
struct vtl0_extra_devices {
    struct vtl0_bridge bridge;
    struct vtl0_display display;
    bool display_up;
};

struct vtl0_devices_config {
    enum pam_backend pam_backend;
    uint16_t bridge_device_id;       /* I440BX_DEVICE_ID (SPEC) or I440FX_DEVICE_ID */
};

/* Creates the i440BX host bridge at 00:00.0 and the display, in the partition's device
 * registry. Returns 0 or the first error (logged); a device that fails is absent for
 * VTL0 (the bridge cannot fail). */
int vtl0_devices_init(struct vtl0_extra_devices *devs, struct partition *p,
                      const struct vtl2_layout *vtl2, const struct vtl0_devices_config *cfg);

#endif
