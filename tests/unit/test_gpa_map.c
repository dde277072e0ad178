/*
 * Unit tests for mm/gpa_map: VTL0's GPA map (layers, validation, extents) and the nested
 * page table built from it through arch/x86_64/paging on a fake table allocator. Every
 * expected extent and NPT leaf is written out by hand.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mm/gpa_map.h"

#include "tests/unit/fake_pt.h"

/* An empty NPT the way kernel/vtl0/partition.c makes one: table entries P|W|U. */
static void fresh_npt(struct page_table *pt, unsigned limit)
{
    fresh_pt(pt, PTE_W | PTE_U, limit);
}

/* ---- map helpers ------------------------------------------------------------------- */

#define LOW_END 0x8000000ull        /* 128 MiB first RAM block */

#define RAM   GPA_KIND_RAM
#define OVR   GPA_KIND_OVERRIDE
#define ROM   GPA_KIND_ROM
#define PASS  GPA_KIND_PASSTHROUGH

static struct gpa_map map;

/*
 * What kernel/vtl0/partition.c sets up for a 256 KiB firmware and 64 MiB above 4 GiB: the
 * image's alias below 4 GiB and its last 128 KiB below 1 MiB (backed by the top of the
 * first RAM block), the RAM above 4 GiB, the local APIC and I/O APIC pages, the VGA
 * window unmapped.
 */
static void partition_like(void)
{
    memset(&map, 0xCC, sizeof(map));
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0xFFFC0000, 0x40000, 0x7FC0000), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0xE0000, 0x20000, 0x7FE0000), 0);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x100000000, 0x4000000), 0);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE00000, 0x1000), 0);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEC00000, 0x1000), 0);
    assert_int_equal(gpa_map_set_visibility(&map, 0xA0000, 0xC0000, GPA_UNMAPPED), 0);
}

/* PAM at reset (all Mmio), through OpenVMM's local rules (reference section 2.5). */
static void pam_reset_visibility(void)
{
    static const struct {
        uint64_t start, end;
        enum gpa_visibility vis;
    } v[] = {
        { 0xC0000, 0xC4000, GPA_UNMAPPED }, { 0xC4000, 0xC8000, GPA_UNMAPPED },
        { 0xC8000, 0xCC000, GPA_UNMAPPED }, { 0xCC000, 0xD0000, GPA_READ_ONLY },
        { 0xD0000, 0xD4000, GPA_READ_ONLY }, { 0xD4000, 0xD8000, GPA_READ_ONLY },
        { 0xD8000, 0xDC000, GPA_READ_ONLY }, { 0xDC000, 0xE0000, GPA_READ_ONLY },
        { 0xE0000, 0xE4000, GPA_UNMAPPED }, { 0xE4000, 0xE8000, GPA_UNMAPPED },
        { 0xE8000, 0xEC000, GPA_UNMAPPED }, { 0xEC000, 0xF0000, GPA_UNMAPPED },
        { 0xF0000, 0x100000, GPA_UNMAPPED },
    };
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        assert_int_equal(gpa_map_set_visibility(&map, v[i].start, v[i].end, v[i].vis), 0);
}

static void expect_extents(const struct gpa_extent *want, int n)
{
    struct gpa_extent got[GPA_MAX_EXTENTS];
    memset(got, 0xEE, sizeof(got));
    int count = gpa_map_extents(&map, got, GPA_MAX_EXTENTS);
    for (int i = 0; i < count && i < n; i++) {
        if (got[i].gpa != want[i].gpa || got[i].size != want[i].size ||
            got[i].backing != want[i].backing || got[i].writable != want[i].writable ||
            got[i].kind != want[i].kind)
            fail_msg("extent %d: gpa %#llx size %#llx backing %#llx %s %s; want gpa %#llx size "
                     "%#llx backing %#llx %s %s", i, (unsigned long long)got[i].gpa,
                     (unsigned long long)got[i].size, (unsigned long long)got[i].backing,
                     got[i].writable ? "rw" : "ro", gpa_kind_name(got[i].kind),
                     (unsigned long long)want[i].gpa, (unsigned long long)want[i].size,
                     (unsigned long long)want[i].backing, want[i].writable ? "rw" : "ro",
                     gpa_kind_name(want[i].kind));
    }
    assert_int_equal(count, n);
}

static void expect_lookup(uint64_t gpa, uint64_t page, uint64_t backing, bool writable,
                          enum gpa_kind kind)
{
    struct gpa_extent e;
    memset(&e, 0xEE, sizeof(e));
    if (!gpa_map_lookup(&map, gpa, &e))
        fail_msg("gpa %#llx not mapped", (unsigned long long)gpa);
    assert_int_equal(e.gpa, page);
    assert_int_equal(e.size, 0x1000);
    assert_int_equal(e.backing, backing);
    assert_int_equal(e.writable, writable);
    assert_int_equal(e.kind, kind);
}

static void expect_no_lookup(uint64_t gpa)
{
    struct gpa_extent e;
    if (gpa_map_lookup(&map, gpa, &e))
        fail_msg("gpa %#llx unexpectedly mapped (%s)", (unsigned long long)gpa,
                 gpa_kind_name(e.kind));
}

/* ---- NPT checks -------------------------------------------------------------------- */

