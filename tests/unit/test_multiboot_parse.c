/* Unit tests for kernel/multiboot_parse: multiboot 1 information → struct boot_params. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/boot/multiboot.h"
#include "kernel/boot/multiboot_parse.h"

/*
 * Fake physical memory: MEM_SIZE bytes at physical MEM_BASE. Reads outside it fail with
 * -EFAULT; reads touching [fail_lo, fail_hi) fail with -EIO.
 */
#define MEM_BASE 0x9000ull
#define MEM_SIZE 0x4000u

/* Where the tests put things (offsets into the fake memory). */
#define OFF_INFO     0x0000u
#define OFF_CMDLINE  0x0100u
#define OFF_LOADER   0x0600u
#define OFF_MMAP     0x0800u     /* room for 130 entries of 24 bytes */
#define OFF_MODS     0x2000u     /* room for 128 module entries */
#define OFF_MODNAMES 0x2800u
#define OFF_LONG     0x3000u     /* long strings, up to 0x1000 bytes */

#define PA(off) (MEM_BASE + (off))

struct fake_phys {
    uint8_t mem[MEM_SIZE];
    uint64_t fail_lo, fail_hi;
    unsigned reads;
    uint64_t max_end;           /* highest physical end of any read */
    unsigned mods_reads;        /* reads inside [OFF_MODS, OFF_MODNAMES) */
};

static struct fake_phys phys;
static struct boot_params bp;

static int fake_read(void *ctx, uint64_t pa, void *dst, size_t n)
{
    struct fake_phys *p = ctx;
    assert_ptr_equal(p, &phys);
    p->reads++;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || n > MEM_SIZE - (pa - MEM_BASE))
        return -EFAULT;
    if (pa < p->fail_hi && pa + n > p->fail_lo)
        return -EIO;
    if (pa + n > p->max_end)
        p->max_end = pa + n;
    if (pa >= PA(OFF_MODS) && pa < PA(OFF_MODNAMES))
        p->mods_reads++;
    memcpy(dst, p->mem + (pa - MEM_BASE), n);
    return 0;
}

static void reset_phys(void)
{
    memset(&phys, 0, sizeof(phys));
    memset(&bp, 0xaa, sizeof(bp));
}

static struct multiboot_info *info(void)
{
    _Static_assert(OFF_INFO + sizeof(struct multiboot_info) <= OFF_CMDLINE, "layout");
    return (struct multiboot_info *)(void *)(phys.mem + OFF_INFO);
}

static void put_string(unsigned off, const char *s)
{
    memcpy(phys.mem + off, s, strlen(s) + 1);
}

/* Writes one mmap entry whose size field is `size` (20 normally); returns the next offset. */
static unsigned put_mmap(unsigned off, uint32_t size, uint64_t base, uint64_t length, uint32_t type)
{
    struct multiboot_mmap_entry e = { .size = size, .base = base, .length = length, .type = type };
    memcpy(phys.mem + off, &e, sizeof(e));
    return off + 4 + size;
}

static void put_module(unsigned index, uint32_t start, uint32_t end, uint32_t string)
{
    struct multiboot_module m = { .start = start, .end = end, .string = string, .reserved = 0 };
    memcpy(phys.mem + OFF_MODS + index * sizeof(m), &m, sizeof(m));
}

/* An info block with just a memory map of `length` bytes at OFF_MMAP. */
static void minimal_info(uint32_t mmap_length)
{
    struct multiboot_info mbi = { 0 };
    mbi.flags = MULTIBOOT_INFO_MEM_MAP;
    mbi.mmap_addr = (uint32_t)PA(OFF_MMAP);
    mbi.mmap_length = mmap_length;
    memcpy(info(), &mbi, sizeof(mbi));
}

/* Fresh memory and an info block whose map is one usable page at 0. */
static void one_page_info(void)
{
    reset_phys();
    unsigned off = put_mmap(OFF_MMAP, 20, 0x0, 0x1000, MEM_USABLE);
    minimal_info(off - OFF_MMAP);
}

