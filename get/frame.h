/*
 * Byte-stream framing for the GET and diag UARTs (SPEC section 4; docs/get.md):
 *
 *   +0 u16 sync   FRAME_SYNC (bytes 0x4D 0x7A, "Mz")
 *   +2 u16 length payload bytes, 1..max_payload
 *   +4 u32 crc32c CRC-32C (Castagnoli) of the payload
 *   +8 payload
 *
 * A serial line keeps no message boundaries, so the receiver hunts for the sync word,
 * checks the length against its limit and the CRC, and on any defect drops one byte and
 * hunts again (so a good frame hidden inside a bad one is still found). A partial frame
 * that gets no byte for idle_us is dropped (the sender died or a length was corrupted
 * upward). Every defect is counted. Pure: time is an input.
 */
#ifndef MEZZ_GET_FRAME_H
#define MEZZ_GET_FRAME_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/crc32c.h"

#define FRAME_SYNC       0x7A4Du
#define FRAME_HDR_SIZE   8u
#define FRAME_MAX_PAYLOAD 12288u   /* = GET_MAX_MESSAGE_SIZE */

struct frame_header {
    uint16_t sync;     /* +0 */
    uint16_t length;   /* +2 */
    uint32_t crc32c;   /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct frame_header, FRAME_HDR_SIZE);
STATIC_ASSERT_OFFSET(struct frame_header, length, 2);
STATIC_ASSERT_OFFSET(struct frame_header, crc32c, 4);


/* Writes header + payload into out (cap bytes). Returns the frame length, or 0 if the
 * payload is empty, over FRAME_MAX_PAYLOAD, or does not fit. */
size_t frame_encode(void *out, size_t cap, const void *payload, size_t len);
/* Writes only the header for a payload (for senders that stream the payload). */
void frame_header_for(struct frame_header *hdr, const void *payload, size_t len);

struct frame_rx_stats {
    uint64_t frames;         /* good frames delivered */
    uint64_t bytes;          /* bytes received */
    uint64_t sync_skipped;   /* bytes dropped while hunting for a sync word */
    uint64_t bad_length;     /* headers with length 0 or over the limit */
    uint64_t bad_crc;        /* whole frames whose CRC did not match */
    uint64_t stalled;        /* partial frames dropped after idle_us without a byte */
    uint64_t resets;         /* frame_rx_reset calls (channel re-established) */
};

struct frame_rx {
    size_t max_payload;
    uint64_t idle_us;
    uint64_t last_byte_us;
    size_t start, end;       /* unconsumed bytes are buf[start, end) */
    size_t deliver;          /* bytes of the frame last returned, dropped on the next call */
    struct frame_rx_stats stats;
    uint8_t buf[2 * (FRAME_HDR_SIZE + FRAME_MAX_PAYLOAD)];
};

void frame_rx_init(struct frame_rx *rx, size_t max_payload, uint64_t idle_us);
/* Drops any partial input (used when the channel is re-established). */
void frame_rx_reset(struct frame_rx *rx);
/* Appends one received byte at time now_us. */
void frame_rx_put(struct frame_rx *rx, uint8_t byte, uint64_t now_us);
/*
 * Returns the length of the next good frame and points *payload at it (valid until the
 * next frame_rx_* call), or 0 if more bytes are needed. Call it after every put until it
 * returns 0: one byte can complete more than one frame after a resync.
 */
size_t frame_rx_next(struct frame_rx *rx, const uint8_t **payload);
/* Drops a stale partial frame if no byte came for idle_us. True if it dropped one. */
bool frame_rx_tick(struct frame_rx *rx, uint64_t now_us);

#endif
