/*
 * Unit tests for arch/x86_64/insn_mmio: which memory access an instruction makes, and
 * performing it against a fake device with x86 register and flag semantics.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "arch/x86_64/decode/insn_decode.h"
#include "arch/x86_64/decode/insn_mmio.h"
#include "kernel/lib/compiler.h"

#include "tests/unit/parse_hex.h"

#define R16 CPU_MODE_REAL16
#define P32 CPU_MODE_PROT32
#define L64 CPU_MODE_LONG64

#define CF 0x001ull
#define PF 0x004ull
#define AF 0x010ull
#define ZF 0x040ull
#define SF 0x080ull
#define DF 0x400ull
#define OF 0x800ull
#define FIXED 0x002ull   /* RFLAGS bit 1 is always 1 */

static void decode_or_fail(enum cpu_mode mode, const char *hex, struct insn *in)
{
    uint8_t buf[16];
    size_t n = parse_hex(hex, buf, sizeof(buf));
    int rc = insn_decode(buf, n, mode, in);
    if (rc != 0)
        fail_msg("[%s] does not decode: %d", hex, rc);
}

/* ---- insn_mmio_info --------------------------------------------------------------- */

#define RD MMIO_DIR_READ
#define WR MMIO_DIR_WRITE

struct info_case {
    enum cpu_mode mode;
    const char *hex;
    int rc;
    struct mmio_access want;
};

