/*
 * The kernel log: levels, TSC timestamps, a ring kept for the diag channel, and the
 * console for lines at or above the console level.
 */
#ifndef MEZZ_KERNEL_LOG_H
#define MEZZ_KERNEL_LOG_H

#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/log_format.h"
#include "kernel/lib/log_ring.h"

/* Records the TSC value that is time zero; called first thing at boot. */
void log_set_boot_tsc(uint64_t tsc);
/* Sets the TSC frequency once calibrated; lines before that show time 0. */
void log_set_tsc_hz(uint64_t hz);
uint64_t log_tsc_hz(void);
/* Microseconds since boot (0 before calibration). */
uint64_t log_uptime_us(void);

void log_set_console_level(enum log_level level);

void log_msg(enum log_level level, const char *subsystem, const char *fmt, ...) PRINTF_LIKE(3, 4);

/* Writes a line to the console and the ring without level, prefix or formatting:
 * used for banners, dumps and panics. */
void log_raw_line(const char *line);
/* The same for a line that belongs to a level: always kept in the ring, on the console
 * only at or above the console level (boot's memory map and VTL2 layout blocks). */
void log_raw_line_level(enum log_level level, const char *line);

const struct log_ring *log_get_ring(void);

#define log_error(subsys, ...) log_msg(LOG_ERROR, subsys, __VA_ARGS__)
#define log_warn(subsys, ...)  log_msg(LOG_WARN, subsys, __VA_ARGS__)
#define log_info(subsys, ...)  log_msg(LOG_INFO, subsys, __VA_ARGS__)
#define log_debug(subsys, ...) log_msg(LOG_DEBUG, subsys, __VA_ARGS__)

#endif
