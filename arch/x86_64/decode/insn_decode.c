/*
 * x86 instruction decoder; see insn_decode.h.
 *
 * Covers every opcode's length in the one-byte map, the 0F two-byte map and the 0F 38 /
 * 0F 3A three-byte maps, legacy prefixes, REX, ModRM/SIB/displacement in the 16-bit and
 * 32/64-bit addressing forms, immediates, and VEX (C4/C5). Facts from:
 *   AMD APM vol. 3, "Instruction Byte Order", "Legacy Prefixes", "REX Prefix",
 *     "ModRM and SIB Bytes" (tables "ModRM.r/m Field Encodings for 16-Bit Addressing"
 *     and "...32-Bit Addressing"), appendix A "Opcode and Operand Encodings":
 *     tables "One-Byte Opcodes, Low Nibble 0-7h / 8-Fh", "Secondary Opcode Map
 *     (Two-Byte Opcodes)", "0F_38h / 0F_3Ah Opcode Map", "ModRM.reg Extensions".
 *   Intel SDM vol. 2, appendix A "Opcode Map" (tables A-2 "One-byte Opcode Map",
 *     A-3 "Two-byte Opcode Map", A-4/A-5 "Three-byte Opcode Map"), section 2.3.5
 *     "The VEX Prefix" for C4/C5 versus LES/LDS.
 *
 * Choices, where the manuals leave room:
 *   - Near branches with 66 in 64-bit mode take rel16 (AMD; Intel ignores the 66).
 *     Mezzanine runs on SVM, so AMD's reading is the one the CPU has.
 *   - VEX is decoded (length and fields) in protected and 64-bit modes; C4/C5 are
 *     LES/LDS in real/virtual-8086 mode and in 16/32-bit modes when ModRM.mod != 11.
 *     EVEX (62 in 64-bit mode, or 62 with mod = 11 in protected mode) and AMD XOP
 *     (8F with ModRM.reg != 0) are -ENOTSUP: TCG implements neither AVX-512 nor XOP,
 *     so such instructions only ever #UD and never need emulating.
 *   - All of 0F 38 xx take a ModRM and no immediate, all of 0F 3A xx take ModRM + ib;
 *     holes in those maps are not diagnosed (they #UD with that length).
 *   - Opcodes reported -ENOTSUP: undefined ones in the one-byte and 0F maps (0F 04,
 *     0F 0A, 0F 0C, 0F 24-27, 0F 36, 0F 39, 0F 3B-3F, 0F 7A, 0F 7B, 0F A6, 0F A7),
 *     the group encodings that #UD (8F /1-7, C6/C7 /1-7 except XABORT/XBEGIN, FE /2-7,
 *     FF /7), and in 64-bit mode the ones "Invalid in 64-bit mode": 06 07 0E 16 17 1E
 *     1F 27 2F 37 3F 60 61 82 9A C4/C5 (as LES/LDS) CE D4 D5 D6 EA.
 */
#include "arch/x86_64/decode/insn_decode.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/cpu/cpu_bits.h"

/* ---- cpu mode ------------------------------------------------------------------ */

enum cpu_mode cpu_mode_of(const struct guest_cpu_state *cpu)
{
    if (!(cpu->cr0 & CR0_PE))
        return CPU_MODE_REAL16;
    if (cpu->efer & EFER_LMA) {
        /* Long mode has no virtual-8086 mode; CS.L picks 64-bit vs compatibility. */
        if (cpu->cs.attrib & SEG_ATTR_L)
            return CPU_MODE_LONG64;
    } else if (cpu->rflags & RFLAGS_VM) {
        return CPU_MODE_REAL16;
    }
    return (cpu->cs.attrib & SEG_ATTR_DB) ? CPU_MODE_PROT32 : CPU_MODE_PROT16;
}

/* ---- opcode tables --------------------------------------------------------------- */

/* Immediate kinds (low 4 bits of an opcode's attributes). */
#define IMM_NONE  0x0
#define IMM_B     0x1   /* Ib / Jb: 1 byte */
#define IMM_W     0x2   /* Iw: 2 bytes (RET/RETF imm16) */
#define IMM_Z     0x3   /* Iz / Jz: 2 bytes if operand size 16, else 4 */
#define IMM_V     0x4   /* Iv: operand size (2, 4 or 8: MOV r, imm B8+r) */
#define IMM_WB    0x5   /* Iw, Ib: ENTER */
#define IMM_AP    0x6   /* Ap: offset (operand size 2 or 4) then selector (2) */
#define IMM_MOFFS 0x7   /* moffs: address size (A0-A3) */
#define IMM_MASK  0xF

