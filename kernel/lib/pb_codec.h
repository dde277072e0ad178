/*
 * One message <-> one buffer with nanopb (docs/saved-state.md), with errno results:
 * the saved-state codecs of every device core use these two and nothing else of nanopb.
 * Pure; builds freestanding (nanopb's runtime from Debian's source, PB_BUFFER_ONLY).
 */
#ifndef MEZZ_LIB_PB_CODEC_H
#define MEZZ_LIB_PB_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "pb.h"

/* Encodes msg into buf[0, cap). Returns 0 with *len set, -ENOSPC if it does not fit
 * (nothing useful in buf then), or -EINVAL if nanopb refuses the message. */
int pb_codec_encode(const pb_msgdesc_t *fields, const void *msg, uint8_t *buf, size_t cap,
                    size_t *len);

/* Decodes all of buf[0, len) into msg (set to its defaults first). Returns 0, or -EINVAL
 * for anything malformed: a bad tag or wire type, a truncated field, a string, bytes or
 * array larger than the schema allows. msg is scratch: callers decode into a temporary. */
int pb_codec_decode(const pb_msgdesc_t *fields, void *msg, const uint8_t *buf, size_t len);

#endif
