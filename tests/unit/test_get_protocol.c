/*
 * Unit tests for get/protocol.h and get/codec.c: every layout's size and offsets, the
 * golden byte vectors of tests/vectors/get_messages.txt (shared with the Python tests),
 * encoder output, and every rejection path of the decoder.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "get/codec.h"
#include "get/protocol.h"

/* ---- layout table: every field of every message, by name, from offsetof ------------ */

struct field { const char *name; size_t off, size; };
struct layout { const char *kind, *name; size_t size; struct field f[12]; };

#define F(T, m) { #m, offsetof(T, m), sizeof(((T *)0)->m) }
#define P(i) { "p" #i, offsetof(struct get_vtl_crash_notification, parameters) + 8 * (i), 8 }

static const struct layout layouts[] = {
    { "request", "VERSION", sizeof(struct get_version_request), { F(struct get_version_request, version) } },
    { "response", "VERSION", sizeof(struct get_version_response),
      { F(struct get_version_response, version_accepted), F(struct get_version_response, pad) } },
    { "request", "TIME", sizeof(struct get_time_request), { { 0 } } },
    { "response", "TIME", sizeof(struct get_time_response),
      { F(struct get_time_response, pad), F(struct get_time_response, vm_reference_time),
        F(struct get_time_response, utc), F(struct get_time_response, time_zone),
        F(struct get_time_response, daylight_savings), F(struct get_time_response, pad2) } },
    { "request", "DEVICE_PLATFORM_SETTINGS_V2", sizeof(struct get_dps_v2_request), { { 0 } } },
    { "response", "DEVICE_PLATFORM_SETTINGS_V2", sizeof(struct get_dps_v2_response),
      { F(struct get_dps_v2_response, size) } },
    { "response", "DEVICE_PLATFORM_SETTINGS_V2_REV1", sizeof(struct get_dps_v2_rev1_response),
      { F(struct get_dps_v2_rev1_response, size), F(struct get_dps_v2_rev1_response, payload_state) } },
    { "request", "SAVE_GUEST_VTL2_STATE", sizeof(struct get_save_request),
      { F(struct get_save_request, save_status) } },
    { "response", "SAVE_GUEST_VTL2_STATE", sizeof(struct get_save_response),
      { F(struct get_save_response, save_status) } },
    { "request", "RESTORE_GUEST_VTL2_STATE", sizeof(struct get_restore_request),
      { F(struct get_restore_request, restore_status) } },
    { "response", "RESTORE_GUEST_VTL2_STATE", sizeof(struct get_restore_response),
      { F(struct get_restore_response, data_length), F(struct get_restore_response, restore_status) } },
    { "request", "CREATE_RAM_GPA_RANGE", sizeof(struct get_create_gpa_range_request),
      { F(struct get_create_gpa_range_request, slot), F(struct get_create_gpa_range_request, gpa_start),
        F(struct get_create_gpa_range_request, gpa_count), F(struct get_create_gpa_range_request, gpa_offset),
        F(struct get_create_gpa_range_request, flags) } },
    { "response", "CREATE_RAM_GPA_RANGE", sizeof(struct get_create_gpa_range_response),
      { F(struct get_create_gpa_range_response, status) } },
    { "request", "RESET_RAM_GPA_RANGE", sizeof(struct get_reset_gpa_range_request),
      { F(struct get_reset_gpa_range_request, slot) } },
    { "response", "RESET_RAM_GPA_RANGE", sizeof(struct get_reset_gpa_range_response), { { 0 } } },
    { "request", "MAP_FRAMEBUFFER", sizeof(struct get_map_framebuffer_request),
      { F(struct get_map_framebuffer_request, gpa) } },
    { "response", "MAP_FRAMEBUFFER", sizeof(struct get_map_framebuffer_response),
      { F(struct get_map_framebuffer_response, status) } },
    { "request", "UNMAP_FRAMEBUFFER", sizeof(struct get_unmap_framebuffer_request), { { 0 } } },
    { "response", "UNMAP_FRAMEBUFFER", sizeof(struct get_unmap_framebuffer_response),
      { F(struct get_unmap_framebuffer_response, status) } },
    { "request", "EXT_ECHO", sizeof(struct get_header), { { 0 } } },
    { "response", "EXT_ECHO", sizeof(struct get_header), { { 0 } } },
    { "host_notification", "POWER_OFF", sizeof(struct get_power_off_notification),
      { F(struct get_power_off_notification, hibernate), F(struct get_power_off_notification, pad) } },
    { "host_notification", "RESET", sizeof(struct get_reset_notification), { { 0 } } },
    { "host_notification", "EVENT_LOG", sizeof(struct get_event_log_notification),
      { F(struct get_event_log_notification, event_log_id) } },
    { "host_notification", "RESTORE_GUEST_VTL2_STATE_COMPLETED",
      sizeof(struct get_restore_completed_notification),
      { F(struct get_restore_completed_notification, status) } },
    { "host_notification", "START_VTL0_COMPLETED", sizeof(struct get_start_vtl0_completed_notification),
      { F(struct get_start_vtl0_completed_notification, status),
        F(struct get_start_vtl0_completed_notification, result_document_size) } },
    { "host_notification", "VTL_CRASH", sizeof(struct get_vtl_crash_notification),
      { F(struct get_vtl_crash_notification, vp_index), F(struct get_vtl_crash_notification, last_vtl),
        F(struct get_vtl_crash_notification, reserved0), F(struct get_vtl_crash_notification, reserved1),
        F(struct get_vtl_crash_notification, reserved2), F(struct get_vtl_crash_notification, control),
        P(0), P(1), P(2), P(3), P(4) } },
    { "host_notification", "TRIPLE_FAULT", sizeof(struct get_triple_fault_notification),
      { F(struct get_triple_fault_notification, vp_index), F(struct get_triple_fault_notification, fault_type),
        F(struct get_triple_fault_notification, register_count) } },
    { "host_notification", "EXT_VTL0_HALTED", sizeof(struct get_vtl0_halted_notification),
      { F(struct get_vtl0_halted_notification, vp_index), F(struct get_vtl0_halted_notification, reason),
        F(struct get_vtl0_halted_notification, rip) } },
    { "guest_notification", "UPDATE_GENERATION_ID", sizeof(struct get_update_generation_id_notification),
      { F(struct get_update_generation_id_notification, pad),
        F(struct get_update_generation_id_notification, generation_id) } },
    { "guest_notification", "SAVE_GUEST_VTL2_STATE", sizeof(struct get_save_state_notification),
      { F(struct get_save_state_notification, correlation_id),
        F(struct get_save_state_notification, capabilities_flags),
        F(struct get_save_state_notification, timeout_hint_secs) } },
    { "guest_notification", "VPCI_DEVICE_NOTIFICATION", sizeof(struct get_vpci_device_notification),
      { F(struct get_vpci_device_notification, bus_instance_id), F(struct get_vpci_device_notification, code) } },
    { "guest_notification", "BATTERY_STATUS", sizeof(struct get_battery_status_notification),
      { F(struct get_battery_status_notification, flags), F(struct get_battery_status_notification, max_capacity),
        F(struct get_battery_status_notification, remaining_capacity),
        F(struct get_battery_status_notification, rate) } },
    { "guest_notification", "INJECT_DEBUG_INTERRUPT", sizeof(struct get_inject_debug_interrupt_notification),
      { F(struct get_inject_debug_interrupt_notification, vtl),
        F(struct get_inject_debug_interrupt_notification, pad) } },
    { "guest_notification", "NOTIFY_POST_LIVE_MIGRATION", sizeof(struct get_post_live_migration_notification),
      { { 0 } } },
};

