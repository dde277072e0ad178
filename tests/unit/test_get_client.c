/*
 * Unit tests for get/client.c against a scripted fake host: an in-memory transport that
 * records what the client sends and hands it scripted answers (the model is OpenVMM's
 * TestGedClient over an in-memory pipe). Time is a fake clock advanced by idle().
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "get/client.h"
#include "get/codec.h"

#define INBOX 64
#define SENT  256

struct msg { size_t len; uint8_t b[GET_MAX_MESSAGE_SIZE]; };

struct fake_host {
    uint64_t now;
    struct msg inbox[INBOX];
    unsigned in_head, in_count;
    struct { uint8_t type; uint16_t id; size_t len; uint16_t status; } sent[SENT];
    unsigned nsent;
    /* Auto-answers. */
    bool answer_version, refuse_version, answer_time, answer_save;
    unsigned save_chunks;
    uint8_t blob[200000];
    size_t blob_len;
    unsigned errors_logged;
};

static struct fake_host H;
static struct get_client C;

static void push(const void *m, size_t len)
{
    assert_true(H.in_count < INBOX);
    struct msg *s = &H.inbox[(H.in_head + H.in_count++) % INBOX];
    memcpy(s->b, m, len);
    s->len = len;
}

static void push_hdr(uint8_t type, uint16_t id)
{
    uint8_t m[4];
    get_encode_header_only(m, type, id);
    push(m, 4);
}

static void push_version(uint8_t accepted)
{
    struct get_version_response v = { .version_accepted = accepted };
    get_header_init(&v.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_VERSION);
    push(&v, sizeof(v));
}

static void push_time(int64_t utc)
{
    struct get_time_response t = { .utc = utc };
    get_header_init(&t.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_TIME);
    push(&t, sizeof(t));
}

/* A DPS v2 answer in one message (response id 18): the document doc[0, n). */
static void push_dps(const char *doc, size_t n)
{
    uint8_t m[64];
    struct get_dps_v2_response d = { .size = (uint32_t)n };
    assert_true(sizeof(d) + n <= sizeof(m));
    get_header_init(&d.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_DEVICE_PLATFORM_SETTINGS_V2);
    memcpy(m, &d, sizeof(d));
    memcpy(m + sizeof(d), doc, n);
    push(m, sizeof(d) + n);
}

static int fake_send(void *ctx, const void *m, size_t len)
{
    (void)ctx;
    const uint8_t *b = m;
    assert_true(H.nsent < SENT);
    H.sent[H.nsent].type = b[1];
    H.sent[H.nsent].id = (uint16_t)(b[2] | (b[3] << 8));
    H.sent[H.nsent].len = len;
    H.sent[H.nsent].status = len >= 6 ? (uint16_t)(b[4] | (b[5] << 8)) : 0;
    H.nsent++;
    uint16_t id = (uint16_t)(b[2] | (b[3] << 8));
    if (b[1] == GET_TYPE_HOST_REQUEST && id == GET_REQ_VERSION && H.answer_version)
        push_version(H.refuse_version ? 0 : 1);
    if (b[1] == GET_TYPE_HOST_REQUEST && id == GET_REQ_TIME && H.answer_time)
        push_time(1234);
    if (b[1] == GET_TYPE_HOST_REQUEST && id == GET_REQ_SAVE_GUEST_VTL2_STATE && H.answer_save) {
        H.save_chunks++;
        memcpy(H.blob + H.blob_len, b + 6, len - 6);
        H.blob_len += len - 6;
        uint16_t status = (uint16_t)(b[4] | (b[5] << 8));
        if (status == GET_SAVE_RESTORE_SUCCESS) {
            struct get_save_response r = { .save_status = GET_SAVE_RESTORE_SUCCESS };
            get_header_init(&r.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_SAVE_GUEST_VTL2_STATE);
            push(&r, sizeof(r));
        }
    }
    return 0;
}

