/* GET codec; see codec.h. */
#include "get/codec.h"

#include <errno.h>
#include <string.h>

#define REQ(n, i, s, t)   { n, GET_TYPE_HOST_REQUEST, i, s, t }
#define RESP(n, i, s, t)  { n, GET_TYPE_HOST_RESPONSE, i, s, t }
#define HNOTE(n, i, s, t) { n, GET_TYPE_HOST_NOTIFICATION, i, s, t }
#define GNOTE(n, i, s, t) { n, GET_TYPE_GUEST_NOTIFICATION, i, s, t }

static const struct get_msg_desc table[] = {
    REQ("VERSION", GET_REQ_VERSION, 8, false),
    RESP("VERSION", GET_REQ_VERSION, 6, false),
    REQ("TIME", GET_REQ_TIME, 4, false),
    RESP("TIME", GET_REQ_TIME, 32, false),
    REQ("DEVICE_PLATFORM_SETTINGS_V2", GET_REQ_DEVICE_PLATFORM_SETTINGS_V2, 4, false),
    RESP("DEVICE_PLATFORM_SETTINGS_V2", GET_REQ_DEVICE_PLATFORM_SETTINGS_V2, 8, true),
    RESP("DEVICE_PLATFORM_SETTINGS_V2_REV1", GET_REQ_DEVICE_PLATFORM_SETTINGS_V2_REV1, 12, true),
    REQ("SAVE_GUEST_VTL2_STATE", GET_REQ_SAVE_GUEST_VTL2_STATE, 6, true),
    RESP("SAVE_GUEST_VTL2_STATE", GET_REQ_SAVE_GUEST_VTL2_STATE, 6, false),
    REQ("RESTORE_GUEST_VTL2_STATE", GET_REQ_RESTORE_GUEST_VTL2_STATE, 6, false),
    RESP("RESTORE_GUEST_VTL2_STATE", GET_REQ_RESTORE_GUEST_VTL2_STATE, 10, true),
    REQ("CREATE_RAM_GPA_RANGE", GET_REQ_CREATE_RAM_GPA_RANGE, 40, false),
    RESP("CREATE_RAM_GPA_RANGE", GET_REQ_CREATE_RAM_GPA_RANGE, 8, false),
    REQ("RESET_RAM_GPA_RANGE", GET_REQ_RESET_RAM_GPA_RANGE, 8, false),
    RESP("RESET_RAM_GPA_RANGE", GET_REQ_RESET_RAM_GPA_RANGE, 4, false),
    REQ("MAP_FRAMEBUFFER", GET_REQ_MAP_FRAMEBUFFER, 12, false),
    RESP("MAP_FRAMEBUFFER", GET_REQ_MAP_FRAMEBUFFER, 8, false),
    REQ("UNMAP_FRAMEBUFFER", GET_REQ_UNMAP_FRAMEBUFFER, 4, false),
    RESP("UNMAP_FRAMEBUFFER", GET_REQ_UNMAP_FRAMEBUFFER, 8, false),
    REQ("EXT_ECHO", GET_REQ_EXT_ECHO, 4, true),
    RESP("EXT_ECHO", GET_REQ_EXT_ECHO, 4, true),
    HNOTE("POWER_OFF", GET_HNOTE_POWER_OFF, 6, false),
    HNOTE("RESET", GET_HNOTE_RESET, 4, false),
    HNOTE("EVENT_LOG", GET_HNOTE_EVENT_LOG, 8, false),
    HNOTE("RESTORE_GUEST_VTL2_STATE_COMPLETED", GET_HNOTE_RESTORE_GUEST_VTL2_STATE_COMPLETED, 6, false),
    HNOTE("START_VTL0_COMPLETED", GET_HNOTE_START_VTL0_COMPLETED, 12, true),
    HNOTE("VTL_CRASH", GET_HNOTE_VTL_CRASH, 64, false),
    HNOTE("TRIPLE_FAULT", GET_HNOTE_TRIPLE_FAULT, 16, true),
    HNOTE("EXT_VTL0_HALTED", GET_HNOTE_EXT_VTL0_HALTED, 20, false),
    GNOTE("UPDATE_GENERATION_ID", GET_GNOTE_UPDATE_GENERATION_ID, 24, false),
    GNOTE("SAVE_GUEST_VTL2_STATE", GET_GNOTE_SAVE_GUEST_VTL2_STATE, 30, false),
    GNOTE("VPCI_DEVICE_NOTIFICATION", GET_GNOTE_VPCI_DEVICE_NOTIFICATION, 24, false),
    GNOTE("BATTERY_STATUS", GET_GNOTE_BATTERY_STATUS, 20, false),
    GNOTE("INJECT_DEBUG_INTERRUPT", GET_GNOTE_INJECT_DEBUG_INTERRUPT, 6, false),
    GNOTE("NOTIFY_POST_LIVE_MIGRATION", GET_GNOTE_NOTIFY_POST_LIVE_MIGRATION, 4, false),
};

