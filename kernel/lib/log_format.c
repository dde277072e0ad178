/* Log line formatting; see log_format.h. */
#include "kernel/lib/log_format.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

char log_level_letter(enum log_level level)
{
    switch (level) {
    case LOG_ERROR: return 'E';
    case LOG_WARN:  return 'W';
    case LOG_INFO:  return 'I';
    case LOG_DEBUG: return 'D';
    default:        return '?';
    }
}

int log_level_parse(const char *text, enum log_level *out)
{
    static const struct { const char *name; enum log_level level; } names[] = {
        { "error", LOG_ERROR }, { "warn", LOG_WARN }, { "info", LOG_INFO }, { "debug", LOG_DEBUG },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(text, names[i].name) == 0) {
            *out = names[i].level;
            return 0;
        }
    }
    return -EINVAL;
}

uint64_t tsc_delta_to_us(uint64_t delta, uint64_t tsc_hz)
{
    if (tsc_hz == 0)
        return 0;
    uint64_t seconds = delta / tsc_hz;
    uint64_t rest = delta % tsc_hz;
    /* rest < tsc_hz; for any TSC below 18 THz rest * 10^6 fits in 64 bits. */
    return seconds * 1000000u + rest * 1000000u / tsc_hz;
}

size_t log_format_line(char *buf, size_t cap, uint64_t us_since_boot, enum log_level level,
                       const char *subsystem, const char *message)
{
    static const char cut_marker[] = "...\n";
    if (cap == 0)
        return 0;

    int n = snprintf(buf, cap, "[%6llu.%06llu] %c %s: %s\n",
                     (unsigned long long)(us_since_boot / 1000000u),
                     (unsigned long long)(us_since_boot % 1000000u),
                     log_level_letter(level), subsystem, message);
    if (n < 0) {
        buf[0] = '\0';
        return 0;
    }
    if ((size_t)n < cap)
        return (size_t)n;
    /* Truncated: end the line visibly so a reader knows text was lost. */
    size_t len = cap - 1;
    if (len >= sizeof(cut_marker) - 1) {
        memcpy(buf + len - (sizeof(cut_marker) - 1), cut_marker, sizeof(cut_marker) - 1);
    }
    buf[len] = '\0';
    return len;
}
