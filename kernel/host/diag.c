/* Diag channel glue: COM3 port I/O, request dispatch; see diag.h and docs/diag.md. */
#include "kernel/host/diag.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/hw/uart16550.h"
#include "kernel/host/get_instance.h"
#include "get/protocol.h"
#include "get/transport_uart.h"
#include "kernel/core/console.h"
#include "kernel/host/diag_proto.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"

#define MAX_WORDS 8


static void inspect_diag(struct inspect_writer *w, void *ctx)
{
    struct diag *d = ctx;
    const struct frame_rx_stats *f = &d->transport.rx.stats;
    inspect_bool(w, "up", d->up);
    host_ring_inspect(w, &d->ring);
    inspect_hex(w, "port", COM3_BASE);
    inspect_u64(w, "requests", d->requests);
    inspect_u64(w, "bad_requests", d->bad_requests);
    inspect_u64(w, "failed_requests", d->failed_requests);
    inspect_u64(w, "rx_frames", f->frames);
    inspect_u64(w, "rx_bytes", f->bytes);
    inspect_u64(w, "sync_skipped", f->sync_skipped);
    inspect_u64(w, "bad_length", f->bad_length);
    inspect_u64(w, "bad_crc", f->bad_crc);
    inspect_u64(w, "stalled", f->stalled);
    inspect_u64(w, "tx_frames", d->transport.tx_frames);
    inspect_u64(w, "tx_errors", d->transport.tx_errors);
}

void diag_init(struct diag *d)
{
    int err = inspect_register("diag", inspect_diag, d);
    if (err)
        log_warn("diag", "inspect node not registered (%d)", err);
    err = com_port_init(&d->com3, COM3_BASE);
    if (err) {
        log_error("diag", "COM3 (0x%x) unusable (%d): no diag channel", COM3_BASE, err);
        return;
    }
    uart_transport_init(&d->transport, &d->com3, FRAME_MAX_PAYLOAD);
    static const uint8_t offer_hdr[4] = { DIAG_VERSION, DIAG_OP_RING_OFFER, 0, 0 };
    static const uint8_t answer_hdr[4] = { DIAG_VERSION, DIAG_OP_RING_OFFER | DIAG_OP_RESPONSE, 0, 0 };
    d->t = uart_transport_iface(&d->transport);
    err = host_ring_start(&d->ring, &d->ring_cfg, &d->com3, d->t, offer_hdr, answer_hdr, FRAME_MAX_PAYLOAD,
                          &d->t);
    if (err == 0)
        log_info("diag", "shared-memory rings at 0x%llx %s", (unsigned long long)d->ring_cfg.gpa,
                 d->ring.carried ? "carried across the handoff" : "accepted by the host");
    else if (err < 0)
        log_warn("diag", "rings not in use (%d): diag stays on COM3", err);
    d->up = true;
}

static uint64_t num(const char *word)
{
    return strtoull(word, NULL, 0);
}

/* Writes a JSON body into body[0, cap); returns the status. */
static int get_command(struct diag *d, char words[][64], int n, char *body, size_t cap)
{
    int err = -EINVAL;
    const char *cmd = n > 0 ? words[0] : "";
    body[0] = '\0';
    if (strcmp(cmd, "dps") == 0 && n == 1) {
        struct dps settings;
        err = get_read_dps(d->get, &settings);
        if (!err)
            snprintf(body, cap, "{\"is_servicing_scenario\":%s,\"firmware_mode_is_pcat\":%s,"
                     "\"legacy_memory_map\":%s}", settings.is_servicing_scenario ? "true" : "false",
                     settings.firmware_mode_is_pcat ? "true" : "false",
                     settings.legacy_memory_map ? "true" : "false");
    } else if (strcmp(cmd, "time") == 0 && n == 1) {
        int64_t utc = 0;
        err = get_read_time(d->get, &utc);
        if (!err)
            snprintf(body, cap, "{\"utc\":%lld}", (long long)utc);
    } else if (strcmp(cmd, "create") == 0 && (n == 6 || n == 7)) {
        uint32_t status = 0;
        err = get_create_ram_gpa_range(d->get, (uint32_t)num(words[1]), num(words[2]), num(words[3]),
                                       num(words[4]), num(words[5]),
                                       n == 7 ? num(words[6]) * 1000 : 0, &status);
        if (!err)
            snprintf(body, cap, "{\"status\":%u}", status);
    } else if (strcmp(cmd, "reset") == 0 && (n == 2 || n == 3)) {
        err = get_reset_ram_gpa_range(d->get, (uint32_t)num(words[1]), n == 3 ? num(words[2]) * 1000 : 0);
    } else if (strcmp(cmd, "bench") == 0 && n == 3) {
        int len = get_bench(d->get, (unsigned)num(words[1]), (size_t)num(words[2]), body, cap);
        err = len < 0 ? len : 0;
    } else if (strcmp(cmd, "map-fb") == 0 && n == 2) {
        uint32_t status = 0;
        err = get_map_framebuffer(d->get, num(words[1]), &status);
        if (!err)
            snprintf(body, cap, "{\"status\":%u}", status);
    } else if (strcmp(cmd, "reconnect") == 0 && n == 1) {
        err = get_start(d->get);
    } else if (strcmp(cmd, "notify") == 0 && n >= 2) {
        /* Test hook until the VTL0 partition exists: report a VTL0 event as it would. */
        const char *what = words[1];
        err = 0;
        if (strcmp(what, "power-off") == 0) {
            get_notify_power_off(d->get, false);
        } else if (strcmp(what, "hibernate") == 0) {
            get_notify_power_off(d->get, true);
        } else if (strcmp(what, "reset") == 0) {
            get_notify_reset(d->get);
        } else if (strcmp(what, "start") == 0) {
            get_notify_start_vtl0_completed(d->get);
        } else if (strcmp(what, "event") == 0 && n == 3) {
            get_notify_event_log(d->get, (uint32_t)num(words[2]));
        } else if (strcmp(what, "crash") == 0) {
            static const uint64_t params[5] = { 1, 2, 3, 4, 5 };
            get_notify_vtl_crash(d->get, 0, 0, 0xDEAD, params);
        } else if (strcmp(what, "triple-fault") == 0) {
            struct guest_gprs g;
            struct guest_cpu_state cpu;
            memset(&g, 0, sizeof(g));
            memset(&cpu, 0, sizeof(cpu));
            for (unsigned i = 0; i < GPR_COUNT; i++)
                g.gpr[i] = 0x1111111111111111ull * (i + 1);
            cpu.rip = 0xFFF0;
            cpu.rflags = 0x2;
            cpu.cr0 = 0x60000010;
            cpu.cs = (struct guest_segment){ .selector = 0xF000, .attrib = 0x9B,
                                             .limit = 0xFFFF, .base = 0xFFFF0000 };
            get_notify_triple_fault(d->get, &g, &cpu);
        } else {
            err = -EINVAL;
        }
    }
    return err;
}

