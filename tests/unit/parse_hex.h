/* Instruction bytes for unit tests, written as hex text. Include after <stdio.h>. */
#ifndef MEZZ_TESTS_UNIT_PARSE_HEX_H
#define MEZZ_TESTS_UNIT_PARSE_HEX_H

/* "48 8b 05" -> bytes; returns the count. */
static size_t parse_hex(const char *hex, uint8_t *out, size_t max)
{
    size_t n = 0;
    unsigned v;
    int used;
    while (n < max && sscanf(hex, " %2x%n", &v, &used) == 1) {
        out[n++] = (uint8_t)v;
        hex += used;
    }
    return n;
}

#endif