static uint8_t kind_type(const char *kind)
{
    if (!strcmp(kind, "host_notification")) return GET_TYPE_HOST_NOTIFICATION;
    if (!strcmp(kind, "request")) return GET_TYPE_HOST_REQUEST;
    if (!strcmp(kind, "response")) return GET_TYPE_HOST_RESPONSE;
    if (!strcmp(kind, "guest_notification")) return GET_TYPE_GUEST_NOTIFICATION;
    return 0;
}

static const struct layout *find_layout(const char *kind, const char *name)
{
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        if (!strcmp(layouts[i].kind, kind) && !strcmp(layouts[i].name, name))
            return &layouts[i];
    }
    return NULL;
}

/* ---- golden vectors ------------------------------------------------------------------ */

#define MAX_VECTORS 64
struct kv { char key[32]; uint8_t bytes[64]; size_t nbytes; uint64_t num; bool is_bytes; };
struct vector {
    char kind[32], name[48];
    struct kv kv[16];
    int nkv;
    uint8_t tail[256];
    size_t tail_len;
    uint8_t msg[512];
    size_t len;
};
static struct vector vectors[MAX_VECTORS];
static int nvectors;

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && n < cap) {
        if (s[0] == ' ') { s++; continue; }
        char b[3] = { s[0], s[1], 0 };
        out[n++] = (uint8_t)strtoul(b, NULL, 16);
        s += 2;
    }
    return n;
}

