/* Save/restore over the device registry; see servicing.h. */
#include "kernel/servicing/servicing.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "get/protocol.h"
#include "kernel/core/ambient.h"
#include "kernel/core/inspect.h"
#include "kernel/host/diag.h"
#include "kernel/host/get_instance.h"
#include "kernel/lib/crc32c.h"
#include "kernel/lib/log.h"
#include "kernel/version.h"
#include "mm/vtl2_space.h"

static const char *rollback_reason_name(uint32_t reason)
{
    switch (reason) {
    case SERVICING_ROLLBACK_RESTORE_FAILED: return "restore-failed";
    case SERVICING_ROLLBACK_RESTORE_STUCK: return "restore-stuck";
    case SERVICING_ROLLBACK_NO_HOST: return "no-host";
    default: return "unknown";
    }
}

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
    inspect_str(w, "version", MEZZ_VERSION);
    inspect_str(w, "build_id", MEZZ_GITREV);
    inspect_u64(w, "slot", s->handoff.cfg.running_slot);
    inspect_u64(w, "generation", s->handoff.cfg.generation);
    inspect_u64(w, "services", s->services);
    inspect_u64(w, "service_failures", s->service_failures);
    inspect_str(w, "last_service_error", s->last_service_error ? s->last_service_error : "");
    inspect_bool(w, "restored", s->restored);
    inspect_i64(w, "restore_error", s->restore_error);
    inspect_u64(w, "blackout_time_us", s->blackout_time_us);
    inspect_u64(w, "restore_us", s->restore_us);
    inspect_str(w, "restored_from_version", s->restored ? s->restored_from.old_version : "");
    inspect_str(w, "restored_from_build_id", s->restored ? s->restored_from.old_build_id : "");
    inspect_bool(w, "rolled_back", s->rolled_back);
    inspect_str(w, "rollback_reason", s->rolled_back ? rollback_reason_name(s->restored_from.rollback_reason) : "");
    inspect_i64(w, "rolled_back_error", s->rolled_back ? s->restored_from.rollback_error : 0);
    inspect_bool(w, "can_roll_back", s->previous_image != NULL);
}