const struct get_msg_desc *get_msg_table(size_t *count)
{
    *count = ARRAY_SIZE(table);
    return table;
}

const struct get_msg_desc *get_msg_find(uint8_t type, uint16_t id)
{
    for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
        if (table[i].type == type && table[i].id == id)
            return &table[i];
    }
    return NULL;
}

int get_peek_header(const void *msg, size_t len, struct get_header *out)
{
    if (len < sizeof(*out))
        return -EMSGSIZE;
    memcpy(out, msg, sizeof(*out));
    if (out->version != GET_HEADER_VERSION_1)
        return -EPROTONOSUPPORT;
    if (out->type < GET_TYPE_HOST_NOTIFICATION || out->type > GET_TYPE_GUEST_NOTIFICATION)
        return -EPROTOTYPE;
    return 0;
}

static bool is_bool(uint8_t v) { return v == 0 || v == 1; }

static bool save_restore_status_ok(uint16_t s, bool allow_more)
{
    return s == GET_SAVE_RESTORE_SUCCESS || s == GET_SAVE_RESTORE_FAILURE ||
           (allow_more && s == GET_SAVE_RESTORE_MORE_DATA);
}

/* Checks that depend on the message's own fields, run on the copy. */
static int check_fields(const struct get_msg_desc *d, const void *m, size_t tail)
{
    if (d->type == GET_TYPE_HOST_RESPONSE) {
        switch (d->id) {
        case GET_REQ_VERSION:
            return is_bool(((const struct get_version_response *)m)->version_accepted) ? 0 : -EINVAL;
        case GET_REQ_TIME:
            return is_bool(((const struct get_time_response *)m)->daylight_savings) ? 0 : -EINVAL;
        case GET_REQ_DEVICE_PLATFORM_SETTINGS_V2:
            return ((const struct get_dps_v2_response *)m)->size == tail ? 0 : -EMSGSIZE;
        case GET_REQ_DEVICE_PLATFORM_SETTINGS_V2_REV1: {
            const struct get_dps_v2_rev1_response *r = m;
            if (r->size != tail)
                return -EMSGSIZE;
            return r->payload_state <= GET_DPS_PAYLOAD_MORE ? 0 : -ERANGE;
        }
        case GET_REQ_SAVE_GUEST_VTL2_STATE:
            return save_restore_status_ok(((const struct get_save_response *)m)->save_status, false)
                   ? 0 : -ERANGE;
        case GET_REQ_RESTORE_GUEST_VTL2_STATE: {
            const struct get_restore_response *r = m;
            if (r->data_length != tail || tail > GET_MAX_PAYLOAD_SIZE)
                return -EMSGSIZE;
            return save_restore_status_ok(r->restore_status, true) ? 0 : -ERANGE;
        }
        case GET_REQ_CREATE_RAM_GPA_RANGE:
            return ((const struct get_create_gpa_range_response *)m)->status <= GET_GPA_FAILED
                   ? 0 : -ERANGE;
        case GET_REQ_MAP_FRAMEBUFFER:
            return ((const struct get_map_framebuffer_response *)m)->status <= GET_FB_FAIL ? 0 : -ERANGE;
        case GET_REQ_UNMAP_FRAMEBUFFER:
            return ((const struct get_unmap_framebuffer_response *)m)->status <= GET_FB_FAIL ? 0 : -ERANGE;
        default:
            return 0;
        }
    }
    if (d->type == GET_TYPE_HOST_NOTIFICATION) {
        switch (d->id) {
        case GET_HNOTE_POWER_OFF:
            return is_bool(((const struct get_power_off_notification *)m)->hibernate) ? 0 : -EINVAL;
        case GET_HNOTE_RESTORE_GUEST_VTL2_STATE_COMPLETED:
            return save_restore_status_ok(((const struct get_restore_completed_notification *)m)->status,
                                          false) ? 0 : -ERANGE;
        case GET_HNOTE_START_VTL0_COMPLETED: {
            const struct get_start_vtl0_completed_notification *n = m;
            if (n->result_document_size != tail)
                return -EMSGSIZE;
            return n->status <= GET_START_VTL0_FAIL ? 0 : -ERANGE;
        }
        case GET_HNOTE_EXT_VTL0_HALTED:
            return ((const struct get_vtl0_halted_notification *)m)->reason ==
                   GET_VTL0_HALTED_HLT_IF_CLEAR ? 0 : -ERANGE;
        case GET_HNOTE_TRIPLE_FAULT: {
            const struct get_triple_fault_notification *n = m;
            if (n->register_count > GET_TRIPLE_FAULT_MAX_REGS ||
                (size_t)n->register_count * sizeof(struct get_register_state) != tail)
                return -EMSGSIZE;
            return 0;
        }
        default:
            return 0;
        }
    }
    if (d->type == GET_TYPE_HOST_REQUEST) {
        switch (d->id) {
        case GET_REQ_SAVE_GUEST_VTL2_STATE:
            if (tail > GET_MAX_PAYLOAD_SIZE)
                return -EMSGSIZE;
            return ((const struct get_save_request *)m)->save_status <= GET_SAVE_RESTORE_MORE_DATA
                   ? 0 : -ERANGE;
        case GET_REQ_RESTORE_GUEST_VTL2_STATE:
            return ((const struct get_restore_request *)m)->restore_status ==
                   GET_SAVE_RESTORE_REQUEST_DATA ? 0 : -ERANGE;
        case GET_REQ_CREATE_RAM_GPA_RANGE:
            return 0;   /* flags are the host's to judge (INVALID_FLAG is a real status) */
        default:
            return 0;
        }
    }
    /* Guest notifications. */
    if (d->id == GET_GNOTE_INJECT_DEBUG_INTERRUPT)
        return ((const struct get_inject_debug_interrupt_notification *)m)->vtl <= 2 ? 0 : -ERANGE;
    return 0;
}

