/*
 * Protobuf wire format written by hand, for the saved-state units whose nanopb encoding
 * costs too much with VTL0 stopped (docs/saved-state.md, "The code"): nanopb
 * sizes every submessage with a pass of its own before writing it, and its field-table
 * walk is a long code path to run once per servicing under TCG. These write what nanopb
 * writes for proto3: fields in number order, a zero scalar left out, a present
 * submessage always written, repeated scalars packed. Each user checks its bytes against
 * nanopb's in its unit test.
 */
#ifndef MEZZ_LIB_PB_WRITE_H
#define MEZZ_LIB_PB_WRITE_H

#include <stddef.h>
#include <stdint.h>

#define PB_WIRE_VARINT 0u
#define PB_WIRE_LEN    2u
#define PB_KEY(tag, wire) (((uint32_t)(tag) << 3) | (wire))

static inline size_t pb_varint_len(uint64_t v)
{
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

/* A scalar field: its key and value, or nothing for zero (proto3's default). */
static inline size_t pb_scalar_len(uint32_t key, uint64_t v)
{
    return v ? pb_varint_len(key) + pb_varint_len(v) : 0;
}

/* A length-delimited field of n bytes: written whatever n is. */
static inline size_t pb_nested_len(uint32_t key, size_t n)
{
    return pb_varint_len(key) + pb_varint_len(n) + n;
}

static inline uint8_t *pb_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

static inline uint8_t *pb_put_scalar(uint8_t *p, uint32_t key, uint64_t v)
{
    return v ? pb_put_varint(pb_put_varint(p, key), v) : p;
}

/* The key and length of a length-delimited field; its n bytes follow. */
static inline uint8_t *pb_put_nested(uint8_t *p, uint32_t key, size_t n)
{
    return pb_put_varint(pb_put_varint(p, key), n);
}

/* A packed repeated uint64 field of n values, or nothing when n is 0. */
static inline uint8_t *pb_put_packed_u64(uint8_t *p, uint32_t key, const uint64_t *v, size_t n)
{
    if (n == 0)
        return p;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += pb_varint_len(v[i]);
    p = pb_put_nested(p, key, len);
    for (size_t i = 0; i < n; i++)
        p = pb_put_varint(p, v[i]);
    return p;
}

/* A bytes field, or nothing when empty. */
static inline uint8_t *pb_put_bytes(uint8_t *p, uint32_t key, const uint8_t *b, size_t n)
{
    if (n == 0)
        return p;
    p = pb_put_nested(p, key, n);
    for (size_t i = 0; i < n; i++)
        *p++ = b[i];
    return p;
}

#endif
