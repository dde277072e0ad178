/*
 * libFuzzer target: the ring transport with host-controlled ring memory. The input is a
 * script of host actions: write bytes anywhere in the host->guest ring (control page
 * and data), set either host-owned index to any value, move the clock, and let
 * Mezzanine receive, send or reset. The rings are heap blocks of exactly their size, so
 * AddressSanitizer catches any access outside them; every delivered packet must be
 * within the payload limit.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "get/transport_ring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define DATA_SIZE 4096u
#define MAXP 1024u

struct fuzz_env { uint64_t now; };

static void bell(void *ctx) { (void)ctx; }
static size_t bells(void *ctx) { (void)ctx; return 1; }
static uint64_t clock_us(void *ctx) { return ((struct fuzz_env *)ctx)->now; }
static void idle_step(void *ctx) { ((struct fuzz_env *)ctx)->now += 50000; }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_env env = { 0 };
    uint8_t *to_host = malloc(RING_DATA_OFFSET + DATA_SIZE);
    uint8_t *to_guest = malloc(RING_DATA_OFFSET + DATA_SIZE);
    struct ring_transport *rt = malloc(sizeof(*rt));
    const struct ring_transport_ops ops = { .doorbell = bell, .take_doorbells = bells,
                                            .now_us = clock_us, .idle = idle_step, .ctx = &env };
    if (ring_transport_init(rt, to_host, DATA_SIZE, to_guest, DATA_SIZE, MAXP, &ops) != 0)
        abort();
    struct get_transport t = ring_transport_iface(rt);
    struct ring_control *host_view = (struct ring_control *)to_guest;
    struct ring_control *tx_view = (struct ring_control *)to_host;
    size_t i = 0;
    while (i + 4 <= size) {
        uint8_t op = data[i];
        uint16_t arg;
        memcpy(&arg, data + i + 1, 2);
        uint8_t n = data[i + 3];
        i += 4;
        switch (op % 7) {
        case 0: {   /* host writes n bytes of the input into the data area at arg */
            size_t take = n < size - i ? n : size - i;
            for (size_t k = 0; k < take; k++)
                to_guest[RING_DATA_OFFSET + ((arg + k) % DATA_SIZE)] = data[i + k];
            i += take;
            break;
        }
        case 1: {   /* host sets its write index (arg scaled, sometimes wild) */
            uint32_t v = (n & 1) ? (uint32_t)arg * 65537u : host_view->write_index + arg % 2048;
            host_view->write_index = v;
            break;
        }
        case 2: {   /* host scribbles on the control pages, its size copy included */
            to_guest[arg % RING_DATA_OFFSET] = n;
            to_host[(arg >> 1) % RING_DATA_OFFSET] = n;
            break;
        }
        case 3: {
            const uint8_t *m;
            size_t len = t.ops->recv(t.ctx, &m, env.now);
            if (len > MAXP)
                abort();
            if (len && (m < rt->buf || m + len > rt->buf + sizeof(rt->buf)))
                abort();
            break;
        }
        case 4: {   /* Mezzanine sends n bytes */
            uint8_t msg[MAXP];
            memset(msg, n, sizeof(msg));
            (void)t.ops->send(t.ctx, msg, (size_t)n * 4 + (arg % 5));
            break;
        }
        case 5:     /* host consumer moves its read index anywhere */
            tx_view->read_index = (n & 1) ? (uint32_t)arg << (n % 17) : tx_view->write_index;
            break;
        default:
            env.now += (uint64_t)arg * 100;
            if (n & 1)
                t.ops->reset(t.ctx);
            break;
        }
    }
    free(rt);
    free(to_guest);
    free(to_host);
    return 0;
}