/* Walks the NPT by hand: every entry on the way has P|W|U (0x7), the leaf is `leaf`. */
static void expect_npt(const struct page_table *pt, uint64_t gpa, uint64_t pa, uint64_t leaf)
{
    uint64_t got_pa = 0, got_leaf = 0;
    if (!pt_translate(pt, gpa, &got_pa, &got_leaf))
        fail_msg("gpa %#llx not in the NPT", (unsigned long long)gpa);
    if (got_pa != pa || got_leaf != leaf)
        fail_msg("gpa %#llx: pa %#llx leaf %#llx; want pa %#llx leaf %#llx",
                 (unsigned long long)gpa, (unsigned long long)got_pa,
                 (unsigned long long)got_leaf, (unsigned long long)pa, (unsigned long long)leaf);
    assert_true(leaf & PTE_U);

    uint64_t table = pt->root;
    for (int level = 4; level >= 1; level--) {
        unsigned idx = (unsigned)((gpa >> (12 + 9 * (level - 1))) & 0x1FF);
        uint64_t e = fake_table_ptr(&mem, table)[idx];
        if (level == 1 || (e & PTE_PS)) {
            assert_int_equal(e, leaf);
            return;
        }
        if ((e & 0xFFF) != 0x7 || (e >> 52) != 0)
            fail_msg("gpa %#llx: level-%d entry %#llx is not table|P|W|U",
                     (unsigned long long)gpa, level, (unsigned long long)e);
        table = e & PTE_ADDR_MASK;
    }
}

static void expect_not_in_npt(const struct page_table *pt, uint64_t gpa)
{
    uint64_t pa = 0, leaf = 0;
    if (pt_translate(pt, gpa, &pa, &leaf))
        fail_msg("gpa %#llx unexpectedly in the NPT (leaf %#llx)", (unsigned long long)gpa,
                 (unsigned long long)leaf);
}

/* Leaf bits: RW RAM P|W|U = 0x007, read-only P|U = 0x005, pass-through P|W|U|PCD = 0x017,
 * 2 MiB pages add PS = 0x080. */

/* ---- tests: init and regions ------------------------------------------------------- */

static void test_legacy_cuts(void **state)
{
    (void)state;
    static const uint64_t want[16] = {
        0x0, 0xA0000, 0xC0000, 0xC4000, 0xC8000, 0xCC000, 0xD0000, 0xD4000,
        0xD8000, 0xDC000, 0xE0000, 0xE4000, 0xE8000, 0xEC000, 0xF0000, 0x100000,
    };
    assert_int_equal(GPA_LEGACY_REGIONS, 16);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(gpa_legacy_cuts[i], want[i]);
}

static void test_init(void **state)
{
    (void)state;
    memset(&map, 0xCC, sizeof(map));
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    static const uint64_t bounds[17] = {
        0x0, 0xA0000, 0xC0000, 0xC4000, 0xC8000, 0xCC000, 0xD0000, 0xD4000,
        0xD8000, 0xDC000, 0xE0000, 0xE4000, 0xE8000, 0xEC000, 0xF0000, 0x100000, 0x8000000,
    };
    for (unsigned i = 0; i < 16; i++) {
        assert_int_equal(map.regions[i].start, bounds[i]);
        assert_int_equal(map.regions[i].end, bounds[i + 1]);
        assert_int_equal(map.regions[i].visibility, GPA_READ_WRITE);
    }
    assert_int_equal(map.low_ram_end, LOW_END);
    assert_int_equal(map.generation, 0);
    for (unsigned i = 0; i < GPA_MAX_OVERRIDES; i++)
        assert_false(map.overrides[i].active);
    for (unsigned i = 0; i < GPA_MAX_ROMS; i++)
        assert_false(map.roms[i].active);
    for (unsigned i = 0; i < GPA_MAX_RAM_BLOCKS; i++)
        assert_false(map.ram_blocks[i].active);
    for (unsigned i = 0; i < GPA_MAX_PASSTHROUGH; i++)
        assert_false(map.passthrough[i].active);
    static const struct gpa_extent want[] = {
        { 0x0, 0x8000000, 0x0, true, RAM },
    };
    expect_extents(want, 1);
}

static void test_init_rejects_bad_ends(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, 0), -EINVAL);
    assert_int_equal(gpa_map_init(&map, 0xFF000), -EINVAL);
    assert_int_equal(gpa_map_init(&map, 0x8000800), -EINVAL);
    assert_int_equal(gpa_map_init(&map, 0x100001), -EINVAL);
    assert_int_equal(gpa_map_init(&map, 0x100000), -EINVAL);   /* region 15 would be empty */
    /* One page past 1 MiB is the smallest first block with a non-empty last region. */
    assert_int_equal(gpa_map_init(&map, 0x101000), 0);
    assert_int_equal(map.regions[15].start, 0x100000);
    assert_int_equal(map.regions[15].end, 0x101000);
}

static void test_find_region(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_find_region(&map, 0x0, 0xA0000), 0);
    assert_int_equal(gpa_map_find_region(&map, 0xA0000, 0xC0000), 1);
    assert_int_equal(gpa_map_find_region(&map, 0xC8000, 0xCC000), 4);
    assert_int_equal(gpa_map_find_region(&map, 0xEC000, 0xF0000), 13);
    assert_int_equal(gpa_map_find_region(&map, 0xF0000, 0x100000), 14);
    assert_int_equal(gpa_map_find_region(&map, 0x100000, 0x8000000), 15);
    /* Only whole regions. */
    assert_int_equal(gpa_map_find_region(&map, 0xC0000, 0xC8000), -EINVAL);
    assert_int_equal(gpa_map_find_region(&map, 0xA0000, 0xBF000), -EINVAL);
    assert_int_equal(gpa_map_find_region(&map, 0xA1000, 0xC0000), -EINVAL);
    assert_int_equal(gpa_map_find_region(&map, 0x100000, 0x7FFF000), -EINVAL);
    assert_int_equal(gpa_map_find_region(&map, 0x8000000, 0x9000000), -EINVAL);
}

