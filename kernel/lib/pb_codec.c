/* nanopb with errno results; see pb_codec.h. */
#include "kernel/lib/pb_codec.h"

#include <errno.h>

#include "pb_decode.h"
#include "pb_encode.h"

int pb_codec_encode(const pb_msgdesc_t *fields, const void *msg, uint8_t *buf, size_t cap,
                    size_t *len)
{
    /* Straight into buf: a sizing pass first would encode everything twice (and nanopb
     * already sizes each submessage before writing it), which costs the servicing save
     * its time with VTL0 stopped. Only a failure asks why. */
    pb_ostream_t out = pb_ostream_from_buffer(buf, cap);
    if (pb_encode(&out, fields, msg)) {
        *len = out.bytes_written;
        return 0;
    }
    size_t need = 0;
    if (pb_get_encoded_size(&need, fields, msg) && need > cap)
        return -ENOSPC;
    return -EINVAL;
}

int pb_codec_decode(const pb_msgdesc_t *fields, void *msg, const uint8_t *buf, size_t len)
{
    pb_istream_t in = pb_istream_from_buffer(buf, len);
    return pb_decode(&in, fields, msg) ? 0 : -EINVAL;
}
