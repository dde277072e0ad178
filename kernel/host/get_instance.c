/* The GET in the kernel: COM2 glue, client instance, inspect node; see get.h. */
#include "kernel/host/get_instance.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "drivers/hw/uart16550.h"
#include "get/client.h"
#include "get/codec.h"
#include "get/transport_uart.h"
#include "kernel/core/console.h"
#include "kernel/core/inspect.h"
#include "kernel/lib/log.h"
#include "kernel/lib/sort_u64.h"

#define NOTIFY_FLUSH_US 1000000u

void get_set_slot_table_inspect(struct get_instance *g, inspect_fn fn, void *ctx)
{
    g->slot_table_fn = fn;
    g->slot_table_ctx = ctx;
}

static uint64_t now_us(void *ctx)
{
    (void)ctx;
    return log_uptime_us();
}

static void idle(void *ctx)
{
    (void)ctx;
    __asm__ volatile("pause");
}

static void client_log(void *ctx, bool error, const char *text)
{
    (void)ctx;
    log_msg(error ? LOG_ERROR : LOG_WARN, "get", "%s", text);
}

bool get_is_up(struct get_instance *g)
{
    return g->up && g->client.state == GET_CHAN_UP;
}

static const char *state_name(struct get_instance *g)
{
    if (!g->up)
        return "absent";
    return g->client.state == GET_CHAN_UP ? "up" : "down";
}

/* ---- inspect ------------------------------------------------------------------------ */

static void inspect_get(struct inspect_writer *w, void *ctx)
{
    struct get_instance *g = ctx;
    const struct get_client_stats *s = &g->client.stats;
    inspect_str(w, "state", state_name(g));
    inspect_hex(w, "version", g->client.version);
    inspect_i64(w, "last_error", s->last_error);
    inspect_begin(w, "counters");
    inspect_u64(w, "requests", s->requests);
    inspect_u64(w, "responses", s->responses);
    inspect_u64(w, "notifications_sent", s->notifications_sent);
    inspect_u64(w, "notes_received", s->notes_received);
    inspect_u64(w, "timeouts", s->timeouts);
    inspect_u64(w, "fatal_errors", s->fatal_errors);
    inspect_u64(w, "reconnects", s->reconnects);
    inspect_u64(w, "negotiations", s->negotiations);
    inspect_u64(w, "negotiation_failures", s->negotiation_failures);
    inspect_u64(w, "unexpected_responses", s->unexpected_responses);
    inspect_u64(w, "stale_drained", s->stale_drained);
    inspect_u64(w, "id_mismatch", s->id_mismatch);
    inspect_u64(w, "wrong_direction", s->wrong_direction);
    inspect_u64(w, "decode_errors", s->decode_errors);
    inspect_u64(w, "err_length", s->err_length);
    inspect_u64(w, "err_version", s->err_version);
    inspect_u64(w, "err_type", s->err_type);
    inspect_u64(w, "err_id", s->err_id);
    inspect_u64(w, "err_bool", s->err_bool);
    inspect_u64(w, "err_value", s->err_value);
    inspect_u64(w, "notes_overflow", s->notes_overflow);
    inspect_u64(w, "notes_unsupported", s->notes_unsupported);
    inspect_u64(w, "send_errors", s->send_errors);
    inspect_u64(w, "oversize_data", s->oversize_data);
    inspect_u64(w, "dps_reads", g->dps_reads);
    inspect_u64(w, "dps_errors", g->dps_errors);
    inspect_u64(w, "start_errors", g->start_errors);
    inspect_end(w);
    inspect_begin(w, "transport");
    const struct frame_rx_stats *f = &g->transport.rx.stats;
    host_ring_inspect(w, &g->ring);
    inspect_hex(w, "port", COM2_BASE);
    inspect_u64(w, "rx_frames", f->frames);
    inspect_u64(w, "rx_bytes", f->bytes);
    inspect_u64(w, "sync_skipped", f->sync_skipped);
    inspect_u64(w, "bad_length", f->bad_length);
    inspect_u64(w, "bad_crc", f->bad_crc);
    inspect_u64(w, "stalled", f->stalled);
    inspect_u64(w, "rx_resets", f->resets);
    inspect_u64(w, "tx_frames", g->transport.tx_frames);
    inspect_u64(w, "tx_bytes", g->transport.tx_bytes);
    inspect_u64(w, "tx_errors", g->transport.tx_errors);
    inspect_u64(w, "uart_tx_dropped", g->com2.tx_dropped);
    inspect_end(w);
    inspect_begin(w, "queues");
    inspect_u64(w, "primary", get_client_queue_depth(&g->client, 0));
    inspect_u64(w, "secondary", get_client_queue_depth(&g->client, 1));
    inspect_end(w);
    inspect_begin(w, "notes_pending");
    for (uint16_t id = 1; id <= GET_GNOTE_MAX; id++) {
        const struct get_msg_desc *d = get_msg_find(GET_TYPE_GUEST_NOTIFICATION, id);
        if (d)
            inspect_u64(w, d->name, get_client_notes_pending(&g->client, id));
    }
    inspect_end(w);
    inspect_begin(w, "dps");
    inspect_bool(w, "valid", g->dps_valid);
    inspect_bool(w, "is_servicing_scenario", g->dps.is_servicing_scenario);
    inspect_bool(w, "firmware_mode_is_pcat", g->dps.firmware_mode_is_pcat);
    inspect_bool(w, "legacy_memory_map", g->dps.legacy_memory_map);
    inspect_hex(w, "generation_id_low", g->dps.generation_id_low);
    inspect_hex(w, "generation_id_high", g->dps.generation_id_high);
    inspect_end(w);
    /* RAM GPA range slots as Mezzanine sees them: the GET-backed PAM fills this. */
    inspect_begin(w, "slot_table");
    if (g->slot_table_fn)
        g->slot_table_fn(w, g->slot_table_ctx);
    inspect_end(w);
}

