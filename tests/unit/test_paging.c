/* Unit tests for arch/x86_64/paging: the 4-level page-table builder. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/paging.h"

#include "tests/unit/fake_pt.h"

static void expect_translation(const struct page_table *pt, uint64_t va, uint64_t pa,
                               uint64_t leaf)
{
    uint64_t got_pa = 0, got_leaf = 0;
    if (!pt_translate(pt, va, &got_pa, &got_leaf))
        fail_msg("va %#llx not mapped", (unsigned long long)va);
    assert_int_equal(got_pa, pa);
    assert_int_equal(got_leaf, leaf);
    got_pa = 0;
    assert_true(pt_translate(pt, va, &got_pa, NULL));
    assert_int_equal(got_pa, pa);
}

static void expect_unmapped(const struct page_table *pt, uint64_t va)
{
    uint64_t pa = 0x1234, leaf = 0x5678;
    if (pt_translate(pt, va, &pa, &leaf))
        fail_msg("va %#llx unexpectedly mapped to %#llx", (unsigned long long)va,
                 (unsigned long long)pa);
}

/* ---- tests ------------------------------------------------------------------------- */

static void test_init(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_P | PTE_W, POOL_PAGES);
    assert_int_equal(pt.root, 0x1000);
    assert_int_equal(pt.tables_allocated, 1);
    assert_int_equal(pt.table_flags, 0x3);
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(pool[0][i], 0);
    expect_unmapped(&pt, 0);
    expect_unmapped(&pt, 0xffffffff80000000ull);

    /* P is always added to the table flags. */
    fresh_pt(&pt, 0, POOL_PAGES);
    assert_int_equal(pt.table_flags, PTE_P);
    fresh_pt(&pt, PTE_W | PTE_U, POOL_PAGES);
    assert_int_equal(pt.table_flags, 0x7);
}

static void test_init_enomem(void **state)
{
    (void)state;
    struct page_table pt;
    mem.next = 0;
    mem.limit = 0;
    assert_int_equal(pt_init(&pt, &fake_ops, PTE_W), -ENOMEM);
    assert_int_equal(pt.tables_allocated, 0);
}

static void test_map_4k(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0xffffffff80123000ull, 0x1234000, 0x1000, PTE_W | PTE_NX, true),
                     0);
    assert_int_equal(pt.tables_allocated, 4);
    /* The walk: PML4[511] -> PDPT[510] -> PD[0] -> PT[0x123]. */
    assert_int_equal(pool[0][511], 0x2003);
    assert_int_equal(pool[1][510], 0x3003);
    assert_int_equal(pool[2][0], 0x4003);
    assert_int_equal(pool[3][0x123], 0x8000000001234003ull);
    /* New tables were cleared: every other entry is zero. */
    for (unsigned i = 0; i < 512; i++) {
        if (i != 511) assert_int_equal(pool[0][i], 0);
        if (i != 510) assert_int_equal(pool[1][i], 0);
        if (i != 0) assert_int_equal(pool[2][i], 0);
        if (i != 0x123) assert_int_equal(pool[3][i], 0);
    }

    expect_translation(&pt, 0xffffffff80123000ull, 0x1234000, 0x8000000001234003ull);
    expect_translation(&pt, 0xffffffff80123fffull, 0x1234fff, 0x8000000001234003ull);
    expect_translation(&pt, 0xffffffff80123456ull, 0x1234456, 0x8000000001234003ull);
    expect_unmapped(&pt, 0xffffffff80124000ull);
    expect_unmapped(&pt, 0xffffffff80122fffull);
    expect_unmapped(&pt, 0x80123000);   /* same low bits, other half */

    /* A second page in the same PT allocates nothing new. */
    assert_int_equal(pt_map(&pt, 0xffffffff80124000ull, 0x9000, 0x1000, 0, false), 0);
    assert_int_equal(pt.tables_allocated, 4);
    expect_translation(&pt, 0xffffffff80124010ull, 0x9010, 0x9001);
}

