/* Unit tests for get/frame.c (CRC-32C, framing, resync, stalls) and get/transport_uart.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/hw/uart16550.h"
#include "get/frame.h"
#include "get/transport_uart.h"

static struct frame_rx rx;

static size_t feed(const uint8_t *data, size_t n, const uint8_t **out, size_t *count)
{
    size_t last = 0;
    for (size_t i = 0; i < n; i++) {
        frame_rx_put(&rx, data[i], 1);
        size_t len;
        while ((len = frame_rx_next(&rx, out)) > 0) {
            last = len;
            (*count)++;
        }
    }
    return last;
}

static void test_crc32c_check_value(void **state)
{
    (void)state;
    assert_int_equal(crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(crc32c(0, "", 0), 0);
    /* Incremental equals one-shot. */
    assert_int_equal(crc32c(crc32c(0, "1234", 4), "56789", 5), 0xE3069283u);
}

static void test_encode_layout(void **state)
{
    (void)state;
    uint8_t out[32];
    size_t n = frame_encode(out, sizeof(out), "abc", 3);
    assert_int_equal(n, 11);
    assert_int_equal(out[0], 0x4D);
    assert_int_equal(out[1], 0x7A);
    assert_int_equal(out[2], 3);
    assert_int_equal(out[3], 0);
    uint32_t crc;
    memcpy(&crc, out + 4, 4);
    assert_int_equal(crc, crc32c(0, "abc", 3));
    assert_memory_equal(out + 8, "abc", 3);
    assert_int_equal(frame_encode(out, sizeof(out), "abc", 0), 0);
    assert_int_equal(frame_encode(out, 10, "abc", 3), 0);
}

static void test_round_trip_byte_by_byte(void **state)
{
    (void)state;
    frame_rx_init(&rx, FRAME_MAX_PAYLOAD, 0);
    static uint8_t payload[FRAME_MAX_PAYLOAD], frame[FRAME_MAX_PAYLOAD + 8];
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    size_t sizes[] = { 1, 4, 100, FRAME_MAX_PAYLOAD };
    for (size_t k = 0; k < 4; k++) {
        size_t n = frame_encode(frame, sizeof(frame), payload, sizes[k]);
        const uint8_t *out = NULL;
        size_t count = 0;
        assert_int_equal(feed(frame, n, &out, &count), sizes[k]);
        assert_int_equal(count, 1);
        assert_memory_equal(out, payload, sizes[k]);
    }
    assert_int_equal(rx.stats.frames, 4);
    assert_int_equal(rx.stats.sync_skipped + rx.stats.bad_crc + rx.stats.bad_length, 0);
}

static void test_resync_after_garbage_and_bad_frames(void **state)
{
    (void)state;
    frame_rx_init(&rx, 64, 0);
    uint8_t buf[256];
    size_t n = 0;
    memcpy(buf, "\x01\x02\x4d\x03", 4);                   /* garbage, a lone 'M' */
    n = 4;
    n += frame_encode(buf + n, sizeof(buf) - n, "bad", 3);
    buf[n - 1] ^= 1;                                     /* corrupt: bad CRC */
    buf[n++] = 0x4D; buf[n++] = 0x7A; buf[n++] = 0xFF; buf[n++] = 0x00;  /* length 255 > 64 */
    n += frame_encode(buf + n, sizeof(buf) - n, "good", 4);
    const uint8_t *out = NULL;
    size_t count = 0;
    assert_int_equal(feed(buf, n, &out, &count), 4);
    assert_int_equal(count, 1);
    assert_memory_equal(out, "good", 4);
    assert_int_equal(rx.stats.bad_crc, 1);
    assert_int_equal(rx.stats.bad_length, 1);
    assert_true(rx.stats.sync_skipped >= 4);
}

static void test_good_frame_inside_a_bad_one_is_found(void **state)
{
    (void)state;
    frame_rx_init(&rx, 64, 0);
    uint8_t buf[128];
    /* A header claiming 40 bytes, whose "payload" holds a whole good frame. */
    buf[0] = 0x4D; buf[1] = 0x7A; buf[2] = 40; buf[3] = 0;
    memset(buf + 4, 0, 4);
    size_t n = 8;
    n += frame_encode(buf + n, sizeof(buf) - n, "inner", 5);
    memset(buf + n, 0xEE, 48 - n);
    n = 48;
    const uint8_t *out = NULL;
    size_t count = 0;
    feed(buf, n, &out, &count);
    assert_int_equal(count, 1);
    assert_memory_equal(out, "inner", 5);
    assert_int_equal(rx.stats.bad_crc, 1);
}

