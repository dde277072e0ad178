/*
 * MMIO instruction emulation: what memory access a decoded VTL0 instruction makes after
 * a nested page fault on an MMIO range, and performing it. Pure: the memory side goes
 * through struct mmio_ops, registers are a struct guest_gprs.
 *
 *   insn_mmio_info()  struct insn -> struct mmio_access, or -ENOTSUP for anything but
 *                     the forms listed there
 *   mmio_emulate()    performs the access through mmio_ops and updates the registers
 */
#ifndef MEZZ_ARCH_INSN_MMIO_H
#define MEZZ_ARCH_INSN_MMIO_H

#include <stdint.h>

#include "arch/x86_64/svm/guest_regs.h"
#include "arch/x86_64/decode/insn_decode.h"

enum mmio_kind {
    MMIO_LOAD,    /* reg <- mem, extended per `ext` from size to reg_size */
    MMIO_STORE,   /* mem <- reg (or imm if MMIO_F_IMM) */
    MMIO_ALU,     /* mem op src -> mem (MMIO_F_MEM_DST) or reg op mem -> reg; flags */
    MMIO_STOS,    /* [rDI] <- rAX, rDI +/- size, with REP: rCX times */
    MMIO_LODS,    /* rAX <- [rSI], rSI +/- size, with REP: rCX times */
    MMIO_SCAS,    /* flags of rAX - [rDI], rDI +/- size, with REPE/REPNE */
    MMIO_MOVS,    /* [ES:rDI] <- [seg:rSI], both step; either side RAM or MMIO */
    MMIO_CMPS,    /* flags of [seg:rSI] - [ES:rDI], both step, with REPE/REPNE */
};

/* Arithmetic for MMIO_ALU, in group-1 (ModRM.reg of 80/81/83) order, plus TEST. */
enum mmio_alu {
    MMIO_ALU_ADD, MMIO_ALU_OR, MMIO_ALU_ADC, MMIO_ALU_SBB,
    MMIO_ALU_AND, MMIO_ALU_SUB, MMIO_ALU_XOR, MMIO_ALU_CMP,
    MMIO_ALU_TEST,
};

/* mmio_access.dir */
#define MMIO_DIR_READ  (1u << 0)
#define MMIO_DIR_WRITE (1u << 1)

/* mmio_access.flags */
#define MMIO_F_IMM     (1u << 0)   /* the source operand is imm, not a register */
#define MMIO_F_HIGH8   (1u << 1)   /* reg is AH/CH/DH/BH: bits 15:8 of gpr[reg] */
#define MMIO_F_REP     (1u << 2)   /* string op with a REP prefix (F3 or F2) */
#define MMIO_F_MEM_DST (1u << 3)   /* MMIO_ALU: the memory operand is the destination */
#define MMIO_F_REPNE   (1u << 4)   /* with MMIO_F_REP: the prefix was F2 (REPNE) */

/* mmio_access.ext: how a load fills reg_size from size */
#define MMIO_EXT_NONE 0   /* size == reg_size */
#define MMIO_EXT_ZERO 1   /* MOVZX */
#define MMIO_EXT_SIGN 2   /* MOVSX, MOVSXD */

struct mmio_access {
    uint8_t kind;       /* enum mmio_kind */
    uint8_t dir;        /* MMIO_DIR_* mask: what happens to memory */
    uint8_t flags;      /* MMIO_F_* */
    uint8_t size;       /* bytes per memory access: 1, 2, 4 or 8 */
    uint8_t reg;        /* register operand: index into guest_gprs.gpr */
    uint8_t reg_size;   /* width of the register operand (the destination of a load) */
    uint8_t ext;        /* MMIO_EXT_*, loads only */
    uint8_t alu;        /* enum mmio_alu, MMIO_ALU only */
    uint64_t imm;       /* source value when MMIO_F_IMM, truncated to size */
};

