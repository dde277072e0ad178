/* HPET periodic NMI through the FSB route; see hpet.h. */
#include "drivers/hw/hpet.h"

#include <errno.h>

static uint32_t rd(const struct hpet_nmi_timer *t, unsigned reg) { return t->ops.read(t->ops.ctx, reg); }
static void wr(const struct hpet_nmi_timer *t, unsigned reg, uint32_t v) { t->ops.write(t->ops.ctx, reg, v); }

int hpet_nmi_timer_start(struct hpet_nmi_timer *t, const struct hpet_ops *ops, uint32_t period_us,
                         uint8_t apic_id)
{
    t->ops = *ops;
    t->running = false;
    t->ticks_claimed = t->nmis_forwarded = 0;
    t->nmis_seen = 0;
    t->ticks_owed = 0;
    t->count_ticks_at = 0;
    if (period_us == 0)
        return -EINVAL;
    uint32_t cap_low = rd(t, HPET_GCAP_ID);
    uint32_t period_fs = rd(t, HPET_GCAP_ID + 4);
    if (cap_low == 0xFFFFFFFFu || period_fs == 0 || period_fs > 100000000u)   /* spec: <= 100 ns */
        return -ENODEV;
    unsigned timers = ((cap_low >> 8) & 0x1F) + 1;
    unsigned n = timers;
    /* The last capable comparator: 0 and 1 are the legacy-replacement ones. */
    for (unsigned i = timers; i-- > 0;) {
        uint32_t conf = rd(t, HPET_TN_CONF(i));
        if ((conf & HPET_TN_FSB_CAP) && (conf & HPET_TN_PER_CAP)) {
            n = i;
            break;
        }
    }
    if (n == timers)
        return -ENODEV;
    uint64_t ticks = (uint64_t)period_us * HPET_FS_PER_US / period_fs;
    if (ticks == 0 || ticks > 0x7FFFFFFFu)
        return -EINVAL;
    t->timer = n;
    t->period_ticks = ticks;
    t->period_fs = period_fs;
    t->period_us = period_us;
    /* Counter stopped and at 0; comparator = period (first tick), period = period. The
     * SETVAL write sets the comparator itself; the plain write in periodic mode sets the
     * period (HPET spec 2.3.9.2.2, QEMU hw/timer/hpet.c). */
    wr(t, HPET_GEN_CONF, rd(t, HPET_GEN_CONF) & ~HPET_GEN_ENABLE);
    wr(t, HPET_MAIN_COUNTER, 0);
    wr(t, HPET_MAIN_COUNTER + 4, 0);
    wr(t, HPET_TN_FSB(n), MSI_DATA_NMI);
    wr(t, HPET_TN_FSB(n) + 4, MSI_ADDRESS_BASE | ((uint32_t)apic_id << 12));
    uint32_t conf = HPET_TN_INT_ENB | HPET_TN_PERIODIC | HPET_TN_FSB_EN;
    wr(t, HPET_TN_CONF(n), conf | HPET_TN_SETVAL);
    wr(t, HPET_TN_CMP(n) + 4, 0);                 /* comparator high */
    wr(t, HPET_TN_CONF(n), conf | HPET_TN_SETVAL);
    wr(t, HPET_TN_CMP(n), (uint32_t)ticks);       /* comparator low and period low */
    wr(t, HPET_TN_CMP(n) + 4, 0);                 /* period high */
    if (!(rd(t, HPET_TN_CONF(n)) & HPET_TN_FSB_EN))
        return -ENODEV;
    t->last_cmp = rd(t, HPET_TN_CMP(n));
    wr(t, HPET_GEN_CONF, rd(t, HPET_GEN_CONF) | HPET_GEN_ENABLE);
    t->running = true;
    return 0;
}

/* Ticks since the last count: the comparator moves by exactly one period per tick. */
static void count_ticks(struct hpet_nmi_timer *t)
{
    uint64_t period = t->count_ticks_at ? t->count_ticks_at : t->period_ticks;
    uint32_t cmp = rd(t, HPET_TN_CMP(t->timer));
    uint32_t moved = cmp - t->last_cmp;
    uint32_t ticks = (uint32_t)((moved + period / 2) / period);
    t->last_cmp = cmp;
    t->ticks_owed += ticks;
    t->count_ticks_at = 0;
}

void hpet_nmi_timer_stop(struct hpet_nmi_timer *t)
{
    if (!t->running)
        return;
    wr(t, HPET_TN_CONF(t->timer), rd(t, HPET_TN_CONF(t->timer)) & ~HPET_TN_INT_ENB);
    wr(t, HPET_GEN_CONF, rd(t, HPET_GEN_CONF) & ~HPET_GEN_ENABLE);
    t->running = false;
}

void hpet_nmi_timer_set_period(struct hpet_nmi_timer *t, uint32_t us)
{
    if (!t->running || us == 0 || us == t->period_us)
        return;
    uint64_t ticks = (uint64_t)us * HPET_FS_PER_US / t->period_fs;
    if (ticks == 0 || ticks > 0x7FFFFFFFu)
        return;
    count_ticks(t);                 /* ticks so far were at the old period */
    /* Periodic mode without SETVAL: a comparator write sets the period only. */
    wr(t, HPET_TN_CMP(t->timer), (uint32_t)ticks);
    /* A tick between the count above and that write moved the comparator by the old
     * period, later ones move it by the new: the next count cannot tell which. Counted at
     * the shorter period it may find too many ticks (harmless: at most
     * HPET_TICKS_OWED_MAX are carried), never too few, which would pass a tick's NMI off
     * as VTL0's and inject it (VTL0 switches the period on every HLT). */
    t->count_ticks_at = ticks < t->period_ticks ? ticks : t->period_ticks;
    t->period_ticks = ticks;
    t->period_us = us;
}

unsigned hpet_nmi_timer_account(struct hpet_nmi_timer *t, uint64_t nmis_total)
{
    uint64_t fresh = nmis_total - t->nmis_seen;
    t->nmis_seen = nmis_total;
    if (!t->running)
        return (unsigned)fresh;
    count_ticks(t);
    uint64_t ticks = fresh < t->ticks_owed ? fresh : t->ticks_owed;
    t->ticks_owed -= (uint32_t)ticks;
    /* What is left are ticks without an NMI yet: one may still be on its way, but a
     * late QEMU timer advances the comparator by several periods for one NMI, and
     * those must not eat VTL0's NMIs later. */
    if (t->ticks_owed > HPET_TICKS_OWED_MAX)
        t->ticks_owed = HPET_TICKS_OWED_MAX;
    t->ticks_claimed += ticks;
    t->nmis_forwarded += fresh - ticks;
    return (unsigned)(fresh - ticks);
}