static void test_stall_drops_partial_frame(void **state)
{
    (void)state;
    frame_rx_init(&rx, 64, 1000);
    uint8_t hdr[6] = { 0x4D, 0x7A, 10, 0, 1, 2 };
    for (int i = 0; i < 6; i++)
        frame_rx_put(&rx, hdr[i], 100);
    const uint8_t *out;
    assert_int_equal(frame_rx_next(&rx, &out), 0);
    assert_false(frame_rx_tick(&rx, 500));
    assert_true(frame_rx_tick(&rx, 1200));
    assert_int_equal(rx.stats.stalled, 1);
    assert_false(frame_rx_tick(&rx, 5000));   /* nothing left */
    uint8_t frame[32];
    size_t n = frame_encode(frame, sizeof(frame), "ok", 2);
    size_t count = 0;
    assert_int_equal(feed(frame, n, &out, &count), 2);
    frame_rx_reset(&rx);
    assert_int_equal(rx.stats.resets, 1);
}

static void test_random_garbage_never_overflows(void **state)
{
    (void)state;
    frame_rx_init(&rx, FRAME_MAX_PAYLOAD, 0);
    srand(42);
    const uint8_t *out;
    for (int i = 0; i < 300000; i++) {
        uint8_t b = (uint8_t)rand();
        if (i % 7 == 0) b = 0x4D;
        if (i % 7 == 1) b = 0x7A;
        frame_rx_put(&rx, b, (uint64_t)i);
        while (frame_rx_next(&rx, &out) > 0)
            ;
        assert_true(rx.end - rx.start <= FRAME_HDR_SIZE + FRAME_MAX_PAYLOAD + 1);
    }
    assert_true(rx.stats.bad_length + rx.stats.bad_crc > 0);
}

/* ---- UART transport over a fake UART ---------------------------------------------- */

struct fake {
    uint8_t rx[4096];
    size_t rx_len, rx_pos;
    uint8_t tx[4096];
    size_t tx_len;
    uint8_t lcr, scr;
};

static uint8_t fake_read(void *ctx, unsigned reg)
{
    struct fake *f = ctx;
    if (reg == UART_SCR) return f->scr;
    if (reg == UART_LCR) return f->lcr;
    if (reg == UART_LSR)
        return (uint8_t)(UART_LSR_THRE | (f->rx_pos < f->rx_len ? UART_LSR_DR : 0));
    if (reg == UART_RBR && !(f->lcr & UART_LCR_DLAB))
        return f->rx_pos < f->rx_len ? f->rx[f->rx_pos++] : 0;
    return 0;
}

static void fake_write(void *ctx, unsigned reg, uint8_t v)
{
    struct fake *f = ctx;
    if (reg == UART_SCR) f->scr = v;
    else if (reg == UART_LCR) f->lcr = v;
    else if (reg == UART_THR && !(f->lcr & UART_LCR_DLAB) && f->tx_len < sizeof(f->tx))
        f->tx[f->tx_len++] = v;
}

static void test_uart_transport_send_and_receive(void **state)
{
    (void)state;
    static struct fake f;
    static struct uart u;
    static struct uart_transport ut;
    memset(&f, 0, sizeof(f));
    struct uart_ops ops = { .read = fake_read, .write = fake_write, .ctx = &f };
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    uart_transport_init(&ut, &u, 64);
    struct get_transport t = uart_transport_iface(&ut);
    assert_int_equal(t.ops->send(t.ctx, "hello", 5), 0);
    assert_int_equal(f.tx_len, 13);
    assert_int_equal(f.tx[0], 0x4D);
    assert_memory_equal(f.tx + 8, "hello", 5);
    assert_int_equal(t.ops->send(t.ctx, f.tx, 65), -EMSGSIZE);
    assert_int_equal(ut.tx_errors, 1);

    f.rx_len = frame_encode(f.rx, sizeof(f.rx), "one", 3);
    f.rx_len += frame_encode(f.rx + f.rx_len, sizeof(f.rx) - f.rx_len, "two", 3);
    const uint8_t *m;
    assert_int_equal(t.ops->recv(t.ctx, &m, 0), 3);
    assert_memory_equal(m, "one", 3);
    assert_int_equal(t.ops->recv(t.ctx, &m, 0), 3);
    assert_memory_equal(m, "two", 3);
    assert_int_equal(t.ops->recv(t.ctx, &m, 0), 0);
    t.ops->reset(t.ctx);
    assert_int_equal(ut.rx.stats.resets, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_check_value),
        cmocka_unit_test(test_encode_layout),
        cmocka_unit_test(test_round_trip_byte_by_byte),
        cmocka_unit_test(test_resync_after_garbage_and_bad_frames),
        cmocka_unit_test(test_good_frame_inside_a_bad_one_is_found),
        cmocka_unit_test(test_stall_drops_partial_frame),
        cmocka_unit_test(test_random_garbage_never_overflows),
        cmocka_unit_test(test_uart_transport_send_and_receive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
