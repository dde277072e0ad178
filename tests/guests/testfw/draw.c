/*
 * DRAW (docs/testdev.md): a known pattern into a linear 32-bpp framebuffer, as a display
 * driver would draw it, so that a test can check what the host sees pixel for pixel.
 * tests/harness/testscript.py (pattern_pixel) computes the same pattern.
 *
 * The pattern, for pixel (x, y) and a seed: 32x32 tiles, each a colour from a hash of the
 * tile's coordinates and the seed, with a white line along the top and left of every tile.
 * Pixels are BGRX (x is 0): 0x00RRGGBB as a little-endian dword.
 */
#include "tests/guests/testfw/fw.h"

#define TILE_SHIFT  5
#define TILE_MASK   ((1u << TILE_SHIFT) - 1)
#define GRID_COLOUR 0x00FFFFFFu

#if FW_BITS != 16
static uint32_t tile_colour(uint32_t tx, uint32_t ty, uint32_t seed)
{
    uint32_t h = tx * 0x9E3779B1u ^ ty * 0x85EBCA77u ^ seed;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    return h & 0x00FFFFFFu;
}
#endif

int draw_pattern(uint64_t base, uint32_t pitch, uint32_t width, uint32_t first,
                 uint32_t lines, uint32_t seed)
{
#if FW_BITS == 16
    (void)base; (void)pitch; (void)width; (void)first; (void)lines; (void)seed;
    return TESTDEV_FAIL_UNSUPPORTED;      /* VRAM is far above what real mode reaches */
#else
    if (width == 0 || lines == 0)
        return 0;
    /* Everything drawn must lie below 4 GiB: identity-mapped in both flat modes. */
    uint64_t last = base + (uint64_t)(first + lines - 1) * pitch + (uint64_t)width * 4;
    if (last > 0x100000000ull || last < base)
        return TESTDEV_FAIL_UNSUPPORTED;
    for (uint32_t y = first; y < first + lines; y++) {
        volatile uint32_t *row = (volatile uint32_t *)(uintptr_t)(base + (uint64_t)y * pitch);
        bool grid_row = (y & TILE_MASK) == 0;
        for (uint32_t x = 0; x < width;) {
            uint32_t colour = tile_colour(x >> TILE_SHIFT, y >> TILE_SHIFT, seed);
            uint32_t end = (x | TILE_MASK) + 1;
            if (end > width)
                end = width;
            for (; x < end; x++)
                row[x] = (grid_row || (x & TILE_MASK) == 0) ? GRID_COLOUR : colour;
        }
    }
    return 0;
#endif
}