/*
 * Says what memory access a decoded instruction makes, for the forms an MMIO access
 * takes: MOV 88/89/8A/8B, C6/C7 /0, A0-A3; MOVZX 0F B6/B7; MOVSX 0F BE/BF; MOVSXD 63
 * (64-bit mode); MOVNTI 0F C3; STOS AA/AB, LODS AC/AD, SCAS AE/AF, MOVS A4/A5 and
 * CMPS A6/A7 (with REP/REPE/REPNE, operand- and address-size prefixes); ALU ops 00-3B
 * (ADD/OR/ADC/SBB/AND/SUB/XOR/CMP, both directions), 80/81/83, TEST 84/85 and F6/F7 /0,/1.
 * Returns 0, or -ENOTSUP for anything else (including register-only forms, which
 * cannot touch MMIO): such accesses are reported, not guessed.
 */
int insn_mmio_info(const struct insn *in, struct mmio_access *out);

/*
 * What MOVS and CMPS need besides the faulting address: both operands are memory, and
 * either may be RAM or MMIO, so each element is addressed through VTL0's segments and
 * paging. Filled by the caller; the fault fields are outputs.
 */
struct mmio_string_env {
    uint64_t src_base;        /* base of DS or the segment override (64-bit: 0 but FS/GS) */
    uint64_t dst_base;        /* base of ES (0 in 64-bit mode) */
    uint64_t linear_mask;     /* ~0 in 64-bit mode, 0xFFFFFFFF otherwise */
    unsigned max_elements;    /* per call; more gives MMIO_EMUL_PARTIAL (interrupts get in) */
    /* linear -> guest-physical for a read or a write: 0, -EFAULT with *pf_error (a #PF
     * for VTL0), -EINVAL (non-canonical: #GP), or another error. */
    int (*translate)(void *ctx, uint64_t linear, bool write, uint64_t *gpa, uint32_t *pf_error);
    /* out, on MMIO_EMUL_FAULT */
    uint64_t fault_linear;
    uint32_t fault_error;     /* #PF error code; fault_vector says which exception */
    uint8_t fault_vector;     /* 14 (#PF) or 13 (#GP, error 0) */
};

struct mmio_ops {
    /* Each returns 0 or a negative errno; val is little-endian in the low size bytes.
     * For MOVS/CMPS the address may be RAM as well as MMIO. */
    int (*read)(void *ctx, uint64_t gpa, unsigned size, uint64_t *val);
    int (*write)(void *ctx, uint64_t gpa, unsigned size, uint64_t val);
    void *ctx;
    struct mmio_string_env *strings;   /* MOVS/CMPS only; NULL: they are -ENOTSUP */
};

#define MMIO_EMUL_DONE    0   /* the instruction completed: advance RIP by in->length */
#define MMIO_EMUL_PARTIAL 1   /* REP string op stopped at the end of gpa's page: registers
                               * are updated, RIP stays, the guest re-executes the rest */
#define MMIO_EMUL_FAULT   2   /* MOVS/CMPS: an element faulted (ops->strings->fault_*):
                               * registers reflect the elements done, RIP stays, the caller
                               * injects the exception */

/*
 * Performs `acc` (from insn_mmio_info(in)) at guest-physical gpa through ops, with
 * x86 register semantics: 32-bit register writes zero bits 63:32, 8/16-bit writes merge,
 * high-byte registers write bits 15:8; ALU ops set OF/SF/ZF/AF/PF/CF in *rflags. String
 * ops step rDI/rSI by +/-size per RFLAGS.DF and count rCX down (all three at the
 * address size) and do at most the iterations that stay within gpa's 4 KiB page.
 * The access must not straddle a page. RIP is the caller's job.
 * MOVS and CMPS ignore gpa: each element's two addresses come from rSI/rDI through
 * ops->strings (at most max_elements per call; elements may straddle pages).
 * Returns MMIO_EMUL_DONE, MMIO_EMUL_PARTIAL, MMIO_EMUL_FAULT, -ENOTSUP (page-straddling
 * access; MOVS/CMPS without ops->strings), or the error of ops->read/write/translate
 * (registers and flags then reflect only completed iterations).
 */
int mmio_emulate(const struct insn *in, const struct mmio_access *acc, struct guest_gprs *regs,
                 uint64_t *rflags, uint64_t gpa, const struct mmio_ops *ops);

#endif
