/* The diag channel on COM3 (0x3E8): inspect, log and GET test commands (docs/diag.md). */
#ifndef MEZZ_KERNEL_DIAG_H
#define MEZZ_KERNEL_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/hw/uart16550.h"
#include "get/frame.h"
#include "get/transport_uart.h"
#include "kernel/host/host_ring.h"

#define COM3_BASE 0x3E8

struct get_instance;

/* Answers one screenshot request (kernel/host/screenshot.h): args in, response body out;
 * the body length or a negative errno. */
typedef int (*diag_screenshot_fn)(void *ctx, const uint8_t *args, size_t args_len, uint8_t *out,
                                  size_t cap);

/* Runs one servicing command (words[0, n)) and writes its JSON answer into body: 0 or
 * a negative errno. */
typedef int (*diag_servicing_fn)(void *ctx, char words[][64], int n, char *body, size_t cap);

/* The diag channel: built by kernel/main.c. */
struct diag {
    /* static config, set before diag_init */
    struct get_instance *get;        /* GET test commands go to this channel */
    diag_screenshot_fn screenshot;   /* NULL: no display, screenshots answer -ENODEV */
    void *screenshot_ctx;
    diag_servicing_fn servicing;     /* NULL: no VTL0, servicing commands answer -ENODEV */
    void *servicing_ctx;
    struct host_ring_config ring_cfg;
    /* runtime glue */
    struct uart com3;
    struct uart_transport transport;
    struct host_ring ring;
    struct get_transport t;          /* the ring if the host accepted it, else the UART */
    bool up;
    uint64_t requests, bad_requests, failed_requests;
    uint8_t resp[FRAME_MAX_PAYLOAD];
};

/* Brings COM3 up and registers the "diag" inspect node. Failure is logged, not fatal. */
void diag_init(struct diag *d);
/* Answers pending requests; kernel_poll() calls it. */
void diag_poll(struct diag *d);

#endif