#define F_MODRM   (1u << 4)    /* has a ModRM byte */
#define F_UNS     (1u << 5)    /* the immediate is unsigned: zero-extend it */
#define F_I64     (1u << 6)    /* invalid in 64-bit mode */
#define F_UD      (1u << 7)    /* undefined opcode */
#define F_GRP3    (1u << 8)    /* F6/F7: the immediate exists only for ModRM.reg 0 and 1 */
#define F_MODREG  (1u << 9)    /* 0F 20-23: ModRM.mod is ignored, always a register form */
#define F_D64     (1u << 10)   /* operand size defaults to 64 in 64-bit mode */
#define F_PFX     (1u << 11)   /* a prefix (never looked up as an opcode) */

#define M   F_MODRM
#define B   IMM_B
#define Z   IMM_Z
#define UD  F_UD
#define I64 F_I64
#define PFX F_PFX
#define D64 F_D64

/* AMD APM vol. 3 tables "One-Byte Opcodes, Low Nibble 0-7h / 8-Fh"; Intel SDM table A-2. */
static const uint16_t one_byte_map[256] = {
    /* 00 ADD Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  AL,Ib  rAX,Iz  PUSH ES  POP ES */
    [0x00] = M, M, M, M, B, Z, I64, I64,
    /* 08 OR ...  PUSH CS  (0F: escape, handled before lookup) */
    [0x08] = M, M, M, M, B, Z, I64, 0,
    /* 10 ADC ...  PUSH SS  POP SS */
    [0x10] = M, M, M, M, B, Z, I64, I64,
    /* 18 SBB ...  PUSH DS  POP DS */
    [0x18] = M, M, M, M, B, Z, I64, I64,
    /* 20 AND ...  ES:  DAA */
    [0x20] = M, M, M, M, B, Z, PFX, I64,
    /* 28 SUB ...  CS:  DAS */
    [0x28] = M, M, M, M, B, Z, PFX, I64,
    /* 30 XOR ...  SS:  AAA */
    [0x30] = M, M, M, M, B, Z, PFX, I64,
    /* 38 CMP ...  DS:  AAS */
    [0x38] = M, M, M, M, B, Z, PFX, I64,
    /* 40-4F INC/DEC r (REX prefixes in 64-bit mode, handled before lookup) */
    [0x40] = 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    /* 50-5F PUSH/POP r */
    [0x50] = D64, D64, D64, D64, D64, D64, D64, D64,
    [0x58] = D64, D64, D64, D64, D64, D64, D64, D64,
    /* 60 PUSHA  POPA  BOUND Gv,Ma (62 in 64-bit mode is EVEX)  ARPL Ew,Gw / MOVSXD Gv,Ed
     *    FS:  GS:  66  67 */
    [0x60] = I64, I64, M, M, PFX, PFX, PFX, PFX,
    /* 68 PUSH Iz  IMUL Gv,Ev,Iz  PUSH Ib  IMUL Gv,Ev,Ib  INSB  INSW/D  OUTSB  OUTSW/D */
    [0x68] = Z | D64, M | Z, B | D64, M | B, 0, 0, 0, 0,
    /* 70-7F Jcc Jb */
    [0x70] = B | D64, B | D64, B | D64, B | D64, B | D64, B | D64, B | D64, B | D64,
    [0x78] = B | D64, B | D64, B | D64, B | D64, B | D64, B | D64, B | D64, B | D64,
    /* 80 Grp1 Eb,Ib  Ev,Iz  Eb,Ib (invalid in 64)  Ev,Ib  TEST Eb,Gb  Ev,Gv  XCHG Eb,Gb  Ev,Gv */
    [0x80] = M | B, M | Z, M | B | I64, M | B, M, M, M, M,
    /* 88 MOV Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev  MOV Ev,Sw  LEA  MOV Sw,Ew  Grp1a POP Ev */
    [0x88] = M, M, M, M, M, M, M, M | D64,
    /* 90-97 NOP/PAUSE, XCHG r,rAX */
    [0x90] = 0, 0, 0, 0, 0, 0, 0, 0,
    /* 98 CBW  CWD  CALL Ap  WAIT  PUSHF  POPF  SAHF  LAHF */
    [0x98] = 0, 0, IMM_AP | F_UNS | I64, 0, D64, D64, 0, 0,
    /* A0 MOV AL,Ob  rAX,Ov  Ob,AL  Ov,rAX  MOVSB  MOVSW/D/Q  CMPSB  CMPSW/D/Q */
    [0xA0] = IMM_MOFFS | F_UNS, IMM_MOFFS | F_UNS, IMM_MOFFS | F_UNS, IMM_MOFFS | F_UNS,
             0, 0, 0, 0,
    /* A8 TEST AL,Ib  rAX,Iz  STOS  STOS  LODS  LODS  SCAS  SCAS */
    [0xA8] = B, Z, 0, 0, 0, 0, 0, 0,
    /* B0-B7 MOV r8,Ib;  B8-BF MOV r,Iv (imm64 with REX.W) */
    [0xB0] = B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS,
    [0xB8] = IMM_V | F_UNS, IMM_V | F_UNS, IMM_V | F_UNS, IMM_V | F_UNS,
             IMM_V | F_UNS, IMM_V | F_UNS, IMM_V | F_UNS, IMM_V | F_UNS,
    /* C0 Grp2 Eb,Ib  Ev,Ib  RET Iw  RET  LES (VEX3)  LDS (VEX2)  Grp11 MOV Eb,Ib  Ev,Iz */
    [0xC0] = M | B | F_UNS, M | B | F_UNS, IMM_W | F_UNS | D64, D64, M | I64, M | I64, M | B, M | Z,
    /* C8 ENTER Iw,Ib  LEAVE  RETF Iw  RETF  INT3  INT Ib  INTO  IRET */
    [0xC8] = IMM_WB | F_UNS | D64, D64, IMM_W | F_UNS, 0, 0, B | F_UNS, I64, 0,
    /* D0 Grp2 Eb,1  Ev,1  Eb,CL  Ev,CL  AAM Ib  AAD Ib  SALC  XLAT */
    [0xD0] = M, M, M, M, B | F_UNS | I64, B | F_UNS | I64, I64, 0,
    /* D8-DF x87 escapes */
    [0xD8] = M, M, M, M, M, M, M, M,
    /* E0 LOOPNE  LOOPE  LOOP  JrCXZ (Jb)  IN AL,Ib  IN eAX,Ib  OUT Ib,AL  OUT Ib,eAX */
    [0xE0] = B | D64, B | D64, B | D64, B | D64, B | F_UNS, B | F_UNS, B | F_UNS, B | F_UNS,
    /* E8 CALL Jz  JMP Jz  JMP Ap  JMP Jb  IN AL,DX  IN eAX,DX  OUT DX,AL  OUT DX,eAX */
    [0xE8] = Z | D64, Z | D64, IMM_AP | F_UNS | I64, B | D64, 0, 0, 0, 0,
    /* F0 LOCK  INT1  REPNE  REP  HLT  CMC  Grp3 Eb  Grp3 Ev */
    [0xF0] = PFX, 0, PFX, PFX, 0, 0, M | B | F_GRP3, M | Z | F_GRP3,
    /* F8 CLC  STC  CLI  STI  CLD  STD  Grp4 (INC/DEC Eb)  Grp5 */
    [0xF8] = 0, 0, 0, 0, 0, 0, M, M,
};

