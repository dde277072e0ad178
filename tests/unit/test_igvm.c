/*
 * Unit tests for kernel/boot/igvm: the real build/mezzanine.igvm loads into a plan, and
 * a corrupted copy of it for each refusal rule is refused with that rule's name before
 * anything is written (SPEC section 8, issue 10).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/boot/igvm.h"
#include "kernel/boot/igvm_boot.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/lib/crc32.h"

#ifndef MEZZ_TEST_IGVM
#error "MEZZ_TEST_IGVM must name the real image (the Makefile sets it)"
#endif

#define SLOT0 0x1C000000ull
#define SLOT1 0x1C400000ull

struct image {
    uint8_t *bytes;
    size_t size;
};

static struct image real;          /* loaded once by the group setup */
static struct igvm_plan plan;      /* large: not on the stack */
static struct igvm_plan plan2;

static int load_real(void **state)
{
    (void)state;
    FILE *f = fopen(MEZZ_TEST_IGVM, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s: run make first\n", MEZZ_TEST_IGVM);
        return -1;
    }
    fseek(f, 0, SEEK_END);
    real.size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    real.bytes = malloc(real.size);
    if (fread(real.bytes, 1, real.size, f) != real.size)
        return -1;
    fclose(f);
    return 0;
}

static int free_real(void **state)
{
    (void)state;
    free(real.bytes);
    return 0;
}

static uint8_t *copy_real(void)
{
    uint8_t *c = malloc(real.size);
    memcpy(c, real.bytes, real.size);
    return c;
}

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

/* Recomputes the header CRC, so a corruption is caught by the rule under test. */
static void fix_crc(uint8_t *img)
{
    uint32_t var_off = get32(img + 8), var_size = get32(img + 12);
    put32(img + 20, 0);
    put32(img + 20, crc32_update(0, img, (size_t)var_off + var_size));
}

/* The n-th TLV of `type` (0-based): returns the offset of its header, or 0. */
static size_t find_tlv(const uint8_t *img, uint32_t type, int n)
{
    size_t pos = get32(img + 8), end = pos + get32(img + 12);
    while (pos + 8 <= end) {
        uint32_t t = get32(img + pos), len = get32(img + pos + 4);
        if (t == type && n-- == 0)
            return pos;
        pos += 8 + ((len + 7) & ~7u);
    }
    return 0;
}

/* Loads `img` and expects a refusal naming `check`. */
static void expect_refused(uint8_t *img, size_t size, const char *check)
{
    struct igvm_error error = {0};
    int err = igvm_plan_load(img, size, SLOT0, &plan, &error);
    char text[200];
    igvm_error_format(&error, text, sizeof(text));
    if (err == 0 || error.check == NULL || strcmp(error.check, check) != 0)
        fail_msg("expected refusal '%s', got %d '%s'", check, err, text);
    free(img);
}

static void test_real_image_loads(void **state)
{
    (void)state;
    struct igvm_error error = {0};
    int err = igvm_plan_load(real.bytes, real.size, SLOT0, &plan, &error);
    if (err) {
        char text[200];
        igvm_error_format(&error, text, sizeof(text));
        fail_msg("real image refused: %s", text);
    }
    assert_true(plan.relocatable);
    assert_int_equal(plan.region_gpa, 0x200000);
    assert_int_equal(plan.region_size, 0x400000);
    assert_int_equal(plan.load_base, SLOT0);
    assert_int_equal(plan.required_gpa, SLOT0 - 0x200000);   /* the VTL2 base */
    assert_int_equal(plan.required_size, 64ull << 20);
    assert_true(plan.page_count > 0 && plan.data_page_count > 0);
    assert_true(plan.data_page_count <= plan.page_count);
    assert_int_equal(plan.info.page_count, plan.page_count);
    assert_int_equal(plan.pages[0].gpa, SLOT0);              /* the image starts its slot */
    assert_true(plan.image_low == SLOT0 && plan.image_high <= SLOT0 + 0x400000);
    assert_non_null(plan.memory_map_area);
    assert_non_null(plan.command_line_area);
    assert_true(plan.entry.rip >= 0xFFFFFFFF80200000ull);   /* _start64 in the kernel window */
    assert_true(plan.entry.cr0 & (1u << 31));
    assert_true(plan.entry.efer & (1u << 8));
    assert_true(strlen(plan.info.version) > 0);
    assert_true(strlen(plan.info.build_id) > 0);
}

