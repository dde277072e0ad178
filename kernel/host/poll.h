/*
 * kernel_poll(): services Mezzanine's host channels (GET, diag) without blocking. The
 * VTL0 run loop calls it on every exit and the idle loop calls it continuously, so
 * the host is answered even while VTL0 runs.
 */
#ifndef MEZZ_KERNEL_POLL_H
#define MEZZ_KERNEL_POLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct get_instance;
struct diag;
struct hpet_nmi_timer;

/* Mezzanine's own tick (docs/get.md, "Served whatever VTL0 does"): an HPET NMI brings
 * it back from VTL0 (every HOST_TICK_RUN_US while VTL0 runs: the 1 ms answer bound) and
 * out of hlt (every HOST_TICK_IDLE_US while VTL0 is halted or absent: the idle cost). */
#define HOST_TICK_RUN_US  500u
#define HOST_TICK_IDLE_US 2000u
/* After a host message, an idle Mezzanine keeps polling (pause, not hlt) this long: a
 * host streaming requests (screenshot chunks, RESTORE) is then not paced by the idle
 * tick. With no traffic it sleeps. */
#define HOST_LINGER_US    5000u

/* The host channels one Mezzanine serves: built by kernel/main.c. */
struct host_channels {
    struct get_instance *get;
    struct diag *diag;
    struct hpet_nmi_timer *timer;    /* NULL or not running: no tick, busy polling */
    /* runtime */
    uint64_t messages_seen;          /* host messages received, at the last look */
    uint64_t last_message_us;        /* when that count last grew */
    uint64_t window_nmis;            /* NMIs taken inside interrupt windows (interrupts.c) */
    /* The host's SAVE_GUEST_VTL2_STATE guest notification (servicing): its 30 bytes. Set
     * once VTL0 runs; NULL: refused with SAVE FAILURE. */
    void (*save_request)(void *ctx, const void *note, size_t len);
    void *save_request_ctx;
};

void kernel_poll(struct host_channels *h);
/* After Mezzanine took NMIs (an NMI exit, a window that recorded vector 2, a wake from
 * hlt): how many of the NMIs since the last call were not the host tick's, i.e. are
 * VTL0's to be injected (drivers/hw/hpet.h, hpet_nmi_timer_account). */
unsigned kernel_nmis_for_vtl0(struct host_channels *h);
/* True if the host tick runs, so hlt is a safe way to wait. */
bool kernel_tick_running(const struct host_channels *h);
/* True if an idle wait may sleep (hlt): the tick runs and no host message came in the
 * last HOST_LINGER_US. */
bool kernel_may_sleep(struct host_channels *h);
/* One idle wait: hlt until the next tick (or NMI) when kernel_may_sleep, else a pause. */
void kernel_wait(struct host_channels *h);
/* The tick's pace: idle (VTL0 halted or absent) or running. */
void kernel_tick_idle(struct host_channels *h, bool idle);

/*
 * The idle loop: kernel_poll() forever, sleeping in hlt between rounds. Interrupts
 * stay off; the host tick's NMI wakes the hlt (an NMI ignores IF), so the host is
 * answered within a tick and an idle Mezzanine costs next to no host CPU. Without
 * the tick it falls back to busy polling with pause.
 */
__attribute__((noreturn)) void kernel_idle(struct host_channels *h);

#endif