int get_decode(const void *msg, size_t len, uint8_t type, uint16_t id, void *out,
               size_t out_size, size_t *tail_len)
{
    struct get_header hdr;
    int err = get_peek_header(msg, len, &hdr);
    if (err)
        return err;
    if (hdr.type != type)
        return -EPROTOTYPE;
    if (hdr.id != id)
        return -EBADMSG;
    const struct get_msg_desc *d = get_msg_find(type, id);
    if (d == NULL)
        return -EBADMSG;
    if (out_size != d->size)
        return -EMSGSIZE;   /* caller bug, reported as a length error, never a crash */
    if (len < d->size || (!d->tail && len != d->size) || len > GET_MAX_MESSAGE_SIZE)
        return -EMSGSIZE;
    memcpy(out, msg, d->size);
    size_t tail = len - d->size;
    err = check_fields(d, out, tail);
    if (err)
        return err;
    if (tail_len)
        *tail_len = tail;
    return 0;
}

const char *get_codec_error_name(int err)
{
    switch (err) {
    case 0: return "ok";
    case -EMSGSIZE: return "length";
    case -EPROTONOSUPPORT: return "header-version";
    case -EPROTOTYPE: return "type";
    case -EBADMSG: return "id";
    case -EINVAL: return "protocol-bool";
    case -ERANGE: return "value";
    default: return "other";
    }
}

/* ---- encoders ------------------------------------------------------------------------ */

/* Stamps the header of m (a message struct, whose first member is its header) and copies
 * its size bytes into buf. */
static size_t put(void *buf, void *m, size_t size, uint8_t type, uint16_t id)
{
    get_header_init((struct get_header *)m, type, id);
    memcpy(buf, m, size);
    return size;
}

/* Appends len bytes of data after the off bytes already in buf. */
static size_t put_tail(void *buf, size_t off, const void *data, size_t len)
{
    if (len)
        memcpy((uint8_t *)buf + off, data, len);
    return off + len;
}

size_t get_encode_header_only(void *buf, uint8_t type, uint16_t id)
{
    struct get_header h;
    return put(buf, &h, sizeof(h), type, id);
}

