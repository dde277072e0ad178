/*
 * One lifecycle for every device VTL0 sees (SPEC section 2): the i440BX bridge with its
 * PAM backend, the PCI proxy, the CMOS and fw_cfg views, the legacy ports, the display,
 * the test device, and the partition's own CPU state (unit "partition").
 *
 * The states are crosvm's VirtioDevice lifecycle, the operations OpenVMM's
 * ChangeDeviceState + SaveRestore:
 *
 *     new ──start──▶ active ──stop──▶ asleep ──start──▶ active
 *                                      │  ▲
 *                                 save │  │ restore
 *                                      ▼  │
 *                                     saved state (one unit per device)
 *
 * reset is allowed in every state and keeps it. Save and restore need VTL0 stopped at an
 * instruction boundary (new or asleep): a device VTL0 can still reach has no stable
 * state. Devices have no threads of their own, so start and stop are the partition's
 * bookkeeping: the registry refuses what the state does not allow.
 *
 * Each device struct keeps three parts apart: static config, runtime glue (never saved),
 * plain state (the only part saved). A device's ports, MMIO ranges and PCI functions are
 * registered on the partition's buses (partition.h) by its init, with its ctx.
 */
#ifndef MEZZ_KERNEL_VTL0_DEVICE_H
#define MEZZ_KERNEL_VTL0_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct inspect_writer;

#define VTL0_MAX_DEVICES   12
#define VTL0_DEVICE_NAME_MAX 48   /* saved-state unit names, with their terminator */

enum vtl0_device_state {
    VTL0_DEVICE_NEW = 0,     /* registered, VTL0 has not run */
    VTL0_DEVICE_ACTIVE,      /* VTL0 runs and may reach it */
    VTL0_DEVICE_ASLEEP,      /* VTL0 stopped at an instruction boundary */
};

struct vtl0_device_ops {
    /* Back to the power-on state of the device model (VTL0 reset, or before a restore in
     * a save/restore pulse). Never fails. */
    void (*reset)(void *ctx);
    /* Optional: what a VTL0 power cycle does beyond the model, after every reset: clear
     * memory the device owns, reset the real hardware behind it. A save/restore pulse
     * does not run it (VTL0's memory and hardware are not the device's state). */
    void (*power_cycle)(void *ctx);
    /* The plain state as the unit's protobuf message (kernel/servicing/proto/): returns
     * 0 with *len set, -ENOSPC if cap is too small, or another negative errno. */
    int (*save)(const void *ctx, uint8_t *buf, size_t cap, size_t *len);
    /* Copies, validates, then applies a message save produced (this version or an older
     * one). On any error the device is exactly as it was. */
    int (*restore)(void *ctx, const uint8_t *buf, size_t len);
    /* Fields of the device's inspect node (may be NULL). */
    void (*inspect)(struct inspect_writer *w, void *ctx);
};

struct vtl0_device {
    const char *name;                     /* the saved-state unit name, unique */
    const char *type_url;                 /* its schema: type.googleapis.com/<message> */
    const struct vtl0_device_ops *ops;
    void *ctx;
    enum vtl0_device_state state;         /* kept by the registry */
    uint64_t resets;                      /* counter for inspect */
};

struct vtl0_device_registry {
    struct vtl0_device *devices[VTL0_MAX_DEVICES];
    unsigned count;
    enum vtl0_device_state state;         /* all devices move together */
};

void vtl0_device_registry_init(struct vtl0_device_registry *r);

/* Adds dev (state new). -EINVAL for a device without a name, type URL, reset, save or
 * restore, -EEXIST for a name already there, -ENOSPC when full, -EBUSY once VTL0 ran.
 * Registration order is dependency order: restore follows it. */
int vtl0_device_register(struct vtl0_device_registry *r, struct vtl0_device *dev);

struct vtl0_device *vtl0_device_find(struct vtl0_device_registry *r, const char *name);

/* Lifecycle of all devices together, in registration order. start and stop return
 * -EALREADY if nothing changes. */
int vtl0_devices_start(struct vtl0_device_registry *r);
int vtl0_devices_stop(struct vtl0_device_registry *r);
void vtl0_devices_reset(struct vtl0_device_registry *r);
/* A VTL0 power cycle: every reset, then every power_cycle, in registration order. */
void vtl0_devices_power_cycle(struct vtl0_device_registry *r);

/* True while VTL0 is stopped at an instruction boundary (or never ran): the only time
 * the devices' state may be saved or restored (kernel/servicing). */
bool vtl0_devices_quiescent(const struct vtl0_device_registry *r);

const char *vtl0_device_state_name(enum vtl0_device_state state);

/* inspect "devices": each device's state, counters and own fields. */
void vtl0_devices_inspect(struct inspect_writer *w, void *ctx);

#endif
