/* COM1 console glue: port I/O ops for the UART core. */
#include "kernel/console.h"

#include <string.h>

#include "arch/x86_64/cpu.h"
#include "drivers/uart16550.h"

static struct uart com1;

static uint8_t com1_read(void *ctx, unsigned reg)
{
    (void)ctx;
    return inb((uint16_t)(COM1_BASE + reg));
}

static void com1_write(void *ctx, unsigned reg, uint8_t value)
{
    (void)ctx;
    outb((uint16_t)(COM1_BASE + reg), value);
}

void console_init(void)
{
    static const struct uart_ops ops = { .read = com1_read, .write = com1_write, .ctx = NULL };
    (void)uart_init(&com1, &ops, 115200);
}

void console_write(const char *text, size_t len)
{
    uart_write(&com1, text, len);
}

void console_puts(const char *text)
{
    console_write(text, strlen(text));
}
