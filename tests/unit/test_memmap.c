/* Unit tests for mm/memmap: firmware map sanitising and VTL2 region placement. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mm/memmap.h"

#define R(b, s, t) { .base = (b), .size = (s), .type = (t) }

static void expect_ranges(const struct mem_range *got, int count,
                          const struct mem_range *want, size_t nwant)
{
    assert_int_equal(count, (int)nwant);
    for (size_t i = 0; i < nwant; i++) {
        assert_int_equal(got[i].base, want[i].base);
        assert_int_equal(got[i].size, want[i].size);
        assert_int_equal(got[i].type, want[i].type);
    }
}

/* Sanitises in[] into room for exactly `max` ranges (a heap buffer, so ASan sees a write
 * past it) and expects want[]. */
static void expect_sanitized(const struct mem_range *in, size_t nin, size_t max,
                             const struct mem_range *want, size_t nwant)
{
    struct mem_range *out = malloc(max * sizeof(*out));
    assert_non_null(out);
    int n = memmap_sanitize(in, nin, out, max);
    expect_ranges(out, n, want, nwant);
    free(out);
}

#define EXPECT_SANITIZED(in, max, want) \
    expect_sanitized((in), ARRAY_SIZE(in), (max), (want), ARRAY_SIZE(want))

/* The e820 map QEMU's -M pc gives a 512 MiB guest (SeaBIOS/multiboot loader). */
static const struct mem_range qemu_512m[] = {
    R(0x0, 0x9fc00, MEM_USABLE),
    R(0x9fc00, 0x400, MEM_RESERVED),
    R(0xf0000, 0x10000, MEM_RESERVED),
    R(0x100000, 0x1fee0000, MEM_USABLE),
    R(0x1ffe0000, 0x20000, MEM_RESERVED),
    R(0xfffc0000, 0x40000, MEM_RESERVED),
};

/* ---- memmap_sanitize ------------------------------------------------------------- */

static void test_sanitize_qemu_map_unchanged(void **state)
{
    (void)state;
    EXPECT_SANITIZED(qemu_512m, MEMMAP_MAX_RANGES, qemu_512m);
}

static void test_sanitize_qemu_map_shuffled(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0xfffc0000, 0x40000, MEM_RESERVED),
        R(0x100000, 0x1fee0000, MEM_USABLE),
        R(0x9fc00, 0x400, MEM_RESERVED),
        R(0x1ffe0000, 0x20000, MEM_RESERVED),
        R(0x0, 0x9fc00, MEM_USABLE),
        R(0xf0000, 0x10000, MEM_RESERVED),
    };
    EXPECT_SANITIZED(in, MEMMAP_MAX_RANGES, qemu_512m);
}

static void test_sanitize_sorts(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x30000, 0x1000, MEM_USABLE),
        R(0x10000, 0x1000, MEM_ACPI),
        R(0x20000, 0x1000, MEM_NVS),
        R(0x0, 0x1000, MEM_RESERVED),
    };
    const struct mem_range want[] = {
        R(0x0, 0x1000, MEM_RESERVED),
        R(0x10000, 0x1000, MEM_ACPI),
        R(0x20000, 0x1000, MEM_NVS),
        R(0x30000, 0x1000, MEM_USABLE),
    };
    EXPECT_SANITIZED(in, 8, want);
}

static void test_sanitize_reserved_inside_usable(void **state)
{
    (void)state;
    const struct mem_range want[] = {
        R(0x0, 0x8000, MEM_USABLE),
        R(0x8000, 0x1000, MEM_RESERVED),
        R(0x9000, 0x7000, MEM_USABLE),
    };

    /* Order of the input must not matter. */
    const struct mem_range a[] = { R(0x0, 0x10000, MEM_USABLE), R(0x8000, 0x1000, MEM_RESERVED) };
    EXPECT_SANITIZED(a, 8, want);

    const struct mem_range b[] = { R(0x8000, 0x1000, MEM_RESERVED), R(0x0, 0x10000, MEM_USABLE) };
    EXPECT_SANITIZED(b, 8, want);
}

static void test_sanitize_partial_overlap_reserved_wins(void **state)
{
    (void)state;
    /* usable [0x1000,0x5000) overlaps reserved [0x4000,0x8000) and usable [0x7000,0xa000). */
    const struct mem_range in[] = {
        R(0x1000, 0x4000, MEM_USABLE),
        R(0x4000, 0x4000, MEM_RESERVED),
        R(0x7000, 0x3000, MEM_USABLE),
    };
    const struct mem_range want[] = {
        R(0x1000, 0x3000, MEM_USABLE),
        R(0x4000, 0x4000, MEM_RESERVED),
        R(0x8000, 0x2000, MEM_USABLE),
    };
    EXPECT_SANITIZED(in, 8, want);
}

