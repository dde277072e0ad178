/* Log ring buffer; see log_ring.h. */
#include "kernel/lib/log_ring.h"

_Static_assert((LOG_RING_SIZE & (LOG_RING_SIZE - 1)) == 0, "LOG_RING_SIZE is a power of two");

void log_ring_init(struct log_ring *ring)
{
    ring->written = 0;
}

void log_ring_append(struct log_ring *ring, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++)
        ring->data[(ring->written + i) & (LOG_RING_SIZE - 1)] = text[i];
    ring->written += len;
}

size_t log_ring_read(const struct log_ring *ring, uint64_t *from, char *out, size_t cap)
{
    uint64_t oldest = ring->written > LOG_RING_SIZE ? ring->written - LOG_RING_SIZE : 0;
    if (*from < oldest)
        *from = oldest;
    if (*from > ring->written)
        *from = ring->written;
    size_t n = 0;
    while (n < cap && *from + n < ring->written) {
        out[n] = ring->data[(*from + n) & (LOG_RING_SIZE - 1)];
        n++;
    }
    *from += n;
    return n;
}