static const char *vectors_path(void)
{
    const char *env = getenv("MEZZ_VECTORS");
    return env ? env : "tests/vectors/get_messages.txt";
}

static int load_vectors(void **state)
{
    (void)state;
    FILE *f = fopen(vectors_path(), "r");
    if (!f) {
        fprintf(stderr, "cannot open %s (run from the repository root)\n", vectors_path());
        return -1;
    }
    char line[2048];
    while (fgets(line, sizeof(line), f)) {
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *sep = strstr(line, " : ");
        if (!sep)
            continue;
        *sep = '\0';
        struct vector *v = &vectors[nvectors++];
        memset(v, 0, sizeof(*v));
        v->len = unhex(sep + 3, v->msg, sizeof(v->msg));
        char *save = NULL;
        char *w = strtok_r(line, " \t", &save);
        snprintf(v->kind, sizeof(v->kind), "%s", w);
        w = strtok_r(NULL, " \t", &save);
        snprintf(v->name, sizeof(v->name), "%s", w);
        while ((w = strtok_r(NULL, " \t\n", &save))) {
            char *eq = strchr(w, '=');
            *eq = '\0';
            const char *val = eq + 1;
            if (!strcmp(w, "tail")) {
                v->tail_len = unhex(val + 2, v->tail, sizeof(v->tail));
                continue;
            }
            struct kv *kv = &v->kv[v->nkv++];
            snprintf(kv->key, sizeof(kv->key), "%s", w);
            if (!strncmp(val, "h:", 2)) {
                kv->is_bytes = true;
                kv->nbytes = unhex(val + 2, kv->bytes, sizeof(kv->bytes));
            } else {
                kv->num = strtoull(val, NULL, 0);   /* "-60" wraps, as intended */
            }
        }
    }
    fclose(f);
    return nvectors > 0 ? 0 : -1;
}

static uint64_t field_value(const uint8_t *p, size_t size)
{
    uint64_t v = 0;
    memcpy(&v, p, size);
    return v;
}

static const struct kv *find_kv(const struct vector *v, const char *key)
{
    for (int i = 0; i < v->nkv; i++) {
        if (!strcmp(v->kv[i].key, key))
            return &v->kv[i];
    }
    return NULL;
}

static void test_every_message_has_a_vector_and_a_layout(void **state)
{
    (void)state;
    size_t n;
    const struct get_msg_desc *t = get_msg_table(&n);
    for (size_t i = 0; i < n; i++) {
        bool found = false;
        for (int k = 0; k < nvectors; k++)
            found |= kind_type(vectors[k].kind) == t[i].type && !strcmp(vectors[k].name, t[i].name);
        if (!found)
            fail_msg("no golden vector for %s (type %u)", t[i].name, t[i].type);
    }
    assert_int_equal((size_t)nvectors, n);
    assert_int_equal(sizeof(layouts) / sizeof(layouts[0]), n);
}

static void test_layout_sizes_match_descriptors(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        const struct layout *l = &layouts[i];
        const struct get_msg_desc *d = NULL;
        size_t n;
        const struct get_msg_desc *t = get_msg_table(&n);
        for (size_t k = 0; k < n; k++) {
            if (t[k].type == kind_type(l->kind) && !strcmp(t[k].name, l->name))
                d = &t[k];
        }
        assert_non_null(d);
        assert_int_equal(d->size, l->size);
        /* Fields tile the message after the header with no gap and no overlap. */
        size_t at = sizeof(struct get_header);
        for (int f = 0; f < 12 && l->f[f].name; f++) {
            assert_int_equal(l->f[f].off, at);
            at += l->f[f].size;
        }
        assert_int_equal(at, l->size);
    }
}

