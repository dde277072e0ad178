/*
 * The GET (and diag) transport over a pair of shared-memory rings (get/ring.h;
 * docs/get.md, "Rings"): whole packets, message boundaries kept, behind the unchanged
 * get/transport.h. Pure: the ring memory is given as pointers and the doorbells and the
 * clock go through ops, so unit tests and the fuzzer play the host in plain memory.
 *
 * Everything the host writes (its index, packet headers, lengths, trailers, payloads)
 * is untrusted: the consumer reads the host's index once, copies a packet out, then
 * validates the copy; positions are indices masked by Mezzanine's private copy of the
 * ring size, so no host value makes it touch memory outside the ring. A defect is
 * counted and the consumer resynchronises to the host's write index (what was in flight
 * is lost; the GET client's timeouts and re-negotiation recover the rest). A host read
 * index that claims more than was written marks the guest->host ring broken: sends
 * fail with -EPIPE until the channel is re-established (reset), which re-bases on the
 * host's current read index.
 */
#ifndef MEZZ_GET_TRANSPORT_RING_H
#define MEZZ_GET_TRANSPORT_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "get/frame.h"
#include "get/ring.h"
#include "get/transport.h"

#define RING_TORN_TIMEOUT_US 200000u   /* a packet the host left half-published is dropped */
#define RING_TX_WAIT_US      200000u   /* a full guest->host ring waits this long, then fails */

struct ring_transport_ops {
    void (*doorbell)(void *ctx);            /* "look at your ring" to the host */
    size_t (*take_doorbells)(void *ctx);    /* drains the host's doorbells; how many */
    uint64_t (*now_us)(void *ctx);
    void (*idle)(void *ctx);                /* one pause while waiting for room */
    void *ctx;
};

/* One direction, as Mezzanine sees it. own_index is Mezzanine's private copy of the
 * index it owns; size is its private copy of the data size (the page's copy is the
 * host's to read, never read back). */
struct ring_view {
    volatile struct ring_control *ctl;
    volatile uint8_t *data;
    uint32_t size;
    uint32_t own_index;
};

struct ring_transport_stats {
    uint64_t rx_packets, rx_bytes;
    uint64_t tx_packets, tx_bytes;
    uint64_t doorbells_in, doorbells_out;
    uint64_t bad_index;      /* host write index more than a ring ahead (or behind) */
    uint64_t bad_length;     /* packet length 0, over max_payload, or longer than the ring */
    uint64_t bad_start;      /* packet header's start is not where it should be (rewind) */
    uint64_t bad_trailer;    /* trailer does not match the header (torn or overwritten) */
    uint64_t torn;           /* packet left incomplete for RING_TORN_TIMEOUT_US */
    uint64_t resyncs;        /* consumer jumped to the host's write index */
    uint64_t tx_bad_index;   /* host read index beyond what Mezzanine wrote */
    uint64_t tx_full;        /* sends that found no room within RING_TX_WAIT_US */
    uint64_t tx_errors;      /* sends refused (size, broken ring) */
    uint64_t resets;
};

struct ring_transport {
    struct ring_view tx;     /* guest -> host: Mezzanine produces */
    struct ring_view rx;     /* host -> guest: Mezzanine consumes */
    size_t max_payload;
    bool tx_broken;
    bool waiting;            /* rx: an incomplete packet is being waited for */
    uint64_t waiting_since_us;
    struct ring_transport_ops ops;
    struct ring_transport_stats stats;
    uint8_t buf[FRAME_MAX_PAYLOAD];   /* the last packet, copied out */
};

/*
 * Builds both rings in the given memory (each a control page + size bytes at
 * RING_DATA_OFFSET) and resets their indices. Sizes must be powers of two that hold a
 * max_payload packet (max_payload <= FRAME_MAX_PAYLOAD). Returns 0 or -EINVAL.
 */
int ring_transport_init(struct ring_transport *rt, void *to_host, uint32_t to_host_size, void *to_guest,
                        uint32_t to_guest_size, size_t max_payload, const struct ring_transport_ops *ops);
struct get_transport ring_transport_iface(struct ring_transport *rt);

/*
 * Takes over rings an earlier Mezzanine built and the host accepted (the servicing
 * handoff carries them, docs/servicing.md): nothing is reset, the indices continue from
 * to_host_write (Mezzanine's write index into guest->host) and to_guest_read (its read
 * index into host->guest). Returns 0, -EINVAL as ring_transport_init, or -ESTALE if the
 * control pages do not show those indices (magic, size, or Mezzanine's own index
 * changed: the caller builds and offers fresh rings instead). The host's indices are
 * read as always, untrusted, by send and recv.
 */
int ring_transport_resume(struct ring_transport *rt, void *to_host, uint32_t to_host_size, void *to_guest,
                          uint32_t to_guest_size, size_t max_payload, const struct ring_transport_ops *ops,
                          uint32_t to_host_write, uint32_t to_guest_read);

/* The offer message for these rings at the given guest-physical addresses. */
void ring_offer_build(struct ring_offer *offer, const uint8_t channel_header[4], const struct ring_transport *rt,
                      uint64_t to_host_gpa, uint64_t to_guest_gpa);
/* Reads an answer: RING_ANSWER_ACCEPT / RING_ANSWER_REFUSE, or -ENOMSG if msg is not an
 * answer with this channel header, -EBADMSG if it is one but malformed. */
int ring_answer_parse(const uint8_t *msg, size_t len, const uint8_t answer_header[4]);

/*
 * Sends the offer over the bring-up transport (the UART) and waits up to timeout_us for
 * the answer; other messages meanwhile are dropped and counted in *dropped. Returns 0
 * (accepted: use the rings), -ECONNREFUSED, -ETIMEDOUT, -EBADMSG or the send's error.
 */
int ring_negotiate(struct get_transport *bringup, const struct ring_offer *offer,
                   const uint8_t answer_header[4], uint64_t timeout_us,
                   const struct ring_transport_ops *ops, uint64_t *dropped);

#endif
