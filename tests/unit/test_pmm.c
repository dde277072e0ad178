/* Unit tests for mm/pmm: the bitmap physical page allocator. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/compiler.h"
#include "mm/pmm.h"

/* A 4 MiB window at 1 MiB: [0x100000, 0x500000), 1024 pages, not 2 MiB aligned. */
#define WIN_BASE   0x100000ull
#define WIN_PAGES  1024u
#define WIN_END    0x500000ull

static uint64_t bitmap[PMM_BITMAP_WORDS(WIN_PAGES) + 1];

static void setup_window(struct pmm *pmm)
{
    memset(bitmap, 0, sizeof(bitmap));
    assert_int_equal(pmm_init(pmm, bitmap, PMM_BITMAP_WORDS(WIN_PAGES), WIN_BASE, WIN_PAGES), 0);
}

static void expect_stats(const struct pmm *pmm, uint64_t free_pages, uint64_t allocs,
                         uint64_t frees, uint64_t alloc_failures, uint64_t bad_frees)
{
    assert_int_equal(pmm->stats.free_pages, free_pages);
    assert_int_equal(pmm->stats.allocs, allocs);
    assert_int_equal(pmm->stats.frees, frees);
    assert_int_equal(pmm->stats.alloc_failures, alloc_failures);
    assert_int_equal(pmm->stats.bad_frees, bad_frees);
}

static void test_init_all_reserved(void **state)
{
    (void)state;
    struct pmm pmm;
    setup_window(&pmm);
    assert_int_equal(pmm.stats.total_pages, 1024);
    expect_stats(&pmm, 0, 0, 0, 0, 0);
    for (uint64_t a = WIN_BASE; a < WIN_END; a += PAGE_SIZE)
        assert_false(pmm_is_free(&pmm, a));

    uint64_t out = 0x1234;
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &out), -ENOMEM);
    assert_int_equal(out, 0x1234);
    expect_stats(&pmm, 0, 0, 0, 1, 0);
}

static void test_init_rejects_bad_arguments(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t bm[8];
    assert_int_equal(pmm_init(&pmm, bm, 8, 0x100800, 64), -EINVAL);        /* unaligned */
    assert_int_equal(pmm_init(&pmm, bm, 1, 0x100000, 65), -EINVAL);        /* bitmap small */
    assert_int_equal(pmm_init(&pmm, bm, 8, 0xfffffffffff00000ull, 512), -EINVAL); /* wraps */
    assert_int_equal(pmm_init(&pmm, bm, 2, 0x100000, 65), 0);
    /* The bits past npages stay set: those pages never become free. */
    assert_int_equal(bm[1], UINT64_MAX);
}

static void test_release_whole_pages_only(void **state)
{
    (void)state;
    struct pmm pmm;
    setup_window(&pmm);

    /* [0x100800, 0x102800): only page 0x101000 lies wholly inside. */
    pmm_release_range(&pmm, 0x100800, 0x2000);
    assert_int_equal(pmm.stats.free_pages, 1);
    assert_false(pmm_is_free(&pmm, 0x100000));
    assert_true(pmm_is_free(&pmm, 0x101000));
    assert_true(pmm_is_free(&pmm, 0x101fff));
    assert_false(pmm_is_free(&pmm, 0x102000));

    /* Less than a page, even page aligned: nothing. */
    pmm_release_range(&pmm, 0x103000, 0xfff);
    assert_int_equal(pmm.stats.free_pages, 1);
    /* Size 0: nothing. */
    pmm_release_range(&pmm, 0x104000, 0);
    assert_int_equal(pmm.stats.free_pages, 1);

    /* Releasing an already free page does not count twice. */
    pmm_release_range(&pmm, 0x101000, 0x1000);
    assert_int_equal(pmm.stats.free_pages, 1);

    /* Clipped to the window on both sides. */
    pmm_release_range(&pmm, 0x0, 0x102000);
    assert_int_equal(pmm.stats.free_pages, 2);
    assert_true(pmm_is_free(&pmm, 0x100000));
    pmm_release_range(&pmm, 0x4ff000, 0x100000);
    assert_int_equal(pmm.stats.free_pages, 3);
    assert_true(pmm_is_free(&pmm, 0x4ff000));
    assert_false(pmm_is_free(&pmm, 0x500000));

    /* Entirely outside the window. */
    pmm_release_range(&pmm, 0x600000, 0x100000);
    pmm_release_range(&pmm, 0x0, 0x100000);
    assert_int_equal(pmm.stats.free_pages, 3);

    /* A size that wraps past 2^64 is clipped to the window; 0x4ff000 is already free. */
    pmm_release_range(&pmm, 0x200000, UINT64_MAX);
    assert_int_equal(pmm.stats.free_pages, 3 + 767);
    assert_true(pmm_is_free(&pmm, 0x200000));
    assert_false(pmm_is_free(&pmm, 0x1ff000));
    expect_stats(&pmm, 770, 0, 0, 0, 0);
}