static void test_sanitize_acpi_beats_usable(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x0, 0x10000, MEM_USABLE),
        R(0xe000, 0x4000, MEM_ACPI),
    };
    const struct mem_range want[] = {
        R(0x0, 0xe000, MEM_USABLE),
        R(0xe000, 0x4000, MEM_ACPI),
    };
    EXPECT_SANITIZED(in, 8, want);
}

static void test_sanitize_same_type_overlap_and_adjacent_merge(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x3000, 0x5000, MEM_USABLE),     /* overlaps the next */
        R(0x0, 0x4000, MEM_USABLE),
        R(0x8000, 0x1000, MEM_USABLE),     /* adjacent to the end of the previous two */
        R(0x9000, 0x1000, MEM_RESERVED),   /* adjacent, other type: kept apart */
        R(0xa000, 0x1000, MEM_RESERVED),   /* adjacent, same type: merged */
        R(0x0, 0x4000, MEM_USABLE),        /* duplicate */
    };
    const struct mem_range want[] = {
        R(0x0, 0x9000, MEM_USABLE),
        R(0x9000, 0x2000, MEM_RESERVED),
    };
    EXPECT_SANITIZED(in, 8, want);
}

static void test_sanitize_gap_not_merged(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x0, 0x1000, MEM_USABLE),
        R(0x2000, 0x1000, MEM_USABLE),
    };
    EXPECT_SANITIZED(in, 8, in);
}

static void test_sanitize_zero_size_dropped(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x5000, 0, MEM_RESERVED),         /* inside the usable range: must not split it */
        R(0x0, 0x10000, MEM_USABLE),
        R(0x20000, 0, MEM_USABLE),          /* on its own */
        R(0xffffffffffff0000ull, 0, MEM_RESERVED),
    };
    const struct mem_range want[] = { R(0x0, 0x10000, MEM_USABLE) };
    EXPECT_SANITIZED(in, 8, want);

    struct mem_range out[8];
    const struct mem_range only_empty[] = { R(0x1000, 0, MEM_USABLE), R(0x0, 0, MEM_RESERVED) };
    assert_int_equal(memmap_sanitize(only_empty, ARRAY_SIZE(only_empty), out, ARRAY_SIZE(out)), 0);
    assert_int_equal(memmap_sanitize(NULL, 0, out, ARRAY_SIZE(out)), 0);
}

static void test_sanitize_wrap_clipped(void **state)
{
    (void)state;

    /* base + size wraps past 2^64: clipped at the last representable end. */
    const struct mem_range wrap[] = {
        R(0x1000, 0x1000, MEM_USABLE),
        R(0xffffffffffff0000ull, 0x20000, MEM_RESERVED),
    };
    const struct mem_range want_wrap[] = {
        R(0x1000, 0x1000, MEM_USABLE),
        R(0xffffffffffff0000ull, 0xffff, MEM_RESERVED),
    };
    EXPECT_SANITIZED(wrap, 8, want_wrap);

    /* A huge wrapping size must not turn into a small range at address 0. */
    const struct mem_range huge[] = { R(0x8000000000000000ull, UINT64_MAX, MEM_USABLE) };
    const struct mem_range want_huge[] = {
        R(0x8000000000000000ull, 0x7fffffffffffffffull, MEM_USABLE),
    };
    EXPECT_SANITIZED(huge, 8, want_huge);

    /* A wrapping reserved range still wins over the usable range it overlaps. */
    const struct mem_range mixed[] = {
        R(0xffffffffffff0000ull, 0x8000, MEM_USABLE),
        R(0xffffffffffff4000ull, 0x100000, MEM_RESERVED),
    };
    const struct mem_range want_mixed[] = {
        R(0xffffffffffff0000ull, 0x4000, MEM_USABLE),
        R(0xffffffffffff4000ull, 0xbfff, MEM_RESERVED),
    };
    EXPECT_SANITIZED(mixed, 8, want_mixed);
}

