/* Unit tests for get/transport_ring.c: the test plays the host in plain memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "get/ring.h"
#include "get/transport_ring.h"

#define SMALL 4096u   /* the smallest data area that holds a 1024-byte payload */
#define MAXP  1024u

struct fixture {
    uint8_t to_host[RING_DATA_OFFSET + SMALL] __attribute__((aligned(64)));
    uint8_t to_guest[RING_DATA_OFFSET + SMALL] __attribute__((aligned(64)));
    uint64_t now;
    unsigned doorbells_out;
    size_t doorbells_pending;
    uint32_t host_write;    /* the host's own index into to_guest */
    uint32_t host_read;     /* the host's own index into to_host */
    struct ring_transport rt;
    struct get_transport t;
};

static struct fixture *fx;

static void ring_bell(void *ctx) { ((struct fixture *)ctx)->doorbells_out++; }
static size_t take_bells(void *ctx)
{
    struct fixture *f = ctx;
    size_t n = f->doorbells_pending;
    f->doorbells_pending = 0;
    return n;
}
static uint64_t clock_us(void *ctx) { return ((struct fixture *)ctx)->now; }
static void idle_step(void *ctx) { ((struct fixture *)ctx)->now += 1000; }

static struct ring_control *ctl(uint8_t *mem) { return (struct ring_control *)mem; }

static void host_bytes(uint32_t index, const void *src, uint32_t len)
{
    const uint8_t *in = src;
    for (uint32_t i = 0; i < len; i++)
        fx->to_guest[RING_DATA_OFFSET + ((index + i) & (SMALL - 1))] = in[i];
}

/* Writes a packet at the host's index without publishing; returns its size. */
static uint32_t host_stage(const void *payload, uint32_t len, uint32_t start_field, uint32_t len_field)
{
    struct ring_packet_header h = { .length = len_field, .start = start_field };
    uint32_t pad = ALIGN_UP(len, 8u);
    struct ring_packet_trailer t = { .check = start_field ^ RING_TRAILER_XOR, .length = len_field };
    host_bytes(fx->host_write, &h, 8);
    host_bytes(fx->host_write + 8, payload, len);
    host_bytes(fx->host_write + 8 + pad, &t, 8);
    return 16 + pad;
}

static void host_send(const void *payload, uint32_t len)
{
    fx->host_write += host_stage(payload, len, fx->host_write, len);
    ctl(fx->to_guest)->write_index = fx->host_write;
    fx->doorbells_pending++;
}

/* Host consumer: reads one packet from to_host, checks it, returns its length. */
static uint32_t host_take(void *out)
{
    uint8_t *d = fx->to_host + RING_DATA_OFFSET;
    if (ctl(fx->to_host)->write_index == fx->host_read)
        return 0;
    struct ring_packet_header h;
    struct ring_packet_trailer t;
    uint8_t *o = out;
    for (uint32_t i = 0; i < 8; i++)
        ((uint8_t *)&h)[i] = d[(fx->host_read + i) & (SMALL - 1)];
    assert_int_equal(h.start, fx->host_read);
    for (uint32_t i = 0; i < h.length; i++)
        o[i] = d[(fx->host_read + 8 + i) & (SMALL - 1)];
    uint32_t pad = ALIGN_UP(h.length, 8u);
    for (uint32_t i = 0; i < 8; i++)
        ((uint8_t *)&t)[i] = d[(fx->host_read + 8 + pad + i) & (SMALL - 1)];
    assert_int_equal(t.check, h.start ^ RING_TRAILER_XOR);
    assert_int_equal(t.length, h.length);
    fx->host_read += 16 + pad;
    ctl(fx->to_host)->read_index = fx->host_read;
    return h.length;
}

static int setup(void **state)
{
    (void)state;
    fx = calloc(1, sizeof(*fx));
    memset(fx->to_host, 0xEE, sizeof(fx->to_host));
    memset(fx->to_guest, 0xEE, sizeof(fx->to_guest));
    const struct ring_transport_ops ops = { .doorbell = ring_bell, .take_doorbells = take_bells,
                                            .now_us = clock_us, .idle = idle_step, .ctx = fx };
    assert_int_equal(ring_transport_init(&fx->rt, fx->to_host, SMALL, fx->to_guest, SMALL, MAXP, &ops), 0);
    fx->t = ring_transport_iface(&fx->rt);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(fx);
    return 0;
}

static size_t recv1(const uint8_t **m) { return fx->t.ops->recv(fx->t.ctx, m, fx->now); }