/* Servicing loads the same image into the other slot: the plans differ only by the
 * slot distance. */
static void test_plan_relocates_to_any_slot(void **state)
{
    (void)state;
    struct igvm_error error;
    assert_int_equal(igvm_plan_load(real.bytes, real.size, SLOT0, &plan, &error), 0);
    assert_int_equal(igvm_plan_load(real.bytes, real.size, SLOT1, &plan2, &error), 0);
    assert_int_equal(plan.page_count, plan2.page_count);
    for (uint32_t i = 0; i < plan.page_count; i++) {
        assert_int_equal(plan2.pages[i].gpa - plan.pages[i].gpa, SLOT1 - SLOT0);
        assert_int_equal(plan2.pages[i].file_offset, plan.pages[i].file_offset);
    }
    assert_int_equal(plan2.memory_map_area->gpa - plan.memory_map_area->gpa, SLOT1 - SLOT0);
    assert_int_equal(plan.entry.rip, plan2.entry.rip);
    /* At the image's own addresses. */
    assert_int_equal(igvm_plan_load(real.bytes, real.size, IGVM_LOAD_AT_IMAGE_ADDRESS, &plan, &error), 0);
    assert_int_equal(plan.pages[0].gpa, 0x200000);
}

/* Applying copies every page and zeroes the parameter areas, nothing else. */
struct fake_ram {
    uint8_t *bytes;
    uint64_t base, size;
};

static void *fake_phys(void *ctx, uint64_t gpa, uint64_t len)
{
    struct fake_ram *ram = ctx;
    if (gpa < ram->base || len > ram->size || gpa - ram->base > ram->size - len)
        return NULL;
    return ram->bytes + (gpa - ram->base);
}

static void test_apply_places_pages(void **state)
{
    (void)state;
    struct igvm_error error;
    struct fake_ram ram = { .base = SLOT0, .size = 0x400000 };
    ram.bytes = malloc(ram.size);
    memset(ram.bytes, 0xA5, ram.size);
    assert_int_equal(igvm_plan_load(real.bytes, real.size, SLOT0, &plan, &error), 0);
    assert_int_equal(igvm_plan_apply(&plan, real.bytes, fake_phys, &ram), 0);
    for (uint32_t i = 0; i < plan.page_count; i++) {
        const uint8_t *dst = ram.bytes + (plan.pages[i].gpa - SLOT0);
        if (plan.pages[i].file_offset != 0) {
            assert_memory_equal(dst, real.bytes + plan.pages[i].file_offset, 4096);
        } else {
            for (int b = 0; b < 4096; b++)
                assert_int_equal(dst[b], 0);
        }
    }
    const uint8_t *area = ram.bytes + (plan.memory_map_area->gpa - SLOT0);
    for (uint64_t b = 0; b < plan.memory_map_area->size; b++)
        assert_int_equal(area[b], 0);
    /* Past the image: untouched. */
    assert_int_equal(ram.bytes[ram.size - 1], 0xA5);
    /* A destination the loader cannot reach: refused, nothing entered. */
    ram.size = 0x1000;
    assert_int_equal(igvm_plan_apply(&plan, real.bytes, fake_phys, &ram), -EFAULT);
    free(ram.bytes);
}

/* The servicing handoff's variant: the same result, and a page that already holds its
 * bytes is not written (here it is read-only: a write would fault the test). */
