/* Unit tests for drivers/hw/hpet.c against a fake HPET register file that follows the
 * HPET specification 1.0a and QEMU's hw/timer/hpet.c for the comparator writes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/hw/hpet.h"

struct fake_hpet {
    uint64_t cap, gen, counter;
    uint64_t conf[3], cmp[3], period[3], fsb[3];
    bool fsb_capable;
    bool tick_before_next_write;    /* the race: QEMU's timer fires between two accesses */
};

static uint32_t half(uint64_t v, unsigned reg) { return (reg & 4) ? (uint32_t)(v >> 32) : (uint32_t)v; }
static void set_half(uint64_t *v, unsigned reg, uint32_t x)
{
    *v = (reg & 4) ? ((*v & 0xFFFFFFFFull) | (uint64_t)x << 32) : ((*v & ~0xFFFFFFFFull) | x);
}

static uint32_t fake_read(void *ctx, unsigned reg)
{
    struct fake_hpet *h = ctx;
    if (reg < 8)
        return half(h->cap, reg);
    if (reg >= 0x100) {
        unsigned n = (reg - 0x100) / 0x20, r = (reg - 0x100) % 0x20;
        if (r < 8)
            return half(h->conf[n], r);
        if (r < 0x10)
            return half(h->cmp[n], r);
        return half(h->fsb[n], r);
    }
    if (reg == HPET_GEN_CONF)
        return (uint32_t)h->gen;
    return half(h->counter, reg);
}

static void fake_write(void *ctx, unsigned reg, uint32_t v)
{
    struct fake_hpet *h = ctx;
    if (h->tick_before_next_write) {
        h->tick_before_next_write = false;
        h->cmp[2] += h->period[2];
    }
    if (reg == HPET_GEN_CONF) {
        h->gen = v;
    } else if (reg == HPET_MAIN_COUNTER || reg == HPET_MAIN_COUNTER + 4) {
        set_half(&h->counter, reg, v);
    } else if (reg >= 0x100) {
        unsigned n = (reg - 0x100) / 0x20, r = (reg - 0x100) % 0x20;
        if (r < 8) {
            uint64_t ro = HPET_TN_PER_CAP | (h->fsb_capable ? HPET_TN_FSB_CAP : 0);
            h->conf[n] = (v & ~(uint32_t)ro) | ro;
            if (!h->fsb_capable)
                h->conf[n] &= ~(uint64_t)HPET_TN_FSB_EN;
        } else if (r < 0x10) {
            bool periodic = h->conf[n] & HPET_TN_PERIODIC;
            if (!periodic || (h->conf[n] & HPET_TN_SETVAL))
                set_half(&h->cmp[n], r, v);
            else
                set_half(&h->period[n], r, v);
            if (periodic && !(reg & 4) && (h->conf[n] & HPET_TN_SETVAL))
                set_half(&h->period[n], r, v);
            h->conf[n] &= ~(uint64_t)HPET_TN_SETVAL;
        } else {
            set_half(&h->fsb[n], r, v);
        }
    }
}

static struct fake_hpet fresh(bool fsb)
{
    struct fake_hpet h;
    memset(&h, 0, sizeof(h));
    h.cap = (100000000ull << 32) | (2u << 8);    /* 10 MHz (100 ns), three comparators */
    h.fsb_capable = fsb;
    for (int i = 0; i < 3; i++) {
        h.cmp[i] = ~0ull;
        h.conf[i] = HPET_TN_PER_CAP | (fsb ? HPET_TN_FSB_CAP : 0);
    }
    return h;
}

