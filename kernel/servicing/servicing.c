/* Save/restore over the device registry; see servicing.h. */
#include "kernel/servicing/servicing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"

static void inspect_servicing(struct inspect_writer *w, void *ctx)
{
    const struct servicing *s = ctx;
    inspect_u64(w, "pulses", s->pulses);
    inspect_u64(w, "pulse_failures", s->pulse_failures);
    inspect_u64(w, "pulses_unequal", s->pulses_unequal);
    inspect_u64(w, "saved_state_len", s->last_saved_state_len);
    inspect_u64(w, "last_pulse_us", s->last_pulse_us);
    inspect_i64(w, "last_error", s->last_error.err);
    inspect_str(w, "last_error_what", s->last_error.what ? s->last_error.what : "");
    inspect_str(w, "last_error_unit", s->last_error.unit);
}

void servicing_init(struct servicing *s, struct partition *p)
{
    memset(s, 0, sizeof(*s));
    s->p = p;
    int err = inspect_register("servicing", inspect_servicing, s);
    if (err)
        log_warn("servicing", "inspect node not registered (%d)", err);
}

/* The registry's devices as envelope units, in registration (dependency) order. */
static size_t collect_units(struct servicing *s)
{
    const struct vtl0_device_registry *r = &s->p->devices;
    for (unsigned i = 0; i < r->count; i++) {
        const struct vtl0_device *d = r->devices[i];
        s->units[i] = (struct state_unit){ .name = d->name, .type_url = d->type_url,
                                           .save = d->ops->save, .restore = d->ops->restore,
                                           .dev = d->ctx };
    }
    return r->count;
}

static void note_error(struct servicing *s, const char *op, const struct state_error *e)
{
    s->last_error = *e;
    log_error("servicing", "%s failed: %s%s%s (error %d)", op, e->what ? e->what : "?",
              e->unit[0] ? ", unit " : "", e->unit, e->err);
}

int servicing_save(struct servicing *s, uint8_t *buf, size_t cap, size_t *len,
                   struct state_error *error)
{
    memset(error, 0, sizeof(*error));
    if (!vtl0_devices_quiescent(&s->p->devices)) {
        error->err = -EBUSY;
        error->what = "VTL0 is running";
        return -EBUSY;
    }
    size_t count = collect_units(s);
    return state_save(s->units, count, buf, cap, len, error);
}

int servicing_pulse(struct servicing *s, char *out, size_t cap)
{
    struct partition *p = s->p;
    struct state_error error;
    size_t before_len = 0, after_len = 0;
    uint64_t start = log_uptime_us();

    int err = partition_pause(p);
    if (err)
        return err;
    err = servicing_save(s, s->before, sizeof(s->before), &before_len, &error);
    if (err) {
        note_error(s, "save", &error);
    } else {
        vtl0_devices_reset(&p->devices);
        err = state_restore(s->units, collect_units(s), s->before, before_len, &error);
        if (err)
            note_error(s, "restore", &error);
        else if ((err = servicing_save(s, s->after, sizeof(s->after), &after_len, &error)) != 0)
            note_error(s, "save after restore", &error);
    }
    (void)partition_resume(p);

    s->pulses++;
    if (err) {
        s->pulse_failures++;
        return err;
    }
    bool equal = before_len == after_len && memcmp(s->before, s->after, before_len) == 0;
    if (!equal) {
        s->pulses_unequal++;
        log_error("servicing", "pulse: the state after restore differs from the state saved");
    }
    s->last_saved_state_len = before_len;
    s->last_pulse_us = log_uptime_us() - start;
    log_info("servicing", "pulse: %zu units, saved_state_len %zu, %s, %llu us",
             (size_t)p->devices.count, before_len, equal ? "equal" : "DIFFERENT",
             (unsigned long long)s->last_pulse_us);
    int n = snprintf(out, cap, "{\"saved_state_len\":%zu,\"units\":%u,\"equal\":%s,\"time_us\":%llu}",
                     before_len, p->devices.count, equal ? "true" : "false",
                     (unsigned long long)s->last_pulse_us);
    return n < 0 || (size_t)n >= cap ? -ENOSPC : 0;
}

int servicing_command(void *ctx, char words[][64], int n, char *body, size_t cap)
{
    struct servicing *s = ctx;
    if (n == 1 && strcmp(words[0], "pulse") == 0)
        return servicing_pulse(s, body, cap);
    return -EINVAL;
}