/* AMD APM vol. 3 table "Secondary Opcode Map (Two-Byte Opcodes)"; Intel SDM table A-3. */
static const uint16_t two_byte_map[256] = {
    /* 00 Grp6  Grp7  LAR  LSL  -  SYSCALL  CLTS  SYSRET */
    [0x00] = M, M, M, M, UD, 0, 0, 0,
    /* 08 INVD  WBINVD  -  UD2  -  PREFETCH (Grp P)  FEMMS  3DNow! (ModRM, suffix ib) */
    [0x08] = 0, 0, UD, 0, UD, M, 0, M | B | F_UNS,
    /* 10-1F SSE moves, Grp16 prefetch, hint NOPs (1F: NOP Ev) */
    [0x10] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 20 MOV r,CRn  r,DRn  CRn,r  DRn,r  (24-27 undefined) */
    [0x20] = M | F_MODREG, M | F_MODREG, M | F_MODREG, M | F_MODREG, UD, UD, UD, UD,
    /* 28-2F SSE */
    [0x28] = M, M, M, M, M, M, M, M,
    /* 30 WRMSR  RDTSC  RDMSR  RDPMC  SYSENTER  SYSEXIT  -  GETSEC */
    [0x30] = 0, 0, 0, 0, 0, 0, UD, 0,
    /* 38 three-byte escape  -  three-byte escape  - - - - - */
    [0x38] = 0, UD, 0, UD, UD, UD, UD, UD,
    /* 40-4F CMOVcc */
    [0x40] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 50-6F SSE / MMX */
    [0x50] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    [0x60] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* 70 PSHUF Ib  Grp12 Ib  Grp13 Ib  Grp14 Ib  PCMPEQ x3  EMMS */
    [0x70] = M | B | F_UNS, M | B | F_UNS, M | B | F_UNS, M | B | F_UNS, M, M, M, 0,
    /* 78 VMREAD (66/F2: EXTRQ/INSERTQ ib,ib, see decode_imm)  VMWRITE  -  -  HADD/HSUB  MOVD/Q */
    [0x78] = M, M, UD, UD, M, M, M, M,
    /* 80-8F Jcc Jz */
    [0x80] = Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64,
    [0x88] = Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64, Z | D64,
    /* 90-9F SETcc Eb */
    [0x90] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    /* A0 PUSH FS  POP FS  CPUID  BT Ev,Gv  SHLD Ev,Gv,Ib  SHLD Ev,Gv,CL  -  - */
    [0xA0] = D64, D64, 0, M, M | B | F_UNS, M, UD, UD,
    /* A8 PUSH GS  POP GS  RSM  BTS  SHRD Ib  SHRD CL  Grp15  IMUL Gv,Ev */
    [0xA8] = D64, D64, 0, M, M | B | F_UNS, M, M, M,
    /* B0 CMPXCHG Eb  Ev  LSS  BTR  LFS  LGS  MOVZX Gv,Eb  Gv,Ew */
    [0xB0] = M, M, M, M, M, M, M, M,
    /* B8 POPCNT/JMPE  UD1  Grp8 Ev,Ib  BTC  BSF/TZCNT  BSR/LZCNT  MOVSX Gv,Eb  Gv,Ew */
    [0xB8] = M, M, M | B | F_UNS, M, M, M, M, M,
    /* C0 XADD Eb  Ev  CMPPS Ib  MOVNTI  PINSRW Ib  PEXTRW Ib  SHUFPS Ib  Grp9 */
    [0xC0] = M, M, M | B | F_UNS, M, M | B | F_UNS, M | B | F_UNS, M | B | F_UNS, M,
    /* C8-CF BSWAP r */
    [0xC8] = 0, 0, 0, 0, 0, 0, 0, 0,
    /* D0-FF SSE / MMX (FF: UD0, which Intel defines with a ModRM) */
    [0xD0] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    [0xE0] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
    [0xF0] = M, M, M, M, M, M, M, M, M, M, M, M, M, M, M, M,
};

