/* kernel_poll(); see poll.h. Each host channel adds its poll call here. */
#include "kernel/poll.h"

void kernel_poll(void)
{
}
