/*
 * Unit tests for the "partition" unit's encoder written out by hand
 * (kernel/vtl0/partition_state.c): its bytes must be nanopb's for the same message, for
 * messages of every shape -- zero and all-ones fields, segments present or not, empty
 * and full arrays, values at every varint length.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/pb_codec.h"
#include "kernel/vtl0/partition_state.h"

typedef mezzanine_vtl0_partition_SavedState msg_t;
typedef mezzanine_vtl0_partition_Segment seg_t;

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A value of a random varint length (0 included), below 2^bits. */
static uint64_t value(unsigned bits)
{
    uint64_t v = next();
    unsigned shift = (unsigned)(next() % (bits + 1));
    v = shift >= 64 ? 0 : v >> shift;
    if (bits < 64)
        v &= (1ull << bits) - 1;
    return next() % 5 == 0 ? 0 : v;
}

static void random_segment(seg_t *s, bool *has)
{
    *has = next() % 4 != 0;
    s->selector = (uint32_t)value(16);
    s->attrib = (uint32_t)value(12);
    s->limit = (uint32_t)value(32);
    s->base = value(64);
}

static void random_msg(msg_t *m)
{
    memset(m, 0, sizeof(*m));
    random_segment(&m->es, &m->has_es);
    random_segment(&m->cs, &m->has_cs);
    random_segment(&m->ss, &m->has_ss);
    random_segment(&m->ds, &m->has_ds);
    random_segment(&m->fs, &m->has_fs);
    random_segment(&m->gs, &m->has_gs);
    random_segment(&m->gdtr, &m->has_gdtr);
    random_segment(&m->ldtr, &m->has_ldtr);
    random_segment(&m->idtr, &m->has_idtr);
    random_segment(&m->tr, &m->has_tr);
    m->cpl = (uint32_t)value(2);
    uint64_t *u64[] = { &m->efer, &m->cr0, &m->cr2, &m->cr3, &m->cr4, &m->dr6, &m->dr7,
                        &m->rflags, &m->rip, &m->star, &m->lstar, &m->cstar, &m->sfmask,
                        &m->kernel_gs_base, &m->sysenter_cs, &m->sysenter_esp,
                        &m->sysenter_eip, &m->g_pat, &m->event_inject };
    for (size_t i = 0; i < sizeof(u64) / sizeof(u64[0]); i++)
        *u64[i] = value(64);
    m->gprs_count = (pb_size_t)(next() % 3 == 0 ? 0 : 16);
    for (unsigned i = 0; i < m->gprs_count; i++)
        m->gprs[i] = value(64);
    m->interrupt_shadow = next() & 1;
    m->irq_queue.size = (pb_size_t)(next() % (sizeof(m->irq_queue.bytes) + 1));
    for (unsigned i = 0; i < m->irq_queue.size; i++)
        m->irq_queue.bytes[i] = (uint8_t)next();
    m->nmi_pending = next() & 1;
    m->intr_deferred = next() & 1;
    size_t mtrrs = sizeof(m->mtrrs) / sizeof(m->mtrrs[0]);
    m->mtrrs_count = (pb_size_t)(next() % 2 ? mtrrs : 0);
    for (unsigned i = 0; i < m->mtrrs_count; i++)
        m->mtrrs[i] = value(64);
    m->run_state = next() & 1 ? mezzanine_vtl0_partition_RunState_RUN_STATE_STOPPED
                              : mezzanine_vtl0_partition_RunState_RUN_STATE_RUNNING;
    m->tsc_aux = (uint32_t)value(32);
}

static void expect_nanopb_bytes(const msg_t *m)
{
    uint8_t want[mezzanine_vtl0_partition_SavedState_size], got[sizeof(want)];
    size_t want_len = 0, got_len = 0;
    assert_int_equal(pb_codec_encode(mezzanine_vtl0_partition_SavedState_fields, m, want,
                                     sizeof(want), &want_len), 0);
    assert_int_equal(partition_state_encode(m, got, sizeof(got), &got_len), 0);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
}

static void test_empty_and_full_messages(void **state)
{
    (void)state;
    msg_t m;
    memset(&m, 0, sizeof(m));
    expect_nanopb_bytes(&m);                     /* nothing at all: zero bytes */
    memset(&m, 0xFF, sizeof(m));                 /* every field at its widest */
    m.gprs_count = 16;
    m.irq_queue.size = sizeof(m.irq_queue.bytes);
    m.mtrrs_count = sizeof(m.mtrrs) / sizeof(m.mtrrs[0]);
    m.cpl = 3;
    m.run_state = mezzanine_vtl0_partition_RunState_RUN_STATE_STOPPED;
    m.interrupt_shadow = m.nmi_pending = m.intr_deferred = true;
    bool *has[] = { &m.has_es, &m.has_cs, &m.has_ss, &m.has_ds, &m.has_fs, &m.has_gs,
                    &m.has_gdtr, &m.has_ldtr, &m.has_idtr, &m.has_tr };
    for (size_t i = 0; i < sizeof(has) / sizeof(has[0]); i++)
        *has[i] = true;
    m.es.selector = m.cs.selector = 0xFFFF;
    expect_nanopb_bytes(&m);
}

static void test_random_messages_match_nanopb(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        msg_t m;
        random_msg(&m);
        expect_nanopb_bytes(&m);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    msg_t m;
    random_msg(&m);
    m.gprs_count = 16;
    uint8_t buf[mezzanine_vtl0_partition_SavedState_size];
    size_t len = 0;
    assert_int_equal(partition_state_encode(&m, buf, sizeof(buf), &len), 0);
    size_t need = len;
    assert_int_equal(partition_state_encode(&m, buf, need - 1, &len), -ENOSPC);
    assert_int_equal(partition_state_encode(&m, buf, need, &len), 0);
    assert_int_equal(len, need);
    m.gprs_count = 17;
    assert_int_equal(partition_state_encode(&m, buf, sizeof(buf), &len), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_and_full_messages),
        cmocka_unit_test(test_random_messages_match_nanopb),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
