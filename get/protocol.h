/*
 * The GET wire format (SPEC section 4; reference/openvmm-facts.md section 1). No logic:
 * layouts, ids and statuses only. Every struct is packed little-endian and its size and
 * every field offset the code uses are asserted below, so the host build of the unit
 * tests checks them too.
 *
 * Naming is the host's point of view, as in OpenHCL: a "host request" and a "host
 * notification" go from Mezzanine to the host; a "host response" and a "guest
 * notification" come from the host. Ids are open values (#define), never C enums.
 */
#ifndef MEZZ_GET_PROTOCOL_H
#define MEZZ_GET_PROTOCOL_H

#include <stdint.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

#define GET_MAKE_VERSION(major, minor) (((uint32_t)(major) << 16) | (uint32_t)(minor))
#define GET_VERSION_RS5         GET_MAKE_VERSION(1, 0)
#define GET_VERSION_IRON        GET_MAKE_VERSION(3, 0)
#define GET_VERSION_NICKEL_REV2 GET_MAKE_VERSION(4, 2)   /* 0x00040002: the only one offered */

#define GET_MAX_MESSAGE_SIZE 12288u
#define GET_MAX_HEADER_SIZE  256u
#define GET_MAX_PAYLOAD_SIZE 8192u   /* chunk size of servicing state */
_Static_assert(GET_MAX_MESSAGE_SIZE >= GET_MAX_HEADER_SIZE + GET_MAX_PAYLOAD_SIZE,
               "a largest chunk plus a largest header must fit one message");

/* ---- header --------------------------------------------------------------------- */
#define GET_HEADER_VERSION_INVALID 0
#define GET_HEADER_VERSION_1       1

#define GET_TYPE_HOST_NOTIFICATION  1   /* Mezzanine -> host */
#define GET_TYPE_HOST_REQUEST       2   /* Mezzanine -> host */
#define GET_TYPE_HOST_RESPONSE      3   /* host -> Mezzanine */
#define GET_TYPE_GUEST_NOTIFICATION 4   /* host -> Mezzanine */

struct get_header {
    uint8_t version;   /* +0 GET_HEADER_VERSION_1 */
    uint8_t type;      /* +1 GET_TYPE_* */
    uint16_t id;       /* +2 read through the id space of `type` */
} PACKED;
STATIC_ASSERT_SIZE(struct get_header, 4);
STATIC_ASSERT_OFFSET(struct get_header, type, 1);
STATIC_ASSERT_OFFSET(struct get_header, id, 2);

/* ---- host request ids (the response carries the same id, except DPS v2) -------- */
#define GET_REQ_VERSION                      1
#define GET_REQ_TIME                         2
#define GET_REQ_BIOS_BOOT_FINALIZE           3
#define GET_REQ_VMGS_GET_DEVICE_INFO         4
#define GET_REQ_VMGS_READ                    5
#define GET_REQ_VMGS_WRITE                   6
#define GET_REQ_VMGS_FLUSH                   7
#define GET_REQ_IGVM_ATTEST                  8    /* secondary queue */
#define GET_REQ_GUEST_STATE_PROTECTION_BY_ID 9
#define GET_REQ_VMGS_KEYS_READ               10
#define GET_REQ_LOG_TRACE                    11   /* deprecated */
#define GET_REQ_ACTIVITY_TRACE_START         12
#define GET_REQ_ACTIVITY_TRACE_OP            13
#define GET_REQ_EVENT_TRACE                  14
#define GET_REQ_DEVICE_PLATFORM_SETTINGS     15   /* deprecated */
#define GET_REQ_ADVISORY_PLATFORM_SETTINGS   16   /* deprecated */
#define GET_REQ_GUEST_STATE_PROTECTION       17
#define GET_REQ_DEVICE_PLATFORM_SETTINGS_V2  18
#define GET_REQ_VPCI_DEVICE_CONTROL          19   /* secondary queue */
#define GET_REQ_SAVE_GUEST_VTL2_STATE        20
#define GET_REQ_RESTORE_GUEST_VTL2_STATE     21
#define GET_REQ_VPCI_DEVICE_BINDING_CHANGE   22
#define GET_REQ_VGA_PROXY_PCI_READ           23
#define GET_REQ_VGA_PROXY_PCI_WRITE          24
#define GET_REQ_RESERVED_25                  25
#define GET_REQ_RESERVED_26                  26
#define GET_REQ_DEVICE_PLATFORM_SETTINGS_V2_REV1 27   /* only as a response id */
#define GET_REQ_CREATE_RAM_GPA_RANGE         28
#define GET_REQ_RESET_RAM_GPA_RANGE          29
#define GET_REQ_LOAD_FIRMWARE                30
#define GET_REQ_UNMAP_FRAMEBUFFER            0xFFFE   /* experimental */
#define GET_REQ_MAP_FRAMEBUFFER              0xFFFF   /* experimental */
/* Mezzanine's own extensions (docs/get.md): ids from 0x8000 up. */
#define GET_REQ_EXT_ECHO                     0x8000   /* transport echo: answered unparsed */
#define GET_REQ_EXT_RING                     0x8002   /* ring offer over the UART (get/ring.h) */