static const struct info_case info_cases[] = {
    /* MOV */
    { L64, "89 08", 0, { .kind = MMIO_STORE, .dir = WR, .size = 4, .reg = 1, .reg_size = 4 } },
    { L64, "88 2f", 0, { .kind = MMIO_STORE, .dir = WR, .flags = MMIO_F_HIGH8, .size = 1,
                         .reg = 1, .reg_size = 1 } },                        /* ch */
    { L64, "40 88 2f", 0, { .kind = MMIO_STORE, .dir = WR, .size = 1, .reg = 5,
                            .reg_size = 1 } },                                /* bpl */
    { L64, "44 88 2f", 0, { .kind = MMIO_STORE, .dir = WR, .size = 1, .reg = 13,
                            .reg_size = 1 } },                                /* r13b */
    { L64, "8a 23", 0, { .kind = MMIO_LOAD, .dir = RD, .flags = MMIO_F_HIGH8, .size = 1,
                         .reg = 0, .reg_size = 1 } },                         /* ah */
    { L64, "8a 3e", 0, { .kind = MMIO_LOAD, .dir = RD, .flags = MMIO_F_HIGH8, .size = 1,
                         .reg = 3, .reg_size = 1 } },                         /* bh */
    { L64, "48 8b 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 8, .reg = 0, .reg_size = 8 } },
    { L64, "4c 8b 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 8, .reg = 8, .reg_size = 8 } },
    { L64, "66 8b 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 2, .reg = 0, .reg_size = 2 } },
    { L64, "c7 00 78 56 34 12", 0, { .kind = MMIO_STORE, .dir = WR, .flags = MMIO_F_IMM,
                                     .size = 4, .reg_size = 4, .imm = 0x12345678 } },
    { L64, "48 c7 00 ff ff ff ff", 0, { .kind = MMIO_STORE, .dir = WR, .flags = MMIO_F_IMM,
                                        .size = 8, .reg_size = 8, .imm = UINT64_MAX } },
    { L64, "66 c7 00 34 12", 0, { .kind = MMIO_STORE, .dir = WR, .flags = MMIO_F_IMM,
                                  .size = 2, .reg_size = 2, .imm = 0x1234 } },
    { L64, "c6 00 80", 0, { .kind = MMIO_STORE, .dir = WR, .flags = MMIO_F_IMM, .size = 1,
                            .reg_size = 1, .imm = 0x80 } },
    { L64, "a0 10 00 b0 fe 00 00 00 00", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 1,
                                              .reg = 0, .reg_size = 1 } },
    { L64, "66 a3 10 00 b0 fe 00 00 00 00", 0, { .kind = MMIO_STORE, .dir = WR, .size = 2,
                                                 .reg = 0, .reg_size = 2 } },
    { L64, "48 a1 10 00 b0 fe 00 00 00 00", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 8,
                                                 .reg = 0, .reg_size = 8 } },
    { L64, "0f c3 08", 0, { .kind = MMIO_STORE, .dir = WR, .size = 4, .reg = 1,
                            .reg_size = 4 } },                                /* movnti */
    /* MOVZX / MOVSX / MOVSXD */
    { L64, "0f b6 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 1, .reg = 0, .reg_size = 4,
                            .ext = MMIO_EXT_ZERO } },
    { L64, "66 0f b6 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 1, .reg = 0,
                               .reg_size = 2, .ext = MMIO_EXT_ZERO } },
    { L64, "0f b7 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 2, .reg = 0, .reg_size = 4,
                            .ext = MMIO_EXT_ZERO } },
    { L64, "48 0f bf 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 2, .reg = 0,
                               .reg_size = 8, .ext = MMIO_EXT_SIGN } },
    { L64, "0f be 23", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 1, .reg = 4, .reg_size = 4,
                            .ext = MMIO_EXT_SIGN } },      /* movsx esp: reg 4 is not AH */
    { L64, "48 63 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 4, .reg = 0, .reg_size = 8,
                            .ext = MMIO_EXT_SIGN } },
    { L64, "63 03", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 4, .reg = 0, .reg_size = 4 } },
    /* string ops */
    { L64, "f3 48 ab", 0, { .kind = MMIO_STOS, .dir = WR, .flags = MMIO_F_REP, .size = 8,
                            .reg = 0, .reg_size = 8 } },
    { L64, "f2 aa", 0, { .kind = MMIO_STOS, .dir = WR, .flags = MMIO_F_REP, .size = 1,
                         .reg = 0, .reg_size = 1 } },
    { L64, "ab", 0, { .kind = MMIO_STOS, .dir = WR, .size = 4, .reg = 0, .reg_size = 4 } },
    { L64, "ad", 0, { .kind = MMIO_LODS, .dir = RD, .size = 4, .reg = 0, .reg_size = 4 } },
    /* ALU */
    { L64, "83 08 10", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_OR, .dir = RD | WR,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 4, .reg_size = 4,
                            .imm = 0x10 } },
    { L64, "48 83 00 ff", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_ADD, .dir = RD | WR,
                               .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 8,
                               .reg_size = 8, .imm = UINT64_MAX } },
    { L64, "66 81 00 34 12", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_ADD, .dir = RD | WR,
                                  .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 2,
                                  .reg_size = 2, .imm = 0x1234 } },
    { L64, "83 08 ff", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_OR, .dir = RD | WR,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 4, .reg_size = 4,
                            .imm = 0xffffffff } },         /* Ib sign-extended, truncated */
    { L64, "80 20 0f", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_AND, .dir = RD | WR,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 1, .reg_size = 1,
                            .imm = 0x0f } },
    { L64, "83 38 05", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_CMP, .dir = RD,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 4, .reg_size = 4,
                            .imm = 5 } },
    { L64, "3b 03", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_CMP, .dir = RD, .size = 4,
                         .reg = 0, .reg_size = 4 } },
    { L64, "0b 03", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_OR, .dir = RD, .size = 4,
                         .reg = 0, .reg_size = 4 } },
    { L64, "20 20", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_AND, .dir = RD | WR,
                         .flags = MMIO_F_MEM_DST | MMIO_F_HIGH8, .size = 1, .reg = 0,
                         .reg_size = 1 } },
    { L64, "f0 09 08", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_OR, .dir = RD | WR,
                            .flags = MMIO_F_MEM_DST, .size = 4, .reg = 1, .reg_size = 4 } },
    { L64, "85 08", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_TEST, .dir = RD,
                         .flags = MMIO_F_MEM_DST, .size = 4, .reg = 1, .reg_size = 4 } },
    { L64, "f6 00 80", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_TEST, .dir = RD,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 1, .reg_size = 1,
                            .imm = 0x80 } },
    { L64, "f7 00 00 00 00 80", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_TEST, .dir = RD,
                                     .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 4,
                                     .reg_size = 4, .imm = 0x80000000 } },
    { L64, "19 08", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_SBB, .dir = RD | WR,
                         .flags = MMIO_F_MEM_DST, .size = 4, .reg = 1, .reg_size = 4 } },
    /* 16- and 32-bit code */
    { R16, "88 40 12", 0, { .kind = MMIO_STORE, .dir = WR, .size = 1, .reg = 0, .reg_size = 1 } },
    { R16, "8a 27", 0, { .kind = MMIO_LOAD, .dir = RD, .flags = MMIO_F_HIGH8, .size = 1,
                         .reg = 0, .reg_size = 1 } },
    { R16, "66 8b 07", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 4, .reg = 0, .reg_size = 4 } },
    { R16, "8b 07", 0, { .kind = MMIO_LOAD, .dir = RD, .size = 2, .reg = 0, .reg_size = 2 } },
    { R16, "f3 ab", 0, { .kind = MMIO_STOS, .dir = WR, .flags = MMIO_F_REP, .size = 2,
                         .reg = 0, .reg_size = 2 } },
    { P32, "89 0d 00 00 b0 fe", 0, { .kind = MMIO_STORE, .dir = WR, .size = 4, .reg = 1,
                                     .reg_size = 4 } },
    { P32, "82 20 0f", 0, { .kind = MMIO_ALU, .alu = MMIO_ALU_AND, .dir = RD | WR,
                            .flags = MMIO_F_MEM_DST | MMIO_F_IMM, .size = 1, .reg_size = 1,
                            .imm = 0x0f } },
    /* reported, not guessed */
    { P32, "63 03", -ENOTSUP, { 0 } },             /* arpl */
    { L64, "87 08", -ENOTSUP, { 0 } },             /* xchg */
    /* MOVS, CMPS, SCAS (issue 12: a 16-bit loader's rep movsl from B8000h) */
    { L64, "a4", 0, { .kind = MMIO_MOVS, .dir = RD | WR, .size = 1, .reg = 0, .reg_size = 1 } },
    { R16, "f3 66 a5", 0, { .kind = MMIO_MOVS, .dir = RD | WR, .flags = MMIO_F_REP, .size = 4,
                            .reg = 0, .reg_size = 4 } },
    { L64, "f3 48 a5", 0, { .kind = MMIO_MOVS, .dir = RD | WR, .flags = MMIO_F_REP, .size = 8,
                            .reg = 0, .reg_size = 8 } },
    { L64, "a6", 0, { .kind = MMIO_CMPS, .dir = RD, .size = 1, .reg = 0, .reg_size = 1 } },
    { P32, "f2 66 a7", 0, { .kind = MMIO_CMPS, .dir = RD, .flags = MMIO_F_REP | MMIO_F_REPNE,
                            .size = 2, .reg = 0, .reg_size = 2 } },
    { L64, "ae", 0, { .kind = MMIO_SCAS, .dir = RD, .size = 1, .reg = 0, .reg_size = 1 } },
    { L64, "f3 af", 0, { .kind = MMIO_SCAS, .dir = RD, .flags = MMIO_F_REP, .size = 4,
                         .reg = 0, .reg_size = 4 } },
    { L64, "ff 30", -ENOTSUP, { 0 } },             /* push [rax] */
    { L64, "ff 00", -ENOTSUP, { 0 } },             /* inc dword [rax] */
    { L64, "f6 10", -ENOTSUP, { 0 } },             /* not byte [rax] */
    { L64, "f7 18", -ENOTSUP, { 0 } },             /* neg dword [rax] */
    { L64, "d1 20", -ENOTSUP, { 0 } },             /* shl dword [rax], 1 */
    { L64, "89 c8", -ENOTSUP, { 0 } },             /* mov eax, ecx: no memory */
    { L64, "0f b6 c0", -ENOTSUP, { 0 } },          /* movzx eax, al */
    { L64, "83 c0 01", -ENOTSUP, { 0 } },          /* add eax, 1 */
    { L64, "8d 00", -ENOTSUP, { 0 } },             /* lea: no access */
    { L64, "c5 f9 6f 00", -ENOTSUP, { 0 } },       /* vmovdqa */
    { L64, "0f 10 00", -ENOTSUP, { 0 } },          /* movups */
    { L64, "0f b1 08", -ENOTSUP, { 0 } },          /* cmpxchg */
    { L64, "0f 38 f0 00", -ENOTSUP, { 0 } },       /* movbe */
    { L64, "66 0f c3 08", -ENOTSUP, { 0 } },       /* movnti has no 16-bit form */
    { L64, "e4 80", -ENOTSUP, { 0 } },             /* in */
    { L64, "50", -ENOTSUP, { 0 } },                /* push rax */
};