static void test_init_checks(void **state)
{
    (void)state;
    struct ring_transport rt;
    const struct ring_transport_ops ops = { .now_us = clock_us, .ctx = fx };
    assert_int_equal(ring_transport_init(&rt, fx->to_host, 3000, fx->to_guest, SMALL, MAXP, &ops), -EINVAL);
    assert_int_equal(ring_transport_init(&rt, fx->to_host, SMALL, fx->to_guest, 1024, MAXP, &ops), -EINVAL);
    assert_int_equal(ring_transport_init(&rt, fx->to_host, SMALL, fx->to_guest, SMALL, 0, &ops), -EINVAL);
    assert_int_equal(ctl(fx->to_host)->magic, RING_MAGIC);
    assert_int_equal(ctl(fx->to_host)->data_size, SMALL);
    assert_int_equal(ctl(fx->to_guest)->write_index, 0);
}

/* Servicing: a new instance takes the rings over where the old one stopped; the host
 * notices nothing. Control pages that do not show those indices are refused. */
static void test_resume_continues_indices(void **state)
{
    (void)state;
    uint8_t msg[100], back[100];
    const uint8_t *m;
    memset(msg, 0x42, sizeof(msg));
    for (unsigned i = 0; i < 50; i++) {      /* the old instance's traffic, wrapping */
        host_send(msg, sizeof(msg));
        assert_int_equal(recv1(&m), sizeof(msg));
        assert_int_equal(fx->t.ops->send(fx->t.ctx, msg, sizeof(msg)), 0);
        assert_int_equal(host_take(back), sizeof(msg));
    }
    uint32_t tx = fx->rt.tx.own_index, rx = fx->rt.rx.own_index;
    assert_true(tx > SMALL && rx > SMALL);
    const struct ring_transport_ops ops = { .doorbell = ring_bell, .take_doorbells = take_bells,
                                            .now_us = clock_us, .idle = idle_step, .ctx = fx };
    struct ring_transport *rt = calloc(1, sizeof(*rt));
    /* Indices that are not where the control pages say: stale, nothing written. */
    assert_int_equal(ring_transport_resume(rt, fx->to_host, SMALL, fx->to_guest, SMALL, MAXP, &ops, tx + 8, rx),
                     -ESTALE);
    assert_int_equal(ring_transport_resume(rt, fx->to_host, SMALL, fx->to_guest, SMALL, MAXP, &ops, tx, rx - 8),
                     -ESTALE);
    assert_int_equal(ring_transport_resume(rt, fx->to_host, SMALL, fx->to_guest, 2 * SMALL, MAXP, &ops, tx, rx),
                     -ESTALE);
    assert_int_equal(ring_transport_resume(rt, fx->to_host, 3000, fx->to_guest, SMALL, MAXP, &ops, tx, rx),
                     -EINVAL);
    assert_int_equal(ctl(fx->to_host)->write_index, tx);
    assert_int_equal(ctl(fx->to_guest)->read_index, rx);
    /* Where the old one stopped: both directions go on. */
    assert_int_equal(ring_transport_resume(rt, fx->to_host, SMALL, fx->to_guest, SMALL, MAXP, &ops, tx, rx), 0);
    struct get_transport t = ring_transport_iface(rt);
    host_send(msg, 10);
    assert_int_equal(t.ops->recv(t.ctx, &m, fx->now), 10);
    assert_int_equal(t.ops->send(t.ctx, msg, 20), 0);
    assert_int_equal(host_take(back), 20);
    assert_int_equal(rt->stats.resyncs + rt->stats.bad_start + rt->stats.bad_index, 0);
    free(rt);
}

static void test_round_trip_with_wrap(void **state)
{
    (void)state;
    uint8_t msg[MAXP], back[MAXP];
    const uint8_t *m;
    for (unsigned i = 0; i < 200; i++) {
        uint32_t len = 1 + (i * 37) % MAXP;
        for (uint32_t j = 0; j < len; j++)
            msg[j] = (uint8_t)(i + j * 7);
        host_send(msg, len);
        assert_int_equal(recv1(&m), len);
        assert_memory_equal(m, msg, len);
        assert_int_equal(fx->t.ops->send(fx->t.ctx, msg, len), 0);
        assert_int_equal(host_take(back), len);
        assert_memory_equal(back, msg, len);
    }
    assert_int_equal(recv1(&m), 0);
    assert_true(fx->host_write > 4 * SMALL);           /* wrapped several times */
    assert_int_equal(fx->rt.stats.rx_packets, 200);
    assert_int_equal(fx->rt.stats.tx_packets, 200);
    assert_int_equal(fx->rt.stats.doorbells_in, 200);
    assert_int_equal(fx->doorbells_out, 200);
    assert_int_equal(ctl(fx->to_guest)->read_index, fx->host_write);
    assert_int_equal(fx->rt.stats.resyncs, 0);
}

