/* Unit tests for arch/x86_64/trap_dump: exception names and the register dump text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/cpu/trap_dump.h"

/* ---- a sink that keeps every line ---------------------------------------------------- */

#define MAX_LINES 16

struct lines {
    int count;
    char text[MAX_LINES][256];
};

static void collect(void *ctx, const char *line)
{
    struct lines *l = ctx;
    assert_non_null(line);
    assert_true(l->count < MAX_LINES);
    assert_null(strchr(line, '\n'));        /* one line per call, no newline */
    assert_true(strlen(line) < sizeof(l->text[0]));
    strcpy(l->text[l->count++], line);
}

/* Every register a distinct value, so a swapped field shows. */
static void sample_frame(struct trap_frame *f, struct trap_cregs *c, uint64_t vector,
                         uint64_t error)
{
    memset(f, 0, sizeof(*f));
    f->rax = 0x1111111111111111ull;
    f->rbx = 0x2222222222222222ull;
    f->rcx = 0x3333333333333333ull;
    f->rdx = 0x4444444444444444ull;
    f->rsi = 0x5555555555555555ull;
    f->rdi = 0x6666666666666666ull;
    f->rbp = 0x7777777777777777ull;
    f->rsp = 0xffffffff8010ff00ull;
    f->r8 = 0x0808080808080808ull;
    f->r9 = 0x0909090909090909ull;
    f->r10 = 0x1010101010101010ull;
    f->r11 = 0x1111000011110000ull;
    f->r12 = 0x1212121212121212ull;
    f->r13 = 0x1313131313131313ull;
    f->r14 = 0x1414141414141414ull;
    f->r15 = 0x1515151515151515ull;
    f->vector = vector;
    f->error_code = error;
    f->rip = 0xffffffff80101234ull;
    f->cs = 0x8;
    f->ss = 0x10;
    f->rflags = 0x10046;
    c->cr0 = 0x80050033;
    c->cr2 = 0xdeadb000;
    c->cr3 = 0x1be05000;
    c->cr4 = 0x6b0;
    c->efer = 0xd01;
}

static const char *const register_lines[] = {
    "  RAX=1111111111111111 RBX=2222222222222222 RCX=3333333333333333 RDX=4444444444444444",
    "  RSI=5555555555555555 RDI=6666666666666666 RBP=7777777777777777 RSP=ffffffff8010ff00",
    "  R8 =0808080808080808 R9 =0909090909090909 R10=1010101010101010 R11=1111000011110000",
    "  R12=1212121212121212 R13=1313131313131313 R14=1414141414141414 R15=1515151515151515",
    "  RIP=ffffffff80101234 CS=0008 SS=0010 RFLAGS=0000000000010046",
    "  CR0=0000000080050033 CR2=0x00000000deadb000 CR3=000000001be05000 "
    "CR4=00000000000006b0 EFER=0000000000000d01",
};

static void dump(uint64_t vector, uint64_t error, struct lines *out)
{
    struct trap_frame f;
    struct trap_cregs c;
    sample_frame(&f, &c, vector, error);
    memset(out, 0, sizeof(*out));
    trap_dump(&f, &c, collect, out);
}

