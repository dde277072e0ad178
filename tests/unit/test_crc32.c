/* Unit tests for kernel/lib/crc32.c: the table against its polynomial, known vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/crc32.h"

static void table_matches_polynomial(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32_POLY_REFLECTED : c >> 1;
        assert_int_equal(crc32_table[i], c);
    }
}

/* The common check value, and the bit-by-bit definition on assorted data. */
static void known_vectors(void **state)
{
    (void)state;
    assert_int_equal(crc32_update(0, "123456789", 9), 0xCBF43926u);
    assert_int_equal(crc32_update(0, "", 0), 0u);
    uint8_t buf[1000];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 151u + 7u);
    uint32_t bitwise = ~0u;
    for (unsigned i = 0; i < sizeof(buf); i++) {
        bitwise ^= buf[i];
        for (int k = 0; k < 8; k++)
            bitwise = (bitwise >> 1) ^ (CRC32_POLY_REFLECTED & (0u - (bitwise & 1u)));
    }
    assert_int_equal(crc32_update(0, buf, sizeof(buf)), ~bitwise);
}

static void continues_across_calls(void **state)
{
    (void)state;
    const char *text = "123456789";
    assert_int_equal(crc32_update(crc32_update(0, text, 4), text + 4, 5), crc32_update(0, text, 9));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_matches_polynomial),
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(continues_across_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
