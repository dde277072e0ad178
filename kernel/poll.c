/* kernel_poll(); see poll.h. Each host channel adds its poll call here. */
#include "kernel/poll.h"

#include "get/get.h"
#include "kernel/diag.h"

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
