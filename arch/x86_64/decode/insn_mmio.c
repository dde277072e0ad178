/*
 * MMIO instruction classification and emulation; see insn_mmio.h.
 *
 * Covers the data-movement and ALU forms a guest uses on device registers. Semantics
 * from AMD APM vol. 3, chapter 3 "General-Purpose Instruction Reference" (MOV, MOVZX,
 * MOVSX, MOVSXD, MOVNTI, STOS, LODS, SCAS, MOVS, CMPS, ADD, OR, ADC, SBB, AND, SUB, XOR, CMP, TEST) and
 * vol. 1, "General-Purpose Registers" (32-bit results zero-extend to 64 bits; 8- and
 * 16-bit results leave the rest of the register alone; without REX, byte registers 4-7
 * are AH, CH, DH, BH) and "Flags Register" (rFLAGS bits); Intel SDM vol. 1 appendix A
 * "EFLAGS Cross-Reference" for which flags each instruction sets.
 *
 * 32-bit register writes zero bits 63:32 in every mode. Outside 64-bit mode those bits
 * are architecturally undefined; zeroing is what QEMU does.
 */
#include "arch/x86_64/decode/insn_mmio.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu_bits.h"

#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)

#define MMIO_PAGE 4096u

static uint64_t size_mask(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

/* ---- classification ---------------------------------------------------------------- */

/* Names a general register operand of `size` bytes encoded as num (REX-extended). */
static void set_reg(const struct insn *in, struct mmio_access *out, unsigned num, unsigned size)
{
    if (size == 1 && !(in->flags & INSN_F_REX) && num >= 4 && num < 8) {
        out->reg = (uint8_t)(num - 4);   /* AH, CH, DH, BH */
        out->flags |= MMIO_F_HIGH8;
    } else {
        out->reg = (uint8_t)num;
    }
}

static void set_load(const struct insn *in, struct mmio_access *out, unsigned size,
                     unsigned reg_size, unsigned ext)
{
    out->kind = MMIO_LOAD;
    out->dir = MMIO_DIR_READ;
    out->size = (uint8_t)size;
    out->reg_size = (uint8_t)reg_size;
    out->ext = (uint8_t)ext;
    set_reg(in, out, insn_modrm_reg(in), reg_size);
}

static void set_store_reg(const struct insn *in, struct mmio_access *out, unsigned size)
{
    out->kind = MMIO_STORE;
    out->dir = MMIO_DIR_WRITE;
    out->size = (uint8_t)size;
    out->reg_size = (uint8_t)size;
    set_reg(in, out, insn_modrm_reg(in), size);
}

static void set_alu(struct mmio_access *out, unsigned alu, unsigned size, bool mem_dst)
{
    out->kind = MMIO_ALU;
    out->alu = (uint8_t)alu;
    out->size = (uint8_t)size;
    out->reg_size = (uint8_t)size;
    out->dir = MMIO_DIR_READ;
    if (mem_dst) {
        out->flags |= MMIO_F_MEM_DST;
        if (alu != MMIO_ALU_CMP && alu != MMIO_ALU_TEST)
            out->dir |= MMIO_DIR_WRITE;
    }
}

static void set_imm(struct mmio_access *out, uint64_t imm)
{
    out->flags |= MMIO_F_IMM;
    out->imm = imm & size_mask(out->size);
}

/* String ops and moffs MOVs: no ModRM, the register is always rAX. */
static int info_no_modrm(const struct insn *in, struct mmio_access *out)
{
    uint8_t op = in->opcode;
    unsigned size = (op & 1) ? in->opsize : 1;
    out->size = out->reg_size = (uint8_t)size;
    out->reg = GPR_RAX;
    switch (op) {
    case 0xA0: case 0xA1:   /* MOV AL/rAX, moffs */
        out->kind = MMIO_LOAD;
        out->dir = MMIO_DIR_READ;
        return 0;
    case 0xA2: case 0xA3:   /* MOV moffs, AL/rAX */
        out->kind = MMIO_STORE;
        out->dir = MMIO_DIR_WRITE;
        return 0;
    case 0xAA: case 0xAB:   /* STOS; F2 repeats it too */
        out->kind = MMIO_STOS;
        out->dir = MMIO_DIR_WRITE;
        break;
    case 0xAC: case 0xAD:   /* LODS */
        out->kind = MMIO_LODS;
        out->dir = MMIO_DIR_READ;
        break;
    case 0xAE: case 0xAF:   /* SCAS */
        out->kind = MMIO_SCAS;
        out->dir = MMIO_DIR_READ;
        break;
    case 0xA4: case 0xA5:   /* MOVS */
        out->kind = MMIO_MOVS;
        out->dir = MMIO_DIR_READ | MMIO_DIR_WRITE;
        break;
    case 0xA6: case 0xA7:   /* CMPS */
        out->kind = MMIO_CMPS;
        out->dir = MMIO_DIR_READ;
        break;
    default:
        return -ENOTSUP;
    }
    if (in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE))
        out->flags |= MMIO_F_REP;
    /* F2 is REPNE for the comparing forms; for the others it repeats like F3. */
    if ((in->prefixes & INSN_PFX_REPNE) && (out->kind == MMIO_CMPS || out->kind == MMIO_SCAS))
        out->flags |= MMIO_F_REPNE;
    return 0;
}