static void test_info(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(info_cases); i++) {
        const struct info_case *c = &info_cases[i];
        const struct mmio_access *w = &c->want;
        struct insn in;
        struct mmio_access acc;
        decode_or_fail(c->mode, c->hex, &in);
        int rc = insn_mmio_info(&in, &acc);
        if (rc != c->rc)
            fail_msg("[%s]: rc %d want %d", c->hex, rc, c->rc);
        if (rc)
            continue;
#define FIELD(f)                                                                       \
        if ((uint64_t)acc.f != (uint64_t)w->f)                                         \
            fail_msg("[%s] %s = %#llx, want %#llx", c->hex, #f,                        \
                     (unsigned long long)acc.f, (unsigned long long)w->f)
        FIELD(kind); FIELD(dir); FIELD(flags); FIELD(size); FIELD(reg); FIELD(reg_size);
        FIELD(ext); FIELD(alu); FIELD(imm);
#undef FIELD
    }
}

/* ---- fake device ------------------------------------------------------------------ */

#define DEV_BASE   0xFEB00000ull
#define DEV_SIZE   0x2000u          /* two pages */
#define DEV_POISON 0x1800u          /* offsets from here on fail with -EIO */
#define LOG_MAX    8

struct access_log {
    char op;        /* 'r' or 'w' */
    uint64_t gpa;
    unsigned size;
    uint64_t val;
};

struct fake_dev {
    uint8_t mem[DEV_SIZE];
    struct access_log log[LOG_MAX];
    unsigned nlog, nreads, nwrites;
};

static int dev_check(uint64_t gpa, unsigned size)
{
    if (gpa < DEV_BASE || gpa + size > DEV_BASE + DEV_SIZE)
        fail_msg("access outside the fake device: %#llx/%u", (unsigned long long)gpa, size);
    if (size != 1 && size != 2 && size != 4 && size != 8)
        fail_msg("access size %u", size);
    return gpa - DEV_BASE >= DEV_POISON ? -EIO : 0;
}

static void dev_log(struct fake_dev *d, char op, uint64_t gpa, unsigned size, uint64_t val)
{
    if (d->nlog < LOG_MAX)
        d->log[d->nlog] = (struct access_log){ op, gpa, size, val };
    d->nlog++;
}

static int dev_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct fake_dev *d = ctx;
    int err = dev_check(gpa, size);
    if (err)
        return err;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)d->mem[gpa - DEV_BASE + i] << (8 * i);
    *val = v;
    d->nreads++;
    dev_log(d, 'r', gpa, size, v);
    return 0;
}

static int dev_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct fake_dev *d = ctx;
    int err = dev_check(gpa, size);
    if (err)
        return err;
    if (size < 8 && (val >> (8 * size)))
        fail_msg("write of %#llx has bits above size %u", (unsigned long long)val, size);
    for (unsigned i = 0; i < size; i++)
        d->mem[gpa - DEV_BASE + i] = (uint8_t)(val >> (8 * i));
    d->nwrites++;
    dev_log(d, 'w', gpa, size, val);
    return 0;
}

/* ---- mmio_emulate ------------------------------------------------------------------- */

struct reg_val {
    uint8_t reg;
    uint64_t val;
};

struct emu_case {
    const char *what;
    enum cpu_mode mode;
    const char *hex;
    uint64_t gpa;
    bool set_mem;              /* store mem (8 bytes) at gpa first; else mem[o] = o & 0xFF */
    uint64_t mem;
    struct reg_val in[4];      /* registers other than the default pattern */
    uint64_t rflags_in;
    int rc;
    struct reg_val out[4];     /* registers that change; all others must not */
    uint64_t rflags_out;
    unsigned nreads, nwrites;  /* total accesses */
    struct access_log log[4];  /* the first accesses, in order */
};

/* Default register file: gpr[i] = 0x1010..10 + 0x0101..01 * i (RAX 0x1010..., RCX 0x1111...). */
static uint64_t default_reg(unsigned i)
{
    return 0x0101010101010101ull * (0x10 + i);
}

#define REG(r, v) { GPR_##r, (v) }
#define W(g, s, v) { 'w', (g), (s), (v) }
#define Rd(g, s, v) { 'r', (g), (s), (v) }
#define G(off) (DEV_BASE + (off))

