/*
 * SHA-256 (FIPS 180-4), our own implementation: integer-only so it builds for the
 * kernel (-mgeneral-regs-only), the boot shim, the EFI app and the host tests.
 * Checked against the FIPS 180-4 / NIST CAVP example vectors (tests/unit/test_sha256.c).
 */
#ifndef MEZZ_KERNEL_LIB_SHA256_H
#define MEZZ_KERNEL_LIB_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64

struct sha256_ctx {
    uint32_t state[8];
    uint64_t total_bytes;
    uint8_t block[SHA256_BLOCK_SIZE];
    uint32_t block_used;
    bool use_bmi2;        /* sha256_init sets it from CPUID; tests clear it for the generic rounds */
};

void sha256_init(struct sha256_ctx *ctx);
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_SIZE]);
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

#endif