void servicing_init(struct servicing *s, struct partition *p, const struct handoff_config *handoff)
{
    memset(s, 0, sizeof(*s));
    s->p = p;
    handoff_init(&s->handoff, handoff);
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

/* ---- live servicing ------------------------------------------------------------------ */

void servicing_carry_module(struct servicing *s, const char *name, const void *data, size_t size)
{
    if (s->module_count < HANDOFF_MAX_MODULES - 3 && data != NULL && size != 0)
        s->modules[s->module_count++] = (struct handoff_module){ name, data, size };
}

static unsigned carry_base_modules(const struct servicing *s, struct handoff_module *out)
{
    for (unsigned i = 0; i < s->module_count; i++)
        out[i] = s->modules[i];
    return s->module_count;
}

static void copy_padded(char *dst, size_t cap, const char *src)
{
    size_t i = 0;
    for (; i + 1 < cap && src[i] != '\0'; i++)
        dst[i] = src[i];
    for (; i < cap; i++)
        dst[i] = '\0';
}

/* The host channels' rings go to the next instance as they stand (no more traffic from
 * here on): it takes them over without offering new ones over the UARTs. */
static void carry_rings(struct servicing *s, struct servicing_persisted *pp)
{
    const struct host_channels *h = s->p->host;
    struct servicing_rings r = { .magic = SERVICING_RINGS_MAGIC };
    if (h->get != NULL && host_ring_export(&h->get->ring, &h->get->ring_cfg, &r.get))
        r.channels |= SERVICING_RINGS_GET;
    if (h->diag != NULL && host_ring_export(&h->diag->ring, &h->diag->ring_cfg, &r.diag))
        r.channels |= SERVICING_RINGS_DIAG;
    pp->flags &= ~SERVICING_PERSISTED_RINGS;
    if (r.channels == 0)
        return;
    memcpy(phys_to_virt(s->handoff.cfg.vtl2->persisted_base + SERVICING_RINGS_OFF), &r, sizeof(r));
    pp->flags |= SERVICING_PERSISTED_RINGS;
}

/* QEMU's fw_cfg directory for the new instance (docs/servicing.md, "The persisted
 * part"), written while VTL0 still runs; the new instance then reads nothing from the
 * device. A rollback instance finds it there too. */
_Static_assert(SERVICING_FWCFG_OFF + sizeof(struct fwcfg_carry) <= SERVICING_MODULES_OFF,
               "the fw_cfg record ends before the carried modules");
static void carry_fwcfg(struct servicing *s)
{
    fwcfg_view_carry(&s->p->fwcfg,
                     phys_to_virt(s->handoff.cfg.vtl2->persisted_base + SERVICING_FWCFG_OFF));
}

/* Servicing did not happen and VTL0 runs on here. The host is told: before the blob went
 * out, with a SAVE FAILURE (as OpenHCL); after, with RESTORE_COMPLETED(failure) from this,
 * the old, instance and START_VTL0_COMPLETED (it runs VTL0 again). */
static void service_failed(struct servicing *s, const char *why, bool blob_sent)
{
    if (blob_sent) {
        get_notify_restore_completed(s->p->get, false);
        get_notify_start_vtl0_completed(s->p->get);
    } else {
        get_send_save_failure(s->p->get);
    }
    s->service_failures++;
    s->last_service_error = why;
    log_error("servicing", "servicing refused, VTL0 runs on in this instance: %s", why);
}

void servicing_save_request(void *ctx, const void *note_bytes, size_t len)
{
    struct servicing *s = ctx;
    struct partition *p = s->p;
    struct get_save_state_notification note;
    struct state_error error;
    size_t blob_len = 0;

    s->services++;
    if (len < sizeof(note)) {
        service_failed(s, "short SAVE_GUEST_VTL2_STATE notification", false);
        return;
    }
    memcpy(&note, note_bytes, sizeof(note));
    /* OpenHCL: a hint of 65535 s or more means none, and becomes 200 s. */
    uint64_t timeout_us = (note.timeout_hint_secs == 0xFFFF ? 200u : note.timeout_hint_secs) * 1000000ull;
    log_info("servicing", "SAVE requested: timeout hint %u s, capabilities 0x%llx",
             note.timeout_hint_secs, (unsigned long long)note.capabilities_flags);
    if (s->keep_images != NULL)
        s->keep_images(s);   /* the handoff below writes the persisted part */
    /* The staged image first: a refused image costs VTL0 no blackout at all. */
    if (handoff_check_staged(&s->handoff) != 0) {
        service_failed(s, s->handoff.why, false);
        return;
    }
    /* And loaded into the other slot with the modules that do not change, while VTL0
     * still runs: only the save, the blob and the jump are left for the blackout. The
     * new instance gets its own image and this one's (to roll back to). */
    struct handoff_module modules[HANDOFF_MAX_MODULES];
    unsigned n = carry_base_modules(s, modules);
    modules[n++] = (struct handoff_module){ "igvm", s->handoff.image, s->handoff.image_len };
    if (s->own_image != NULL)
        modules[n++] = (struct handoff_module){ "igvm-previous", s->own_image, s->own_image_len };
    if (handoff_prepare(&s->handoff, log_tsc_hz(), modules, n, sizeof(s->before)) != 0) {
        service_failed(s, s->handoff.why, false);
        return;
    }
    carry_fwcfg(s);
    uint64_t stop_tsc = rdtsc();
    int err = partition_pause(p);
    if (err) {
        service_failed(s, "VTL0 did not stop", false);
        return;
    }
    err = servicing_save(s, s->before, sizeof(s->before), &blob_len, &error);
    if (!err && s->test_save_fail) {
        /* OpenHCL's SERVICING_SAVE_FAIL: fail after VTL0 stopped and the units saved. */
        err = -EIO;
        error = (struct state_error){ .err = -EIO, .what = "test hook mezz.servicing_test=save-fail" };
    }
    if (err) {
        note_error(s, "save", &error);
        (void)partition_resume(p);
        service_failed(s, "save failed", false);
        return;
    }
    uint64_t saved_tsc = rdtsc();
    err = get_save_state(p->get, s->before, blob_len, timeout_us);
    if (err) {
        (void)partition_resume(p);
        service_failed(s, "the host did not take the saved state", false);
        return;
    }
    struct servicing_persisted pp = {
        .magic = SERVICING_PERSISTED_MAGIC, .version = SERVICING_PERSISTED_VERSION,
        .size = sizeof(pp), .tsc_hz = log_tsc_hz(), .stop_tsc = stop_tsc,
        .boot_tsc = kernel_ambient.log.boot_tsc,
        .old_slot = s->handoff.cfg.running_slot, .new_slot = s->handoff.cfg.running_slot ^ 1u,
        .saved_state_len = blob_len, .generation = s->handoff.cfg.generation + 1,
        .capabilities_flags = note.capabilities_flags,
        .saved_state_crc = crc32c(0, s->before, blob_len),
        .restore_budget_ms = restore_budget_ms(note.timeout_hint_secs),
    };
    copy_padded(pp.old_version, sizeof(pp.old_version), MEZZ_VERSION);
    copy_padded(pp.old_build_id, sizeof(pp.old_build_id), MEZZ_GITREV);
    /* Debug: VTL0 is stopped and a console line costs two port exits a byte. */
    log_debug("servicing", "saved %zu bytes in %llu us, sent in %llu us; handing off",
             blob_len, (unsigned long long)tsc_delta_to_us(saved_tsc - stop_tsc, log_tsc_hz()),
             (unsigned long long)tsc_delta_to_us(rdtsc() - saved_tsc, log_tsc_hz()));
    carry_rings(s, &pp);
    pp.handoff_tsc = rdtsc();
    /* The blob too: a rollback restores from it (the host gives it out once). */
    const struct handoff_module blob = { "blob", s->before, blob_len };
    err = handoff_enter_prepared(&s->handoff, &pp, &blob, 1);
    /* Not entered: nothing of this instance was touched; VTL0 goes on here. */
    (void)partition_resume(p);
    service_failed(s, s->handoff.why ? s->handoff.why : "handoff failed", true);
    (void)err;
}

/*
 * Beyond OpenHCL: the new image failed its restore. VTL0 has not run, its memory is as the
 * old instance left it; enter the previous image again (into the other slot, which is
 * where it ran) with the blob, and it restores from that. Touches neither the GET nor the
 * heap (the restore watchdog calls it with the restore cut off anywhere): the host hears
 * of the failure from the caller, or, with reported false, from the rollback instance.
 * Returns only if the way back is shut.
 */
static void enter_previous(struct servicing *s, const struct servicing_persisted *pp,
                           uint32_t reason, int error, bool reported)
{
    /* The old instance's own copy of the blob, not the host's: the host's may be what
     * failed. */
    if (s->carried_blob == NULL || s->carried_blob_len == 0) {
        log_error("servicing", "no blob carried: cannot roll back");
        return;
    }
    if (s->keep_images != NULL)
        s->keep_images(s);   /* the handoff below writes the persisted part */
    if (handoff_check_image(&s->handoff, s->previous_image, s->previous_image_len) != 0)
        return;
    struct servicing_persisted r = *pp;
    r.flags |= SERVICING_PERSISTED_ROLLBACK | (reported ? 0 : SERVICING_PERSISTED_UNREPORTED);
    r.size = sizeof(r);
    r.old_slot = s->handoff.cfg.running_slot;
    r.new_slot = r.old_slot ^ 1u;
    r.generation = pp->generation + 1;
    r.saved_state_len = s->carried_blob_len;
    r.saved_state_crc = crc32c(0, s->carried_blob, s->carried_blob_len);
    r.rollback_reason = reason;
    r.rollback_error = error;
    copy_padded(r.old_version, sizeof(r.old_version), MEZZ_VERSION);
    copy_padded(r.old_build_id, sizeof(r.old_build_id), MEZZ_GITREV);
    struct handoff_module modules[HANDOFF_MAX_MODULES];
    unsigned n = carry_base_modules(s, modules);
    modules[n++] = (struct handoff_module){ "igvm", s->previous_image, s->previous_image_len };
    modules[n++] = (struct handoff_module){ "blob", s->carried_blob, s->carried_blob_len };
    /* Rings are carried only from a restore that ended cleanly: one the watchdog cut off
     * (or whose GET is down) may have stopped between copying a packet and moving its
     * index, so the rollback instance offers new rings instead. */
    if (reported)
        carry_rings(s, &r);
    else
        r.flags &= ~SERVICING_PERSISTED_RINGS;
    (void)handoff_enter(&s->handoff, &r, modules, n);
    log_error("servicing", "rollback handoff failed: %s", s->handoff.why ? s->handoff.why : "?");
}

void servicing_restore_ahead(struct servicing *s, struct get_instance *get,
                             const struct servicing_persisted *pp)
{
    if ((pp->flags & SERVICING_PERSISTED_ROLLBACK) || !get->dps_valid || !get->dps.is_servicing_scenario)
        return;
    s->restore_ahead = get_restore_state_submit(get, &s->restore_req, s->before, sizeof(s->before), 0) == 0;
}

static void roll_back(struct servicing *s, const struct servicing_persisted *pp, uint32_t reason,
                      int error)
{
    bool reported = get_notify_restore_completed(s->p->get, false) == 0;
    log_error("servicing", "restore failed (%s, error %d): rolling back to the previous image%s",
              rollback_reason_name(reason), error,
              reported ? "" : " (the host not told: the rollback instance tells it)");
    enter_previous(s, pp, reason, error, reported);
}

int servicing_prepare_rollback(struct servicing *s)
{
    if (s->previous_image == NULL || s->carried_blob == NULL || s->carried_blob_len == 0)
        return -ENOENT;
    /* The previous image is not checked here (0.11 ms with VTL0 stopped): the rollback
     * (enter_previous) checks all of it, digest included, before it loads a byte. What
     * that changes (docs/servicing.md, "Rollback", "Ready"): with an image that fails,
     * the watchdog is armed anyway, so a restore that overruns its deadline is cut off
     * and VTL0 stays stopped, where a failed pre-check let it run to its end. Only a
     * write into VTL2 memory (the host's) can spoil the image, and that could as well
     * come after a pre-check. */
    return handoff_map_trampoline(&s->handoff);
}

void servicing_restore_deadline_passed(struct servicing *s, const struct servicing_persisted *pp)
{
    log_error("servicing", "restore still not done %u ms after the handoff: rolling back to the "
              "previous image (the host is told by it)",
              pp->restore_budget_ms ? pp->restore_budget_ms : SERVICING_RESTORE_BUDGET_DEFAULT_MS);
    enter_previous(s, pp, SERVICING_ROLLBACK_RESTORE_STUCK, -ETIMEDOUT, false);
}

int servicing_restore(struct servicing *s, const struct servicing_persisted *pp)
{
    struct partition *p = s->p;
    struct get_instance *get = p->get;
    struct state_error error;
    size_t len = 0;
    uint64_t start = rdtsc();
    uint32_t reason = SERVICING_ROLLBACK_RESTORE_FAILED;
    int err;

    s->restored_from = *pp;
    bool rollback = (pp->flags & SERVICING_PERSISTED_ROLLBACK) != 0;
    if (rollback) {
        /* The image after this one failed its restore: the blob came along. */
        s->rolled_back = true;
        s->last_service_error = pp->rollback_reason == SERVICING_ROLLBACK_RESTORE_STUCK
            ? "restore stuck in the new image (watchdog): rolled back"
            : pp->rollback_reason == SERVICING_ROLLBACK_NO_HOST
            ? "the host did not take part in the new image's restore: rolled back"
            : "restore failed in the new image: rolled back";
        if (pp->flags & SERVICING_PERSISTED_UNREPORTED)
            (void)get_notify_restore_completed(get, false);   /* the failed instance's word */
        if (s->carried_blob == NULL || s->carried_blob_len > sizeof(s->before)) {
            err = -ENODATA;
        } else {
            len = s->carried_blob_len;
            memcpy(s->before, s->carried_blob, len);
            log_warn("servicing", "rollback from %s (%s): restoring the carried blob (%zu bytes)",
                     pp->old_version, pp->old_build_id, len);
            err = state_restore(s->units, collect_units(s), s->before, len, &error);
            if (err)
                note_error(s, "restore", &error);
        }
    } else if (!get->dps_valid || !get->dps.is_servicing_scenario) {
        err = -EPROTO;
        reason = SERVICING_ROLLBACK_NO_HOST;
        log_error("servicing", "entered for servicing, but the host's DPS says no servicing");
    } else if ((err = s->restore_ahead ? get_restore_state_wait(get, &s->restore_req, &len)
                                       : get_restore_state(get, s->before, sizeof(s->before), &len, 0)) != 0) {
        log_error("servicing", "RESTORE: no saved state from the host (error %d)", err);
        reason = SERVICING_ROLLBACK_NO_HOST;
    } else {
        log_debug("servicing", "saved_state_len %zu (the old instance saved %llu)", len,
                 (unsigned long long)pp->saved_state_len);
        if (s->test_restore_stuck) {
            /* OpenHCL's SERVICING_RESTORE_STUCK: wait for ever (here with interrupts off,
             * before a unit is restored); only the watchdog's NMI gets out of this. */
            log_warn("servicing", "test hook mezz.servicing_test=restore-stuck: stuck in restore");
            for (;;)
                __asm__ volatile("cli\n\tpause" ::: "memory");
        }
        /* The envelope has no checksum of its own: the old instance's length and CRC-32C
         * (its page is VTL2 memory, not the host's) tell a blob the host garbled. */
        if (pp->size == sizeof(*pp) &&
            (len != pp->saved_state_len || crc32c(0, s->before, len) != pp->saved_state_crc)) {
            error = (struct state_error){ .err = -EBADMSG,
                                          .what = "the host's blob is not the one saved (length or CRC)" };
            err = -EBADMSG;
            note_error(s, "restore", &error);
        } else if (s->test_restore_fail) {
            /* OpenHCL's SERVICING_RESTORE_FAIL shape: the restore fails before any unit. */
            error = (struct state_error){ .err = -EIO,
                                          .what = "test hook mezz.servicing_test=restore-fail" };
            err = -EIO;
            note_error(s, "restore", &error);
        } else {
            err = state_restore(s->units, collect_units(s), s->before, len, &error);
            if (err)
                note_error(s, "restore", &error);
        }
    }
    if (s->watchdog != NULL)
        (void)restore_watchdog_disarm(s->watchdog);   /* from here on no rollback by NMI */
    if (err && !rollback && s->previous_image != NULL)
        roll_back(s, pp, reason, err);   /* returns only if the way back is shut too */
    p->restoring = false;
    s->restore_error = err;
    s->last_saved_state_len = len;
    get_notify_restore_completed(get, err == 0);
    if (err == 0 && (pp->capabilities_flags & SERVICING_CAP_HOST_BARRIER)) {
        int64_t utc;
        (void)get_read_time(get, &utc);
    }
    s->restored = err == 0;
    /* The NPT from the restored map (partition_init left it out): VTL0's first VMRUN
     * needs it, so it is built inside the blackout, not after it is measured. */
    if (err == 0)
        partition_sync_npt(p);
    uint64_t now = rdtsc();
    s->restore_us = tsc_delta_to_us(now - start, log_tsc_hz());
    s->blackout_time_us = tsc_delta_to_us(now - pp->stop_tsc, log_tsc_hz());
    /* One short console line: VTL0 resumes only after it is out. */
    if (err == 0)
        log_info("servicing", "resuming VM: blackout_time_us %llu, saved_state_len %zu, restore %llu us",
                 (unsigned long long)s->blackout_time_us, len, (unsigned long long)s->restore_us);
    return err;
}
