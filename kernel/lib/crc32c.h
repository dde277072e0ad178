/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as used by the UART framing
 * (get/frame.h) and iSCSI/SSE4.2. */
#ifndef MEZZ_KERNEL_LIB_CRC32C_H
#define MEZZ_KERNEL_LIB_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#define CRC32C_POLY_REFLECTED 0x82F63B78u

/* Continues crc over data (crc = 0 to start); crc32c(0, "123456789", 9) = 0xE3069283. */
uint32_t crc32c(uint32_t crc, const void *data, size_t len);

/* The byte table crc32c() uses: entry i is the CRC of byte i with no pre/post inversion.
 * Exposed so the unit test can hold it against the polynomial. */
extern const uint32_t crc32c_table[256];

#endif
