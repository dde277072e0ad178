/* nanopb with errno results; see pb_codec.h. */
#include "kernel/lib/pb_codec.h"

#include <errno.h>

#include "pb_decode.h"
#include "pb_encode.h"

int pb_codec_encode(const pb_msgdesc_t *fields, const void *msg, uint8_t *buf, size_t cap,
                    size_t *len)
{
    size_t need = 0;
    if (!pb_get_encoded_size(&need, fields, msg))
        return -EINVAL;
    if (need > cap)
        return -ENOSPC;
    pb_ostream_t out = pb_ostream_from_buffer(buf, cap);
    if (!pb_encode(&out, fields, msg))
        return -EINVAL;
    *len = out.bytes_written;
    return 0;
}

int pb_codec_decode(const pb_msgdesc_t *fields, void *msg, const uint8_t *buf, size_t len)
{
    pb_istream_t in = pb_istream_from_buffer(buf, len);
    return pb_decode(&in, fields, msg) ? 0 : -EINVAL;
}
