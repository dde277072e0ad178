/*
 * The GET in the kernel: COM2 (0x2F8) transport, the client, DPS, and the calls other
 * parts of Mezzanine make. Failures are logged and counted (inspect "get"), never fatal:
 * Mezzanine keeps running without a host.
 */
#ifndef MEZZ_GET_GET_H
#define MEZZ_GET_GET_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "arch/x86_64/svm/guest_regs.h"
#include "drivers/hw/uart16550.h"
#include "get/client.h"
#include "get/dps.h"
#include "get/transport_uart.h"
#include "kernel/host/host_ring.h"

#define COM2_BASE 0x2F8
#define GET_DPS_BUF_SIZE    16384u
#define GET_BENCH_MAX_N     1000u
#define GET_BENCH_BLOB_MAX  (4u * 1024u * 1024u)   /* with bench_mem of twice that */

struct inspect_writer;

/* One GET channel: built by kernel/main.c, passed to whoever talks to the host. */
struct get_instance {
    /* static config, set by kernel/main.c before get_start */
    struct host_ring_config ring_cfg;
    /* runtime glue */
    struct uart com2;
    struct uart_transport transport;
    struct host_ring ring;           /* the fast path, when the host accepted it */
    struct get_client client;
    bool up;                         /* the transport was brought up (COM2 exists) */
    bool connect_begun;              /* get_connect_begin ran, get_start_begin not yet */
    bool fresh_bring_up;             /* and it brought the transport up */
    bool inspect_registered;
    void (*slot_table_fn)(struct inspect_writer *w, void *ctx);
    void *slot_table_ctx;
    /* what the host said */
    struct dps dps;
    bool dps_valid;
    uint64_t dps_errors, dps_reads, start_errors;
    int last_start_error;
    char dps_buf[GET_DPS_BUF_SIZE];
    struct get_req dps_req;          /* sent by get_connect_begin/get_start_begin,
                                      * answered by get_start_finish */
    bool dps_pending;
    /* benchmark scratch (diag "get bench") */
    uint64_t samples[GET_BENCH_MAX_N];
    /* 2 * GET_BENCH_BLOB_MAX bytes (the blob sent and the copy restored), taken from
     * bench_alloc (kernel/main.c) the first time a blob benchmark runs, not at every
     * boot: 8 MiB of the VTL2 heap that nothing else needs. NULL: not yet, or none. */
    uint8_t *bench_mem;
    void *(*bench_alloc)(void *ctx, size_t bytes);
    void *bench_alloc_ctx;
};

/* After boot: transport up, version negotiated, DPS read. Returns 0 or the first error
 * (already logged and counted); the GET stays usable and retries on the next call. */
int get_start(struct get_instance *g);
/* get_start in three steps, for a servicing boot (docs/servicing.md), so the host
 * answers while Mezzanine builds the partition and its devices: get_connect_begin brings
 * the transport up and sends VERSION with the DPS request right behind it (the host
 * reads in order, one wake-up answers both); get_start_begin takes the version
 * (connecting first if that was not begun; after the carried-rings fallback it sends DPS
 * anew, after a failed negotiation nothing); get_start_finish waits for the DPS answer
 * and parses it (0 at once if no DPS is pending), taking the version first if only the
 * connect was begun. */
int get_connect_begin(struct get_instance *g);
int get_start_begin(struct get_instance *g);
int get_start_finish(struct get_instance *g);
/* Services the channel; kernel_poll() calls it. */
void get_poll(struct get_instance *g);
/* True once the version is negotiated and the channel is up: a host is there. */
bool get_is_up(struct get_instance *g);

/* Halts of VTL0, reported to the host (SPEC section 5). POWER_OFF and RESET wait behind
 * the request in flight; TRIPLE_FAULT goes at once. Each returns once written. */
void get_notify_power_off(struct get_instance *g, bool hibernate);
void get_notify_reset(struct get_instance *g);
void get_notify_triple_fault(struct get_instance *g, const struct guest_gprs *gprs, const struct guest_cpu_state *cpu);
/* EXT_VTL0_HALTED (ours): VTL0 stopped itself with a HLT it cannot leave; queued like
 * POWER_OFF. */