#undef M
#undef B
#undef Z
#undef UD
#undef I64
#undef PFX
#undef D64

/* ---- byte cursor ----------------------------------------------------------------- */

struct cursor {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
    struct insn *out;
};

/* Checks that n more bytes exist: -EINVAL past 15 bytes, -EAGAIN (length = bytes
 * needed) past avail. */
static int need(struct cursor *c, size_t n)
{
    size_t end = c->pos + n;
    if (end > INSN_MAX_LEN)
        return -EINVAL;
    if (end > c->avail) {
        c->out->length = (uint8_t)end;
        return -EAGAIN;
    }
    return 0;
}

static uint8_t peek(const struct cursor *c)
{
    return c->bytes[c->pos];
}

/* Reads an n-byte little-endian value (need() already checked) and moves on. */
static uint64_t take(struct cursor *c, unsigned n, bool sign)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
    c->pos += n;
    if (sign && n < 8) {
        uint64_t top = 1ull << (8 * n - 1);
        v = (v ^ top) - top;
    }
    return v;
}

/* ---- pieces ------------------------------------------------------------------------ */

/* Legacy and REX prefixes (APM vol. 3, "Legacy Prefixes", "REX Prefix"). */
static int decode_prefixes(struct cursor *c, enum cpu_mode mode)
{
    struct insn *out = c->out;
    for (;;) {
        int err = need(c, 1);
        if (err)
            return err;
        uint8_t b = peek(c);
        switch (b) {
        case 0x66: out->prefixes |= INSN_PFX_OPSIZE; break;
        case 0x67: out->prefixes |= INSN_PFX_ADDRSIZE; break;
        case 0xF0: out->prefixes |= INSN_PFX_LOCK; break;
        case 0xF2:
            out->prefixes = (uint8_t)((out->prefixes & ~INSN_PFX_REP) | INSN_PFX_REPNE);
            break;
        case 0xF3:
            out->prefixes = (uint8_t)((out->prefixes & ~INSN_PFX_REPNE) | INSN_PFX_REP);
            break;
        case 0x26: out->seg = INSN_SEG_ES; break;
        case 0x2E: out->seg = INSN_SEG_CS; break;
        case 0x36: out->seg = INSN_SEG_SS; break;
        case 0x3E: out->seg = INSN_SEG_DS; break;
        case 0x64: out->seg = INSN_SEG_FS; break;
        case 0x65: out->seg = INSN_SEG_GS; break;
        default:
            if (mode == CPU_MODE_LONG64 && (b & 0xF0) == 0x40) {
                /* Only the last REX counts, and only right before the opcode. */
                out->rex = b & 0x0F;
                out->flags |= INSN_F_REX;
                c->pos++;
                continue;
            }
            return 0;
        }
        /* A REX followed by a legacy prefix is ignored. */
        out->rex = 0;
        out->flags &= (uint8_t)~INSN_F_REX;
        c->pos++;
    }
}