static void test_reserve_any_touched_page(void **state)
{
    (void)state;
    struct pmm pmm;
    setup_window(&pmm);
    pmm_release_range(&pmm, WIN_BASE, WIN_END - WIN_BASE);
    assert_int_equal(pmm.stats.free_pages, 1024);

    /* [0x101800, 0x102801) touches pages 0x101000, 0x102000. */
    pmm_reserve_range(&pmm, 0x101800, 0x1001);
    assert_int_equal(pmm.stats.free_pages, 1022);
    assert_true(pmm_is_free(&pmm, 0x100000));
    assert_false(pmm_is_free(&pmm, 0x101000));
    assert_false(pmm_is_free(&pmm, 0x102000));
    assert_true(pmm_is_free(&pmm, 0x103000));

    /* One byte reserves its page. */
    pmm_reserve_range(&pmm, 0x200fff, 1);
    assert_int_equal(pmm.stats.free_pages, 1021);
    assert_false(pmm_is_free(&pmm, 0x200000));
    assert_true(pmm_is_free(&pmm, 0x1ff000));
    assert_true(pmm_is_free(&pmm, 0x201000));

    /* Reserving a reserved page again changes nothing. */
    pmm_reserve_range(&pmm, 0x101000, 0x2000);
    assert_int_equal(pmm.stats.free_pages, 1021);

    /* Size 0, and ranges outside the window, change nothing. */
    pmm_reserve_range(&pmm, 0x300000, 0);
    pmm_reserve_range(&pmm, 0x500000, 0x1000);
    pmm_reserve_range(&pmm, 0x0, 0x100000);
    assert_int_equal(pmm.stats.free_pages, 1021);

    /* Straddling the start of the window: only the in-window part. */
    pmm_reserve_range(&pmm, 0xff800, 0x1000);
    assert_int_equal(pmm.stats.free_pages, 1020);
    assert_false(pmm_is_free(&pmm, 0x100000));
    /* Straddling the end. */
    pmm_reserve_range(&pmm, 0x4fffff, 0x10);
    assert_int_equal(pmm.stats.free_pages, 1019);
    assert_false(pmm_is_free(&pmm, 0x4ff000));
    /* Wrapping size. */
    pmm_reserve_range(&pmm, 0x400000, UINT64_MAX);
    assert_int_equal(pmm.stats.free_pages, 1019 - 255);
    expect_stats(&pmm, 764, 0, 0, 0, 0);
}

static void test_alloc_alignment(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t a = 0;
    setup_window(&pmm);
    pmm_release_range(&pmm, WIN_BASE, WIN_END - WIN_BASE);

    /* The first 2 MiB aligned page in [1M, 5M) is 2M. */
    assert_int_equal(pmm_alloc(&pmm, 1, 0x200000, &a), 0);
    assert_int_equal(a, 0x200000);
    /* Plain allocations come from the bottom. */
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), 0);
    assert_int_equal(a, 0x100000);
    assert_int_equal(pmm_alloc(&pmm, 2, 0x4000, &a), 0);
    assert_int_equal(a, 0x104000);
    /* 512 pages, 2 MiB aligned: 2M is partly taken, 4M+2M is past the window. */
    assert_int_equal(pmm_alloc(&pmm, 512, 0x200000, &a), -ENOMEM);
    /* 256 pages at 2M alignment: [4M, 5M). */
    assert_int_equal(pmm_alloc(&pmm, 256, 0x200000, &a), 0);
    assert_int_equal(a, 0x400000);
    for (uint64_t p = 0x400000; p < 0x500000; p += PAGE_SIZE)
        assert_false(pmm_is_free(&pmm, p));
    /* Bad alignments fail: not a power of two, or below a page. */
    assert_int_equal(pmm_alloc(&pmm, 1, 0x3000, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, 1, 0x800, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, 1, 0, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, 0, PAGE_SIZE, &a), -ENOMEM);
    expect_stats(&pmm, 1024 - 1 - 1 - 2 - 256, 4, 0, 5, 0);
}

