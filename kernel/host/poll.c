/* The host channels' poll set; see poll.h. */
#include "kernel/host/poll.h"

#include "kernel/host/diag.h"
#include "kernel/host/get_instance.h"
#include "drivers/hw/hpet.h"

void kernel_poll(struct host_channels *h)
{
    get_poll(h->get);
    diag_poll(h->diag);
}

bool kernel_tick_running(const struct host_channels *h)
{
    return h->timer != NULL && h->timer->running;
}

bool kernel_tick_claim(struct host_channels *h)
{
    return h->timer != NULL && hpet_nmi_timer_claim(h->timer);
}

void kernel_tick_idle(struct host_channels *h, bool idle)
{
    if (h->timer != NULL)
        hpet_nmi_timer_set_period(h->timer, idle ? HOST_TICK_IDLE_US : HOST_TICK_RUN_US);
}

void kernel_wait(struct host_channels *h)
{
    if (kernel_tick_running(h))
        __asm__ volatile("hlt" ::: "memory");
    else
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