static void set_sizes(struct insn *out, enum cpu_mode mode, bool d64)
{
    bool p66 = out->prefixes & INSN_PFX_OPSIZE;
    bool p67 = out->prefixes & INSN_PFX_ADDRSIZE;
    switch (mode) {
    case CPU_MODE_LONG64:
        if (out->rex & REX_W)
            out->opsize = 8;
        else
            out->opsize = p66 ? 2 : (d64 ? 8 : 4);
        out->addrsize = p67 ? 4 : 8;
        break;
    case CPU_MODE_PROT32:
        out->opsize = p66 ? 2 : 4;
        out->addrsize = p67 ? 2 : 4;
        break;
    default:   /* REAL16, PROT16 */
        out->opsize = p66 ? 4 : 2;
        out->addrsize = p67 ? 4 : 2;
        break;
    }
}

/* Group encodings that #UD ("ModRM.reg Extensions of the Primary Opcode Map"). */
static bool group_undefined(const struct insn *out)
{
    unsigned reg = MODRM_REG(out->modrm);
    if (out->map != INSN_MAP_ONE)
        return false;
    switch (out->opcode) {
    case 0x8F: return reg != 0;                          /* Grp1a: POP Ev only (else XOP) */
    case 0xC6:                                           /* Grp11: MOV /0, XABORT C6 F8 */
    case 0xC7: return reg != 0 && out->modrm != 0xF8;    /*        MOV /0, XBEGIN C7 F8 */
    case 0xFE: return reg > 1;                           /* Grp4: INC/DEC Eb */
    case 0xFF: return reg == 7;                          /* Grp5 */
    default: return false;
    }
}

/* ModRM, SIB and displacement (APM vol. 3, "ModRM and SIB Bytes"). */
static int decode_modrm(struct cursor *c, bool force_reg)
{
    struct insn *out = c->out;
    int err = need(c, 1);
    if (err)
        return err;
    out->modrm = peek(c);
    out->flags |= INSN_F_MODRM;
    c->pos++;
    if (group_undefined(out))
        return -ENOTSUP;   /* before SIB/disp: XOP's payload is not a ModRM */

    unsigned mod = MODRM_MOD(out->modrm), rm = MODRM_RM(out->modrm);
    if (mod == 3 || force_reg)
        return 0;
    out->flags |= INSN_F_MEM;

    if (out->addrsize == 2) {
        /* 16-bit forms: [BX+SI] ... [BX]; mod 00 r/m 110 is disp16 alone. */
        if (mod == 1)
            out->disp_size = 1;
        else if (mod == 2 || rm == 6)
            out->disp_size = 2;
    } else {
        if (rm == 4) {
            err = need(c, 1);
            if (err)
                return err;
            out->sib = peek(c);
            out->flags |= INSN_F_SIB;
            c->pos++;
        }
        if (mod == 1) {
            out->disp_size = 1;
        } else if (mod == 2) {
            out->disp_size = 4;
        } else if (rm == 5) {
            /* disp32 alone; RIP-relative in 64-bit mode. */
            out->disp_size = 4;
            if (out->mode == CPU_MODE_LONG64)
                out->flags |= INSN_F_RIPREL;
        } else if (rm == 4 && SIB_BASE(out->sib) == 5) {
            out->disp_size = 4;   /* SIB with no base: [index*scale + disp32] */
        }
    }
    if (out->disp_size) {
        err = need(c, out->disp_size);
        if (err)
            return err;
        out->disp = (int64_t)take(c, out->disp_size, true);
    }
    return 0;
}