/* Adds a module table of `count` entries at OFF_MODS to the info block. */
static void with_modules(uint32_t count)
{
    info()->flags |= MULTIBOOT_INFO_MODS;
    info()->mods_addr = (uint32_t)PA(OFF_MODS);
    info()->mods_count = count;
}

static int parse(void)
{
    return multiboot_parse(MULTIBOOT_BOOTLOADER_MAGIC, PA(OFF_INFO), fake_read, &phys, &bp);
}

static void expect_range(unsigned i, uint64_t base, uint64_t size, uint32_t type)
{
    assert_int_equal(bp.mem[i].base, base);
    assert_int_equal(bp.mem[i].size, size);
    assert_int_equal(bp.mem[i].type, type);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_full_info(void **state)
{
    (void)state;
    reset_phys();

    put_string(OFF_CMDLINE, "mezz.log=debug console=ttyS0");
    put_string(OFF_LOADER, "qemu");

    unsigned off = OFF_MMAP;
    off = put_mmap(off, 20, 0x0, 0x9fc00, MEM_USABLE);
    off = put_mmap(off, 20, 0x9fc00, 0x400, MEM_RESERVED);
    /* A loader may use a bigger stride: 4 extra bytes that look like a size field. */
    off = put_mmap(off, 24, 0xf0000, 0x10000, MEM_RESERVED);
    phys.mem[off - 4] = 20;
    off = put_mmap(off, 20, 0x100000, 0x1fee0000, MEM_USABLE);
    off = put_mmap(off, 20, 0x1ffe0000, 0x20000, MEM_RESERVED);
    off = put_mmap(off, 20, 0xfffc0000, 0x40000, MEM_RESERVED);
    off = put_mmap(off, 20, 0x100000000ull, 0x123456789ull, MEM_ACPI);
    assert_int_equal(off - OFF_MMAP, 6 * 24 + 28);

    /* Loaders pass "PATH ARGS"; the name is the first argument. */
    put_string(OFF_MODNAMES, "/usr/share/seabios/bios-256k.bin vtl0");
    put_module(0, 0x200000, 0x280000, (uint32_t)PA(OFF_MODNAMES));
    put_module(1, 0x300000, 0x300010, 0);

    struct multiboot_info mbi = { 0 };
    mbi.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
                MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER_NAME;
    mbi.cmdline = (uint32_t)PA(OFF_CMDLINE);
    mbi.boot_loader_name = (uint32_t)PA(OFF_LOADER);
    mbi.mmap_addr = (uint32_t)PA(OFF_MMAP);
    mbi.mmap_length = off - OFF_MMAP;
    mbi.mods_addr = (uint32_t)PA(OFF_MODS);
    mbi.mods_count = 2;
    memcpy(info(), &mbi, sizeof(mbi));

    assert_int_equal(parse(), 0);
    assert_string_equal(bp.cmdline, "mezz.log=debug console=ttyS0");
    assert_string_equal(bp.loader_name, "qemu");

    assert_int_equal(bp.mem_count, 7);
    expect_range(0, 0x0, 0x9fc00, MEM_USABLE);
    expect_range(1, 0x9fc00, 0x400, MEM_RESERVED);
    expect_range(2, 0xf0000, 0x10000, MEM_RESERVED);
    expect_range(3, 0x100000, 0x1fee0000, MEM_USABLE);
    expect_range(4, 0x1ffe0000, 0x20000, MEM_RESERVED);
    expect_range(5, 0xfffc0000, 0x40000, MEM_RESERVED);
    expect_range(6, 0x100000000ull, 0x123456789ull, MEM_ACPI);
    assert_int_equal(bp.dropped_mem_ranges, 0);

    assert_int_equal(bp.module_count, 2);
    assert_int_equal(bp.modules[0].phys_base, 0x200000);
    assert_int_equal(bp.modules[0].size, 0x80000);
    assert_string_equal(bp.modules[0].name, "vtl0");
    assert_int_equal(bp.modules[1].phys_base, 0x300000);
    assert_int_equal(bp.modules[1].size, 0x10);
    assert_string_equal(bp.modules[1].name, "");
    assert_int_equal(bp.dropped_modules, 0);
}

static void test_optional_parts_absent(void **state)
{
    (void)state;
    reset_phys();
    unsigned off = put_mmap(OFF_MMAP, 20, 0x0, 0x1000, MEM_USABLE);
    put_string(OFF_CMDLINE, "should not be read");
    put_module(0, 0x200000, 0x280000, 0);

    struct multiboot_info mbi = { 0 };
    /* Fields set but their flags clear, and a flagged cmdline at address 0. */
    mbi.flags = MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_CMDLINE;
    mbi.cmdline = 0;
    mbi.boot_loader_name = (uint32_t)PA(OFF_CMDLINE);
    mbi.mods_addr = (uint32_t)PA(OFF_MODS);
    mbi.mods_count = 1;
    mbi.mmap_addr = (uint32_t)PA(OFF_MMAP);
    mbi.mmap_length = off - OFF_MMAP;
    memcpy(info(), &mbi, sizeof(mbi));

    assert_int_equal(parse(), 0);
    assert_string_equal(bp.cmdline, "");
    assert_string_equal(bp.loader_name, "");
    assert_int_equal(bp.mem_count, 1);
    assert_int_equal(bp.module_count, 0);
    assert_int_equal(bp.dropped_modules, 0);
}

static void test_wrong_magic(void **state)
{
    (void)state;
    reset_phys();
    minimal_info(0);
    static const uint32_t bad[] = { 0, 0x1BADB002u, 0x36d76289u, 0x2BADB003u, UINT32_MAX };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        memset(&bp, 0xaa, sizeof(bp));
        assert_int_equal(multiboot_parse(bad[i], PA(OFF_INFO), fake_read, &phys, &bp), -EINVAL);
        assert_int_equal(bp.mem_count, 0);
        assert_int_equal(bp.module_count, 0);
        assert_int_equal(bp.cmdline[0], '\0');
    }
    /* Nothing was read from an untrusted pointer. */
    assert_int_equal(phys.reads, 0);
}

