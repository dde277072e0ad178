/*
 * The GET (and diag) transport over a polled 16550: frames of frame.h on the wire.
 * Pure over the UART core's ops, so tests drive it with a fake UART.
 */
#ifndef MEZZ_GET_TRANSPORT_UART_H
#define MEZZ_GET_TRANSPORT_UART_H

#include "drivers/hw/uart16550.h"
#include "get/frame.h"
#include "get/transport.h"

#define UART_TRANSPORT_IDLE_US 200000u   /* a partial frame is dropped after 200 ms quiet */
#define UART_TRANSPORT_RX_BUDGET 4096u   /* bytes read per recv call at most */
#define UART_TRANSPORT_TX_SPIN   50000000u   /* LSR polls for THRE before a byte is dropped */

struct uart_transport {
    struct uart *uart;
    struct frame_rx rx;
    uint64_t tx_frames, tx_bytes, tx_errors;
};

void uart_transport_init(struct uart_transport *ut, struct uart *uart, size_t max_payload);
/* The transport interface over ut. */
struct get_transport uart_transport_iface(struct uart_transport *ut);

#endif