static void test_reference_sizes_and_offsets(void **state)
{
    (void)state;
    /* The numbers of reference/openvmm-facts.md section 1, typed in independently. */
    assert_int_equal(sizeof(struct get_header), 4);
    assert_int_equal(sizeof(struct get_version_request), 8);
    assert_int_equal(sizeof(struct get_version_response), 6);
    assert_int_equal(sizeof(struct get_time_response), 32);
    assert_int_equal(offsetof(struct get_time_response, time_zone), 24);
    assert_int_equal(sizeof(struct get_create_gpa_range_request), 40);
    assert_int_equal(offsetof(struct get_create_gpa_range_request, flags), 32);
    assert_int_equal(sizeof(struct get_create_gpa_range_response), 8);
    assert_int_equal(sizeof(struct get_reset_gpa_range_request), 8);
    assert_int_equal(sizeof(struct get_reset_gpa_range_response), 4);
    assert_int_equal(sizeof(struct get_save_request), 6);
    assert_int_equal(sizeof(struct get_restore_response), 10);
    assert_int_equal(offsetof(struct get_restore_response, restore_status), 8);
    assert_int_equal(sizeof(struct get_map_framebuffer_request), 12);
    assert_int_equal(sizeof(struct get_power_off_notification), 6);
    assert_int_equal(sizeof(struct get_event_log_notification), 8);
    assert_int_equal(sizeof(struct get_start_vtl0_completed_notification), 12);
    assert_int_equal(sizeof(struct get_vtl_crash_notification), 64);
    assert_int_equal(offsetof(struct get_vtl_crash_notification, parameters), 24);
    assert_int_equal(sizeof(struct get_triple_fault_notification), 16);
    assert_int_equal(sizeof(struct get_register_state), 20);
    assert_int_equal(sizeof(struct get_save_state_notification), 30);
    assert_int_equal(offsetof(struct get_save_state_notification, timeout_hint_secs), 28);
    assert_int_equal(sizeof(struct get_dps_v2_rev1_response), 12);
    assert_int_equal(GET_VERSION_NICKEL_REV2, 0x00040002);
    assert_int_equal(GET_REQ_CREATE_RAM_GPA_RANGE, 28);
    assert_int_equal(GET_REQ_MAP_FRAMEBUFFER, 0xFFFF);
    assert_int_equal(GET_REQ_UNMAP_FRAMEBUFFER, 0xFFFE);
}

static void test_golden_vectors_decode_field_by_field(void **state)
{
    (void)state;
    for (int i = 0; i < nvectors; i++) {
        const struct vector *v = &vectors[i];
        const struct layout *l = find_layout(v->kind, v->name);
        assert_non_null(l);
        uint8_t type = kind_type(v->kind);
        const struct get_msg_desc *d = NULL;
        size_t n;
        const struct get_msg_desc *t = get_msg_table(&n);
        for (size_t k = 0; k < n; k++) {
            if (t[k].type == type && !strcmp(t[k].name, v->name))
                d = &t[k];
        }
        assert_non_null(d);
        assert_int_equal(v->len, l->size + v->tail_len);
        assert_int_equal(v->msg[0], 1);
        assert_int_equal(v->msg[1], type);
        assert_int_equal(v->msg[2] | (v->msg[3] << 8), d->id);
        uint8_t copy[128];
        size_t tail = 99;
        int err = get_decode(v->msg, v->len, type, d->id, copy, d->size, &tail);
        if (err)
            fail_msg("%s %s: decode error %d", v->kind, v->name, err);
        assert_int_equal(tail, v->tail_len);
        assert_memory_equal(v->msg + d->size, v->tail, v->tail_len);
        for (int f = 0; f < 12 && l->f[f].name; f++) {
            const struct kv *kv = find_kv(v, l->f[f].name);
            if (!kv) {
                for (size_t b = 0; b < l->f[f].size; b++)
                    assert_int_equal(copy[l->f[f].off + b], 0);
            } else if (kv->is_bytes) {
                assert_int_equal(kv->nbytes, l->f[f].size);
                assert_memory_equal(copy + l->f[f].off, kv->bytes, kv->nbytes);
            } else {
                uint64_t want = kv->num;
                if (l->f[f].size < 8)
                    want &= (1ull << (l->f[f].size * 8)) - 1;
                if (field_value(copy + l->f[f].off, l->f[f].size) != want)
                    fail_msg("%s %s.%s", v->kind, v->name, l->f[f].name);
            }
        }
    }
}

static uint64_t num(const struct vector *v, const char *key)
{
    const struct kv *kv = find_kv(v, key);
    return kv ? kv->num : 0;
}

