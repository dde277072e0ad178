/*
 * OpenHCL's GET-backed AdjustGpaRange (reference/openvmm-facts.md 2.4, whole behaviour):
 * each PAM range owns one GET slot (base_slot + table index); a range's state maps to a
 * desired {gpa range, offset into VTL0 RAM, ROM flag} or to nothing; unchanged desires
 * make no GET call; a changed one resets the old slot first, then creates the new range;
 * a failed create leaves the slot empty. Pure: the GET and the GPA map are ops.
 * The same slot discipline also carries the faithful rules (pam_faithful.h), chosen at
 * init: only the state-to-slot table differs.
 */
#ifndef MEZZ_DRIVERS_PAM_GET_H
#define MEZZ_DRIVERS_PAM_GET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/vdev/chipset/pam.h"
#include "kernel/lib/compiler.h"

/* Which rules turn a range's state into a slot (SPEC section 6). The values are saved
 * state: never renumber. */
enum pam_get_rules {
    PAM_RULES_OPENHCL = 0,      /* OpenHCL's GetBackedAdjustGpaRange exactly (below) */
    PAM_RULES_FAITHFUL = 1,     /* the local view through host ranges (pam_faithful.h) */
    PAM_RULES_COUNT
};

/* OpenHCL's BIOS_MEMORY_RANGE_BOUNDS kinds. */
enum pam_bios_kind {
    PAM_KIND_NONE = 0,
    PAM_KIND_SYSTEM_BIOS,
    PAM_KIND_VGA_BIOS,
    PAM_KIND_VGA_BIOS_TSR,      /* "our VGA BIOS assumes it's writable" */
};

struct pam_bios_bound {
    uint64_t start, size;
    uint64_t leave_writable;    /* bytes at the top that stay RAM when write-protected */
    uint8_t kind;               /* enum pam_bios_kind */
};

/* The 13-entry table, in PAM table order (F0000 first). */
extern const struct pam_bios_bound pam_bios_bounds[PAM_RANGE_COUNT];

/* The host's CREATE_RAM_GPA_RANGE status for success (GET protocol). */
#define PAM_GET_STATUS_SUCCESS 0u

struct pam_get_ops {
    /* CREATE_RAM_GPA_RANGE: 0 with the host's status, or a negative errno (no answer). */
    int (*create)(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, uint64_t gpa_offset,
                  bool rom, uint32_t *status);
    /* RESET_RAM_GPA_RANGE: 0 or a negative errno. */
    int (*reset)(void *ctx, uint32_t slot);
    /* The slot's mapping is now h (h->valid false: nothing): apply it to the GPA map. */
    void (*applied)(void *ctx, unsigned index, uint32_t slot, const struct pam_handle *h);
    void (*warn)(void *ctx, const char *what, unsigned index, long value);
    void *ctx;
};

struct pam_get_stats {
    uint64_t creates, create_failures, create_timeouts;
    uint64_t resets, reset_failures;
    uint64_t skipped;           /* adjust calls that needed no GET call */
    uint64_t write_only;        /* WriteOnly seen (OpenHCL: as Writable; faithful: as Mmio) */
    uint64_t bad_ranges;        /* adjust for a range not in the table */
    uint32_t last_status;       /* the host's last non-success status */
};

struct pam_get {
    /* static config */
    uint32_t base_slot;
    uint64_t rom_bios_offset;
    uint8_t rules;              /* enum pam_get_rules */
    uint64_t firmware_low_start;    /* faithful: the firmware window below 1 MiB starts here */
    /* runtime glue */
    struct pam_get_ops ops;
    /* plain state */
    struct pam_handle slots[PAM_RANGE_COUNT];
    struct pam_get_stats stats;
};

/* OpenHCL's rules. */
void pam_get_init(struct pam_get *pg, uint32_t base_slot, uint64_t rom_bios_offset,
                  const struct pam_get_ops *ops);
/* Either rule set; firmware_low_start matters to the faithful rules only. */
void pam_get_init_rules(struct pam_get *pg, enum pam_get_rules rules, uint32_t base_slot,
                        uint64_t rom_bios_offset, uint64_t firmware_low_start,
                        const struct pam_get_ops *ops);

/* What a range in `state` should look like (rules table of reference 2.4). Pure. */
struct pam_handle pam_get_desired(const struct pam_bios_bound *bound, enum gpa_state state,
                                  uint64_t rom_bios_offset);

/* AdjustGpaRange::adjust_gpa_range, with pg's rules. The VGA window A0000-BFFFF makes no
 * call ("the host already sets VGA to be MMIO"); a range outside the table is counted and
 * ignored. */
void pam_get_adjust(struct pam_get *pg, const struct pam_range *range, enum gpa_state state);

/*
 * Saved state (docs/saved-state.md): unit "pam_get", schema
 * underhill.emuplat.i440bx.host_pci_bridge.SavedState (OpenHCL's: the base slot and the
 * 13 handles, wire-compatible with mesh's [Option<SavedHandle>; 13]; plus the rule set, a
 * field of ours that OpenHCL's blobs lack and read as its rules). restore decodes into
 * a temporary and validates all of it first (exactly 13 handles; each valid handle's slot
 * = base_slot + index, its range starting at the table's start, non-empty and within the
 * table's range) -- -EINVAL changes nothing and makes no call -- then takes it and calls
 * applied() for each valid handle (the GPA map needs them) but never the GET.
 */
#define PAM_GET_STATE_UNIT     "pam_get"
#define PAM_GET_STATE_TYPE_URL \
    "type.googleapis.com/underhill.emuplat.i440bx.host_pci_bridge.SavedState"
#define PAM_GET_STATE_MAX_LEN  640
int pam_get_save_state(const struct pam_get *pg, uint8_t *buf, size_t cap, size_t *len);
int pam_get_restore_state(struct pam_get *pg, const uint8_t *buf, size_t len);

/* Takes the rules, base_slot and slots (already validated: pam_get_restore_state()) and
 * calls applied() for each valid slot. */
void pam_get_set_state(struct pam_get *pg, enum pam_get_rules rules, uint32_t base_slot,
                       const struct pam_handle slots[PAM_RANGE_COUNT]);

const char *pam_bios_kind_name(enum pam_bios_kind kind);
const char *pam_get_rules_name(enum pam_get_rules rules);

#endif