static void test_map_2m(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 0x400000, PTE_W, true), 0);
    assert_int_equal(pt.tables_allocated, 3);    /* PML4, PDPT, PD: no PT */
    assert_int_equal(pool[0][0], 0x2003);
    assert_int_equal(pool[1][1], 0x3003);
    assert_int_equal(pool[2][0], 0x80000083);
    assert_int_equal(pool[2][1], 0x80200083);
    assert_int_equal(pool[2][2], 0);

    expect_translation(&pt, 0x40000000, 0x80000000, 0x80000083);
    expect_translation(&pt, 0x401fffff, 0x801fffff, 0x80000083);
    expect_translation(&pt, 0x40200000, 0x80200000, 0x80200083);
    expect_translation(&pt, 0x40345678, 0x80345678, 0x80200083);
    expect_unmapped(&pt, 0x40400000);
    expect_unmapped(&pt, 0x3fffffff);
}

static void test_map_2m_aligned_without_large(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 0x400000, PTE_W, false), 0);
    assert_int_equal(pt.tables_allocated, 5);    /* PML4, PDPT, PD, two PTs */
    assert_int_equal(pool[2][0], 0x4003);
    assert_int_equal(pool[2][1], 0x5003);
    assert_int_equal(pool[3][0], 0x80000003);
    assert_int_equal(pool[3][511], 0x801ff003);
    assert_int_equal(pool[4][0], 0x80200003);
    expect_translation(&pt, 0x40200000, 0x80200000, 0x80200003);
    expect_translation(&pt, 0x403ff123, 0x803ff123, 0x803ff003);
}

static void test_map_mixed_sizes(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    /* [0x1ff000, 0x401000) -> [0x3ff000, 0x601000): 4K, then 2M, then 4K. */
    assert_int_equal(pt_map(&pt, 0x1ff000, 0x3ff000, 0x202000, PTE_W, true), 0);
    assert_int_equal(pt.tables_allocated, 5);    /* PML4, PDPT, PD, PT(0), PT(2) */
    expect_translation(&pt, 0x1ff000, 0x3ff000, 0x3ff003);
    expect_translation(&pt, 0x200000, 0x400000, 0x400083);
    expect_translation(&pt, 0x3fffff, 0x5fffff, 0x400083);
    expect_translation(&pt, 0x400000, 0x600000, 0x600003);
    expect_unmapped(&pt, 0x401000);
    expect_unmapped(&pt, 0x1fe000);

    /* va and pa not congruent modulo 2 MiB: only 4 KiB pages are possible. */
    assert_int_equal(pt_map(&pt, 0x800000, 0x1001000, 0x200000, 0, true), 0);
    assert_int_equal(pt.tables_allocated, 6);
    expect_translation(&pt, 0x800000, 0x1001000, 0x1001001);
    expect_translation(&pt, 0x9ff000, 0x1200000, 0x1200001);

    /* 2M aligned but shorter than 2M: 4 KiB pages. */
    assert_int_equal(pt_map(&pt, 0xc00000, 0x2000000, 0x1ff000, 0, true), 0);
    assert_int_equal(pt.tables_allocated, 7);
    expect_translation(&pt, 0xc00000, 0x2000000, 0x2000001);
}

static void test_table_flags_user_at_every_level(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_P | PTE_W | PTE_U, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x7ffffffff000ull, 0x5000, 0x1000, PTE_W | PTE_U, false), 0);
    assert_int_equal(pool[0][255], 0x2007);
    assert_int_equal(pool[1][511], 0x3007);
    assert_int_equal(pool[2][511], 0x4007);
    assert_int_equal(pool[3][511], 0x5007);

    /* A leaf asked for without U has no U, but the tables above it still have it. */
    assert_int_equal(pt_map(&pt, 0x60000000, 0x600000, 0x200000, PTE_W, true), 0);
    assert_int_equal(pool[0][0], 0x5007);        /* new PDPT is page 4 */
    assert_int_equal(pool[4][1], 0x6007);
    assert_int_equal(pool[5][256], 0x600083);

    /* Without U in table_flags, non-leaf entries are exactly P|W. */
    fresh_pt(&pt, PTE_W, POOL_PAGES);
    assert_int_equal(pt_map(&pt, 0x7ffffffff000ull, 0x5000, 0x1000, PTE_W | PTE_U, false), 0);
    assert_int_equal(pool[0][255], 0x2003);
    assert_int_equal(pool[1][511], 0x3003);
    assert_int_equal(pool[2][511], 0x4003);
    assert_int_equal(pool[3][511], 0x5007);
}