static size_t fake_recv(void *ctx, const uint8_t **m, uint64_t now)
{
    (void)ctx;
    (void)now;
    if (!H.in_count)
        return 0;
    struct msg *s = &H.inbox[H.in_head];
    H.in_head = (H.in_head + 1) % INBOX;
    H.in_count--;
    *m = s->b;
    return s->len;
}

static void fake_reset(void *ctx) { (void)ctx; }
static uint64_t fake_now(void *ctx) { (void)ctx; return H.now; }
static void fake_idle(void *ctx) { (void)ctx; H.now += 100; }
static void fake_log(void *ctx, bool error, const char *text)
{
    (void)ctx;
    (void)text;
    if (error)
        H.errors_logged++;
}

static const struct get_transport_ops fake_ops = { fake_send, fake_recv, fake_reset };
static const struct get_client_ops client_ops = { fake_now, fake_idle, fake_log, NULL };

static int setup(void **state)
{
    (void)state;
    memset(&H, 0, sizeof(H));
    H.answer_version = true;
    get_client_init(&C, (struct get_transport){ &fake_ops, NULL }, &client_ops);
    return 0;
}

static int setup_up(void **state)
{
    setup(state);
    assert_int_equal(get_client_negotiate(&C), 0);
    H.nsent = 0;
    return 0;
}

/* ---- negotiation ------------------------------------------------------------------- */

static void test_negotiate_offers_nickel_rev2(void **state)
{
    (void)state;
    assert_int_equal(get_client_negotiate(&C), 0);
    assert_int_equal(C.state, GET_CHAN_UP);
    assert_int_equal(C.version, GET_VERSION_NICKEL_REV2);
    assert_int_equal(H.nsent, 1);
    assert_int_equal(H.sent[0].id, GET_REQ_VERSION);
    assert_int_equal(H.sent[0].len, 8);
}

static void test_negotiate_refused_and_timeout(void **state)
{
    (void)state;
    H.refuse_version = true;
    assert_int_equal(get_client_negotiate(&C), -ECONNREFUSED);
    assert_int_equal(C.state, GET_CHAN_DOWN);
    H.answer_version = false;
    assert_int_equal(get_client_negotiate(&C), -ETIMEDOUT);
    assert_int_equal(C.stats.negotiation_failures, 2);
}

static void test_negotiate_drains_stale_and_keeps_notes(void **state)
{
    (void)state;
    H.answer_version = false;
    push_time(1);                                           /* a late answer */
    struct get_update_generation_id_notification g = { .generation_id = { 7 } };
    get_header_init(&g.hdr, GET_TYPE_GUEST_NOTIFICATION, GET_GNOTE_UPDATE_GENERATION_ID);
    push(&g, sizeof(g));
    push_version(1);
    assert_int_equal(get_client_negotiate(&C), 0);
    assert_int_equal(C.stats.stale_drained, 1);
    assert_int_equal(get_client_notes_pending(&C, GET_GNOTE_UPDATE_GENERATION_ID), 1);
}

static void test_negotiate_bad_version_response(void **state)
{
    (void)state;
    H.answer_version = false;
    uint8_t bad[6] = { 1, 3, 1, 0, 5, 0 };   /* accepted = 5: not a ProtocolBool */
    push(bad, 6);
    assert_int_equal(get_client_negotiate(&C), -EINVAL);
    assert_int_equal(C.stats.err_bool, 1);
}

/* The halves: begin only sends VERSION (the answer waits in the inbox), finish takes
 * it, and its deadline counts from begin, not from finish. */
static void test_negotiate_in_two_halves(void **state)
{
    (void)state;
    assert_int_equal(get_client_negotiate_begin(&C), 0);
    assert_int_equal(H.nsent, 1);
    assert_int_equal(H.sent[0].id, GET_REQ_VERSION);
    assert_int_equal(C.state, GET_CHAN_DOWN);
    assert_int_equal(H.in_count, 1);                 /* the answer, not read yet */
    assert_int_equal(get_client_negotiate_finish(&C), 0);
    assert_int_equal(C.state, GET_CHAN_UP);
    assert_int_equal(H.in_count, 0);
    assert_int_equal(get_client_negotiate_finish(&C), 0);   /* nothing begun: the state */

    H.answer_version = false;
    C.negotiate_timeout_us = 1000;
    assert_int_equal(get_client_negotiate_begin(&C), 0);
    H.now += 5000;                                   /* the caller's work outlasts it */
    uint64_t before = H.now;
    assert_int_equal(get_client_negotiate_finish(&C), -ETIMEDOUT);
    assert_int_equal(H.now, before);                 /* no further wait */
    assert_int_equal(get_client_negotiate_finish(&C), -ENOTCONN);
}

