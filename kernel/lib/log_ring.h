/*
 * The log ring: the last LOG_RING_SIZE bytes of formatted log text, kept for the diag
 * channel ("log") and for post-mortem reading. Pure; the storage is in the struct.
 */
#ifndef MEZZ_KERNEL_LOG_RING_H
#define MEZZ_KERNEL_LOG_RING_H

#include <stdint.h>
#include <stddef.h>

#define LOG_RING_SIZE 65536u  /* power of two */

struct log_ring {
    uint64_t written;          /* bytes ever appended; the ring holds the last ones */
    char data[LOG_RING_SIZE];
};

void log_ring_init(struct log_ring *ring);
void log_ring_append(struct log_ring *ring, const char *text, size_t len);

/*
 * Copies out bytes starting at absolute position `from` (as counted by `written`).
 * If `from` has already been overwritten, copying starts at the oldest byte still
 * held. *from ends just past the last byte copied. Returns the number of bytes
 * copied (≤ cap).
 */
size_t log_ring_read(const struct log_ring *ring, uint64_t *from, char *out, size_t cap);

#endif