/* ---- host notification ids (Mezzanine -> host, no response) ----------------------- */
#define GET_HNOTE_POWER_OFF                     1
#define GET_HNOTE_RESET                         2
#define GET_HNOTE_EVENT_LOG                     3
#define GET_HNOTE_LOG_TRACE                     4
#define GET_HNOTE_RESTORE_GUEST_VTL2_STATE_COMPLETED 5
#define GET_HNOTE_MODIFY_VTL2_SETTINGS_COMPLETED 6
#define GET_HNOTE_START_VTL0_COMPLETED          7
#define GET_HNOTE_VTL_CRASH                     8
#define GET_HNOTE_TRIPLE_FAULT                  9
/* Mezzanine's own extension (docs/get.md): VTL0 stopped itself. */
#define GET_HNOTE_EXT_VTL0_HALTED               0x8001

/* ---- guest notification ids (host -> Mezzanine) ---------------------------------- */
#define GET_GNOTE_UPDATE_GENERATION_ID          1
#define GET_GNOTE_SAVE_GUEST_VTL2_STATE         2
#define GET_GNOTE_RESERVED_3                    3
#define GET_GNOTE_VPCI_DEVICE_NOTIFICATION      4
#define GET_GNOTE_MODIFY_VTL2_SETTINGS          5
#define GET_GNOTE_MODIFY_VTL2_SETTINGS_REV1     6
#define GET_GNOTE_BATTERY_STATUS                7
#define GET_GNOTE_INJECT_DEBUG_INTERRUPT        8
#define GET_GNOTE_NOTIFY_POST_LIVE_MIGRATION    9
#define GET_GNOTE_MAX                           9

/* ---- statuses ---------------------------------------------------------------------- */
#define GET_SAVE_RESTORE_SUCCESS      0   /* GuestVtl2SaveRestoreStatus, u16 */
#define GET_SAVE_RESTORE_FAILURE      1
#define GET_SAVE_RESTORE_MORE_DATA    2
#define GET_SAVE_RESTORE_REQUEST_DATA 3

#define GET_GPA_SUCCESS            0   /* CreateRamGpaRangeStatus, u32 */
#define GET_GPA_SLOT_OUT_OF_BOUNDS 1
#define GET_GPA_SLOT_OCCUPIED      2   /* "needs to be reset first" */
#define GET_GPA_INVALID_FLAG       3
#define GET_GPA_INVALID_GPA        4
#define GET_GPA_FAILED             5

#define GET_GPA_FLAG_ROM_MB        (1ull << 1)   /* writes are discarded */
#define GET_GPA_FLAGS_VALID        GET_GPA_FLAG_ROM_MB

#define GET_DPS_PAYLOAD_END  0u   /* LargePayloadState */
#define GET_DPS_PAYLOAD_MORE 1u

#define GET_START_VTL0_OK   0u
#define GET_START_VTL0_FAIL 1u

#define GET_FB_OK   0u
#define GET_FB_FAIL 1u

#define GET_TRIPLE_FAULT_UNRECOVERABLE_EXCEPTION 1u

#define GET_EVENT_BOOT_SUCCESS   1u   /* EventLogId, u32 (subset Mezzanine names) */
#define GET_EVENT_BOOT_FAILURE   3u
#define GET_EVENT_NO_BOOT_DEVICE 5u
#define GET_EVENT_BOOT_ATTEMPT   14u

