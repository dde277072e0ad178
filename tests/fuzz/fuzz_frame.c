/*
 * libFuzzer target: the frame parser. The input is a byte stream (with a time step per
 * byte taken from the data); every frame delivered must have a matching CRC and a length
 * within the limit, and the buffer must never hold more than one frame.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "get/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct frame_rx rx;
    frame_rx_init(&rx, size > 0 && (data[0] & 1) ? 64 : FRAME_MAX_PAYLOAD, 1000);
    uint64_t now = 0;
    for (size_t i = 0; i < size; i++) {
        now += (data[i] == 0xFF) ? 5000 : 1;
        frame_rx_put(&rx, data[i], now);
        const uint8_t *p;
        size_t n;
        while ((n = frame_rx_next(&rx, &p)) > 0) {
            uint32_t crc;
            __builtin_memcpy(&crc, p - 4, 4);
            if (n > rx.max_payload || crc32c(0, p, n) != crc)
                abort();
        }
        if (rx.end - rx.start > FRAME_HDR_SIZE + FRAME_MAX_PAYLOAD + 1)
            abort();
        frame_rx_tick(&rx, now);
    }
    return 0;
}