/* ---- start ------------------------------------------------------------------------- */

static void count_start_error(struct get_instance *g, int err)
{
    g->start_errors++;
    g->last_start_error = err;
}

/* The DPS request in two halves, so a servicing boot can build the partition while the
 * host answers (sent by get_connect_begin, collected by get_start_finish); get_read_dps
 * is both at once. */
static int dps_submit(struct get_instance *g, struct get_req *r)
{
    get_req_dps(r, (uint8_t *)g->dps_buf, sizeof(g->dps_buf));
    g->dps_reads++;
    int err = get_client_submit(&g->client, r);
    if (err) {
        g->dps_errors++;
        log_error("get", "device platform settings: error %d", err);
        return err;
    }
    /* Sends it: behind a VERSION not answered yet if one is (get_connect_begin). */
    if (g->client.negotiating)
        get_client_send_ahead(&g->client);
    else
        get_client_poll(&g->client);
    return 0;
}

static int dps_collect(struct get_instance *g, struct get_req *r, struct dps *out)
{
    int err = get_client_wait(&g->client, r);
    if (!err)
        err = dps_parse(g->dps_buf, r->data_len, out);
    if (err) {
        g->dps_errors++;
        log_error("get", "device platform settings: error %d", err);
    }
    return err;
}

int get_read_dps(struct get_instance *g, struct dps *out)
{
    struct get_req r;
    int err = dps_submit(g, &r);
    return err ? err : dps_collect(g, &r, out);
}

int get_start(struct get_instance *g)
{
    int err = get_start_begin(g);
    return err ? err : get_start_finish(g);
}

/* Rings first (docs/get.md, "Rings"): offered over COM2, the UART stays if the host
 * refuses, does not answer, or mezz.transport=uart; a servicing boot takes the old
 * instance's over (docs/servicing.md). Then a fresh client on whichever won. */
