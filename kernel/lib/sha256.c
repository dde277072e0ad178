/* SHA-256 as FIPS 180-4 section 6.2 specifies it; see sha256.h. */
#include "kernel/lib/sha256.h"

#include <stdbool.h>
#include <string.h>

/* x86-64 builds (the kernel, the shim, the EFI loader, the host tests) may use BMI2. */
#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#define SHA256_HAVE_BMI2 1
#else
#define SHA256_HAVE_BMI2 0
#endif

/* FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots
 * of the first 64 primes. */
static const uint32_t round_constants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t rotr(uint32_t x, unsigned n) { return (x >> n) | (x << (32 - n)); }

static uint32_t load_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void store_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Section 6.2.2: one 512-bit block, the message schedule expanded as it goes.
 *
 * A plain loop on purpose: under QEMU TCG (where the shim, the EFI loader and the
 * servicing handoff hash the whole image before entering it) this 64-round loop takes
 * two thirds of the time of the fully unrolled rounds it replaced, half with BMI2, and
 * is a twentieth of the code to translate (docs/benchmarks.md, "Boot time"). Natively
 * it is about 10% slower. */
static inline __attribute__((always_inline)) void compress_rounds(uint32_t state[8],
                                                                  const uint8_t *block)
{
    uint32_t w[64];
    uint32_t a = state[0], b = state[1], c = state[2], d = state[3];
    uint32_t e = state[4], f = state[5], g = state[6], h = state[7];

#pragma GCC unroll 1
    for (int t = 0; t < 64; t++) {
        if (t < 16) {
            w[t] = load_be32(block + 4 * t);
        } else {
            uint32_t w15 = w[t - 15], w2 = w[t - 2];
            uint32_t s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >> 3);
            uint32_t s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >> 10);
            w[t] = s1 + w[t - 7] + s0 + w[t - 16];
        }
        uint32_t big_s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
        uint32_t ch = (e & f) ^ (~e & g);
        uint32_t t1 = h + big_s1 + ch + round_constants[t] + w[t];
        uint32_t big_s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
        uint32_t maj = (a & b) ^ (a & c) ^ (b & c);
        uint32_t t2 = big_s0 + maj;
        h = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    state[0] += a;
    state[1] += b;
    state[2] += c;
    state[3] += d;
    state[4] += e;
    state[5] += f;
    state[6] += g;
    state[7] += h;
}

static void compress_generic(uint32_t state[8], const uint8_t *block)
{
    compress_rounds(state, block);
}

#if SHA256_HAVE_BMI2
/* The same rounds with BMI2's RORX (a rotate that leaves the flags alone, into another
 * register; AMD APM vol. 3): fewer instructions per round and, under TCG, no flag
 * bookkeeping; about 20% faster there. Only called when CPUID says BMI2 is present. */
__attribute__((target("bmi2"))) static void compress_bmi2(uint32_t state[8], const uint8_t *block)
{
    compress_rounds(state, block);
}

/* CPUID leaf 7, subleaf 0: EBX bit 8 is BMI2 (AMD APM vol. 3, CPUID Fn0000_0007_EBX). */
static bool cpu_has_bmi2(void)
{
    uint32_t eax = 0, ebx = 0, ecx = 0, edx = 0;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(0), "c"(0));
    if (eax < 7)
        return false;
    __asm__ volatile("cpuid" : "=a"(eax), "=b"(ebx), "=c"(ecx), "=d"(edx) : "a"(7), "c"(0));
    return (ebx & (1u << 8)) != 0;
}
#endif

static void compress(const struct sha256_ctx *ctx, uint32_t state[8], const uint8_t *block)
{
#if SHA256_HAVE_BMI2
    if (ctx->use_bmi2) {
        compress_bmi2(state, block);
        return;
    }
#else
    (void)ctx;
#endif
    compress_generic(state, block);
}

void sha256_init(struct sha256_ctx *ctx)
{
    /* Section 5.3.3: initial hash value. */
    static const uint32_t initial[8] = {
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
        0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    };
    memcpy(ctx->state, initial, sizeof(initial));
    ctx->total_bytes = 0;
    ctx->block_used = 0;
#if SHA256_HAVE_BMI2
    ctx->use_bmi2 = cpu_has_bmi2();
#else
    ctx->use_bmi2 = false;
#endif
}

void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len)
{
    const uint8_t *p = data;
    ctx->total_bytes += len;
    if (ctx->block_used != 0) {
        size_t take = SHA256_BLOCK_SIZE - ctx->block_used;
        if (take > len)
            take = len;
        memcpy(ctx->block + ctx->block_used, p, take);
        ctx->block_used += (uint32_t)take;
        p += take;
        len -= take;
        if (ctx->block_used < SHA256_BLOCK_SIZE)
            return;
        compress(ctx, ctx->state, ctx->block);
        ctx->block_used = 0;
    }
    while (len >= SHA256_BLOCK_SIZE) {
        compress(ctx, ctx->state, p);
        p += SHA256_BLOCK_SIZE;
        len -= SHA256_BLOCK_SIZE;
    }
    memcpy(ctx->block, p, len);
    ctx->block_used = (uint32_t)len;
}

/* Section 5.1.1: a 1 bit, zeros, then the message length in bits as 64-bit big endian. */
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_SIZE])
{
    uint64_t bits = ctx->total_bytes * 8;
    uint8_t *b = ctx->block;

    b[ctx->block_used++] = 0x80;
    if (ctx->block_used > SHA256_BLOCK_SIZE - 8) {
        memset(b + ctx->block_used, 0, SHA256_BLOCK_SIZE - ctx->block_used);
        compress(ctx, ctx->state, b);
        ctx->block_used = 0;
    }
    memset(b + ctx->block_used, 0, SHA256_BLOCK_SIZE - 8 - ctx->block_used);
    store_be32(b + 56, (uint32_t)(bits >> 32));
    store_be32(b + 60, (uint32_t)bits);
    compress(ctx, ctx->state, b);
    for (int i = 0; i < 8; i++)
        store_be32(digest + 4 * i, ctx->state[i]);
}

void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    sha256_update(&ctx, data, len);
    sha256_final(&ctx, digest);
}