static void test_set_visibility(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_set_visibility(&map, 0xC8000, 0xCC000, GPA_READ_ONLY), 0);
    assert_int_equal(map.regions[4].visibility, GPA_READ_ONLY);
    assert_int_equal(map.generation, 1);
    /* The same visibility again is no change. */
    assert_int_equal(gpa_map_set_visibility(&map, 0xC8000, 0xCC000, GPA_READ_ONLY), 0);
    assert_int_equal(map.generation, 1);
    assert_int_equal(gpa_map_set_visibility(&map, 0xC8000, 0xCC000, GPA_UNMAPPED), 0);
    assert_int_equal(map.regions[4].visibility, GPA_UNMAPPED);
    assert_int_equal(map.generation, 2);
    /* Bad range or visibility: nothing changes. */
    assert_int_equal(gpa_map_set_visibility(&map, 0xC8000, 0xD0000, GPA_READ_ONLY), -EINVAL);
    assert_int_equal(gpa_map_set_visibility(&map, 0xC8000, 0xCC000, (enum gpa_visibility)3),
                     -EINVAL);
    assert_int_equal(map.regions[4].visibility, GPA_UNMAPPED);
    assert_int_equal(map.regions[5].visibility, GPA_READ_WRITE);
    assert_int_equal(map.generation, 2);
}

/* ---- tests: validation ------------------------------------------------------------- */

static void test_override_validation(void **state)
{
    (void)state;
    partition_like();
    struct gpa_map before;
    memcpy(&before, &map, sizeof(map));

    assert_int_equal(gpa_map_set_override(&map, 16, 0xC0000, 0x1000, 0x1000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0800, 0x1000, 0x1000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0, 0x1000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0x800, 0x1000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0x1000, 0x1800, false), -EINVAL);
    /* The backing must lie inside the first RAM block. */
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0x1000, 0x8000000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0x2000, 0x7FFF000, false), -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 0xC0000, 0x1000, 0x100000000, false), -EINVAL);
    /* No wrap, no GPA past the physical-address width. */
    assert_int_equal(gpa_map_set_override(&map, 0, 0xFFFFFFFFFFFFF000, 0x2000, 0x1000, false),
                     -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 0, 1ull << 52, 0x1000, 0x1000, false), -EINVAL);
    assert_memory_equal(&map, &before, sizeof(map));

    /* A good one, then a clash on its slot and on its range. */
    assert_int_equal(gpa_map_set_override(&map, 2, 0xC0000, 0x8000, 0x7F00000, false), 0);
    assert_int_equal(map.generation, before.generation + 1);
    assert_true(map.overrides[2].active);
    assert_int_equal(map.overrides[2].gpa, 0xC0000);
    assert_int_equal(map.overrides[2].size, 0x8000);
    assert_int_equal(map.overrides[2].backing, 0x7F00000);
    assert_false(map.overrides[2].writable);
    memcpy(&before, &map, sizeof(map));
    assert_int_equal(gpa_map_set_override(&map, 2, 0xD0000, 0x1000, 0x1000, true), -EEXIST);
    assert_int_equal(gpa_map_set_override(&map, 3, 0xC7000, 0x2000, 0x1000, true), -EEXIST);
    assert_int_equal(gpa_map_set_override(&map, 3, 0xBF000, 0x2000, 0x1000, true), -EEXIST);
    assert_int_equal(gpa_map_set_override(&map, 3, 0x0, 0x200000, 0x1000, true), -EEXIST);
    assert_memory_equal(&map, &before, sizeof(map));
    /* Touching is not overlapping. */
    assert_int_equal(gpa_map_set_override(&map, 3, 0xC8000, 0x4000, 0x7F10000, true), 0);
    assert_int_equal(gpa_map_set_override(&map, 15, 0xBF000, 0x1000, 0x7F20000, true), 0);

    /* Clearing. */
    uint64_t gen = map.generation;
    assert_int_equal(gpa_map_clear_override(&map, 2), 0);
    assert_false(map.overrides[2].active);
    assert_int_equal(map.generation, gen + 1);
    assert_int_equal(gpa_map_clear_override(&map, 2), -EINVAL);
    assert_int_equal(gpa_map_clear_override(&map, 16), -EINVAL);
    assert_int_equal(gpa_map_clear_override(&map, 4), -EINVAL);
    assert_int_equal(map.generation, gen + 1);
    /* The slot can be used again, the freed range too. */
    assert_int_equal(gpa_map_set_override(&map, 2, 0xC4000, 0x4000, 0x7F00000, false), 0);
}

