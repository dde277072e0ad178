/* The host channels' poll set; see poll.h. */
#include "kernel/host/poll.h"

#include "kernel/host/diag.h"
#include "kernel/host/get_instance.h"
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

void kernel_idle(struct host_channels *h)
{
    for (;;) {
        kernel_poll(h);
        __asm__ volatile("pause");
    }
}
