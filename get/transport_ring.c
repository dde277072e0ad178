/* GET transport over shared-memory rings; see transport_ring.h and get/ring.h. */
#include "get/transport_ring.h"

#include <errno.h>
#include <string.h>

/* The host runs on other CPUs: keep the compiler from moving ring accesses across the
 * index reads and writes. x86 keeps stores in order and loads in order (TSO), which is
 * all the protocol needs (VMBus relies on the same). */
#define ring_barrier() __asm__ volatile("" ::: "memory")

static bool is_pow2(uint32_t v) { return v && (v & (v - 1)) == 0; }

/* Header and trailer: volatile byte reads, so each field is read from the ring exactly
 * once and every check acts on the copy. */
static void copy_from_ring(const struct ring_view *r, uint32_t index, void *dst, uint32_t len)
{
    uint32_t pos = index & (r->size - 1);
    uint32_t first = r->size - pos < len ? r->size - pos : len;
    uint8_t *out = dst;
    for (uint32_t i = 0; i < first; i++)
        out[i] = r->data[pos + i];
    for (uint32_t i = first; i < len; i++)
        out[i] = r->data[i - first];
}

/* The payload: copied out once into the transport's own buffer, which is all anyone
 * reads afterwards, so a host changing the ring meanwhile changes nothing we act on
 * (the barrier before keeps the copy after the index read). memcpy, not the volatile
 * byte loop: under TCG that costs an emulated load per byte, tens of µs per 8 KiB
 * packet, most of a RESTORE's time (docs/benchmarks.md, issue 11). */
static void copy_payload_from_ring(const struct ring_view *r, uint32_t index, uint8_t *dst, uint32_t len)
{
    uint32_t pos = index & (r->size - 1);
    uint32_t first = r->size - pos < len ? r->size - pos : len;
    const uint8_t *data = (const uint8_t *)r->data;
    ring_barrier();
    memcpy(dst, data + pos, first);
    memcpy(dst + first, data, len - first);
    ring_barrier();
}

static void copy_to_ring(struct ring_view *r, uint32_t index, const void *src, uint32_t len)
{
    uint32_t pos = index & (r->size - 1);
    uint32_t first = r->size - pos < len ? r->size - pos : len;
    const uint8_t *in = src;
    memcpy((uint8_t *)r->data + pos, in, first);
    memcpy((uint8_t *)r->data, in + first, len - first);
}

static void view_init(struct ring_view *r, void *mem, uint32_t size)
{
    r->ctl = mem;
    r->data = (volatile uint8_t *)mem + RING_DATA_OFFSET;
    r->size = size;
    r->own_index = 0;
    r->ctl->magic = RING_MAGIC;
    r->ctl->data_size = size;
    r->ctl->write_index = 0;
    r->ctl->read_index = 0;
}

/* What init and resume share: the sizes checked, the state of a fresh transport. */
static int setup(struct ring_transport *rt, const void *to_host, uint32_t to_host_size,
                 const void *to_guest, uint32_t to_guest_size, size_t max_payload,
                 const struct ring_transport_ops *ops)
{
    if (!to_host || !to_guest || max_payload == 0 || max_payload > FRAME_MAX_PAYLOAD ||
        !is_pow2(to_host_size) || !is_pow2(to_guest_size) ||
        to_host_size < RING_PACKET_BYTES(max_payload) || to_guest_size < RING_PACKET_BYTES(max_payload))
        return -EINVAL;
    memset(&rt->stats, 0, sizeof(rt->stats));
    rt->ops = *ops;
    rt->max_payload = max_payload;
    rt->tx_broken = false;
    rt->waiting = false;
    rt->waiting_since_us = 0;
    return 0;
}

int ring_transport_init(struct ring_transport *rt, void *to_host, uint32_t to_host_size, void *to_guest,
                        uint32_t to_guest_size, size_t max_payload, const struct ring_transport_ops *ops)
{
    int err = setup(rt, to_host, to_host_size, to_guest, to_guest_size, max_payload, ops);
    if (err)
        return err;
    view_init(&rt->tx, to_host, to_host_size);
    view_init(&rt->rx, to_guest, to_guest_size);
    return 0;
}

/* A ring as an earlier Mezzanine left it: its control page must say so, and the index
 * this side owns must be where that instance said it stopped. */
static bool view_resume(struct ring_view *r, void *mem, uint32_t size, bool producer, uint32_t own_index)
{
    r->ctl = mem;
    r->data = (volatile uint8_t *)mem + RING_DATA_OFFSET;
    r->size = size;
    r->own_index = own_index;
    uint32_t shown = producer ? r->ctl->write_index : r->ctl->read_index;
    return r->ctl->magic == RING_MAGIC && r->ctl->data_size == size && shown == own_index;
}