static void test_alloc_2m_in_unaligned_window(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t bm[PMM_BITMAP_WORDS(1024)];
    uint64_t a = 0;

    /* [0x1d5000, 0x5d5000): the only 2 MiB aligned 2 MiB run is [2M, 4M). */
    assert_int_equal(pmm_init(&pmm, bm, ARRAY_SIZE(bm), 0x1d5000, 1024), 0);
    pmm_release_range(&pmm, 0x1d5000, 0x400000);
    assert_int_equal(pmm_alloc(&pmm, 512, 0x200000, &a), 0);
    assert_int_equal(a, 0x200000);
    assert_int_equal(pmm_alloc(&pmm, 512, 0x200000, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, 1, 0x200000, &a), 0);
    assert_int_equal(a, 0x400000);
    assert_int_equal(pmm_alloc(&pmm, 1, 0x200000, &a), -ENOMEM);
    /* Ordinary pages are still there below 2M. */
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), 0);
    assert_int_equal(a, 0x1d5000);
    expect_stats(&pmm, 1024 - 512 - 1 - 1, 3, 0, 2, 0);
}

static void test_exhaustion(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t a;
    setup_window(&pmm);
    pmm_release_range(&pmm, 0x300000, 0x10000);   /* 16 pages */

    for (unsigned i = 0; i < 16; i++) {
        assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), 0);
        assert_int_equal(a, 0x300000 + i * PAGE_SIZE);
    }
    a = 0xabc;
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), -ENOMEM);
    assert_int_equal(a, 0xabc);
    expect_stats(&pmm, 0, 16, 0, 2, 0);

    /* Enough free pages in total, but not contiguous. */
    assert_int_equal(pmm_free(&pmm, 0x300000, 1), 0);
    assert_int_equal(pmm_free(&pmm, 0x302000, 1), 0);
    assert_int_equal(pmm_alloc(&pmm, 2, PAGE_SIZE, &a), -ENOMEM);
    assert_int_equal(pmm_alloc(&pmm, UINT64_MAX, PAGE_SIZE, &a), -ENOMEM);
    expect_stats(&pmm, 2, 16, 2, 4, 0);
}

static void test_free_validation(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t a, b;
    setup_window(&pmm);
    pmm_release_range(&pmm, WIN_BASE, WIN_END - WIN_BASE);
    assert_int_equal(pmm_alloc(&pmm, 4, PAGE_SIZE, &a), 0);
    assert_int_equal(a, 0x100000);
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &b), 0);
    assert_int_equal(b, 0x104000);
    expect_stats(&pmm, 1019, 2, 0, 0, 0);

    uint64_t before[ARRAY_SIZE(bitmap)];
    memcpy(before, bitmap, sizeof(before));

    assert_int_equal(pmm_free(&pmm, 0x100800, 1), -EINVAL);        /* unaligned */
    assert_int_equal(pmm_free(&pmm, 0xff000, 1), -EINVAL);         /* below window */
    assert_int_equal(pmm_free(&pmm, 0x0, 1), -EINVAL);
    assert_int_equal(pmm_free(&pmm, 0x500000, 1), -EINVAL);        /* just past window */
    assert_int_equal(pmm_free(&pmm, 0x4ff000, 2), -EINVAL);        /* runs past the end */
    assert_int_equal(pmm_free(&pmm, 0x100000, UINT64_MAX), -EINVAL);
    assert_int_equal(pmm_free(&pmm, 0xfffffffffffff000ull, 1), -EINVAL);
    assert_int_equal(pmm_free(&pmm, 0x105000, 1), -EINVAL);        /* never allocated */
    assert_int_equal(pmm_free(&pmm, 0x103000, 3), -EINVAL);        /* partly free run */
    assert_int_equal(pmm_free(&pmm, 0x100000, 0), -EINVAL);        /* empty */
    expect_stats(&pmm, 1019, 2, 0, 0, 10);
    assert_memory_equal(before, bitmap, sizeof(before));

    assert_int_equal(pmm_free(&pmm, a, 4), 0);
    assert_int_equal(pmm_free(&pmm, a, 4), -EINVAL);               /* double free */
    assert_int_equal(pmm_free(&pmm, a + PAGE_SIZE, 1), -EINVAL);
    assert_int_equal(pmm_free(&pmm, b, 1), 0);
    assert_int_equal(pmm_free(&pmm, b, 1), -EINVAL);
    expect_stats(&pmm, 1024, 2, 2, 0, 13);
}

