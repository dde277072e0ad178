/* Host channel rings in the kernel; see host_ring.h. */
#include "kernel/host/host_ring.h"

#include <errno.h>

#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"

/* A doorbell never waits: if the UART cannot take the byte now (the host is not reading
 * its socket), the host finds the packet on its next look (it looks every 50 ms). */
static void ring_doorbell(void *ctx)
{
    struct uart *u = ctx;
    if (u->present && (u->ops.read(u->ops.ctx, UART_LSR) & UART_LSR_THRE))
        u->ops.write(u->ops.ctx, UART_THR, HOST_RING_DOORBELL);
}

/* Any byte from the host on a ring channel is a doorbell; a new offer never comes
 * from the host, so there is nothing else to look for. */
static size_t ring_take_doorbells(void *ctx)
{
    size_t n = 0;
    uint8_t byte;
    while (n < 64 && uart_try_read(ctx, &byte))
        n++;
    return n;
}

static uint64_t ring_now_us(void *ctx)
{
    (void)ctx;
    return log_uptime_us();
}

static void ring_idle(void *ctx)
{
    (void)ctx;
    __asm__ volatile("pause");
}

int host_ring_start(struct host_ring *hr, const struct host_ring_config *cfg, struct uart *uart,
                    struct get_transport bringup, const uint8_t offer_header[4],
                    const uint8_t answer_header[4], size_t max_payload, struct get_transport *use)
{
    hr->active = false;
    hr->carried = false;
    hr->offer_result = 1;
    hr->uart = uart;
    if (!cfg->mem || cfg->force_uart)
        return hr->offer_result;
    const struct ring_transport_ops ops = { .doorbell = ring_doorbell, .take_doorbells = ring_take_doorbells,
                                            .now_us = ring_now_us, .idle = ring_idle, .ctx = uart };
    uint8_t *mem = cfg->mem;
    const struct host_ring_carry *c = cfg->carried;
    if (c != NULL) {
        int err = c->gpa == cfg->gpa && c->data_size == HOST_RING_DATA_SIZE
                ? ring_transport_resume(&hr->rt, mem, HOST_RING_DATA_SIZE, mem + HOST_RING_BYTES,
                                        HOST_RING_DATA_SIZE, max_payload, &ops, c->to_host_write,
                                        c->to_guest_read)
                : -EINVAL;
        if (err == 0) {
            hr->offer_result = 0;
            hr->active = hr->carried = true;
            *use = ring_transport_iface(&hr->rt);
            return 0;
        }
        log_warn("ring", "rings at 0x%llx not as the old instance left them (%d): offering fresh ones",
                 (unsigned long long)cfg->gpa, err);
    }
    int err = ring_transport_init(&hr->rt, mem, HOST_RING_DATA_SIZE, mem + HOST_RING_BYTES,
                                  HOST_RING_DATA_SIZE, max_payload, &ops);
    if (!err) {
        struct ring_offer offer;
        ring_offer_build(&offer, offer_header, &hr->rt, cfg->gpa, cfg->gpa + HOST_RING_BYTES);
        err = ring_negotiate(&bringup, &offer, answer_header, HOST_RING_OFFER_TIMEOUT_US, &ops,
                             &hr->offer_dropped);
    }
    hr->offer_result = err;
    if (err)
        return err;
    hr->active = true;
    *use = ring_transport_iface(&hr->rt);
    return 0;
}

bool host_ring_export(const struct host_ring *hr, const struct host_ring_config *cfg,
                      struct host_ring_carry *out)
{
    if (!hr->active || hr->rt.tx_broken)
        return false;
    *out = (struct host_ring_carry){ .gpa = cfg->gpa, .data_size = hr->rt.tx.size,
                                     .to_host_write = hr->rt.tx.own_index,
                                     .to_guest_read = hr->rt.rx.own_index };
    return true;
}

void host_ring_inspect(struct inspect_writer *w, const struct host_ring *hr)
{
    inspect_str(w, "kind", hr->active ? "ring" : "uart");
    inspect_i64(w, "ring_offer", hr->offer_result);
    inspect_bool(w, "carried", hr->carried);
    if (!hr->active)
        return;
    const struct ring_transport_stats *s = &hr->rt.stats;
    inspect_begin(w, "ring");
    inspect_u64(w, "size", hr->rt.tx.size);
    inspect_u64(w, "rx_packets", s->rx_packets);
    inspect_u64(w, "rx_bytes", s->rx_bytes);
    inspect_u64(w, "tx_packets", s->tx_packets);
    inspect_u64(w, "tx_bytes", s->tx_bytes);
    inspect_u64(w, "doorbells_in", s->doorbells_in);
    inspect_u64(w, "doorbells_out", s->doorbells_out);
    inspect_u64(w, "bad_index", s->bad_index);
    inspect_u64(w, "bad_length", s->bad_length);
    inspect_u64(w, "bad_start", s->bad_start);
    inspect_u64(w, "bad_trailer", s->bad_trailer);
    inspect_u64(w, "torn", s->torn);
    inspect_u64(w, "resyncs", s->resyncs);
    inspect_u64(w, "tx_bad_index", s->tx_bad_index);
    inspect_u64(w, "tx_full", s->tx_full);
    inspect_u64(w, "tx_errors", s->tx_errors);
    inspect_bool(w, "tx_broken", hr->rt.tx_broken);
    inspect_u64(w, "resets", s->resets);
    inspect_end(w);
}
