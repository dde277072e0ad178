/* The host channels' poll set; see poll.h. */
#include "kernel/host/poll.h"

#include "kernel/host/diag.h"
#include "kernel/host/get_instance.h"
#include "arch/x86_64/cpu/idt.h"
#include "drivers/hw/hpet.h"
#include "get/protocol.h"
#include "kernel/lib/log.h"

void kernel_poll(struct host_channels *h)
{
    get_poll(h->get);
    diag_poll(h->diag);
    uint8_t note[64];
    size_t n = get_take_guest_notification(h->get, GET_GNOTE_SAVE_GUEST_VTL2_STATE, note, sizeof(note));
    if (n != 0 && h->save_request != NULL) {
        h->save_request(h->save_request_ctx, note, n);
    } else if (n != 0) {
        /* Nothing to service (VTL0 never started): the host hears it at once. */
        log_warn("servicing", "SAVE requested, but VTL0 does not run here: refused");
        get_send_save_failure(h->get);
    }
}

bool kernel_tick_running(const struct host_channels *h)
{
    return h->timer != NULL && h->timer->running;
}

unsigned kernel_nmis_for_vtl0(struct host_channels *h)
{
    uint64_t total = trap_nmi_count() + h->window_nmis;
    return h->timer != NULL ? hpet_nmi_timer_account(h->timer, total) : 1;
}

void kernel_tick_idle(struct host_channels *h, bool idle)
{
    if (h->timer != NULL)
        hpet_nmi_timer_set_period(h->timer, idle ? HOST_TICK_IDLE_US : HOST_TICK_RUN_US);
}

static uint64_t messages_received(const struct host_channels *h)
{
    return h->get->ring.rt.stats.rx_packets + h->get->transport.rx.stats.frames +
           h->diag->ring.rt.stats.rx_packets + h->diag->transport.rx.stats.frames;
}

bool kernel_may_sleep(struct host_channels *h)
{
    if (!kernel_tick_running(h))
        return false;
    uint64_t seen = messages_received(h);
    uint64_t now = log_uptime_us();
    if (seen != h->messages_seen) {
        h->messages_seen = seen;
        h->last_message_us = now;
        return false;
    }
    return now - h->last_message_us >= HOST_LINGER_US;
}

void kernel_wait(struct host_channels *h)
{
    if (kernel_may_sleep(h)) {
        __asm__ volatile("hlt" ::: "memory");
        (void)kernel_nmis_for_vtl0(h);   /* the ticks that woke it: keep the count level */
    } else
        __asm__ volatile("pause");
}

void kernel_idle(struct host_channels *h)
{
    kernel_tick_idle(h, true);
    for (;;) {
        kernel_poll(h);
        kernel_wait(h);
    }
}