static void test_free_then_realloc_reuses(void **state)
{
    (void)state;
    struct pmm pmm;
    uint64_t a, b, c, d;
    setup_window(&pmm);
    pmm_release_range(&pmm, WIN_BASE, WIN_END - WIN_BASE);

    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &a), 0);
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &b), 0);
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &c), 0);
    assert_int_equal(a, 0x100000);
    assert_int_equal(b, 0x101000);
    assert_int_equal(c, 0x102000);
    assert_int_equal(pmm_free(&pmm, b, 1), 0);
    assert_true(pmm_is_free(&pmm, b));
    assert_int_equal(pmm_alloc(&pmm, 1, PAGE_SIZE, &d), 0);
    assert_int_equal(d, 0x101000);

    /* Everything freed and the window is whole again: a full-window allocation works. */
    assert_int_equal(pmm_free(&pmm, a, 1), 0);
    assert_int_equal(pmm_free(&pmm, d, 1), 0);
    assert_int_equal(pmm_free(&pmm, c, 1), 0);
    assert_int_equal(pmm_alloc(&pmm, 1024, PAGE_SIZE, &a), 0);
    assert_int_equal(a, 0x100000);
    expect_stats(&pmm, 0, 5, 4, 0, 0);
}

/* ---- random sequence against a reference model ----------------------------------- */

#define M_BASE   0x47000ull      /* odd page frame, not 64 KiB aligned */
#define M_PAGES  300u            /* not a multiple of 64 */

