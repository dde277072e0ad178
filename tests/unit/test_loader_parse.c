/* Unit tests for kernel/boot/loader_parse: an IGVM loader's boot block → boot_params,
 * the same block whatever loaded Mezzanine (SPEC section 8). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/boot/multiboot.h"
#include "kernel/boot/boot_block.h"
#include "kernel/boot/igvm_params.h"
#include "kernel/boot/loader_parse.h"

#define BASE     0x10000ull
#define BLOCK    (BASE + 0x0)
#define MEMMAP   (BASE + 0x1000)
#define CMDLINE  (BASE + 0x3000)
#define RAM_SIZE 0x4000

static uint8_t ram[RAM_SIZE];
static struct boot_params bp;

static int fake_read(void *ctx, uint64_t pa, void *dst, size_t n)
{
    (void)ctx;
    if (pa < BASE || n > RAM_SIZE || pa - BASE > RAM_SIZE - n)
        return -EFAULT;
    memcpy(dst, ram + (pa - BASE), n);
    return 0;
}

static struct mezz_boot_block *block(void) { return (struct mezz_boot_block *)ram; }

static void setup_block(void)
{
    memset(ram, 0, sizeof(ram));
    struct mezz_boot_block *b = block();
    b->magic = MEZZ_BOOT_BLOCK_MAGIC;
    b->version = MEZZ_BOOT_BLOCK_VERSION;
    b->size = sizeof(*b);
    b->tsc_hz = 2600000000ull;
    b->kernel_phys = 0x1C000000;
    b->vtl2_base = 0x1BE00000;
    b->vtl2_size = 64 << 20;
    b->memory_map_pa = MEMMAP;
    b->memory_map_bytes = 0x2000;
    b->command_line_pa = CMDLINE;
    b->command_line_bytes = 0x1000;
    b->module_count = 2;
    b->modules[0] = (struct mezz_boot_module){ 0x200000, 0x10000, "vtl0" };
    b->modules[1] = (struct mezz_boot_module){ 0x300000, 0x100, "testscript" };
    strcpy(b->loader_name, "test loader");
    const struct mem_range map[] = {
        { 0, 0x9f000, MEM_USABLE }, { 0x100000, 0x1ff00000, MEM_USABLE },
        { 0xfffc0000, 0x40000, MEM_RESERVED },
    };
    assert_int_equal(igvm_memmap_encode(map, 3, ram + (MEMMAP - BASE), 0x2000), 3);
    strcpy((char *)ram + (CMDLINE - BASE), "mezz.log=debug mezz.halt=panic");
}

static void test_block_fills_boot_params(void **state)
{
    (void)state;
    setup_block();
    assert_int_equal(boot_loader_parse(MEZZ_BOOT_BLOCK_MAGIC, BLOCK, fake_read, NULL, &bp), 0);
    assert_string_equal(bp.cmdline, "mezz.log=debug mezz.halt=panic");
    assert_string_equal(bp.loader_name, "test loader");
    assert_int_equal(bp.mem_count, 3);
    assert_int_equal(bp.mem[1].base, 0x100000);
    assert_int_equal(bp.mem[1].size, 0x1ff00000);
    assert_int_equal(bp.mem[1].type, MEM_USABLE);
    assert_int_equal(bp.mem[2].type, MEM_RESERVED);
    assert_int_equal(bp.module_count, 2);
    assert_string_equal(bp.modules[0].name, "vtl0");
    assert_int_equal(bp.modules[1].phys_base, 0x300000);
    assert_int_equal(bp.tsc_hz, 2600000000ull);
    assert_int_equal(bp.kernel_phys, 0x1C000000);
    assert_int_equal(bp.vtl2_base, 0x1BE00000);
}

/* The servicing handoff's block: the flag and the persisted page travel; a flag without
 * a usable page address is refused. */