/* Mezzanine's encoders produce the golden bytes for the messages it sends. */
static void test_encoders_produce_golden_bytes(void **state)
{
    (void)state;
    int checked = 0;
    for (int i = 0; i < nvectors; i++) {
        const struct vector *v = &vectors[i];
        uint8_t out[512];
        size_t len = 0;
        const char *n = v->name;
        if (!strcmp(v->kind, "request")) {
            if (!strcmp(n, "VERSION"))
                len = get_encode_version_request(out, (uint32_t)num(v, "version"));
            else if (!strcmp(n, "TIME"))
                len = get_encode_header_only(out, GET_TYPE_HOST_REQUEST, GET_REQ_TIME);
            else if (!strcmp(n, "DEVICE_PLATFORM_SETTINGS_V2"))
                len = get_encode_header_only(out, GET_TYPE_HOST_REQUEST, GET_REQ_DEVICE_PLATFORM_SETTINGS_V2);
            else if (!strcmp(n, "SAVE_GUEST_VTL2_STATE"))
                len = get_encode_save_chunk(out, (uint16_t)num(v, "save_status"), v->tail, v->tail_len);
            else if (!strcmp(n, "RESTORE_GUEST_VTL2_STATE"))
                len = get_encode_restore_request(out);
            else if (!strcmp(n, "CREATE_RAM_GPA_RANGE"))
                len = get_encode_create_gpa_range(out, (uint32_t)num(v, "slot"), num(v, "gpa_start"),
                                                  num(v, "gpa_count"), num(v, "gpa_offset"), num(v, "flags"));
            else if (!strcmp(n, "RESET_RAM_GPA_RANGE"))
                len = get_encode_reset_gpa_range(out, (uint32_t)num(v, "slot"));
            else if (!strcmp(n, "MAP_FRAMEBUFFER"))
                len = get_encode_map_framebuffer(out, num(v, "gpa"));
            else if (!strcmp(n, "UNMAP_FRAMEBUFFER"))
                len = get_encode_header_only(out, GET_TYPE_HOST_REQUEST, GET_REQ_UNMAP_FRAMEBUFFER);
            else
                continue;
        } else if (!strcmp(v->kind, "host_notification")) {
            if (!strcmp(n, "POWER_OFF"))
                len = get_encode_power_off(out, num(v, "hibernate") != 0);
            else if (!strcmp(n, "RESET"))
                len = get_encode_header_only(out, GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_RESET);
            else if (!strcmp(n, "EVENT_LOG"))
                len = get_encode_event_log(out, (uint32_t)num(v, "event_log_id"));
            else if (!strcmp(n, "RESTORE_GUEST_VTL2_STATE_COMPLETED"))
                len = get_encode_restore_completed(out, (uint16_t)num(v, "status"));
            else if (!strcmp(n, "START_VTL0_COMPLETED")) {
                char text[64] = { 0 };
                memcpy(text, v->tail, v->tail_len);
                len = get_encode_start_vtl0_completed(out, sizeof(out), (uint32_t)num(v, "status"), text);
            } else if (!strcmp(n, "VTL_CRASH")) {
                uint64_t p[5] = { num(v, "p0"), num(v, "p1"), num(v, "p2"), num(v, "p3"), num(v, "p4") };
                len = get_encode_vtl_crash(out, (uint32_t)num(v, "vp_index"), (uint8_t)num(v, "last_vtl"),
                                           num(v, "control"), p);
            } else if (!strcmp(n, "EXT_VTL0_HALTED")) {
                len = get_encode_vtl0_halted(out, (uint32_t)num(v, "vp_index"), (uint32_t)num(v, "reason"),
                                             num(v, "rip"));
            } else if (!strcmp(n, "TRIPLE_FAULT")) {
                struct get_register_state regs[8];
                memcpy(regs, v->tail, v->tail_len);
                len = get_encode_triple_fault(out, (uint32_t)num(v, "vp_index"), (uint32_t)num(v, "fault_type"),
                                              regs, (uint32_t)num(v, "register_count"));
            } else {
                continue;
            }
        } else {
            continue;
        }
        if (len != v->len || memcmp(out, v->msg, len) != 0)
            fail_msg("encoder for %s %s does not produce the golden bytes", v->kind, n);
        checked++;
    }
    assert_int_equal(checked, 17);
}

/* ---- rejection paths --------------------------------------------------------------- */

