/*
 * kernel_poll(): services Mezzanine's host channels (GET, diag) without blocking. The
 * VTL0 run loop calls it on every exit and the idle loop calls it continuously, so
 * the host is answered even while VTL0 runs.
 */
#ifndef MEZZ_KERNEL_POLL_H
#define MEZZ_KERNEL_POLL_H

#include <stddef.h>

struct get_instance;
struct diag;

/* The host channels one Mezzanine serves: built by kernel/main.c. */
struct host_channels {
    struct get_instance *get;
    struct diag *diag;
    /* The host's SAVE_GUEST_VTL2_STATE guest notification (servicing): its 30 bytes. Set
     * once VTL0 runs; NULL: refused with SAVE FAILURE. */
    void (*save_request)(void *ctx, const void *note, size_t len);
    void *save_request_ctx;
};

void kernel_poll(struct host_channels *h);

/*
 * The idle loop: kernel_poll() forever, with a `pause` between rounds. Busy polling
 * keeps one CPU at 100% (under TCG, one host core) but answers the host within one
 * poll round; interrupts stay off, so there is nothing to wake a `hlt`.
 */
__attribute__((noreturn)) void kernel_idle(struct host_channels *h);

#endif