static const struct emu_case emu_cases[] = {
    /* -- MOV stores -- */
    { "mov [rax], ecx", L64, "89 08", G(0x10), false, 0, { REG(RCX, 0xAAAABBBB11223344ull) },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x10), 4, 0x11223344) } },
    { "mov [rdi], ch", L64, "88 2f", G(0x20), false, 0, { REG(RCX, 0x2211) },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x20), 1, 0x22) } },
    { "mov [rdi], bpl", L64, "40 88 2f", G(0x20), false, 0, { REG(RBP, 0x77) },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x20), 1, 0x77) } },
    { "mov dword [rax], 0x12345678", L64, "c7 00 78 56 34 12", G(0x30), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x30), 4, 0x12345678) } },
    { "mov qword [rax], -1", L64, "48 c7 00 ff ff ff ff", G(0x38), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x38), 8, UINT64_MAX) } },
    { "mov byte [rax], 0x80", L64, "c6 00 80", G(0x40), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x40), 1, 0x80) } },
    { "mov word [rax], 0x1234", L64, "66 c7 00 34 12", G(0x42), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x42), 2, 0x1234) } },
    { "mov [moffs], eax", L64, "a3 10 00 b0 fe 00 00 00 00", G(0x10), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x10), 4, 0x10101010) } },
    { "movnti [rax], ecx", L64, "0f c3 08", G(0x50), false, 0, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x50), 4, 0x11111111) } },
    { "real: mov [bx+si+0x12], al", R16, "88 40 12", G(0x12), false, 0, { REG(RAX, 0x1234) },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1, { W(G(0x12), 1, 0x34) } },
    { "prot32: mov [0xfeb00000], ecx", P32, "89 0d 00 00 b0 fe", G(0), false, 0,
      { REG(RCX, 0xCAFEF00D) }, FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 1,
      { W(G(0), 4, 0xCAFEF00D) } },
    /* -- MOV loads: 32-bit writes zero-extend, 8/16-bit merge, high-byte registers -- */
    { "mov eax, [rbx]", L64, "8b 03", G(0x100), true, 0x89ABCDEFull, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x0000000089ABCDEFull) }, FIXED, 1, 0,
      { Rd(G(0x100), 4, 0x89ABCDEF) } },
    { "mov ax, [rbx]", L64, "66 8b 03", G(0x100), true, 0xCDEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x101010101010CDEFull) }, FIXED, 1, 0, { Rd(G(0x100), 2, 0xCDEF) } },
    { "mov al, [rbx]", L64, "8a 03", G(0x100), true, 0xEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x10101010101010EFull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0xEF) } },
    { "mov ah, [rbx]", L64, "8a 23", G(0x100), true, 0xEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x101010101010EF10ull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0xEF) } },
    { "mov bh, [rsi]", L64, "8a 3e", G(0x100), true, 0xEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RBX, 0x131313131313EF13ull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0xEF) } },
    { "mov spl, [rbx]", L64, "40 8a 23", G(0x100), true, 0xEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RSP, 0x14141414141414EFull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0xEF) } },
    { "mov r8b, [rbx]", L64, "44 8a 03", G(0x100), true, 0xEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(R8, 0x18181818181818EFull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0xEF) } },
    { "mov rax, [moffs64]", L64, "48 a1 00 01 b0 fe 00 00 00 00", G(0x100), true,
      0x0123456789ABCDEFull, { { 0 } }, FIXED, MMIO_EMUL_DONE,
      { REG(RAX, 0x0123456789ABCDEFull) }, FIXED, 1, 0, { Rd(G(0x100), 8, 0x0123456789ABCDEFull) } },
    { "mov al, [moffs]", L64, "a0 00 01 b0 fe 00 00 00 00", G(0x100), true, 0x5A, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { REG(RAX, 0x101010101010105Aull) }, FIXED, 1, 0,
      { Rd(G(0x100), 1, 0x5A) } },
    { "real: mov ax, [bx]", R16, "8b 07", G(0x100), true, 0xBEEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x101010101010BEEFull) }, FIXED, 1, 0, { Rd(G(0x100), 2, 0xBEEF) } },
    { "real: mov eax, [bx]", R16, "66 8b 07", G(0x100), true, 0xDEADBEEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0xDEADBEEFull) }, FIXED, 1, 0, { Rd(G(0x100), 4, 0xDEADBEEF) } },
    { "real: mov ah, [bx]", R16, "8a 27", G(0x100), true, 0x99, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x1010101010109910ull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0x99) } },
    /* -- MOVZX / MOVSX / MOVSXD -- */
    { "movzx eax, byte [rbx]", L64, "0f b6 03", G(0x100), true, 0x80, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x80) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0x80) } },
    { "movsx eax, byte [rbx]", L64, "0f be 03", G(0x100), true, 0x80, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0xFFFFFF80ull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0x80) } },
    { "movsx rax, word [rbx]", L64, "48 0f bf 03", G(0x100), true, 0x8000, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0xFFFFFFFFFFFF8000ull) }, FIXED, 1, 0, { Rd(G(0x100), 2, 0x8000) } },
    { "movzx ax, byte [rbx]", L64, "66 0f b6 03", G(0x100), true, 0x80, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x1010101010100080ull) }, FIXED, 1, 0, { Rd(G(0x100), 1, 0x80) } },
    { "movzx eax, word [rbx]", L64, "0f b7 03", G(0x100), true, 0xBEEF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0xBEEF) }, FIXED, 1, 0, { Rd(G(0x100), 2, 0xBEEF) } },
    { "movsx ecx, word [rbx] (positive)", L64, "0f bf 0b", G(0x100), true, 0x7FFF, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { REG(RCX, 0x7FFF) }, FIXED, 1, 0, { Rd(G(0x100), 2, 0x7FFF) } },
    { "movsxd rax, [rbx]", L64, "48 63 03", G(0x100), true, 0x80000000ull, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0xFFFFFFFF80000000ull) }, FIXED, 1, 0,
      { Rd(G(0x100), 4, 0x80000000ull) } },
    /* -- STOS / LODS -- */
    { "rep stosd up to the page end", L64, "f3 ab", G(0xFF0), false, 0,
      { REG(RDI, 0x7000FF0), REG(RCX, 10) }, FIXED, MMIO_EMUL_PARTIAL,
      { REG(RDI, 0x7001000), REG(RCX, 6) }, FIXED, 0, 4,
      { W(G(0xFF0), 4, 0x10101010), W(G(0xFF4), 4, 0x10101010), W(G(0xFF8), 4, 0x10101010),
        W(G(0xFFC), 4, 0x10101010) } },
    { "rep stosb, DF=1, down to the page start", L64, "f3 aa", G(0x003), false, 0,
      { REG(RDI, 0x5003), REG(RCX, 10), REG(RAX, 0xAB) }, FIXED | DF, MMIO_EMUL_PARTIAL,
      { REG(RDI, 0x4FFF), REG(RCX, 6) }, FIXED | DF, 0, 4,
      { W(G(0x003), 1, 0xAB), W(G(0x002), 1, 0xAB), W(G(0x001), 1, 0xAB), W(G(0x000), 1, 0xAB) } },
    { "rep stosw, all in the page", L64, "f3 66 ab", G(0x100), false, 0,
      { REG(RDI, 0x9100), REG(RCX, 3), REG(RAX, 0x1234) }, FIXED, MMIO_EMUL_DONE,
      { REG(RDI, 0x9106), REG(RCX, 0) }, FIXED, 0, 3,
      { W(G(0x100), 2, 0x1234), W(G(0x102), 2, 0x1234), W(G(0x104), 2, 0x1234) } },
    { "rep stosq, one qword left in the page", L64, "f3 48 ab", G(0xFF8), false, 0,
      { REG(RDI, 0x8FF8), REG(RCX, 2) }, FIXED, MMIO_EMUL_PARTIAL,
      { REG(RDI, 0x9000), REG(RCX, 1) }, FIXED, 0, 1, { W(G(0xFF8), 8, 0x1010101010101010ull) } },
    { "stosb without rep", L64, "aa", G(0x80), false, 0, { REG(RDI, 0x80) }, FIXED,
      MMIO_EMUL_DONE, { REG(RDI, 0x81) }, FIXED, 0, 1, { W(G(0x80), 1, 0x10) } },
    { "stosd without rep, DF=1", L64, "ab", G(0x80), false, 0, { REG(RDI, 0x80) }, FIXED | DF,
      MMIO_EMUL_DONE, { REG(RDI, 0x7C) }, FIXED | DF, 0, 1, { W(G(0x80), 4, 0x10101010) } },
    { "real: rep stosw, DI wraps at 64 KiB, CX counts", R16, "f3 ab", G(0x200), false, 0,
      { REG(RDI, 0x000000012345FFFEull), REG(RCX, 0xABCD0002ull), REG(RAX, 0x5555) }, FIXED,
      MMIO_EMUL_DONE, { REG(RDI, 0x0000000123450002ull), REG(RCX, 0xABCD0000ull) }, FIXED, 0, 2,
      { W(G(0x200), 2, 0x5555), W(G(0x202), 2, 0x5555) } },
    { "addr32 rep stosd: EDI/ECX zero-extend", L64, "67 f3 ab", G(0x300), false, 0,
      { REG(RDI, 0xFFFFFFFF00001000ull), REG(RCX, 0xFFFFFFFF00000001ull) }, FIXED,
      MMIO_EMUL_DONE, { REG(RDI, 0x1004), REG(RCX, 0) }, FIXED, 0, 1,
      { W(G(0x300), 4, 0x10101010) } },
    { "rep stosd with RCX = 0", L64, "f3 ab", G(0x300), false, 0, { REG(RCX, 0) }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED, 0, 0, { { 0 } } },
    { "lodsb", L64, "ac", G(0x42), false, 0, { REG(RSI, 0x1042) }, FIXED, MMIO_EMUL_DONE,
      { REG(RSI, 0x1043), REG(RAX, 0x1010101010101042ull) }, FIXED, 1, 0, { Rd(G(0x42), 1, 0x42) } },
    { "rep lodsd to the page end", L64, "f3 ad", G(0xFF8), false, 0,
      { REG(RSI, 0x2FF8), REG(RCX, 5) }, FIXED, MMIO_EMUL_PARTIAL,
      { REG(RSI, 0x3000), REG(RCX, 3), REG(RAX, 0xFFFEFDFCull) }, FIXED, 2, 0,
      { Rd(G(0xFF8), 4, 0xFBFAF9F8ull), Rd(G(0xFFC), 4, 0xFFFEFDFCull) } },
    /* -- ALU -- */
    { "or dword [rax], 0x10", L64, "83 08 10", G(0x400), true, 0x01, { { 0 } },
      FIXED | CF | AF | ZF | SF | OF, MMIO_EMUL_DONE, { { 0 } }, FIXED | PF, 1, 1,
      { Rd(G(0x400), 4, 0x01), W(G(0x400), 4, 0x11) } },
    { "and byte [rax], 0", L64, "80 20 00", G(0x400), true, 0xFF, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | ZF | PF, 1, 1,
      { Rd(G(0x400), 1, 0xFF), W(G(0x400), 1, 0x00) } },
    { "add dword [rax], 1: carry out", L64, "83 00 01", G(0x400), true, 0xFFFFFFFFull, { { 0 } },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED | CF | PF | AF | ZF, 1, 1,
      { Rd(G(0x400), 4, 0xFFFFFFFFull), W(G(0x400), 4, 0) } },
    { "add dword [rax], 1: signed overflow", L64, "83 00 01", G(0x400), true, 0x7FFFFFFFull,
      { { 0 } }, FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED | PF | AF | SF | OF, 1, 1,
      { Rd(G(0x400), 4, 0x7FFFFFFFull), W(G(0x400), 4, 0x80000000ull) } },
    { "add qword [rax], -1", L64, "48 83 00 ff", G(0x400), true, 1, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | CF | PF | AF | ZF, 1, 1,
      { Rd(G(0x400), 8, 1), W(G(0x400), 8, 0) } },
    { "cmp dword [rax], 5: no write", L64, "83 38 05", G(0x400), true, 3, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | CF | AF | SF, 1, 0, { Rd(G(0x400), 4, 3) } },
    { "test byte [rax], 0x80", L64, "f6 00 80", G(0x400), true, 0x80, { { 0 } }, FIXED | CF,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | SF, 1, 0, { Rd(G(0x400), 1, 0x80) } },
    { "or eax, [rbx]", L64, "0b 03", G(0x400), true, 0x01000001ull, { { 0 } }, FIXED,
      MMIO_EMUL_DONE, { REG(RAX, 0x11101011ull) }, FIXED | PF, 1, 0,
      { Rd(G(0x400), 4, 0x01000001ull) } },
    { "sub [rax], ecx", L64, "29 08", G(0x400), true, 10, { REG(RCX, 3) }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED, 1, 1, { Rd(G(0x400), 4, 10), W(G(0x400), 4, 7) } },
    { "adc [rax], ecx with CF", L64, "11 08", G(0x400), true, 0xFFFFFFFFull, { REG(RCX, 0) },
      FIXED | CF, MMIO_EMUL_DONE, { { 0 } }, FIXED | CF | PF | AF | ZF, 1, 1,
      { Rd(G(0x400), 4, 0xFFFFFFFFull), W(G(0x400), 4, 0) } },
    { "sbb [rax], ecx with CF", L64, "19 08", G(0x400), true, 5, { REG(RCX, 5) }, FIXED | CF,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | CF | PF | AF | SF, 1, 1,
      { Rd(G(0x400), 4, 5), W(G(0x400), 4, 0xFFFFFFFFull) } },
    { "xor [rax], ecx", L64, "31 08", G(0x400), true, 0xF0F0F0F0ull, { REG(RCX, 0xFFFFFFFF) },
      FIXED, MMIO_EMUL_DONE, { { 0 } }, FIXED | PF, 1, 1,
      { Rd(G(0x400), 4, 0xF0F0F0F0ull), W(G(0x400), 4, 0x0F0F0F0Full) } },
    { "test [rax], ecx: zero", L64, "85 08", G(0x400), true, 0x0000FF00ull,
      { REG(RCX, 0x00FF0000) }, FIXED | OF, MMIO_EMUL_DONE, { { 0 } }, FIXED | ZF | PF, 1, 0,
      { Rd(G(0x400), 4, 0x0000FF00ull) } },
    { "cmp eax, [rbx]: equal", L64, "3b 03", G(0x400), true, 5, { REG(RAX, 5) }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED | ZF | PF, 1, 0, { Rd(G(0x400), 4, 5) } },
    { "and [rax], ah", L64, "20 20", G(0x400), true, 0xFF, { { 0 } }, FIXED, MMIO_EMUL_DONE,
      { { 0 } }, FIXED, 1, 1, { Rd(G(0x400), 1, 0xFF), W(G(0x400), 1, 0x10) } },
    { "add ah, [rbx]", L64, "02 23", G(0x400), true, 0xF0, { { 0 } }, FIXED, MMIO_EMUL_DONE,
      { REG(RAX, 0x1010101010100010ull) }, FIXED | CF | PF | ZF, 1, 0, { Rd(G(0x400), 1, 0xF0) } },
    { "lock or [rax], ecx", L64, "f0 09 08", G(0x400), true, 0x100, { REG(RCX, 0x1) }, FIXED,
      MMIO_EMUL_DONE, { { 0 } }, FIXED, 1, 1, { Rd(G(0x400), 4, 0x100), W(G(0x400), 4, 0x101) } },
    /* -- errors -- */
    { "access straddles a page", L64, "8b 03", G(0xFFE), false, 0, { { 0 } }, FIXED, -ENOTSUP,
      { { 0 } }, FIXED, 0, 0, { { 0 } } },
    { "device read fails: no register change", L64, "8b 03", G(DEV_POISON), false, 0, { { 0 } },
      FIXED, -EIO, { { 0 } }, FIXED, 0, 0, { { 0 } } },
    { "rep stosd fails on the third element", L64, "f3 ab", G(DEV_POISON - 8), false, 0,
      { REG(RDI, 0xA000), REG(RCX, 5) }, FIXED, -EIO, { REG(RDI, 0xA008), REG(RCX, 3) }, FIXED,
      0, 2, { W(G(DEV_POISON - 8), 4, 0x10101010), W(G(DEV_POISON - 4), 4, 0x10101010) } },
};