struct model {
    bool used[M_PAGES];
    struct pmm_stats stats;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    /* xorshift64*: deterministic across runs. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint64_t model_page_addr(uint64_t p)
{
    return M_BASE + p * PAGE_SIZE;
}

static void model_release(struct model *m, uint64_t base, uint64_t size)
{
    if (size == 0)
        return;
    uint64_t end = base + size;
    if (end < base)
        end = UINT64_MAX;
    for (uint64_t p = 0; p < M_PAGES; p++) {
        uint64_t lo = model_page_addr(p), hi = lo + PAGE_SIZE;
        if (lo >= base && hi <= end && m->used[p]) {
            m->used[p] = false;
            m->stats.free_pages++;
        }
    }
}

static void model_reserve(struct model *m, uint64_t base, uint64_t size)
{
    if (size == 0)
        return;
    uint64_t end = base + size;
    if (end < base)
        end = UINT64_MAX;
    for (uint64_t p = 0; p < M_PAGES; p++) {
        uint64_t lo = model_page_addr(p), hi = lo + PAGE_SIZE;
        if (lo < end && hi > base && !m->used[p]) {
            m->used[p] = true;
            m->stats.free_pages--;
        }
    }
}

static bool model_run_free(const struct model *m, uint64_t first, uint64_t n)
{
    if (first >= M_PAGES || n > M_PAGES - first)
        return false;
    for (uint64_t p = first; p < first + n; p++) {
        if (m->used[p])
            return false;
    }
    return true;
}

static bool model_fit_exists(const struct model *m, uint64_t n, uint64_t align)
{
    for (uint64_t p = 0; p < M_PAGES; p++) {
        if (model_page_addr(p) % align == 0 && model_run_free(m, p, n))
            return true;
    }
    return false;
}

static void compare(const struct pmm *pmm, const struct model *m)
{
    assert_int_equal(pmm->stats.total_pages, M_PAGES);
    assert_int_equal(pmm->stats.free_pages, m->stats.free_pages);
    assert_int_equal(pmm->stats.allocs, m->stats.allocs);
    assert_int_equal(pmm->stats.frees, m->stats.frees);
    assert_int_equal(pmm->stats.alloc_failures, m->stats.alloc_failures);
    assert_int_equal(pmm->stats.bad_frees, m->stats.bad_frees);
    uint64_t nfree = 0;
    for (uint64_t p = 0; p < M_PAGES; p++) {
        assert_int_equal(pmm_is_free(pmm, model_page_addr(p)), !m->used[p]);
        assert_int_equal(pmm_is_free(pmm, model_page_addr(p) + 0x7ff), !m->used[p]);
        nfree += !m->used[p];
    }
    assert_int_equal(nfree, m->stats.free_pages);
    assert_false(pmm_is_free(pmm, M_BASE - PAGE_SIZE));
    assert_false(pmm_is_free(pmm, model_page_addr(M_PAGES)));
}

/* A random address near the window, page aligned three times in four. */
static uint64_t random_addr(void)
{
    uint64_t a = M_BASE - 8 * PAGE_SIZE + rnd() % ((M_PAGES + 16) * PAGE_SIZE);
    if (rnd() % 4 != 0)
        a &= ~(uint64_t)(PAGE_SIZE - 1);
    return a;
}

/* The allocator's search as it was, a bit at a time: where pmm_alloc must land. */
static bool reference_fit(const struct pmm *pmm, uint64_t npages, uint64_t align, uint64_t *out)
{
    uint64_t p = pmm->search_hint;
    while (p + npages <= pmm->npages) {
        uint64_t addr = pmm->base + p * PAGE_SIZE;
        if (addr % align != 0) {
            p = (ALIGN_UP(addr, align) - pmm->base) / PAGE_SIZE;
            continue;
        }
        uint64_t run = 0;
        while (run < npages && !((pmm->bitmap[(p + run) / 64] >> ((p + run) % 64)) & 1u))
            run++;
        if (run == npages) {
            *out = addr;
            return true;
        }
        p += run + 1;
    }
    return false;
}

/* Large allocations over a fragmented heap land where the bit-by-bit search would
 * (the search skips words of used pages and counts words of free ones). */
static void test_large_allocations_first_fit(void **state)
{
    (void)state;
    static uint64_t bm[PMM_BITMAP_WORDS(4096)];
    struct pmm pmm;
    uint64_t seed = 12345;
    for (int round = 0; round < 200; round++) {
        assert_int_equal(pmm_init(&pmm, bm, ARRAY_SIZE(bm), 0x10000000ull, 4096), 0);
        pmm_release_range(&pmm, 0x10000000ull, 4096ull * PAGE_SIZE);
        for (int k = 0; k < 40; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t first = (seed >> 20) % 4096, n = 1 + (seed >> 40) % 300;
            if ((seed >> 8) & 1)
                pmm_reserve_range(&pmm, 0x10000000ull + first * PAGE_SIZE, n * PAGE_SIZE);
            else
                pmm_release_range(&pmm, 0x10000000ull + first * PAGE_SIZE, n * PAGE_SIZE);
        }
        for (int k = 0; k < 20; k++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            uint64_t n = 1 + (seed >> 33) % 400, align = (uint64_t)PAGE_SIZE << ((seed >> 50) % 8);
            uint64_t want = 0, got = 0;
            bool fits = reference_fit(&pmm, n, align, &want) && n <= pmm.stats.free_pages;
            int err = pmm_alloc(&pmm, n, align, &got);
            if (!fits) {
                assert_int_equal(err, -ENOMEM);
                continue;
            }
            assert_int_equal(err, 0);
            assert_int_equal(got, want);
        }
    }
}

static void test_random_against_model(void **state)
{
    (void)state;
    static uint64_t bm[PMM_BITMAP_WORDS(M_PAGES)];
    struct pmm pmm;
    struct model m;
    struct { uint64_t addr, n; } live[512];
    size_t nlive = 0;

    memset(&m, 0, sizeof(m));
    for (uint64_t p = 0; p < M_PAGES; p++)
        m.used[p] = true;
    m.stats.total_pages = M_PAGES;
    assert_int_equal(pmm_init(&pmm, bm, ARRAY_SIZE(bm), M_BASE, M_PAGES), 0);
    compare(&pmm, &m);

    for (int step = 0; step < 20000; step++) {
        unsigned op = (unsigned)(rnd() % 16);
        if (op < 2) {
            uint64_t base = random_addr(), size = rnd() % (64 * PAGE_SIZE);
            if (rnd() % 64 == 0)
                size = UINT64_MAX - rnd() % 16;
            pmm_release_range(&pmm, base, size);
            model_release(&m, base, size);
        } else if (op < 3) {
            uint64_t base = random_addr(), size = rnd() % (8 * PAGE_SIZE);
            pmm_reserve_range(&pmm, base, size);
            model_reserve(&m, base, size);
        } else if (op < 9) {
            uint64_t n = 1 + rnd() % 8;
            uint64_t align = (uint64_t)PAGE_SIZE << (rnd() % 6);
            uint64_t addr = 0;
            int err = pmm_alloc(&pmm, n, align, &addr);
            if (model_fit_exists(&m, n, align)) {
                assert_int_equal(err, 0);
                assert_int_equal(addr % align, 0);
                assert_true(addr >= M_BASE);
                assert_int_equal((addr - M_BASE) % PAGE_SIZE, 0);
                uint64_t first = (addr - M_BASE) / PAGE_SIZE;
                assert_true(model_run_free(&m, first, n));
                for (uint64_t p = first; p < first + n; p++)
                    m.used[p] = true;
                m.stats.free_pages -= n;
                m.stats.allocs++;
                if (nlive < ARRAY_SIZE(live)) {
                    live[nlive].addr = addr;
                    live[nlive].n = n;
                    nlive++;
                }
            } else {
                assert_int_equal(err, -ENOMEM);
                m.stats.alloc_failures++;
            }
        } else {
            uint64_t addr, n;
            if (nlive > 0 && rnd() % 4 != 0) {
                size_t i = (size_t)(rnd() % nlive);
                addr = live[i].addr;
                n = live[i].n;
                live[i] = live[--nlive];
            } else {
                addr = random_addr();
                n = rnd() % 4;
            }
            bool valid = n > 0 && addr >= M_BASE && (addr - M_BASE) % PAGE_SIZE == 0;
            uint64_t first = valid ? (addr - M_BASE) / PAGE_SIZE : 0;
            if (valid) {
                valid = first < M_PAGES && n <= M_PAGES - first;
                for (uint64_t p = first; valid && p < first + n; p++)
                    valid = m.used[p];
            }
            int err = pmm_free(&pmm, addr, n);
            if (valid) {
                assert_int_equal(err, 0);
                for (uint64_t p = first; p < first + n; p++)
                    m.used[p] = false;
                m.stats.free_pages += n;
                m.stats.frees++;
            } else {
                assert_int_equal(err, -EINVAL);
                m.stats.bad_frees++;
            }
        }
        compare(&pmm, &m);
    }
    /* The sequence must have exercised every outcome. */
    assert_true(m.stats.allocs > 100);
    assert_true(m.stats.frees > 100);
    assert_true(m.stats.alloc_failures > 10);
    assert_true(m.stats.bad_frees > 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_all_reserved),
        cmocka_unit_test(test_init_rejects_bad_arguments),
        cmocka_unit_test(test_release_whole_pages_only),
        cmocka_unit_test(test_reserve_any_touched_page),
        cmocka_unit_test(test_alloc_alignment),
        cmocka_unit_test(test_alloc_2m_in_unaligned_window),
        cmocka_unit_test(test_exhaustion),
        cmocka_unit_test(test_free_validation),
        cmocka_unit_test(test_free_then_realloc_reuses),
        cmocka_unit_test(test_random_against_model),
        cmocka_unit_test(test_large_allocations_first_fit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
