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

/* Appends text[0, len) to buf as far as cap - 1 allows, counting all of it in *total
 * (snprintf's way: *total is the length the whole line would have). */
static void put(char *buf, size_t cap, size_t *total, const char *text, size_t len)
{
    if (*total < cap - 1) {
        size_t room = cap - 1 - *total;
        memcpy(buf + *total, text, len < room ? len : room);
    }
    *total += len;
}

/* v in decimal, at least `width` characters, padded on the left with `pad`. */
static size_t decimal(char *out, uint64_t v, unsigned width, char pad)
{
    char digits[20];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    size_t len = 0;
    for (; len + n < width; len++)
        out[len] = pad;
    while (n)
        out[len++] = digits[--n];
    return len;
}

size_t log_format_line(char *buf, size_t cap, uint64_t us_since_boot, enum log_level level,
                       const char *subsystem, const char *message)
{
    static const char cut_marker[] = "...\n";
    if (cap == 0)
        return 0;

    /* "[%6llu.%06llu] %c %s: %s\n", without snprintf: a log line is formatted with VTL0
     * stopped in a servicing boot, and this halves the formatting a line costs. */
    char prefix[48];
    size_t p = 0;
    prefix[p++] = '[';
    p += decimal(prefix + p, us_since_boot / 1000000u, 6, ' ');
    prefix[p++] = '.';
    p += decimal(prefix + p, us_since_boot % 1000000u, 6, '0');
    prefix[p++] = ']';
    prefix[p++] = ' ';
    prefix[p++] = log_level_letter(level);
    prefix[p++] = ' ';
    size_t n = 0;
    put(buf, cap, &n, prefix, p);
    put(buf, cap, &n, subsystem, strlen(subsystem));
    put(buf, cap, &n, ": ", 2);
    put(buf, cap, &n, message, strlen(message));
    put(buf, cap, &n, "\n", 1);
    buf[n < cap ? n : cap - 1] = '\0';
    if (n < cap)
        return n;
    /* Truncated: end the line visibly so a reader knows text was lost. */
    size_t len = cap - 1;
    if (len >= sizeof(cut_marker) - 1) {
        memcpy(buf + len - (sizeof(cut_marker) - 1), cut_marker, sizeof(cut_marker) - 1);
    }
    buf[len] = '\0';
    return len;
}