static void run_emu_case(const struct emu_case *c)
{
    static struct fake_dev dev;
    struct insn in;
    struct mmio_access acc;
    struct guest_gprs regs, want;

    memset(&dev, 0, sizeof(dev));
    for (unsigned o = 0; o < DEV_SIZE; o++)
        dev.mem[o] = (uint8_t)o;
    if (c->set_mem)
        for (unsigned i = 0; i < 8; i++)
            dev.mem[c->gpa - DEV_BASE + i] = (uint8_t)(c->mem >> (8 * i));
    for (unsigned i = 0; i < GPR_COUNT; i++)
        regs.gpr[i] = default_reg(i);
    for (unsigned i = 0; i < ARRAY_SIZE(c->in) && (c->in[i].reg || c->in[i].val); i++)
        regs.gpr[c->in[i].reg] = c->in[i].val;
    want = regs;
    for (unsigned i = 0; i < ARRAY_SIZE(c->out) && (c->out[i].reg || c->out[i].val); i++)
        want.gpr[c->out[i].reg] = c->out[i].val;
    /* A REG(RAX, 0) entry reads as the end of the list: none of the cases needs one. */

    decode_or_fail(c->mode, c->hex, &in);
    if (insn_mmio_info(&in, &acc) != 0)
        fail_msg("%s: not an MMIO form", c->what);
    uint64_t rflags = c->rflags_in;
    const struct mmio_ops ops = { .read = dev_read, .write = dev_write, .ctx = &dev };
    int rc = mmio_emulate(&in, &acc, &regs, &rflags, c->gpa, &ops);

    if (rc != c->rc)
        fail_msg("%s: rc %d want %d", c->what, rc, c->rc);
    for (unsigned i = 0; i < GPR_COUNT; i++)
        if (regs.gpr[i] != want.gpr[i])
            fail_msg("%s: gpr[%u] = %#llx want %#llx", c->what, i,
                     (unsigned long long)regs.gpr[i], (unsigned long long)want.gpr[i]);
    if (rflags != c->rflags_out)
        fail_msg("%s: rflags %#llx want %#llx", c->what, (unsigned long long)rflags,
                 (unsigned long long)c->rflags_out);
    if (dev.nreads != c->nreads || dev.nwrites != c->nwrites)
        fail_msg("%s: %u reads %u writes, want %u and %u", c->what, dev.nreads, dev.nwrites,
                 c->nreads, c->nwrites);
    for (unsigned i = 0; i < ARRAY_SIZE(c->log) && c->log[i].op; i++) {
        const struct access_log *g = &dev.log[i], *w = &c->log[i];
        if (g->op != w->op || g->gpa != w->gpa || g->size != w->size || g->val != w->val)
            fail_msg("%s: access %u is %c %#llx/%u %#llx, want %c %#llx/%u %#llx", c->what, i,
                     g->op, (unsigned long long)g->gpa, g->size, (unsigned long long)g->val,
                     w->op, (unsigned long long)w->gpa, w->size, (unsigned long long)w->val);
    }
}

