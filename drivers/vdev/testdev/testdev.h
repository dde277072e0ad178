/*
 * The test device: VTL0's test port, in the spirit of the KVM selftests' ucall
 * (tools/testing/selftests/kvm/lib/x86/ucall.c). The test firmware (tests/guests/testfw)
 * reads the script the host gave it and reports every result through these ports;
 * Mezzanine turns each report into one console line. docs/testdev.md is the protocol.
 *
 * Pure: no hardware, no allocation, no libc. Port accesses come in through testdev_io();
 * events go out through ops->event. The same file builds for the kernel, for the unit
 * tests, and into the test firmware itself (which runs it as a loopback when it is
 * booted without Mezzanine, so both paths print the same lines).
 */
#ifndef MEZZ_DRIVERS_TESTDEV_H
#define MEZZ_DRIVERS_TESTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TESTDEV_PORT_BASE 0xE0   /* ports 0xE0..0xE7 */
#define TESTDEV_PORT_COUNT 8

/*
 * Registers, by offset from TESTDEV_PORT_BASE. A register is one (offset, size,
 * direction); every other access is not decoded (testdev_io returns -EINVAL).
 */
#define TESTDEV_REG_SCRIPT_LEN 0   /* in  32: script length in bytes */
#define TESTDEV_REG_ARG        0   /* out 32: push one argument word of the next event */
#define TESTDEV_REG_SCRIPT     4   /* in  8:  next script byte; 0xFF past the end */
#define TESTDEV_REG_CMD        4   /* out 8:  commit an event of this kind (TESTDEV_EV_*) */
#define TESTDEV_REG_VERSION    5   /* in  8:  TESTDEV_VERSION */
#define TESTDEV_REG_LOG        5   /* out 8:  append one character to the next LOG event */
#define TESTDEV_REG_SCRIPT_POS 6   /* in/out 16: script cursor; writing seeks (0 rewinds) */

#define TESTDEV_VERSION    1
#define TESTDEV_SCRIPT_MAX 0xFFFFu /* the cursor register is 16 bits wide */
#define TESTDEV_MAX_VALUES 4       /* 64-bit values in one event */
#define TESTDEV_MAX_ARGS   (1 + 2 * TESTDEV_MAX_VALUES)   /* tag + (lo, hi) pairs */
#define TESTDEV_LOG_MAX    96      /* characters of one LOG event's text */
#define TESTDEV_LINE_MAX   160     /* testdev_format_event() never needs more */
#define TESTDEV_TAG_NONE   0xFFFFFFFFu   /* "not inside any script operation" */

/*
 * Event kinds. The guest writes these to TESTDEV_REG_CMD after pushing the argument
 * words listed here (values are pushed as two words, low half first).
 */
#define TESTDEV_EV_BOOT  0x01   /* (none): the firmware started; code = boot count */
#define TESTDEV_EV_MODE  0x02   /* tag, mode: the firmware entered TESTDEV_MODE_* */
#define TESTDEV_EV_PASS  0x03   /* tag: the operation succeeded and has no value */
#define TESTDEV_EV_FAIL  0x04   /* tag, reason, 0..2 values: TESTDEV_FAIL_* */
#define TESTDEV_EV_VALUE 0x05   /* tag, 1..4 values: what the operation read */
#define TESTDEV_EV_LOG   0x06   /* tag: the text written to TESTDEV_REG_LOG */
#define TESTDEV_EV_DONE  0x07   /* (none): the script ran to its end */
#define TESTDEV_EV_ERROR 0x80   /* never written by the guest: the device saw a malformed
                                   sequence; code = TESTDEV_ERR_*, values = kind, nargs */

/* Modes, as MODE events carry them. */
#define TESTDEV_MODE_REAL 0
#define TESTDEV_MODE_PROT 1     /* 32-bit protected mode, flat segments, paging off */
#define TESTDEV_MODE_LONG 2     /* 64-bit mode, identity paging */

/* FAIL reasons (chosen by the firmware; the device only names them). */
#define TESTDEV_FAIL_MISMATCH      1   /* EXPECT: values = actual, expected */
#define TESTDEV_FAIL_BAD_OPCODE    2   /* values = the opcode */
#define TESTDEV_FAIL_BAD_OPERAND   3   /* values = the operand */
#define TESTDEV_FAIL_UNSUPPORTED   4   /* not possible in this mode; values = address */
#define TESTDEV_FAIL_TRUNCATED     5   /* the script ended inside an operation */
#define TESTDEV_FAIL_EXCEPTION     6   /* values = vector | error << 32, instruction pointer */
#define TESTDEV_FAIL_HALT_RETURNED 7   /* a halt operation did not halt */

/* ERROR reasons (chosen by the device). */
#define TESTDEV_ERR_BAD_KIND       1   /* CMD with an unknown kind */
#define TESTDEV_ERR_BAD_ARGS       2   /* wrong number of argument words for the kind */
#define TESTDEV_ERR_TOO_MANY_ARGS  3   /* more than TESTDEV_MAX_ARGS words pushed */
#define TESTDEV_ERR_STRAY_TEXT     4   /* LOG characters pending for a kind other than LOG */