static void start_transport(struct get_instance *g)
{
    static const uint8_t offer_hdr[4] = { GET_HEADER_VERSION_1, GET_TYPE_HOST_REQUEST,
                                          GET_REQ_EXT_RING & 0xFF, GET_REQ_EXT_RING >> 8 };
    static const uint8_t answer_hdr[4] = { GET_HEADER_VERSION_1, GET_TYPE_HOST_RESPONSE,
                                           GET_REQ_EXT_RING & 0xFF, GET_REQ_EXT_RING >> 8 };
    static const struct get_client_ops cops = { .now_us = now_us, .idle = idle,
                                                .log = client_log, .ctx = NULL };
    struct get_transport t = uart_transport_iface(&g->transport);
    int ring_err = host_ring_start(&g->ring, &g->ring_cfg, &g->com2, t, offer_hdr, answer_hdr,
                                   GET_MAX_MESSAGE_SIZE, &t);
    if (ring_err == 0 && g->ring.carried)
        log_info("get", "shared-memory rings at 0x%llx carried across the handoff",
                 (unsigned long long)g->ring_cfg.gpa);
    else if (ring_err == 0)
        log_info("get", "shared-memory rings at 0x%llx accepted by the host",
                 (unsigned long long)g->ring_cfg.gpa);
    else if (ring_err < 0)
        log_warn("get", "rings not in use (%d): the GET stays on COM2", ring_err);
    get_client_init(&g->client, t, &cops);
}

int get_connect_begin(struct get_instance *g)
{
    if (!g->inspect_registered) {
        g->inspect_registered = true;
        int err = inspect_register("get", inspect_get, g);
        if (err)
            log_warn("get", "inspect node not registered (%d)", err);
    }
    bool fresh = !g->up;
    if (!g->up) {
        int err = com_port_init(&g->com2, COM2_BASE);
        if (err) {
            count_start_error(g, err);
            log_error("get", "COM2 (0x%x) unusable (%d): no GET", COM2_BASE, err);
            return err;
        }
        uart_transport_init(&g->transport, &g->com2, GET_MAX_MESSAGE_SIZE);
        start_transport(g);
        if (g->ring.carried)
            g->client.negotiate_timeout_us = HOST_RING_CARRIED_TIMEOUT_US;
        g->up = true;
    }
    /* From here get_start_begin takes over, whatever happens in between (a poll may
     * finish the negotiation first). */
    g->connect_begun = true;
    g->fresh_bring_up = fresh;
    int err = get_client_negotiate_begin(&g->client);
    if (err || g->dps_pending)
        return err;
    /* DPS right behind VERSION: one wake-up of the host answers both. */
    if (dps_submit(g, &g->dps_req) == 0)
        g->dps_pending = true;
    return 0;
}

int get_start_begin(struct get_instance *g)
{
    if (!g->connect_begun) {
        (void)get_connect_begin(g);
        if (!g->connect_begun)
            return g->last_start_error;     /* no COM2: counted and logged */
    }
    g->connect_begun = false;
    bool fresh = g->fresh_bring_up;
    g->fresh_bring_up = false;
    /* The version's answer, or what a poll in between made of it: 0 if the channel is
     * up, -ENOTCONN if that negotiation failed. */
    int err = get_client_negotiate_finish(&g->client);
    if (err && fresh && g->ring.carried) {
        /* The host lost the rings across the handoff (a restarted GED): offer fresh ones
         * over COM2, as a cold boot does. */
        log_warn("get", "no answer over the carried rings (%d): offering them again", err);
        g->ring_cfg.carried = NULL;
        start_transport(g);            /* a fresh client: the DPS sent ahead is gone */
        g->dps_pending = false;
        err = get_client_negotiate(&g->client);
    }
    g->client.negotiate_timeout_us = GET_NEGOTIATE_TIMEOUT_US;
    if (err) {
        g->dps_pending = false;        /* one sent ahead failed with the negotiation */
        count_start_error(g, err);
        return err;
    }
    log_info("get", "version 0x%08x negotiated", g->client.version);
    if (g->dps_pending)
        return 0;           /* an earlier begin's request is still the one in flight */
    err = dps_submit(g, &g->dps_req);
    if (err) {
        count_start_error(g, err);
        return err;
    }
    g->dps_pending = true;
    return 0;
}