/* Hyper-V register names used in TRIPLE_FAULT register lists (HvX64RegisterName). */
#define HV_X64_REG_RAX    0x00020000u   /* + GPR number, through R15 = 0x0002000F */
#define HV_X64_REG_RIP    0x00020010u
#define HV_X64_REG_RFLAGS 0x00020011u
#define HV_X64_REG_CR0    0x00040000u
#define HV_X64_REG_CR2    0x00040001u
#define HV_X64_REG_CR3    0x00040002u
#define HV_X64_REG_CR4    0x00040003u
#define HV_X64_REG_ES     0x00060000u   /* ES, CS, SS, DS, FS, GS follow in that order */
#define HV_X64_REG_CS     0x00060001u
#define HV_X64_REG_SS     0x00060002u
#define HV_X64_REG_DS     0x00060003u
#define HV_X64_REG_FS     0x00060004u
#define HV_X64_REG_GS     0x00060005u
#define HV_X64_REG_EFER   0x00080001u

/* ---- messages ----------------------------------------------------------------------- */
struct get_version_request {           /* host request 1 */
    struct get_header hdr;
    uint32_t version;                  /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_version_request, 8);
STATIC_ASSERT_OFFSET(struct get_version_request, version, 4);

struct get_version_response {
    struct get_header hdr;
    uint8_t version_accepted;          /* +4 ProtocolBool */
    uint8_t pad;                       /* +5 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_version_response, 6);
STATIC_ASSERT_OFFSET(struct get_version_response, version_accepted, 4);

struct get_time_request {              /* host request 2: header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_time_request, 4);

struct get_time_response {
    struct get_header hdr;
    uint32_t pad;                      /* +4 */
    uint64_t vm_reference_time;        /* +8 */
    int64_t utc;                       /* +16 100 ns since 1601 */
    int16_t time_zone;                 /* +24 minutes */
    uint8_t daylight_savings;          /* +26 ProtocolBool */
    uint8_t pad2[5];                   /* +27 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_time_response, 32);
STATIC_ASSERT_OFFSET(struct get_time_response, vm_reference_time, 8);
STATIC_ASSERT_OFFSET(struct get_time_response, utc, 16);
STATIC_ASSERT_OFFSET(struct get_time_response, time_zone, 24);
STATIC_ASSERT_OFFSET(struct get_time_response, daylight_savings, 26);

struct get_dps_v2_request {            /* host request 18: header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_dps_v2_request, 4);

struct get_dps_v2_response {           /* response id 18, then `size` bytes of JSON */
    struct get_header hdr;
    uint32_t size;                     /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_dps_v2_response, 8);
STATIC_ASSERT_OFFSET(struct get_dps_v2_response, size, 4);

struct get_dps_v2_rev1_response {      /* response id 27, then `size` bytes of JSON */
    struct get_header hdr;
    uint32_t size;                     /* +4 */
    uint32_t payload_state;            /* +8 GET_DPS_PAYLOAD_* */
} PACKED;
STATIC_ASSERT_SIZE(struct get_dps_v2_rev1_response, 12);
STATIC_ASSERT_OFFSET(struct get_dps_v2_rev1_response, payload_state, 8);

struct get_save_request {              /* host request 20, then a chunk of <= 8192 */
    struct get_header hdr;
    uint16_t save_status;              /* +4 MORE_DATA, SUCCESS (last) or FAILURE */
} PACKED;
STATIC_ASSERT_SIZE(struct get_save_request, 6);
STATIC_ASSERT_OFFSET(struct get_save_request, save_status, 4);

struct get_save_response {
    struct get_header hdr;
    uint16_t save_status;              /* +4 SUCCESS or FAILURE */
} PACKED;
STATIC_ASSERT_SIZE(struct get_save_response, 6);

struct get_restore_request {           /* host request 21 */
    struct get_header hdr;
    uint16_t restore_status;           /* +4 REQUEST_DATA */
} PACKED;
STATIC_ASSERT_SIZE(struct get_restore_request, 6);

struct get_restore_response {          /* repeated; then data_length bytes */
    struct get_header hdr;
    uint32_t data_length;              /* +4 */
    uint16_t restore_status;           /* +8 MORE_DATA, SUCCESS (last) or FAILURE */
} PACKED;
STATIC_ASSERT_SIZE(struct get_restore_response, 10);
STATIC_ASSERT_OFFSET(struct get_restore_response, data_length, 4);
STATIC_ASSERT_OFFSET(struct get_restore_response, restore_status, 8);