static int info_one_byte(const struct insn *in, struct mmio_access *out)
{
    uint8_t op = in->opcode;
    unsigned v = in->opsize;
    unsigned size = (op & 1) ? v : 1;   /* every form below: even opcodes are the byte form */
    unsigned reg = MODRM_REG(in->modrm);

    /* 00-3B: ADD OR ADC SBB AND SUB XOR CMP, Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev */
    if (op < 0x40 && (op & 7) < 4) {
        set_alu(out, op >> 3, size, !(op & 2));
        set_reg(in, out, insn_modrm_reg(in), size);
        return 0;
    }
    switch (op) {
    case 0x80: case 0x82:   /* Grp1 Eb,Ib (82 is an alias outside 64-bit mode) */
    case 0x81: case 0x83:   /* Grp1 Ev,Iz / Ev,Ib: both sign-extended to the operand */
        set_alu(out, reg, size, true);
        set_imm(out, in->imm);
        return 0;
    case 0x84: case 0x85:   /* TEST Eb,Gb / Ev,Gv */
        set_alu(out, MMIO_ALU_TEST, size, true);
        set_reg(in, out, insn_modrm_reg(in), size);
        return 0;
    case 0xF6: case 0xF7:   /* Grp3 /0, /1: TEST Eb,Ib / Ev,Iz */
        if (reg > 1)
            return -ENOTSUP;
        set_alu(out, MMIO_ALU_TEST, size, true);
        set_imm(out, in->imm);
        return 0;
    case 0x88: case 0x89:   /* MOV Eb,Gb / Ev,Gv */
        set_store_reg(in, out, size);
        return 0;
    case 0x8A: case 0x8B:   /* MOV Gb,Eb / Gv,Ev */
        set_load(in, out, size, size, MMIO_EXT_NONE);
        return 0;
    case 0xC6: case 0xC7:   /* Grp11 /0: MOV Eb,Ib / Ev,Iz */
        if (reg != 0)
            return -ENOTSUP;
        out->kind = MMIO_STORE;
        out->dir = MMIO_DIR_WRITE;
        out->size = out->reg_size = (uint8_t)size;
        set_imm(out, in->imm);
        return 0;
    case 0x63:              /* MOVSXD Gv,Ed (ARPL outside 64-bit mode) */
        if (in->mode != CPU_MODE_LONG64)
            return -ENOTSUP;
        if (in->rex & REX_W)
            set_load(in, out, 4, 8, MMIO_EXT_SIGN);
        else
            set_load(in, out, v, v, MMIO_EXT_NONE);   /* plain 16/32-bit move */
        return 0;
    default:
        return -ENOTSUP;
    }
}

static int info_two_byte(const struct insn *in, struct mmio_access *out)
{
    unsigned v = in->opsize;
    switch (in->opcode) {
    case 0xB6: set_load(in, out, 1, v, MMIO_EXT_ZERO); return 0;   /* MOVZX Gv,Eb */
    case 0xB7: set_load(in, out, 2, v, MMIO_EXT_ZERO); return 0;   /* MOVZX Gv,Ew */
    case 0xBE: set_load(in, out, 1, v, MMIO_EXT_SIGN); return 0;   /* MOVSX Gv,Eb */
    case 0xBF: set_load(in, out, 2, v, MMIO_EXT_SIGN); return 0;   /* MOVSX Gv,Ew */
    case 0xC3:                                                      /* MOVNTI My,Gy */
        if (v == 2 || (in->prefixes & (INSN_PFX_REP | INSN_PFX_REPNE)))
            return -ENOTSUP;
        set_store_reg(in, out, v);
        return 0;
    default:
        return -ENOTSUP;
    }
}