static void test_sanitize_unknown_types_reserved(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x0, 0x1000, 0),
        R(0x1000, 0x1000, 6),
        R(0x2000, 0x1000, MEM_RESERVED),    /* merges with the unknown ones around it */
        R(0x3000, 0x1000, 0xffffffffu),
        R(0x10000, 0x1000, 12),
        R(0x20000, 0x1000, MEM_ACPI),
        R(0x30000, 0x1000, MEM_NVS),
        R(0x40000, 0x1000, MEM_BAD),
        R(0x50000, 0x2000, MEM_USABLE),
        R(0x51000, 0x100, 7),                /* unknown inside usable: wins */
    };
    const struct mem_range want[] = {
        R(0x0, 0x4000, MEM_RESERVED),
        R(0x10000, 0x1000, MEM_RESERVED),
        R(0x20000, 0x1000, MEM_ACPI),
        R(0x30000, 0x1000, MEM_NVS),
        R(0x40000, 0x1000, MEM_BAD),
        R(0x50000, 0x1000, MEM_USABLE),
        R(0x51000, 0x100, MEM_RESERVED),
        R(0x51100, 0xf00, MEM_USABLE),
    };
    EXPECT_SANITIZED(in, 16, want);
}

static void test_sanitize_enospc(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        R(0x0, 0x1000, MEM_USABLE),
        R(0x2000, 0x1000, MEM_USABLE),
        R(0x4000, 0x1000, MEM_USABLE),
    };
    struct mem_range out[4];
    const struct mem_range sentinel = R(0xdead0000, 0xbeef, 0x5a5a);

    for (size_t i = 0; i < ARRAY_SIZE(out); i++)
        out[i] = sentinel;
    assert_int_equal(memmap_sanitize(in, ARRAY_SIZE(in), out, 2), -ENOSPC);
    /* Nothing beyond max was written. */
    assert_int_equal(out[2].base, sentinel.base);
    assert_int_equal(out[2].size, sentinel.size);
    assert_int_equal(out[2].type, sentinel.type);

    assert_int_equal(memmap_sanitize(in, ARRAY_SIZE(in), out, 0), -ENOSPC);
    assert_int_equal(memmap_sanitize(in, ARRAY_SIZE(in), out, 3), 3);

    /* Overlap splitting can need more output ranges than there were inputs. */
    const struct mem_range split[] = {
        R(0x0, 0x10000, MEM_USABLE),
        R(0x8000, 0x1000, MEM_RESERVED),
    };
    assert_int_equal(memmap_sanitize(split, ARRAY_SIZE(split), out, 2), -ENOSPC);
    assert_int_equal(memmap_sanitize(split, ARRAY_SIZE(split), out, 3), 3);
}

static void test_mem_type_name(void **state)
{
    (void)state;
    assert_string_equal(mem_type_name(MEM_USABLE), "usable");
    assert_string_equal(mem_type_name(MEM_RESERVED), "reserved");
    assert_string_equal(mem_type_name(MEM_ACPI), "acpi");
    assert_string_equal(mem_type_name(MEM_NVS), "acpi-nvs");
    assert_string_equal(mem_type_name(MEM_BAD), "bad");
    assert_string_equal(mem_type_name(0), "unknown");
    assert_string_equal(mem_type_name(99), "unknown");
}

static void test_sanitize_refuses_more_inputs_than_it_can_examine(void **state)
{
    (void)state;
    static struct mem_range in[MEMMAP_MAX_RANGES + 1];
    struct mem_range out[4];
    for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
        in[i].base = 0x1000 * i;
        in[i].size = 0x1000;
        in[i].type = MEM_USABLE;
    }
    /* The last one is reserved: truncating the input would have lost it. */
    in[MEMMAP_MAX_RANGES].type = MEM_RESERVED;
    assert_int_equal(memmap_sanitize(in, ARRAY_SIZE(in), out, ARRAY_SIZE(out)), -E2BIG);
    /* Exactly MEMMAP_MAX_RANGES is still accepted: they merge into one range. */
    assert_int_equal(memmap_sanitize(in, MEMMAP_MAX_RANGES, out, ARRAY_SIZE(out)), 1);
    assert_int_equal(out[0].size, 0x1000 * MEMMAP_MAX_RANGES);
}

/* ---- vtl2_place ------------------------------------------------------------------ */

static int place(const struct mem_range *map, size_t n, uint64_t size, struct vtl2_layout *l)
{
    memset(l, 0xcc, sizeof(*l));
    return vtl2_place(map, n, size, l);
}