static void test_several_packets_keep_boundaries(void **state)
{
    (void)state;
    const uint8_t *m;
    host_send("one", 3);
    host_send("three", 5);
    assert_int_equal(recv1(&m), 3);
    assert_memory_equal(m, "one", 3);
    assert_int_equal(recv1(&m), 5);
    assert_memory_equal(m, "three", 5);
    assert_int_equal(recv1(&m), 0);
}

static void test_back_pressure_when_host_stops(void **state)
{
    (void)state;
    uint8_t msg[MAXP] = { 0 }, back[MAXP];
    int sent = 0;
    while (fx->t.ops->send(fx->t.ctx, msg, MAXP) == 0)
        sent++;
    assert_int_equal(sent, SMALL / RING_PACKET_BYTES(MAXP));
    assert_int_equal(fx->rt.stats.tx_full, 1);
    assert_true(fx->now >= RING_TX_WAIT_US);
    /* Nothing was overwritten: every packet is still there, intact. */
    for (int i = 0; i < sent; i++)
        assert_int_equal(host_take(back), MAXP);
    assert_int_equal(fx->t.ops->send(fx->t.ctx, "x", 1), 0);
    assert_int_equal(host_take(back), 1);
}

static void test_write_index_out_of_range(void **state)
{
    (void)state;
    const uint8_t *m;
    ctl(fx->to_guest)->write_index = SMALL + 8;          /* more than a ring ahead */
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_index, 1);
    assert_int_equal(ctl(fx->to_guest)->read_index, SMALL + 8);
    fx->host_write = SMALL + 8;                          /* the host carries on from there */
    host_send("ok", 2);
    assert_int_equal(recv1(&m), 2);
    assert_memory_equal(m, "ok", 2);
}

static void test_producer_rewinds(void **state)
{
    (void)state;
    const uint8_t *m;
    host_send("first", 5);
    host_send("second", 6);
    assert_int_equal(recv1(&m), 5);
    assert_int_equal(recv1(&m), 6);
    fx->host_write = 0;                                  /* rewinds and writes again */
    host_send("again", 5);
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_index, 1);         /* write index behind read index */
    host_send("after", 5);
    assert_int_equal(recv1(&m), 5);
    assert_memory_equal(m, "after", 5);
}

static void test_length_larger_than_ring(void **state)
{
    (void)state;
    const uint8_t *m;
    uint32_t n = host_stage("abcd", 4, 0, 0x7FFFFFF0u);
    fx->host_write += n;
    ctl(fx->to_guest)->write_index = fx->host_write;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_length, 1);
    n = host_stage("abcd", 4, fx->host_write, MAXP + 1);  /* over the payload limit */
    fx->host_write += n;
    ctl(fx->to_guest)->write_index = fx->host_write;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_length, 2);
    host_send("good", 4);
    assert_int_equal(recv1(&m), 4);
}

static void test_torn_packet_times_out(void **state)
{
    (void)state;
    const uint8_t *m;
    uint8_t big[512];
    memset(big, 0x42, sizeof(big));
    uint32_t n = host_stage(big, sizeof(big), 0, sizeof(big));
    ctl(fx->to_guest)->write_index = 100;                /* published only partly */
    assert_int_equal(recv1(&m), 0);
    fx->now += RING_TORN_TIMEOUT_US / 2;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.torn, 0);
    fx->now += RING_TORN_TIMEOUT_US;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.torn, 1);
    /* The host completes it late: the tail is not a packet, and is skipped. */
    fx->host_write = n;
    ctl(fx->to_guest)->write_index = n;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_start, 1);
    host_send("next", 4);
    assert_int_equal(recv1(&m), 4);
    assert_memory_equal(m, "next", 4);
}

static void test_bad_trailer_and_start(void **state)
{
    (void)state;
    const uint8_t *m;
    uint32_t n = host_stage("data", 4, fx->host_write, 4);
    fx->to_guest[RING_DATA_OFFSET + 16] ^= 1;            /* the trailer's check */
    fx->host_write += n;
    ctl(fx->to_guest)->write_index = fx->host_write;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_trailer, 1);
    n = host_stage("data", 4, fx->host_write + 8, 4);     /* a duplicate of a later slot */
    fx->host_write += n;
    ctl(fx->to_guest)->write_index = fx->host_write;
    assert_int_equal(recv1(&m), 0);
    assert_int_equal(fx->rt.stats.bad_start, 1);
    assert_int_equal(fx->rt.stats.resyncs, 2);
}

