/*
 * The operator console on COM4 (0x2E8), and the port I/O glue every COM port uses.
 * COM1 (0x3F8, IRQ 4) is VTL0's serial console, passed through (docs/boot-contract.md),
 * so Mezzanine keeps out of its way.
 */
#ifndef MEZZ_KERNEL_CONSOLE_H
#define MEZZ_KERNEL_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_BASE 0x2E8   /* COM4 */

void console_init(void);
void console_write(const char *text, size_t len);
void console_puts(const char *text);   /* no newline added */

/* uart_init at 115200 baud for the 16550 at I/O port base (the console's COM4, the GET's
 * COM2, diag's COM3). Returns uart_init's result. */
struct uart;
int com_port_init(struct uart *uart, uint16_t base);

#endif
