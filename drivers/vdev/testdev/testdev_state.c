/* The test device's saved state; see testdev.h and docs/saved-state.md. */
#include "drivers/vdev/testdev/testdev.h"

#include <errno.h>

#include "kernel/lib/pb_codec.h"
#include "testdev.pb.h"

typedef mezzanine_vdev_testdev_SavedState testdev_msg;

_Static_assert(mezzanine_vdev_testdev_SavedState_size <= TESTDEV_STATE_MAX_LEN,
               "TESTDEV_STATE_MAX_LEN covers the largest encoding");
_Static_assert(sizeof(((testdev_msg *)0)->args) / sizeof(uint32_t) == TESTDEV_MAX_ARGS,
               "the schema's args hold every word kept");
_Static_assert(sizeof(((testdev_msg *)0)->log.bytes) == TESTDEV_LOG_MAX,
               "the schema's log holds every character kept");

/* The alt build's schema field (testdev.h, docs/saved-state.md "Two builds"): nanopb
 * defines its tag only when the generator's input had it. */
#ifdef mezzanine_vdev_testdev_SavedState_script_len_tag
#define HAVE_SCRIPT_LEN 1
#else
#define HAVE_SCRIPT_LEN 0
#endif

bool testdev_schema_has_script_len(void)
{
    return HAVE_SCRIPT_LEN;
}

/* Words of the event being built that the device keeps: the first TESTDEV_MAX_ARGS. */
static uint32_t kept_args(uint32_t nargs)
{
    return nargs < TESTDEV_MAX_ARGS ? nargs : TESTDEV_MAX_ARGS;
}

int testdev_save_state(const struct testdev *td, uint8_t *buf, size_t cap, size_t *len)
{
    const struct testdev_state *s = &td->st;
    testdev_msg m = mezzanine_vdev_testdev_SavedState_init_zero;
    /* Words past nargs are left over from earlier events and mean nothing: not saved. */
    m.args_count = (pb_size_t)kept_args(s->nargs);
    for (uint32_t i = 0; i < m.args_count; i++)
        m.args[i] = s->args[i];
    m.nargs = s->nargs;
    m.boots = s->boots;
    m.cursor = s->cursor;
    m.log.size = s->log_len;
    for (uint16_t i = 0; i < s->log_len; i++)
        m.log.bytes[i] = (pb_byte_t)s->log[i];
    m.events = s->events;
    m.errors = s->errors;
    m.bad_accesses = s->bad_accesses;
    m.script_overruns = s->script_overruns;
    m.log_dropped = s->log_dropped;
#if HAVE_SCRIPT_LEN
    m.has_script_len = true;
    m.script_len = td->script_len;
#endif
    return pb_codec_encode(mezzanine_vdev_testdev_SavedState_fields, &m, buf, cap, len);
}

int testdev_restore_state(struct testdev *td, const uint8_t *buf, size_t len)
{
    testdev_msg m;
    if (pb_codec_decode(mezzanine_vdev_testdev_SavedState_fields, &m, buf, len) != 0)
        return -EINVAL;
    if (m.args_count != kept_args(m.nargs) || m.cursor > td->script_len)
        return -EINVAL;
    uint8_t seen = TESTDEV_BLOB_FIELD_UNKNOWN;
#if HAVE_SCRIPT_LEN
    /* Absent (a blob of a build without the field): the cursor check above is all. */
    if (m.has_script_len && m.script_len != td->script_len)
        return -EINVAL;
    seen = m.has_script_len ? TESTDEV_BLOB_FIELD_PRESENT : TESTDEV_BLOB_FIELD_ABSENT;
#endif
    for (pb_size_t i = 0; i < m.log.size; i++) {
        if (m.log.bytes[i] < 0x20 || m.log.bytes[i] > 0x7E)   /* log_char() keeps these only */
            return -EINVAL;
    }
    struct testdev_state st = {
        .nargs = m.nargs, .boots = m.boots, .cursor = (uint16_t)m.cursor,
        .log_len = (uint16_t)m.log.size,
        .events = m.events, .errors = m.errors, .bad_accesses = m.bad_accesses,
        .script_overruns = m.script_overruns, .log_dropped = m.log_dropped,
    };
    for (pb_size_t i = 0; i < m.args_count; i++)
        st.args[i] = m.args[i];
    for (pb_size_t i = 0; i < m.log.size; i++)
        st.log[i] = (char)m.log.bytes[i];
    td->st = st;
    td->script_len_in_blob = seen;
    return 0;
}