struct get_create_gpa_range_request {  /* host request 28 */
    struct get_header hdr;
    uint32_t slot;                     /* +4 */
    uint64_t gpa_start;                /* +8 */
    uint64_t gpa_count;                /* +16 bytes, despite the name (as Underhill) */
    uint64_t gpa_offset;               /* +24 offset into VTL0 RAM backing */
    uint64_t flags;                    /* +32 GET_GPA_FLAG_* */
} PACKED;
STATIC_ASSERT_SIZE(struct get_create_gpa_range_request, 40);
STATIC_ASSERT_OFFSET(struct get_create_gpa_range_request, slot, 4);
STATIC_ASSERT_OFFSET(struct get_create_gpa_range_request, gpa_start, 8);
STATIC_ASSERT_OFFSET(struct get_create_gpa_range_request, gpa_count, 16);
STATIC_ASSERT_OFFSET(struct get_create_gpa_range_request, gpa_offset, 24);
STATIC_ASSERT_OFFSET(struct get_create_gpa_range_request, flags, 32);

struct get_create_gpa_range_response {
    struct get_header hdr;
    uint32_t status;                   /* +4 GET_GPA_* */
} PACKED;
STATIC_ASSERT_SIZE(struct get_create_gpa_range_response, 8);

struct get_reset_gpa_range_request {   /* host request 29 */
    struct get_header hdr;
    uint32_t slot;                     /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_reset_gpa_range_request, 8);

struct get_reset_gpa_range_response {  /* header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_reset_gpa_range_response, 4);

struct get_map_framebuffer_request {   /* host request 0xFFFF */
    struct get_header hdr;
    uint64_t gpa;                      /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_map_framebuffer_request, 12);
STATIC_ASSERT_OFFSET(struct get_map_framebuffer_request, gpa, 4);

struct get_map_framebuffer_response {
    struct get_header hdr;
    uint32_t status;                   /* +4 GET_FB_* */
} PACKED;
STATIC_ASSERT_SIZE(struct get_map_framebuffer_response, 8);

struct get_unmap_framebuffer_request { /* host request 0xFFFE: header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_unmap_framebuffer_request, 4);

struct get_unmap_framebuffer_response {
    struct get_header hdr;
    uint32_t status;                   /* +4 GET_FB_* */
} PACKED;
STATIC_ASSERT_SIZE(struct get_unmap_framebuffer_response, 8);

/* Host notifications. */
struct get_power_off_notification {    /* 1 */
    struct get_header hdr;
    uint8_t hibernate;                 /* +4 ProtocolBool */
    uint8_t pad;
} PACKED;
STATIC_ASSERT_SIZE(struct get_power_off_notification, 6);
STATIC_ASSERT_OFFSET(struct get_power_off_notification, hibernate, 4);

/* 0x8001 EXT_VTL0_HALTED (ours): VTL0 stopped itself and nothing will wake it. OpenHCL
 * has no such notification (a Hyper-V VP halted with interrupts off just stays so). */
#define GET_VTL0_HALTED_HLT_IF_CLEAR 1u   /* HLT with RFLAGS.IF = 0, no NMI pending */
struct get_vtl0_halted_notification {
    struct get_header hdr;
    uint32_t vp_index;                 /* +4 */
    uint32_t reason;                   /* +8 GET_VTL0_HALTED_* */
    uint64_t rip;                      /* +12 VTL0's RIP after the HLT */
} PACKED;
STATIC_ASSERT_SIZE(struct get_vtl0_halted_notification, 20);
STATIC_ASSERT_OFFSET(struct get_vtl0_halted_notification, reason, 8);
STATIC_ASSERT_OFFSET(struct get_vtl0_halted_notification, rip, 12);

struct get_reset_notification {        /* 2: header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_reset_notification, 4);

struct get_event_log_notification {    /* 3 */
    struct get_header hdr;
    uint32_t event_log_id;             /* +4 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_event_log_notification, 8);

struct get_restore_completed_notification { /* 5 */
    struct get_header hdr;
    uint16_t status;                   /* +4 SUCCESS or FAILURE */
} PACKED;
STATIC_ASSERT_SIZE(struct get_restore_completed_notification, 6);

