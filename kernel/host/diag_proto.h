/*
 * The diag channel's request/response protocol (docs/diag.md). It runs over COM3 with
 * the GET's framing (get/frame.h); one request frame gets one response frame. Pure.
 */
#ifndef MEZZ_KERNEL_DIAG_PROTO_H
#define MEZZ_KERNEL_DIAG_PROTO_H

#include <stdint.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

#define DIAG_VERSION 1

#define DIAG_OP_PING    0   /* no args; body "pong" */
#define DIAG_OP_INSPECT 1   /* args: PATH text (may be empty); body: JSON */
#define DIAG_OP_LOG     2   /* args: u64 from; body: struct diag_log_body + text */
#define DIAG_OP_GET     3   /* args: command text (docs/diag.md); body: JSON */
#define DIAG_OP_SCREENSHOT 4   /* args/body: kernel/host/screenshot.h */
#define DIAG_OP_SERVICING 5    /* args: command text ("pulse"); body: JSON (docs/diag.md) */
#define DIAG_OP_LAST    DIAG_OP_SERVICING
#define DIAG_OP_RESPONSE 0x80   /* set in a response's op */
/* Mezzanine -> host, once over COM3 at start-up: the ring offer (get/ring.h), tag 0;
 * the host answers op 0xC0 with a ring_answer. Never a request the host may send. */
#define DIAG_OP_RING_OFFER 0x40

struct diag_request {
    uint8_t version;   /* +0 DIAG_VERSION */
    uint8_t op;        /* +1 DIAG_OP_* */
    uint16_t tag;      /* +2 echoed in the response */
} PACKED;
STATIC_ASSERT_SIZE(struct diag_request, 4);

struct diag_response {
    uint8_t version;   /* +0 DIAG_VERSION */
    uint8_t op;        /* +1 request op | DIAG_OP_RESPONSE */
    uint16_t tag;      /* +2 */
    int32_t status;    /* +4 0 or a negative errno */
} PACKED;
STATIC_ASSERT_SIZE(struct diag_response, 8);
STATIC_ASSERT_OFFSET(struct diag_response, status, 4);

struct diag_log_body {
    uint64_t next;     /* +0 position to ask for next */
    uint64_t written;  /* +8 bytes ever logged */
} PACKED;
STATIC_ASSERT_SIZE(struct diag_log_body, 16);

/*
 * Validates a request frame: copies the header to *req and points *args and *args_len at the
 * rest. Returns 0, -EMSGSIZE (shorter than the header), -EPROTONOSUPPORT (version) or
 * -EOPNOTSUPP (unknown op; the header is still copied so the error can be answered).
 */
int diag_parse_request(const uint8_t *msg, size_t len, struct diag_request *req,
                       const uint8_t **args, size_t *args_len);

/* Writes a response header for req with status into out; returns its size. */
size_t diag_encode_response(void *out, const struct diag_request *req, int32_t status);

/*
 * Splits text (not NUL terminated, len bytes) into at most max words separated by
 * spaces, copying them NUL terminated into words[i] (each at most 63 chars). Returns the
 * word count or -E2BIG (too many or too long words).
 */
int diag_split_words(const char *text, size_t len, char words[][64], int max);

#endif
