/* Unit tests for kernel/lib/crc32c.c: the table against its polynomial, known vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/crc32c.h"

static void table_matches_polynomial(void **state)
{
    (void)state;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? (c >> 1) ^ CRC32C_POLY_REFLECTED : c >> 1;
        assert_int_equal(crc32c_table[i], c);
    }
}

/* RFC 3720 appendix B.4 and the common check value. */
static void known_vectors(void **state)
{
    (void)state;
    uint8_t buf[32];
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
    memset(buf, 0, sizeof(buf));
    assert_int_equal(crc32c(0, buf, sizeof(buf)), 0x8A9136AAu);
    memset(buf, 0xFF, sizeof(buf));
    assert_int_equal(crc32c(0, buf, sizeof(buf)), 0x62A8AB43u);
    for (unsigned i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(crc32c(0, buf, sizeof(buf)), 0x46DD794Eu);
}

static void continues_across_calls(void **state)
{
    (void)state;
    const char *text = "123456789";
    assert_int_equal(crc32c(crc32c(0, text, 4), text + 4, 5), crc32c(0, text, 9));
    assert_int_equal(crc32c(0, text, 0), 0u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_matches_polynomial),
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(continues_across_calls),
    };
    return cmocka_run_group_tests_name("crc32c", tests, NULL, NULL);
}
