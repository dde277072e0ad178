/*
 * Fake page-table memory for unit tests of arch/x86_64/paging and its users: page i of a
 * static pool has "physical address" (i + 1) * 4 KiB, so a physical address is never the
 * pointer, and 0 is never a valid table. table_ptr checks every address it is given.
 * Include after <cmocka.h> and "arch/x86_64/paging.h" (directly or through another header).
 */
#ifndef MEZZ_TESTS_UNIT_FAKE_PT_H
#define MEZZ_TESTS_UNIT_FAKE_PT_H

#define POOL_PAGES 64
#define PHYS(i) (((uint64_t)(i) + 1) * 0x1000)

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));

struct fake_mem {
    unsigned next;      /* pages handed out */
    unsigned limit;     /* pages that may be handed out in all */
};

static struct fake_mem mem;

static uint64_t fake_alloc_table(void *ctx)
{
    struct fake_mem *m = ctx;
    assert_ptr_equal(m, &mem);
    if (m->next >= m->limit || m->next >= POOL_PAGES)
        return 0;
    /* Dirty, as freshly allocated RAM would be: the builder must clear it. */
    memset(pool[m->next], 0xab, sizeof(pool[0]));
    return PHYS(m->next++);
}

static uint64_t *fake_table_ptr(void *ctx, uint64_t phys)
{
    struct fake_mem *m = ctx;
    assert_ptr_equal(m, &mem);
    if (phys % 0x1000 != 0 || phys < PHYS(0) || m->next == 0 || phys > PHYS(m->next - 1))
        fail_msg("table_ptr(%#llx): not a table handed out", (unsigned long long)phys);
    return pool[phys / 0x1000 - 1];
}

static const struct pt_ops fake_ops = {
    .alloc_table = fake_alloc_table,
    .table_ptr = fake_table_ptr,
    .ctx = &mem,
};

/* A poisoned pool, at most `limit` tables to hand out, and pt_init on it. */
static void fresh_pt(struct page_table *pt, uint64_t table_flags, unsigned limit)
{
    memset(pool, 0x5a, sizeof(pool));
    mem.next = 0;
    mem.limit = limit;
    assert_int_equal(pt_init(pt, &fake_ops, table_flags), 0);
}

#endif
