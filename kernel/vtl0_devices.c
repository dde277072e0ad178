/* Creates VTL0's emulated devices; see vtl0_devices.h. Each device adds one call. */
#include "kernel/vtl0_devices.h"

int vtl0_devices_init(struct partition *p, const struct vtl2_layout *vtl2)
{
    (void)p;
    (void)vtl2;
    return 0;
}