static void test_no_mmap_flag(void **state)
{
    (void)state;
    one_page_info();
    info()->flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE;
    info()->cmdline = (uint32_t)PA(OFF_CMDLINE);
    put_string(OFF_CMDLINE, "x");
    assert_int_equal(parse(), -EINVAL);
    assert_int_equal(bp.mem_count, 0);
}

/* The full layout of test_full_info, for the read-failure tests. */
static void build_full(void)
{
    put_string(OFF_CMDLINE, "mezz.log=debug");
    put_string(OFF_LOADER, "qemu");
    unsigned off = put_mmap(OFF_MMAP, 20, 0x0, 0x9fc00, MEM_USABLE);
    off = put_mmap(off, 20, 0x100000, 0x1fee0000, MEM_USABLE);
    put_string(OFF_MODNAMES, "/fw vtl0");
    put_module(0, 0x200000, 0x280000, (uint32_t)PA(OFF_MODNAMES));

    struct multiboot_info mbi = { 0 };
    mbi.flags = MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP |
                MULTIBOOT_INFO_LOADER_NAME;
    mbi.cmdline = (uint32_t)PA(OFF_CMDLINE);
    mbi.boot_loader_name = (uint32_t)PA(OFF_LOADER);
    mbi.mmap_addr = (uint32_t)PA(OFF_MMAP);
    mbi.mmap_length = off - OFF_MMAP;
    mbi.mods_addr = (uint32_t)PA(OFF_MODS);
    mbi.mods_count = 1;
    memcpy(info(), &mbi, sizeof(mbi));
}