int insn_mmio_info(const struct insn *in, struct mmio_access *out)
{
    memset(out, 0, sizeof(*out));
    if (in->flags & INSN_F_VEX)
        return -ENOTSUP;
    if (in->map == INSN_MAP_ONE && !(in->flags & INSN_F_MODRM))
        return info_no_modrm(in, out);
    /* Everything else names memory through ModRM; register forms never reach MMIO. */
    if (!(in->flags & INSN_F_MEM))
        return -ENOTSUP;
    if (in->map == INSN_MAP_ONE)
        return info_one_byte(in, out);
    if (in->map == INSN_MAP_0F)
        return info_two_byte(in, out);
    return -ENOTSUP;
}

/* ---- registers ----------------------------------------------------------------------- */

static uint64_t reg_read(const struct guest_gprs *r, unsigned reg, unsigned size, bool high8)
{
    uint64_t v = r->gpr[reg];
    if (high8)
        return (v >> 8) & 0xFF;
    return v & size_mask(size);
}

/* Writes size bytes of v to a register: 1 and 2 merge, 4 zero-extends, 8 replaces. */
static void reg_write(struct guest_gprs *r, unsigned reg, unsigned size, bool high8, uint64_t v)
{
    uint64_t *g = &r->gpr[reg];
    switch (size) {
    case 1:
        if (high8)
            *g = (*g & ~0xFF00ull) | ((v & 0xFF) << 8);
        else
            *g = (*g & ~0xFFull) | (v & 0xFF);
        break;
    case 2:
        *g = (*g & ~0xFFFFull) | (v & 0xFFFF);
        break;
    case 4:
        *g = v & 0xFFFFFFFFull;
        break;
    default:
        *g = v;
        break;
    }
}

static uint64_t extend(uint64_t v, unsigned from, unsigned ext)
{
    v &= size_mask(from);
    if (ext == MMIO_EXT_SIGN && from < 8) {
        uint64_t top = 1ull << (8 * from - 1);
        v = (v ^ top) - top;
    }
    return v;
}

/* ---- arithmetic ---------------------------------------------------------------------- */

static bool parity_even(uint64_t v)
{
    uint8_t b = (uint8_t)v;
    b ^= b >> 4;
    b ^= b >> 2;
    b ^= b >> 1;
    return !(b & 1);
}

/* dst op src at `size` bytes; returns the result and sets the six arithmetic flags. */
static uint64_t alu_compute(unsigned op, uint64_t dst, uint64_t src, unsigned size,
                            uint64_t *rflags)
{
    uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);
    uint64_t cf_in = (*rflags & RFLAGS_CF) ? 1 : 0;
    uint64_t res, f = 0;
    dst &= mask;
    src &= mask;

    switch (op) {
    case MMIO_ALU_ADD:
    case MMIO_ALU_ADC: {
        uint64_t c = op == MMIO_ALU_ADC ? cf_in : 0;
        res = (dst + src + c) & mask;
        if (res < dst || (c && res == dst))
            f |= RFLAGS_CF;
        if ((dst ^ res) & (src ^ res) & sign)
            f |= RFLAGS_OF;
        f |= (dst ^ src ^ res) & RFLAGS_AF;
        break;
    }
    case MMIO_ALU_SUB:
    case MMIO_ALU_SBB:
    case MMIO_ALU_CMP: {
        uint64_t b = op == MMIO_ALU_SBB ? cf_in : 0;
        res = (dst - src - b) & mask;
        if (src > dst || (b && src == dst))
            f |= RFLAGS_CF;
        if ((dst ^ src) & (dst ^ res) & sign)
            f |= RFLAGS_OF;
        f |= (dst ^ src ^ res) & RFLAGS_AF;
        break;
    }
    case MMIO_ALU_OR:  res = dst | src; break;
    case MMIO_ALU_XOR: res = dst ^ src; break;
    default:           res = dst & src; break;   /* AND, TEST: CF = OF = 0; AF left 0 */
    }
    if (res == 0)
        f |= RFLAGS_ZF;
    if (res & sign)
        f |= RFLAGS_SF;
    if (parity_even(res))
        f |= RFLAGS_PF;
    *rflags = (*rflags & ~RFLAGS_ARITH) | f;
    return res;
}

/* ---- emulation ----------------------------------------------------------------------- */