/* A request submitted and polled between the halves goes out only after the version is
 * taken (a poll finishes the negotiation first); the VERSION answer is not mistaken for
 * the request's. */
static void test_poll_between_halves_finishes_negotiation(void **state)
{
    (void)state;
    H.answer_time = true;
    assert_int_equal(get_client_negotiate_begin(&C), 0);
    struct get_req r;
    struct get_time_response resp;
    uint8_t m[4];
    get_req_fixed(&r, m, get_encode_header_only(m, GET_TYPE_HOST_REQUEST, GET_REQ_TIME), &resp,
                  sizeof(resp));
    assert_int_equal(get_client_submit(&C, &r), 0);
    get_client_poll(&C);
    assert_int_equal(C.state, GET_CHAN_UP);
    assert_int_equal(H.nsent, 2);
    assert_int_equal(H.sent[1].id, GET_REQ_TIME);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(resp.utc, 1234);
    assert_int_equal(C.stats.unexpected_responses, 0);
    assert_int_equal(C.stats.negotiations, 1);
}

/* A request sent ahead goes out right behind VERSION, before the version is answered
 * (the host reads in order); its answer, behind the version's, is taken after it. If the
 * host refuses the version, the request fails with the negotiation. */
static void test_send_ahead_behind_version(void **state)
{
    (void)state;
    char buf[64];
    struct get_req r;
    assert_int_equal(get_client_negotiate_begin(&C), 0);
    get_req_dps(&r, (uint8_t *)buf, sizeof(buf));
    assert_int_equal(get_client_submit(&C, &r), 0);
    get_client_send_ahead(&C);
    assert_int_equal(H.nsent, 2);
    assert_int_equal(H.sent[0].id, GET_REQ_VERSION);
    assert_int_equal(H.sent[1].id, GET_REQ_DEVICE_PLATFORM_SETTINGS_V2);
    assert_int_equal(r.state, GET_REQ_SENT);
    push_dps("{}", 2);                            /* behind the VERSION answer */
    assert_int_equal(get_client_negotiate_finish(&C), 0);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(r.data_len, 2);
    assert_int_equal(C.stats.stale_drained + C.stats.unexpected_responses, 0);

    /* Refused: the request sent ahead fails with the negotiation's error. */
    H.refuse_version = true;
    assert_int_equal(get_client_negotiate_begin(&C), 0);
    get_req_dps(&r, (uint8_t *)buf, sizeof(buf));
    assert_int_equal(get_client_submit(&C, &r), 0);
    get_client_send_ahead(&C);
    assert_int_equal(get_client_negotiate_finish(&C), -ECONNREFUSED);
    assert_int_equal(r.state, GET_REQ_DONE);
    assert_int_equal(r.result, -ECONNREFUSED);
    assert_int_equal(get_client_queue_depth(&C, 0), 0);

    /* Outside a negotiation it sends nothing: the request waits for the channel. */
    H.refuse_version = false;
    get_req_dps(&r, (uint8_t *)buf, sizeof(buf));
    assert_int_equal(get_client_submit(&C, &r), 0);
    unsigned sent = H.nsent;
    get_client_send_ahead(&C);
    assert_int_equal(H.nsent, sent);
    assert_int_equal(r.state, GET_REQ_QUEUED);
}

/* ---- requests ---------------------------------------------------------------------- */

static int time_request(struct get_req *r, struct get_time_response *resp)
{
    uint8_t m[4];
    get_req_fixed(r, m, get_encode_header_only(m, GET_TYPE_HOST_REQUEST, GET_REQ_TIME), resp,
                  sizeof(*resp));
    return get_client_submit(&C, r);
}