static void test_read_failure_propagates(void **state)
{
    (void)state;
    static const struct { uint64_t lo, hi; } where[] = {
        { PA(OFF_INFO), PA(OFF_INFO) + 1 },              /* the info block */
        { PA(OFF_INFO) + 0x50, PA(OFF_INFO) + 0x58 },    /* its last bytes */
        { PA(OFF_CMDLINE) + 3, PA(OFF_CMDLINE) + 4 },    /* inside the command line */
        { PA(OFF_LOADER), PA(OFF_LOADER) + 1 },
        { PA(OFF_MMAP), PA(OFF_MMAP) + 1 },              /* first entry's size */
        { PA(OFF_MMAP) + 24 + 8, PA(OFF_MMAP) + 24 + 9 },  /* second entry's body */
        { PA(OFF_MODS) + 4, PA(OFF_MODS) + 5 },
        { PA(OFF_MODNAMES) + 2, PA(OFF_MODNAMES) + 3 },
    };
    reset_phys();
    build_full();
    assert_int_equal(parse(), 0);     /* the layout itself is fine */

    for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
        reset_phys();
        build_full();
        phys.fail_lo = where[i].lo;
        phys.fail_hi = where[i].hi;
        int r = parse();
        if (r != -EIO)
            fail_msg("failure at %#llx: parse returned %d, want -EIO",
                     (unsigned long long)where[i].lo, r);
    }

    /* A pointer outside memory fails with the callback's own error. */
    reset_phys();
    build_full();
    info()->mmap_addr = 0x100000;
    assert_int_equal(parse(), -EFAULT);
    reset_phys();
    assert_int_equal(multiboot_parse(MULTIBOOT_BOOTLOADER_MAGIC, 0x1000, fake_read, &phys, &bp),
                     -EFAULT);
}

static void test_mmap_entry_too_small(void **state)
{
    (void)state;
    reset_phys();
    unsigned off = put_mmap(OFF_MMAP, 20, 0x0, 0x9fc00, MEM_USABLE);
    off = put_mmap(off, 16, 0x100000, 0x1000000, MEM_USABLE);   /* malformed */
    off = put_mmap(off, 20, 0x2000000, 0x1000000, MEM_USABLE);  /* never reached */
    minimal_info(off - OFF_MMAP);

    assert_int_equal(parse(), 0);
    assert_int_equal(bp.mem_count, 1);
    expect_range(0, 0x0, 0x9fc00, MEM_USABLE);
    assert_int_equal(bp.dropped_mem_ranges, 1);

    /* Size 0 as the very first entry. */
    reset_phys();
    off = put_mmap(OFF_MMAP, 0, 0x0, 0x9fc00, MEM_USABLE);
    off = put_mmap(OFF_MMAP + 4, 20, 0x100000, 0x1000, MEM_USABLE);
    minimal_info(off - OFF_MMAP);
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.mem_count, 0);
    assert_int_equal(bp.dropped_mem_ranges, 1);
}

static void test_mmap_entry_past_length(void **state)
{
    (void)state;
    reset_phys();
    unsigned off = put_mmap(OFF_MMAP, 20, 0x0, 0x9fc00, MEM_USABLE);
    put_mmap(off, 20, 0x100000, 0x1000000, MEM_USABLE);
    /* The table claims only 20 bytes of the second entry. */
    minimal_info(24 + 20);
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.mem_count, 1);
    expect_range(0, 0x0, 0x9fc00, MEM_USABLE);
    assert_int_equal(bp.dropped_mem_ranges, 1);
    /* Nothing past the table was read. */
    assert_true(phys.max_end <= PA(OFF_MMAP) + 24 + 20);

    /* A size field so large it would run far past the table (and wrap in 32 bits). */
    reset_phys();
    off = put_mmap(OFF_MMAP, 20, 0x0, 0x9fc00, MEM_USABLE);
    put_mmap(off, 0xfffffff0u, 0x100000, 0x1000000, MEM_USABLE);
    minimal_info(24 * 2);
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.mem_count, 1);
    assert_int_equal(bp.dropped_mem_ranges, 1);
}

static void test_mmap_too_many_entries(void **state)
{
    (void)state;
    reset_phys();
    unsigned off = OFF_MMAP;
    for (unsigned i = 0; i < 130; i++)
        off = put_mmap(off, 20, (uint64_t)i * 0x10000, 0x8000, i % 2 ? MEM_RESERVED : MEM_USABLE);
    assert_true(off <= OFF_MODS);
    minimal_info(off - OFF_MMAP);

    assert_int_equal(parse(), 0);
    assert_int_equal(MEMMAP_MAX_RANGES, 128);
    assert_int_equal(bp.mem_count, 128);
    assert_int_equal(bp.dropped_mem_ranges, 2);
    expect_range(0, 0x0, 0x8000, MEM_USABLE);
    expect_range(127, 0x7f0000, 0x8000, MEM_RESERVED);
}