size_t get_encode_version_request(void *buf, uint32_t version)
{
    struct get_version_request m = { .version = version };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST, GET_REQ_VERSION);
}

size_t get_encode_create_gpa_range(void *buf, uint32_t slot, uint64_t gpa_start,
                                   uint64_t gpa_count, uint64_t gpa_offset, uint64_t flags)
{
    struct get_create_gpa_range_request m = {
        .slot = slot, .gpa_start = gpa_start, .gpa_count = gpa_count,
        .gpa_offset = gpa_offset, .flags = flags,
    };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST, GET_REQ_CREATE_RAM_GPA_RANGE);
}

size_t get_encode_reset_gpa_range(void *buf, uint32_t slot)
{
    struct get_reset_gpa_range_request m = { .slot = slot };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST, GET_REQ_RESET_RAM_GPA_RANGE);
}

size_t get_encode_map_framebuffer(void *buf, uint64_t gpa)
{
    struct get_map_framebuffer_request m = { .gpa = gpa };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST, GET_REQ_MAP_FRAMEBUFFER);
}

size_t get_encode_power_off(void *buf, bool hibernate)
{
    struct get_power_off_notification m = { .hibernate = hibernate ? 1 : 0 };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_POWER_OFF);
}

size_t get_encode_event_log(void *buf, uint32_t event_log_id)
{
    struct get_event_log_notification m = { .event_log_id = event_log_id };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_EVENT_LOG);
}

size_t get_encode_restore_completed(void *buf, uint16_t status)
{
    struct get_restore_completed_notification m = { .status = status };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION,
               GET_HNOTE_RESTORE_GUEST_VTL2_STATE_COMPLETED);
}

size_t get_encode_restore_request(void *buf)
{
    struct get_restore_request m = { .restore_status = GET_SAVE_RESTORE_REQUEST_DATA };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST, GET_REQ_RESTORE_GUEST_VTL2_STATE);
}

size_t get_encode_start_vtl0_completed(void *buf, size_t cap, uint32_t status, const char *text)
{
    struct get_start_vtl0_completed_notification m = { .status = status };
    size_t n = text ? strlen(text) : 0;
    if (cap < sizeof(m))
        return 0;
    if (n > cap - sizeof(m))
        n = cap - sizeof(m);
    m.result_document_size = (uint32_t)n;
    return put_tail(buf, put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION,
                             GET_HNOTE_START_VTL0_COMPLETED), text, n);
}

size_t get_encode_vtl_crash(void *buf, uint32_t vp_index, uint8_t last_vtl, uint64_t control,
                            const uint64_t parameters[5])
{
    struct get_vtl_crash_notification m = { .vp_index = vp_index, .last_vtl = last_vtl,
                                            .control = control };
    for (int i = 0; i < 5; i++)
        m.parameters[i] = parameters[i];
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_VTL_CRASH);
}

size_t get_encode_save_chunk(void *buf, uint16_t status, const void *data, size_t len)
{
    struct get_save_request m = { .save_status = status };
    if (len > GET_MAX_PAYLOAD_SIZE)
        len = GET_MAX_PAYLOAD_SIZE;
    return put_tail(buf, put(buf, &m, sizeof(m), GET_TYPE_HOST_REQUEST,
                             GET_REQ_SAVE_GUEST_VTL2_STATE), data, len);
}

size_t get_encode_triple_fault(void *buf, uint32_t vp_index, uint32_t fault_type,
                               const struct get_register_state *regs, uint32_t count)
{
    if (count > GET_TRIPLE_FAULT_MAX_REGS)
        count = GET_TRIPLE_FAULT_MAX_REGS;
    struct get_triple_fault_notification m = { .vp_index = vp_index, .fault_type = fault_type,
                                               .register_count = count };
    return put_tail(buf, put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION,
                             GET_HNOTE_TRIPLE_FAULT), regs, count * sizeof(*regs));
}

size_t get_encode_vtl0_halted(void *buf, uint32_t vp_index, uint32_t reason, uint64_t rip)
{
    struct get_vtl0_halted_notification m = { .vp_index = vp_index, .reason = reason, .rip = rip };
    return put(buf, &m, sizeof(m), GET_TYPE_HOST_NOTIFICATION, GET_HNOTE_EXT_VTL0_HALTED);
}