static void test_fixed_request_matches_response(void **state)
{
    (void)state;
    H.answer_time = true;
    struct get_req r;
    struct get_time_response resp;
    assert_int_equal(time_request(&r, &resp), 0);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(resp.utc, 1234);
    assert_int_equal(C.stats.requests, 1);
    assert_int_equal(C.stats.responses, 1);
    assert_int_equal(time_request(&r, &resp), 0);
    assert_int_equal(get_client_submit(&C, &r), -EBUSY);
    assert_int_equal(get_client_wait(&C, &r), 0);
}

static void test_fifo_only_head_is_on_the_wire(void **state)
{
    (void)state;
    struct get_req a, b;
    struct get_time_response ra, rb;
    time_request(&a, &ra);
    time_request(&b, &rb);
    get_client_poll(&C);
    assert_int_equal(H.nsent, 1);                 /* only a */
    assert_int_equal(get_client_queue_depth(&C, 0), 2);
    push_time(1);
    get_client_poll(&C);
    assert_int_equal(a.state, GET_REQ_DONE);
    assert_int_equal(ra.utc, 1);
    assert_int_equal(H.nsent, 2);                 /* now b */
    push_time(2);
    get_client_poll(&C);
    assert_int_equal(b.state, GET_REQ_DONE);
    assert_int_equal(rb.utc, 2);
    assert_int_equal(get_client_queue_depth(&C, 0), 0);
}

static void test_response_with_wrong_id_is_fatal_and_reconnects(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    get_client_poll(&C);
    struct get_create_gpa_range_response c = { .status = 0 };
    get_header_init(&c.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_CREATE_RAM_GPA_RANGE);
    push(&c, sizeof(c));
    get_client_poll(&C);
    assert_int_equal(r.state, GET_REQ_DONE);
    assert_int_equal(r.result, -EBADMSG);
    assert_int_equal(C.stats.id_mismatch, 1);
    assert_int_equal(C.stats.fatal_errors, 1);
    assert_int_equal(C.stats.reconnects, 1);
    assert_int_equal(C.state, GET_CHAN_UP);       /* re-established */
    H.answer_time = true;
    assert_int_equal(time_request(&r, &resp), 0);
    assert_int_equal(get_client_wait(&C, &r), 0);
}

static void test_unexpected_response_is_dropped_not_fatal(void **state)
{
    (void)state;
    push_time(9);
    get_client_poll(&C);
    assert_int_equal(C.stats.unexpected_responses, 1);
    assert_int_equal(C.stats.fatal_errors, 0);
    assert_int_equal(C.state, GET_CHAN_UP);
}

static void test_malformed_response_is_fatal_with_its_kind(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    get_client_poll(&C);
    uint8_t t[31] = { 1, 3, 2, 0 };               /* TIME cut short */
    push(t, sizeof(t));
    get_client_poll(&C);
    assert_int_equal(r.result, -EMSGSIZE);
    assert_int_equal(C.stats.err_length, 1);
    uint8_t wrong_dir[4] = { 1, 2, 2, 0 };        /* a host request from the host */
    push(wrong_dir, 4);
    get_client_poll(&C);
    assert_int_equal(C.stats.wrong_direction, 1);
    uint8_t badver[4] = { 7, 3, 2, 0 };
    push(badver, 4);
    get_client_poll(&C);
    assert_int_equal(C.stats.err_version, 1);
    assert_int_equal(C.stats.fatal_errors, 3);
}

static void test_timeout_fails_request_and_next_succeeds(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    r.timeout_us = 5000;
    assert_int_equal(get_client_wait(&C, &r), -ETIMEDOUT);
    assert_int_equal(C.stats.timeouts, 1);
    assert_int_equal(C.stats.fatal_errors, 0);
    push_time(5);                                  /* the late answer */
    H.answer_time = true;
    time_request(&r, &resp);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(resp.utc, 1234);              /* not the stale 5 */
    assert_true(C.stats.stale_drained + C.stats.unexpected_responses >= 1);
}

