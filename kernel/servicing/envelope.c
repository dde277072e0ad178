/* The saved-state envelope; see envelope.h and docs/saved-state.md. */
#include "kernel/servicing/envelope.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "pb_decode.h"
#include "pb_encode.h"
#include "servicing.pb.h"
#include "state_unit.pb.h"

/* The largest entry header: the units tag and length, the name, the Any tag and length,
 * the type URL and the value's tag and length (varints at most 10 bytes each). */
#define ENTRY_HEADER_MAX (1 + 10 + 1 + 1 + STATE_UNIT_NAME_MAX + 1 + 10 + 1 + 2 + \
                          STATE_TYPE_URL_MAX + 1 + 10)

static int fail(struct state_error *e, int err, const char *what, const char *unit, size_t n)
{
    e->err = err;
    e->what = what;
    if (n > STATE_UNIT_NAME_MAX)
        n = STATE_UNIT_NAME_MAX;
    if (unit)
        memcpy(e->unit, unit, n);
    e->unit[unit ? n : 0] = '\0';
    return err;
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x21 || s[i] > 0x7E)
            return false;
    }
    return true;
}

static bool name_ok(const char *s, size_t n)
{
    return n != 0 && n <= STATE_UNIT_NAME_MAX && printable(s, n);
}

static bool type_url_ok(const char *s, size_t n)
{
    size_t prefix = sizeof(STATE_TYPE_URL_PREFIX) - 1;
    return n > prefix && n <= STATE_TYPE_URL_MAX && memcmp(s, STATE_TYPE_URL_PREFIX, prefix) == 0 &&
           printable(s, n);
}

/* ---- encoding ------------------------------------------------------------------------ */