static int decode_create_resp(const uint8_t *m, size_t len)
{
    struct get_create_gpa_range_response r;
    return get_decode(m, len, GET_TYPE_HOST_RESPONSE, GET_REQ_CREATE_RAM_GPA_RANGE, &r, sizeof(r), NULL);
}

static void test_rejects_each_defect_with_its_own_error(void **state)
{
    (void)state;
    uint8_t ok[8] = { 1, 3, 28, 0, 0, 0, 0, 0 };
    uint8_t m[16];
    assert_int_equal(decode_create_resp(ok, 8), 0);
    assert_int_equal(decode_create_resp(ok, 7), -EMSGSIZE);          /* short */
    memcpy(m, ok, 8);
    m[8] = 0;
    assert_int_equal(decode_create_resp(m, 9), -EMSGSIZE);           /* long */
    assert_int_equal(decode_create_resp(ok, 3), -EMSGSIZE);          /* no header */
    memcpy(m, ok, 8); m[0] = 0;
    assert_int_equal(decode_create_resp(m, 8), -EPROTONOSUPPORT);    /* header version 0 */
    m[0] = 2;
    assert_int_equal(decode_create_resp(m, 8), -EPROTONOSUPPORT);
    memcpy(m, ok, 8); m[1] = 4;
    assert_int_equal(decode_create_resp(m, 8), -EPROTOTYPE);         /* wrong type */
    m[1] = 9;
    assert_int_equal(decode_create_resp(m, 8), -EPROTOTYPE);         /* no such type */
    memcpy(m, ok, 8); m[2] = 29;
    assert_int_equal(decode_create_resp(m, 8), -EBADMSG);            /* wrong id */
    memcpy(m, ok, 8); m[4] = 6;
    assert_int_equal(decode_create_resp(m, 8), -ERANGE);             /* status 6 */
    struct get_create_gpa_range_response r;
    assert_int_equal(get_decode(ok, 8, GET_TYPE_HOST_RESPONSE, 0x7777, &r, sizeof(r), NULL), -EBADMSG);
    assert_int_equal(get_decode(ok, 8, GET_TYPE_HOST_RESPONSE, 28, &r, 4, NULL), -EMSGSIZE);
}

static void test_rejects_bad_protocol_bool(void **state)
{
    (void)state;
    uint8_t v[6] = { 1, 3, 1, 0, 2, 0 };
    struct get_version_response r;
    assert_int_equal(get_decode(v, 6, GET_TYPE_HOST_RESPONSE, 1, &r, sizeof(r), NULL), -EINVAL);
    v[4] = 1;
    assert_int_equal(get_decode(v, 6, GET_TYPE_HOST_RESPONSE, 1, &r, sizeof(r), NULL), 0);
    uint8_t t[32] = { 1, 3, 2, 0 };
    t[26] = 7;
    struct get_time_response tr;
    assert_int_equal(get_decode(t, 32, GET_TYPE_HOST_RESPONSE, 2, &tr, sizeof(tr), NULL), -EINVAL);
    uint8_t p[6] = { 1, 1, 1, 0, 0xFF, 0 };
    struct get_power_off_notification pn;
    assert_int_equal(get_decode(p, 6, GET_TYPE_HOST_NOTIFICATION, 1, &pn, sizeof(pn), NULL), -EINVAL);
}