static void test_reconnect_failure_fails_queue(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    r.timeout_us = 1000;
    H.answer_version = false;
    C.negotiate_timeout_us = 1000;
    assert_int_equal(get_client_wait(&C, &r), -ETIMEDOUT);
    time_request(&r, &resp);
    assert_int_equal(get_client_wait(&C, &r), -ENOTCONN);
}

static void test_secondary_queue_is_independent(void **state)
{
    (void)state;
    struct get_req p, s;
    struct get_time_response rp;
    struct { struct get_header hdr; uint32_t status; } rs;
    time_request(&p, &rp);
    uint8_t vpci[24] = { 0 };
    get_encode_header_only(vpci, GET_TYPE_HOST_REQUEST, GET_REQ_VPCI_DEVICE_CONTROL);
    get_req_fixed(&s, vpci, sizeof(vpci), &rs, sizeof(rs));
    get_client_submit(&C, &s);
    get_client_poll(&C);
    assert_int_equal(H.nsent, 2);                 /* both heads on the wire */
    assert_int_equal(get_client_queue_depth(&C, 1), 1);
    push_time(3);
    get_client_poll(&C);
    assert_int_equal(p.state, GET_REQ_DONE);
    assert_int_equal(s.state, GET_REQ_SENT);
}

/* ---- notifications ----------------------------------------------------------------- */

static void test_power_off_waits_behind_request_event_log_does_not(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    get_client_poll(&C);
    uint8_t m[8];
    assert_int_equal(get_client_notify_queued(&C, m, get_encode_power_off(m, false)), 0);
    assert_int_equal(get_client_notify_now(&C, m, get_encode_event_log(m, 1)), 0);
    assert_int_equal(H.nsent, 2);
    assert_int_equal(H.sent[1].id, GET_HNOTE_EVENT_LOG);   /* ahead of POWER_OFF */
    push_time(1);
    get_client_poll(&C);
    assert_int_equal(H.nsent, 3);
    assert_int_equal(H.sent[2].type, GET_TYPE_HOST_NOTIFICATION);
    assert_int_equal(H.sent[2].id, GET_HNOTE_POWER_OFF);
    assert_int_equal(get_client_queue_depth(&C, 0), 0);
    assert_int_equal(C.stats.notifications_sent, 2);
}

static void test_notify_pool_is_bounded(void **state)
{
    (void)state;
    struct get_req r;
    struct get_time_response resp;
    time_request(&r, &resp);
    get_client_poll(&C);
    uint8_t m[8];
    size_t n = get_encode_header_only(m, GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_RESET);
    for (int i = 0; i < GET_NOTIFY_POOL; i++)
        assert_int_equal(get_client_notify_queued(&C, m, n), 0);
    assert_int_equal(get_client_notify_queued(&C, m, n), -ENOSPC);
}

static void push_save_note(uint8_t tag)
{
    struct get_save_state_notification s = { .correlation_id = { tag }, .timeout_hint_secs = 60 };
    get_header_init(&s.hdr, GET_TYPE_GUEST_NOTIFICATION, GET_GNOTE_SAVE_GUEST_VTL2_STATE);
    push(&s, sizeof(s));
}

static void test_guest_notifications_buffer_16_then_fatal(void **state)
{
    (void)state;
    for (int i = 0; i < GET_NOTE_DEPTH; i++) {
        push_save_note((uint8_t)i);
        get_client_poll(&C);
    }
    assert_int_equal(get_client_notes_pending(&C, GET_GNOTE_SAVE_GUEST_VTL2_STATE), 16);
    assert_int_equal(C.stats.fatal_errors, 0);
    push_save_note(99);
    get_client_poll(&C);
    assert_int_equal(C.stats.notes_overflow, 1);
    assert_int_equal(C.stats.fatal_errors, 1);
    struct get_save_state_notification out;
    for (int i = 0; i < GET_NOTE_DEPTH; i++) {
        assert_int_equal(get_client_take_note(&C, GET_GNOTE_SAVE_GUEST_VTL2_STATE, &out, sizeof(out)),
                         sizeof(out));
        assert_int_equal(out.correlation_id[0], i);
    }
    assert_int_equal(get_client_take_note(&C, GET_GNOTE_SAVE_GUEST_VTL2_STATE, &out, sizeof(out)), 0);
    push_hdr(GET_TYPE_GUEST_NOTIFICATION, 5);     /* MODIFY_VTL2_SETTINGS: unsupported */
    get_client_poll(&C);
    assert_int_equal(C.stats.notes_unsupported, 1);
}

