/* The host channels' poll set; see poll.h. */
#include "kernel/host/poll.h"

#include "kernel/host/diag.h"
#include "kernel/host/get_instance.h"

void kernel_poll(struct host_channels *h)
{
    get_poll(h->get);
    diag_poll(h->diag);
}

void kernel_idle(struct host_channels *h)
{
    for (;;) {
        kernel_poll(h);
        __asm__ volatile("pause");
    }
}