int ring_transport_resume(struct ring_transport *rt, void *to_host, uint32_t to_host_size, void *to_guest,
                          uint32_t to_guest_size, size_t max_payload, const struct ring_transport_ops *ops,
                          uint32_t to_host_write, uint32_t to_guest_read)
{
    int err = setup(rt, to_host, to_host_size, to_guest, to_guest_size, max_payload, ops);
    if (err)
        return err;
    if (!view_resume(&rt->tx, to_host, to_host_size, true, to_host_write) ||
        !view_resume(&rt->rx, to_guest, to_guest_size, false, to_guest_read))
        return -ESTALE;
    return 0;
}

/* ---- consumer (host -> guest) -------------------------------------------------------- */

static void resync(struct ring_transport *rt, uint32_t host_write)
{
    rt->rx.own_index = host_write;
    rt->rx.ctl->read_index = host_write;
    rt->waiting = false;
    rt->stats.resyncs++;
}

/* An incomplete packet: wait for the host to finish it, but not forever. */
static size_t incomplete(struct ring_transport *rt, uint32_t host_write, uint64_t now_us)
{
    if (!rt->waiting) {
        rt->waiting = true;
        rt->waiting_since_us = now_us;
    } else if (now_us - rt->waiting_since_us >= RING_TORN_TIMEOUT_US) {
        rt->stats.torn++;
        resync(rt, host_write);
    }
    return 0;
}

static size_t rr_recv(void *ctx, const uint8_t **msg, uint64_t now_us)
{
    struct ring_transport *rt = ctx;
    struct ring_view *r = &rt->rx;
    uint32_t host_write = r->ctl->write_index;   /* read once: the host may change it */
    ring_barrier();
    uint32_t used = host_write - r->own_index;
    if (used == 0) {
        rt->waiting = false;
        return 0;
    }
    /* The host rings once per packet: drain its doorbells only when there is something
     * (each UART read is a port access, the dearest part of an idle poll). */
    if (rt->ops.take_doorbells)
        rt->stats.doorbells_in += rt->ops.take_doorbells(rt->ops.ctx);
    if (used > r->size) {
        rt->stats.bad_index++;
        resync(rt, host_write);
        return 0;
    }
    struct ring_packet_header hdr;
    if (used < sizeof(hdr))
        return incomplete(rt, host_write, now_us);
    copy_from_ring(r, r->own_index, &hdr, sizeof(hdr));
    if (hdr.start != r->own_index) {
        rt->stats.bad_start++;
        resync(rt, host_write);
        return 0;
    }
    if (hdr.length == 0 || hdr.length > rt->max_payload || RING_PACKET_BYTES(hdr.length) > r->size) {
        rt->stats.bad_length++;
        resync(rt, host_write);
        return 0;
    }
    uint32_t total = (uint32_t)RING_PACKET_BYTES(hdr.length);
    if (used < total)
        return incomplete(rt, host_write, now_us);
    uint32_t pad = ALIGN_UP(hdr.length, RING_PACKET_ALIGN);
    copy_payload_from_ring(r, r->own_index + (uint32_t)sizeof(hdr), rt->buf, hdr.length);
    struct ring_packet_trailer tr;
    copy_from_ring(r, r->own_index + (uint32_t)sizeof(hdr) + pad, &tr, sizeof(tr));
    if (tr.check != (hdr.start ^ RING_TRAILER_XOR) || tr.length != hdr.length) {
        rt->stats.bad_trailer++;
        resync(rt, host_write);
        return 0;
    }
    ring_barrier();
    r->own_index += total;
    r->ctl->read_index = r->own_index;
    rt->waiting = false;
    rt->stats.rx_packets++;
    rt->stats.rx_bytes += hdr.length;
    *msg = rt->buf;
    return hdr.length;
}

/* ---- producer (guest -> host) -------------------------------------------------------- */

/* Bytes the host has not consumed yet, or -1 if its read index is impossible. */
static int64_t tx_used(struct ring_transport *rt)
{
    uint32_t host_read = rt->tx.ctl->read_index;
    ring_barrier();
    uint32_t used = rt->tx.own_index - host_read;
    return used > rt->tx.size ? -1 : (int64_t)used;
}

