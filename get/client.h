/*
 * The GET client (OpenHCL's guest_emulation_transport process loop, in C). Pure: the
 * transport, the clock and the log are inputs.
 *
 * - Version negotiation: Mezzanine offers only NICKEL_REV2.
 * - Requests carry no transaction id. Two FIFO queues (primary; secondary for
 *   IGVM_ATTEST and VPCI_DEVICE_CONTROL); only the head of each is on the wire. A
 *   response goes to the queue its id belongs to and must carry the head's id (DPS v2
 *   also answers with id 27); a response with nothing waiting is counted and dropped.
 * - Each request has a timeout. Because responses carry no id, a timed-out request
 *   cannot be told apart from a late answer, so a timeout, like any fatal protocol
 *   error (malformed message, wrong id, wrong direction), fails the in-flight requests,
 *   is counted and logged, and the channel is re-established (version renegotiated,
 *   stale answers drained). Never a panic.
 * - Host notifications: EVENT_LOG, VTL_CRASH, TRIPLE_FAULT, RESTORE_COMPLETED and
 *   START_VTL0_COMPLETED go out at once; POWER_OFF and RESET wait in the primary queue
 *   behind the request in flight.
 * - Guest notifications are buffered, at most GET_NOTE_DEPTH per kind, until taken; one
 *   more is a fatal protocol error (as OpenHCL's BufferedSender<16>).
 * - SAVE sends a blob in chunks of at most 8192 bytes; RESTORE and DPS v2 collect
 *   chunked answers into a caller buffer.
 */
#ifndef MEZZ_GET_CLIENT_H
#define MEZZ_GET_CLIENT_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "get/protocol.h"
#include "get/transport.h"

#define GET_NOTE_DEPTH     16
#define GET_NOTE_MAX_SIZE  32     /* largest guest notification Mezzanine keeps */
#define GET_NOTIFY_POOL    4      /* queued POWER_OFF/RESET notifications at once */

#define GET_DEFAULT_TIMEOUT_US    2000000u
#define GET_NEGOTIATE_TIMEOUT_US  2000000u

enum get_req_kind {
    GET_KIND_FIXED,     /* one message out, one fixed-size response back into resp */
    GET_KIND_DPS,       /* DPS v2: response id 18 or a series of id-27 chunks into data */
    GET_KIND_SAVE,      /* data[0, data_len) out in SAVE chunks, one response back */
    GET_KIND_RESTORE,   /* REQUEST_DATA out, chunks back into data */
    GET_KIND_NOTIFY,    /* a queued host notification: done once written */
    GET_KIND_ECHO,      /* extension echo: the answer's tail is copied into data */
};

enum get_req_state { GET_REQ_IDLE, GET_REQ_QUEUED, GET_REQ_SENT, GET_REQ_DONE };

struct get_req {
    /* Set by the caller (get_req_* helpers below). */
    enum get_req_kind kind;
    uint16_t id;                 /* host request id (notification id for NOTIFY) */
    uint8_t msg[64];             /* the request message (not used by SAVE) */
    size_t msg_len;
    void *resp;                  /* FIXED: the decoded response lands here */
    size_t resp_size;            /* FIXED: the response's fixed size */
    uint8_t *data;               /* DPS, RESTORE, ECHO: received data; SAVE: data sent */
    size_t data_cap, data_len;
    uint64_t timeout_us;
    /* Owned by the client. */
    enum get_req_state state;
    int result;                  /* valid in GET_REQ_DONE: 0 or a negative errno */
    uint64_t deadline_us, sent_us, done_us;
    bool overflow;               /* DPS/RESTORE: more data than data_cap; kept reading */
    struct get_req *next;
};

struct get_client_ops {
    uint64_t (*now_us)(void *ctx);
    void (*idle)(void *ctx);                 /* called while waiting (kernel: pause) */
    void (*log)(void *ctx, bool error, const char *text);
    void *ctx;
};

enum get_chan_state { GET_CHAN_DOWN, GET_CHAN_UP };

struct get_client_stats {
    uint64_t requests, responses, notifications_sent, notes_received;
    uint64_t timeouts, fatal_errors, reconnects, negotiations, negotiation_failures;
    uint64_t unexpected_responses, stale_drained, id_mismatch, wrong_direction;
    uint64_t decode_errors, err_length, err_version, err_type, err_id, err_bool, err_value;
    uint64_t notes_overflow, notes_unsupported, send_errors, oversize_data;
    int last_error;
};

