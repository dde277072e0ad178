/* Formatting of one log line and TSC arithmetic. Pure. */
#ifndef MEZZ_KERNEL_LOG_FORMAT_H
#define MEZZ_KERNEL_LOG_FORMAT_H

#include <stdint.h>
#include <stddef.h>

enum log_level {
    LOG_ERROR = 0,
    LOG_WARN = 1,
    LOG_INFO = 2,
    LOG_DEBUG = 3,
};

/* 'E', 'W', 'I', 'D'; '?' for anything else. */
char log_level_letter(enum log_level level);

/* Parses "error", "warn", "info", "debug". Returns 0 or -EINVAL. */
int log_level_parse(const char *text, enum log_level *out);

/*
 * Converts a TSC delta to whole microseconds without 128-bit arithmetic (the host
 * libgcc's 128-bit division uses SSE). Returns 0 when tsc_hz is 0 (not calibrated).
 */
uint64_t tsc_delta_to_us(uint64_t delta, uint64_t tsc_hz);

/*
 * Writes "[SSSSSS.UUUUUU] L subsystem: message\n" into buf (always NUL terminated when
 * cap > 0). A message that does not fit is cut and ends in "...\n".
 * Returns the number of characters written, not counting the NUL.
 */
size_t log_format_line(char *buf, size_t cap, uint64_t us_since_boot, enum log_level level,
                       const char *subsystem, const char *message);

#endif