static size_t handle(struct diag *d, const uint8_t *msg, size_t len)
{
    struct diag_request req;
    const uint8_t *args;
    size_t args_len;
    size_t hdr = sizeof(struct diag_response);
    char *body = (char *)d->resp + hdr;
    size_t cap = sizeof(d->resp) - hdr;
    int status = diag_parse_request(msg, len, &req, &args, &args_len);
    d->requests++;
    if (status == -EMSGSIZE) {
        d->bad_requests++;
        return 0;   /* nothing to answer: no tag */
    }
    size_t body_len = 0;
    if (status) {
        d->bad_requests++;
    } else if (req.op == DIAG_OP_PING) {
        memcpy(body, "pong", 4);
        body_len = 4;
    } else if (req.op == DIAG_OP_INSPECT) {
        char path[INSPECT_MAX_PATH * INSPECT_NAME_MAX];
        if (args_len >= sizeof(path)) {
            status = -ENAMETOOLONG;
        } else {
            memcpy(path, args, args_len);
            path[args_len] = '\0';
            int n = inspect_run(path, body, cap);
            if (n < 0)
                status = n;
            else
                body_len = (size_t)n;
        }
    } else if (req.op == DIAG_OP_LOG) {
        struct diag_log_body lb;
        if (args_len != sizeof(uint64_t)) {
            status = -EINVAL;
        } else {
            uint64_t from;
            memcpy(&from, args, sizeof(from));
            const struct log_ring *ring = log_get_ring();
            size_t n = log_ring_read(ring, &from, body + sizeof(lb), cap - sizeof(lb));
            lb.next = from;
            lb.written = ring->written;
            memcpy(body, &lb, sizeof(lb));
            body_len = sizeof(lb) + n;
        }
    } else if (req.op == DIAG_OP_SCREENSHOT) {
        /* The frame through the fixed VTL2 view, a chunk of lines per request. */
        int n = d->screenshot ? d->screenshot(d->screenshot_ctx, args, args_len, (uint8_t *)body, cap)
                              : -ENODEV;
        if (n < 0)
            status = n;
        else
            body_len = (size_t)n;
    } else if (req.op == DIAG_OP_SERVICING) {
        char words[MAX_WORDS][64];
        int n = diag_split_words((const char *)args, args_len, words, MAX_WORDS);
        status = n < 0 ? n : d->servicing ? d->servicing(d->servicing_ctx, words, n, body, cap)
                                          : -ENODEV;
        if (status == 0)
            body_len = strlen(body);
    } else {
        char words[MAX_WORDS][64];
        int n = diag_split_words((const char *)args, args_len, words, MAX_WORDS);
        status = n < 0 ? n : get_command(d, words, n, body, cap);
        if (status == 0)
            body_len = strlen(body);
    }
    if (status)
        d->failed_requests++;
    diag_encode_response(d->resp, &req, status);
    return hdr + body_len;
}

void diag_poll(struct diag *d)
{
    if (!d->up)
        return;
    for (int i = 0; i < 4; i++) {
        const uint8_t *msg;
        size_t n = d->t.ops->recv(d->t.ctx, &msg, log_uptime_us());
        if (n == 0)
            return;
        size_t out = handle(d, msg, n);
        if (out)
            d->t.ops->send(d->t.ctx, d->resp, out);
    }
}
