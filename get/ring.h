/*
 * Shared-memory ring layout for the host channels (SPEC section 4; docs/get.md,
 * "Rings"). Declared once here; tests/harness/ring.py is the host's twin.
 *
 * One ring carries packets in one direction. It is a control page followed by a data
 * area of data_size bytes (a power of two) at RING_DATA_OFFSET:
 *
 *   control page (struct ring_control)
 *     +0  u32 magic        RING_MAGIC, written by Mezzanine when it builds the ring
 *     +4  u32 data_size    bytes in the data area (Mezzanine's private copy rules)
 *     +8  u32 write_index  owned by the producer: bytes ever written (free running)
 *     +64 u32 read_index   owned by the consumer: bytes ever consumed (free running)
 *   data area at +RING_DATA_OFFSET
 *
 * Indices are free-running byte counts; a position in the data area is the index
 * masked by data_size - 1, so no index value can point outside the area. As in VMBus
 * each side writes only its own index; the two live on different cache lines.
 *
 * A packet: header, payload, padding to 8 bytes, trailer. Packets wrap around the end
 * of the data area.
 *   header  {u32 length, u32 start}          start = the write index at the packet
 *   payload length bytes (1..max payload)
 *   pad     to a multiple of 8
 *   trailer {u32 start ^ RING_TRAILER_XOR, u32 length}
 * The start and trailer let the consumer tell a packet from a torn or rewound one.
 */
#ifndef MEZZ_GET_RING_H
#define MEZZ_GET_RING_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define RING_MAGIC         0x676E5A4Du   /* "MZng" little-endian bytes 4D 5A 6E 67 */
#define RING_DATA_OFFSET   4096u
#define RING_PACKET_ALIGN  8u
#define RING_TRAILER_XOR   0xA5C3F00Fu

struct ring_control {
    uint32_t magic;          /* +0 */
    uint32_t data_size;      /* +4 */
    uint32_t write_index;    /* +8  producer */
    uint32_t reserved0[13];  /* +12 */
    uint32_t read_index;     /* +64 consumer */
    uint32_t reserved1[15];  /* +68 */
} PACKED;
STATIC_ASSERT_SIZE(struct ring_control, 128);
STATIC_ASSERT_OFFSET(struct ring_control, data_size, 4);
STATIC_ASSERT_OFFSET(struct ring_control, write_index, 8);
STATIC_ASSERT_OFFSET(struct ring_control, read_index, 64);

struct ring_packet_header {
    uint32_t length;         /* +0 payload bytes */
    uint32_t start;          /* +4 write index at the packet's first byte */
} PACKED;
STATIC_ASSERT_SIZE(struct ring_packet_header, 8);
STATIC_ASSERT_OFFSET(struct ring_packet_header, start, 4);

struct ring_packet_trailer {
    uint32_t check;          /* +0 start ^ RING_TRAILER_XOR */
    uint32_t length;         /* +4 payload bytes again */
} PACKED;
STATIC_ASSERT_SIZE(struct ring_packet_trailer, 8);
STATIC_ASSERT_OFFSET(struct ring_packet_trailer, length, 4);

/* Bytes a packet of len payload bytes takes in the ring. */
#define RING_PACKET_BYTES(len) \
    (sizeof(struct ring_packet_header) + ALIGN_UP((uint32_t)(len), RING_PACKET_ALIGN) + \
     sizeof(struct ring_packet_trailer))

/*
 * The offer (Mezzanine -> host, over the channel's UART, once at start-up) and the
 * answer. Each begins with the channel's own 4-byte message header (the GET:
 * {1, HOST_REQUEST, 0x8002}; diag: {1, op 0x40, tag 0}); docs/get.md.
 */
#define RING_OFFER_VERSION 1u
#define RING_ANSWER_ACCEPT 0u
#define RING_ANSWER_REFUSE 1u

struct ring_offer {
    uint8_t channel_header[4];   /* +0 */
    uint32_t version;            /* +4  RING_OFFER_VERSION */
    uint64_t to_host_gpa;        /* +8  guest->host ring (control page) */
    uint64_t to_guest_gpa;       /* +16 host->guest ring (control page) */
    uint32_t to_host_size;       /* +24 data bytes, power of two */
    uint32_t to_guest_size;      /* +28 */
    uint32_t data_offset;        /* +32 RING_DATA_OFFSET */
    uint32_t max_payload;        /* +36 largest packet payload either way */
} PACKED;
STATIC_ASSERT_SIZE(struct ring_offer, 40);
STATIC_ASSERT_OFFSET(struct ring_offer, version, 4);
STATIC_ASSERT_OFFSET(struct ring_offer, to_host_gpa, 8);
STATIC_ASSERT_OFFSET(struct ring_offer, to_guest_gpa, 16);
STATIC_ASSERT_OFFSET(struct ring_offer, to_host_size, 24);
STATIC_ASSERT_OFFSET(struct ring_offer, to_guest_size, 28);
STATIC_ASSERT_OFFSET(struct ring_offer, data_offset, 32);
STATIC_ASSERT_OFFSET(struct ring_offer, max_payload, 36);

struct ring_answer {
    uint8_t channel_header[4];   /* +0 the channel's answer header */
    uint32_t status;             /* +4 RING_ANSWER_ACCEPT or RING_ANSWER_REFUSE */
} PACKED;
STATIC_ASSERT_SIZE(struct ring_answer, 8);
STATIC_ASSERT_OFFSET(struct ring_answer, status, 4);

#endif
