/*
 * Servicing (SPEC section 9) over the device registry: the state units VTL0's devices
 * register (kernel/vtl0/device.h) saved into and restored from one envelope
 * (envelope.h). Today: the save/restore pulse, petri's verify_save_restore in place --
 * VTL0 stopped at an instruction boundary, every unit saved, every device reset, every
 * unit restored, VTL0 resumed -- which proves that a restore rebuilds what VTL0 had.
 */
#ifndef MEZZ_KERNEL_SERVICING_H
#define MEZZ_KERNEL_SERVICING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "get/client.h"
#include "kernel/servicing/envelope.h"
#include "kernel/servicing/handoff.h"
#include "kernel/servicing/persisted.h"
#include "kernel/servicing/watchdog.h"
#include "kernel/vtl0/partition.h"

#define SERVICING_BLOB_MAX 16384u

struct servicing {
    /* static config */
    struct partition *p;
    /* runtime glue */
    struct state_unit units[VTL0_MAX_DEVICES];
    uint8_t before[SERVICING_BLOB_MAX];
    uint8_t after[SERVICING_BLOB_MAX];
    /* counters (inspect "servicing") */
    uint64_t pulses, pulse_failures, pulses_unequal;
    size_t last_saved_state_len;
    uint64_t last_pulse_us;
    struct state_error last_error;
    /* live servicing (SAVE from the host, handoff, restore) */
    struct handoff handoff;
    struct handoff_module modules[HANDOFF_MAX_MODULES];
    unsigned module_count;
    struct servicing_persisted restored_from;   /* valid when restored */
    bool restored;
    uint64_t services, service_failures;        /* SAVE requests taken, and refused */
    const char *last_service_error;
    uint64_t blackout_time_us, restore_us;
    int restore_error;
    bool test_save_fail;                        /* mezz.servicing_test=save-fail */
    bool test_restore_fail;                     /* mezz.servicing_test=restore-fail */
    bool test_restore_stuck;                    /* mezz.servicing_test=restore-stuck */
    struct restore_watchdog *watchdog;          /* disarmed when the restore ends */
    /* rollback: the image this instance runs and the one before it (copies in VTL2
     * memory; NULL when the loader gave none), and a blob carried by a rollback */
    const uint8_t *own_image, *previous_image, *carried_blob;
    size_t own_image_len, previous_image_len, carried_blob_len;
    bool rolled_back;
    /* kernel/main.c's: moves own_image and previous_image out of the persisted part
     * (where a servicing boot finds them) into VTL2 memory; called before anything
     * writes there again (the next handoff, a rollback). NULL: they are copies already. */
    void (*keep_images)(struct servicing *s);
    /* RESTORE sent ahead, while the partition is built (servicing_restore_ahead) */
    struct get_req restore_req;
    bool restore_ahead;
};

void servicing_init(struct servicing *s, struct partition *p, const struct handoff_config *handoff);

/* A module the next image gets (the partition's pristine firmware, test script, VGA
 * BIOS): their boot modules' memory is VTL0's by now. */
void servicing_carry_module(struct servicing *s, const char *name, const void *data, size_t size);

/*
 * The host's SAVE_GUEST_VTL2_STATE (struct get_save_state_notification bytes): check the
 * staged image, stop VTL0, save every unit, send the blob, hand off to the new image.
 * Returns only when servicing did not happen; VTL0 then runs again in this instance.
 */
void servicing_save_request(void *ctx, const void *note, size_t len);

/*
 * A new instance after the handoff: *persisted is the old instance's page (checked by
 * the caller). Pulls the blob (the GET is up and DPS says IsServicingScenario), restores
 * every unit in registry order, reports RESTORE_COMPLETED. Returns 0 or a negative errno
 * (reported to the host and logged). VTL0 is still stopped.
 */
int servicing_restore(struct servicing *s, const struct servicing_persisted *persisted);

/*
 * A servicing boot, before the partition is built: sends the RESTORE request now (when
 * the blob is the host's to give: DPS says servicing, not a rollback), so the host's
 * answer arrives while the partition and the devices are built; servicing_restore then
 * only collects it. servicing_init must have run (it clears s).
 */
void servicing_restore_ahead(struct servicing *s, struct get_instance *get,
                             const struct servicing_persisted *persisted);

/* Whether there is a way back (the previous image and the blob were carried), and maps
 * the trampoline so that the watchdog's rollback needs no allocation: 0, or -ENOENT/
 * -EFAULT. The image itself is checked by the rollback, before it loads a byte. */
int servicing_prepare_rollback(struct servicing *s);
/*
 * The restore watchdog fired (kernel/main.c, out of NMI context already, on a stack of
 * its own; the restore was abandoned wherever it was): enter the previous image with the
 * carried blob, flagged so that it tells the host. Neither the GET nor the heap is
 * touched. Returns only if the way back is shut.
 */
void servicing_restore_deadline_passed(struct servicing *s, const struct servicing_persisted *pp);

/*
 * One pulse: stop VTL0, save every unit, reset every device, restore every unit, save
 * again, resume VTL0. Returns 0 and writes a JSON summary into out ({"saved_state_len",
 * "units", "equal": the second save is byte-equal to the first, "time_us"}), or a negative
 * errno (logged with the unit it is about). VTL0 is resumed whatever happened.
 */
int servicing_pulse(struct servicing *s, char *out, size_t cap);

/* Saves every unit into buf: 0 with *len, or a negative errno (error says which unit).
 * VTL0 must be stopped (-EBUSY otherwise). */
int servicing_save(struct servicing *s, uint8_t *buf, size_t cap, size_t *len,
                   struct state_error *error);

/* Diag's servicing commands (kernel/host/diag.h diag_servicing_fn): "pulse". */
int servicing_command(void *ctx, char words[][64], int n, char *body, size_t cap);

#endif
