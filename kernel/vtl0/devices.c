/* Creates VTL0's emulated devices; see devices.h. Each device adds one call. */
#include "kernel/vtl0/devices.h"

#include "kernel/boot/boot_info.h"
#include "kernel/boot/boot_params.h"
#include "mm/vtl2_space.h"

int vtl0_devices_init(struct vtl0_extra_devices *devs, struct partition *p,
                      const struct vtl2_layout *vtl2, const struct vtl0_devices_config *cfg)
{
    vtl0_bridge_init(&devs->bridge, p, cfg->pam_backend,
                     cfg->bridge_device_id ? cfg->bridge_device_id : I440BX_DEVICE_ID);
    p->bridge = &devs->bridge;

    /* The display, with the VGA BIOS module (if given) behind its expansion ROM BAR. */
    const struct boot_module *vgabios = boot_find_module("vgabios");
    int err = vtl0_display_init(&devs->display, p, vtl2,
                                vgabios ? phys_to_virt(vgabios->phys_base) : NULL,
                                vgabios ? vgabios->size : 0);
    devs->display_up = err == 0;
    return err;
}
