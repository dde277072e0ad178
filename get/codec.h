/*
 * GET codec: builds the messages Mezzanine sends and validates the ones it receives.
 * Pure. Decoding copies the message into a caller struct first and validates the copy
 * (header version, type, id, exact length, ProtocolBool and status values, the trailing
 * data a length field announces); nothing is acted on before that.
 *
 * Errors are negative errno values, one per kind of defect, so a counter or a test can
 * tell them apart:
 *   -EMSGSIZE         wrong length (too short, too long, or a length field that does not
 *                     match the bytes that follow)
 *   -EPROTONOSUPPORT  header version is not 1
 *   -EPROTOTYPE       header type is not the expected one (or not 1..4)
 *   -EBADMSG          message id is not the expected one (or unknown)
 *   -EINVAL           a ProtocolBool byte is neither 0 nor 1
 *   -ERANGE           a status or enum field holds a value the protocol does not define
 */
#ifndef MEZZ_GET_CODEC_H
#define MEZZ_GET_CODEC_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "get/protocol.h"

/* What the codec knows about one message kind. */
struct get_msg_desc {
    const char *name;
    uint8_t type;          /* GET_TYPE_* */
    uint16_t id;
    uint16_t size;         /* fixed part */
    bool tail;             /* variable data may follow the fixed part */
};

/* The descriptor of (type, id), or NULL if Mezzanine does not know that message. */
const struct get_msg_desc *get_msg_find(uint8_t type, uint16_t id);
/* All descriptors (for tests and the fuzzer). */
const struct get_msg_desc *get_msg_table(size_t *count);

static inline void get_header_init(struct get_header *hdr, uint8_t type, uint16_t id)
{
    hdr->version = GET_HEADER_VERSION_1;
    hdr->type = type;
    hdr->id = id;
}

/*
 * Validates only the header of msg (len bytes): version 1, type 1..4. Copies it to *out.
 * Returns 0, -EMSGSIZE (len < 4), -EPROTONOSUPPORT or -EPROTOTYPE.
 */
int get_peek_header(const void *msg, size_t len, struct get_header *out);

/*
 * Validates msg as message (type, id) and copies its fixed part into out (out_size must
 * be the descriptor's size). For messages with a tail, *tail_len (if not NULL) receives
 * the number of bytes after the fixed part, already checked against the length field.
 * Returns 0 or one of the errors listed at the top of this file.
 */
int get_decode(const void *msg, size_t len, uint8_t type, uint16_t id, void *out,
               size_t out_size, size_t *tail_len);

/* A short name for an error returned by this codec ("length", "version", ...). */
const char *get_codec_error_name(int err);

/* ---- encoders: each writes the whole message into buf and returns its length ------- */
size_t get_encode_version_request(void *buf, uint32_t version);
size_t get_encode_header_only(void *buf, uint8_t type, uint16_t id);
size_t get_encode_create_gpa_range(void *buf, uint32_t slot, uint64_t gpa_start,
                                   uint64_t gpa_count, uint64_t gpa_offset, uint64_t flags);
size_t get_encode_reset_gpa_range(void *buf, uint32_t slot);
size_t get_encode_map_framebuffer(void *buf, uint64_t gpa);
size_t get_encode_power_off(void *buf, bool hibernate);
size_t get_encode_event_log(void *buf, uint32_t event_log_id);
size_t get_encode_restore_completed(void *buf, uint16_t status);
size_t get_encode_restore_request(void *buf);
/* START_VTL0_COMPLETED with an optional UTF-8 error text; cap bounds the whole message. */
size_t get_encode_start_vtl0_completed(void *buf, size_t cap, uint32_t status, const char *text);
size_t get_encode_vtl_crash(void *buf, uint32_t vp_index, uint8_t last_vtl, uint64_t control,
                            const uint64_t parameters[5]);
/* SAVE chunk: header + status + data (len <= GET_MAX_PAYLOAD_SIZE). */
size_t get_encode_save_chunk(void *buf, uint16_t status, const void *data, size_t len);
/* TRIPLE_FAULT header + count registers (count <= GET_TRIPLE_FAULT_MAX_REGS). */
size_t get_encode_triple_fault(void *buf, uint32_t vp_index, uint32_t fault_type,
                               const struct get_register_state *regs, uint32_t count);
/* EXT_VTL0_HALTED (ours, docs/get.md): VTL0 stopped itself; reason GET_VTL0_HALTED_*. */
size_t get_encode_vtl0_halted(void *buf, uint32_t vp_index, uint32_t reason, uint64_t rip);

#endif
