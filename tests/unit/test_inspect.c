/* Unit tests for kernel/core/inspect.c: the JSON writer, path selection, truncation, registry. */
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
#include "kernel/core/inspect.h"
#include "kernel/core/ambient.h"

/* The kernel defines its tree in kernel/main.c; this test is its own composition root. */
struct kernel_ambient kernel_ambient;

static void node_a(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    inspect_u64(w, "n", 42);
    inspect_hex(w, "h", 0xC0000);
    inspect_bool(w, "b", true);
    inspect_str(w, "s", "q\"\\\n");
    inspect_i64(w, "neg", -3);
    inspect_begin(w, "exits");
    inspect_u64(w, "io", 7);
    inspect_begin(w, "deep");
    inspect_u64(w, "x", 1);
    inspect_end(w);
    inspect_end(w);
    inspect_begin(w, "empty");
    inspect_end(w);
}

static void node_b(struct inspect_writer *w, void *ctx)
{
    inspect_str(w, "name", ctx);
}

static int setup(void **state)
{
    (void)state;
    inspect_registry_reset();
    assert_int_equal(inspect_register("a", node_a, NULL), 0);
    assert_int_equal(inspect_register("b", node_b, "bee"), 0);
    return 0;
}

static char out[4096];

static void test_whole_tree(void **state)
{
    (void)state;
    int n = inspect_run(NULL, out, sizeof(out));
    assert_true(n > 0);
    assert_string_equal(out, "{\"a\":{\"n\":42,\"h\":\"0xc0000\",\"b\":true,\"s\":\"q\\\"\\\\\\u000a\","
                             "\"neg\":-3,\"exits\":{\"io\":7,\"deep\":{\"x\":1}},\"empty\":{}},"
                             "\"b\":{\"name\":\"bee\"}}");
    assert_int_equal(json_validate(out, (size_t)n), 0);
    assert_int_equal(inspect_run("", out, sizeof(out)), n);
}

static void test_path_selects_subtree_or_value(void **state)
{
    (void)state;
    assert_true(inspect_run("a/exits", out, sizeof(out)) > 0);
    assert_string_equal(out, "{\"io\":7,\"deep\":{\"x\":1}}");
    assert_true(inspect_run("/a/exits/deep/", out, sizeof(out)) > 0);
    assert_string_equal(out, "{\"x\":1}");
    assert_true(inspect_run("a/exits/io", out, sizeof(out)) > 0);
    assert_string_equal(out, "7");
    assert_true(inspect_run("b", out, sizeof(out)) > 0);
    assert_string_equal(out, "{\"name\":\"bee\"}");
    assert_true(inspect_run("a/empty", out, sizeof(out)) > 0);
    assert_string_equal(out, "{}");
    assert_int_equal(inspect_run("a/nope", out, sizeof(out)), -ENOENT);
    assert_int_equal(inspect_run("c", out, sizeof(out)), -ENOENT);
    assert_int_equal(inspect_run("a/exits/io/more", out, sizeof(out)), -ENOENT);
    assert_int_equal(inspect_run("a/n", out, sizeof(out)), 2);
}

static void test_bad_paths(void **state)
{
    (void)state;
    char longname[80];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_int_equal(inspect_run(longname, out, sizeof(out)), -EINVAL);
    assert_int_equal(inspect_run("a/b/c/d/e/f/g/h/i", out, sizeof(out)), -EINVAL);
    assert_int_equal(inspect_run("a", out, 10), -ENOSPC);
}

static void many(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    for (int i = 0; i < 200; i++) {
        char name[16];
        snprintf(name, sizeof(name), "k%d", i);
        inspect_begin(w, name);
        inspect_u64(w, "value", (uint64_t)i * 1000);
        inspect_begin(w, "inner");
        inspect_str(w, "t", "some text");
        inspect_end(w);
        inspect_end(w);
    }
}

static void test_truncation_is_clean_and_marked(void **state)
{
    (void)state;
    inspect_registry_reset();
    assert_int_equal(inspect_register("many", many, NULL), 0);
    static char small[600];
    for (size_t cap = 64; cap <= sizeof(small); cap += 37) {
        memset(small, 0x7F, sizeof(small));
        int n = inspect_run(NULL, small, cap);
        assert_true(n > 0);
        assert_true((size_t)n < cap);
        assert_int_equal(small[n], '\0');
        assert_int_equal(small[cap - 1 < sizeof(small) - 1 ? cap : sizeof(small) - 1], 0x7F);
        if (json_validate(small, (size_t)n) != 0)
            fail_msg("cap %zu: not JSON: %s", cap, small);
        assert_non_null(strstr(small, "\"_truncated\":true"));
    }
    int n = inspect_run("many/k3", small, sizeof(small));
    assert_true(n > 0);
    assert_string_equal(small, "{\"value\":3000,\"inner\":{\"t\":\"some text\"}}");
}

static void deep(struct inspect_writer *w, void *ctx)
{
    (void)ctx;
    for (int i = 0; i < INSPECT_MAX_DEPTH + 5; i++)
        inspect_begin(w, "d");
    inspect_u64(w, "x", 1);
    for (int i = 0; i < INSPECT_MAX_DEPTH + 5; i++)
        inspect_end(w);
    inspect_u64(w, "after", 2);
}

static void test_depth_limit(void **state)
{
    (void)state;
    inspect_registry_reset();
    assert_int_equal(inspect_register("deep", deep, NULL), 0);
    int n = inspect_run(NULL, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(json_validate(out, (size_t)n), 0);
    assert_non_null(strstr(out, "\"after\":2"));
}

static void test_registry_limits(void **state)
{
    (void)state;
    inspect_registry_reset();
    assert_int_equal(inspect_register("", node_a, NULL), -EINVAL);
    assert_int_equal(inspect_register("x/y", node_a, NULL), -EINVAL);
    assert_int_equal(inspect_register("x", NULL, NULL), -EINVAL);
    assert_int_equal(inspect_register("x", node_a, NULL), 0);
    assert_int_equal(inspect_register("x", node_a, NULL), -EEXIST);
    for (int i = 1; i < INSPECT_MAX_NODES; i++) {
        char name[16];
        snprintf(name, sizeof(name), "n%d", i);
        assert_int_equal(inspect_register(name, node_b, "z"), 0);
    }
    assert_int_equal(inspect_register("full", node_a, NULL), -ENOSPC);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_whole_tree, setup),
        cmocka_unit_test_setup(test_path_selects_subtree_or_value, setup),
        cmocka_unit_test_setup(test_bad_paths, setup),
        cmocka_unit_test_setup(test_truncation_is_clean_and_marked, setup),
        cmocka_unit_test_setup(test_depth_limit, setup),
        cmocka_unit_test_setup(test_registry_limits, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
