/*
 * Unit tests for kernel/lib/json.c where it goes beyond jsmn: the grammar walk over jsmn's
 * lenient tokens, the token budget, NUL bytes, and the path lookup's choice of key among
 * nested and duplicate ones. (test_get_json.c covers the RFC 8259 cases and the DPS.)
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/json.h"

#define V(s) json_validate(s, strlen(s))

static void test_jsmn_leniencies_are_refused(void **state)
{
    (void)state;
    /* Each of these is tokenized by jsmn in its default mode; none is JSON. */
    const char *bad[] = { "{1:2}", "{a:1}", "{\"a\":1:2}", "[1,,2]", "[,1]", "[1:2]", "[1}",
                          "{\"a\":1]", "[\"a\":1]", "{\"a\":{}\"b\":1}", "[true false]",
                          "[1]]", "[[1]", "nulll", "truefalse", "0x10", "1e5.0", "--1",
                          "[-]", "{\"a\" : }", "\"\\u00\"", "[\"\\\"]", "\x01" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (V(bad[i]) != -EINVAL)
            fail_msg("accepted %s", bad[i]);
    }
}

static void test_scalars_and_bytes_in_strings(void **state)
{
    (void)state;
    assert_int_equal(V("true"), 0);
    assert_int_equal(V(" -0.5e-3 "), 0);
    assert_int_equal(V("\"x\""), 0);
    assert_int_equal(V("\"\x7f\xc3\xa9\""), 0);   /* DEL and UTF-8 bytes are string text */
    assert_int_equal(V("\"\\/\\b\\f\\r\\t\""), 0);
}

static void test_nul_bytes_end_nothing(void **state)
{
    (void)state;
    /* jsmn stops at a NUL byte; the document's length is what counts. */
    assert_int_equal(json_validate("[1]\0", 4), -EINVAL);
    assert_int_equal(json_validate("\"a\0b\"", 5), -EINVAL);
    assert_int_equal(json_validate("{\"a\":\0}", 7), -EINVAL);
    assert_int_equal(json_validate("[1]\0", 3), 0);
}

static void test_token_budget(void **state)
{
    (void)state;
    /* An array of n zeros is n + 1 tokens. */
    static char doc[2 * JSON_MAX_TOKENS + 8];
    size_t n = 0;
    doc[n++] = '[';
    for (int i = 0; i < JSON_MAX_TOKENS - 1; i++) {
        doc[n++] = '0';
        doc[n++] = ',';
    }
    doc[n - 1] = ']';
    assert_int_equal(json_validate(doc, n), 0);
    doc[n - 1] = ',';
    doc[n++] = '0';
    doc[n++] = ']';
    assert_int_equal(json_validate(doc, n), -E2BIG);
    struct json_value v;
    assert_int_equal(json_find(doc, n, "", &v), -E2BIG);
}

static void test_depth_limit_is_exact(void **state)
{
    (void)state;
    char doc[2 * (JSON_MAX_DEPTH + 1)];
    memset(doc, '[', JSON_MAX_DEPTH);
    memset(doc + JSON_MAX_DEPTH, ']', JSON_MAX_DEPTH);
    assert_int_equal(json_validate(doc, 2 * JSON_MAX_DEPTH), 0);
    memset(doc, '[', JSON_MAX_DEPTH + 1);
    memset(doc + JSON_MAX_DEPTH + 1, ']', JSON_MAX_DEPTH + 1);
    assert_int_equal(json_validate(doc, 2 * (JSON_MAX_DEPTH + 1)), -E2BIG);
}

static void test_lookup_picks_the_right_key(void **state)
{
    (void)state;
    const char *doc = " {\"x\":{\"a\":1,\"l\":[{\"a\":3}]},\"a\":2,\"a\":4,\"\\u0041b\":\"q\\u00e9\","
                      "\"s\":[1,{\"b\":2}]} ";
    size_t len = strlen(doc);
    struct json_value v;
    uint64_t u;
    char s[8];
    /* Keys inside a sibling's subtree are not this object's keys; the first duplicate wins. */
    assert_int_equal(json_find(doc, len, "a", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), 0);
    assert_true(u == 2);
    assert_int_equal(json_find(doc, len, "x.a", &v), 0);
    assert_int_equal(json_get_u64(&v, &u), 0);
    assert_true(u == 1);
    /* Keys are compared unescaped; \u outside ASCII reads as '?'. */
    assert_int_equal(json_find(doc, len, "Ab", &v), 0);
    assert_int_equal(v.type, JSON_STRING);
    assert_int_equal(json_get_string(&v, s, sizeof(s)), 0);
    assert_string_equal(s, "q?");
    /* Slices: containers and strings whole, the root without its whitespace. */
    assert_int_equal(json_find(doc, len, "s", &v), 0);
    assert_int_equal(v.type, JSON_ARRAY);
    assert_int_equal(v.len, strlen("[1,{\"b\":2}]"));
    assert_memory_equal(v.start, "[1,{\"b\":2}]", v.len);
    assert_int_equal(json_find(doc, len, "", &v), 0);
    assert_int_equal(v.type, JSON_OBJECT);
    assert_ptr_equal(v.start, doc + 1);
    assert_int_equal(v.len, len - 2);
    assert_int_equal(json_find(doc, len, "x.l.a", &v), -ENOTDIR);
    assert_int_equal(json_find(doc, len, "x.b", &v), -ENOENT);
    assert_int_equal(json_find(doc, len, "A", &v), -ENOENT);
    /* A broken document is refused whatever the path. */
    assert_int_equal(json_find("{\"a\":1,}", 8, "a", &v), -EINVAL);
}

/* json_find_each answers every path as json_find does, from one parse. */
static void test_find_each_matches_find(void **state)
{
    (void)state;
    const char *doc = " {\"x\":{\"a\":1,\"l\":[{\"a\":3}]},\"a\":2,\"a\":4,\"s\":[1,{\"b\":2}]} ";
    size_t len = strlen(doc);
    const char *const paths[] = { "a", "x.a", "s", "", "x.l.a", "x.b", "A" };
    enum { N = sizeof(paths) / sizeof(paths[0]) };
    struct json_value each[N], one;
    int results[N];
    assert_int_equal(json_find_each(doc, len, paths, N, each, results), 0);
    for (size_t i = 0; i < N; i++) {
        int expect = json_find(doc, len, paths[i], &one);
        assert_int_equal(results[i], expect);
        if (expect == 0) {
            assert_int_equal(each[i].type, one.type);
            assert_ptr_equal(each[i].start, one.start);
            assert_int_equal(each[i].len, one.len);
        }
    }
    assert_int_equal(results[4], -ENOTDIR);
    assert_int_equal(results[5], -ENOENT);
    /* A broken document: the parse's error, no per-path answers. */
    assert_int_equal(json_find_each("{\"a\":1,}", 8, paths, N, each, results), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsmn_leniencies_are_refused),
        cmocka_unit_test(test_scalars_and_bytes_in_strings),
        cmocka_unit_test(test_nul_bytes_end_nothing),
        cmocka_unit_test(test_token_budget),
        cmocka_unit_test(test_depth_limit_is_exact),
        cmocka_unit_test(test_lookup_picks_the_right_key),
        cmocka_unit_test(test_find_each_matches_find),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