struct get_note_queue {
    uint8_t head, count;
    uint8_t len[GET_NOTE_DEPTH];
    uint8_t msg[GET_NOTE_DEPTH][GET_NOTE_MAX_SIZE];
};

struct get_client {
    struct get_transport t;
    struct get_client_ops ops;
    enum get_chan_state state;
    bool reconnect_pending;
    uint32_t version;            /* negotiated, 0 when down */
    uint64_t negotiate_timeout_us;
    bool negotiating;            /* VERSION sent by negotiate_begin, answer not taken yet */
    uint64_t negotiate_deadline_us;
    struct get_req *queue[2], *tail[2];   /* 0 primary, 1 secondary */
    struct get_note_queue notes[GET_GNOTE_MAX + 1];
    struct get_req notify_pool[GET_NOTIFY_POOL];
    struct get_client_stats stats;
    uint8_t txbuf[GET_MAX_MESSAGE_SIZE];
};

void get_client_init(struct get_client *c, struct get_transport t, const struct get_client_ops *ops);

/* Negotiates the version, waiting up to negotiate_timeout_us. Returns 0, -ETIMEDOUT,
 * -ECONNREFUSED (host declined), -EIO (send failed) or a codec error. */
int get_client_negotiate(struct get_client *c);
/* The same in two halves, so the caller can work while the host answers (a servicing
 * boot builds its partition meanwhile): begin sends VERSION (0 or the send's error);
 * finish waits for the answer until negotiate_timeout_us after begin and returns as
 * get_client_negotiate does (-ENOTCONN if no negotiation was begun and the channel is
 * down). A poll or a notification in between finishes the negotiation first. */
int get_client_negotiate_begin(struct get_client *c);
int get_client_negotiate_finish(struct get_client *c);
/* Between the halves: sends the queue heads now, right behind VERSION, instead of once
 * the version is taken. The host reads in order, so it has accepted the version before
 * it reads them, and answers both at one wake-up. If the negotiation fails, the requests
 * sent ahead fail with its error (a notification sent ahead completed when written).
 * Nothing happens outside a negotiation. */
void get_client_send_ahead(struct get_client *c);

/* Queue depth of queue 0 (primary) or 1 (secondary), in-flight head included. */
unsigned get_client_queue_depth(const struct get_client *c, int which);

/* Request builders: fill r for one request (r->timeout_us may be changed afterwards). */
void get_req_fixed(struct get_req *r, const void *msg, size_t len, void *resp, size_t resp_size);
void get_req_dps(struct get_req *r, uint8_t *buf, size_t cap);
void get_req_save(struct get_req *r, const uint8_t *blob, size_t len);
void get_req_restore(struct get_req *r, uint8_t *buf, size_t cap);
void get_req_echo(struct get_req *r, const void *payload, size_t len, uint8_t *buf, size_t cap);

/* Queues r. Returns 0 or -EBUSY if r is already queued. */
int get_client_submit(struct get_client *c, struct get_req *r);
/* Services the channel without blocking (except to re-establish it after a fatal error). */
void get_client_poll(struct get_client *c);
/* Polls until r is done; returns r->result. */
int get_client_wait(struct get_client *c, struct get_req *r);
/* submit + wait. */
int get_client_call(struct get_client *c, struct get_req *r);

/* Sends a host notification now (EVENT_LOG, VTL_CRASH, TRIPLE_FAULT, RESTORE_COMPLETED,
 * START_VTL0_COMPLETED). Returns 0 or a negative errno. */
int get_client_notify_now(struct get_client *c, const void *msg, size_t len);
/* Queues POWER_OFF or RESET behind the in-flight request. Returns 0 or -ENOSPC. */
int get_client_notify_queued(struct get_client *c, const void *msg, size_t len);

/* Takes the oldest buffered guest notification of kind id. Returns its length (copied
 * into out, at most cap bytes) or 0 if none is waiting. */
size_t get_client_take_note(struct get_client *c, uint16_t id, void *out, size_t cap);
unsigned get_client_notes_pending(const struct get_client *c, uint16_t id);

#endif