static void test_window_validation_and_capacity(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    struct gpa_map before;
    memcpy(&before, &map, sizeof(map));
    /* ROMs: backing inside the first RAM block, aligned, non-empty. */
    assert_int_equal(gpa_map_add_rom(&map, 0xFFFC0000, 0x40000, 0x7FE0000), -EINVAL);
    assert_int_equal(gpa_map_add_rom(&map, 0xFFFC0000, 0x40000, 0x8000000), -EINVAL);
    assert_int_equal(gpa_map_add_rom(&map, 0xFFFC0800, 0x1000, 0x7FC0000), -EINVAL);
    assert_int_equal(gpa_map_add_rom(&map, 0xFFFC0000, 0, 0x7FC0000), -EINVAL);
    /* RAM blocks and pass-through: not inside the first block. */
    assert_int_equal(gpa_map_add_ram_block(&map, 0x7FFF000, 0x2000), -EINVAL);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x0, 0x1000), -EINVAL);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x100000000, 0x800), -EINVAL);
    assert_int_equal(gpa_map_add_passthrough(&map, 0x7FFF000, 0x1000), -EINVAL);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE00000, 0), -EINVAL);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE00010, 0x1000), -EINVAL);
    assert_memory_equal(&map, &before, sizeof(map));

    for (unsigned i = 0; i < 4; i++) {
        assert_int_equal(gpa_map_add_rom(&map, 0xF0000000 + i * 0x10000, 0x1000, 0x1000), 0);
        assert_int_equal(gpa_map_add_ram_block(&map, 0x8000000 + i * 0x1000000, 0x1000), 0);
        assert_int_equal(gpa_map_add_passthrough(&map, 0xFE000000 + i * 0x1000, 0x1000), 0);
    }
    assert_int_equal(map.generation, 12);
    memcpy(&before, &map, sizeof(map));
    assert_int_equal(gpa_map_add_rom(&map, 0xF1000000, 0x1000, 0x1000), -ENOSPC);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x200000000, 0x1000), -ENOSPC);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFED00000, 0x1000), -ENOSPC);
    assert_memory_equal(&map, &before, sizeof(map));
    assert_true(map.roms[3].active);
    assert_int_equal(map.roms[3].gpa, 0xF0030000);
    assert_int_equal(map.ram_blocks[3].gpa, 0xB000000);
    assert_int_equal(map.ram_blocks[3].backing, 0xB000000);
    assert_true(map.ram_blocks[3].writable);
    assert_int_equal(map.passthrough[3].backing, 0xFE003000);
}

/*
 * Whatever the setters accept must also build into an NPT: the builder maps GPAs below
 * 2^47 only, so anything reaching past that must be refused up front (the NPT sync
 * panics on a build error).
 */
static void test_setters_accept_only_buildable_gpas(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_set_override(&map, 0, 0x7FFFFFFFF000, 0x1000, 0x1000, false), 0);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x7FFFFFE00000, 0x1FF000), 0);
    struct gpa_map before;
    memcpy(&before, &map, sizeof(map));
    assert_int_equal(gpa_map_set_override(&map, 1, 0x800000000000, 0x1000, 0x1000, false),
                     -EINVAL);
    assert_int_equal(gpa_map_set_override(&map, 1, 0x7FFFFFF00000, 0x200000, 0x1000, false),
                     -EINVAL);
    assert_int_equal(gpa_map_add_ram_block(&map, 0x800000000000, 0x1000), -EINVAL);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFFFFFFFFF000, 0x1000), -EINVAL);
    assert_int_equal(gpa_map_add_rom(&map, 0x800000000000, 0x1000, 0x1000), -EINVAL);
    assert_memory_equal(&map, &before, sizeof(map));

    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);
    expect_npt(&pt, 0x7FFFFFFFF000, 0x1000, 0x1005);
    expect_npt(&pt, 0x7FFFFFFFE000, 0x7FFFFFFFE000, 0x7FFFFFFFE007);
}

/* ---- tests: layers ----------------------------------------------------------------- */

