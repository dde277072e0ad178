/*
 * 16550 UART, polled (the PC16550D data sheet's register map). Pure: register access
 * goes through ops, so the same code drives COM2-4 in the kernel and a fake in tests.
 */
#ifndef MEZZ_DRIVERS_UART16550_H
#define MEZZ_DRIVERS_UART16550_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

/* Register offsets (DLAB = 0 unless noted). */
#define UART_RBR 0   /* receive buffer (read) */
#define UART_THR 0   /* transmit holding (write) */
#define UART_IER 1
#define UART_DLL 0   /* divisor latch low (DLAB = 1) */
#define UART_DLM 1   /* divisor latch high (DLAB = 1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7

#define UART_LCR_8N1   0x03
#define UART_LCR_DLAB  0x80
#define UART_FCR_ENABLE_CLEAR 0x07   /* FIFO on, clear RX and TX */
#define UART_MCR_DTR_RTS_OUT2 0x0B
#define UART_LSR_DR    0x01          /* data ready */
#define UART_LSR_THRE  0x20          /* transmit holding register empty */

#define UART_CLOCK_HZ  1843200u      /* 115200 * 16 */

struct uart_ops {
    uint8_t (*read)(void *ctx, unsigned reg);
    void (*write)(void *ctx, unsigned reg, uint8_t value);
    void *ctx;
};

struct uart {
    struct uart_ops ops;
    uint32_t tx_spin_limit;     /* polls of LSR before a byte is dropped */
    uint64_t tx_dropped;        /* bytes given up on because THRE never came */
    bool present;
};

/*
 * Programs baud, 8N1 and FIFOs; interrupts stay off. Detects the UART through the
 * scratch register; an absent UART makes every later call a no-op.
 * Returns 0, -EINVAL for an unreachable baud rate, or -ENODEV.
 */
int uart_init(struct uart *uart, const struct uart_ops *ops, uint32_t baud);

/* Sends len bytes, waiting for THRE before each. Returns bytes accepted. */
size_t uart_write(struct uart *uart, const char *data, size_t len);

/* Returns true and a byte if one is waiting. */
bool uart_try_read(struct uart *uart, uint8_t *byte);

#endif