static int emulate_alu(const struct mmio_access *acc, struct guest_gprs *regs, uint64_t *rflags,
                       uint64_t gpa, const struct mmio_ops *ops)
{
    bool high8 = acc->flags & MMIO_F_HIGH8;
    uint64_t mem;
    int err = ops->read(ops->ctx, gpa, acc->size, &mem);
    if (err)
        return err;
    uint64_t other = (acc->flags & MMIO_F_IMM) ? acc->imm
                                                : reg_read(regs, acc->reg, acc->size, high8);
    uint64_t flags = *rflags;
    if (acc->flags & MMIO_F_MEM_DST) {
        uint64_t res = alu_compute(acc->alu, mem, other, acc->size, &flags);
        if (acc->dir & MMIO_DIR_WRITE) {
            err = ops->write(ops->ctx, gpa, acc->size, res);
            if (err)
                return err;
        }
    } else {
        uint64_t res = alu_compute(acc->alu, other, mem, acc->size, &flags);
        if (acc->alu != MMIO_ALU_CMP && acc->alu != MMIO_ALU_TEST)
            reg_write(regs, acc->reg, acc->size, high8, res);
    }
    *rflags = flags;
    return MMIO_EMUL_DONE;
}

/* REPE (F3) goes on while ZF = 1, REPNE (F2) while ZF = 0 (CMPS, SCAS only). */
static bool rep_condition_ends(const struct mmio_access *acc, uint64_t rflags)
{
    bool zf = rflags & RFLAGS_ZF;
    return (acc->flags & MMIO_F_REPNE) ? zf : !zf;
}

/* STOS / LODS / SCAS, at most to the edge of gpa's page (the next page may be RAM, or another
 * MMIO range with its own gpa: the guest re-executes and faults again if so). */
static int emulate_string(const struct insn *in, const struct mmio_access *acc,
                          struct guest_gprs *regs, uint64_t *rflags, uint64_t gpa,
                          const struct mmio_ops *ops)
{
    unsigned size = acc->size, as = in->addrsize;
    uint64_t amask = size_mask(as);
    bool rep = acc->flags & MMIO_F_REP, down = *rflags & RFLAGS_DF;
    unsigned idx = acc->kind == MMIO_LODS ? GPR_RSI : GPR_RDI;
    uint64_t count = rep ? regs->gpr[GPR_RCX] & amask : 1;
    uint64_t off = gpa & (MMIO_PAGE - 1);

    if (count == 0)
        return MMIO_EMUL_DONE;
    uint64_t in_page = down ? off / size + 1 : (MMIO_PAGE - off) / size;
    uint64_t n = count < in_page ? count : in_page;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t a = down ? gpa - i * size : gpa + i * size;
        int err;
        bool stop = false;
        if (acc->kind == MMIO_STOS) {
            err = ops->write(ops->ctx, a, size, reg_read(regs, GPR_RAX, size, false));
        } else if (acc->kind == MMIO_SCAS) {
            uint64_t v;
            err = ops->read(ops->ctx, a, size, &v);
            if (!err) {
                alu_compute(MMIO_ALU_CMP, reg_read(regs, GPR_RAX, size, false), v, size, rflags);
                stop = rep_condition_ends(acc, *rflags);
            }
        } else {
            uint64_t v;
            err = ops->read(ops->ctx, a, size, &v);
            if (!err)
                reg_write(regs, GPR_RAX, size, false, v);
        }
        if (err)
            return err;
        uint64_t p = regs->gpr[idx] & amask;
        reg_write(regs, idx, as, false, down ? p - size : p + size);
        if (rep) {
            count--;
            reg_write(regs, GPR_RCX, as, false, count);
        }
        if (stop)
            return MMIO_EMUL_DONE;
    }
    return (rep && count != 0) ? MMIO_EMUL_PARTIAL : MMIO_EMUL_DONE;
}

/* One element of MOVS/CMPS at a linear address: translated page by page (an element may
 * straddle two), read or written through ops. 0, MMIO_EMUL_FAULT, or an error. */
static int string_element(const struct mmio_ops *ops, uint64_t linear, unsigned size, bool write,
                          uint64_t *val)
{
    struct mmio_string_env *env = ops->strings;
    unsigned done = 0;
    uint64_t result = 0;
    while (done < size) {
        uint64_t a = (linear + done) & env->linear_mask, gpa;
        uint32_t pf_error = 0;
        unsigned chunk = MMIO_PAGE - (unsigned)(a & (MMIO_PAGE - 1));
        if (chunk > size - done)
            chunk = size - done;
        /* Power-of-two pieces for the device side. */
        while (chunk & (chunk - 1))
            chunk &= chunk - 1;
        int err = env->translate(ops->ctx, a, write, &gpa, &pf_error);
        if (err == -EFAULT || err == -EINVAL) {
            env->fault_linear = a;
            env->fault_vector = err == -EFAULT ? 14 : 13;
            env->fault_error = err == -EFAULT ? pf_error : 0;
            return MMIO_EMUL_FAULT;
        }
        if (err)
            return err;
        uint64_t piece = 0;
        if (write)
            err = ops->write(ops->ctx, gpa, chunk, (*val >> (8 * done)) & size_mask(chunk));
        else
            err = ops->read(ops->ctx, gpa, chunk, &piece);
        if (err)
            return err;
        result |= (piece & size_mask(chunk)) << (8 * done);
        done += chunk;
    }
    if (!write)
        *val = result;
    return 0;
}

