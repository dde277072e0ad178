/* kernel_poll(); see poll.h. Each host channel adds its poll call here. */
#include "kernel/host/poll.h"

#include "kernel/host/get_instance.h"
#include "kernel/host/diag.h"

void kernel_poll(void)
{
    get_poll();
    diag_poll();
}

void kernel_idle(void)
{
    for (;;) {
        kernel_poll();
        __asm__ volatile("pause");
    }
}