static void test_apply_changed_skips_equal_pages(void **state)
{
    (void)state;
    struct igvm_error error;
    struct fake_ram ram = { .base = SLOT0, .size = 0x400000 };
    ram.bytes = mmap(NULL, ram.size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(ram.bytes != MAP_FAILED);
    uint8_t *want = malloc(ram.size);
    assert_int_equal(igvm_plan_load(real.bytes, real.size, SLOT0, &plan, &error), 0);
    assert_int_equal(igvm_plan_apply(&plan, real.bytes, fake_phys, &ram), 0);
    memcpy(want, ram.bytes, ram.size);
    /* Two image runs later: one page of data changed, every other page as loaded. */
    uint32_t changed = UINT32_MAX, equal_pages = 0;
    for (uint32_t i = 0; i < plan.page_count; i++) {
        if (plan.pages[i].file_offset == 0)
            continue;
        uint8_t *dst = ram.bytes + (plan.pages[i].gpa - SLOT0);
        if (changed == UINT32_MAX) {
            changed = i;
            memset(dst, 0x5A, 4096);
        } else {
            assert_int_equal(mprotect(dst, 4096, PROT_READ), 0);
            equal_pages++;
        }
    }
    assert_true(changed != UINT32_MAX && equal_pages > 0);
    assert_int_equal(igvm_plan_apply_changed(&plan, real.bytes, fake_phys, &ram), 0);
    assert_memory_equal(ram.bytes, want, ram.size);
    munmap(ram.bytes, ram.size);
    free(want);
}

static void test_truncated_file(void **state)
{
    (void)state;
    expect_refused(copy_real(), real.size - 1, "truncated file");
    expect_refused(copy_real(), 10, "truncated file");
    /* The header claims less variable header than its TLVs need. */
    uint8_t *img = copy_real();
    put32(img + 12, get32(img + 12) - 4);
    fix_crc(img);
    expect_refused(img, real.size, "truncated file");
}

static void test_bad_magic(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    img[0] ^= 0xFF;
    expect_refused(img, real.size, "bad magic");
}

static void test_bad_version(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    put32(img + 4, 2);
    fix_crc(img);
    expect_refused(img, real.size, "bad version");
}

static void test_bad_crc(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t pd = find_tlv(img, IGVM_VHT_PAGE_DATA, 3);
    img[pd + 8 + 1] ^= 0x10;          /* a page's address, CRC left as it was */
    expect_refused(img, real.size, "bad CRC");
}

static void test_digest_mismatch(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t pd = find_tlv(img, IGVM_VHT_PAGE_DATA, 0);
    uint32_t data = get32(img + pd + 8 + 12);
    assert_true(data != 0);
    img[data + 100] ^= 1;             /* page data: outside the CRC, inside the digest */
    expect_refused(img, real.size, "digest mismatch");
}

/* A page that repeats an earlier one several pages back (pages after the highest so far
 * skip the scan; one at or below it is compared with all). */
static void test_overlapping_page_data_later(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t third = find_tlv(img, IGVM_VHT_PAGE_DATA, 2);
    size_t sixth = find_tlv(img, IGVM_VHT_PAGE_DATA, 5);
    assert_true(third != 0 && sixth != 0);
    memcpy(img + sixth + 8, img + third + 8, 8);    /* same gpa as the third page */
    fix_crc(img);
    expect_refused(img, real.size, "overlapping page data");
}

static void test_overlapping_page_data(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t first = find_tlv(img, IGVM_VHT_PAGE_DATA, 0);
    size_t second = find_tlv(img, IGVM_VHT_PAGE_DATA, 1);
    memcpy(img + second + 8, img + first + 8, 8);   /* same gpa */
    fix_crc(img);
    expect_refused(img, real.size, "overlapping page data");
}

static void test_page_data_out_of_range(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t pd = find_tlv(img, IGVM_VHT_PAGE_DATA, 1);
    put64(img + pd + 8, 0x200000 + 0x400000);       /* just past the relocatable region */
    fix_crc(img);
    expect_refused(img, real.size, "page data out of range");

    img = copy_real();
    pd = find_tlv(img, IGVM_VHT_PAGE_DATA, 0);
    put32(img + pd + 8 + 12, (uint32_t)real.size - 100);   /* data past the file's end */
    fix_crc(img);
    expect_refused(img, real.size, "page data out of range");
}

static void test_sections_out_of_order(void **state)
{
    (void)state;
    /* Swap SUPPORTED_PLATFORM (platform section) with the first PARAMETER_AREA
     * (directive section): both are 24 bytes with their headers. */
    uint8_t *img = copy_real();
    size_t platform = find_tlv(img, IGVM_VHT_SUPPORTED_PLATFORM, 0);
    size_t area = find_tlv(img, IGVM_VHT_PARAMETER_AREA, 0);
    uint8_t tmp[24];
    memcpy(tmp, img + platform, 24);
    memcpy(img + platform, img + area, 24);
    memcpy(img + area, tmp, 24);
    fix_crc(img);
    expect_refused(img, real.size, "sections out of order");
}

static void test_unknown_non_ignorable_tlv(void **state)
{
    (void)state;
    uint8_t *img = copy_real();
    size_t info = find_tlv(img, MEZZ_VHT_IMAGE_INFO, 0);
    put32(img + info, 0x3F1);          /* our info TLV without the ignorable bit */
    fix_crc(img);
    expect_refused(img, real.size, "unknown non-ignorable TLV");
    /* Types outside every section, too. */
    img = copy_real();
    info = find_tlv(img, MEZZ_VHT_IMAGE_INFO, 0);
    put32(img + info, 0x7000);
    fix_crc(img);
    expect_refused(img, real.size, "unknown non-ignorable TLV");
}

static void test_unknown_ignorable_tlv_is_skipped(void **state)
{
    (void)state;
    /* Turning a required directive into an unknown ignorable one: it is skipped (so
     * the image then lacks its VP context, which is refused for that reason). */
    uint8_t *img = copy_real();
    size_t vp = find_tlv(img, IGVM_VHT_VP_CONTEXT, 0);
    put32(img + vp, IGVM_TYPE_IGNORABLE | 0x3F7);
    fix_crc(img);
    expect_refused(img, real.size, "vp context");
}

static void test_parameter_area_does_not_fit(void **state)
{
    (void)state;
    /* The memory map parameter placed at the last bytes of its area. */
    uint8_t *img = copy_real();
    size_t map = find_tlv(img, IGVM_VHT_MEMORY_MAP, 0);
    put32(img + map + 8 + 4, 8192 - 8);
    fix_crc(img);
    expect_refused(img, real.size, "parameter area does not fit");
    /* An area inserted over the kernel's pages. */
    img = copy_real();
    size_t insert = find_tlv(img, IGVM_VHT_PARAMETER_INSERT, 0);
    put64(img + insert + 8, 0x200000);
    fix_crc(img);
    expect_refused(img, real.size, "parameter area does not fit");
    /* An area inserted past the relocatable region. */
    img = copy_real();
    insert = find_tlv(img, IGVM_VHT_PARAMETER_INSERT, 1);
    put64(img + insert + 8, 0x200000 + 0x400000 - 0x1000 + 0x1000);
    fix_crc(img);
    expect_refused(img, real.size, "parameter area does not fit");
    /* Far past it: the end check must not wrap (found by fuzz_igvm). */
    img = copy_real();
    insert = find_tlv(img, IGVM_VHT_PARAMETER_INSERT, 1);
    put64(img + insert + 8, 0x100000000000ull);
    fix_crc(img);
    expect_refused(img, real.size, "parameter area does not fit");
}

static void test_bad_relocation(void **state)
{
    (void)state;
    struct igvm_error error;
    assert_int_equal(igvm_plan_load(real.bytes, real.size, SLOT0 + 0x1000, &plan, &error), -EINVAL);
    assert_string_equal(error.check, "relocatable region");
    assert_int_equal(igvm_plan_load(real.bytes, real.size, 1ull << 40, &plan, &error), -EINVAL);
    assert_string_equal(error.check, "relocatable region");
}

static void test_error_format(void **state)
{
    (void)state;
    struct igvm_error error = { "bad CRC", "header checksum mismatch", 0x1234abcd, true };
    char text[64];
    igvm_error_format(&error, text, sizeof(text));
    assert_string_equal(text, "bad CRC: header checksum mismatch (at 0x1234abcd)");
    igvm_error_format(&error, text, 8);
    assert_string_equal(text, "bad CRC");
}

static void test_memory_map_parameter_round_trip(void **state)
{
    (void)state;
    const struct mem_range in[] = {
        { 0x0, 0x9fc00, MEM_USABLE },          /* shrinks to whole pages */
        { 0x9fc00, 0x400, MEM_RESERVED },      /* grows to whole pages */
        { 0x100000, 0x1fee0000, MEM_USABLE },
        { 0xfffc0000, 0x40000, MEM_ACPI },
    };
    uint8_t area[8192];
    struct mem_range out[8];
    uint32_t dropped = 0;
    assert_int_equal(igvm_memmap_encode(in, 4, area, sizeof(area)), 4);
    assert_int_equal(igvm_memmap_decode(area, sizeof(area), out, 8, &dropped), 4);
    assert_int_equal(out[0].size, 0x9f000);
    assert_int_equal(out[1].base, 0x9f000);
    assert_int_equal(out[1].size, 0x1000);
    assert_int_equal(out[1].type, MEM_RESERVED);
    assert_int_equal(out[2].base, 0x100000);
    assert_int_equal(out[3].type, MEM_RESERVED);
    assert_int_equal(dropped, 0);
    /* No room for entries plus the terminator. */
    assert_int_equal(igvm_memmap_encode(in, 4, area, 4 * 24), -ENOSPC);
    char cmd[8];
    igvm_cmdline_encode("mezz.log=debug", cmd, sizeof(cmd));
    assert_string_equal(cmd, "mezz.lo");
}

/* The loader-side checks shared by the shim and the UEFI loader (kernel/boot/igvm_boot.c). */
static void test_loader_checks_and_parameters(void **state)
{
    (void)state;
    struct igvm_error error;
    const struct mem_range ram[] = { { 0x100000, 0x1ff00000, MEM_USABLE } };
    struct vtl2_layout vtl2;
    assert_int_equal(vtl2_place(ram, 1, 64 << 20, &vtl2), 0);
    assert_int_equal(igvm_plan_load(real.bytes, real.size, vtl2.slot_base[0], &plan, &error), 0);
    assert_null(igvm_boot_check(&plan, &vtl2, 10));
    /* More map entries than the memory-map area holds. */
    assert_non_null(igvm_boot_check(&plan, &vtl2, 8192 / 24));
    /* The plan made for another slot does not fit this region's slot0. */
    assert_int_equal(igvm_plan_load(real.bytes, real.size, vtl2.slot_base[1], &plan2, &error), 0);
    assert_string_equal(igvm_boot_check(&plan2, &vtl2, 10), "image does not fit the kernel slot");
    /* The servicing handoff's check: that plan fits slot1 (REQUIRED_MEMORY relocated by the
     * slots' distance still names the region), the slot0 plan does not, and there is no slot 2. */
    assert_null(igvm_boot_check_slot(&plan2, &vtl2, 1, 10));
    assert_string_equal(igvm_boot_check_slot(&plan, &vtl2, 1, 10), "image does not fit the kernel slot");
    assert_string_equal(igvm_boot_check_slot(&plan2, &vtl2, 2, 10), "no such kernel slot");
    struct vtl2_layout moved = vtl2;
    moved.base -= 2 << 20;              /* a region that does not start 2 MiB below slot0 */
    assert_string_equal(igvm_boot_check_slot(&plan2, &moved, 1, 10),
                        "REQUIRED_MEMORY does not match the VTL2 region");
    /* A region smaller than REQUIRED_MEMORY. */
    struct vtl2_layout small = vtl2;
    small.size = 32 << 20;
    assert_non_null(igvm_boot_check(&plan, &small, 10));

    struct fake_ram mem = { .base = vtl2.slot_base[0], .size = 0x400000 };
    mem.bytes = calloc(1, mem.size);
    const struct mem_range map[] = { { 0, 0x9f000, MEM_USABLE }, { 0x100000, 0x1ff00000, MEM_USABLE } };
    uint8_t encoded[8192];
    int entries = igvm_memmap_encode(map, 2, encoded, sizeof(encoded));
    assert_int_equal(entries, 2);
    assert_int_equal(igvm_plan_apply(&plan, real.bytes, fake_phys, &mem), 0);
    assert_int_equal(igvm_boot_write_params(&plan, encoded, (uint32_t)entries, "mezz.log=debug",
                                            fake_phys, &mem), 0);
    const uint8_t *area = mem.bytes + (plan.memory_map_area->gpa - mem.base);
    assert_memory_equal(area, encoded, 3 * 24);
    assert_string_equal((const char *)mem.bytes + (plan.command_line_area->gpa - mem.base),
                        "mezz.log=debug");

    struct mezz_boot_block block;
    igvm_boot_fill_block(&block, &plan, &vtl2, 123456789, "unit test");
    assert_int_equal(block.magic, MEZZ_BOOT_BLOCK_MAGIC);
    assert_int_equal(block.kernel_phys, vtl2.slot_base[0]);
    assert_int_equal(block.memory_map_pa, plan.memory_map_area->gpa);
    assert_int_equal(block.command_line_pa, plan.command_line_area->gpa);
    assert_int_equal(block.tsc_hz, 123456789);
    assert_string_equal(block.loader_name, "unit test");
    for (int i = 0; i < MEZZ_BOOT_MODULES_MAX; i++)
        assert_true(igvm_boot_add_module(&block, "m", 0x1000 * (i + 1), 0x1000));
    assert_false(igvm_boot_add_module(&block, "one too many", 0x100000, 1));
    assert_int_equal(block.module_count, MEZZ_BOOT_MODULES_MAX);
    free(mem.bytes);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_image_loads),
        cmocka_unit_test(test_plan_relocates_to_any_slot),
        cmocka_unit_test(test_apply_places_pages),
        cmocka_unit_test(test_apply_changed_skips_equal_pages),
        cmocka_unit_test(test_truncated_file),
        cmocka_unit_test(test_bad_magic),
        cmocka_unit_test(test_bad_version),
        cmocka_unit_test(test_bad_crc),
        cmocka_unit_test(test_digest_mismatch),
        cmocka_unit_test(test_overlapping_page_data),
        cmocka_unit_test(test_overlapping_page_data_later),
        cmocka_unit_test(test_page_data_out_of_range),
        cmocka_unit_test(test_sections_out_of_order),
        cmocka_unit_test(test_unknown_non_ignorable_tlv),
        cmocka_unit_test(test_unknown_ignorable_tlv_is_skipped),
        cmocka_unit_test(test_parameter_area_does_not_fit),
        cmocka_unit_test(test_bad_relocation),
        cmocka_unit_test(test_error_format),
        cmocka_unit_test(test_memory_map_parameter_round_trip),
        cmocka_unit_test(test_loader_checks_and_parameters),
    };
    return cmocka_run_group_tests(tests, load_real, free_real);
}
