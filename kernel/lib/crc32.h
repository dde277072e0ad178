/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320): the IGVM fixed-header checksum,
 * the same CRC zlib's crc32() computes, with a constant table (no file-scope state). */
#ifndef MEZZ_KERNEL_LIB_CRC32_H
#define MEZZ_KERNEL_LIB_CRC32_H

#include <stddef.h>
#include <stdint.h>

#define CRC32_POLY_REFLECTED 0xEDB88320u

/* CRC32_POLY_REFLECTED's byte table (exported for its unit test). */
extern const uint32_t crc32_table[256];

/* Continues a CRC: start with crc = 0. */
uint32_t crc32_update(uint32_t crc, const void *data, size_t len);

#endif