/* Immediates for the attributes `attr` of the opcode just decoded. */
static int decode_imm(struct cursor *c, uint16_t attr)
{
    struct insn *out = c->out;
    unsigned z = out->opsize == 2 ? 2 : 4;
    unsigned size = 0, size2 = 0;

    switch (attr & IMM_MASK) {
    case IMM_B:     size = 1; break;
    case IMM_W:     size = 2; break;
    case IMM_Z:     size = z; break;
    case IMM_V:     size = out->opsize; break;
    case IMM_WB:    size = 2; size2 = 1; break;
    case IMM_AP:    size = z; size2 = 2; break;
    case IMM_MOFFS: size = out->addrsize; break;
    default: break;
    }
    if ((attr & F_GRP3) && MODRM_REG(out->modrm) > 1)
        size = 0;   /* F6/F7 /2-/7 (NOT NEG MUL IMUL DIV IDIV) have no immediate */
    /* AMD SSE4a: 66 0F 78 /0 ib,ib EXTRQ and F2 0F 78 ib,ib INSERTQ ("Secondary Opcode
     * Map" footnotes); without a prefix 0F 78 is VMREAD with no immediate. */
    if (out->map == INSN_MAP_0F && out->opcode == 0x78 &&
        (out->prefixes & (INSN_PFX_OPSIZE | INSN_PFX_REPNE))) {
        size = 1;
        size2 = 1;
    }

    int err = need(c, size + size2);
    if (err)
        return err;
    out->imm_size = (uint8_t)size;
    out->imm2_size = (uint8_t)size2;
    if (size)
        out->imm = take(c, size, !(attr & F_UNS));
    if (size2)
        out->imm2 = take(c, size2, false);
    return 0;
}

/* VEX (C4/C5) after its first byte (Intel SDM 2.3.5 "The VEX Prefix"; APM vol. 3
 * "VEX and XOP Prefixes"). 66/F2/F3/F0/REX before it #UD. */
static int decode_vex(struct cursor *c, enum cpu_mode mode, uint8_t first)
{
    struct insn *out = c->out;
    if ((out->prefixes & (INSN_PFX_OPSIZE | INSN_PFX_LOCK | INSN_PFX_REP | INSN_PFX_REPNE)) ||
        (out->flags & INSN_F_REX))
        return -ENOTSUP;

    unsigned nvex = first == 0xC4 ? 2 : 1;
    int err = need(c, nvex + 1);
    if (err)
        return err;
    out->vex[0] = c->bytes[c->pos];
    out->vex[1] = nvex == 2 ? c->bytes[c->pos + 1] : 0;
    c->pos += nvex;
    out->flags |= INSN_F_VEX;

    /* R, X, B are stored inverted; they extend registers only in 64-bit mode. */
    uint8_t rex = 0, w = 0;
    if (first == 0xC5) {
        out->map = INSN_MAP_0F;
        rex |= (out->vex[0] & 0x80) ? 0 : REX_R;
    } else {
        unsigned mmmmm = out->vex[0] & 0x1F;
        if (mmmmm < 1 || mmmmm > 3)
            return -ENOTSUP;
        out->map = (uint8_t)mmmmm;   /* 1 = 0F, 2 = 0F 38, 3 = 0F 3A */
        rex |= (out->vex[0] & 0x80) ? 0 : REX_R;
        rex |= (out->vex[0] & 0x40) ? 0 : REX_X;
        rex |= (out->vex[0] & 0x20) ? 0 : REX_B;
        w = (out->vex[1] & 0x80) ? REX_W : 0;
    }
    if (mode == CPU_MODE_LONG64)
        out->rex = rex | w;
    set_sizes(out, mode, false);

    out->opcode = c->bytes[c->pos++];
    uint16_t attr = F_MODRM;
    if (out->map == INSN_MAP_0F3A) {
        attr |= IMM_B | F_UNS;
    } else if (out->map == INSN_MAP_0F) {
        uint16_t legacy = two_byte_map[out->opcode];
        if (out->opcode == 0x77)
            attr = 0;   /* VZEROUPPER / VZEROALL */
        else if ((legacy & IMM_MASK) == IMM_B)
            attr |= IMM_B | F_UNS;   /* 70-73, C2, C4-C6 */
    }
    if (attr & F_MODRM) {
        err = decode_modrm(c, false);
        if (err)
            return err;
    }
    return decode_imm(c, attr);
}