static int rr_send(void *ctx, const void *msg, size_t len)
{
    struct ring_transport *rt = ctx;
    struct ring_view *r = &rt->tx;
    if (len == 0 || len > rt->max_payload || rt->tx_broken) {
        rt->stats.tx_errors++;
        return rt->tx_broken ? -EPIPE : -EMSGSIZE;
    }
    uint32_t total = (uint32_t)RING_PACKET_BYTES(len);
    uint64_t start_us = rt->ops.now_us(rt->ops.ctx);
    bool rang = false;
    for (;;) {
        int64_t used = tx_used(rt);
        if (used < 0) {
            rt->stats.tx_bad_index++;
            rt->stats.tx_errors++;
            rt->tx_broken = true;
            return -EPIPE;
        }
        if (r->size - (uint32_t)used >= total)
            break;
        if (!rang && rt->ops.doorbell) {   /* the host may have missed one */
            rt->ops.doorbell(rt->ops.ctx);
            rt->stats.doorbells_out++;
            rang = true;
        }
        if (rt->ops.now_us(rt->ops.ctx) - start_us >= RING_TX_WAIT_US) {
            rt->stats.tx_full++;
            return -EAGAIN;
        }
        if (rt->ops.idle)
            rt->ops.idle(rt->ops.ctx);
    }
    struct ring_packet_header hdr = { .length = (uint32_t)len, .start = r->own_index };
    struct ring_packet_trailer tr = { .check = r->own_index ^ RING_TRAILER_XOR, .length = (uint32_t)len };
    uint32_t pad = ALIGN_UP((uint32_t)len, RING_PACKET_ALIGN);
    static const uint8_t zeros[RING_PACKET_ALIGN];
    copy_to_ring(r, r->own_index, &hdr, sizeof(hdr));
    copy_to_ring(r, r->own_index + (uint32_t)sizeof(hdr), msg, (uint32_t)len);
    copy_to_ring(r, r->own_index + (uint32_t)sizeof(hdr) + (uint32_t)len, zeros, pad - (uint32_t)len);
    copy_to_ring(r, r->own_index + (uint32_t)sizeof(hdr) + pad, &tr, sizeof(tr));
    ring_barrier();
    r->own_index += total;
    r->ctl->write_index = r->own_index;
    rt->stats.tx_packets++;
    rt->stats.tx_bytes += len;
    if (rt->ops.doorbell) {
        rt->ops.doorbell(rt->ops.ctx);
        rt->stats.doorbells_out++;
    }
    return 0;
}

/* Re-establishing the channel: forget a half-seen packet, skip what the host left in
 * the ring, and take up the guest->host ring where the host's reader stands. */
static void rr_reset(void *ctx)
{
    struct ring_transport *rt = ctx;
    rt->stats.resets++;
    uint32_t host_write = rt->rx.ctl->write_index;
    rt->rx.own_index = host_write;
    rt->rx.ctl->read_index = host_write;
    rt->waiting = false;
    if (rt->tx_broken) {
        /* Any u32 is a safe index (positions are masked); the host reads from here on. */
        rt->tx.own_index = rt->tx.ctl->read_index;
        rt->tx.ctl->write_index = rt->tx.own_index;
        rt->tx_broken = false;
    }
}

static const struct get_transport_ops ring_transport_ops = {
    .send = rr_send, .recv = rr_recv, .reset = rr_reset,
};

struct get_transport ring_transport_iface(struct ring_transport *rt)
{
    return (struct get_transport){ .ops = &ring_transport_ops, .ctx = rt };
}

/* ---- offer and answer ---------------------------------------------------------------- */

void ring_offer_build(struct ring_offer *offer, const uint8_t channel_header[4], const struct ring_transport *rt,
                      uint64_t to_host_gpa, uint64_t to_guest_gpa)
{
    memset(offer, 0, sizeof(*offer));
    memcpy(offer->channel_header, channel_header, sizeof(offer->channel_header));
    offer->version = RING_OFFER_VERSION;
    offer->to_host_gpa = to_host_gpa;
    offer->to_guest_gpa = to_guest_gpa;
    offer->to_host_size = rt->tx.size;
    offer->to_guest_size = rt->rx.size;
    offer->data_offset = RING_DATA_OFFSET;
    offer->max_payload = (uint32_t)rt->max_payload;
}

int ring_answer_parse(const uint8_t *msg, size_t len, const uint8_t answer_header[4])
{
    struct ring_answer a;
    if (len < sizeof(a.channel_header) || memcmp(msg, answer_header, sizeof(a.channel_header)) != 0)
        return -ENOMSG;
    if (len != sizeof(a))
        return -EBADMSG;
    memcpy(&a, msg, sizeof(a));
    if (a.status != RING_ANSWER_ACCEPT && a.status != RING_ANSWER_REFUSE)
        return -EBADMSG;
    return (int)a.status;
}

int ring_negotiate(struct get_transport *bringup, const struct ring_offer *offer,
                   const uint8_t answer_header[4], uint64_t timeout_us,
                   const struct ring_transport_ops *ops, uint64_t *dropped)
{
    int err = bringup->ops->send(bringup->ctx, offer, sizeof(*offer));
    if (err)
        return err;
    uint64_t start = ops->now_us(ops->ctx);
    for (;;) {
        uint64_t now = ops->now_us(ops->ctx);
        const uint8_t *msg;
        size_t n = bringup->ops->recv(bringup->ctx, &msg, now);
        if (n) {
            int answer = ring_answer_parse(msg, n, answer_header);
            if (answer == RING_ANSWER_ACCEPT)
                return 0;
            if (answer == RING_ANSWER_REFUSE)
                return -ECONNREFUSED;
            if (answer == -EBADMSG)
                return -EBADMSG;
            (*dropped)++;
            continue;
        }
        if (now - start >= timeout_us)
            return -ETIMEDOUT;
        if (ops->idle)
            ops->idle(ops->ctx);
    }
}
