/*
 * String instructions on any memory (docs/testdev.md, STRING): MOVS, STOS, CMPS and LODS
 * in each size, with or without REP (F3; REPE for CMPS), either direction (RFLAGS.DF),
 * and with the address-size prefix 67h (16-bit code: 32-bit addressing; 32-bit code:
 * 16-bit addressing; 64-bit code: 32-bit addressing). Each variant is its own
 * instruction, encoded as a real guest's would be, so that Mezzanine has to emulate
 * exactly that form when one side is MMIO (the probe's `f3 66 a5`: a 16-bit loader's
 * `rep movsl` from B8000h).
 *
 * Real mode reaches an address as segment:offset: DS for the source, ES for the
 * destination, segment = (address - 8000h) / 16 so that the offset starts at 8000h-800Fh
 * and the string may run 32 KiB either way. Protected and long mode are flat.
 */
#include "tests/guests/testfw/fw.h"

#define STR_REP   0x1
#define STR_DOWN  0x2
#define STR_ALT   0x4   /* 67h prefix */

#if FW_BITS == 16
#define SEG_ENTER "push %%ds\n push %%es\n mov %[eseg], %%es\n mov %[dseg], %%ds\n"
#define SEG_EXIT  "pop %%es\n pop %%ds\n"
#define SEG_IN    , [dseg] "m"(dseg), [eseg] "m"(eseg)
#define PUSHF_POP "pushfl\n popl %k[fl]\n"
#elif FW_BITS == 32
#define SEG_ENTER ""
#define SEG_EXIT  ""
#define SEG_IN
#define PUSHF_POP "pushfl\n popl %[fl]\n"
#else
#define SEG_ENTER ""
#define SEG_EXIT  ""
#define SEG_IN
#define PUSHF_POP "pushfq\n popq %q[fl]\n"
#endif

#define STRING_ASM(insn)                                                                     \
    __asm__ volatile(SEG_ENTER "test %[down], %[down]\n jz 1f\n std\n1:\n" insn "\n"          \
                     PUSHF_POP "cld\n" SEG_EXIT                                              \
                     : "+S"(si), "+D"(di), "+c"(cx), "+a"(ax), [fl] "=&r"(fl)                \
                     : [down] "r"(down) SEG_IN                                               \
                     : "memory", "cc")

#define VARIANTS(mn)                                                                         \
    do {                                                                                     \
        if (rep && alt)                                                                      \
            STRING_ASM(".byte 0x67, 0xf3\n " mn);                                            \
        else if (rep)                                                                        \
            STRING_ASM(".byte 0xf3\n " mn);                                                  \
        else if (alt)                                                                        \
            STRING_ASM(".byte 0x67\n " mn);                                                  \
        else                                                                                 \
            STRING_ASM(mn);                                                                  \
    } while (0)

#if FW_BITS == 64
#define QWORD(mn) VARIANTS(mn)
#else
#define QWORD(mn) return TESTDEV_FAIL_UNSUPPORTED
#endif

#if FW_BITS == 16
static int real_split(uint64_t addr, uint16_t *seg, uintptr_t *off)
{
    if (addr >= 0x100000)
        return TESTDEV_FAIL_UNSUPPORTED;
    uint32_t s = addr >= 0x8000 ? (uint32_t)(addr - 0x8000) >> 4 : 0;
    *seg = (uint16_t)s;
    *off = (uintptr_t)(addr - ((uint64_t)s << 4));
    return 0;
}
#endif

int string_op(uint8_t op, uint8_t size, uint8_t flags, uint64_t src, uint64_t dst,
              uint32_t count, uint64_t value, uint64_t out[4])
{
    bool rep = flags & STR_REP, alt = flags & STR_ALT;
    uintptr_t down = (flags & STR_DOWN) ? 1 : 0;
    uintptr_t si, di, cx = count, ax = (uintptr_t)value, fl;
#if FW_BITS == 16
    uint16_t dseg, eseg;
    if (real_split(src, &dseg, &si) != 0 || real_split(dst, &eseg, &di) != 0)
        return TESTDEV_FAIL_UNSUPPORTED;
#else
    if (FW_BITS == 32 && ((src | dst) >> 32) != 0)
        return TESTDEV_FAIL_UNSUPPORTED;
    si = (uintptr_t)src;
    di = (uintptr_t)dst;
#endif
    uintptr_t si0 = si, di0 = di;

    switch (op << 4 | size) {
    case 0x01: VARIANTS("movsb"); break;
    case 0x02: VARIANTS("movsw"); break;
    case 0x04: VARIANTS("movsl"); break;
    case 0x08: QWORD("movsq"); break;
    case 0x11: VARIANTS("stosb"); break;
    case 0x12: VARIANTS("stosw"); break;
    case 0x14: VARIANTS("stosl"); break;
    case 0x18: QWORD("stosq"); break;
    case 0x21: VARIANTS("cmpsb"); break;
    case 0x22: VARIANTS("cmpsw"); break;
    case 0x24: VARIANTS("cmpsl"); break;
    case 0x28: QWORD("cmpsq"); break;
    case 0x31: VARIANTS("lodsb"); break;
    case 0x32: VARIANTS("lodsw"); break;
    case 0x34: VARIANTS("lodsl"); break;
    case 0x38: QWORD("lodsq"); break;
    default:
        return TESTDEV_FAIL_BAD_OPERAND;
    }
    out[0] = cx;
    out[1] = (uint64_t)(si - si0);
    out[2] = (uint64_t)(di - di0);
    out[3] = (uint64_t)(ax & 0xFFFFFFFFu) | ((uint64_t)(fl & 0x8D5) << 32);
    return 0;
}
