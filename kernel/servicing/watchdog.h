/*
 * The restore watchdog (docs/servicing.md, "Rollback"): a new instance that stalls in its
 * restore (OpenHCL's SERVICING_RESTORE_STUCK) must still end with VTL0 running. There are
 * no timer interrupts in VTL2, but Mezzanine's own HPET NMI tick (drivers/hw/hpet.h) runs
 * before the restore starts and an NMI is taken even with interrupts off; each tick asks
 * restore_watchdog_expired(). Pure: the caller reads the TSC.
 *
 * Written by the restore (arm, ready, disarm) and read from the NMI handler: every field
 * the NMI side reads is written before `armed`/`ready` are set, and the handler only
 * reads and sets `fired`, so a single core needs no more than volatile accesses.
 */
#ifndef MEZZ_KERNEL_SERVICING_WATCHDOG_H
#define MEZZ_KERNEL_SERVICING_WATCHDOG_H

#include <stdbool.h>
#include <stdint.h>

struct restore_watchdog {
    uint64_t deadline_tsc;
    volatile bool armed;    /* a restore is under way */
    volatile bool ready;    /* the way back (the previous image) is prepared */
    volatile bool fired;    /* the deadline passed while armed and ready: once */
};

/* The budget for a new instance's restore from the host's SAVE timeout hint (seconds;
 * 0 or 0xFFFF: none): half the hint, within [SERVICING_RESTORE_BUDGET_MIN_MS,
 * SERVICING_RESTORE_BUDGET_DEFAULT_MS] (kernel/servicing/persisted.h). */
uint32_t restore_budget_ms(uint32_t timeout_hint_secs);

void restore_watchdog_arm(struct restore_watchdog *w, uint64_t deadline_tsc);
/* The rollback can be entered from now on. */
void restore_watchdog_ready(struct restore_watchdog *w);
/* The restore ended (well or not): no rollback from here on. Returns whether the watchdog
 * had already fired (the rollback is then under way). */
bool restore_watchdog_disarm(struct restore_watchdog *w);
/* From the NMI: true exactly once, when armed and ready and now_tsc is past the deadline.
 * An expired watchdog that is not ready yet fires on a later tick, once it is. */
bool restore_watchdog_expired(struct restore_watchdog *w, uint64_t now_tsc);

#endif
