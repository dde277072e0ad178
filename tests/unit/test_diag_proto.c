/* Unit tests for kernel/host/diag_proto.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/host/diag_proto.h"

static void test_parse_request(void **state)
{
    (void)state;
    uint8_t m[8] = { 1, DIAG_OP_INSPECT, 0x34, 0x12, 'g', 'e', 't' };
    struct diag_request r;
    const uint8_t *args;
    size_t n;
    assert_int_equal(diag_parse_request(m, 7, &r, &args, &n), 0);
    assert_int_equal(r.op, DIAG_OP_INSPECT);
    assert_int_equal(r.tag, 0x1234);
    assert_int_equal(n, 3);
    assert_memory_equal(args, "get", 3);
    assert_int_equal(diag_parse_request(m, 3, &r, &args, &n), -EMSGSIZE);
    m[0] = 2;
    assert_int_equal(diag_parse_request(m, 4, &r, &args, &n), -EPROTONOSUPPORT);
    m[0] = 1;
    m[1] = 9;
    assert_int_equal(diag_parse_request(m, 4, &r, &args, &n), -EOPNOTSUPP);
    assert_int_equal(r.tag, 0x1234);
}

static void test_encode_response(void **state)
{
    (void)state;
    struct diag_request r = { .version = 1, .op = DIAG_OP_LOG, .tag = 7 };
    uint8_t out[8];
    assert_int_equal(diag_encode_response(out, &r, -2), 8);
    uint8_t want[8] = { 1, 0x82, 7, 0, 0xFE, 0xFF, 0xFF, 0xFF };
    assert_memory_equal(out, want, 8);
}

static void test_split_words(void **state)
{
    (void)state;
    char w[4][64];
    const char *t = "  create 1  0x20 ";
    assert_int_equal(diag_split_words(t, strlen(t), w, 4), 3);
    assert_string_equal(w[0], "create");
    assert_string_equal(w[2], "0x20");
    assert_int_equal(diag_split_words("", 0, w, 4), 0);
    assert_int_equal(diag_split_words("a b c d e", 9, w, 4), -E2BIG);
    char longw[70];
    memset(longw, 'x', sizeof(longw));
    assert_int_equal(diag_split_words(longw, sizeof(longw), w, 4), -E2BIG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_request),
        cmocka_unit_test(test_encode_response),
        cmocka_unit_test(test_split_words),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
