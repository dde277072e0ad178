/*
 * Test device events as console text (docs/testdev.md, "Console lines"). No libc: the
 * test firmware links this file too, in 16-, 32- and 64-bit builds, so it uses only
 * 32-bit division and shifts.
 */
#include "drivers/vdev/testdev/testdev.h"

struct out {
    char *buf;
    size_t cap;
    size_t len;
};

static void put_char(struct out *o, char c)
{
    if (o->len + 1 < o->cap)
        o->buf[o->len++] = c;
}

static void put_str(struct out *o, const char *s)
{
    while (*s)
        put_char(o, *s++);
}

static void put_dec(struct out *o, uint32_t v)
{
    char digits[10];
    unsigned n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        put_char(o, digits[--n]);
}

static void put_hex(struct out *o, uint64_t v)
{
    int shift = 60;
    put_str(o, "0x");
    while (shift > 0 && ((v >> shift) & 0xF) == 0)
        shift -= 4;
    for (; shift >= 0; shift -= 4)
        put_char(o, "0123456789abcdef"[(v >> shift) & 0xF]);
}

const char *testdev_kind_name(uint8_t kind)
{
    switch (kind) {
    case TESTDEV_EV_BOOT:  return "BOOT";
    case TESTDEV_EV_MODE:  return "MODE";
    case TESTDEV_EV_PASS:  return "PASS";
    case TESTDEV_EV_FAIL:  return "FAIL";
    case TESTDEV_EV_VALUE: return "VALUE";
    case TESTDEV_EV_LOG:   return "LOG";
    case TESTDEV_EV_DONE:  return "DONE";
    case TESTDEV_EV_ERROR: return "ERROR";
    default:               return "?";
    }
}

static const char *mode_name(uint32_t mode)
{
    switch (mode) {
    case TESTDEV_MODE_REAL: return "real";
    case TESTDEV_MODE_PROT: return "protected";
    case TESTDEV_MODE_LONG: return "long";
    default:                return NULL;
    }
}

static const char *fail_name(uint32_t reason)
{
    switch (reason) {
    case TESTDEV_FAIL_MISMATCH:      return "mismatch";
    case TESTDEV_FAIL_BAD_OPCODE:    return "bad-opcode";
    case TESTDEV_FAIL_BAD_OPERAND:   return "bad-operand";
    case TESTDEV_FAIL_UNSUPPORTED:   return "unsupported";
    case TESTDEV_FAIL_TRUNCATED:     return "truncated";
    case TESTDEV_FAIL_EXCEPTION:     return "exception";
    case TESTDEV_FAIL_HALT_RETURNED: return "halt-returned";
    default:                         return NULL;
    }
}

static const char *error_name(uint32_t reason)
{
    switch (reason) {
    case TESTDEV_ERR_BAD_KIND:      return "bad-kind";
    case TESTDEV_ERR_BAD_ARGS:      return "bad-args";
    case TESTDEV_ERR_TOO_MANY_ARGS: return "too-many-args";
    case TESTDEV_ERR_STRAY_TEXT:    return "stray-text";
    default:                        return NULL;
    }
}

/* " key=name", or " key=0x..." when the number has no name. */
static void put_named(struct out *o, const char *key, const char *name, uint32_t v)
{
    put_char(o, ' ');
    put_str(o, key);
    put_char(o, '=');
    if (name)
        put_str(o, name);
    else
        put_hex(o, v);
}

size_t testdev_format_event(const struct testdev_event *ev, char *buf, size_t cap)
{
    struct out o = { buf, cap, 0 };
    unsigned nvalues = ev->nvalues <= TESTDEV_MAX_VALUES ? ev->nvalues : TESTDEV_MAX_VALUES;

    put_str(&o, testdev_kind_name(ev->kind));
    if (ev->has_tag) {
        put_str(&o, " tag=");
        put_dec(&o, ev->tag);
    }
    switch (ev->kind) {
    case TESTDEV_EV_BOOT:
        put_str(&o, " n=");
        put_dec(&o, ev->code);
        break;
    case TESTDEV_EV_MODE:
        put_named(&o, "mode", mode_name(ev->code), ev->code);
        break;
    case TESTDEV_EV_FAIL:
        put_named(&o, "reason", fail_name(ev->code), ev->code);
        break;
    case TESTDEV_EV_ERROR:
        put_named(&o, "reason", error_name(ev->code), ev->code);
        if (nvalues == 2) {
            put_str(&o, " kind=");
            put_hex(&o, ev->values[0]);
            put_str(&o, " nargs=");
            put_dec(&o, (uint32_t)ev->values[1]);
        }
        nvalues = 0;
        break;
    default:
        break;
    }
    if (ev->kind != TESTDEV_EV_ERROR && nvalues > 0) {
        put_str(&o, " values=");
        for (unsigned i = 0; i < nvalues; i++) {
            if (i)
                put_char(&o, ',');
            put_hex(&o, ev->values[i]);
        }
    }
    if (ev->kind == TESTDEV_EV_LOG) {
        /* Last, so the text may hold spaces: it runs to the end of the line. */
        put_str(&o, " text=");
        for (unsigned i = 0; i < TESTDEV_LOG_MAX && ev->text[i]; i++) {
            char c = ev->text[i];
            put_char(&o, (c >= 0x20 && c <= 0x7E) ? c : '?');
        }
    }
    if (cap > 0)
        buf[o.len] = '\0';
    return o.len;
}