int get_start_finish(struct get_instance *g)
{
    if (g->connect_begun && get_start_begin(g) != 0)
        return g->last_start_error;     /* a connect begun, not taken: take it first */
    if (!g->dps_pending)
        return 0;
    g->dps_pending = false;
    int err = dps_collect(g, &g->dps_req, &g->dps);
    if (err) {
        count_start_error(g, err);
        return err;
    }
    g->dps_valid = true;
    log_info("get", "device platform settings: servicing %s, pcat %s, legacy memory map %s",
             g->dps.is_servicing_scenario ? "yes" : "no", g->dps.firmware_mode_is_pcat ? "yes" : "no",
             g->dps.legacy_memory_map ? "yes" : "no");
    return 0;
}

void get_poll(struct get_instance *g)
{
    if (g->up)
        get_client_poll(&g->client);
}

/* ---- notifications ----------------------------------------------------------------- */

static int notify_now(struct get_instance *g, const void *msg, size_t len, const char *what)
{
    if (!g->up)
        return -ENOTCONN;
    int err = get_client_notify_now(&g->client, msg, len);
    if (err)
        log_error("get", "%s not sent (%d)", what, err);
    return err;
}

/* Queues behind the request in flight, then waits (bounded) until it is written. */
static void notify_queued(struct get_instance *g, const void *msg, size_t len, const char *what)
{
    if (!g->up)
        return;
    int err = get_client_notify_queued(&g->client, msg, len);
    if (err) {
        log_error("get", "%s not queued (%d)", what, err);
        return;
    }
    uint64_t deadline = log_uptime_us() + NOTIFY_FLUSH_US;
    while (get_client_queue_depth(&g->client, 0) && log_uptime_us() < deadline) {
        get_client_poll(&g->client);
        __asm__ volatile("pause");
    }
}

void get_notify_power_off(struct get_instance *g, bool hibernate)
{
    uint8_t m[8];
    notify_queued(g, m, get_encode_power_off(m, hibernate), "POWER_OFF");
}

void get_notify_reset(struct get_instance *g)
{
    uint8_t m[4];
    notify_queued(g, m, get_encode_header_only(m, GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_RESET), "RESET");
}

static void reg_u64(struct get_register_state *r, uint32_t name, uint64_t v)
{
    r->name = name;
    memset(r->value, 0, sizeof(r->value));
    memcpy(r->value, &v, sizeof(v));
}

/* HvX64SegmentRegister: base u64, limit u32, selector u16, attributes u16. */
static void reg_seg(struct get_register_state *r, uint32_t name, const struct guest_segment *s)
{
    r->name = name;
    memcpy(r->value, &s->base, 8);
    memcpy(r->value + 8, &s->limit, 4);
    memcpy(r->value + 12, &s->selector, 2);
    memcpy(r->value + 14, &s->attrib, 2);
}

void get_notify_triple_fault(struct get_instance *g, const struct guest_gprs *gprs, const struct guest_cpu_state *cpu)
{
    struct get_register_state regs[GPR_COUNT + 14];
    uint8_t msg[sizeof(struct get_triple_fault_notification) + sizeof(regs)];
    unsigned n = 0;
    for (unsigned i = 0; i < GPR_COUNT; i++)
        reg_u64(&regs[n++], HV_X64_REG_RAX + i, gprs->gpr[i]);
    reg_u64(&regs[n++], HV_X64_REG_RIP, cpu->rip);
    reg_u64(&regs[n++], HV_X64_REG_RFLAGS, cpu->rflags);
    reg_u64(&regs[n++], HV_X64_REG_CR0, cpu->cr0);
    reg_u64(&regs[n++], HV_X64_REG_CR2, cpu->cr2);
    reg_u64(&regs[n++], HV_X64_REG_CR3, cpu->cr3);
    reg_u64(&regs[n++], HV_X64_REG_CR4, cpu->cr4);
    reg_u64(&regs[n++], HV_X64_REG_EFER, cpu->efer);
    reg_seg(&regs[n++], HV_X64_REG_ES, &cpu->es);
    reg_seg(&regs[n++], HV_X64_REG_CS, &cpu->cs);
    reg_seg(&regs[n++], HV_X64_REG_SS, &cpu->ss);
    reg_seg(&regs[n++], HV_X64_REG_DS, &cpu->ds);
    reg_seg(&regs[n++], HV_X64_REG_FS, &cpu->fs);
    reg_seg(&regs[n++], HV_X64_REG_GS, &cpu->gs);
    size_t len = get_encode_triple_fault(msg, 0, GET_TRIPLE_FAULT_UNRECOVERABLE_EXCEPTION, regs, n);
    notify_now(g, msg, len, "TRIPLE_FAULT");
}

