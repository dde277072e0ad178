/* Framing; see frame.h. The CRC is kernel/lib/crc32c.c. */
#include "get/frame.h"

#include <string.h>

void frame_header_for(struct frame_header *hdr, const void *payload, size_t len)
{
    hdr->sync = FRAME_SYNC;
    hdr->length = (uint16_t)len;
    hdr->crc32c = crc32c(0, payload, len);
}

size_t frame_encode(void *out, size_t cap, const void *payload, size_t len)
{
    if (len == 0 || len > FRAME_MAX_PAYLOAD || cap < FRAME_HDR_SIZE + len)
        return 0;
    struct frame_header hdr;
    frame_header_for(&hdr, payload, len);
    memcpy(out, &hdr, sizeof(hdr));
    memmove((uint8_t *)out + FRAME_HDR_SIZE, payload, len);
    return FRAME_HDR_SIZE + len;
}

void frame_rx_init(struct frame_rx *rx, size_t max_payload, uint64_t idle_us)
{
    memset(&rx->stats, 0, sizeof(rx->stats));
    if (max_payload == 0 || max_payload > FRAME_MAX_PAYLOAD)
        max_payload = FRAME_MAX_PAYLOAD;
    rx->max_payload = max_payload;
    rx->idle_us = idle_us;
    rx->last_byte_us = 0;
    rx->start = rx->end = rx->deliver = 0;
}

void frame_rx_reset(struct frame_rx *rx)
{
    rx->start = rx->end = rx->deliver = 0;
    rx->stats.resets++;
}

static void drop_delivered(struct frame_rx *rx)
{
    rx->start += rx->deliver;
    rx->deliver = 0;
    if (rx->start == rx->end)
        rx->start = rx->end = 0;
}

void frame_rx_put(struct frame_rx *rx, uint8_t byte, uint64_t now_us)
{
    drop_delivered(rx);
    if (rx->end == sizeof(rx->buf)) {
        /* Compact. Unconsumed bytes never exceed one frame plus one byte, because
         * frame_rx_next runs after every put and rejects over-long lengths early. */
        memmove(rx->buf, rx->buf + rx->start, rx->end - rx->start);
        rx->end -= rx->start;
        rx->start = 0;
    }
    rx->buf[rx->end++] = byte;
    rx->last_byte_us = now_us;
    rx->stats.bytes++;
}

size_t frame_rx_next(struct frame_rx *rx, const uint8_t **payload)
{
    drop_delivered(rx);
    for (;;) {
        size_t have = rx->end - rx->start;
        const uint8_t *p = rx->buf + rx->start;
        if (have == 0)
            return 0;
        if (p[0] != (FRAME_SYNC & 0xFF) || (have >= 2 && p[1] != (FRAME_SYNC >> 8))) {
            rx->start++;
            rx->stats.sync_skipped++;
            continue;
        }
        if (have < FRAME_HDR_SIZE)
            return 0;
        struct frame_header hdr;
        memcpy(&hdr, p, sizeof(hdr));
        if (hdr.length == 0 || hdr.length > rx->max_payload) {
            rx->stats.bad_length++;
            rx->start++;
            continue;
        }
        if (have < FRAME_HDR_SIZE + hdr.length)
            return 0;
        if (crc32c(0, p + FRAME_HDR_SIZE, hdr.length) != hdr.crc32c) {
            rx->stats.bad_crc++;
            rx->start++;
            continue;
        }
        rx->deliver = FRAME_HDR_SIZE + hdr.length;
        rx->stats.frames++;
        *payload = p + FRAME_HDR_SIZE;
        return hdr.length;
    }
}

bool frame_rx_tick(struct frame_rx *rx, uint64_t now_us)
{
    drop_delivered(rx);
    if (rx->end == rx->start || rx->idle_us == 0 || now_us - rx->last_byte_us < rx->idle_us)
        return false;
    rx->start = rx->end = 0;
    rx->stats.stalled++;
    return true;
}
