/*
 * A host channel's rings in the kernel (docs/get.md, "Rings"): the memory kernel/main.c
 * set aside, the offer over the channel's UART, the UART byte as doorbell, and the
 * inspect view. Shared by the GET (kernel/host/get_instance.c) and diag.
 */
#ifndef MEZZ_KERNEL_HOST_RING_H
#define MEZZ_KERNEL_HOST_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/hw/uart16550.h"
#include "kernel/lib/compiler.h"
#include "get/transport.h"
#include "get/transport_ring.h"

#define HOST_RING_DATA_SIZE  (64u * 1024u)                         /* each direction */
#define HOST_RING_BYTES      (RING_DATA_OFFSET + HOST_RING_DATA_SIZE)
#define HOST_RING_PAIR_BYTES (2u * HOST_RING_BYTES)                 /* one channel */
#define HOST_RING_OFFER_TIMEOUT_US 500000u
#define HOST_RING_DOORBELL   0xDBu
/* Rings carried across the servicing handoff: if the GET does not negotiate over them
 * within this, the host lost them, and the new instance offers fresh ones over the UART. */
#define HOST_RING_CARRIED_TIMEOUT_US 200000u

struct inspect_writer;

/*
 * A channel's rings as the servicing handoff carries them to the next instance (in the
 * persisted page, kernel/servicing/persisted.h; docs/servicing.md): where they are and
 * where Mezzanine's own indices stand. Written by the old instance, read by the new one
 * as untrusted loader data (kernel/main.c checks the pages, ring_transport_resume the
 * control pages).
 */
struct host_ring_carry {
    uint64_t gpa;            /* the pair: guest->host here, host->guest at +HOST_RING_BYTES */
    uint32_t data_size;      /* each ring's data bytes: HOST_RING_DATA_SIZE */
    uint32_t to_host_write;  /* Mezzanine's write index into guest->host */
    uint32_t to_guest_read;  /* Mezzanine's read index into host->guest */
    uint32_t reserved;       /* 0 */
} PACKED;
STATIC_ASSERT_OFFSET(struct host_ring_carry, data_size, 8);
STATIC_ASSERT_OFFSET(struct host_ring_carry, to_guest_read, 16);
STATIC_ASSERT_SIZE(struct host_ring_carry, 24);

/* Set by kernel/main.c before the channel starts. mem == NULL or force_uart: UART only. */
struct host_ring_config {
    void *mem;               /* HOST_RING_PAIR_BYTES, page aligned, VTL2-private */
    uint64_t gpa;            /* its guest-physical address (what the host maps) */
    bool force_uart;         /* mezz.transport=uart */
    const struct host_ring_carry *carried;   /* rings at gpa the host accepted already */
};

struct host_ring {
    struct ring_transport rt;
    struct uart *uart;
    bool active;             /* the host accepted: the channel runs on the rings */
    int offer_result;        /* 0, -ECONNREFUSED, -ETIMEDOUT, ... (1: not offered) */
    uint64_t offer_dropped;  /* other messages seen while waiting for the answer */
    bool carried;            /* taken over from the previous instance: no offer made */
};

/*
 * With cfg->carried (a servicing boot): takes the rings over where the old instance
 * left them, with no offer (0; if their control pages do not agree, fresh rings are
 * offered as below). Otherwise builds the rings and offers them over `bringup` (the channel's UART transport, on
 * `uart`), with the channel's offer and answer headers. On acceptance returns 0 and
 * sets *use to the ring transport; otherwise *use stays as it was (the UART) and the
 * reason is returned and kept in offer_result.
 */
int host_ring_start(struct host_ring *hr, const struct host_ring_config *cfg, struct uart *uart,
                    struct get_transport bringup, const uint8_t offer_header[4],
                    const uint8_t answer_header[4], size_t max_payload, struct get_transport *use);

/* The channel's rings for the next instance: false if it does not use rings. */
bool host_ring_export(const struct host_ring *hr, const struct host_ring_config *cfg,
                      struct host_ring_carry *out);

/* "kind" plus, when rings are in use, their counters (inside the caller's object). */
void host_ring_inspect(struct inspect_writer *w, const struct host_ring *hr);

#endif
