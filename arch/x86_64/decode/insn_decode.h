/*
 * x86 instruction decoder for VTL0 exits.
 *
 * TCG's SVM has neither NRIPS nor decode assists, so after an exit Mezzanine finds the
 * instruction length itself (to advance RIP past HLT, CPUID, MSR and MMIO accesses) and,
 * for a nested page fault on an MMIO range, what the instruction does. Pure: no hardware
 * access.
 *
 * insn_mmio.h takes a decoded instruction on to an MMIO access.
 */
#ifndef MEZZ_ARCH_INSN_DECODE_H
#define MEZZ_ARCH_INSN_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/svm/guest_regs.h"

#define INSN_MAX_LEN 15   /* longer is #GP (APM vol. 3, "Instruction Byte Order") */

/* How the CPU decodes: default operand/address size and whether REX/VEX exist. */
enum cpu_mode {
    CPU_MODE_REAL16,   /* real mode and virtual-8086 mode */
    CPU_MODE_PROT16,   /* protected or compatibility mode, CS.D = 0 */
    CPU_MODE_PROT32,   /* protected or compatibility mode, CS.D = 1 */
    CPU_MODE_LONG64,   /* 64-bit mode: EFER.LMA = 1 and CS.L = 1 */
};

/* From CR0.PE, EFER.LMA, CS.L, RFLAGS.VM and CS.D (APM vol. 2, "Operating Modes"). */
enum cpu_mode cpu_mode_of(const struct guest_cpu_state *cpu);

/* insn.prefixes */
#define INSN_PFX_OPSIZE   (1u << 0)   /* 66 */
#define INSN_PFX_ADDRSIZE (1u << 1)   /* 67 */
#define INSN_PFX_LOCK     (1u << 2)   /* F0 */
#define INSN_PFX_REP      (1u << 3)   /* F3 (REP/REPE); the later of F2/F3 wins */
#define INSN_PFX_REPNE    (1u << 4)   /* F2 (REPNE) */

/* insn.seg: the last segment-override prefix, in segment-register encoding order.
 * Recorded as written; in 64-bit mode only FS and GS have an effect. */
#define INSN_SEG_ES   0
#define INSN_SEG_CS   1
#define INSN_SEG_SS   2
#define INSN_SEG_DS   3
#define INSN_SEG_FS   4
#define INSN_SEG_GS   5
#define INSN_SEG_NONE 7

/* insn.rex: REX.WRXB in the low nibble (a REX prefix, or the same bits taken from a VEX
 * prefix in 64-bit mode). INSN_F_REX says a real REX prefix was present (byte registers
 * 4-7 are then SPL/BPL/SIL/DIL instead of AH/CH/DH/BH). */
#define REX_B 0x1
#define REX_X 0x2
#define REX_R 0x4
#define REX_W 0x8

/* insn.map */
#define INSN_MAP_ONE  0   /* one-byte opcode map */
#define INSN_MAP_0F   1   /* 0F xx */
#define INSN_MAP_0F38 2   /* 0F 38 xx */
#define INSN_MAP_0F3A 3   /* 0F 3A xx */

/* insn.flags */
#define INSN_F_MODRM  (1u << 0)   /* modrm is valid */
#define INSN_F_SIB    (1u << 1)   /* sib is valid */
#define INSN_F_RIPREL (1u << 2)   /* memory operand is RIP (EIP) + disp32 */
#define INSN_F_REX    (1u << 3)   /* a REX prefix took effect */
#define INSN_F_VEX    (1u << 4)   /* VEX-encoded (C4/C5); vex[] holds its payload */
#define INSN_F_MEM    (1u << 5)   /* ModRM names a memory operand (mod != 3) */

/* ModRM and SIB field accessors (raw fields, without REX extension). */
#define MODRM_MOD(m) (((m) >> 6) & 3)
#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_RM(m)  ((m) & 7)
#define SIB_SCALE(s) (((s) >> 6) & 3)
#define SIB_INDEX(s) (((s) >> 3) & 7)
#define SIB_BASE(s)  ((s) & 7)

struct insn {
    uint8_t length;     /* bytes; on -EAGAIN, how many bytes are needed to go on */
    uint8_t mode;       /* enum cpu_mode it was decoded in */
    uint8_t prefixes;   /* INSN_PFX_* */
    uint8_t seg;        /* INSN_SEG_* */
    uint8_t rex;        /* REX_* bits */
    uint8_t map;        /* INSN_MAP_* */
    uint8_t opcode;     /* the opcode byte within map */
    uint8_t flags;      /* INSN_F_* */
    uint8_t modrm, sib;
    uint8_t vex[2];     /* C5: vex[0] = R.vvvv.L.pp; C4: vex[0] = RXB.mmmmm, vex[1] = W.vvvv.L.pp */
    uint8_t opsize;     /* operand-size attribute in bytes: 2, 4 or 8 (byte forms are not
                         * special-cased: insn_mmio_info knows those) */
    uint8_t addrsize;   /* address size in bytes: 2, 4 or 8 */
    uint8_t disp_size;  /* 0, 1, 2 or 4 */
    uint8_t imm_size;   /* 0, 1, 2, 4 or 8: bytes of imm as encoded */
    uint8_t imm2_size;  /* 0, 1 or 2: second immediate (ENTER, far pointers, EXTRQ/INSERTQ) */
    int64_t disp;       /* sign-extended */
    /* The immediate as the instruction uses it: sign-extended from its encoded width
     * (Ib of 83/6B/6A, Jb, Jz, Iz...), zero-extended where the manual treats it as
     * unsigned (port numbers, vectors, shift counts, RET/ENTER sizes, moffs, far-pointer
     * offsets, MOV r,imm B0-BF, 0F 3A selectors). Consumers truncate to the operand
     * size. */
    uint64_t imm;
    uint64_t imm2;      /* zero-extended: ENTER level, far-pointer selector */
};

/* Register number of ModRM.reg and ModRM.rm (register forms), REX-extended. */
static inline unsigned insn_modrm_reg(const struct insn *in)
{
    return MODRM_REG(in->modrm) | ((in->rex & REX_R) ? 8u : 0u);
}

static inline unsigned insn_modrm_rm(const struct insn *in)
{
    return MODRM_RM(in->modrm) | ((in->rex & REX_B) ? 8u : 0u);
}

/*
 * Decodes one instruction from bytes[0, avail) as the CPU would in `mode`.
 * Returns 0 and fills *out; -EAGAIN if the bytes end before the instruction does, with
 * out->length = the number of bytes needed to go on (always > avail; the caller fetches
 * more, e.g. from the next page, and calls again); -EINVAL as soon as the bytes seen
 * make it longer than 15 (a #GP), even if avail ends first; -ENOTSUP for an opcode that
 * is undefined or invalid in this mode (the #UD cases listed in insn_decode.c), EVEX
 * and XOP. Never reads past bytes[avail - 1].
 */
int insn_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct insn *out);

#endif