struct testdev_event {
    uint8_t kind;                         /* TESTDEV_EV_* */
    uint8_t nvalues;                      /* valid entries of values[] */
    bool has_tag;
    uint32_t tag;                         /* script offset of the operation reporting */
    uint32_t code;                        /* BOOT: count; MODE: mode; FAIL/ERROR: reason */
    uint64_t values[TESTDEV_MAX_VALUES];
    char text[TESTDEV_LOG_MAX + 1];       /* LOG: printable ASCII, NUL-terminated */
};

struct testdev_ops {
    void (*event)(void *ctx, const struct testdev_event *ev);
    void *ctx;
};

/* Plain state: the only part that is saved. Fixed-width fields only. */
struct testdev_state {
    uint32_t args[TESTDEV_MAX_ARGS];
    uint32_t nargs;             /* words pushed since the last CMD (may pass MAX_ARGS) */
    uint32_t boots;             /* BOOT events seen; survives VTL0 resets like the cursor */
    uint16_t cursor;            /* next script byte */
    uint16_t log_len;
    char log[TESTDEV_LOG_MAX];
    uint64_t events;            /* events delivered, ERROR included */
    uint64_t errors;            /* ERROR events */
    uint64_t bad_accesses;      /* accesses testdev_io() did not decode */
    uint64_t script_overruns;   /* script reads past the end */
    uint64_t log_dropped;       /* LOG characters past TESTDEV_LOG_MAX */
};

struct testdev {
    /* static config */
    const uint8_t *script;      /* owned by the caller; must outlive the device */
    uint16_t script_len;        /* min(script_len given, TESTDEV_SCRIPT_MAX) */
    bool script_clamped;        /* the script given was longer than TESTDEV_SCRIPT_MAX */
    /* what the last restore found of the alt build's script_len field (TESTDEV_BLOB_*);
     * for inspect, never saved */
    uint8_t script_len_in_blob;
    /* runtime glue (never saved) */
    struct testdev_ops ops;
    /* plain state */
    struct testdev_state st;
};

/*
 * Sets up a device over script[0..script_len) (script may be NULL when script_len is 0)
 * with the cursor at 0. The script is not copied. ops->event may be NULL (events are
 * then counted and dropped).
 */
void testdev_init(struct testdev *td, const uint8_t *script, size_t script_len,
                  const struct testdev_ops *ops);

/*
 * One port access at TESTDEV_PORT_BASE + port_offset, size 1, 2 or 4 bytes. A write
 * takes *value (bits above size ignored); a read stores the register, zero-extended,
 * into *value. Returns 0, or -EINVAL for an access the device does not decode (it is
 * counted in st.bad_accesses and *value is left alone: the caller drops the write or
 * gives the guest all-ones). Nothing the guest does here can fail otherwise.
 */
int testdev_io(struct testdev *td, uint16_t port_offset, unsigned size, bool is_write,
               uint32_t *value);

/*
 * Writes ev as one line of text without prefix or newline, e.g. "VALUE tag=12
 * values=0xff"; the kernel logs it under the subsystem "testdev". Always NUL-terminates
 * when cap > 0 and truncates to fit. Returns the length written (excluding the NUL).
 * TESTDEV_LINE_MAX bytes always suffice.
 */
/*
 * Saved state (docs/saved-state.md): unit "testdev", schema
 * mezzanine.vdev.testdev.SavedState: the event being built, the cursor and the counters.
 * restore decodes into a temporary and validates all of it (the words kept match nargs,
 * the cursor within this device's script, printable LOG text) -- -EINVAL changes
 * nothing -- then takes it; it makes no call. The device has no reset: like the cursor,
 * its state survives VTL0 resets (docs/testdev.md); testdev_init() is its power-on.
 */
#define TESTDEV_STATE_UNIT     "testdev"
#define TESTDEV_STATE_TYPE_URL "type.googleapis.com/mezzanine.vdev.testdev.SavedState"
#define TESTDEV_STATE_MAX_LEN  240    /* the alt build's schema included */
/*
 * The alt build's schema (make servicing-alt) has one field more, `optional uint32
 * script_len = 11`: the length of the script the cursor points into, saved by the alt
 * build and checked by it on restore when present (docs/saved-state.md, "Two builds").
 * What the last restore found, for inspect:
 */
#define TESTDEV_BLOB_NOT_RESTORED   0   /* no restore yet */
#define TESTDEV_BLOB_FIELD_ABSENT   1   /* a blob without the field: the old behaviour */
#define TESTDEV_BLOB_FIELD_PRESENT  2
#define TESTDEV_BLOB_FIELD_UNKNOWN  3   /* this build's schema has no such field */
/* Whether this build's schema has the field (the alt build's generated header). */
bool testdev_schema_has_script_len(void);
int testdev_save_state(const struct testdev *td, uint8_t *buf, size_t cap, size_t *len);
int testdev_restore_state(struct testdev *td, const uint8_t *buf, size_t len);

size_t testdev_format_event(const struct testdev_event *ev, char *buf, size_t cap);

/* "VALUE", "FAIL", ...; "?" for an unknown kind. */
const char *testdev_kind_name(uint8_t kind);

#endif