/* ---- the decoder ---------------------------------------------------------------- */

int insn_decode(const uint8_t *bytes, size_t avail, enum cpu_mode mode, struct insn *out)
{
    struct cursor c = { .bytes = bytes, .avail = avail, .pos = 0, .out = out };
    memset(out, 0, sizeof(*out));
    out->mode = (uint8_t)mode;
    out->seg = INSN_SEG_NONE;
    bool long64 = mode == CPU_MODE_LONG64;

    int err = decode_prefixes(&c, mode);
    if (err)
        return err;

    uint8_t b = bytes[c.pos++];
    uint16_t attr;

    if (b == 0xC4 || b == 0xC5 || b == 0x62) {
        /* VEX (C4/C5) and EVEX (62) in 64-bit mode; in 16/32-bit protected mode only
         * where LES/LDS/BOUND would have a register-form ModRM, which they #UD on (as
         * they do in real and virtual-8086 mode, which have no VEX). */
        bool vex = long64;
        if (!long64) {
            err = need(&c, 1);
            if (err)
                return err;
            if (MODRM_MOD(peek(&c)) == 3) {
                if (mode == CPU_MODE_REAL16)
                    return -ENOTSUP;
                vex = true;
            }
        }
        if (vex && b == 0x62)
            return -ENOTSUP;   /* EVEX: see the top of the file */
        if (vex) {
            err = decode_vex(&c, mode, b);
            if (err)
                return err;
            out->length = (uint8_t)c.pos;
            return 0;
        }
    }

    if (b == 0x0F) {
        err = need(&c, 1);
        if (err)
            return err;
        b = bytes[c.pos++];
        if (b == 0x38 || b == 0x3A) {
            err = need(&c, 1);
            if (err)
                return err;
            out->map = b == 0x38 ? INSN_MAP_0F38 : INSN_MAP_0F3A;
            out->opcode = bytes[c.pos++];
            /* Every 0F 38 opcode has a ModRM and no immediate; every 0F 3A one ModRM + ib. */
            attr = b == 0x38 ? F_MODRM : (F_MODRM | IMM_B | F_UNS);
        } else {
            out->map = INSN_MAP_0F;
            out->opcode = b;
            attr = two_byte_map[b];
        }
    } else {
        out->map = INSN_MAP_ONE;
        out->opcode = b;
        attr = one_byte_map[b];
    }

    if (attr & F_UD)
        return -ENOTSUP;
    if (long64 && (attr & F_I64))
        return -ENOTSUP;
    set_sizes(out, mode, long64 && (attr & F_D64));

    if (attr & F_MODRM) {
        err = decode_modrm(&c, attr & F_MODREG);
        if (err)
            return err;
    }
    /* FF /2 /4 /6 (near CALL/JMP, PUSH) default to 64-bit operands in 64-bit mode. */
    if (long64 && out->map == INSN_MAP_ONE && out->opcode == 0xFF && !(out->rex & REX_W) &&
        !(out->prefixes & INSN_PFX_OPSIZE)) {
        unsigned reg = MODRM_REG(out->modrm);
        if (reg == 2 || reg == 4 || reg == 6)
            out->opsize = 8;
    }

    err = decode_imm(&c, attr);
    if (err)
        return err;
    out->length = (uint8_t)c.pos;
    return 0;
}
