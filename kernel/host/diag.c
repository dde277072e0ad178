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
#include "kernel/vtl0/emuplat/display.h"

#define MAX_WORDS 8

static struct uart com3;
static struct uart_transport transport;
static bool up;
static uint64_t requests, bad_requests, failed_requests;
static uint8_t resp[FRAME_MAX_PAYLOAD];

static void inspect_diag(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    const struct frame_rx_stats *f = &transport.rx.stats;
    inspect_bool(w, "up", up);
    inspect_hex(w, "port", COM3_BASE);
    inspect_u64(w, "requests", requests);
    inspect_u64(w, "bad_requests", bad_requests);
    inspect_u64(w, "failed_requests", failed_requests);
    inspect_u64(w, "rx_frames", f->frames);
    inspect_u64(w, "rx_bytes", f->bytes);
    inspect_u64(w, "sync_skipped", f->sync_skipped);
    inspect_u64(w, "bad_length", f->bad_length);
    inspect_u64(w, "bad_crc", f->bad_crc);
    inspect_u64(w, "stalled", f->stalled);
    inspect_u64(w, "tx_frames", transport.tx_frames);
    inspect_u64(w, "tx_errors", transport.tx_errors);
}

void diag_init(void)
{
    int err = inspect_register("diag", inspect_diag, NULL);
    if (err)
        log_warn("diag", "inspect node not registered (%d)", err);
    err = com_port_init(&com3, COM3_BASE);
    if (err) {
        log_error("diag", "COM3 (0x%x) unusable (%d): no diag channel", COM3_BASE, err);
        return;
    }
    uart_transport_init(&transport, &com3, FRAME_MAX_PAYLOAD);
    up = true;
}

static uint64_t num(const char *word)
{
    return strtoull(word, NULL, 0);
}

/* Writes a JSON body into body[0, cap); returns the status. */
static int get_command(char words[][64], int n, char *body, size_t cap)
{
    int err = -EINVAL;
    const char *cmd = n > 0 ? words[0] : "";
    body[0] = '\0';
    if (strcmp(cmd, "dps") == 0 && n == 1) {
        struct dps d;
        err = get_read_dps(&d);
        if (!err)
            snprintf(body, cap, "{\"is_servicing_scenario\":%s,\"firmware_mode_is_pcat\":%s,"
                     "\"legacy_memory_map\":%s}", d.is_servicing_scenario ? "true" : "false",
                     d.firmware_mode_is_pcat ? "true" : "false",
                     d.legacy_memory_map ? "true" : "false");
    } else if (strcmp(cmd, "time") == 0 && n == 1) {
        int64_t utc = 0;
        err = get_read_time(&utc);
        if (!err)
            snprintf(body, cap, "{\"utc\":%lld}", (long long)utc);
    } else if (strcmp(cmd, "create") == 0 && (n == 6 || n == 7)) {
        uint32_t status = 0;
        err = get_create_ram_gpa_range((uint32_t)num(words[1]), num(words[2]), num(words[3]),
                                       num(words[4]), num(words[5]),
                                       n == 7 ? num(words[6]) * 1000 : 0, &status);
        if (!err)
            snprintf(body, cap, "{\"status\":%u}", status);
    } else if (strcmp(cmd, "reset") == 0 && (n == 2 || n == 3)) {
        err = get_reset_ram_gpa_range((uint32_t)num(words[1]), n == 3 ? num(words[2]) * 1000 : 0);
    } else if (strcmp(cmd, "bench") == 0 && n == 3) {
        int len = get_bench((unsigned)num(words[1]), (size_t)num(words[2]), body, cap);
        err = len < 0 ? len : 0;
    } else if (strcmp(cmd, "map-fb") == 0 && n == 2) {
        uint32_t status = 0;
        err = get_map_framebuffer(num(words[1]), &status);
        if (!err)
            snprintf(body, cap, "{\"status\":%u}", status);
    } else if (strcmp(cmd, "reconnect") == 0 && n == 1) {
        err = get_start();
    } else if (strcmp(cmd, "notify") == 0 && n >= 2) {
        /* Test hook until the VTL0 partition exists: report a VTL0 event as it would. */
        const char *what = words[1];
        err = 0;
        if (strcmp(what, "power-off") == 0) {
            get_notify_power_off(false);
        } else if (strcmp(what, "hibernate") == 0) {
            get_notify_power_off(true);
        } else if (strcmp(what, "reset") == 0) {
            get_notify_reset();
        } else if (strcmp(what, "start") == 0) {
            get_notify_start_vtl0_completed();
        } else if (strcmp(what, "event") == 0 && n == 3) {
            get_notify_event_log((uint32_t)num(words[2]));
        } else if (strcmp(what, "crash") == 0) {
            static const uint64_t params[5] = { 1, 2, 3, 4, 5 };
            get_notify_vtl_crash(0, 0, 0xDEAD, params);
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
            get_notify_triple_fault(&g, &cpu);
        } else {
            err = -EINVAL;
        }
    }
    return err;
}

static size_t handle(const uint8_t *msg, size_t len)
{
    struct diag_request req;
    const uint8_t *args;
    size_t args_len;
    size_t hdr = sizeof(struct diag_response);
    char *body = (char *)resp + hdr;
    size_t cap = sizeof(resp) - hdr;
    int status = diag_parse_request(msg, len, &req, &args, &args_len);
    requests++;
    if (status == -EMSGSIZE) {
        bad_requests++;
        return 0;   /* nothing to answer: no tag */
    }
    size_t body_len = 0;
    if (status) {
        bad_requests++;
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
        int n = vtl0_display_screenshot(args, args_len, (uint8_t *)body, cap);
        if (n < 0)
            status = n;
        else
            body_len = (size_t)n;
    } else {
        char words[MAX_WORDS][64];
        int n = diag_split_words((const char *)args, args_len, words, MAX_WORDS);
        status = n < 0 ? n : get_command(words, n, body, cap);
        if (status == 0)
            body_len = strlen(body);
    }
    if (status)
        failed_requests++;
    diag_encode_response(resp, &req, status);
    return hdr + body_len;
}

void diag_poll(void)
{
    if (!up)
        return;
    for (int i = 0; i < 4; i++) {
        const uint8_t *msg;
        size_t n = uart_transport_iface(&transport).ops->recv(&transport, &msg, log_uptime_us());
        if (n == 0)
            return;
        size_t out = handle(msg, n);
        if (out)
            uart_transport_iface(&transport).ops->send(&transport, resp, out);
    }
}