static void test_host_read_index_impossible(void **state)
{
    (void)state;
    uint8_t back[MAXP];
    assert_int_equal(fx->t.ops->send(fx->t.ctx, "a", 1), 0);
    ctl(fx->to_host)->read_index = 1000;                 /* more than was written */
    assert_int_equal(fx->t.ops->send(fx->t.ctx, "b", 1), -EPIPE);
    assert_int_equal(fx->t.ops->send(fx->t.ctx, "b", 1), -EPIPE);
    assert_int_equal(fx->rt.stats.tx_bad_index, 1);
    /* Re-establishing re-bases on the host's reader. */
    fx->t.ops->reset(fx->t.ctx);
    fx->host_read = 1000;
    assert_int_equal(fx->t.ops->send(fx->t.ctx, "c", 1), 0);
    assert_int_equal(host_take(back), 1);
    assert_int_equal(back[0], 'c');
}

/* A bring-up transport that answers the offer as told. */
struct bringup {
    uint8_t sent[64];
    size_t sent_len;
    uint8_t answers[2][16];
    size_t answer_len[2];
    unsigned next;
};

static int bu_send(void *ctx, const void *msg, size_t len)
{
    struct bringup *b = ctx;
    memcpy(b->sent, msg, len);
    b->sent_len = len;
    return 0;
}

static size_t bu_recv(void *ctx, const uint8_t **msg, uint64_t now)
{
    (void)now;
    struct bringup *b = ctx;
    if (b->next >= 2 || b->answer_len[b->next] == 0)
        return 0;
    *msg = b->answers[b->next];
    return b->answer_len[b->next++];
}

static void bu_reset(void *ctx) { (void)ctx; }

static const struct get_transport_ops bu_ops = { .send = bu_send, .recv = bu_recv, .reset = bu_reset };

static void test_offer_and_answers(void **state)
{
    (void)state;
    static const uint8_t hdr[4] = { 1, 1, 0x01, 0x80 };
    static const uint8_t ans[4] = { 1, 2, 0x01, 0x80 };
    struct ring_offer offer;
    ring_offer_build(&offer, hdr, &fx->rt, 0x1000000, 0x1010000);
    assert_memory_equal(&offer, hdr, 4);
    assert_int_equal(offer.to_host_size, SMALL);
    assert_int_equal(offer.max_payload, MAXP);

    struct bringup b = { 0 };
    struct get_transport t = { .ops = &bu_ops, .ctx = &b };
    const struct ring_transport_ops ops = { .now_us = clock_us, .idle = idle_step, .ctx = fx };
    uint64_t dropped = 0;
    /* Something else first (dropped), then the acceptance. */
    memcpy(b.answers[0], "\x01\x02\x00\x00zzzz", 8);
    b.answer_len[0] = 8;
    struct ring_answer a = { .status = RING_ANSWER_ACCEPT };
    memcpy(a.channel_header, ans, 4);
    memcpy(b.answers[1], &a, 8);
    b.answer_len[1] = 8;
    assert_int_equal(ring_negotiate(&t, &offer, ans, 1000000, &ops, &dropped), 0);
    assert_int_equal(b.sent_len, sizeof(offer));
    assert_int_equal(dropped, 1);

    b.next = 0;
    a.status = RING_ANSWER_REFUSE;
    memcpy(b.answers[0], &a, 8);
    assert_int_equal(ring_negotiate(&t, &offer, ans, 1000000, &ops, &dropped), -ECONNREFUSED);
    b.next = 0;
    a.status = 7;
    memcpy(b.answers[0], &a, 8);
    assert_int_equal(ring_negotiate(&t, &offer, ans, 1000000, &ops, &dropped), -EBADMSG);
    b.next = 2;
    assert_int_equal(ring_negotiate(&t, &offer, ans, 1000000, &ops, &dropped), -ETIMEDOUT);
    assert_int_equal(ring_answer_parse(b.answers[0], 5, ans), -EBADMSG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_init_checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_with_wrap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resume_continues_indices, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_packets_keep_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_back_pressure_when_host_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_write_index_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(test_producer_rewinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_length_larger_than_ring, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_packet_times_out, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_trailer_and_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_read_index_impossible, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offer_and_answers, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