static void test_prot_bits(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    static const struct { uint64_t prot; uint64_t leaf; } cases[] = {
        { 0, 0x100001 },
        { PTE_W, 0x100003 },
        { PTE_U, 0x100005 },
        { PTE_PWT, 0x100009 },
        { PTE_PCD, 0x100011 },
        { PTE_G, 0x100101 },
        { PTE_NX, 0x8000000000100001ull },
        { PTE_W | PTE_U | PTE_PWT | PTE_PCD | PTE_G | PTE_NX, 0x800000000010011full },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint64_t va = 0x10000000 + i * 0x1000;
        assert_int_equal(pt_map(&pt, va, 0x100000, 0x1000, cases[i].prot, true), 0);
        expect_translation(&pt, va + 8, 0x100008, cases[i].leaf);
    }
    /* The same bits on a 2 MiB leaf, which also has PS. */
    assert_int_equal(pt_map(&pt, 0x20000000, 0x200000, 0x200000, PTE_G | PTE_NX, true), 0);
    expect_translation(&pt, 0x20000000, 0x200000, 0x8000000000200181ull);

    /* Anything outside PT_PROT_MASK is refused and maps nothing. */
    static const uint64_t bad[] = { PTE_PS, PTE_A, PTE_D, 1ull << 9, 1ull << 52, 1ull << 62,
                                    0x1000 };
    uint64_t before = pt.tables_allocated;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(pt_map(&pt, 0x30000000, 0x300000, 0x1000, bad[i], true), -EINVAL);
        expect_unmapped(&pt, 0x30000000);
    }
    assert_int_equal(pt.tables_allocated, before);
}

static void test_eexist_4k_under_2m(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 0x200000, PTE_W, true), 0);
    uint64_t tables = pt.tables_allocated;
    assert_int_equal(pt_map(&pt, 0x40001000, 0x1000, 0x1000, PTE_W, true), -EEXIST);
    assert_int_equal(pt_map(&pt, 0x401ff000, 0x1000, 0x1000, PTE_W, false), -EEXIST);
    assert_int_equal(pt_map(&pt, 0x40000000, 0x80000000, 0x200000, PTE_W, true), -EEXIST);
    assert_int_equal(pt.tables_allocated, tables);     /* no PT slipped in under the 2M page */
    assert_int_equal(pool[2][0], 0x80000083);
    expect_translation(&pt, 0x40001000, 0x80001000, 0x80000083);
}

static void test_eexist_2m_over_4k(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    /* One 4K page in the middle of the 2M slot at 0x60000000. */
    assert_int_equal(pt_map(&pt, 0x60100000, 0x7000, 0x1000, PTE_W, true), 0);
    uint64_t pde = pool[2][256];
    assert_int_equal(pde, 0x4003);
    assert_int_equal(pt_map(&pt, 0x60000000, 0xa00000, 0x200000, PTE_W, true), -EEXIST);
    assert_int_equal(pool[2][256], pde);
    expect_translation(&pt, 0x60100000, 0x7000, 0x7003);
    expect_unmapped(&pt, 0x60000000);

    /* The same 4K page again. */
    assert_int_equal(pt_map(&pt, 0x60100000, 0x8000, 0x1000, 0, true), -EEXIST);
    expect_translation(&pt, 0x60100000, 0x7000, 0x7003);
}

/* A run of 4 KiB pages across 2 MiB boundaries (va and pa not congruent): each page
 * table is filled in one go up to its end, then the next one is walked to. */