/* ---- chunked transfers ------------------------------------------------------------- */

static uint8_t blob[100001];

static void check_save(size_t len, unsigned chunks)
{
    setup_up(NULL);
    H.answer_save = true;
    for (size_t i = 0; i < len; i++)
        blob[i] = (uint8_t)(i * 13 + 1);
    struct get_req r;
    get_req_save(&r, blob, len);
    assert_int_equal(get_client_call(&C, &r), 0);
    assert_int_equal(H.save_chunks, chunks);
    assert_int_equal(H.blob_len, len);
    assert_memory_equal(H.blob, blob, len);
    for (unsigned i = 0; i < chunks; i++) {
        assert_true(H.sent[i].len <= 6 + GET_MAX_PAYLOAD_SIZE);
        assert_int_equal(H.sent[i].status, i + 1 == chunks ? GET_SAVE_RESTORE_SUCCESS
                                                           : GET_SAVE_RESTORE_MORE_DATA);
    }
}

static void test_save_chunking(void **state)
{
    (void)state;
    check_save(0, 1);
    check_save(1, 1);
    check_save(8191, 1);
    check_save(8192, 1);
    check_save(8193, 2);
    check_save(100000, 13);
}

static void push_restore_chunks(size_t len)
{
    static uint8_t m[sizeof(struct get_restore_response) + GET_MAX_PAYLOAD_SIZE];
    size_t off = 0;
    do {
        size_t n = len - off > GET_MAX_PAYLOAD_SIZE ? GET_MAX_PAYLOAD_SIZE : len - off;
        struct get_restore_response h = { .data_length = (uint32_t)n,
            .restore_status = off + n >= len ? GET_SAVE_RESTORE_SUCCESS : GET_SAVE_RESTORE_MORE_DATA };
        get_header_init(&h.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_RESTORE_GUEST_VTL2_STATE);
        memcpy(m, &h, sizeof(h));
        memcpy(m + sizeof(h), blob + off, n);
        push(m, sizeof(h) + n);
        off += n;
    } while (off < len);
}

static void check_restore(size_t len)
{
    setup_up(NULL);
    for (size_t i = 0; i < len; i++)
        blob[i] = (uint8_t)(i * 5 + 3);
    static uint8_t back[100001];
    struct get_req r;
    get_req_restore(&r, back, sizeof(back));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    assert_int_equal(H.sent[0].id, GET_REQ_RESTORE_GUEST_VTL2_STATE);
    assert_int_equal(H.sent[0].status, GET_SAVE_RESTORE_REQUEST_DATA);
    /* Chunks arrive a few at a time, as the inbox holds INBOX messages. */
    push_restore_chunks(len);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(r.data_len, len);
    assert_memory_equal(back, blob, len);
}

static void test_restore_chunking(void **state)
{
    (void)state;
    check_restore(0);
    check_restore(1);
    check_restore(8191);
    check_restore(8192);
    check_restore(8193);
    check_restore(100000);
}

static void test_restore_failure_and_overflow(void **state)
{
    (void)state;
    uint8_t back[100];
    struct get_req r;
    get_req_restore(&r, back, sizeof(back));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    struct get_restore_response f = { .restore_status = GET_SAVE_RESTORE_FAILURE };
    get_header_init(&f.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_RESTORE_GUEST_VTL2_STATE);
    push(&f, sizeof(f));
    assert_int_equal(get_client_wait(&C, &r), -EIO);
    get_req_restore(&r, back, sizeof(back));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    push_restore_chunks(1000);
    assert_int_equal(get_client_wait(&C, &r), -E2BIG);
    assert_int_equal(C.stats.oversize_data, 1);
    assert_int_equal(C.stats.fatal_errors, 0);
}