/* MOVS / CMPS (APM vol. 3, "MOVS", "CMPS"; REPE/REPNE end conditions in "REPx"): every
 * element addressed through ops->strings. Writes of the destination happen only after
 * both addresses translated, so a fault leaves memory as the CPU would. */
static int emulate_two_operand_string(const struct insn *in, const struct mmio_access *acc,
                                      struct guest_gprs *regs, uint64_t *rflags,
                                      const struct mmio_ops *ops)
{
    struct mmio_string_env *env = ops->strings;
    unsigned size = acc->size, as = in->addrsize;
    uint64_t amask = size_mask(as);
    bool rep = acc->flags & MMIO_F_REP, down = *rflags & RFLAGS_DF;
    uint64_t count = rep ? regs->gpr[GPR_RCX] & amask : 1;
    uint64_t limit = env->max_elements ? env->max_elements : 1;

    for (uint64_t i = 0; count != 0; i++) {
        if (i == limit)
            return MMIO_EMUL_PARTIAL;
        uint64_t si = regs->gpr[GPR_RSI] & amask, di = regs->gpr[GPR_RDI] & amask;
        uint64_t src = env->src_base + si, dst = env->dst_base + di;
        uint64_t a = 0, b = 0;
        int err = string_element(ops, src, size, false, &a);
        if (err)
            return err;
        if (acc->kind == MMIO_MOVS) {
            err = string_element(ops, dst, size, true, &a);
        } else {
            err = string_element(ops, dst, size, false, &b);
            if (!err)
                alu_compute(MMIO_ALU_CMP, a, b, size, rflags);   /* [rSI] - [rDI] */
        }
        if (err)
            return err;
        reg_write(regs, GPR_RSI, as, false, down ? si - size : si + size);
        reg_write(regs, GPR_RDI, as, false, down ? di - size : di + size);
        if (!rep)
            return MMIO_EMUL_DONE;
        count--;
        reg_write(regs, GPR_RCX, as, false, count);
        if (acc->kind == MMIO_CMPS && rep_condition_ends(acc, *rflags))
            return MMIO_EMUL_DONE;
    }
    return MMIO_EMUL_DONE;
}

int mmio_emulate(const struct insn *in, const struct mmio_access *acc, struct guest_gprs *regs,
                 uint64_t *rflags, uint64_t gpa, const struct mmio_ops *ops)
{
    bool high8 = acc->flags & MMIO_F_HIGH8;
    if (acc->kind == MMIO_MOVS || acc->kind == MMIO_CMPS) {
        if (ops->strings == NULL || ops->strings->translate == NULL)
            return -ENOTSUP;
        return emulate_two_operand_string(in, acc, regs, rflags, ops);
    }
    if ((gpa & (MMIO_PAGE - 1)) + acc->size > MMIO_PAGE)
        return -ENOTSUP;   /* the rest of the access is on a page whose gpa we lack */

    switch (acc->kind) {
    case MMIO_LOAD: {
        uint64_t v;
        int err = ops->read(ops->ctx, gpa, acc->size, &v);
        if (err)
            return err;
        reg_write(regs, acc->reg, acc->reg_size, high8, extend(v, acc->size, acc->ext));
        return MMIO_EMUL_DONE;
    }
    case MMIO_STORE: {
        uint64_t v = (acc->flags & MMIO_F_IMM) ? acc->imm
                                               : reg_read(regs, acc->reg, acc->size, high8);
        int err = ops->write(ops->ctx, gpa, acc->size, v);
        return err ? err : MMIO_EMUL_DONE;
    }
    case MMIO_ALU:
        return emulate_alu(acc, regs, rflags, gpa, ops);
    case MMIO_STOS:
    case MMIO_LODS:
    case MMIO_SCAS:
        return emulate_string(in, acc, regs, rflags, gpa, ops);
    default:
        return -ENOTSUP;
    }
}