static void test_map_4k_run_across_tables(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x1fd000, 0x5003000, 0x405000, PTE_W, true), 0);
    assert_int_equal(pt.tables_allocated, 7);    /* PML4, PDPT, PD, PT(0) to PT(3) */
    for (uint64_t off = 0; off < 0x405000; off += 0x1000)
        expect_translation(&pt, 0x1fd000 + off, 0x5003000 + off, (0x5003000 + off) | 0x3);
    expect_unmapped(&pt, 0x1fc000);
    expect_unmapped(&pt, 0x602000);
    /* A clash in the second table stops there, the pages before it kept. */
    assert_int_equal(pt_map(&pt, 0x800000, 0x9000000, 0x1000, 0, true), 0);
    assert_int_equal(pt_map(&pt, 0x7fe000, 0xa000000, 0x4000, 0, true), -EEXIST);
    expect_translation(&pt, 0x7fe000, 0xa000000, 0xa000001);
    expect_translation(&pt, 0x7ff000, 0xa001000, 0xa001001);
    expect_translation(&pt, 0x800000, 0x9000000, 0x9000001);
    expect_unmapped(&pt, 0x801000);
}

static void test_eexist_keeps_part_before_clash(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x70002000, 0xf0000, 0x1000, 0, true), 0);
    assert_int_equal(pt_map(&pt, 0x70000000, 0x100000, 0x4000, PTE_W, true), -EEXIST);
    expect_translation(&pt, 0x70000000, 0x100000, 0x100003);
    expect_translation(&pt, 0x70001000, 0x101000, 0x101003);
    expect_translation(&pt, 0x70002000, 0xf0000, 0xf0001);
    expect_unmapped(&pt, 0x70003000);
}

static void test_einval(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    assert_int_equal(pt_map(&pt, 0x1001, 0x2000, 0x1000, 0, true), -EINVAL);   /* va */
    assert_int_equal(pt_map(&pt, 0x1000, 0x2001, 0x1000, 0, true), -EINVAL);   /* pa */
    assert_int_equal(pt_map(&pt, 0x1000, 0x2000, 0x1001, 0, true), -EINVAL);   /* len */
    assert_int_equal(pt_map(&pt, 0x1000, 0x2000, 0x800, 0, true), -EINVAL);
    /* Non-canonical start. */
    assert_int_equal(pt_map(&pt, 0x0000800000000000ull, 0x2000, 0x1000, 0, true), -EINVAL);
    assert_int_equal(pt_map(&pt, 0xffff7ffffffff000ull, 0x2000, 0x1000, 0, true), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x1230000000000000ull, 0x2000, 0x1000, 0, true), -EINVAL);
    /* Canonical start, but the range runs into the hole. */
    assert_int_equal(pt_map(&pt, 0x00007ffffffff000ull, 0x2000, 0x2000, 0, true), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x00007fffffe00000ull, 0x0, 0x400000, 0, true), -EINVAL);
    /* ...or across it from the low half to the high half. */
    assert_int_equal(pt_map(&pt, 0x00007ffffffff000ull, 0x2000,
                            0xffff800000001000ull - 0x00007ffffffff000ull, 0, true), -EINVAL);
    /* Wrapping past 2^64. */
    assert_int_equal(pt_map(&pt, 0xfffffffffffff000ull, 0x2000, 0x2000, 0, true), -EINVAL);
    /* Physical addresses beyond what a PTE holds (52 bits). */
    assert_int_equal(pt_map(&pt, 0x1000, 0x0010000000000000ull, 0x1000, 0, true), -EINVAL);
    assert_int_equal(pt_map(&pt, 0x1000, 0xfffffffffffff000ull, 0x2000, 0, true), -EINVAL);
    /* ...including a range that starts below 2^52 and ends above it. */
    assert_int_equal(pt_map(&pt, 0x1000, 0x000ffffffffff000ull, 0x2000, 0, true), -EINVAL);

    /* Nothing was built for any of them. */
    assert_int_equal(pt.tables_allocated, 1);
    for (unsigned i = 0; i < 512; i++)
        assert_int_equal(pool[0][i], 0);

    /* The edges of the canonical halves are fine. */
    assert_int_equal(pt_map(&pt, 0x00007ffffffff000ull, 0x2000, 0x1000, 0, true), 0);
    assert_int_equal(pt_map(&pt, 0xffff800000000000ull, 0x3000, 0x1000, 0, true), 0);
    assert_int_equal(pt_map(&pt, 0xfffffffffffff000ull, 0x4000, 0x1000, 0, true), 0);
    /* And the highest physical page a PTE can hold. */
    assert_int_equal(pt_map(&pt, 0x5000, 0x000ffffffffff000ull, 0x1000, 0, true), 0);
    expect_translation(&pt, 0x00007fffffffffffull, 0x2fff, 0x2001);
    expect_translation(&pt, 0xffff800000000001ull, 0x3001, 0x3001);
    expect_translation(&pt, 0xffffffffffffffffull, 0x4fff, 0x4001);
    expect_translation(&pt, 0x5abc, 0x000ffffffffffabcull, 0x000ffffffffff001ull);

    /* An empty range is accepted and maps nothing. */
    uint64_t tables = pt.tables_allocated;
    assert_int_equal(pt_map(&pt, 0x10000000, 0x2000, 0, 0, true), 0);
    assert_int_equal(pt.tables_allocated, tables);
    expect_unmapped(&pt, 0x10000000);
}

