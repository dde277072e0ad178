/* The restore watchdog; see watchdog.h. */
#include "kernel/servicing/watchdog.h"

#include "kernel/servicing/persisted.h"

uint32_t restore_budget_ms(uint32_t timeout_hint_secs)
{
    if (timeout_hint_secs == 0 || timeout_hint_secs >= 0xFFFFu)
        return SERVICING_RESTORE_BUDGET_DEFAULT_MS;
    uint64_t half = (uint64_t)timeout_hint_secs * 1000u / 2u;
    if (half > SERVICING_RESTORE_BUDGET_DEFAULT_MS)
        return SERVICING_RESTORE_BUDGET_DEFAULT_MS;
    if (half < SERVICING_RESTORE_BUDGET_MIN_MS)
        return SERVICING_RESTORE_BUDGET_MIN_MS;
    return (uint32_t)half;
}

void restore_watchdog_arm(struct restore_watchdog *w, uint64_t deadline_tsc)
{
    w->ready = false;
    w->fired = false;
    w->deadline_tsc = deadline_tsc;
    __asm__ volatile("" ::: "memory");
    w->armed = true;
}

void restore_watchdog_ready(struct restore_watchdog *w)
{
    w->ready = true;
}

bool restore_watchdog_disarm(struct restore_watchdog *w)
{
    w->armed = false;
    __asm__ volatile("" ::: "memory");
    return w->fired;
}

bool restore_watchdog_expired(struct restore_watchdog *w, uint64_t now_tsc)
{
    if (!w->armed || !w->ready || w->fired || now_tsc < w->deadline_tsc)
        return false;
    w->fired = true;
    w->armed = false;
    return true;
}