static void test_lookup_layers(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();

    expect_lookup(0x0, 0x0, 0x0, true, RAM);
    expect_lookup(0x12345, 0x12000, 0x12000, true, RAM);
    expect_lookup(0x9FFFF, 0x9F000, 0x9F000, true, RAM);
    expect_no_lookup(0xA0000);                      /* VGA window: MMIO */
    expect_no_lookup(0xBFFFF);
    expect_no_lookup(0xC0000);                      /* option ROM space at reset */
    expect_no_lookup(0xCBFFF);
    expect_lookup(0xCC800, 0xCC000, 0xCC000, false, RAM);
    expect_lookup(0xDFFFF, 0xDF000, 0xDF000, false, RAM);
    expect_lookup(0xE0000, 0xE0000, 0x7FE0000, false, ROM);   /* ROM where RAM is unmapped */
    expect_lookup(0xF0010, 0xF0000, 0x7FF0000, false, ROM);
    expect_lookup(0xFFFFF, 0xFF000, 0x7FFF000, false, ROM);
    expect_lookup(0x100000, 0x100000, 0x100000, true, RAM);
    expect_lookup(0x7FFF000, 0x7FFF000, 0x7FFF000, true, RAM);
    expect_no_lookup(0x8000000);
    expect_no_lookup(0xF0000000);
    expect_lookup(0xFEC00000, 0xFEC00000, 0xFEC00000, true, PASS);
    expect_no_lookup(0xFEC01000);
    expect_lookup(0xFEE00FFF, 0xFEE00000, 0xFEE00000, true, PASS);
    expect_no_lookup(0xFEDFF000);
    expect_no_lookup(0xFFFBF000);
    expect_lookup(0xFFFC0000, 0xFFFC0000, 0x7FC0000, false, ROM);
    expect_lookup(0xFFFFFFF0, 0xFFFFF000, 0x7FFF000, false, ROM);
    expect_lookup(0x100000000, 0x100000000, 0x100000000, true, RAM);
    expect_lookup(0x103FFF000, 0x103FFF000, 0x103FFF000, true, RAM);
    expect_no_lookup(0x104000000);

    /* Legacy RAM beats a ROM window: with F0000 read-write, RAM shows. */
    assert_int_equal(gpa_map_set_visibility(&map, 0xF0000, 0x100000, GPA_READ_WRITE), 0);
    expect_lookup(0xF0000, 0xF0000, 0xF0000, true, RAM);
    expect_lookup(0xEF000, 0xEF000, 0x7FEF000, false, ROM);

    /* A RAM block beats a ROM window; a ROM window beats pass-through. */
    assert_int_equal(gpa_map_add_rom(&map, 0x100000000, 0x1000, 0x1000), 0);
    expect_lookup(0x100000000, 0x100000000, 0x100000000, true, RAM);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFFFC0000, 0x1000), 0);
    expect_lookup(0xFFFC0000, 0xFFFC0000, 0x7FC0000, false, ROM);

    /* Overrides beat everything. */
    assert_int_equal(gpa_map_set_override(&map, 0, 0xFFFF0000, 0x10000, 0x100000, true), 0);
    assert_int_equal(gpa_map_set_override(&map, 1, 0xFEE00000, 0x1000, 0x200000, false), 0);
    assert_int_equal(gpa_map_set_override(&map, 2, 0x100001000, 0x1000, 0x300000, false), 0);
    assert_int_equal(gpa_map_set_override(&map, 3, 0x5000, 0x2000, 0x400000, false), 0);
    assert_int_equal(gpa_map_set_override(&map, 4, 0xA0000, 0x1000, 0x500000, true), 0);
    expect_lookup(0xFFFF8000, 0xFFFF8000, 0x108000, true, OVR);
    expect_lookup(0xFFFEF000, 0xFFFEF000, 0x7FEF000, false, ROM);
    expect_lookup(0xFEE00000, 0xFEE00000, 0x200000, false, OVR);
    expect_lookup(0x100001000, 0x100001000, 0x300000, false, OVR);
    expect_lookup(0x100002000, 0x100002000, 0x100002000, true, RAM);
    expect_lookup(0x6FFF, 0x6000, 0x401000, false, OVR);
    expect_lookup(0x7000, 0x7000, 0x7000, true, RAM);
    expect_lookup(0xA0000, 0xA0000, 0x500000, true, OVR);
    expect_no_lookup(0xA1000);
}

/* ---- tests: extents ---------------------------------------------------------------- */

