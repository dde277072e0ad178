/* The operator console on COM1 (0x3F8). */
#ifndef MEZZ_KERNEL_CONSOLE_H
#define MEZZ_KERNEL_CONSOLE_H

#include <stddef.h>

#define COM1_BASE 0x3F8

void console_init(void);
void console_write(const char *text, size_t len);
void console_puts(const char *text);   /* no newline added */

#endif