void get_notify_vtl0_halted(struct get_instance *g, uint64_t rip)
{
    uint8_t m[sizeof(struct get_vtl0_halted_notification)];
    notify_queued(g, m, get_encode_vtl0_halted(m, 0, GET_VTL0_HALTED_HLT_IF_CLEAR, rip),
                  "EXT_VTL0_HALTED");
}

void get_notify_start_vtl0_completed(struct get_instance *g)
{
    uint8_t m[sizeof(struct get_start_vtl0_completed_notification)];
    notify_now(g, m, get_encode_start_vtl0_completed(m, sizeof(m), GET_START_VTL0_OK, NULL),
               "START_VTL0_COMPLETED");
}

void get_notify_event_log(struct get_instance *g, uint32_t event_log_id)
{
    uint8_t m[8];
    notify_now(g, m, get_encode_event_log(m, event_log_id), "EVENT_LOG");
}

void get_notify_vtl_crash(struct get_instance *g, uint32_t vp_index, uint8_t last_vtl, uint64_t control,
                          const uint64_t parameters[5])
{
    uint8_t m[sizeof(struct get_vtl_crash_notification)];
    notify_now(g, m, get_encode_vtl_crash(m, vp_index, last_vtl, control, parameters), "VTL_CRASH");
}

int get_notify_restore_completed(struct get_instance *g, bool success)
{
    uint8_t m[8];
    return notify_now(g, m, get_encode_restore_completed(m, success ? GET_SAVE_RESTORE_SUCCESS
                                                          : GET_SAVE_RESTORE_FAILURE),
               "RESTORE_COMPLETED");
}

/* OpenHCL's send_servicing_failure: one SAVE message with status FAILURE and no payload;
 * the host answers nothing (reference/openvmm-facts.md section 1.6). */
void get_send_save_failure(struct get_instance *g)
{
    uint8_t m[8];
    const uint8_t none = 0;
    notify_now(g, m, get_encode_save_chunk(m, GET_SAVE_RESTORE_FAILURE, &none, 0), "SAVE FAILURE");
}

/* ---- requests ---------------------------------------------------------------------- */

static int call(struct get_instance *g, struct get_req *r, uint64_t timeout_us)
{
    if (!g->up)
        return -ENOTCONN;
    if (timeout_us)
        r->timeout_us = timeout_us;
    return get_client_call(&g->client, r);
}

int get_create_ram_gpa_range(struct get_instance *g, uint32_t slot, uint64_t gpa_start, uint64_t len,
                             uint64_t gpa_offset, uint64_t flags, uint64_t timeout_us,
                             uint32_t *status)
{
    uint8_t m[sizeof(struct get_create_gpa_range_request)];
    struct get_create_gpa_range_response resp;
    struct get_req r;
    get_req_fixed(&r, m, get_encode_create_gpa_range(m, slot, gpa_start, len, gpa_offset, flags),
                  &resp, sizeof(resp));
    int err = call(g, &r, timeout_us);
    if (!err)
        *status = resp.status;
    return err;
}