static void test_bad_modules_dropped(void **state)
{
    (void)state;
    one_page_info();
    with_modules(4);
    put_string(OFF_MODNAMES, "/a empty");
    put_string(OFF_MODNAMES + 0x10, "/b backwards");
    put_string(OFF_MODNAMES + 0x20, "/c good");
    put_module(0, 0x500000, 0x500000, (uint32_t)PA(OFF_MODNAMES));          /* end == start */
    put_module(1, 0x600000, 0x500000, (uint32_t)PA(OFF_MODNAMES + 0x10));   /* end < start */
    put_module(2, 0x700000, 0x700001, (uint32_t)PA(OFF_MODNAMES + 0x20));
    put_module(3, 0xffffffffu, 0, 0);                                        /* wrapped */

    assert_int_equal(parse(), 0);
    assert_int_equal(bp.module_count, 1);
    assert_int_equal(bp.modules[0].phys_base, 0x700000);
    assert_int_equal(bp.modules[0].size, 1);
    assert_string_equal(bp.modules[0].name, "good");
    assert_int_equal(bp.dropped_modules, 3);
}

static void test_module_names(void **state)
{
    (void)state;
    static const struct { const char *string; const char *name; } cases[] = {
        { "/path/to/bios-256k.bin vtl0", "vtl0" },
        { "/path/to/bios-256k.bin", "" },                 /* no argument */
        { "", "" },
        { "  /lead/spaces   vtl0   trailing", "vtl0" },
        { "/p vtl0 more args", "vtl0" },
        { "/p nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn",   /* 40 characters */
          "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" },             /* cut to 31 */
        { "/p ", "" },
    };
    const unsigned n = sizeof(cases) / sizeof(cases[0]);
    one_page_info();
    with_modules(n);
    for (unsigned i = 0; i < n; i++) {
        put_string(OFF_LONG + i * 0x80, cases[i].string);
        put_module(i, 0x200000 + i * 0x1000, 0x201000 + i * 0x1000,
                   (uint32_t)PA(OFF_LONG + i * 0x80));
    }
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.module_count, n);
    for (unsigned i = 0; i < n; i++)
        assert_string_equal(bp.modules[i].name, cases[i].name);

    /* A module string longer than the loader's 255-character limit is cut first. */
    one_page_info();
    with_modules(1);
    memset(phys.mem + OFF_LONG, 'p', 0x1000);
    /* 255 characters are kept: "ppp...p vtl0" and the "xyz..." after it are lost. */
    memcpy(phys.mem + OFF_LONG + 250, " vtl0xyz", 8);
    put_module(0, 0x200000, 0x201000, (uint32_t)PA(OFF_LONG));
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.module_count, 1);
    assert_string_equal(bp.modules[0].name, "vtl0");
    assert_true(phys.max_end <= PA(OFF_LONG + 255));
}

static void test_too_many_modules(void **state)
{
    (void)state;
    one_page_info();
    with_modules(10);
    for (unsigned i = 0; i < 10; i++) {
        char string[16];
        snprintf(string, sizeof(string), "/m/%u m%u", i, i);
        put_string(OFF_MODNAMES + i * 16, string);
        put_module(i, 0x1000000 + i * 0x100000, 0x1000000 + i * 0x100000 + 0x1000,
                   (uint32_t)PA(OFF_MODNAMES + i * 16));
    }
    assert_int_equal(parse(), 0);
    assert_int_equal(BOOT_MODULES_MAX, 8);
    assert_int_equal(bp.module_count, 8);
    assert_int_equal(bp.dropped_modules, 2);
    assert_string_equal(bp.modules[0].name, "m0");
    assert_string_equal(bp.modules[7].name, "m7");
    assert_int_equal(bp.modules[7].phys_base, 0x1700000);
    assert_int_equal(bp.modules[7].size, 0x1000);
}

