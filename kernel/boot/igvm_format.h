/*
 * IGVM format version 1: the binary layouts Mezzanine's image uses (microsoft/igvm,
 * igvm_defs; summarised in reference/openvmm-facts.md section 5.1), plus Mezzanine's
 * own ignorable image-info TLV (docs/image.md). Declared once, here; tools/mkimage and
 * tests/harness/igvm.py spell the same layouts in Python and are checked against this
 * library by the tests.
 */
#ifndef MEZZ_KERNEL_BOOT_IGVM_FORMAT_H
#define MEZZ_KERNEL_BOOT_IGVM_FORMAT_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define IGVM_MAGIC          0x4D564749u   /* "IGVM" little endian */
#define IGVM_FORMAT_VERSION 1u
#define IGVM_PAGE_SIZE      4096u
#define IGVM_TLV_ALIGN      8u

/* The top bit of a TLV type: a loader that does not know the type may skip it. */
#define IGVM_TYPE_IGNORABLE 0x80000000u
#define IGVM_TYPE_MASK      0x7FFFFFFFu

/* Sections, in the order they must appear. */
#define IGVM_SECTION_PLATFORM_FIRST  0x001u
#define IGVM_SECTION_PLATFORM_LAST   0x100u
#define IGVM_SECTION_INIT_FIRST      0x101u
#define IGVM_SECTION_INIT_LAST       0x200u
#define IGVM_SECTION_DIRECTIVE_FIRST 0x301u
#define IGVM_SECTION_DIRECTIVE_LAST  0x400u

#define IGVM_VHT_SUPPORTED_PLATFORM  0x001u
#define IGVM_VHT_RELOCATABLE_REGION  0x102u
#define IGVM_VHT_PARAMETER_AREA      0x301u
#define IGVM_VHT_PAGE_DATA           0x302u
#define IGVM_VHT_PARAMETER_INSERT    0x303u
#define IGVM_VHT_VP_CONTEXT          0x304u
#define IGVM_VHT_REQUIRED_MEMORY     0x305u
#define IGVM_VHT_MEMORY_MAP          0x30Cu
#define IGVM_VHT_COMMAND_LINE        0x30Eu
/* Mezzanine's image info (digest, version, build id): ignorable, in the directive range
 * so it obeys the section order; type 0x3F0 is unassigned in IGVM v1. */
#define MEZZ_VHT_IMAGE_INFO          (IGVM_TYPE_IGNORABLE | 0x3F0u)

struct igvm_fixed_header {
    uint32_t magic;
    uint32_t format_version;
    uint32_t variable_header_offset;
    uint32_t variable_header_size;
    uint32_t total_file_size;
    uint32_t checksum;          /* CRC-32 of fixed + variable headers, this field 0 */
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_fixed_header, 24);
STATIC_ASSERT_OFFSET(struct igvm_fixed_header, variable_header_offset, 8);
STATIC_ASSERT_OFFSET(struct igvm_fixed_header, checksum, 20);

struct igvm_tlv_header {
    uint32_t type;
    uint32_t length;            /* of the content, without this header or padding */
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_tlv_header, 8);

#define IGVM_PLATFORM_NATIVE 0u

struct igvm_supported_platform {
    uint32_t compatibility_mask;   /* exactly one bit */
    uint8_t highest_vtl;
    uint8_t platform_type;
    uint16_t platform_version;     /* 1 */
    uint64_t shared_gpa_boundary;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_supported_platform, 16);
STATIC_ASSERT_OFFSET(struct igvm_supported_platform, platform_type, 5);
STATIC_ASSERT_OFFSET(struct igvm_supported_platform, shared_gpa_boundary, 8);

#define IGVM_RELOC_IS_VTL2     0x1u
#define IGVM_RELOC_APPLY_RIP   0x2u
#define IGVM_RELOC_APPLY_GDTR  0x4u

struct igvm_relocatable_region {
    uint32_t compatibility_mask;
    uint16_t vp_index;
    uint8_t vtl;
    uint8_t flags;
    uint64_t relocation_alignment;
    uint64_t relocation_region_gpa;
    uint64_t relocation_region_size;
    uint64_t minimum_relocation_gpa;
    uint64_t maximum_relocation_gpa;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_relocatable_region, 48);
STATIC_ASSERT_OFFSET(struct igvm_relocatable_region, relocation_alignment, 8);
STATIC_ASSERT_OFFSET(struct igvm_relocatable_region, maximum_relocation_gpa, 40);

struct igvm_parameter_area {
    uint64_t number_of_bytes;      /* a page multiple */
    uint32_t parameter_area_index;
    uint32_t file_offset;          /* 0: the area starts zeroed */
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_parameter_area, 16);

#define IGVM_PAGE_FLAG_2MB        0x1u
#define IGVM_PAGE_FLAG_UNMEASURED 0x2u
#define IGVM_PAGE_FLAG_SHARED     0x4u
#define IGVM_PAGE_TYPE_NORMAL     0u