struct get_start_vtl0_completed_notification { /* 7, then result_document_size bytes */
    struct get_header hdr;
    uint32_t status;                   /* +4 GET_START_VTL0_* */
    uint32_t result_document_size;     /* +8 UTF-8 error text */
} PACKED;
STATIC_ASSERT_SIZE(struct get_start_vtl0_completed_notification, 12);
STATIC_ASSERT_OFFSET(struct get_start_vtl0_completed_notification, result_document_size, 8);

struct get_vtl_crash_notification {    /* 8 */
    struct get_header hdr;
    uint32_t vp_index;                 /* +4 */
    uint8_t last_vtl;                  /* +8 */
    uint8_t reserved0;                 /* +9 */
    uint16_t reserved1;                /* +10 */
    uint32_t reserved2;                /* +12 */
    uint64_t control;                  /* +16 */
    uint64_t parameters[5];            /* +24 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_vtl_crash_notification, 64);
STATIC_ASSERT_OFFSET(struct get_vtl_crash_notification, last_vtl, 8);
STATIC_ASSERT_OFFSET(struct get_vtl_crash_notification, control, 16);
STATIC_ASSERT_OFFSET(struct get_vtl_crash_notification, parameters, 24);

struct get_register_state {            /* one TRIPLE_FAULT register */
    uint32_t name;                     /* +0 HV_X64_REG_* */
    uint8_t value[16];                 /* +4 u128, little-endian */
} PACKED;
STATIC_ASSERT_SIZE(struct get_register_state, 20);
STATIC_ASSERT_OFFSET(struct get_register_state, value, 4);

struct get_triple_fault_notification { /* 9, then register_count get_register_state */
    struct get_header hdr;
    uint32_t vp_index;                 /* +4 */
    uint32_t fault_type;               /* +8 GET_TRIPLE_FAULT_* */
    uint32_t register_count;           /* +12 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_triple_fault_notification, 16);
STATIC_ASSERT_OFFSET(struct get_triple_fault_notification, fault_type, 8);
STATIC_ASSERT_OFFSET(struct get_triple_fault_notification, register_count, 12);
#define GET_TRIPLE_FAULT_MAX_REGS \
    ((GET_MAX_MESSAGE_SIZE - sizeof(struct get_triple_fault_notification)) / \
     sizeof(struct get_register_state))

/* Guest notifications. */
struct get_update_generation_id_notification { /* 1 */
    struct get_header hdr;
    uint32_t pad;                      /* +4 */
    uint8_t generation_id[16];         /* +8 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_update_generation_id_notification, 24);
STATIC_ASSERT_OFFSET(struct get_update_generation_id_notification, generation_id, 8);

struct get_save_state_notification {   /* 2: the host asks Mezzanine to save */
    struct get_header hdr;
    uint8_t correlation_id[16];        /* +4 GUID */
    uint64_t capabilities_flags;       /* +20 bit 0 nvme, bit 1 mana keepalive */
    uint16_t timeout_hint_secs;        /* +28 65535 = none */
} PACKED;
STATIC_ASSERT_SIZE(struct get_save_state_notification, 30);
STATIC_ASSERT_OFFSET(struct get_save_state_notification, capabilities_flags, 20);
STATIC_ASSERT_OFFSET(struct get_save_state_notification, timeout_hint_secs, 28);

struct get_inject_debug_interrupt_notification { /* 8 */
    struct get_header hdr;
    uint8_t vtl;                       /* +4 */
    uint8_t pad;
} PACKED;
STATIC_ASSERT_SIZE(struct get_inject_debug_interrupt_notification, 6);

struct get_battery_status_notification { /* 7 */
    struct get_header hdr;
    uint32_t flags;                    /* +4 */
    uint32_t max_capacity;             /* +8 */
    uint32_t remaining_capacity;       /* +12 */
    uint32_t rate;                     /* +16 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_battery_status_notification, 20);

struct get_vpci_device_notification {  /* 4 */
    struct get_header hdr;
    uint8_t bus_instance_id[16];       /* +4 */
    uint32_t code;                     /* +20 */
} PACKED;
STATIC_ASSERT_SIZE(struct get_vpci_device_notification, 24);
STATIC_ASSERT_OFFSET(struct get_vpci_device_notification, code, 20);

struct get_post_live_migration_notification { /* 9: header only */
    struct get_header hdr;
} PACKED;
STATIC_ASSERT_SIZE(struct get_post_live_migration_notification, 4);

#endif
