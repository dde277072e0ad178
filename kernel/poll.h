/*
 * kernel_poll(): services Mezzanine's host channels (GET, diag) without blocking. The
 * VTL0 run loop calls it on every exit and the idle loop calls it continuously, so
 * the host is answered even while VTL0 runs.
 */
#ifndef MEZZ_KERNEL_POLL_H
#define MEZZ_KERNEL_POLL_H

void kernel_poll(void);

#endif