static void test_programs_periodic_fsb_nmi(void **state)
{
    (void)state;
    struct fake_hpet h = fresh(true);
    struct hpet_nmi_timer t;
    const struct hpet_ops ops = { .read = fake_read, .write = fake_write, .ctx = &h };
    assert_int_equal(hpet_nmi_timer_start(&t, &ops, 500, 0), 0);
    assert_true(t.running);
    assert_int_equal(t.timer, 2);
    assert_int_equal(t.period_ticks, 5000);                 /* 500 us at 10 MHz */
    assert_int_equal(h.cmp[2], 5000);                       /* high half cleared too */
    assert_int_equal(h.period[2], 5000);
    assert_true(h.conf[2] & HPET_TN_FSB_EN);
    assert_true(h.conf[2] & HPET_TN_PERIODIC);
    assert_true(h.conf[2] & HPET_TN_INT_ENB);
    assert_int_equal(h.fsb[2] >> 32, MSI_ADDRESS_BASE);
    assert_int_equal((uint32_t)h.fsb[2], MSI_DATA_NMI);
    assert_true(h.gen & HPET_GEN_ENABLE);
    assert_int_equal(h.conf[0] & HPET_TN_FSB_EN, 0);        /* others untouched */

    /* One tick, one NMI: the tick's. */
    h.cmp[2] += 5000;
    assert_int_equal(hpet_nmi_timer_account(&t, 1), 0);
    /* No tick, one NMI: VTL0's. */
    assert_int_equal(hpet_nmi_timer_account(&t, 2), 1);
    /* Two ticks taken outside VTL0 (counted in the total) and VTL0's NMI with them. */
    h.cmp[2] += 2 * 5000;
    assert_int_equal(hpet_nmi_timer_account(&t, 5), 1);
    /* A tick counted just before its NMI arrives: the NMI is still the tick's. */
    h.cmp[2] += 5000;
    assert_int_equal(hpet_nmi_timer_account(&t, 5), 0);
    assert_int_equal(hpet_nmi_timer_account(&t, 6), 0);
    assert_int_equal(t.ticks_claimed, 4);
    assert_int_equal(t.nmis_forwarded, 2);
    /* A late QEMU timer: the comparator moved ten periods for one NMI. At most one
     * surplus tick is carried: it takes the next NMI, the one after is VTL0's. */
    h.cmp[2] += 10 * 5000;
    assert_int_equal(hpet_nmi_timer_account(&t, 7), 0);
    assert_int_equal(t.ticks_owed, HPET_TICKS_OWED_MAX);
    assert_int_equal(hpet_nmi_timer_account(&t, 8), 0);
    assert_int_equal(hpet_nmi_timer_account(&t, 9), 1);
    /* A period change counts the ticks so far without matching them, so NMIs that come
     * right after it still match them. */
    h.cmp[2] += 5000;
    hpet_nmi_timer_set_period(&t, 2000);
    assert_int_equal(h.period[2], 20000);
    uint64_t cmp_now = h.cmp[2];                            /* the next tick stays */
    h.cmp[2] += 20000;
    assert_int_equal(hpet_nmi_timer_account(&t, 11), 0);
    assert_int_equal(cmp_now + 20000, h.cmp[2]);
}

/* A tick that fires between the period change's count and its write moved the comparator
 * by the old period, the next by the new. Counted at the new period alone, 500 us then
 * 2 ms is 1.25 periods: one tick, and the second NMI would go to VTL0 (seen: a test
 * firmware waiting in HLT for its timer took an NMI it never asked for). */
static void test_a_tick_during_a_period_change_is_not_vtl0s(void **state)
{
    (void)state;
    for (int to_idle = 0; to_idle < 2; to_idle++) {
        struct fake_hpet h = fresh(true);
        struct hpet_nmi_timer t;
        const struct hpet_ops ops = { .read = fake_read, .write = fake_write, .ctx = &h };
        assert_int_equal(hpet_nmi_timer_start(&t, &ops, to_idle ? 500 : 2000, 0), 0);
        h.cmp[2] += h.period[2];
        assert_int_equal(hpet_nmi_timer_account(&t, 1), 0);
        h.tick_before_next_write = true;
        hpet_nmi_timer_set_period(&t, to_idle ? 2000 : 500);
        assert_false(h.tick_before_next_write);
        h.cmp[2] += h.period[2];                /* a tick at the new period */
        /* Two NMIs, two ticks: none is VTL0's. */
        assert_int_equal(hpet_nmi_timer_account(&t, 3), 0);
        /* Later counts are at the new period again. The count at the shorter period
         * found ticks too many: one is carried and takes the next NMI (as after a late
         * tick); the one after that is VTL0's. */
        h.cmp[2] += h.period[2];
        assert_int_equal(hpet_nmi_timer_account(&t, 4), 0);
        assert_int_equal(t.ticks_owed, HPET_TICKS_OWED_MAX);
        assert_int_equal(hpet_nmi_timer_account(&t, 5), 0);
        assert_int_equal(hpet_nmi_timer_account(&t, 6), 1);
        assert_int_equal(t.ticks_claimed, 5);
    }
}

static void test_no_fsb_means_no_timer(void **state)
{
    (void)state;
    struct fake_hpet h = fresh(false);
    struct hpet_nmi_timer t;
    const struct hpet_ops ops = { .read = fake_read, .write = fake_write, .ctx = &h };
    assert_int_equal(hpet_nmi_timer_start(&t, &ops, 500, 0), -ENODEV);
    assert_false(t.running);
    assert_int_equal(hpet_nmi_timer_account(&t, 3), 3);     /* no timer: all VTL0's */
    h = fresh(true);
    h.cap = 0xFFFFFFFFFFFFFFFFull;                           /* nothing there */
    assert_int_equal(hpet_nmi_timer_start(&t, &ops, 500, 0), -ENODEV);
    h = fresh(true);
    assert_int_equal(hpet_nmi_timer_start(&t, &ops, 0, 0), -EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_programs_periodic_fsb_nmi),
        cmocka_unit_test(test_a_tick_during_a_period_change_is_not_vtl0s),
        cmocka_unit_test(test_no_fsb_means_no_timer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