static void test_vtl2_place_qemu_64m(void **state)
{
    (void)state;
    struct mem_range map[MEMMAP_MAX_RANGES];
    int n = memmap_sanitize(qemu_512m, ARRAY_SIZE(qemu_512m), map, ARRAY_SIZE(map));
    assert_int_equal(n, 6);

    struct vtl2_layout l;
    assert_int_equal(place(map, (size_t)n, 0x4000000, &l), 0);
    /* Usable RAM ends at 0x1ffe0000; aligned down to 2 MiB that is 0x1fe00000. */
    assert_int_equal(l.base, 0x1be00000);
    assert_int_equal(l.size, 0x4000000);
    assert_int_equal(l.persisted_base, 0x1be00000);
    assert_int_equal(l.persisted_size, 0x200000);
    assert_int_equal(l.slot_base[0], 0x1c000000);
    assert_int_equal(l.slot_base[1], 0x1c400000);
    assert_int_equal(l.slot_size, 0x400000);
    assert_int_equal(l.vram_base, 0x1c800000);
    assert_int_equal(l.vram_size, 0x800000);
    assert_int_equal(l.staging_base, 0x1d000000);
    assert_int_equal(l.staging_size, 0x400000);
    assert_int_equal(l.heap_base, 0x1d400000);
    assert_int_equal(l.heap_size, 0x2a00000);
}

static void test_vtl2_place_qemu_min_size(void **state)
{
    (void)state;
    struct vtl2_layout l;
    /* 30 MiB is the smallest legal region: heap is exactly 8 MiB. */
    assert_int_equal(place(qemu_512m, ARRAY_SIZE(qemu_512m), 0x1e00000, &l), 0);
    assert_int_equal(l.base, 0x1e000000);
    assert_int_equal(l.size, 0x1e00000);
    assert_int_equal(l.slot_base[0], 0x1e200000);
    assert_int_equal(l.slot_base[1], 0x1e600000);
    assert_int_equal(l.vram_base, 0x1ea00000);
    assert_int_equal(l.staging_base, 0x1f200000);
    assert_int_equal(l.heap_base, 0x1f600000);
    assert_int_equal(l.heap_size, 0x800000);
}

static void test_vtl2_place_size_checks(void **state)
{
    (void)state;
    const struct mem_range big[] = { R(0x100000, 0xbff00000, MEM_USABLE) }; /* up to 3 GiB */
    struct vtl2_layout l;

    assert_int_equal(place(big, 1, 0, &l), -EINVAL);
    assert_int_equal(place(big, 1, 0x1c00000, &l), -EINVAL);      /* 28M: below minimum */
    assert_int_equal(place(big, 1, 0x1f00000, &l), -EINVAL);      /* 31M: not 2M aligned */
    assert_int_equal(place(big, 1, 0x4100000, &l), -EINVAL);      /* 65M */
    assert_int_equal(place(big, 1, 0x4001000, &l), -EINVAL);      /* 64M + 4K */
    assert_int_equal(place(big, 1, 0x40200000, &l), -EINVAL);     /* 1G + 2M */
    assert_int_equal(place(big, 1, 0x80000000, &l), -EINVAL);     /* 2G */
    assert_int_equal(place(big, 1, UINT64_MAX, &l), -EINVAL);
    /* A bad size is -EINVAL even when nothing would fit either. */
    assert_int_equal(place(NULL, 0, 0x1f00000, &l), -EINVAL);

    assert_int_equal(place(big, 1, 0x1e00000, &l), 0);            /* 30M */
    assert_int_equal(l.base, 0xbe200000);
    assert_int_equal(place(big, 1, 0x40000000, &l), 0);           /* 1G */
    assert_int_equal(l.base, 0x80000000);
    assert_int_equal(l.heap_base, 0x81600000);
    assert_int_equal(l.heap_size, 0x3ea00000);
}