static void test_enomem(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, 2);     /* the PML4 and one more page */

    assert_int_equal(pt_map(&pt, 0x1000, 0x2000, 0x1000, PTE_W, true), -ENOMEM);
    assert_int_equal(pt.tables_allocated, 2);
    expect_unmapped(&pt, 0x1000);

    /* 2 MiB pages need one level less, but still a PD. */
    assert_int_equal(pt_map(&pt, 0x200000, 0x200000, 0x200000, PTE_W, true), -ENOMEM);
    assert_int_equal(pt.tables_allocated, 2);

    /* With memory again, the half-built path is reused and completed. */
    mem.limit = 4;
    assert_int_equal(pt_map(&pt, 0x1000, 0x2000, 0x1000, PTE_W, true), 0);
    assert_int_equal(pt.tables_allocated, 4);
    expect_translation(&pt, 0x1000, 0x2000, 0x2003);

    /* Run dry in the middle of a range: the pages before stay mapped. */
    assert_int_equal(pt_map(&pt, 0x1ff000, 0x9000000, 0x2000, PTE_W, false), -ENOMEM);
    expect_translation(&pt, 0x1ff000, 0x9000000, 0x9000003);
    expect_unmapped(&pt, 0x200000);
}

static void test_translate_edge_cases(void **state)
{
    (void)state;
    struct page_table pt;
    fresh_pt(&pt, PTE_W, POOL_PAGES);

    expect_unmapped(&pt, 0);
    expect_unmapped(&pt, 0x0000800000000000ull);      /* non-canonical */
    expect_unmapped(&pt, 0x8000000000000000ull);
    expect_unmapped(&pt, 0xffff7fffffffffffull);

    /* A mapping does not show through at the non-canonical alias with the same index
     * bits. */
    assert_int_equal(pt_map(&pt, 0x0, 0x10000, 0x1000, 0, true), 0);
    expect_translation(&pt, 0x10, 0x10010, 0x10001);
    expect_unmapped(&pt, 0x0001000000000010ull);

    /* Present table entries with nothing below them. */
    expect_unmapped(&pt, 0x1000);
    expect_unmapped(&pt, 0x200000);
    expect_unmapped(&pt, 0x40000000);

    /* A 1 GiB leaf (PS in a PDPT entry), written by hand, is translated. */
    pool[1][3] = 0x140000000ull | PTE_P | PTE_PS | PTE_W;
    expect_translation(&pt, 0xc1234567, 0x141234567ull, 0x140000083ull);
    /* PS in a PML4 entry is reserved: not a mapping. */
    pool[0][5] = 0x40000000ull | PTE_P | PTE_PS;
    expect_unmapped(&pt, 0x0000028000000000ull);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_init_enomem),
        cmocka_unit_test(test_map_4k),
        cmocka_unit_test(test_map_2m),
        cmocka_unit_test(test_map_2m_aligned_without_large),
        cmocka_unit_test(test_map_mixed_sizes),
        cmocka_unit_test(test_map_4k_run_across_tables),
        cmocka_unit_test(test_table_flags_user_at_every_level),
        cmocka_unit_test(test_prot_bits),
        cmocka_unit_test(test_eexist_4k_under_2m),
        cmocka_unit_test(test_eexist_2m_over_4k),
        cmocka_unit_test(test_eexist_keeps_part_before_clash),
        cmocka_unit_test(test_einval),
        cmocka_unit_test(test_enomem),
        cmocka_unit_test(test_translate_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