void get_notify_vtl0_halted(struct get_instance *g, uint64_t rip);
void get_notify_start_vtl0_completed(struct get_instance *g);
void get_notify_event_log(struct get_instance *g, uint32_t event_log_id);
void get_notify_vtl_crash(struct get_instance *g, uint32_t vp_index, uint8_t last_vtl, uint64_t control,
                          const uint64_t parameters[5]);
/* 0, or the error that kept it from the host (-ENOTCONN: no GET). */
int get_notify_restore_completed(struct get_instance *g, bool success);
/* Servicing refused before the blob was sent: SAVE with status FAILURE, no answer. */
void get_send_save_failure(struct get_instance *g);

/*
 * CREATE_RAM_GPA_RANGE: asks the host to back [gpa_start, gpa_start + len) with VTL0 RAM
 * at gpa_offset (flags: GET_GPA_FLAG_ROM_MB). On return 0, *status is the host's answer
 * (GET_GPA_SUCCESS ... GET_GPA_FAILED); a negative errno means no answer was had
 * (-ETIMEDOUT, -ENOTCONN, -EBADMSG...). timeout_us 0 = the default (2 s).
 */
int get_create_ram_gpa_range(struct get_instance *g, uint32_t slot, uint64_t gpa_start, uint64_t len,
                             uint64_t gpa_offset, uint64_t flags, uint64_t timeout_us,
                             uint32_t *status);
/* RESET_RAM_GPA_RANGE: the host's answer has no status; returns 0 or a negative errno. */
int get_reset_ram_gpa_range(struct get_instance *g, uint32_t slot, uint64_t timeout_us);

/* Servicing blob: SAVE sends blob in chunks (0 on host SUCCESS, -EIO on FAILURE);
 * RESTORE fetches it into buf (*len = bytes; -E2BIG if it does not fit). */
int get_save_state(struct get_instance *g, const void *blob, size_t len, uint64_t timeout_us);
int get_restore_state(struct get_instance *g, void *buf, size_t cap, size_t *len, uint64_t timeout_us);
/* The same in two steps, for a caller with work to do meanwhile (a servicing boot builds
 * its partition while the host answers): submit sends the request now (r and buf must
 * live until wait returns); wait collects the answer as get_restore_state would. */
int get_restore_state_submit(struct get_instance *g, struct get_req *r, void *buf, size_t cap,
                             uint64_t timeout_us);
int get_restore_state_wait(struct get_instance *g, struct get_req *r, size_t *len);

/* Re-reads DPS. Returns 0 and fills *out, or a negative errno. */
int get_read_dps(struct get_instance *g, struct dps *out);
/* TIME request: the host's UTC (100 ns since 1601). */
int get_read_time(struct get_instance *g, int64_t *utc);
/* MAP/UNMAP_FRAMEBUFFER: 0 with *status = host status, or a negative errno. */
int get_map_framebuffer(struct get_instance *g, uint64_t gpa, uint32_t *status);
int get_unmap_framebuffer(struct get_instance *g, uint32_t *status);

/* The GET-backed PAM fills inspect "get/slot_table" (the slots as Mezzanine sees them)
 * through fn, called inside that object; until then it is empty. */
void get_set_slot_table_inspect(struct get_instance *g, void (*fn)(struct inspect_writer *w, void *ctx), void *ctx);

/* A guest notification buffered for its consumer (servicing takes SAVE requests). */
size_t get_take_guest_notification(struct get_instance *g, uint16_t id, void *out, size_t cap);

/* Benchmark (diag "get bench"): n round trips each of the raw transport echo and a TIME
 * request, then SAVE and RESTORE of a blob_bytes blob. Times in ns; JSON into out. */
int get_bench(struct get_instance *g, unsigned n, size_t blob_bytes, char *out, size_t cap);

#endif