struct igvm_page_data {
    uint64_t gpa;
    uint32_t compatibility_mask;
    uint32_t file_offset;          /* 0: a zero page */
    uint32_t flags;
    uint16_t data_type;
    uint16_t reserved;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_page_data, 24);
STATIC_ASSERT_OFFSET(struct igvm_page_data, file_offset, 12);
STATIC_ASSERT_OFFSET(struct igvm_page_data, data_type, 20);

struct igvm_parameter_insert {
    uint64_t gpa;
    uint32_t compatibility_mask;
    uint32_t parameter_area_index;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_parameter_insert, 16);

/* IGVM_VHS_PARAMETER: where in which area a parameter goes (MEMORY_MAP, COMMAND_LINE). */
struct igvm_parameter {
    uint32_t parameter_area_index;
    uint32_t byte_offset;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_parameter, 8);

struct igvm_vp_context {
    uint64_t gpa;
    uint32_t compatibility_mask;
    uint32_t file_offset;
    uint16_t vp_index;
    uint16_t reserved;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_vp_context, 20);

#define IGVM_REQUIRED_MEMORY_VTL2_PROTECTABLE 0x1u

struct igvm_required_memory {
    uint64_t gpa;
    uint32_t compatibility_mask;
    uint32_t number_of_bytes;
    uint32_t flags;
    uint32_t reserved;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_required_memory, 24);

/* IGVM memory map entry (IGVM_VHS_MEMORY_MAP_ENTRY); the list ends with page_count 0. */
#define IGVM_MEMORY_TYPE_MEMORY            0u
#define IGVM_MEMORY_TYPE_PLATFORM_RESERVED 1u
#define IGVM_MEMORY_TYPE_PERSISTENT        2u
#define IGVM_MEMORY_TYPE_VTL2_PROTECTABLE  3u

struct igvm_memory_map_entry {
    uint64_t starting_gpa_page_number;
    uint64_t number_of_pages;
    uint16_t entry_type;
    uint16_t flags;
    uint32_t reserved;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_memory_map_entry, 24);

/* VP context file data on native/VBS platforms: a count, then 32-byte register records
 * named with Hyper-V register names (HV_X64_REGISTER_NAME). */
struct igvm_vbs_vp_context_header {
    uint32_t register_count;
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_vbs_vp_context_header, 4);

struct igvm_vbs_vp_register {
    uint8_t vtl;
    uint32_t register_name;
    uint8_t mbz[11];
    uint8_t value[16];             /* little endian; 64-bit registers use the low 8 */
} PACKED;
STATIC_ASSERT_SIZE(struct igvm_vbs_vp_register, 32);
STATIC_ASSERT_OFFSET(struct igvm_vbs_vp_register, register_name, 1);
STATIC_ASSERT_OFFSET(struct igvm_vbs_vp_register, value, 16);

#define HV_X64_REGISTER_RSP   0x00020004u
#define HV_X64_REGISTER_RSI   0x00020006u
#define HV_X64_REGISTER_RDI   0x00020007u
#define HV_X64_REGISTER_RIP   0x00020010u
#define HV_X64_REGISTER_CR0   0x00040000u
#define HV_X64_REGISTER_CR4   0x00040003u
#define HV_X64_REGISTER_EFER  0x00080001u

/* Mezzanine's image info TLV (MEZZ_VHT_IMAGE_INFO). The digest is SHA-256 over, for each
 * PAGE_DATA directive in file order, its 24-byte body with file_offset replaced by 1 for
 * a page with data and 0 for a zero page, followed by the 4096 data bytes if it has
 * data (docs/image.md). */
#define MEZZ_IMAGE_INFO_MAGIC 0x47495A4Du  /* "MZIG" */
#define MEZZ_IMAGE_INFO_VERSION 1u
#define MEZZ_IMAGE_VERSION_MAX 32
#define MEZZ_IMAGE_BUILD_ID_MAX 32

struct mezz_image_info {
    uint32_t magic;
    uint16_t info_version;
    uint16_t reserved;
    uint32_t page_count;           /* PAGE_DATA directives covered by the digest */
    uint32_t data_page_count;      /* of which carry file data */
    uint8_t digest[32];            /* SHA-256 */
    char version[MEZZ_IMAGE_VERSION_MAX];    /* NUL padded */
    char build_id[MEZZ_IMAGE_BUILD_ID_MAX];  /* NUL padded: the git revision */
} PACKED;
STATIC_ASSERT_SIZE(struct mezz_image_info, 112);
STATIC_ASSERT_OFFSET(struct mezz_image_info, digest, 16);
STATIC_ASSERT_OFFSET(struct mezz_image_info, version, 48);
STATIC_ASSERT_OFFSET(struct mezz_image_info, build_id, 80);

#endif
