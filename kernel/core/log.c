/* Kernel log glue: formats with log_format, keeps text in log_ring, prints on COM4. */
#include "kernel/lib/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu.h"
#include "kernel/core/ambient.h"
#include "kernel/core/console.h"

#define LOG_MESSAGE_MAX 256
#define LOG_LINE_MAX    (LOG_MESSAGE_MAX + 64)


void log_set_boot_tsc(uint64_t tsc) { kernel_ambient.log.boot_tsc = tsc; }
void log_set_tsc_hz(uint64_t hz) { kernel_ambient.log.tsc_hz = hz; }
uint64_t log_tsc_hz(void) { return kernel_ambient.log.tsc_hz; }
void log_set_console_level(enum log_level level) { kernel_ambient.log.console_level = level; }
const struct log_ring *log_get_ring(void) { return &kernel_ambient.log.ring; }

uint64_t log_uptime_us(void)
{
    return tsc_delta_to_us(rdtsc() - kernel_ambient.log.boot_tsc, kernel_ambient.log.tsc_hz);
}

void log_msg(enum log_level level, const char *subsystem, const char *fmt, ...)
{
    char message[LOG_MESSAGE_MAX];
    char line[LOG_LINE_MAX];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(message, sizeof(message), fmt, ap);
    va_end(ap);

    size_t len = log_format_line(line, sizeof(line), log_uptime_us(), level, subsystem, message);
    log_ring_append(&kernel_ambient.log.ring, line, len);
    if (level <= kernel_ambient.log.console_level)
        console_write(line, len);
}

void log_raw_line_level(enum log_level level, const char *line)
{
    size_t len = strlen(line);
    log_ring_append(&kernel_ambient.log.ring, line, len);
    log_ring_append(&kernel_ambient.log.ring, "\n", 1);
    if (level <= kernel_ambient.log.console_level) {
        console_write(line, len);
        console_write("\n", 1);
    }
}

void log_raw_line(const char *line)
{
    size_t len = strlen(line);
    log_ring_append(&kernel_ambient.log.ring, line, len);
    log_ring_append(&kernel_ambient.log.ring, "\n", 1);
    console_write(line, len);
    console_write("\n", 1);
}