static void test_servicing_block(void **state)
{
    (void)state;
    setup_block();
    assert_int_equal(boot_loader_parse(MEZZ_BOOT_BLOCK_MAGIC, BLOCK, fake_read, NULL, &bp), 0);
    assert_false(bp.servicing);
    assert_int_equal(bp.persisted_pa, 0);
    block()->flags = MEZZ_BOOT_FLAG_SERVICING;
    block()->persisted_pa = 0x1BE00000;
    assert_int_equal(boot_loader_parse(MEZZ_BOOT_BLOCK_MAGIC, BLOCK, fake_read, NULL, &bp), 0);
    assert_true(bp.servicing);
    assert_int_equal(bp.persisted_pa, 0x1BE00000);
    const uint64_t bad[] = { 0, 0x1BE00010, 1ull << 32 };
    for (unsigned i = 0; i < 3; i++) {
        block()->persisted_pa = bad[i];
        assert_int_equal(boot_loader_parse(MEZZ_BOOT_BLOCK_MAGIC, BLOCK, fake_read, NULL, &bp), -EINVAL);
    }
}

static void test_bad_blocks_are_refused(void **state)
{
    (void)state;
    setup_block();
    block()->magic ^= 1;
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EINVAL);
    setup_block();
    block()->version = 2;
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EINVAL);
    setup_block();
    block()->size = 12;
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EINVAL);
    setup_block();
    block()->memory_map_pa = 0;
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EINVAL);
    setup_block();
    block()->memory_map_bytes = 0xFFFFFFFF;     /* larger than any parameter area */
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EINVAL);
    setup_block();
    block()->memory_map_pa = 0x90000000;       /* unreadable */
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), -EFAULT);
    /* Neither magic: refused by the multiboot path. */
    assert_int_equal(boot_loader_parse(0x12345678, BLOCK, fake_read, NULL, &bp), -EINVAL);
}

static void test_untrusted_fields_are_bounded(void **state)
{
    (void)state;
    setup_block();
    struct mezz_boot_block *b = block();
    b->module_count = 1000;                   /* more than there are */
    b->modules[1].size = 0;                   /* malformed: dropped */
    memset(b->modules[0].name, 'x', sizeof(b->modules[0].name));   /* unterminated */
    memset(b->loader_name, 'y', sizeof(b->loader_name));
    memset(ram + (CMDLINE - BASE), 'z', 0x1000);                     /* unterminated */
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), 0);
    assert_int_equal(strlen(bp.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(strlen(bp.modules[0].name), BOOT_MODNAME_MAX - 1);
    assert_int_equal(strlen(bp.loader_name), BOOT_LOADERNAME_MAX - 1);
    assert_true(bp.dropped_modules >= 1000 - MEZZ_BOOT_MODULES_MAX);
    /* A memory map without terminator ends at its area. */
    setup_block();
    block()->memory_map_bytes = 2 * 24;
    assert_int_equal(boot_block_parse(BLOCK, fake_read, NULL, &bp), 0);
    assert_int_equal(bp.mem_count, 2);
}

/* The loader's VTL2 placement is used when it lies in RAM; without one the kernel places
 * the region itself at the top of RAM below 4 GiB. */
static void test_vtl2_placement(void **state)
{
    (void)state;
    const struct mem_range map[] = { { 0x100000, 0x1ff00000, MEM_USABLE } };
    struct vtl2_layout layout;
    struct boot_params params = { .vtl2_base = 0x10000000, .vtl2_size = 64 << 20 };
    assert_int_equal(boot_place_vtl2(&params, map, 1, 128 << 20, &layout), 0);
    assert_int_equal(layout.base, 0x10000000);
    assert_int_equal(layout.slot_base[0], 0x10200000);
    params.vtl2_base = 0x1fe00000;              /* runs past RAM */
    assert_int_equal(boot_place_vtl2(&params, map, 1, 128 << 20, &layout), -ENOMEM);
    params.vtl2_base = 0x10100000;              /* not 2 MiB aligned */
    assert_int_equal(boot_place_vtl2(&params, map, 1, 128 << 20, &layout), -EINVAL);
    params.vtl2_size = 0;                       /* multiboot: placed at the top */
    assert_int_equal(boot_place_vtl2(&params, map, 1, 128 << 20, &layout), 0);
    assert_int_equal(layout.base + layout.size, 0x20000000);
    assert_int_equal(layout.size, 128 << 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_block_fills_boot_params),
        cmocka_unit_test(test_servicing_block),
        cmocka_unit_test(test_bad_blocks_are_refused),
        cmocka_unit_test(test_untrusted_fields_are_bounded),
        cmocka_unit_test(test_vtl2_placement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
