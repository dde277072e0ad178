/* The test device model; see testdev.h and docs/testdev.md. */
#include "drivers/vdev/testdev/testdev.h"

#include <errno.h>

void testdev_init(struct testdev *td, const uint8_t *script, size_t script_len,
                  const struct testdev_ops *ops)
{
    if (script == NULL)
        script_len = 0;
    td->script = script;
    td->script_clamped = script_len > TESTDEV_SCRIPT_MAX;
    td->script_len = (uint16_t)(td->script_clamped ? TESTDEV_SCRIPT_MAX : script_len);
    td->ops.event = ops ? ops->event : NULL;
    td->ops.ctx = ops ? ops->ctx : NULL;
    td->st = (struct testdev_state){0};
    td->script_len_in_blob = TESTDEV_BLOB_NOT_RESTORED;
}

static void deliver(struct testdev *td, const struct testdev_event *ev)
{
    td->st.events++;
    if (ev->kind == TESTDEV_EV_ERROR)
        td->st.errors++;
    if (td->ops.event)
        td->ops.event(td->ops.ctx, ev);
}

/* Fills ev->values from the (lo, hi) word pairs args[first..nargs). */
static void take_values(struct testdev_event *ev, const uint32_t *args, uint32_t first,
                        uint32_t nargs)
{
    ev->nvalues = 0;
    for (uint32_t i = first; i + 1 < nargs; i += 2)
        ev->values[ev->nvalues++] = (uint64_t)args[i] | (uint64_t)args[i + 1] << 32;
}

/* Returns true if nargs is right for kind; fills ev from the words. */
static bool decode_args(struct testdev *td, uint8_t kind, struct testdev_event *ev)
{
    const uint32_t *a = td->st.args;
    uint32_t n = td->st.nargs;

    switch (kind) {
    case TESTDEV_EV_BOOT:
        if (n != 0)
            return false;
        ev->code = td->st.boots + 1;
        return true;
    case TESTDEV_EV_DONE:
        return n == 0;
    case TESTDEV_EV_MODE:
        if (n != 2)
            return false;
        ev->code = a[1];
        break;
    case TESTDEV_EV_PASS:
    case TESTDEV_EV_LOG:
        if (n != 1)
            return false;
        break;
    case TESTDEV_EV_FAIL:
        if (n < 2 || n > 2 + 2 * 2 || n % 2 != 0)
            return false;
        ev->code = a[1];
        take_values(ev, a, 2, n);
        break;
    case TESTDEV_EV_VALUE:
        if (n < 3 || n % 2 != 1)
            return false;
        take_values(ev, a, 1, n);
        break;
    default:
        return false;
    }
    ev->has_tag = a[0] != TESTDEV_TAG_NONE;
    ev->tag = a[0];
    return true;
}

static bool kind_known(uint8_t kind)
{
    return kind >= TESTDEV_EV_BOOT && kind <= TESTDEV_EV_DONE;
}

/* CMD: validate the pending words and text against kind, then deliver one event. */
static void commit(struct testdev *td, uint8_t kind)
{
    struct testdev_event ev = {0};
    uint32_t err = 0;

    if (!kind_known(kind))
        err = TESTDEV_ERR_BAD_KIND;
    else if (td->st.nargs > TESTDEV_MAX_ARGS)
        err = TESTDEV_ERR_TOO_MANY_ARGS;
    else if (kind != TESTDEV_EV_LOG && td->st.log_len != 0)
        err = TESTDEV_ERR_STRAY_TEXT;
    else if (!decode_args(td, kind, &ev))
        err = TESTDEV_ERR_BAD_ARGS;

    if (err) {
        ev = (struct testdev_event){0};
        ev.kind = TESTDEV_EV_ERROR;
        ev.code = err;
        ev.nvalues = 2;
        ev.values[0] = kind;
        ev.values[1] = td->st.nargs;
    } else {
        ev.kind = kind;
        if (kind == TESTDEV_EV_BOOT)
            td->st.boots++;
        if (kind == TESTDEV_EV_LOG) {
            for (uint16_t i = 0; i < td->st.log_len; i++)
                ev.text[i] = td->st.log[i];
            ev.text[td->st.log_len] = '\0';
        }
    }
    /* Every CMD starts the next event afresh, whatever became of this one. */
    td->st.nargs = 0;
    td->st.log_len = 0;
    deliver(td, &ev);
}

static void push_arg(struct testdev *td, uint32_t word)
{
    if (td->st.nargs < TESTDEV_MAX_ARGS)
        td->st.args[td->st.nargs] = word;
    if (td->st.nargs != UINT32_MAX)
        td->st.nargs++;
}

static void log_char(struct testdev *td, uint8_t c)
{
    if (td->st.log_len >= TESTDEV_LOG_MAX) {
        td->st.log_dropped++;
        return;
    }
    /* The text ends up in Mezzanine's console: only printable ASCII gets there. */
    td->st.log[td->st.log_len++] = (c >= 0x20 && c <= 0x7E) ? (char)c : '?';
}

static uint8_t script_next(struct testdev *td)
{
    if (td->st.cursor >= td->script_len) {
        td->st.script_overruns++;
        return 0xFF;
    }
    return td->script[td->st.cursor++];
}

int testdev_io(struct testdev *td, uint16_t port_offset, unsigned size, bool is_write,
               uint32_t *value)
{
    if (value == NULL)
        goto undecoded;

    if (is_write) {
        uint32_t v = *value;
        if (port_offset == TESTDEV_REG_ARG && size == 4)
            push_arg(td, v);
        else if (port_offset == TESTDEV_REG_CMD && size == 1)
            commit(td, (uint8_t)v);
        else if (port_offset == TESTDEV_REG_LOG && size == 1)
            log_char(td, (uint8_t)v);
        else if (port_offset == TESTDEV_REG_SCRIPT_POS && size == 2)
            td->st.cursor = (uint16_t)v > td->script_len ? td->script_len : (uint16_t)v;
        else
            goto undecoded;
        return 0;
    }

    if (port_offset == TESTDEV_REG_SCRIPT_LEN && size == 4)
        *value = td->script_len;
    else if (port_offset == TESTDEV_REG_SCRIPT && size == 1)
        *value = script_next(td);
    else if (port_offset == TESTDEV_REG_VERSION && size == 1)
        *value = TESTDEV_VERSION;
    else if (port_offset == TESTDEV_REG_SCRIPT_POS && size == 2)
        *value = td->st.cursor;
    else
        goto undecoded;
    return 0;

undecoded:
    td->st.bad_accesses++;
    return -EINVAL;
}
