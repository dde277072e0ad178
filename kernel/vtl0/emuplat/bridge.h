/*
 * VTL0's host bridge: the i440BX model (drivers/vdev/chipset/i440bx.c) at 00:00.0, with its PAM
 * ranges carried out by one of three backends (SPEC section 6, docs/pam.md):
 *  - GET-backed, OpenHCL's rules (drivers/vdev/chipset/pam_get.c), or
 *  - GET-backed, faithful rules (drivers/vdev/chipset/pam_faithful.c): the local view, made
 *    by the host; with either, on the host's success each range becomes a GPA-map
 *    override, so the host's slot table and what VTL0 sees agree;
 *  - local (no host, or mezz.pam=local): OpenVMM's RAM-visibility rules
 *    (drivers/vdev/chipset/pam.c) on the legacy regions.
 */
#ifndef MEZZ_KERNEL_VTL0_BRIDGE_H
#define MEZZ_KERNEL_VTL0_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers/vdev/chipset/i440bx.h"
#include "drivers/vdev/chipset/pam_get.h"
#include "kernel/vtl0/device.h"

struct inspect_writer;
struct partition;

enum pam_backend {
    PAM_BACKEND_AUTO = 0,       /* OpenHCL's GET-backed rules if the GET is up, else local */
    PAM_BACKEND_OPENHCL,
    PAM_BACKEND_FAITHFUL,
    PAM_BACKEND_LOCAL,
};

struct vtl0_bridge {
    struct partition *p;        /* runtime glue */
    bool get_backed;            /* else local; the GET-backed rule set is get.rules */
    struct i440bx dev;
    struct pam_get get;
    uint64_t map_errors;        /* overrides the GPA map refused */
    bool host_slots_known;          /* get.slots is what the host has (not a fresh instance) */
    struct vtl0_device slots_unit;  /* "pam_get" in the device registry */
    struct vtl0_device unit;        /* "i440bx" */
    uint64_t get_call_tsc;          /* TSC ticks VTL0 waited on PAM's CREATE/RESET calls */
};

/* Creates the bridge (its construction adjusts run now) and registers it at 00:00.0. */
void vtl0_bridge_init(struct vtl0_bridge *b, struct partition *p, enum pam_backend backend,
                      uint16_t device_id);

/* "openhcl", "faithful" or "local": the backend in use (inspect partition/pam/backend). */
const char *pam_backend_name(const struct vtl0_bridge *b);

/* One inspect object per valid host slot ("<slot>": gpa, len, gpa_offset, rom): shown in
 * "partition/pam/slots" and, GET-backed, as the GET's slot table. */
void vtl0_bridge_inspect_slots(struct inspect_writer *w, const struct vtl0_bridge *b);

#endif
