/*
 * libFuzzer target: the GET decoder and everything that parses host bytes after it.
 * Each input is one host message: it goes through get_peek_header, get_decode for every
 * known message kind, the DPS JSON parser on its tail, and the client's dispatch (via a
 * one-message transport), which must never crash, read out of bounds or loop.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "get/client.h"
#include "get/codec.h"
#include "get/dps.h"

static const uint8_t *pending;
static size_t pending_len;
static uint64_t clock_us;

static int t_send(void *ctx, const void *m, size_t n) { (void)ctx; (void)m; (void)n; return 0; }
static size_t t_recv(void *ctx, const uint8_t **m, uint64_t now)
{
    (void)ctx;
    (void)now;
    size_t n = pending_len;
    *m = pending;
    pending_len = 0;
    return n;
}
static void t_reset(void *ctx) { (void)ctx; }
static uint64_t t_now(void *ctx) { (void)ctx; return clock_us += 500000; }

static const struct get_transport_ops tops = { t_send, t_recv, t_reset };
static const struct get_client_ops cops = { t_now, NULL, NULL, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t out[GET_MAX_MESSAGE_SIZE];
    struct get_header h;
    (void)get_peek_header(data, size, &h);
    size_t count;
    const struct get_msg_desc *t = get_msg_table(&count);
    for (size_t i = 0; i < count; i++) {
        size_t tail = 0;
        if (get_decode(data, size, t[i].type, t[i].id, out, t[i].size, &tail) == 0 &&
            tail <= size)
            (void)dps_parse((const char *)data + t[i].size, tail, &(struct dps){ 0 });
    }
    (void)dps_parse((const char *)data, size, &(struct dps){ 0 });

    /* The client, with one request in flight, fed this message. */
    static struct get_client c;
    get_client_init(&c, (struct get_transport){ &tops, NULL }, &cops);
    c.state = GET_CHAN_UP;
    c.version = GET_VERSION_NICKEL_REV2;
    static uint8_t dps_buf[16384];
    struct get_req r;
    get_req_dps(&r, dps_buf, sizeof(dps_buf));
    get_client_submit(&c, &r);
    get_client_poll(&c);
    pending = data;
    pending_len = size;
    c.negotiate_timeout_us = 1;
    get_client_poll(&c);
    return 0;
}