static size_t varint_size(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* The header of an entry whose value is value_len bytes, in out[0, ENTRY_HEADER_MAX). */
static bool entry_header(pb_ostream_t *out, const char *name, size_t name_len, const char *type_url,
                         size_t type_url_len, size_t value_len)
{
    /* As protobuf (and mesh) do, an empty value is left out: the state of a unit whose
     * fields are all default is then the same bytes whoever encodes it. */
    size_t value_field = value_len ? 1 + varint_size(value_len) + value_len : 0;
    size_t any_len = 1 + varint_size(type_url_len) + type_url_len + value_field;
    size_t unit_len = 1 + varint_size(name_len) + name_len + 1 + varint_size(any_len) + any_len;
    return pb_encode_tag(out, PB_WT_STRING, mezzanine_servicing_ServicingState_units_tag) &&
           pb_encode_varint(out, unit_len) &&
           pb_encode_tag(out, PB_WT_STRING, state_unit_SavedStateUnit_name_tag) &&
           pb_encode_string(out, (const pb_byte_t *)name, name_len) &&
           pb_encode_tag(out, PB_WT_STRING, state_unit_SavedStateUnit_state_tag) &&
           pb_encode_varint(out, any_len) &&
           pb_encode_tag(out, PB_WT_STRING, google_protobuf_Any_type_url_tag) &&
           pb_encode_string(out, (const pb_byte_t *)type_url, type_url_len) &&
           (value_len == 0 || (pb_encode_tag(out, PB_WT_STRING, google_protobuf_Any_value_tag) &&
                               pb_encode_varint(out, value_len)));
}

/* The size of the header of an entry whose value is value_len bytes. */
static size_t entry_header_size(const char *name, const char *type_url, size_t value_len)
{
    pb_ostream_t sizing = PB_OSTREAM_SIZING;
    if (!entry_header(&sizing, name, strlen(name), type_url, strlen(type_url), value_len))
        return SIZE_MAX;
    return sizing.bytes_written;
}

/* The value is already at buf[reserve, reserve + value_len): put the header before it. */
static int finish_entry(const char *name, const char *type_url, uint8_t *buf, size_t reserve,
                        size_t value_len, size_t *len)
{
    uint8_t header[ENTRY_HEADER_MAX];
    pb_ostream_t out = pb_ostream_from_buffer(header, sizeof(header));
    if (!entry_header(&out, name, strlen(name), type_url, strlen(type_url), value_len))
        return -EINVAL;
    memmove(buf + out.bytes_written, buf + reserve, value_len);
    memcpy(buf, header, out.bytes_written);
    *len = out.bytes_written + value_len;
    return 0;
}

int state_encode_entry(const char *name, const char *type_url, const uint8_t *value,
                       size_t value_len, uint8_t *buf, size_t cap, size_t *len)
{
    if (!name_ok(name, strlen(name)) || !type_url_ok(type_url, strlen(type_url)))
        return -EINVAL;
    uint8_t header[ENTRY_HEADER_MAX];
    pb_ostream_t out = pb_ostream_from_buffer(header, sizeof(header));
    if (!entry_header(&out, name, strlen(name), type_url, strlen(type_url), value_len))
        return -EINVAL;
    if (out.bytes_written > cap || value_len > cap - out.bytes_written)
        return -ENOSPC;
    if (value_len)
        memmove(buf + out.bytes_written, value, value_len);
    memcpy(buf, header, out.bytes_written);
    *len = out.bytes_written + value_len;
    return 0;
}

void state_writer_init(struct state_writer *w, uint8_t *buf, size_t cap)
{
    *w = (struct state_writer){ .buf = buf, .cap = cap, .len = 0 };
}

int state_writer_add(struct state_writer *w, const char *name, const char *type_url,
                     const uint8_t *value, size_t len)
{
    size_t entry_len = 0;
    int err = state_encode_entry(name, type_url, value, len, w->buf + w->len, w->cap - w->len,
                                 &entry_len);
    if (err)
        return err;
    w->len += entry_len;
    return 0;
}

int state_save(const struct state_unit *units, size_t count, uint8_t *buf, size_t cap,
               size_t *len, struct state_error *e)
{
    size_t pos = 0;
    fail(e, 0, "ok", NULL, 0);
    for (size_t i = 0; i < count; i++) {
        const struct state_unit *u = &units[i];
        size_t name_len = strlen(u->name);
        if (!name_ok(u->name, name_len))
            return fail(e, -EINVAL, "unit name not valid", u->name, name_len);
        if (!type_url_ok(u->type_url, strlen(u->type_url)))
            return fail(e, -EINVAL, "type URL not valid", u->name, name_len);
        /* The unit saves after room for its header as it would be with a value filling all
         * the space left (headers only grow with the value); the header then goes just
         * before the value. So the blob needs at most a few bytes of slack (the varints of
         * two lengths), not a whole header's. */
        size_t reserve = entry_header_size(u->name, u->type_url, cap - pos);
        if (cap - pos < reserve)
            return fail(e, -ENOSPC, "blob full", u->name, name_len);
        size_t value_len = 0;
        int err = u->save(u->dev, buf + pos + reserve, cap - pos - reserve, &value_len);
        if (err)
            return fail(e, err, err == -ENOSPC ? "blob full" : "save failed", u->name, name_len);
        if (value_len > cap - pos - reserve)
            return fail(e, -EOVERFLOW, "save overran its buffer", u->name, name_len);
        size_t entry_len = 0;
        err = finish_entry(u->name, u->type_url, buf + pos, reserve, value_len, &entry_len);
        if (err)
            return fail(e, err, "entry not encodable", u->name, name_len);
        pos += entry_len;
    }
    *len = pos;
    return 0;
}

/* ---- parsing ------------------------------------------------------------------------- */

struct parse {
    uintptr_t blob_start, blob_end;  /* the blob: every field taken must lie inside */
    struct state_blob_unit *out;
    size_t max, count;
    struct state_blob_unit cur;     /* the entry being read */
    struct state_error *e;
    int err;                        /* set by a callback that refused */
};

/* A length-delimited field's bytes, left in the blob: the stream is a buffer stream
 * (PB_BUFFER_ONLY), whose state is the read position. nanopb hands a callback field that
 * arrives with a scalar wire type a stream over a copy on its own stack instead: such a
 * field is refused (the position is then not inside the blob). */
static bool take_bytes(const struct parse *p, pb_istream_t *stream, const uint8_t **ptr,
                       size_t *len)
{
    uintptr_t at = (uintptr_t)stream->state;
    if (at < p->blob_start || at > p->blob_end || stream->bytes_left > p->blob_end - at)
        return false;
    *ptr = (const uint8_t *)stream->state;
    *len = stream->bytes_left;
    return pb_read(stream, NULL, stream->bytes_left);
}

static bool on_name(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
    struct parse *p = *arg;
    (void)field;
    return take_bytes(p, stream, (const uint8_t **)&p->cur.name, &p->cur.name_len);
}

static bool on_type_url(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
    struct parse *p = *arg;
    (void)field;
    return take_bytes(p, stream, (const uint8_t **)&p->cur.type_url, &p->cur.type_url_len);
}

static bool on_value(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
    struct parse *p = *arg;
    (void)field;
    return take_bytes(p, stream, &p->cur.value, &p->cur.value_len);
}

static bool refuse(struct parse *p, int err, const char *what, const char *unit, size_t n)
{
    p->err = fail(p->e, err, what, unit, n);
    return false;
}

static bool on_unit(pb_istream_t *stream, const pb_field_t *field, void **arg)
{
    struct parse *p = *arg;
    state_unit_SavedStateUnit m = state_unit_SavedStateUnit_init_zero;
    (void)field;
    p->cur = (struct state_blob_unit){ 0 };
    m.name.funcs.decode = on_name;
    m.name.arg = p;
    m.state.type_url.funcs.decode = on_type_url;
    m.state.type_url.arg = p;
    m.state.value.funcs.decode = on_value;
    m.state.value.arg = p;
    if (!pb_decode(stream, state_unit_SavedStateUnit_fields, &m))
        return refuse(p, -EINVAL, "unit entry malformed", p->cur.name, p->cur.name_len);
    const struct state_blob_unit *u = &p->cur;
    if (!name_ok(u->name, u->name_len))
        return refuse(p, -EINVAL, "unit name not valid", u->name, u->name_len);
    if (!m.has_state)
        return refuse(p, -EINVAL, "unit has no state", u->name, u->name_len);
    if (!type_url_ok(u->type_url, u->type_url_len))
        return refuse(p, -EINVAL, "type URL not valid", u->name, u->name_len);
    for (size_t i = 0; i < p->count; i++) {
        if (p->out[i].name_len == u->name_len && memcmp(p->out[i].name, u->name, u->name_len) == 0)
            return refuse(p, -EEXIST, "unit appears twice", u->name, u->name_len);
    }
    if (p->count == p->max)
        return refuse(p, -E2BIG, "too many units", u->name, u->name_len);
    if (u->value == NULL)
        p->cur.value = (const uint8_t *)"";   /* an empty state: no value field */
    p->out[p->count++] = p->cur;
    return true;
}

int state_parse(const uint8_t *buf, size_t len, struct state_blob_unit *out, size_t max,
                size_t *count, struct state_error *e)
{
    struct parse p = { .blob_start = (uintptr_t)buf, .blob_end = (uintptr_t)buf + len,
                       .out = out, .max = max, .e = e };
    mezzanine_servicing_ServicingState root = mezzanine_servicing_ServicingState_init_zero;
    fail(e, 0, "ok", NULL, 0);
    root.units.funcs.decode = on_unit;
    root.units.arg = &p;
    pb_istream_t in = pb_istream_from_buffer(buf, len);
    if (!pb_decode(&in, mezzanine_servicing_ServicingState_fields, &root))
        return p.err ? p.err : fail(e, -EINVAL, "envelope malformed", NULL, 0);
    *count = p.count;
    return 0;
}

/* ---- restoring ----------------------------------------------------------------------- */

static const struct state_unit *find_unit(const struct state_unit *units, size_t count,
                                          const struct state_blob_unit *b)
{
    for (size_t i = 0; i < count; i++) {
        if (strlen(units[i].name) == b->name_len && memcmp(units[i].name, b->name, b->name_len) == 0)
            return &units[i];
    }
    return NULL;
}

int state_restore(const struct state_unit *units, size_t count, const uint8_t *buf, size_t len,
                  struct state_error *e)
{
    struct state_blob_unit blob[STATE_MAX_UNITS];
    size_t n = 0;
    int err = state_parse(buf, len, blob, STATE_MAX_UNITS, &n, e);
    if (err)
        return err;
    /* Every entry must be one of ours, of our type, before anything is restored. */
    for (size_t i = 0; i < n; i++) {
        const struct state_unit *u = find_unit(units, count, &blob[i]);
        if (!u)
            return fail(e, -ENOENT, "no such unit here", blob[i].name, blob[i].name_len);
        if (strlen(u->type_url) != blob[i].type_url_len ||
            memcmp(u->type_url, blob[i].type_url, blob[i].type_url_len) != 0)
            return fail(e, -EINVAL, "state is of another type", u->name, strlen(u->name));
    }
    for (size_t i = 0; i < count; i++) {
        const struct state_unit *u = &units[i];
        for (size_t j = 0; j < n; j++) {
            if (find_unit(u, 1, &blob[j]) != u)
                continue;
            err = u->restore(u->dev, blob[j].value, blob[j].value_len);
            if (err)
                return fail(e, err, err == -EINVAL ? "state refused" : "restore failed", u->name,
                            strlen(u->name));
        }
    }
    return 0;
}
