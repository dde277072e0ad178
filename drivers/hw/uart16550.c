/* 16550 UART driver core; see uart16550.h. */
#include "drivers/hw/uart16550.h"

#include <errno.h>

#define SCRATCH_PATTERN 0xA5
#define DEFAULT_TX_SPIN_LIMIT 100000u

int uart_init(struct uart *uart, const struct uart_ops *ops, uint32_t baud)
{
    uart->ops = *ops;
    uart->tx_spin_limit = DEFAULT_TX_SPIN_LIMIT;
    uart->tx_dropped = 0;
    uart->present = false;

    if (baud == 0 || UART_CLOCK_HZ / 16 / baud == 0 || UART_CLOCK_HZ / 16 / baud > 0xFFFF)
        return -EINVAL;
    uint16_t divisor = (uint16_t)(UART_CLOCK_HZ / 16 / baud);

    ops->write(ops->ctx, UART_SCR, SCRATCH_PATTERN);
    if (ops->read(ops->ctx, UART_SCR) != SCRATCH_PATTERN)
        return -ENODEV;

    /* Clear DLAB first: an earlier stage may have left it set, and offset 1 is then DLM. */
    ops->write(ops->ctx, UART_LCR, UART_LCR_8N1);
    ops->write(ops->ctx, UART_IER, 0);
    ops->write(ops->ctx, UART_LCR, UART_LCR_DLAB);
    ops->write(ops->ctx, UART_DLL, (uint8_t)(divisor & 0xFF));
    ops->write(ops->ctx, UART_DLM, (uint8_t)(divisor >> 8));
    ops->write(ops->ctx, UART_LCR, UART_LCR_8N1);
    ops->write(ops->ctx, UART_FCR, UART_FCR_ENABLE_CLEAR);
    ops->write(ops->ctx, UART_MCR, UART_MCR_DTR_RTS_OUT2);
    uart->present = true;
    return 0;
}

size_t uart_write(struct uart *uart, const char *data, size_t len)
{
    if (!uart->present)
        return 0;
    size_t sent = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t spins = 0;
        while (!(uart->ops.read(uart->ops.ctx, UART_LSR) & UART_LSR_THRE)) {
            if (++spins >= uart->tx_spin_limit)
                break;
        }
        if (spins >= uart->tx_spin_limit) {
            uart->tx_dropped++;
            continue;
        }
        uart->ops.write(uart->ops.ctx, UART_THR, (uint8_t)data[i]);
        sent++;
    }
    return sent;
}

bool uart_try_read(struct uart *uart, uint8_t *byte)
{
    if (!uart->present)
        return false;
    if (!(uart->ops.read(uart->ops.ctx, UART_LSR) & UART_LSR_DR))
        return false;
    *byte = uart->ops.read(uart->ops.ctx, UART_RBR);
    return true;
}