static void test_vtl2_place_too_small(void **state)
{
    (void)state;
    struct vtl2_layout l;

    /* 512M guest cannot hold 512M or 1G of VTL2. */
    assert_int_equal(place(qemu_512m, ARRAY_SIZE(qemu_512m), 0x20000000, &l), -ENOMEM);
    assert_int_equal(place(qemu_512m, ARRAY_SIZE(qemu_512m), 0x40000000, &l), -ENOMEM);

    /* 29 MiB of usable RAM [1M, 30M): 30M does not fit, even though 30M < end. */
    const struct mem_range small[] = { R(0x100000, 0x1d00000, MEM_USABLE) };
    assert_int_equal(place(small, 1, 0x1e00000, &l), -ENOMEM);

    /* Exactly fitting: [32M, 62M) holds 30M. */
    const struct mem_range exact[] = { R(0x2000000, 0x1e00000, MEM_USABLE) };
    assert_int_equal(place(exact, 1, 0x1e00000, &l), 0);
    assert_int_equal(l.base, 0x2000000);
    /* ...and one byte less does not. */
    const struct mem_range short_by_one[] = { R(0x2000001, 0x1dfffff, MEM_USABLE) };
    assert_int_equal(place(short_by_one, 1, 0x1e00000, &l), -ENOMEM);

    /* No usable RAM at all. */
    assert_int_equal(place(NULL, 0, 0x4000000, &l), -ENOMEM);
    const struct mem_range none[] = {
        R(0x0, 0x80000000, MEM_RESERVED),
        R(0x80000000, 0x10000000, MEM_ACPI),
    };
    assert_int_equal(place(none, ARRAY_SIZE(none), 0x4000000, &l), -ENOMEM);

    /* The region must lie in the highest usable range below 4 GiB: a large lower range
     * does not help when the top one is small. */
    const struct mem_range top_small[] = {
        R(0x100000, 0x1fee0000, MEM_USABLE),
        R(0x1ffe0000, 0x10020000, MEM_RESERVED),
        R(0x30000000, 0x400000, MEM_USABLE),
    };
    assert_int_equal(place(top_small, ARRAY_SIZE(top_small), 0x4000000, &l), -ENOMEM);
}

static void test_vtl2_place_ignores_above_4g(void **state)
{
    (void)state;
    const struct mem_range map[] = {
        R(0x0, 0x9fc00, MEM_USABLE),
        R(0x9fc00, 0x400, MEM_RESERVED),
        R(0xf0000, 0x10000, MEM_RESERVED),
        R(0x100000, 0x1fee0000, MEM_USABLE),
        R(0x1ffe0000, 0x20000, MEM_RESERVED),
        R(0xfffc0000, 0x40000, MEM_RESERVED),
        R(0x100000000ull, 0x20000000, MEM_USABLE),
    };
    struct vtl2_layout l;
    assert_int_equal(place(map, ARRAY_SIZE(map), 0x4000000, &l), 0);
    assert_int_equal(l.base, 0x1be00000);
    assert_int_equal(l.heap_base, 0x1d400000);
    assert_int_equal(l.heap_size, 0x2a00000);

    /* Only RAM above 4 GiB: nothing to place in. */
    const struct mem_range high_only[] = { R(0x100000000ull, 0x100000000ull, MEM_USABLE) };
    assert_int_equal(place(high_only, 1, 0x4000000, &l), -ENOMEM);
}

static void test_vtl2_place_clips_at_4g(void **state)
{
    (void)state;
    const struct mem_range map[] = {
        R(0x0, 0x9fc00, MEM_USABLE),
        R(0x100000, 0x17ff00000ull, MEM_USABLE),   /* [1M, 6G): crosses 4 GiB */
    };
    struct vtl2_layout l;
    assert_int_equal(place(map, ARRAY_SIZE(map), 0x4000000, &l), 0);
    assert_int_equal(l.base, 0xfc000000);
    assert_int_equal(l.size, 0x4000000);
    assert_int_equal(l.slot_base[0], 0xfc200000);
    assert_int_equal(l.heap_base, 0xfd600000);
    assert_int_equal(l.heap_size, 0x2a00000);
    assert_int_equal(l.heap_base + l.heap_size, 0x100000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sanitize_qemu_map_unchanged),
        cmocka_unit_test(test_sanitize_qemu_map_shuffled),
        cmocka_unit_test(test_sanitize_sorts),
        cmocka_unit_test(test_sanitize_reserved_inside_usable),
        cmocka_unit_test(test_sanitize_partial_overlap_reserved_wins),
        cmocka_unit_test(test_sanitize_acpi_beats_usable),
        cmocka_unit_test(test_sanitize_same_type_overlap_and_adjacent_merge),
        cmocka_unit_test(test_sanitize_gap_not_merged),
        cmocka_unit_test(test_sanitize_zero_size_dropped),
        cmocka_unit_test(test_sanitize_wrap_clipped),
        cmocka_unit_test(test_sanitize_unknown_types_reserved),
        cmocka_unit_test(test_sanitize_enospc),
        cmocka_unit_test(test_mem_type_name),
        cmocka_unit_test(test_vtl2_place_qemu_64m),
        cmocka_unit_test(test_vtl2_place_qemu_min_size),
        cmocka_unit_test(test_vtl2_place_size_checks),
        cmocka_unit_test(test_vtl2_place_too_small),
        cmocka_unit_test(test_sanitize_refuses_more_inputs_than_it_can_examine),
        cmocka_unit_test(test_vtl2_place_ignores_above_4g),
        cmocka_unit_test(test_vtl2_place_clips_at_4g),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