static void test_emulate(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(emu_cases); i++)
        run_emu_case(&emu_cases[i]);
}

/* An ALU op whose write-back fails leaves RFLAGS alone; one whose read fails too. */
static void test_alu_failure_keeps_flags(void **state)
{
    (void)state;
    static struct fake_dev dev;
    struct insn in;
    struct mmio_access acc;
    struct guest_gprs regs;
    memset(&dev, 0, sizeof(dev));
    memset(&regs, 0, sizeof(regs));
    const struct mmio_ops ops = { .read = dev_read, .write = dev_write, .ctx = &dev };

    decode_or_fail(L64, "83 00 01", &in);   /* add dword [rax], 1 */
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    uint64_t rflags = FIXED | OF;
    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(DEV_POISON), &ops), -EIO);
    assert_int_equal(rflags, FIXED | OF);

    decode_or_fail(L64, "0b 03", &in);      /* or eax, [rbx] */
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    regs.gpr[GPR_RAX] = 0xFFFFFFFF00000000ull;
    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(DEV_POISON), &ops), -EIO);
    assert_int_equal(rflags, FIXED | OF);
    assert_int_equal(regs.gpr[GPR_RAX], 0xFFFFFFFF00000000ull);
}

/* A REP STOS over a whole page, then the next call for the rest of it. */
static void test_rep_stos_resumes(void **state)
{
    (void)state;
    static struct fake_dev dev;
    struct insn in;
    struct mmio_access acc;
    struct guest_gprs regs;
    memset(&dev, 0, sizeof(dev));
    memset(&regs, 0, sizeof(regs));
    const struct mmio_ops ops = { .read = dev_read, .write = dev_write, .ctx = &dev };

    decode_or_fail(L64, "f3 48 ab", &in);   /* rep stosq */
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    regs.gpr[GPR_RAX] = 0x0102030405060708ull;
    regs.gpr[GPR_RDI] = 0x40000;
    regs.gpr[GPR_RCX] = 600;                /* 4800 bytes: one page and 704 more */
    uint64_t rflags = FIXED;

    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(0), &ops), MMIO_EMUL_PARTIAL);
    assert_int_equal(dev.nwrites, 512);
    assert_int_equal(regs.gpr[GPR_RCX], 88);
    assert_int_equal(regs.gpr[GPR_RDI], 0x41000);
    assert_int_equal(dev.mem[0xFF8], 0x08);
    assert_int_equal(dev.mem[0xFFF], 0x01);
    assert_int_equal(dev.mem[0x1000], 0x00);   /* not yet */

    /* The guest re-executes; the next fault is on the second page. */
    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(0x1000), &ops), MMIO_EMUL_DONE);
    assert_int_equal(dev.nwrites, 600);
    assert_int_equal(regs.gpr[GPR_RCX], 0);
    assert_int_equal(regs.gpr[GPR_RDI], 0x412C0);
    assert_int_equal(dev.mem[0x12BF], 0x01);
    assert_int_equal(dev.mem[0x12C0], 0x00);
}