int get_reset_ram_gpa_range(struct get_instance *g, uint32_t slot, uint64_t timeout_us)
{
    uint8_t m[sizeof(struct get_reset_gpa_range_request)];
    struct get_reset_gpa_range_response resp;
    struct get_req r;
    get_req_fixed(&r, m, get_encode_reset_gpa_range(m, slot), &resp, sizeof(resp));
    return call(g, &r, timeout_us);
}

int get_save_state(struct get_instance *g, const void *blob, size_t len, uint64_t timeout_us)
{
    struct get_req r;
    get_req_save(&r, blob, len);
    return call(g, &r, timeout_us);
}

int get_restore_state(struct get_instance *g, void *buf, size_t cap, size_t *len, uint64_t timeout_us)
{
    struct get_req r;
    get_req_restore(&r, buf, cap);
    int err = call(g, &r, timeout_us);
    *len = r.data_len;
    return err;
}

int get_restore_state_submit(struct get_instance *g, struct get_req *r, void *buf, size_t cap,
                             uint64_t timeout_us)
{
    if (!g->up)
        return -ENOTCONN;
    get_req_restore(r, buf, cap);
    if (timeout_us)
        r->timeout_us = timeout_us;
    int err = get_client_submit(&g->client, r);
    if (!err)
        get_client_poll(&g->client);   /* sends it */
    return err;
}

int get_restore_state_wait(struct get_instance *g, struct get_req *r, size_t *len)
{
    int err = get_client_wait(&g->client, r);
    *len = r->data_len;
    return err;
}

int get_read_time(struct get_instance *g, int64_t *utc)
{
    uint8_t m[4];
    struct get_time_response resp;
    struct get_req r;
    get_req_fixed(&r, m, get_encode_header_only(m, GET_TYPE_HOST_REQUEST, GET_REQ_TIME), &resp,
                  sizeof(resp));
    int err = call(g, &r, 0);
    if (!err)
        *utc = resp.utc;
    return err;
}

int get_map_framebuffer(struct get_instance *g, uint64_t gpa, uint32_t *status)
{
    uint8_t m[sizeof(struct get_map_framebuffer_request)];
    struct get_map_framebuffer_response resp;
    struct get_req r;
    get_req_fixed(&r, m, get_encode_map_framebuffer(m, gpa), &resp, sizeof(resp));
    int err = call(g, &r, 0);
    if (!err)
        *status = resp.status;
    return err;
}

int get_unmap_framebuffer(struct get_instance *g, uint32_t *status)
{
    uint8_t m[4];
    struct get_unmap_framebuffer_response resp;
    struct get_req r;
    get_req_fixed(&r, m, get_encode_header_only(m, GET_TYPE_HOST_REQUEST, GET_REQ_UNMAP_FRAMEBUFFER),
                  &resp, sizeof(resp));
    int err = call(g, &r, 0);
    if (!err)
        *status = resp.status;
    return err;
}

size_t get_take_guest_notification(struct get_instance *g, uint16_t id, void *out, size_t cap)
{
    return g->up ? get_client_take_note(&g->client, id, out, cap) : 0;
}

/* ---- benchmark ---------------------------------------------------------------------- */


static uint64_t tsc_ns(uint64_t ticks)
{
    uint64_t mhz = log_tsc_hz() / 1000000u;
    return mhz ? ticks * 1000u / mhz : 0;
}