static void test_long_strings_truncated(void **state)
{
    (void)state;
    one_page_info();

    /* A 2000-character command line, no NUL for a long way after it either. */
    memset(phys.mem + OFF_LONG, 'c', 0x1000);
    /* The module string "/p cccc...": its argument is far longer than a name. */
    memcpy(phys.mem + OFF_LONG + 0x100, "/p ", 3);
    info()->flags |= MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_LOADER_NAME | MULTIBOOT_INFO_MODS;
    info()->cmdline = (uint32_t)PA(OFF_LONG);
    info()->boot_loader_name = (uint32_t)PA(OFF_LONG + 0x800);
    info()->mods_addr = (uint32_t)PA(OFF_MODS);
    info()->mods_count = 1;
    put_module(0, 0x200000, 0x201000, (uint32_t)PA(OFF_LONG + 0x100));

    assert_int_equal(parse(), 0);
    assert_int_equal(strlen(bp.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(bp.cmdline[1022], 'c');
    assert_int_equal(bp.cmdline[1023], '\0');
    assert_int_equal(strlen(bp.loader_name), BOOT_LOADERNAME_MAX - 1);
    assert_int_equal(bp.loader_name[47], '\0');
    assert_int_equal(bp.module_count, 1);
    assert_int_equal(strlen(bp.modules[0].name), BOOT_MODNAME_MAX - 1);
    assert_int_equal(bp.modules[0].name[0], 'c');
    assert_int_equal(bp.modules[0].name[31], '\0');
    /* The reads stopped at the cut: nothing past cmdline + 1023 bytes was needed. */
    assert_true(phys.max_end <= PA(OFF_LONG + 0x800 + 47));

    /* A string running into the end of memory fails the read instead of overrunning. */
    one_page_info();
    memset(phys.mem + MEM_SIZE - 16, 'z', 16);
    info()->flags |= MULTIBOOT_INFO_CMDLINE;
    info()->cmdline = (uint32_t)PA(MEM_SIZE - 16);
    assert_int_equal(parse(), -EFAULT);
}

static void test_huge_mods_count(void **state)
{
    (void)state;
    one_page_info();
    /* The table has room for 128 entries before the memory ends; it claims 1000. */
    with_modules(1000);
    put_string(OFF_LOADER, "/fw vtl0");
    put_module(0, 0x200000, 0x280000, (uint32_t)PA(OFF_LOADER));
    put_module(1, 0x300000, 0x301000, 0);
    put_module(2, 0x400000, 0x401000, 0);
    /* Make everything after the table's first 128 entries unreadable. */
    phys.fail_lo = PA(OFF_MODS) + 128 * 16;
    phys.fail_hi = UINT64_MAX;

    assert_int_equal(parse(), 0);
    assert_int_equal(bp.module_count, 3);
    assert_string_equal(bp.modules[0].name, "vtl0");
    /* Every claimed module is either kept or counted as dropped. */
    assert_int_equal(bp.module_count + bp.dropped_modules, 1000);
    /* Bounded work: at most one read per table entry looked at, far fewer than 1000. */
    assert_true(phys.mods_reads <= 128);
    assert_true(phys.reads < 300);

    /* UINT32_MAX modules: same, and the dropped count does not overflow into nonsense. */
    one_page_info();
    with_modules(UINT32_MAX);
    put_module(0, 0x200000, 0x280000, 0);
    phys.fail_lo = PA(OFF_MODS) + 128 * 16;
    phys.fail_hi = UINT64_MAX;
    assert_int_equal(parse(), 0);
    assert_int_equal(bp.module_count, 1);
    assert_int_equal(bp.dropped_modules, UINT32_MAX - 1);
    assert_true(phys.mods_reads <= 128);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_info),
        cmocka_unit_test(test_optional_parts_absent),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_no_mmap_flag),
        cmocka_unit_test(test_read_failure_propagates),
        cmocka_unit_test(test_mmap_entry_too_small),
        cmocka_unit_test(test_mmap_entry_past_length),
        cmocka_unit_test(test_mmap_too_many_entries),
        cmocka_unit_test(test_bad_modules_dropped),
        cmocka_unit_test(test_module_names),
        cmocka_unit_test(test_too_many_modules),
        cmocka_unit_test(test_long_strings_truncated),
        cmocka_unit_test(test_huge_mods_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