/* ---- MOVS / CMPS through ops->strings ------------------------------------------------ */

/* A flat little world: linear == guest-physical except the page at FAULT_PAGE (not
 * present); RAM at [0, 0x10000), the fake device at DEV_BASE. */
#define FAULT_PAGE 0x7000u
#define RAM_SIZE   0x10000u

struct world {
    struct fake_dev dev;
    uint8_t ram[RAM_SIZE];
    unsigned translations;
};

static int world_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    struct world *w = ctx;
    if (gpa >= DEV_BASE)
        return dev_read(&w->dev, gpa, size, val);
    assert_true(gpa + size <= RAM_SIZE);
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint64_t)w->ram[gpa + i] << (8 * i);
    *val = v;
    return 0;
}

static int world_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    struct world *w = ctx;
    if (gpa >= DEV_BASE)
        return dev_write(&w->dev, gpa, size, val);
    assert_true(gpa + size <= RAM_SIZE);
    for (unsigned i = 0; i < size; i++)
        w->ram[gpa + i] = (uint8_t)(val >> (8 * i));
    return 0;
}

static int world_translate(void *ctx, uint64_t linear, bool write, uint64_t *gpa, uint32_t *pf_error)
{
    struct world *w = ctx;
    w->translations++;
    if ((linear & ~0xFFFull) == FAULT_PAGE) {
        *pf_error = write ? 0x2 : 0x0;
        return -EFAULT;
    }
    *gpa = linear;
    return 0;
}

static struct world world;

static int run_string(enum cpu_mode mode, const char *hex, struct guest_gprs *regs, uint64_t *rflags,
                      struct mmio_string_env *env)
{
    struct insn in;
    struct mmio_access acc;
    decode_or_fail(mode, hex, &in);
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    env->translate = world_translate;
    env->linear_mask = mode == L64 ? ~0ull : 0xFFFFFFFFull;
    if (env->max_elements == 0)
        env->max_elements = 4096;
    const struct mmio_ops ops = { world_read, world_write, &world, env };
    return mmio_emulate(&in, &acc, regs, rflags, 0xDEAD, &ops);
}

static void fresh_world(struct guest_gprs *regs)
{
    memset(&world, 0, sizeof(world));
    for (unsigned i = 0; i < DEV_SIZE; i++)
        world.dev.mem[i] = (uint8_t)(0xA0 + i);
    for (unsigned i = 0; i < RAM_SIZE; i++)
        world.ram[i] = (uint8_t)i;
    memset(regs, 0, sizeof(*regs));
}

static void test_movs_16bit_rep_movsl_from_mmio(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { 0 };
    fresh_world(&regs);
    /* real mode: DS base = DEV_BASE (the "VGA window"), SI 0; ES base 0x1000, DI 0x10 */
    env.src_base = DEV_BASE;
    env.dst_base = 0x1000;
    regs.gpr[GPR_RSI] = 0xFFFF0000ull;          /* bits above SI are not used, nor changed */
    regs.gpr[GPR_RDI] = 0x10;
    regs.gpr[GPR_RCX] = 0xABCD0000ull | 640;
    uint64_t rflags = FIXED;
    assert_int_equal(run_string(R16, "f3 66 a5", &regs, &rflags, &env), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 0xABCD0000ull);
    assert_int_equal(regs.gpr[GPR_RSI], 0xFFFF0000ull | 2560);
    assert_int_equal(regs.gpr[GPR_RDI], 0x10 + 2560);
    assert_memory_equal(&world.ram[0x1010], world.dev.mem, 2560);
    assert_int_equal(world.ram[0x1010 + 2560], (uint8_t)(0x1010 + 2560));
    assert_int_equal(world.dev.nwrites, 0);
}

static void test_movs_ram_to_mmio_down_and_addr_size(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { 0 };
    fresh_world(&regs);
    /* 64-bit code with 67h: ESI/EDI/ECX, high halves zeroed by 32-bit writes */
    regs.gpr[GPR_RSI] = 0xFFFFFFFF00000000ull | 0x2008;
    regs.gpr[GPR_RDI] = (uint64_t)DEV_BASE + 0x108;
    regs.gpr[GPR_RCX] = 3;
    uint64_t rflags = FIXED | DF;
    env.src_base = 0;
    assert_int_equal(run_string(L64, "67 f3 48 a5", &regs, &rflags, &env), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 0);
    assert_int_equal(regs.gpr[GPR_RSI], 0x2008 - 24);
    assert_int_equal(regs.gpr[GPR_RDI], ((uint64_t)DEV_BASE + 0x108 - 24) & 0xFFFFFFFFull);
    assert_memory_equal(&world.dev.mem[0xF8], &world.ram[0x1FF8], 24);
    assert_int_equal(world.dev.nwrites, 3);
}

