/* Sorting a small array of 64-bit values in place, ascending.
 *
 * Insertion sort: every caller sorts at most a few hundred values (GPA-map cut points,
 * e820 boundaries, benchmark samples), and it needs no allocation and no libc, so the
 * same code serves the freestanding kernel and the native unit tests. */
#ifndef MEZZ_SORT_U64_H
#define MEZZ_SORT_U64_H

#include <stddef.h>
#include <stdint.h>

static inline void sort_u64(uint64_t *v, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint64_t x = v[i];
        size_t j = i;
        for (; j > 0 && v[j - 1] > x; j--)
            v[j] = v[j - 1];
        v[j] = x;
    }
}

#endif