static void test_rejects_length_fields_that_disagree(void **state)
{
    (void)state;
    uint8_t m[32] = { 1, 3, 18, 0, 3, 0, 0, 0, 'a', 'b', 'c' };
    struct get_dps_v2_response d;
    size_t tail;
    assert_int_equal(get_decode(m, 11, GET_TYPE_HOST_RESPONSE, 18, &d, sizeof(d), &tail), 0);
    assert_int_equal(tail, 3);
    assert_int_equal(get_decode(m, 10, GET_TYPE_HOST_RESPONSE, 18, &d, sizeof(d), &tail), -EMSGSIZE);
    uint8_t r1[16] = { 1, 3, 27, 0, 1, 0, 0, 0, 2, 0, 0, 0, 'x' };
    struct get_dps_v2_rev1_response d1;
    assert_int_equal(get_decode(r1, 13, GET_TYPE_HOST_RESPONSE, 27, &d1, sizeof(d1), NULL), -ERANGE);
    r1[8] = 1;
    assert_int_equal(get_decode(r1, 13, GET_TYPE_HOST_RESPONSE, 27, &d1, sizeof(d1), NULL), 0);
    uint8_t rr[16] = { 1, 3, 21, 0, 5, 0, 0, 0, 2, 0, 1, 2, 3 };
    struct get_restore_response rs;
    assert_int_equal(get_decode(rr, 13, GET_TYPE_HOST_RESPONSE, 21, &rs, sizeof(rs), NULL), -EMSGSIZE);
    rr[4] = 3;
    assert_int_equal(get_decode(rr, 13, GET_TYPE_HOST_RESPONSE, 21, &rs, sizeof(rs), NULL), 0);
    rr[8] = 3;   /* REQUEST_DATA is not a response status */
    assert_int_equal(get_decode(rr, 13, GET_TYPE_HOST_RESPONSE, 21, &rs, sizeof(rs), NULL), -ERANGE);
    uint8_t tf[36] = { 1, 1, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0 };
    struct get_triple_fault_notification tfn;
    assert_int_equal(get_decode(tf, 36, GET_TYPE_HOST_NOTIFICATION, 9, &tfn, sizeof(tfn), NULL), -EMSGSIZE);
    tf[12] = 1;
    assert_int_equal(get_decode(tf, 36, GET_TYPE_HOST_NOTIFICATION, 9, &tfn, sizeof(tfn), NULL), 0);
    uint8_t sv[12] = { 1, 3, 20, 0, 2, 0 };
    struct get_save_response sr;
    assert_int_equal(get_decode(sv, 6, GET_TYPE_HOST_RESPONSE, 20, &sr, sizeof(sr), NULL), -ERANGE);
    uint8_t big[GET_MAX_MESSAGE_SIZE + 8] = { 1, 3, 18, 0 };
    uint32_t sz = GET_MAX_MESSAGE_SIZE;
    memcpy(big + 4, &sz, 4);
    assert_int_equal(get_decode(big, GET_MAX_MESSAGE_SIZE + 8, GET_TYPE_HOST_RESPONSE, 18, &d, sizeof(d), NULL),
                     -EMSGSIZE);
}

static void test_peek_header_and_error_names(void **state)
{
    (void)state;
    struct get_header h;
    uint8_t m[4] = { 1, 4, 2, 0 };
    assert_int_equal(get_peek_header(m, 4, &h), 0);
    assert_int_equal(h.id, 2);
    assert_int_equal(get_peek_header(m, 2, &h), -EMSGSIZE);
    m[1] = 0;
    assert_int_equal(get_peek_header(m, 4, &h), -EPROTOTYPE);
    assert_string_equal(get_codec_error_name(-EINVAL), "protocol-bool");
    assert_string_equal(get_codec_error_name(-EMSGSIZE), "length");
    assert_null(get_msg_find(GET_TYPE_HOST_REQUEST, 0x4242));
}

static void test_encoders_clamp_oversized_input(void **state)
{
    (void)state;
    static uint8_t big[GET_MAX_MESSAGE_SIZE * 2];
    static uint8_t out[GET_MAX_MESSAGE_SIZE * 2];
    assert_int_equal(get_encode_save_chunk(out, 0, big, GET_MAX_PAYLOAD_SIZE + 10),
                     sizeof(struct get_save_request) + GET_MAX_PAYLOAD_SIZE);
    assert_int_equal(get_encode_start_vtl0_completed(out, 14, 1, "abcdef"), 14);
    assert_int_equal(get_encode_start_vtl0_completed(out, 8, 1, "abc"), 0);
    size_t n = get_encode_triple_fault(out, 0, 1, (const struct get_register_state *)big, 100000);
    assert_true(n <= GET_MAX_MESSAGE_SIZE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_message_has_a_vector_and_a_layout),
        cmocka_unit_test(test_layout_sizes_match_descriptors),
        cmocka_unit_test(test_reference_sizes_and_offsets),
        cmocka_unit_test(test_golden_vectors_decode_field_by_field),
        cmocka_unit_test(test_encoders_produce_golden_bytes),
        cmocka_unit_test(test_rejects_each_defect_with_its_own_error),
        cmocka_unit_test(test_rejects_bad_protocol_bool),
        cmocka_unit_test(test_rejects_length_fields_that_disagree),
        cmocka_unit_test(test_peek_header_and_error_names),
        cmocka_unit_test(test_encoders_clamp_oversized_input),
    };
    return cmocka_run_group_tests(tests, load_vectors, NULL);
}
