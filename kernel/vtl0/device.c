/* The device registry and its lifecycle; see device.h. */
#include "kernel/vtl0/device.h"

#include <errno.h>
#include <string.h>

#include "kernel/core/inspect.h"

void vtl0_device_registry_init(struct vtl0_device_registry *r)
{
    memset(r, 0, sizeof(*r));
    r->state = VTL0_DEVICE_NEW;
}

static bool name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0')
        return false;
    size_t len = strnlen(name, VTL0_DEVICE_NAME_MAX);
    return len < VTL0_DEVICE_NAME_MAX;
}

struct vtl0_device *vtl0_device_find(struct vtl0_device_registry *r, const char *name)
{
    for (unsigned i = 0; i < r->count; i++) {
        if (strcmp(r->devices[i]->name, name) == 0)
            return r->devices[i];
    }
    return NULL;
}

int vtl0_device_register(struct vtl0_device_registry *r, struct vtl0_device *dev)
{
    if (!name_ok(dev->name) || dev->type_url == NULL || dev->ops == NULL ||
        dev->ops->reset == NULL || dev->ops->save == NULL || dev->ops->restore == NULL)
        return -EINVAL;
    if (r->state != VTL0_DEVICE_NEW)
        return -EBUSY;
    if (vtl0_device_find(r, dev->name) != NULL)
        return -EEXIST;
    if (r->count == VTL0_MAX_DEVICES)
        return -ENOSPC;
    dev->state = VTL0_DEVICE_NEW;
    dev->resets = 0;
    r->devices[r->count++] = dev;
    return 0;
}

static void set_state(struct vtl0_device_registry *r, enum vtl0_device_state state)
{
    r->state = state;
    for (unsigned i = 0; i < r->count; i++)
        r->devices[i]->state = state;
}

int vtl0_devices_start(struct vtl0_device_registry *r)
{
    if (r->state == VTL0_DEVICE_ACTIVE)
        return -EALREADY;
    set_state(r, VTL0_DEVICE_ACTIVE);
    return 0;
}

int vtl0_devices_stop(struct vtl0_device_registry *r)
{
    if (r->state != VTL0_DEVICE_ACTIVE)
        return -EALREADY;
    set_state(r, VTL0_DEVICE_ASLEEP);
    return 0;
}

void vtl0_devices_reset(struct vtl0_device_registry *r)
{
    for (unsigned i = 0; i < r->count; i++) {
        struct vtl0_device *d = r->devices[i];
        d->ops->reset(d->ctx);
        d->resets++;
    }
}

void vtl0_devices_power_cycle(struct vtl0_device_registry *r)
{
    vtl0_devices_reset(r);
    for (unsigned i = 0; i < r->count; i++) {
        struct vtl0_device *d = r->devices[i];
        if (d->ops->power_cycle)
            d->ops->power_cycle(d->ctx);
    }
}

bool vtl0_devices_quiescent(const struct vtl0_device_registry *r)
{
    return r->state != VTL0_DEVICE_ACTIVE;
}

const char *vtl0_device_state_name(enum vtl0_device_state state)
{
    switch (state) {
    case VTL0_DEVICE_NEW:
        return "new";
    case VTL0_DEVICE_ACTIVE:
        return "active";
    case VTL0_DEVICE_ASLEEP:
        return "asleep";
    }
    return "?";
}

void vtl0_devices_inspect(struct inspect_writer *w, void *ctx)
{
    struct vtl0_device_registry *r = ctx;
    inspect_str(w, "state", vtl0_device_state_name(r->state));
    for (unsigned i = 0; i < r->count; i++) {
        struct vtl0_device *d = r->devices[i];
        inspect_begin(w, d->name);
        inspect_str(w, "state", vtl0_device_state_name(d->state));
        inspect_str(w, "type_url", d->type_url);
        inspect_u64(w, "resets", d->resets);
        if (d->ops->inspect)
            d->ops->inspect(w, d->ctx);
        inspect_end(w);
    }
}
