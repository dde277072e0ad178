/*
 * The GET transport interface: whole messages in, whole messages out. The client never
 * sees bytes, frames or ports, so a faster transport (shared-memory rings) can replace
 * the UART one without touching it (SPEC section 4).
 */
#ifndef MEZZ_GET_TRANSPORT_H
#define MEZZ_GET_TRANSPORT_H

#include <stdint.h>
#include <stddef.h>

struct get_transport_ops {
    /* Sends one message. Returns 0 or a negative errno (-EIO: the line took nothing). */
    int (*send)(void *ctx, const void *msg, size_t len);
    /* Returns the next whole received message (pointer valid until the next call into
     * the transport), or 0 if none is complete. Never blocks. */
    size_t (*recv)(void *ctx, const uint8_t **msg, uint64_t now_us);
    /* Drops partial input: the channel is being re-established. */
    void (*reset)(void *ctx);
};

struct get_transport {
    const struct get_transport_ops *ops;
    void *ctx;
};

#endif