/* Median and p99 of samples[0, n) in ns, plus the total. */
static void stats(struct get_instance *g, unsigned n, uint64_t *median, uint64_t *p99, uint64_t *total)
{
    *total = 0;
    for (unsigned i = 0; i < n; i++)
        *total += g->samples[i];
    sort_u64(g->samples, n);
    *median = g->samples[n / 2];
    *p99 = g->samples[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
}

/* The raw transport: an EXT_ECHO message straight through the transport, bypassing the
 * client's queues; the host answers it without parsing. */
static int raw_echo(struct get_instance *g)
{
    uint8_t m[4 + 16];
    get_encode_header_only(m, GET_TYPE_HOST_REQUEST, GET_REQ_EXT_ECHO);
    memset(m + 4, 0x5A, 16);
    struct get_transport *t = &g->client.t;
    int err = t->ops->send(t->ctx, m, sizeof(m));
    if (err)
        return err;
    uint64_t deadline = log_uptime_us() + GET_DEFAULT_TIMEOUT_US;
    for (;;) {
        const uint8_t *in;
        size_t n = t->ops->recv(t->ctx, &in, log_uptime_us());
        if (n == sizeof(m) && in[1] == GET_TYPE_HOST_RESPONSE && in[2] == (GET_REQ_EXT_ECHO & 0xFF) &&
            in[3] == (GET_REQ_EXT_ECHO >> 8))
            return 0;
        if (log_uptime_us() > deadline)
            return -ETIMEDOUT;
    }
}

int get_bench(struct get_instance *g, unsigned n, size_t blob_bytes, char *out, size_t cap)
{
    if (!get_is_up(g))
        return -ENOTCONN;
    if (n == 0 || n > GET_BENCH_MAX_N || blob_bytes > GET_BENCH_BLOB_MAX)
        return -EINVAL;
    if (!g->bench_mem && blob_bytes && g->bench_alloc != NULL)
        g->bench_mem = g->bench_alloc(g->bench_alloc_ctx, 2 * (size_t)GET_BENCH_BLOB_MAX);
    if (!g->bench_mem && blob_bytes)
        return -ENOMEM;
    uint8_t *bench_blob = g->bench_mem, *bench_back = g->bench_mem + GET_BENCH_BLOB_MAX;
    uint64_t echo_med, echo_p99, echo_total, req_med, req_p99, req_total;
    for (unsigned i = 0; i < n; i++) {
        uint64_t t0 = rdtsc();
        int err = raw_echo(g);
        if (err)
            return err;
        g->samples[i] = tsc_ns(rdtsc() - t0);
    }
    stats(g, n, &echo_med, &echo_p99, &echo_total);
    for (unsigned i = 0; i < n; i++) {
        int64_t utc;
        uint64_t t0 = rdtsc();
        int err = get_read_time(g, &utc);
        if (err)
            return err;
        g->samples[i] = tsc_ns(rdtsc() - t0);
    }
    stats(g, n, &req_med, &req_p99, &req_total);
    for (size_t i = 0; i < blob_bytes; i++)
        bench_blob[i] = (uint8_t)(i * 31 + 7);
    uint64_t t0 = rdtsc();
    int err = get_save_state(g, bench_blob, blob_bytes, 30000000u);
    uint64_t save_ns = tsc_ns(rdtsc() - t0);
    if (err)
        return err;
    size_t back = 0;
    t0 = rdtsc();
    err = get_restore_state(g, bench_back, GET_BENCH_BLOB_MAX, &back, 30000000u);
    uint64_t restore_ns = tsc_ns(rdtsc() - t0);
    if (err)
        return err;
    bool same = back == blob_bytes && memcmp(bench_blob, bench_back, back) == 0;
    int len = snprintf(out, cap,
        "{\"n\":%u,\"echo_median_ns\":%llu,\"echo_p99_ns\":%llu,\"echo_total_ns\":%llu,"
        "\"request_median_ns\":%llu,\"request_p99_ns\":%llu,\"request_total_ns\":%llu,"
        "\"blob_bytes\":%llu,\"save_ns\":%llu,\"restore_ns\":%llu,\"restore_matches\":%s,"
        "\"transport\":\"%s\"}",
        n, (unsigned long long)echo_med, (unsigned long long)echo_p99,
        (unsigned long long)echo_total, (unsigned long long)req_med,
        (unsigned long long)req_p99, (unsigned long long)req_total,
        (unsigned long long)blob_bytes, (unsigned long long)save_ns,
        (unsigned long long)restore_ns, same ? "true" : "false", g->ring.active ? "ring" : "uart");
    return len < 0 || (size_t)len >= cap ? -ENOSPC : len;
}
