/*
 * The saved-state envelope (SPEC section 9, docs/saved-state.md): a blob is a
 * mezzanine.servicing.ServicingState, a list of OpenVMM SavedStateUnit{name, Any} -- one
 * named unit per device, its state a google.protobuf.Any whose type URL names the
 * unit's schema. Pure; builds freestanding with nanopb (kernel/lib/pb_codec.h).
 *
 * Save writes every unit in the order given. Restore follows OpenVMM's rules: units are
 * matched by name; an unknown name, a duplicate or a type URL other than the unit's is an
 * error; a unit with no entry keeps its state. The whole envelope is parsed and checked
 * before any unit is touched; then each unit restores in the order given (dependency
 * order) and validates its own state before changing anything, so a refused unit is left
 * exactly as it was. Every error names the unit it is about.
 */
#ifndef MEZZ_SERVICING_ENVELOPE_H
#define MEZZ_SERVICING_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#define STATE_UNIT_NAME_MAX  31     /* bytes of a unit name */
#define STATE_TYPE_URL_MAX   127    /* bytes of a type URL */
#define STATE_MAX_UNITS      32     /* units one blob may carry */
#define STATE_TYPE_URL_PREFIX "type.googleapis.com/"

/* Why a save or restore failed: err (negative errno), what (a constant string) and the
 * unit it is about ("" when it is the envelope itself). */
struct state_error {
    int err;
    const char *what;
    char unit[STATE_UNIT_NAME_MAX + 1];
};

/* One unit as the servicing code sees it (the registry builds these). save and restore
 * are a device core's X_save_state / X_restore_state (dev is the device). */
struct state_unit {
    const char *name;           /* unique, 1..STATE_UNIT_NAME_MAX printable bytes */
    const char *type_url;       /* STATE_TYPE_URL_PREFIX + the schema's full message name */
    int (*save)(const void *dev, uint8_t *buf, size_t cap, size_t *len);
    int (*restore)(void *dev, const uint8_t *buf, size_t len);
    void *dev;
};

/* One unit as a blob carries it: pointers into the blob (not NUL-terminated). */
struct state_blob_unit {
    const char *name;
    size_t name_len;
    const char *type_url;
    size_t type_url_len;
    const uint8_t *value;
    size_t value_len;
};

/* Saves units[0, count) into buf[0, cap). Returns 0 with *len, -ENOSPC (the blob does
 * not fit), -EINVAL (a unit's name or type URL is not valid), -EOVERFLOW (a unit's save
 * claimed more than its buffer), or a unit's save error. Each unit saves in place after
 * room for its header, so cap must exceed the blob by a few bytes (the difference of two
 * length varints: at most 9 below 256 MiB). */
int state_save(const struct state_unit *units, size_t count, uint8_t *buf, size_t cap,
               size_t *len, struct state_error *error);

/* Restores units[0, count) from buf[0, len) (see above). Returns 0, -EINVAL (a malformed
 * envelope, a bad name, a wrong type URL, or a unit's state refused), -ENOENT (a unit this
 * instance does not have), -EEXIST (a unit twice), -E2BIG (more than STATE_MAX_UNITS), or
 * a unit's restore error. */
int state_restore(const struct state_unit *units, size_t count, const uint8_t *buf, size_t len,
                  struct state_error *error);

/* Parses and checks the envelope only: every unit has a valid name and a state with a
 * valid type URL, no name twice. Fills out[0, *count). Errors as state_restore(). */
int state_parse(const uint8_t *buf, size_t len, struct state_blob_unit *out, size_t max,
                size_t *count, struct state_error *error);

/* A blob built one unit at a time, for a caller that saves the units itself (the device
 * registry's vtl0_devices_save() sink): add appends one entry. */
struct state_writer {
    uint8_t *buf;
    size_t cap, len;
};
void state_writer_init(struct state_writer *w, uint8_t *buf, size_t cap);
/* Returns 0, -ENOSPC (nothing appended) or -EINVAL (a bad name or type URL). */
int state_writer_add(struct state_writer *w, const char *name, const char *type_url,
                     const uint8_t *value, size_t len);

/* Writes one unit entry (as state_save() does for each) at buf[0, cap): for tools and
 * tests that build blobs. Returns 0 with *len, -ENOSPC or -EINVAL. value may lie in
 * buf (it is moved). */
int state_encode_entry(const char *name, const char *type_url, const uint8_t *value,
                       size_t value_len, uint8_t *buf, size_t cap, size_t *len);

#endif
