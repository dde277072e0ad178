/* GET transport over a 16550 UART; see transport_uart.h. */
#include "get/transport_uart.h"

#include <errno.h>

#define UART_FCR_TRIGGER_14 0xC0

static int ut_send(void *ctx, const void *msg, size_t len)
{
    struct uart_transport *ut = ctx;
    if (len == 0 || len > ut->rx.max_payload) {
        ut->tx_errors++;
        return -EMSGSIZE;
    }
    struct frame_header hdr;
    frame_header_for(&hdr, msg, len);
    size_t sent = uart_write(ut->uart, (const char *)&hdr, sizeof(hdr));
    sent += uart_write(ut->uart, msg, len);
    if (sent != sizeof(hdr) + len) {
        ut->tx_errors++;
        return -EIO;
    }
    ut->tx_frames++;
    ut->tx_bytes += sent;
    return 0;
}

static size_t ut_recv(void *ctx, const uint8_t **msg, uint64_t now_us)
{
    struct uart_transport *ut = ctx;
    size_t n = frame_rx_next(&ut->rx, msg);
    if (n)
        return n;
    for (unsigned i = 0; i < UART_TRANSPORT_RX_BUDGET; i++) {
        uint8_t byte;
        if (!uart_try_read(ut->uart, &byte))
            break;
        frame_rx_put(&ut->rx, byte, now_us);
        n = frame_rx_next(&ut->rx, msg);
        if (n)
            return n;
    }
    frame_rx_tick(&ut->rx, now_us);
    return 0;
}

static void ut_reset(void *ctx)
{
    struct uart_transport *ut = ctx;
    frame_rx_reset(&ut->rx);
}

static const struct get_transport_ops uart_transport_ops = {
    .send = ut_send, .recv = ut_recv, .reset = ut_reset,
};

void uart_transport_init(struct uart_transport *ut, struct uart *uart, size_t max_payload)
{
    ut->uart = uart;
    ut->tx_frames = ut->tx_bytes = ut->tx_errors = 0;
    /* RX trigger level 14: QEMU's 16550 takes as many bytes from the socket per main
     * loop round as the trigger level allows; at level 1 it takes one. */
    if (uart->present)
        uart->ops.write(uart->ops.ctx, UART_FCR, UART_FCR_ENABLE_CLEAR | UART_FCR_TRIGGER_14);
    /* A byte dropped mid-frame costs the whole frame, so wait much longer for THRE than
     * the console does: QEMU holds THRE clear while the host end is slow to read. */
    uart->tx_spin_limit = UART_TRANSPORT_TX_SPIN;
    frame_rx_init(&ut->rx, max_payload, UART_TRANSPORT_IDLE_US);
}

struct get_transport uart_transport_iface(struct uart_transport *ut)
{
    return (struct get_transport){ .ops = &uart_transport_ops, .ctx = ut };
}
