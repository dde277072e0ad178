/* Unit tests for kernel/lib/sha256: the FIPS 180-4 example vectors (NIST "SHA256.pdf",
 * "SHA256LongMessage" one-million-'a' vector) and incremental updates. */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/sha256.h"

static void hex(const uint8_t *digest, char out[65])
{
    for (int i = 0; i < 32; i++)
        sprintf(out + 2 * i, "%02x", digest[i]);
}

static void check(const char *message, size_t len, const char *expected)
{
    uint8_t digest[32];
    char text[65];
    sha256(message, len, digest);
    hex(digest, text);
    assert_string_equal(text, expected);
}

static void test_fips_one_block(void **state)
{
    (void)state;
    check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_fips_two_blocks(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    check(m, strlen(m), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_empty(void **state)
{
    (void)state;
    check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_fips_one_million_a(void **state)
{
    (void)state;
    struct sha256_ctx ctx;
    char chunk[1000];
    uint8_t digest[32];
    char text[65];
    memset(chunk, 'a', sizeof(chunk));
    sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        sha256_update(&ctx, chunk, sizeof(chunk));
    sha256_final(&ctx, digest);
    hex(digest, text);
    assert_string_equal(text, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

/* Splitting the input anywhere gives the same digest (block-boundary handling), and the
 * padding edge lengths 55, 56, 63, 64 agree with one-shot hashing. */
static void test_incremental_matches_one_shot(void **state)
{
    (void)state;
    uint8_t message[200];
    for (size_t i = 0; i < sizeof(message); i++)
        message[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof(message); len++) {
        uint8_t whole[32];
        sha256(message, len, whole);
        for (size_t split = 0; split <= len; split += 13) {
            struct sha256_ctx ctx;
            uint8_t parts[32];
            sha256_init(&ctx);
            sha256_update(&ctx, message, split);
            sha256_update(&ctx, message + split, len - split);
            sha256_final(&ctx, parts);
            assert_memory_equal(whole, parts, 32);
        }
    }
}

/* 56 bytes forces the length into a second padding block (FIPS 180-4 5.1.1). */
static void test_padding_boundaries(void **state)
{
    (void)state;
    char m[64];
    memset(m, 'a', sizeof(m));
    check(m, 55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    check(m, 56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    check(m, 64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

/* Both round implementations (the generic one and the BMI2 one sha256_init picks when
 * CPUID has it) give the FIPS digests: forcing the generic rounds must not change a
 * result, and on a BMI2 host the default context runs the other one. */
static void digest_with(bool use_bmi2, const char *message, size_t len, char out[65])
{
    struct sha256_ctx ctx;
    uint8_t digest[32];
    sha256_init(&ctx);
    ctx.use_bmi2 = ctx.use_bmi2 && use_bmi2;
    sha256_update(&ctx, message, len);
    sha256_final(&ctx, digest);
    hex(digest, out);
}

static void test_generic_and_default_rounds_agree(void **state)
{
    (void)state;
    static char big[5000];
    char generic[65], chosen[65];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 131 + 7);
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    digest_with(false, m, strlen(m), generic);
    assert_string_equal(generic, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    digest_with(true, m, strlen(m), chosen);
    assert_string_equal(chosen, generic);
    for (size_t len = 0; len <= sizeof(big); len += 97) {
        digest_with(false, big, len, generic);
        digest_with(true, big, len, chosen);
        assert_string_equal(chosen, generic);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_one_block),
        cmocka_unit_test(test_fips_two_blocks),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_fips_one_million_a),
        cmocka_unit_test(test_incremental_matches_one_shot),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_generic_and_default_rounds_agree),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
