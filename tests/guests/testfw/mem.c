/*
 * memset and memcpy: the compiler may emit calls to them (struct assignment, zeroed
 * arrays). Volatile stores keep it from turning these loops back into calls to
 * themselves.
 */
#include "tests/guests/testfw/fw.h"

void *memset(void *dst, int c, size_t n)
{
    volatile uint8_t *d = dst;
    while (n--)
        *d++ = (uint8_t)c;
    return dst;
}

void *memcpy(void *dst, const void *src, size_t n)
{
    volatile uint8_t *d = dst;
    const uint8_t *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}
