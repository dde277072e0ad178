/* Unit tests for kernel/log_ring: the last LOG_RING_SIZE bytes of log text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/log_ring.h"

static struct log_ring ring;
static char out[2 * 65536 + 64];

/* The byte the test writes at absolute position pos: a pattern that does not repeat
 * with period 65536, so reading from the wrong offset is visible. */
static char pattern(uint64_t pos)
{
    return (char)('!' + (pos % 89));
}

static void append_pattern(uint64_t from, uint64_t count)
{
    char chunk[1000];
    while (count > 0) {
        size_t n = count < sizeof(chunk) ? (size_t)count : sizeof(chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = pattern(from + i);
        log_ring_append(&ring, chunk, n);
        from += n;
        count -= n;
    }
}

static void test_size_is_64k(void **state)
{
    (void)state;
    assert_int_equal(LOG_RING_SIZE, 65536);
}

static void test_empty(void **state)
{
    (void)state;
    log_ring_init(&ring);
    assert_int_equal(ring.written, 0);
    uint64_t from = 0;
    memset(out, '#', 16);
    assert_int_equal(log_ring_read(&ring, &from, out, 16), 0);
    assert_int_equal(from, 0);
    assert_int_equal(out[0], '#');
}

static void test_append_read(void **state)
{
    (void)state;
    uint64_t from = 0;
    log_ring_init(&ring);

    log_ring_append(&ring, "hello ", 6);
    log_ring_append(&ring, "world\n", 6);
    log_ring_append(&ring, "ignored", 0);
    assert_int_equal(ring.written, 12);

    memset(out, '#', 64);
    assert_int_equal(log_ring_read(&ring, &from, out, 64), 12);
    assert_int_equal(from, 12);
    assert_memory_equal(out, "hello world\n", 12);
    assert_int_equal(out[12], '#');     /* nothing past the data, no NUL added */

    /* Nothing new: a second read returns nothing and keeps the position. */
    assert_int_equal(log_ring_read(&ring, &from, out, 64), 0);
    assert_int_equal(from, 12);

    /* New text is picked up from where the reader stopped. */
    log_ring_append(&ring, "more\n", 5);
    assert_int_equal(log_ring_read(&ring, &from, out, 64), 5);
    assert_int_equal(from, 17);
    assert_memory_equal(out, "more\n", 5);

    /* Reading from the middle. */
    from = 6;
    assert_int_equal(log_ring_read(&ring, &from, out, 64), 11);
    assert_int_equal(from, 17);
    assert_memory_equal(out, "world\nmore\n", 11);

    /* cap 0 copies nothing and keeps the position. */
    from = 3;
    assert_int_equal(log_ring_read(&ring, &from, out, 0), 0);
    assert_int_equal(from, 3);
}

static void test_small_chunks(void **state)
{
    (void)state;
    static const char text[] = "[     0.000001] I boot: one\n[     0.000002] I boot: two\n";
    const size_t len = sizeof(text) - 1;
    char got[sizeof(text)];
    size_t total = 0;
    uint64_t from = 0;

    log_ring_init(&ring);
    log_ring_append(&ring, text, len);

    for (int calls = 0; calls < 100; calls++) {
        size_t n = log_ring_read(&ring, &from, got + total, 3);
        if (n == 0)
            break;
        assert_true(n <= 3);
        total += n;
        assert_int_equal(from, total);
    }
    assert_int_equal(total, len);
    assert_memory_equal(got, text, len);

    /* Chunks of 1. */
    from = 0;
    for (size_t i = 0; i < len; i++) {
        char c = 0;
        assert_int_equal(log_ring_read(&ring, &from, &c, 1), 1);
        assert_int_equal(c, text[i]);
        assert_int_equal(from, i + 1);
    }
    char c = '#';
    assert_int_equal(log_ring_read(&ring, &from, &c, 1), 0);
    assert_int_equal(c, '#');
}

static void test_exactly_full(void **state)
{
    (void)state;
    uint64_t from = 0;
    log_ring_init(&ring);
    append_pattern(0, 65536);
    assert_int_equal(ring.written, 65536);

    /* Nothing is lost yet: from 0 reads everything. */
    assert_int_equal(log_ring_read(&ring, &from, out, sizeof(out)), 65536);
    assert_int_equal(from, 65536);
    for (uint64_t i = 0; i < 65536; i++)
        assert_int_equal(out[i], pattern(i));
}

static void test_wrap_around(void **state)
{
    (void)state;
    uint64_t from = 0;
    log_ring_init(&ring);
    append_pattern(0, 65536 + 1000);
    assert_int_equal(ring.written, 66536);

    /* From 0, already overwritten: start at the oldest byte held, 1000. */
    memset(out, '#', sizeof(out));
    assert_int_equal(log_ring_read(&ring, &from, out, sizeof(out)), 65536);
    assert_int_equal(from, 66536);
    for (uint64_t i = 0; i < 65536; i++)
        assert_int_equal(out[i], pattern(1000 + i));
    assert_int_equal(out[65536], '#');

    /* A stale position in the middle of the lost part, small cap: moved and copied. */
    from = 999;
    assert_int_equal(log_ring_read(&ring, &from, out, 10), 10);
    assert_int_equal(from, 1010);
    for (uint64_t i = 0; i < 10; i++)
        assert_int_equal(out[i], pattern(1000 + i));

    /* A position still held, crossing the physical end of the buffer. */
    from = 65530;
    assert_int_equal(log_ring_read(&ring, &from, out, 20), 20);
    assert_int_equal(from, 65550);
    for (uint64_t i = 0; i < 20; i++)
        assert_int_equal(out[i], pattern(65530 + i));

    /* The newest bytes. */
    from = 66530;
    assert_int_equal(log_ring_read(&ring, &from, out, 100), 6);
    assert_int_equal(from, 66536);
    for (uint64_t i = 0; i < 6; i++)
        assert_int_equal(out[i], pattern(66530 + i));
}

static void test_wrap_many_times(void **state)
{
    (void)state;
    log_ring_init(&ring);
    /* Odd-sized appends, one bigger than the ring itself. */
    uint64_t pos = 0;
    static const uint64_t sizes[] = { 7, 40000, 65536 + 12345, 1, 30001, 99999 };
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        append_pattern(pos, sizes[i]);
        pos += sizes[i];
    }
    assert_int_equal(ring.written, pos);
    assert_int_equal(pos, 7 + 40000 + 77881 + 1 + 30001 + 99999);

    uint64_t from = 0;
    assert_int_equal(log_ring_read(&ring, &from, out, sizeof(out)), 65536);
    assert_int_equal(from, 247889);
    for (uint64_t i = 0; i < 65536; i++)
        assert_int_equal(out[i], pattern(247889 - 65536 + i));

    /* A single append larger than the ring keeps its own tail. */
    log_ring_init(&ring);
    char big[70000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = pattern(i);
    log_ring_append(&ring, big, sizeof(big));
    from = 0;
    assert_int_equal(log_ring_read(&ring, &from, out, sizeof(out)), 65536);
    assert_int_equal(from, 70000);
    assert_memory_equal(out, big + 70000 - 65536, 65536);
}

static void test_from_beyond_written(void **state)
{
    (void)state;
    log_ring_init(&ring);
    log_ring_append(&ring, "abc", 3);

    uint64_t from = 50;
    memset(out, '#', 8);
    assert_int_equal(log_ring_read(&ring, &from, out, 8), 0);
    assert_int_equal(out[0], '#');
    /* The reader is moved back to the end of what was written. */
    assert_int_equal(from, 3);

    from = UINT64_MAX;
    assert_int_equal(log_ring_read(&ring, &from, out, 8), 0);
    assert_int_equal(from, 3);

    /* Later text then reaches the reader. */
    log_ring_append(&ring, "de", 2);
    assert_int_equal(log_ring_read(&ring, &from, out, 8), 2);
    assert_memory_equal(out, "de", 2);
    assert_int_equal(from, 5);

    /* From exactly written: nothing, position kept. */
    assert_int_equal(log_ring_read(&ring, &from, out, 8), 0);
    assert_int_equal(from, 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_size_is_64k),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_append_read),
        cmocka_unit_test(test_small_chunks),
        cmocka_unit_test(test_exactly_full),
        cmocka_unit_test(test_wrap_around),
        cmocka_unit_test(test_wrap_many_times),
        cmocka_unit_test(test_from_beyond_written),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
