/* COM4 console, and port I/O ops for the UART core; see console.h. */
#include "kernel/core/console.h"

#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "drivers/hw/uart16550.h"
#include "kernel/core/ambient.h"


/* ctx is the port base. */
static uint8_t port_read(void *ctx, unsigned reg)
{
    return inb((uint16_t)((uintptr_t)ctx + reg));
}

static void port_write(void *ctx, unsigned reg, uint8_t value)
{
    outb((uint16_t)((uintptr_t)ctx + reg), value);
}

int com_port_init(struct uart *uart, uint16_t base)
{
    const struct uart_ops ops = { .read = port_read, .write = port_write,
                                  .ctx = (void *)(uintptr_t)base };
    return uart_init(uart, &ops, 115200);
}

void console_init(void)
{
    (void)com_port_init(&kernel_ambient.console, CONSOLE_BASE);
}

void console_write(const char *text, size_t len)
{
    uart_write(&kernel_ambient.console, text, len);
}

void console_puts(const char *text)
{
    console_write(text, strlen(text));
}
