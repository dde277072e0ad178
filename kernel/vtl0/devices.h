/*
 * VTL0's emulated devices beyond the chipset basics (the display, ...): created once,
 * after partition_init and before partition_run, through the partition's device seams
 * (kernel/vtl0/partition.h).
 */
#ifndef MEZZ_KERNEL_VTL0_DEVICES_H
#define MEZZ_KERNEL_VTL0_DEVICES_H

#include "kernel/vtl0/partition.h"
#include "mm/memmap.h"

/* Returns 0 or the first error (logged); a device that fails is absent for VTL0. */
int vtl0_devices_init(struct partition *p, const struct vtl2_layout *vtl2);

#endif
