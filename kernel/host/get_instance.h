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
#include "get/dps.h"

#define COM2_BASE 0x2F8

/* After boot: transport up, version negotiated, DPS read. Returns 0 or the first error
 * (already logged and counted); the GET stays usable and retries on the next call. */
int get_start(void);
/* Services the channel; kernel_poll() calls it. */
void get_poll(void);
/* True once the version is negotiated and the channel is up: a host is there. */
bool get_is_up(void);

/* Halts of VTL0, reported to the host (SPEC section 5). POWER_OFF and RESET wait behind
 * the request in flight; TRIPLE_FAULT goes at once. Each returns once written. */
void get_notify_power_off(bool hibernate);
void get_notify_reset(void);
void get_notify_triple_fault(const struct guest_gprs *gprs, const struct guest_cpu_state *cpu);
void get_notify_start_vtl0_completed(void);
void get_notify_event_log(uint32_t event_log_id);
void get_notify_vtl_crash(uint32_t vp_index, uint8_t last_vtl, uint64_t control,
                          const uint64_t parameters[5]);
void get_notify_restore_completed(bool success);

/*
 * CREATE_RAM_GPA_RANGE: asks the host to back [gpa_start, gpa_start + len) with VTL0 RAM
 * at gpa_offset (flags: GET_GPA_FLAG_ROM_MB). On return 0, *status is the host's answer
 * (GET_GPA_SUCCESS ... GET_GPA_FAILED); a negative errno means no answer was had
 * (-ETIMEDOUT, -ENOTCONN, -EBADMSG...). timeout_us 0 = the default (2 s).
 */
int get_create_ram_gpa_range(uint32_t slot, uint64_t gpa_start, uint64_t len,
                             uint64_t gpa_offset, uint64_t flags, uint64_t timeout_us,
                             uint32_t *status);
/* RESET_RAM_GPA_RANGE: the host's answer has no status; returns 0 or a negative errno. */
int get_reset_ram_gpa_range(uint32_t slot, uint64_t timeout_us);

/* Servicing blob: SAVE sends blob in chunks (0 on host SUCCESS, -EIO on FAILURE);
 * RESTORE fetches it into buf (*len = bytes; -E2BIG if it does not fit). */
int get_save_state(const void *blob, size_t len, uint64_t timeout_us);
int get_restore_state(void *buf, size_t cap, size_t *len, uint64_t timeout_us);

/* Re-reads DPS. Returns 0 and fills *out, or a negative errno. */
int get_read_dps(struct dps *out);
/* TIME request: the host's UTC (100 ns since 1601). */
int get_read_time(int64_t *utc);
/* MAP/UNMAP_FRAMEBUFFER: 0 with *status = host status, or a negative errno. */
int get_map_framebuffer(uint64_t gpa, uint32_t *status);
int get_unmap_framebuffer(uint32_t *status);

/* The GET-backed PAM fills inspect "get/slot_table" (the slots as Mezzanine sees them)
 * through fn, called inside that object; until then it is empty. */
struct inspect_writer;
void get_set_slot_table_inspect(void (*fn)(struct inspect_writer *w, void *ctx), void *ctx);

/* A guest notification buffered for its consumer (servicing takes SAVE requests). */
size_t get_take_guest_notification(uint16_t id, void *out, size_t cap);

/* Benchmark (diag "get bench"): n round trips each of the raw transport echo and a TIME
 * request, then SAVE and RESTORE of a blob_bytes blob. Times in ns; JSON into out. */
int get_bench(unsigned n, size_t blob_bytes, char *out, size_t cap);

#endif
