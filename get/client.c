/* GET client; see client.h. */
#include "get/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "get/codec.h"

static void logf_(struct get_client *c, bool error, const char *fmt, ...) PRINTF_LIKE(3, 4);

static void logf_(struct get_client *c, bool error, const char *fmt, ...)
{
    char text[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if (c->ops.log)
        c->ops.log(c->ops.ctx, error, text);
}

static uint64_t now(struct get_client *c) { return c->ops.now_us(c->ops.ctx); }

static bool is_secondary(uint16_t id)
{
    return id == GET_REQ_IGVM_ATTEST || id == GET_REQ_VPCI_DEVICE_CONTROL;
}

static void count_codec_error(struct get_client *c, int err)
{
    c->stats.decode_errors++;
    switch (err) {
    case -EMSGSIZE: c->stats.err_length++; break;
    case -EPROTONOSUPPORT: c->stats.err_version++; break;
    case -EPROTOTYPE: c->stats.err_type++; break;
    case -EBADMSG: c->stats.err_id++; break;
    case -EINVAL: c->stats.err_bool++; break;
    case -ERANGE: c->stats.err_value++; break;
    default: break;
    }
}

void get_client_init(struct get_client *c, struct get_transport t, const struct get_client_ops *ops)
{
    memset(c, 0, sizeof(*c));
    c->t = t;
    c->ops = *ops;
    c->state = GET_CHAN_DOWN;
    c->negotiate_timeout_us = GET_NEGOTIATE_TIMEOUT_US;
}

unsigned get_client_queue_depth(const struct get_client *c, int which)
{
    unsigned n = 0;
    for (const struct get_req *r = c->queue[which]; r; r = r->next)
        n++;
    return n;
}

/* ---- request builders -------------------------------------------------------------- */

static void req_base(struct get_req *r, enum get_req_kind kind)
{
    memset(r, 0, sizeof(*r));
    r->kind = kind;
    r->timeout_us = GET_DEFAULT_TIMEOUT_US;
}

/* Copies an encoded message (at most sizeof(r->msg) bytes) into r; r->id is its id. */
static void req_set_msg(struct get_req *r, const void *msg, size_t len)
{
    if (len > sizeof(r->msg))
        len = sizeof(r->msg);
    memcpy(r->msg, msg, len);
    r->msg_len = len;
    struct get_header h;
    memcpy(&h, msg, sizeof(h));
    r->id = h.id;
}

void get_req_fixed(struct get_req *r, const void *msg, size_t len, void *resp, size_t resp_size)
{
    req_base(r, GET_KIND_FIXED);
    req_set_msg(r, msg, len);
    r->resp = resp;
    r->resp_size = resp_size;
}

void get_req_dps(struct get_req *r, uint8_t *buf, size_t cap)
{
    req_base(r, GET_KIND_DPS);
    r->id = GET_REQ_DEVICE_PLATFORM_SETTINGS_V2;
    r->msg_len = get_encode_header_only(r->msg, GET_TYPE_HOST_REQUEST, r->id);
    r->data = buf;
    r->data_cap = cap;
}

void get_req_save(struct get_req *r, const uint8_t *blob, size_t len)
{
    req_base(r, GET_KIND_SAVE);
    r->id = GET_REQ_SAVE_GUEST_VTL2_STATE;
    r->data = (uint8_t *)blob;   /* only read */
    r->data_len = len;
    r->data_cap = len;
}

void get_req_restore(struct get_req *r, uint8_t *buf, size_t cap)
{
    req_base(r, GET_KIND_RESTORE);
    r->id = GET_REQ_RESTORE_GUEST_VTL2_STATE;
    r->msg_len = get_encode_restore_request(r->msg);
    r->data = buf;
    r->data_cap = cap;
}

void get_req_echo(struct get_req *r, const void *payload, size_t len, uint8_t *buf, size_t cap)
{
    req_base(r, GET_KIND_ECHO);
    r->id = GET_REQ_EXT_ECHO;
    r->msg_len = get_encode_header_only(r->msg, GET_TYPE_HOST_REQUEST, r->id);
    if (len > sizeof(r->msg) - r->msg_len)
        len = sizeof(r->msg) - r->msg_len;
    memcpy(r->msg + r->msg_len, payload, len);
    r->msg_len += len;
    r->data = buf;
    r->data_cap = cap;
}

/* ---- completion and fatal errors -------------------------------------------------- */

static void complete(struct get_client *c, int q, int result)
{
    struct get_req *r = c->queue[q];
    c->queue[q] = r->next;
    if (!c->queue[q])
        c->tail[q] = NULL;
    r->next = NULL;
    r->result = result;
    r->done_us = now(c);
    r->state = GET_REQ_DONE;
}

/*
 * A fatal protocol error: the requests on the wire can no longer be matched to their
 * answers, so they fail with err; the channel is marked for re-establishment.
 */
static void fail_channel(struct get_client *c, int err, const char *what)
{
    c->stats.last_error = err;
    logf_(c, true, "fatal protocol error: %s (%d); re-establishing the channel", what, err);
    for (int q = 0; q < 2; q++) {
        if (c->queue[q] && c->queue[q]->state == GET_REQ_SENT)
            complete(c, q, err);
    }
    c->state = GET_CHAN_DOWN;
    c->version = 0;
    c->reconnect_pending = true;
}

static void fatal(struct get_client *c, int err, const char *what)
{
    c->stats.fatal_errors++;
    fail_channel(c, err, what);
}

/* ---- sending ----------------------------------------------------------------------- */

static int send_msg(struct get_client *c, const void *msg, size_t len)
{
    int err = c->t.ops->send(c->t.ctx, msg, len);
    if (err) {
        c->stats.send_errors++;
        c->stats.last_error = err;
    }
    return err;
}

static int send_save_chunks(struct get_client *c, struct get_req *r)
{
    size_t off = 0;
    do {
        size_t chunk = r->data_len - off;
        if (chunk > GET_MAX_PAYLOAD_SIZE)
            chunk = GET_MAX_PAYLOAD_SIZE;
        /* The last chunk says SUCCESS; an empty blob is one empty SUCCESS chunk so the
         * host still answers (docs/get.md). */
        uint16_t status = off + GET_MAX_PAYLOAD_SIZE >= r->data_len ? GET_SAVE_RESTORE_SUCCESS
                                                                    : GET_SAVE_RESTORE_MORE_DATA;
        size_t len = get_encode_save_chunk(c->txbuf, status, r->data + off, chunk);
        int err = send_msg(c, c->txbuf, len);
        if (err)
            return err;
        off += chunk;
    } while (off < r->data_len);
    return 0;
}

/* Puts the head of queue q on the wire if it is not there yet. */
static void start_head(struct get_client *c, int q)
{
    struct get_req *r = c->queue[q];
    if (!r || r->state != GET_REQ_QUEUED || (c->state != GET_CHAN_UP && !c->negotiating))
        return;
    int err = r->kind == GET_KIND_SAVE ? send_save_chunks(c, r) : send_msg(c, r->msg, r->msg_len);
    r->sent_us = now(c);
    r->deadline_us = r->sent_us + r->timeout_us;
    r->state = GET_REQ_SENT;
    if (err) {
        complete(c, q, err);
        return;
    }
    if (r->kind == GET_KIND_NOTIFY) {
        c->stats.notifications_sent++;
        complete(c, q, 0);
    }
}

/* ---- receiving --------------------------------------------------------------------- */

static void append(struct get_req *r, const uint8_t *p, size_t n)
{
    if (r->data_len + n > r->data_cap || r->data_len + n < r->data_len) {
        r->overflow = true;
        return;
    }
    memcpy(r->data + r->data_len, p, n);
    r->data_len += n;
}

/* Returns 1 when the request is complete, 0 when more responses are due, <0 fatal. */
static int handle_response(struct get_req *r, const struct get_header *h, const uint8_t *m,
                           size_t len)
{
    int err;
    size_t tail;
    switch (r->kind) {
    case GET_KIND_FIXED:
        err = get_decode(m, len, GET_TYPE_HOST_RESPONSE, r->id, r->resp, r->resp_size, NULL);
        return err ? err : 1;
    case GET_KIND_DPS:
        if (h->id == GET_REQ_DEVICE_PLATFORM_SETTINGS_V2) {
            struct get_dps_v2_response d;
            err = get_decode(m, len, GET_TYPE_HOST_RESPONSE, h->id, &d, sizeof(d), &tail);
            if (err)
                return err;
            append(r, m + sizeof(d), tail);
            return 1;
        } else {
            struct get_dps_v2_rev1_response d;
            err = get_decode(m, len, GET_TYPE_HOST_RESPONSE, h->id, &d, sizeof(d), &tail);
            if (err)
                return err;
            append(r, m + sizeof(d), tail);
            return d.payload_state == GET_DPS_PAYLOAD_END ? 1 : 0;
        }
    case GET_KIND_SAVE: {
        struct get_save_response d;
        err = get_decode(m, len, GET_TYPE_HOST_RESPONSE, h->id, &d, sizeof(d), NULL);
        if (err)
            return err;
        r->result = d.save_status == GET_SAVE_RESTORE_SUCCESS ? 0 : -EIO;
        return 1;
    }
    case GET_KIND_RESTORE: {
        struct get_restore_response d;
        err = get_decode(m, len, GET_TYPE_HOST_RESPONSE, h->id, &d, sizeof(d), &tail);
        if (err)
            return err;
        if (d.restore_status == GET_SAVE_RESTORE_FAILURE) {
            r->result = -EIO;
            return 1;
        }
        append(r, m + sizeof(d), tail);
        return d.restore_status == GET_SAVE_RESTORE_SUCCESS ? 1 : 0;
    }
    case GET_KIND_ECHO:
        append(r, m + sizeof(*h), len - sizeof(*h));
        return 1;
    case GET_KIND_NOTIFY:
        break;
    }
    return -EBADMSG;
}

static void route_response(struct get_client *c, const struct get_header *h, const uint8_t *m,
                           size_t len)
{
    int q = is_secondary(h->id) ? 1 : 0;
    struct get_req *r = c->queue[q];
    if (!r || r->state != GET_REQ_SENT) {
        c->stats.unexpected_responses++;
        logf_(c, false, "response id %u with no request waiting: dropped", h->id);
        return;
    }
    bool id_ok = h->id == r->id ||
                 (r->kind == GET_KIND_DPS && h->id == GET_REQ_DEVICE_PLATFORM_SETTINGS_V2_REV1);
    if (!id_ok) {
        c->stats.id_mismatch++;
        char what[64];
        snprintf(what, sizeof(what), "response id %u for request id %u", h->id, r->id);
        fatal(c, -EBADMSG, what);
        return;
    }
    int rc = handle_response(r, h, m, len);
    if (rc < 0) {
        count_codec_error(c, rc);
        char what[64];
        snprintf(what, sizeof(what), "bad response to request %u: %s", r->id,
                 get_codec_error_name(rc));
        fatal(c, rc, what);
        return;
    }
    c->stats.responses++;
    if (rc == 1) {
        int result = r->result;
        if (r->overflow) {
            c->stats.oversize_data++;
            result = -E2BIG;
        }
        complete(c, q, result);
    }
}

static void buffer_note(struct get_client *c, const struct get_header *h, const uint8_t *m,
                        size_t len)
{
    const struct get_msg_desc *d = get_msg_find(GET_TYPE_GUEST_NOTIFICATION, h->id);
    if (!d || h->id > GET_GNOTE_MAX || d->size > GET_NOTE_MAX_SIZE) {
        c->stats.notes_unsupported++;
        logf_(c, false, "guest notification %u not supported: dropped", h->id);
        return;
    }
    uint8_t copy[GET_NOTE_MAX_SIZE];
    int err = get_decode(m, len, GET_TYPE_GUEST_NOTIFICATION, h->id, copy, d->size, NULL);
    if (err) {
        count_codec_error(c, err);
        fatal(c, err, "malformed guest notification");
        return;
    }
    struct get_note_queue *nq = &c->notes[h->id];
    if (nq->count == GET_NOTE_DEPTH) {
        c->stats.notes_overflow++;
        fatal(c, -ENOSPC, "more than 16 guest notifications of one kind buffered");
        return;
    }
    unsigned slot = (nq->head + nq->count) % GET_NOTE_DEPTH;
    memcpy(nq->msg[slot], copy, d->size);
    nq->len[slot] = (uint8_t)d->size;
    nq->count++;
    c->stats.notes_received++;
}

/* Handles one received message (in the normal loop or while negotiating). */
static void dispatch(struct get_client *c, const uint8_t *m, size_t len, bool negotiating)
{
    struct get_header h;
    int err = get_peek_header(m, len, &h);
    if (err) {
        count_codec_error(c, err);
        if (negotiating)
            c->stats.stale_drained++;
        else
            fatal(c, err, "malformed header");
        return;
    }
    switch (h.type) {
    case GET_TYPE_GUEST_NOTIFICATION:
        buffer_note(c, &h, m, len);
        return;
    case GET_TYPE_HOST_RESPONSE:
        if (negotiating) {
            c->stats.stale_drained++;   /* a late answer from before the re-establishment */
            return;
        }
        route_response(c, &h, m, len);
        return;
    default:
        c->stats.wrong_direction++;
        if (!negotiating)
            fatal(c, -EPROTOTYPE, "host sent a host request or host notification");
        return;
    }
}

/* ---- negotiation ------------------------------------------------------------------- */

static int negotiation_failed(struct get_client *c, int err)
{
    c->stats.negotiation_failures++;
    c->stats.last_error = err;
    logf_(c, true, "version negotiation failed (%d)", err);
    return err;
}

int get_client_negotiate_begin(struct get_client *c)
{
    c->stats.negotiations++;
    c->reconnect_pending = false;
    c->negotiating = false;
    c->state = GET_CHAN_DOWN;
    c->version = 0;
    c->t.ops->reset(c->t.ctx);
    size_t len = get_encode_version_request(c->txbuf, GET_VERSION_NICKEL_REV2);
    int err = send_msg(c, c->txbuf, len);
    if (err)
        return negotiation_failed(c, err);
    c->negotiate_deadline_us = now(c) + c->negotiate_timeout_us;
    c->negotiating = true;
    return 0;
}

int get_client_negotiate_finish(struct get_client *c)
{
    if (!c->negotiating)
        return c->state == GET_CHAN_UP ? 0 : -ENOTCONN;
    c->negotiating = false;
    int err = 0;
    while (!err) {
        const uint8_t *m;
        uint64_t t = now(c);
        size_t n = c->t.ops->recv(c->t.ctx, &m, t);
        if (n == 0) {
            if (t >= c->negotiate_deadline_us) {
                err = -ETIMEDOUT;
                break;
            }
            if (c->ops.idle)
                c->ops.idle(c->ops.ctx);
            continue;
        }
        struct get_header h;
        if (get_peek_header(m, n, &h) == 0 && h.type == GET_TYPE_HOST_RESPONSE &&
            h.id == GET_REQ_VERSION) {
            struct get_version_response v;
            err = get_decode(m, n, GET_TYPE_HOST_RESPONSE, GET_REQ_VERSION, &v, sizeof(v), NULL);
            if (err) {
                count_codec_error(c, err);
                break;
            }
            if (!v.version_accepted) {
                err = -ECONNREFUSED;
                break;
            }
            c->state = GET_CHAN_UP;
            c->version = GET_VERSION_NICKEL_REV2;
            return 0;
        }
        dispatch(c, m, n, true);
    }
    /* What went out ahead of the answer was sent to a channel that is not up. */
    for (int q = 0; q < 2; q++) {
        if (c->queue[q] && c->queue[q]->state == GET_REQ_SENT)
            complete(c, q, err);
    }
    return negotiation_failed(c, err);
}

void get_client_send_ahead(struct get_client *c)
{
    for (int q = 0; q < 2; q++) {
        while (c->negotiating && c->queue[q] && c->queue[q]->state == GET_REQ_QUEUED)
            start_head(c, q);
    }
}

int get_client_negotiate(struct get_client *c)
{
    int err = get_client_negotiate_begin(c);
    return err ? err : get_client_negotiate_finish(c);
}

/* ---- the loop ---------------------------------------------------------------------- */

/* Reads the clock only when a request is on the wire: this runs on every poll. */
static void check_timeouts(struct get_client *c)
{
    for (int q = 0; q < 2; q++) {
        struct get_req *r = c->queue[q];
        if (r && r->state == GET_REQ_SENT && now(c) >= r->deadline_us) {
            c->stats.timeouts++;
            char what[48];
            snprintf(what, sizeof(what), "request %u timed out", r->id);
            fail_channel(c, -ETIMEDOUT, what);
        }
    }
}

static void reestablish(struct get_client *c)
{
    c->stats.reconnects++;
    int err = get_client_negotiate(c);
    if (err) {
        /* Fail what waits for the channel rather than hang; a later request retries. */
        for (int q = 0; q < 2; q++) {
            while (c->queue[q])
                complete(c, q, -ENOTCONN);
        }
    }
}

void get_client_poll(struct get_client *c)
{
    if (c->negotiating)
        (void)get_client_negotiate_finish(c);   /* nothing else can go out before it */
    for (unsigned budget = 0; budget < 64; budget++) {
        const uint8_t *m;
        size_t n = c->t.ops->recv(c->t.ctx, &m, now(c));
        if (n == 0)
            break;
        dispatch(c, m, n, false);
    }
    check_timeouts(c);
    bool work = c->queue[0] || c->queue[1];
    if (c->state == GET_CHAN_DOWN && (c->reconnect_pending || work))
        reestablish(c);
    for (int q = 0; q < 2; q++) {
        /* A notification completes on send; the next head may then go too. */
        while (c->queue[q] && c->queue[q]->state == GET_REQ_QUEUED && c->state == GET_CHAN_UP)
            start_head(c, q);
    }
}

int get_client_submit(struct get_client *c, struct get_req *r)
{
    if (r->state == GET_REQ_QUEUED || r->state == GET_REQ_SENT)
        return -EBUSY;
    int q = r->kind != GET_KIND_NOTIFY && is_secondary(r->id) ? 1 : 0;
    r->state = GET_REQ_QUEUED;
    r->result = 0;
    r->next = NULL;
    r->data_len = r->kind == GET_KIND_SAVE ? r->data_len : 0;
    r->overflow = false;
    if (c->tail[q])
        c->tail[q]->next = r;
    else
        c->queue[q] = r;
    c->tail[q] = r;
    if (r->kind != GET_KIND_NOTIFY)
        c->stats.requests++;
    return 0;
}

int get_client_wait(struct get_client *c, struct get_req *r)
{
    for (;;) {
        get_client_poll(c);
        if (r->state == GET_REQ_DONE || r->state == GET_REQ_IDLE)
            return r->result;
        if (c->ops.idle)
            c->ops.idle(c->ops.ctx);
    }
}

int get_client_call(struct get_client *c, struct get_req *r)
{
    int err = get_client_submit(c, r);
    return err ? err : get_client_wait(c, r);
}

int get_client_notify_now(struct get_client *c, const void *msg, size_t len)
{
    if (c->negotiating)
        (void)get_client_negotiate_finish(c);
    if (c->state != GET_CHAN_UP) {
        int err = get_client_negotiate(c);
        if (err)
            return err;
    }
    int err = send_msg(c, msg, len);
    if (!err)
        c->stats.notifications_sent++;
    return err;
}

int get_client_notify_queued(struct get_client *c, const void *msg, size_t len)
{
    for (unsigned i = 0; i < GET_NOTIFY_POOL; i++) {
        struct get_req *r = &c->notify_pool[i];
        if (r->state == GET_REQ_QUEUED || r->state == GET_REQ_SENT)
            continue;
        req_base(r, GET_KIND_NOTIFY);
        if (len > sizeof(r->msg))
            return -EMSGSIZE;
        req_set_msg(r, msg, len);
        get_client_submit(c, r);
        get_client_poll(c);
        return 0;
    }
    return -ENOSPC;
}

size_t get_client_take_note(struct get_client *c, uint16_t id, void *out, size_t cap)
{
    if (id > GET_GNOTE_MAX)
        return 0;
    struct get_note_queue *nq = &c->notes[id];
    if (nq->count == 0)
        return 0;
    size_t n = nq->len[nq->head];
    if (n > cap)
        n = cap;
    memcpy(out, nq->msg[nq->head], n);
    nq->head = (uint8_t)((nq->head + 1) % GET_NOTE_DEPTH);
    nq->count--;
    return n;
}

unsigned get_client_notes_pending(const struct get_client *c, uint16_t id)
{
    return id <= GET_GNOTE_MAX ? c->notes[id].count : 0;
}