static void test_movs_mmio_to_mmio_without_rep(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { 0 };
    fresh_world(&regs);
    regs.gpr[GPR_RSI] = G(0x10);
    regs.gpr[GPR_RDI] = G(0x20);
    regs.gpr[GPR_RCX] = 77;
    uint64_t rflags = FIXED;
    assert_int_equal(run_string(L64, "66 a5", &regs, &rflags, &env), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 77);
    assert_int_equal(regs.gpr[GPR_RSI], G(0x12));
    assert_int_equal(regs.gpr[GPR_RDI], G(0x22));
    assert_int_equal(world.dev.mem[0x20], 0xB0);
    assert_int_equal(world.dev.mem[0x21], 0xB1);
    assert_int_equal(world.dev.nreads, 1);
    assert_int_equal(world.dev.nwrites, 1);
}

static void test_movs_straddling_element_and_limit(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { .max_elements = 2 };
    fresh_world(&regs);
    regs.gpr[GPR_RSI] = 0x2FFE;                 /* a dword across a page boundary */
    regs.gpr[GPR_RDI] = G(0x40);
    regs.gpr[GPR_RCX] = 5;
    uint64_t rflags = FIXED;
    assert_int_equal(run_string(P32, "f3 a5", &regs, &rflags, &env), MMIO_EMUL_PARTIAL);
    assert_int_equal(regs.gpr[GPR_RCX], 3);
    assert_int_equal(regs.gpr[GPR_RSI], 0x3006);
    assert_memory_equal(&world.dev.mem[0x40], &world.ram[0x2FFE], 8);
    assert_int_equal(run_string(P32, "f3 a5", &regs, &rflags, &env), MMIO_EMUL_PARTIAL);
    assert_int_equal(run_string(P32, "f3 a5", &regs, &rflags, &env), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 0);
}

static void test_movs_fault_midway(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { 0 };
    fresh_world(&regs);
    regs.gpr[GPR_RSI] = G(0);
    regs.gpr[GPR_RDI] = FAULT_PAGE - 4;         /* the second dword lands on the bad page */
    regs.gpr[GPR_RCX] = 10;
    uint64_t rflags = FIXED;
    assert_int_equal(run_string(P32, "f3 a5", &regs, &rflags, &env), MMIO_EMUL_FAULT);
    assert_int_equal(env.fault_vector, 14);
    assert_int_equal(env.fault_error, 0x2);
    assert_int_equal(env.fault_linear, FAULT_PAGE);
    assert_int_equal(regs.gpr[GPR_RCX], 9);     /* one element done */
    assert_int_equal(regs.gpr[GPR_RDI], FAULT_PAGE);
}

static void test_cmps_and_scas_end_conditions(void **state)
{
    (void)state;
    struct guest_gprs regs;
    struct mmio_string_env env = { 0 };
    fresh_world(&regs);
    /* RAM 0x100.. holds 00 01 02 ...; make the device equal for 3 bytes, then differ */
    memcpy(world.dev.mem, &world.ram[0x100], 3);
    world.dev.mem[3] = 0x77;
    regs.gpr[GPR_RSI] = 0x100;
    regs.gpr[GPR_RDI] = G(0);
    regs.gpr[GPR_RCX] = 10;
    uint64_t rflags = FIXED;
    assert_int_equal(run_string(L64, "f3 a6", &regs, &rflags, &env), MMIO_EMUL_DONE);  /* repe cmpsb */
    assert_int_equal(regs.gpr[GPR_RCX], 6);     /* stopped after the 4th, unequal, byte */
    assert_int_equal(regs.gpr[GPR_RSI], 0x104);
    assert_false(rflags & ZF);
    assert_true(rflags & CF);                   /* 0x03 - 0x77 borrows */

    /* repne cmpsb: stops at the first equal pair (the 6th: ram[0x108] = device[5]) */
    world.dev.mem[5] = 0x08;
    regs.gpr[GPR_RSI] = 0x103;
    regs.gpr[GPR_RDI] = G(0);
    regs.gpr[GPR_RCX] = 10;
    assert_int_equal(run_string(L64, "f2 a6", &regs, &rflags, &env), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 4);
    assert_int_equal(regs.gpr[GPR_RDI], G(6));
    assert_true(rflags & ZF);

    /* repne scasb on the device: finds AL = 0x77 at offset 3 */
    struct insn in;
    struct mmio_access acc;
    decode_or_fail(L64, "f2 ae", &in);
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    regs.gpr[GPR_RAX] = 0x77;
    regs.gpr[GPR_RDI] = G(0);
    regs.gpr[GPR_RCX] = 10;
    rflags = FIXED;
    const struct mmio_ops ops = { dev_read, dev_write, &world.dev, NULL };
    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(0), &ops), MMIO_EMUL_DONE);
    assert_int_equal(regs.gpr[GPR_RCX], 6);
    assert_int_equal(regs.gpr[GPR_RDI], G(4));
    assert_true(rflags & ZF);

    /* MOVS without the strings environment is refused, not guessed */
    decode_or_fail(L64, "a4", &in);
    assert_int_equal(insn_mmio_info(&in, &acc), 0);
    assert_int_equal(mmio_emulate(&in, &acc, &regs, &rflags, G(0), &ops), -ENOTSUP);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info),
        cmocka_unit_test(test_emulate),
        cmocka_unit_test(test_alu_failure_keeps_flags),
        cmocka_unit_test(test_rep_stos_resumes),
        cmocka_unit_test(test_movs_16bit_rep_movsl_from_mmio),
        cmocka_unit_test(test_movs_ram_to_mmio_down_and_addr_size),
        cmocka_unit_test(test_movs_mmio_to_mmio_without_rep),
        cmocka_unit_test(test_movs_straddling_element_and_limit),
        cmocka_unit_test(test_movs_fault_midway),
        cmocka_unit_test(test_cmps_and_scas_end_conditions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