static const struct gpa_extent RESET_EXTENTS[] = {
    { 0x0, 0xA0000, 0x0, true, RAM },
    { 0xCC000, 0x14000, 0xCC000, false, RAM },
    { 0xE0000, 0x20000, 0x7FE0000, false, ROM },
    { 0x100000, 0x7F00000, 0x100000, true, RAM },
    { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
    { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
    { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
    { 0x100000000, 0x4000000, 0x100000000, true, RAM },
};

static void test_extents_at_pam_reset(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    expect_extents(RESET_EXTENTS, 8);
}

/* SeaBIOS makes all of C0000-FFFFF writable: it merges with the RAM above 1 MiB. */
static void test_extents_all_writable(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    for (unsigned i = 2; i < 15; i++)
        assert_int_equal(gpa_map_set_visibility(&map, gpa_legacy_cuts[i],
                                                gpa_legacy_cuts[i + 1], GPA_READ_WRITE), 0);
    static const struct gpa_extent want[] = {
        { 0x0, 0xA0000, 0x0, true, RAM },
        { 0xC0000, 0x7F40000, 0xC0000, true, RAM },
        { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
        { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
        { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
        { 0x100000000, 0x4000000, 0x100000000, true, RAM },
    };
    expect_extents(want, 6);
}

/* Write-protected after POST: read-only, except C8000-CBFFF read-write (section 2.5). */
static void test_extents_write_protected(void **state)
{
    (void)state;
    partition_like();
    for (unsigned i = 2; i < 15; i++) {
        enum gpa_visibility v = gpa_legacy_cuts[i] == 0xC8000 ? GPA_READ_WRITE : GPA_READ_ONLY;
        assert_int_equal(gpa_map_set_visibility(&map, gpa_legacy_cuts[i],
                                                gpa_legacy_cuts[i + 1], v), 0);
    }
    static const struct gpa_extent want[] = {
        { 0x0, 0xA0000, 0x0, true, RAM },
        { 0xC0000, 0x8000, 0xC0000, false, RAM },
        { 0xC8000, 0x4000, 0xC8000, true, RAM },
        { 0xCC000, 0x34000, 0xCC000, false, RAM },
        { 0x100000, 0x7F00000, 0x100000, true, RAM },
        { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
        { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
        { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
        { 0x100000000, 0x4000000, 0x100000000, true, RAM },
    };
    expect_extents(want, 9);
}

/* A ROM window shows through only the unmapped pieces of the regions it spans. */
static void test_extents_rom_through_holes(void **state)
{
    (void)state;
    partition_like();
    assert_int_equal(gpa_map_set_visibility(&map, 0xE4000, 0xE8000, GPA_UNMAPPED), 0);
    assert_int_equal(gpa_map_set_visibility(&map, 0xEC000, 0xF0000, GPA_UNMAPPED), 0);
    assert_int_equal(gpa_map_set_visibility(&map, 0xF0000, 0x100000, GPA_UNMAPPED), 0);
    static const struct gpa_extent want[] = {
        { 0x0, 0xA0000, 0x0, true, RAM },
        { 0xC0000, 0x24000, 0xC0000, true, RAM },
        { 0xE4000, 0x4000, 0x7FE4000, false, ROM },
        { 0xE8000, 0x4000, 0xE8000, true, RAM },
        { 0xEC000, 0x14000, 0x7FEC000, false, ROM },
        { 0x100000, 0x7F00000, 0x100000, true, RAM },
        { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
        { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
        { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
        { 0x100000000, 0x4000000, 0x100000000, true, RAM },
    };
    expect_extents(want, 10);
}

/* Overrides cut into the layers below and are never merged with their neighbours. */
static void test_extents_with_overrides(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    assert_int_equal(gpa_map_set_override(&map, 3, 0xC0000, 0x10000, 0x7F00000, false), 0);
    /* Identity-backed and writable like the RAM next to it, but another kind. */
    assert_int_equal(gpa_map_set_override(&map, 0, 0xA0000, 0x20000, 0xA0000, true), 0);
    static const struct gpa_extent want[] = {
        { 0x0, 0xA0000, 0x0, true, RAM },
        { 0xA0000, 0x20000, 0xA0000, true, OVR },
        { 0xC0000, 0x10000, 0x7F00000, false, OVR },
        { 0xD0000, 0x10000, 0xD0000, false, RAM },
        { 0xE0000, 0x20000, 0x7FE0000, false, ROM },
        { 0x100000, 0x7F00000, 0x100000, true, RAM },
        { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
        { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
        { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
        { 0x100000000, 0x4000000, 0x100000000, true, RAM },
    };
    expect_extents(want, 10);

    /* Two overrides with contiguous GPAs and backings, same rights: one extent. */
    assert_int_equal(gpa_map_clear_override(&map, 0), 0);
    assert_int_equal(gpa_map_set_override(&map, 4, 0xD0000, 0x4000, 0x7F10000, false), 0);
    static const struct gpa_extent want2[] = {
        { 0x0, 0xA0000, 0x0, true, RAM },
        { 0xC0000, 0x14000, 0x7F00000, false, OVR },
        { 0xD4000, 0xC000, 0xD4000, false, RAM },
        { 0xE0000, 0x20000, 0x7FE0000, false, ROM },
        { 0x100000, 0x7F00000, 0x100000, true, RAM },
        { 0xFEC00000, 0x1000, 0xFEC00000, true, PASS },
        { 0xFEE00000, 0x1000, 0xFEE00000, true, PASS },
        { 0xFFFC0000, 0x40000, 0x7FC0000, false, ROM },
        { 0x100000000, 0x4000000, 0x100000000, true, RAM },
    };
    expect_extents(want2, 9);

    /* Clearing them gives back the plain reset map. */
    assert_int_equal(gpa_map_clear_override(&map, 3), 0);
    assert_int_equal(gpa_map_clear_override(&map, 4), 0);
    expect_extents(RESET_EXTENTS, 8);
}

/* Neighbours merge only when their backings are contiguous too. */
static void test_extents_merge_needs_contiguous_backing(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0x40000000, 0x1000, 0x1000), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0x40001000, 0x1000, 0x3000), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0x40002000, 0x1000, 0x4000), 0);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE00000, 0x1000), 0);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE01000, 0x1000), 0);
    assert_int_equal(gpa_map_add_passthrough(&map, 0xFEE03000, 0x1000), 0);
    static const struct gpa_extent want[] = {
        { 0x0, 0x8000000, 0x0, true, RAM },
        { 0x40000000, 0x1000, 0x1000, false, ROM },
        { 0x40001000, 0x2000, 0x3000, false, ROM },
        { 0xFEE00000, 0x2000, 0xFEE00000, true, PASS },
        { 0xFEE03000, 0x1000, 0xFEE03000, true, PASS },
    };
    expect_extents(want, 5);
}

static void test_extents_enospc(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    struct gpa_extent out[8];
    assert_int_equal(gpa_map_extents(&map, out, 0), -ENOSPC);
    assert_int_equal(gpa_map_extents(&map, out, 7), -ENOSPC);
    assert_int_equal(gpa_map_extents(&map, out, 8), 8);
    assert_int_equal(out[7].gpa, 0x100000000);
}

/* ---- tests: the NPT ---------------------------------------------------------------- */

static void test_npt_at_pam_reset(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);

    /* Low RAM: 4 KiB pages below 2 MiB, P|W|U. */
    expect_npt(&pt, 0x0, 0x0, 0x007);
    expect_npt(&pt, 0x9F123, 0x9F123, 0x9F007);
    expect_not_in_npt(&pt, 0xA0000);
    expect_not_in_npt(&pt, 0xBF000);
    expect_not_in_npt(&pt, 0xC0000);
    expect_not_in_npt(&pt, 0xCB000);
    /* Read-only RAM: P|U, no W. */
    expect_npt(&pt, 0xCC000, 0xCC000, 0xCC005);
    expect_npt(&pt, 0xDFFFF, 0xDFFFF, 0xDF005);
    /* The firmware's last 128 KiB below 1 MiB, read-only. */
    expect_npt(&pt, 0xE0000, 0x7FE0000, 0x7FE0005);
    expect_npt(&pt, 0xFFFF0, 0x7FFFFF0, 0x7FFF005);
    expect_npt(&pt, 0x100000, 0x100000, 0x100007);
    expect_npt(&pt, 0x1FF000, 0x1FF000, 0x1FF007);
    /* 2 MiB pages from 2 MiB on. */
    expect_npt(&pt, 0x200000, 0x200000, 0x200087);
    expect_npt(&pt, 0x3FFFFF, 0x3FFFFF, 0x200087);
    expect_npt(&pt, 0x7FFFFFF, 0x7FFFFFF, 0x7E00087);
    expect_not_in_npt(&pt, 0x8000000);
    expect_not_in_npt(&pt, 0xF0000000);
    /* Pass-through pages: P|W|U|PCD. */
    expect_npt(&pt, 0xFEC00000, 0xFEC00000, 0xFEC00017);
    expect_not_in_npt(&pt, 0xFEC01000);
    expect_npt(&pt, 0xFEE000F0, 0xFEE000F0, 0xFEE00017);
    expect_not_in_npt(&pt, 0xFEE01000);
    /* The reset-vector alias below 4 GiB. */
    expect_not_in_npt(&pt, 0xFFFBF000);
    expect_npt(&pt, 0xFFFC0000, 0x7FC0000, 0x7FC0005);
    expect_npt(&pt, 0xFFFFFFF0, 0x7FFFFF0, 0x7FFF005);
    /* RAM above 4 GiB in 2 MiB pages. */
    expect_npt(&pt, 0x100000000, 0x100000000, 0x100000087);
    expect_npt(&pt, 0x103FFFFFF, 0x103FFFFFF, 0x103E00087);
    expect_not_in_npt(&pt, 0x104000000);
    expect_not_in_npt(&pt, 0x200000000);
}

static void test_npt_with_overrides_and_holes(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    assert_int_equal(gpa_map_set_override(&map, 3, 0xC0000, 0x10000, 0x7F00000, false), 0);
    assert_int_equal(gpa_map_set_override(&map, 5, 0xA0000, 0x1000, 0x7F40000, true), 0);
    assert_int_equal(gpa_map_set_visibility(&map, 0x0, 0xA0000, GPA_READ_ONLY), 0);
    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);
    expect_npt(&pt, 0x5000, 0x5000, 0x5005);
    expect_npt(&pt, 0xA0000, 0x7F40000, 0x7F40007);
    expect_not_in_npt(&pt, 0xA1000);
    expect_npt(&pt, 0xC0000, 0x7F00000, 0x7F00005);
    expect_npt(&pt, 0xCF000, 0x7F0F000, 0x7F0F005);
    expect_npt(&pt, 0xD0000, 0xD0000, 0xD0005);
    expect_npt(&pt, 0xE0000, 0x7FE0000, 0x7FE0005);
}

/* Large pages only where both addresses are 2 MiB aligned. */
static void test_npt_large_pages_need_aligned_backing(void **state)
{
    (void)state;
    assert_int_equal(gpa_map_init(&map, LOW_END), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0x40000000, 0x400000, 0x1000000), 0);
    assert_int_equal(gpa_map_add_rom(&map, 0x50000000, 0x200000, 0x1001000), 0);
    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);
    expect_npt(&pt, 0x40000000, 0x1000000, 0x1000085);
    expect_npt(&pt, 0x40200000, 0x1200000, 0x1200085);
    expect_npt(&pt, 0x50000000, 0x1001000, 0x1001005);
    expect_npt(&pt, 0x501FF000, 0x1200000, 0x1200005);
    expect_npt(&pt, 0x0, 0x0, 0x087);       /* the whole first block: RW, merged */
    expect_npt(&pt, 0x7E00000, 0x7E00000, 0x7E00087);
}

static void test_npt_out_of_tables(void **state)
{
    (void)state;
    partition_like();
    pam_reset_visibility();
    struct page_table pt;
    fresh_npt(&pt, 3);                      /* PML4, PDPT, one PD: no PT */
    assert_int_equal(gpa_map_build_npt(&map, &pt), -ENOMEM);
}

/* Device memory (VRAM behind a BAR): backing anywhere Mezzanine says, GPA outside VTL0's
 * first block, below overrides and RAM, above the ROM windows; NPT leaf writable. */
static void test_device_windows(void **state)
{
    (void)state;
    partition_like();
    /* 8 MiB of "VRAM" at 0x1C800000 (outside VTL0's RAM: the caller vouches) shown at
     * 0xFD000000, where VTL0 put its BAR. */
    assert_int_equal(gpa_map_set_device_window(&map, 0, 0xFD000000, 0x800000, 0x1C800000), 0);
    expect_lookup(0xFD000000, 0xFD000000, 0x1C800000, true, GPA_KIND_DEVICE);
    expect_lookup(0xFD7FF000, 0xFD7FF000, 0x1CFFF000, true, GPA_KIND_DEVICE);
    expect_no_lookup(0xFD800000);
    /* Validation: a BAR over VTL0's RAM block, unaligned, empty, bad id, overlap. */
    assert_int_equal(gpa_map_set_device_window(&map, 1, 0x100000, 0x1000, 0x1C800000), -EINVAL);
    assert_int_equal(gpa_map_set_device_window(&map, 1, 0xFE000800, 0x1000, 0x1C800000), -EINVAL);
    assert_int_equal(gpa_map_set_device_window(&map, 1, 0xFE000000, 0, 0x1C800000), -EINVAL);
    assert_int_equal(gpa_map_set_device_window(&map, GPA_MAX_DEVICE_WINDOWS, 0xFE000000, 0x1000,
                                               0x1C800000), -EINVAL);
    assert_int_equal(gpa_map_set_device_window(&map, 0, 0xFE000000, 0x1000, 0x1C800000), -EEXIST);
    assert_int_equal(gpa_map_set_device_window(&map, 1, 0xFD7FF000, 0x2000, 0x1C800000), -EEXIST);
    /* A BAR over the firmware's ROM window: the device wins (the ROM is lowest). */
    assert_int_equal(gpa_map_set_device_window(&map, 1, 0xFFFC0000, 0x1000, 0x1D000000), 0);
    expect_lookup(0xFFFC0000, 0xFFFC0000, 0x1D000000, true, GPA_KIND_DEVICE);
    expect_lookup(0xFFFC1000, 0xFFFC1000, 0x7FC1000, false, GPA_KIND_ROM);
    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);
    expect_npt(&pt, 0xFD000000, 0x1C800000, 0x1C800087);   /* 2 MiB page, P|W|U|PS */
    expect_npt(&pt, 0xFFFC0000, 0x1D000000, 0x1D000007);
    /* Moving the BAR: clear, then set again elsewhere; the old GPA is gone. */
    uint64_t gen = map.generation;
    assert_int_equal(gpa_map_clear_device_window(&map, 0), 0);
    assert_int_equal(gpa_map_clear_device_window(&map, 0), -EINVAL);
    assert_int_equal(gpa_map_set_device_window(&map, 0, 0xF0000000, 0x800000, 0x1C800000), 0);
    assert_true(map.generation >= gen + 2);
    expect_no_lookup(0xFD000000);
    expect_lookup(0xF0000000, 0xF0000000, 0x1C800000, true, GPA_KIND_DEVICE);
}

/* A device's expansion ROM: a device window VTL0 can read but not write. */
static void test_device_rom(void **state)
{
    (void)state;
    partition_like();
    assert_int_equal(gpa_map_set_device_window(&map, 0, 0xFD000000, 0x800000, 0x1C800000), 0);
    assert_int_equal(gpa_map_set_device_rom(&map, 1, 0xFEB00000, 0x8000, 0x1D000000), 0);
    expect_lookup(0xFEB07000, 0xFEB07000, 0x1D007000, false, GPA_KIND_DEVICE);
    expect_no_lookup(0xFEB08000);
    /* The same validation as any device window. */
    assert_int_equal(gpa_map_set_device_rom(&map, 2, 0xFD7FF000, 0x2000, 0x1D000000), -EEXIST);
    assert_int_equal(gpa_map_set_device_rom(&map, 1, 0xFEC00000, 0x1000, 0x1D000000), -EEXIST);
    assert_int_equal(gpa_map_set_device_rom(&map, 2, 0x100000, 0x1000, 0x1D000000), -EINVAL);
    struct page_table pt;
    fresh_npt(&pt, POOL_PAGES);
    assert_int_equal(gpa_map_build_npt(&map, &pt), 0);
    expect_npt(&pt, 0xFEB00000, 0x1D000000, 0x1D000005);   /* P|U, not W */
    expect_npt(&pt, 0xFD000000, 0x1C800000, 0x1C800087);
    assert_int_equal(gpa_map_clear_device_window(&map, 1), 0);
    expect_no_lookup(0xFEB00000);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(gpa_visibility_name(GPA_UNMAPPED), "unmapped");
    assert_string_equal(gpa_visibility_name(GPA_READ_ONLY), "read-only");
    assert_string_equal(gpa_visibility_name(GPA_READ_WRITE), "read-write");
    assert_string_equal(gpa_visibility_name((enum gpa_visibility)3), "?");
    assert_string_equal(gpa_kind_name(GPA_KIND_RAM), "ram");
    assert_string_equal(gpa_kind_name(GPA_KIND_OVERRIDE), "override");
    assert_string_equal(gpa_kind_name(GPA_KIND_ROM), "rom");
    assert_string_equal(gpa_kind_name(GPA_KIND_PASSTHROUGH), "passthrough");
    assert_string_equal(gpa_kind_name(GPA_KIND_DEVICE), "device");
    assert_string_equal(gpa_kind_name((enum gpa_kind)5), "?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_cuts),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_init_rejects_bad_ends),
        cmocka_unit_test(test_find_region),
        cmocka_unit_test(test_set_visibility),
        cmocka_unit_test(test_override_validation),
        cmocka_unit_test(test_window_validation_and_capacity),
        cmocka_unit_test(test_setters_accept_only_buildable_gpas),
        cmocka_unit_test(test_lookup_layers),
        cmocka_unit_test(test_extents_at_pam_reset),
        cmocka_unit_test(test_extents_all_writable),
        cmocka_unit_test(test_extents_write_protected),
        cmocka_unit_test(test_extents_rom_through_holes),
        cmocka_unit_test(test_extents_with_overrides),
        cmocka_unit_test(test_extents_merge_needs_contiguous_backing),
        cmocka_unit_test(test_extents_enospc),
        cmocka_unit_test(test_npt_at_pam_reset),
        cmocka_unit_test(test_npt_with_overrides_and_holes),
        cmocka_unit_test(test_npt_large_pages_need_aligned_backing),
        cmocka_unit_test(test_npt_out_of_tables),
        cmocka_unit_test(test_device_windows),
        cmocka_unit_test(test_device_rom),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