static void test_dps_single_and_chunked(void **state)
{
    (void)state;
    char buf[64];
    struct get_req r;
    get_req_dps(&r, (uint8_t *)buf, sizeof(buf));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    push_dps("{\"a\"", 4);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(r.data_len, 4);

    get_req_dps(&r, (uint8_t *)buf, sizeof(buf));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    const char *parts[] = { "{\"V2\"", ":{}", "}" };
    uint8_t m[64];
    for (int i = 0; i < 3; i++) {
        struct get_dps_v2_rev1_response c = { .size = (uint32_t)strlen(parts[i]),
                                              .payload_state = i < 2 ? GET_DPS_PAYLOAD_MORE : GET_DPS_PAYLOAD_END };
        get_header_init(&c.hdr, GET_TYPE_HOST_RESPONSE, GET_REQ_DEVICE_PLATFORM_SETTINGS_V2_REV1);
        memcpy(m, &c, sizeof(c));
        memcpy(m + sizeof(c), parts[i], c.size);
        push(m, sizeof(c) + c.size);
    }
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(r.data_len, 9);
    assert_memory_equal(buf, "{\"V2\":{}}", 9);
}

static void test_echo(void **state)
{
    (void)state;
    uint8_t back[16];
    struct get_req r;
    get_req_echo(&r, "ping", 4, back, sizeof(back));
    get_client_submit(&C, &r);
    get_client_poll(&C);
    uint8_t m[8];
    get_encode_header_only(m, GET_TYPE_HOST_RESPONSE, GET_REQ_EXT_ECHO);
    memcpy(m + 4, "ping", 4);
    push(m, 8);
    assert_int_equal(get_client_wait(&C, &r), 0);
    assert_int_equal(r.data_len, 4);
    assert_memory_equal(back, "ping", 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_negotiate_offers_nickel_rev2, setup),
        cmocka_unit_test_setup(test_negotiate_refused_and_timeout, setup),
        cmocka_unit_test_setup(test_negotiate_drains_stale_and_keeps_notes, setup),
        cmocka_unit_test_setup(test_negotiate_bad_version_response, setup),
        cmocka_unit_test_setup(test_negotiate_in_two_halves, setup),
        cmocka_unit_test_setup(test_poll_between_halves_finishes_negotiation, setup),
        cmocka_unit_test_setup(test_send_ahead_behind_version, setup),
        cmocka_unit_test_setup(test_fixed_request_matches_response, setup_up),
        cmocka_unit_test_setup(test_fifo_only_head_is_on_the_wire, setup_up),
        cmocka_unit_test_setup(test_response_with_wrong_id_is_fatal_and_reconnects, setup_up),
        cmocka_unit_test_setup(test_unexpected_response_is_dropped_not_fatal, setup_up),
        cmocka_unit_test_setup(test_malformed_response_is_fatal_with_its_kind, setup_up),
        cmocka_unit_test_setup(test_timeout_fails_request_and_next_succeeds, setup_up),
        cmocka_unit_test_setup(test_reconnect_failure_fails_queue, setup_up),
        cmocka_unit_test_setup(test_secondary_queue_is_independent, setup_up),
        cmocka_unit_test_setup(test_power_off_waits_behind_request_event_log_does_not, setup_up),
        cmocka_unit_test_setup(test_notify_pool_is_bounded, setup_up),
        cmocka_unit_test_setup(test_guest_notifications_buffer_16_then_fatal, setup_up),
        cmocka_unit_test_setup(test_save_chunking, setup_up),
        cmocka_unit_test_setup(test_restore_chunking, setup_up),
        cmocka_unit_test_setup(test_restore_failure_and_overflow, setup_up),
        cmocka_unit_test_setup(test_dps_single_and_chunked, setup_up),
        cmocka_unit_test_setup(test_echo, setup_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