static void expect_registers_from(const struct lines *l, int first)
{
    assert_int_equal(l->count, first + 6);
    for (int i = 0; i < 6; i++)
        assert_string_equal(l->text[first + i], register_lines[i]);
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_page_fault_dump(void **state)
{
    (void)state;
    struct lines l;
    dump(14, 0x2, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #PF (vector 14) error=0x2 at RIP=0xffffffff80101234: page fault");
    assert_string_equal(l.text[1],
        "  page fault at address 0x00000000deadb000: write of a non-present page");
    expect_registers_from(&l, 2);
}

static void test_page_fault_decode(void **state)
{
    (void)state;
    static const struct { uint64_t error; const char *line; } cases[] = {
        { 0x0, "  page fault at address 0x00000000deadb000: read of a non-present page" },
        { 0x1, "  page fault at address 0x00000000deadb000: read of a protected page" },
        { 0x3, "  page fault at address 0x00000000deadb000: write of a protected page" },
        { 0x6, "  page fault at address 0x00000000deadb000: write of a non-present page, "
               "user mode" },
        { 0x9, "  page fault at address 0x00000000deadb000: read of a protected page, "
               "reserved bit set" },
        { 0x11, "  page fault at address 0x00000000deadb000: instruction fetch of a "
                "protected page" },
        { 0x10, "  page fault at address 0x00000000deadb000: instruction fetch of a "
                "non-present page" },
        { 0x1f, "  page fault at address 0x00000000deadb000: instruction fetch of a "
                "protected page, user mode, reserved bit set" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct lines l;
        char head[128];
        dump(14, cases[i].error, &l);
        snprintf(head, sizeof(head),
                 "EXCEPTION #PF (vector 14) error=0x%llx at RIP=0xffffffff80101234: page fault",
                 (unsigned long long)cases[i].error);
        assert_string_equal(l.text[0], head);
        assert_string_equal(l.text[1], cases[i].line);
        expect_registers_from(&l, 2);
    }
}

static void test_no_decode_for_other_vectors(void **state)
{
    (void)state;
    struct lines l;

    dump(13, 0x10, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #GP (vector 13) error=0x10 at RIP=0xffffffff80101234: general protection");
    expect_registers_from(&l, 1);

    dump(0, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #DE (vector 0) error=0x0 at RIP=0xffffffff80101234: divide error");
    expect_registers_from(&l, 1);

    dump(6, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #UD (vector 6) error=0x0 at RIP=0xffffffff80101234: invalid opcode");
    expect_registers_from(&l, 1);

    dump(8, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #DF (vector 8) error=0x0 at RIP=0xffffffff80101234: double fault");
    expect_registers_from(&l, 1);

    /* CR2 is still shown in the control register line. */
    assert_non_null(strstr(l.text[6], "CR2=0x00000000deadb000"));
}

static void test_vectors_without_mnemonic(void **state)
{
    (void)state;
    struct lines l;

    dump(32, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #32 (vector 32) error=0x0 at RIP=0xffffffff80101234: interrupt");
    expect_registers_from(&l, 1);

    dump(255, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #255 (vector 255) error=0x0 at RIP=0xffffffff80101234: interrupt");
    expect_registers_from(&l, 1);

    /* Reserved exception vectors have no mnemonic either. */
    dump(15, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #15 (vector 15) error=0x0 at RIP=0xffffffff80101234: reserved exception");
    dump(31, 0, &l);
    assert_string_equal(l.text[0],
        "EXCEPTION #31 (vector 31) error=0x0 at RIP=0xffffffff80101234: reserved exception");
    expect_registers_from(&l, 1);
}

static void test_error_code_table(void **state)
{
    (void)state;
    static const uint64_t with_error[] = { 8, 10, 11, 12, 13, 14, 17, 21, 29, 30 };
    for (uint64_t v = 0; v < 32; v++) {
        bool want = false;
        for (size_t i = 0; i < sizeof(with_error) / sizeof(with_error[0]); i++)
            want |= with_error[i] == v;
        if (exception_has_error_code(v) != want)
            fail_msg("exception_has_error_code(%llu) = %d, want %d", (unsigned long long)v,
                     !want, want);
    }
    assert_false(exception_has_error_code(32));
    assert_false(exception_has_error_code(255));
    assert_false(exception_has_error_code(UINT64_MAX));
}

static void test_names(void **state)
{
    (void)state;
    static const char *const mnemonics[32] = {
        "DE", "DB", "NMI", "BP", "OF", "BR", "UD", "NM", "DF", "CSO", "TS", "NP", "SS", "GP",
        "PF", NULL, "MF", "AC", "MC", "XF", "VE", "CP", NULL, NULL, NULL, NULL, NULL, NULL,
        "HV", "VC", "SX", NULL,
    };
    for (uint64_t v = 0; v < 32; v++) {
        const char *got = exception_mnemonic(v);
        if (mnemonics[v] == NULL)
            assert_null(got);
        else
            assert_string_equal(got, mnemonics[v]);
    }
    assert_null(exception_mnemonic(32));
    assert_null(exception_mnemonic(UINT64_MAX));

    assert_string_equal(exception_name(0), "divide error");
    assert_string_equal(exception_name(2), "non-maskable interrupt");
    assert_string_equal(exception_name(13), "general protection");
    assert_string_equal(exception_name(14), "page fault");
    assert_string_equal(exception_name(18), "machine check");
    assert_string_equal(exception_name(30), "security exception");
    assert_string_equal(exception_name(15), "reserved exception");
    assert_string_equal(exception_name(22), "reserved exception");
    assert_string_equal(exception_name(32), "interrupt");
    assert_string_equal(exception_name(UINT64_MAX), "interrupt");
}

static void test_all_registers_appear(void **state)
{
    (void)state;
    struct lines l;
    dump(14, 0x2, &l);

    char all[MAX_LINES * 256] = "";
    for (int i = 0; i < l.count; i++) {
        strcat(all, l.text[i]);
        strcat(all, "\n");
    }
    static const char *const needles[] = {
        "1111111111111111", "2222222222222222", "3333333333333333", "4444444444444444",
        "5555555555555555", "6666666666666666", "7777777777777777", "ffffffff8010ff00",
        "0808080808080808", "0909090909090909", "1010101010101010", "1111000011110000",
        "1212121212121212", "1313131313131313", "1414141414141414", "1515151515151515",
        "ffffffff80101234", "CS=0008", "SS=0010", "RFLAGS=0000000000010046",
        "CR0=0000000080050033", "CR2=0x00000000deadb000", "CR3=000000001be05000",
        "CR4=00000000000006b0", "EFER=0000000000000d01",
    };
    for (size_t i = 0; i < sizeof(needles) / sizeof(needles[0]); i++) {
        if (strstr(all, needles[i]) == NULL)
            fail_msg("\"%s\" missing from the dump:\n%s", needles[i], all);
    }

    /* Full-width values: nothing is cut. */
    struct trap_frame f;
    struct trap_cregs c;
    memset(&f, 0xff, sizeof(f));
    memset(&c, 0xff, sizeof(c));
    f.vector = 14;
    f.error_code = 0xffffffffffffffffull;
    memset(&l, 0, sizeof(l));
    trap_dump(&f, &c, collect, &l);
    assert_int_equal(l.count, 8);
    assert_string_equal(l.text[0], "EXCEPTION #PF (vector 14) error=0xffffffffffffffff at "
                                   "RIP=0xffffffffffffffff: page fault");
    assert_string_equal(l.text[7], "  CR0=ffffffffffffffff CR2=0xffffffffffffffff "
                                   "CR3=ffffffffffffffff CR4=ffffffffffffffff "
                                   "EFER=ffffffffffffffff");
    assert_string_equal(l.text[6], "  RIP=ffffffffffffffff CS=ffffffffffffffff "
                                   "SS=ffffffffffffffff RFLAGS=ffffffffffffffff");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_fault_dump),
        cmocka_unit_test(test_page_fault_decode),
        cmocka_unit_test(test_no_decode_for_other_vectors),
        cmocka_unit_test(test_vectors_without_mnemonic),
        cmocka_unit_test(test_error_code_table),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_all_registers_appear),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
