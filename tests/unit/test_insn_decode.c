/*
 * Unit tests for arch/x86_64/insn_decode: instruction length and fields.
 *
 * Every expected value is written out by hand from the AMD/Intel opcode maps; the length
 * tables were also cross-checked once against binutils objdump (not needed to run).
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
#include "kernel/lib/compiler.h"

#include "tests/unit/parse_hex.h"

#define R16 CPU_MODE_REAL16
#define P16 CPU_MODE_PROT16
#define P32 CPU_MODE_PROT32
#define L64 CPU_MODE_LONG64

static const char *mode_name(enum cpu_mode m)
{
    static const char *const names[] = { "real16", "prot16", "prot32", "long64" };
    return names[m];
}

/* ---- cpu_mode_of --------------------------------------------------------------------- */

#define CR0_PE    0x1ull
#define EFER_LMA  (1ull << 10)
#define RFLAGS_VM (1ull << 17)

static void test_cpu_mode_of(void **state)
{
    (void)state;
    static const struct {
        uint64_t cr0, efer, rflags;
        uint16_t cs_attrib;
        enum cpu_mode want;
    } cases[] = {
        { 0, 0, 0x2, 0x9B, R16 },                                  /* reset: real mode */
        { 0, 0, 0x2, 0x9B | SEG_ATTR_DB, R16 },                    /* "unreal" CS.D: still real */
        { CR0_PE, 0, 0x2, 0x9B, P16 },
        { CR0_PE, 0, 0x2, 0x9B | SEG_ATTR_DB, P32 },
        { CR0_PE, 0, 0x2 | RFLAGS_VM, 0x9B | SEG_ATTR_DB, R16 },   /* virtual-8086 */
        { CR0_PE, EFER_LMA, 0x2, 0x9B | SEG_ATTR_L, L64 },
        { CR0_PE, EFER_LMA, 0x2, 0x9B | SEG_ATTR_DB, P32 },        /* compatibility mode */
        { CR0_PE, EFER_LMA, 0x2, 0x9B, P16 },                      /* compatibility, 16-bit */
        { CR0_PE, EFER_LMA, 0x2 | RFLAGS_VM, 0x9B | SEG_ATTR_L, L64 }, /* no v86 in long mode */
        { CR0_PE, 0, 0x2, 0x9B | SEG_ATTR_L | SEG_ATTR_DB, P32 },  /* CS.L without LMA */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct guest_cpu_state cpu;
        memset(&cpu, 0, sizeof(cpu));
        cpu.cr0 = cases[i].cr0;
        cpu.efer = cases[i].efer;
        cpu.rflags = cases[i].rflags;
        cpu.cs.attrib = cases[i].cs_attrib;
        if (cpu_mode_of(&cpu) != cases[i].want)
            fail_msg("case %zu: got %s want %s", i, mode_name(cpu_mode_of(&cpu)),
                     mode_name(cases[i].want));
    }
}

/* ---- lengths ---------------------------------------------------------------------------- */

struct len_case {
    enum cpu_mode mode;
    const char *hex;
    int rc;
    unsigned len;   /* for 0: the length; for -EAGAIN: the bytes needed */
};

static const struct len_case len_cases[] = {
    /* -- real mode: 16-bit operands and addressing -- */
    { R16, "88 40 12", 0, 3 },                  /* mov [bx+si+0x12], al */
    { R16, "a1 34 12", 0, 3 },                  /* mov ax, [0x1234] */
    { R16, "67 a1 34 12 00 00", 0, 6 },         /* mov ax, [0x1234] (moffs32 under 67) */
    { R16, "8b 06 34 12", 0, 4 },               /* mov ax, [0x1234] via ModRM 00/110 */
    { R16, "8b 46 00", 0, 3 },                  /* mov ax, [bp+0] */
    { R16, "8b 86 34 12", 0, 4 },               /* mov ax, [bp+0x1234] */
    { R16, "67 8b 05 34 12 00 00", 0, 7 },      /* mov ax, [0x1234] 32-bit addressing */
    { R16, "66 67 8b 44 24 04", 0, 6 },         /* mov eax, [esp+4] */
    { R16, "b8 34 12", 0, 3 },                  /* mov ax, 0x1234 */
    { R16, "66 b8 78 56 34 12", 0, 6 },         /* mov eax, 0x12345678 */
    { R16, "e8 00 10", 0, 3 },                  /* call rel16 */
    { R16, "66 e8 00 00 00 00", 0, 6 },         /* call rel32 */
    { R16, "e9 fd ff", 0, 3 },                  /* jmp rel16 */
    { R16, "eb fe", 0, 2 },                     /* jmp $ */
    { R16, "0f 84 00 01", 0, 4 },               /* je rel16 */
    { R16, "ea 5b e0 00 f0", 0, 5 },            /* jmp f000:e05b */
    { R16, "66 ea 00 00 00 00 08 00", 0, 8 },   /* jmp far ptr16:32 */
    { R16, "9a 00 00 00 f0", 0, 5 },            /* call far */
    { R16, "c4 06 00 10", 0, 4 },               /* les ax, [0x1000] */
    { R16, "c5 1e 00 10", 0, 4 },               /* lds bx, [0x1000] */
    { R16, "62 06 00 10", 0, 4 },               /* bound ax, [0x1000] */
    { R16, "0f 01 16 34 12", 0, 5 },            /* lgdt [0x1234] */
    { R16, "66 0f 01 1e 34 12", 0, 6 },         /* lidtd [0x1234] */
    { R16, "0f 20 c0", 0, 3 },                  /* mov eax, cr0 */
    { R16, "0f 22 c0", 0, 3 },                  /* mov cr0, eax */
    { R16, "0f 20 06", 0, 3 },                  /* mov esi, cr0: mod is ignored, no disp16 */
    { R16, "f3 a4", 0, 2 },                     /* rep movsb */
    { R16, "26 8a 07", 0, 3 },                  /* mov al, es:[bx] */
    { R16, "c8 10 00 01", 0, 4 },               /* enter 0x10, 1 */
    { R16, "cd 10", 0, 2 },                     /* int 0x10 */
    { R16, "e4 60", 0, 2 },                     /* in al, 0x60 */
    { R16, "ee", 0, 1 },                        /* out dx, al */
    { R16, "f6 06 34 12 80", 0, 5 },            /* test byte [0x1234], 0x80 */
    { R16, "f7 06 34 12 00 80", 0, 6 },         /* test word [0x1234], 0x8000 */
    { R16, "66 f7 c0 00 00 00 80", 0, 7 },      /* test eax, 0x80000000 */
    { R16, "f6 16 34 12", 0, 4 },               /* not byte [0x1234]: no immediate */
    { R16, "f7 3e 34 12", 0, 4 },               /* idiv word [0x1234] */
    { R16, "c7 06 34 12 cd ab", 0, 6 },         /* mov word [0x1234], 0xabcd */
    { R16, "66 c7 06 34 12 78 56 34 12", 0, 9 },/* mov dword [0x1234], 0x12345678 */
    { R16, "83 3e 34 12 05", 0, 5 },            /* cmp word [0x1234], 5 */
    { R16, "81 c3 00 01", 0, 4 },               /* add bx, 0x100 */
    { R16, "8c c8", 0, 2 },                     /* mov ax, cs */
    { R16, "8e d8", 0, 2 },                     /* mov ds, ax */
    { R16, "d4 0a", 0, 2 },                     /* aam */
    { R16, "27", 0, 1 },                        /* daa */
    { R16, "0f b6 47 02", 0, 4 },               /* movzx ax, byte [bx+2] */
    { R16, "8d 00", 0, 2 },                     /* lea ax, [bx+si] */
    { R16, "d9 06 34 12", 0, 4 },               /* fld dword [0x1234] */
    { R16, "9b", 0, 1 },                        /* wait: an instruction of its own */
    { R16, "c2 04 00", 0, 3 },                  /* ret 4 */
    { R16, "6a ff", 0, 2 },                     /* push -1 */
    { R16, "68 34 12", 0, 3 },                  /* push 0x1234 */
    { R16, "69 c0 34 12", 0, 4 },               /* imul ax, ax, 0x1234 */
    { R16, "0f a4 c2 04", 0, 4 },               /* shld dx, ax, 4 */
    /* -- 16-bit protected mode: C4/C5 with a register-form "ModRM" are VEX -- */
    { P16, "c5 f8 77", 0, 3 },                  /* vzeroupper */
    { P16, "c4 e2 79 18 06 00 10", 0, 7 },      /* vbroadcastss xmm0, [0x1000] (disp16) */
    { P16, "c4 06 00 10", 0, 4 },               /* les ax, [0x1000] */
    { P16, "62 06 00 10", 0, 4 },               /* bound ax, [0x1000] */
    { P16, "a1 34 12", 0, 3 },
    /* -- 32-bit protected mode -- */
    { P32, "89 45 fc", 0, 3 },                  /* mov [ebp-4], eax */
    { P32, "8b 04 24", 0, 3 },                  /* mov eax, [esp] */
    { P32, "8b 04 8d 00 10 00 00", 0, 7 },      /* mov eax, [ecx*4+0x1000]: SIB, no base */
    { P32, "8b 05 00 10 00 00", 0, 6 },         /* mov eax, [0x1000] */
    { P32, "8b 44 24 04", 0, 4 },               /* mov eax, [esp+4] */
    { P32, "8b 84 24 00 01 00 00", 0, 7 },      /* mov eax, [esp+0x100] */
    { P32, "8b 45 00", 0, 3 },                  /* mov eax, [ebp+0] */
    { P32, "8b 44 25 00", 0, 4 },               /* mov eax, [ebp+0] with SIB, mod 01 */
    { P32, "8b 04 2c", 0, 3 },                  /* mov eax, [esp+ebp] */
    { P32, "66 8b 07", 0, 3 },                  /* mov ax, [edi] */
    { P32, "67 8b 07", 0, 3 },                  /* mov eax, [bx] */
    { P32, "67 8b 06 34 12", 0, 5 },            /* mov eax, [0x1234] 16-bit addressing */
    { P32, "a1 00 10 00 00", 0, 5 },            /* mov eax, [0x1000] */
    { P32, "66 a1 00 10 00 00", 0, 6 },         /* mov ax, [0x1000] */
    { P32, "67 a1 34 12", 0, 4 },               /* mov eax, [0x1234] moffs16 */
    { P32, "a2 00 10 00 00", 0, 5 },            /* mov [0x1000], al */
    { P32, "c7 05 00 00 f0 fe 01 00 00 00", 0, 10 },      /* mov dword [0xfef00000], 1 */
    { P32, "c7 84 88 00 01 00 00 78 56 34 12", 0, 11 },   /* mov [eax+ecx*4+0x100], imm32 */
    { P32, "66 c7 84 88 00 01 00 00 34 12", 0, 10 },      /* ... word, imm16 */
    { P32, "c6 40 01 ff", 0, 4 },               /* mov byte [eax+1], 0xff */
    { P32, "e8 00 00 00 00", 0, 5 },            /* call rel32 */
    { P32, "66 e8 00 00", 0, 4 },               /* call rel16 */
    { P32, "0f 84 00 01 00 00", 0, 6 },         /* je rel32 */
    { P32, "66 0f 84 00 01", 0, 5 },            /* je rel16 */
    { P32, "9a 00 00 00 00 08 00", 0, 7 },      /* call 0008:00000000 */
    { P32, "66 9a 00 00 08 00", 0, 6 },         /* call 0008:0000 */
    { P32, "06", 0, 1 },                        /* push es */
    { P32, "1f", 0, 1 },                        /* pop ds */
    { P32, "27", 0, 1 },                        /* daa */
    { P32, "40", 0, 1 },                        /* inc eax */
    { P32, "4f", 0, 1 },                        /* dec edi */
    { P32, "60", 0, 1 },                        /* pusha */
    { P32, "d6", 0, 1 },                        /* salc */
    { P32, "ce", 0, 1 },                        /* into */
    { P32, "82 c0 01", 0, 3 },                  /* add al, 1 (82 alias) */
    { P32, "62 00", 0, 2 },                     /* bound eax, [eax] */
    { P32, "63 c8", 0, 2 },                     /* arpl ax, cx */
    { P32, "c4 e2 79 18 05 00 10 00 00", 0, 9 },/* vbroadcastss xmm0, [0x1000] */
    { P32, "c5 fd 6f 00", 0, 4 },               /* vmovdqa ymm0, [eax] */
    { P32, "c4 e3 7d 18 c1 01", 0, 6 },         /* vinsertf128 ymm0, ymm0, xmm1, 1 */
    { P32, "c4 e2 78 f2 c1", 0, 5 },            /* andn eax, eax, ecx */
    { P32, "c4 00", 0, 2 },                     /* les eax, [eax] */
    { P32, "0f 38 00 c1", 0, 4 },               /* pshufb mm0, mm1 */
    { P32, "66 0f 38 00 04 24", 0, 6 },         /* pshufb xmm0, [esp] */
    { P32, "66 0f 3a 0f c1 08", 0, 6 },         /* palignr xmm0, xmm1, 8 */
    { P32, "66 0f 3a 16 c0 01", 0, 6 },         /* pextrd eax, xmm0, 1 */
    { P32, "f2 0f 38 f1 c1", 0, 5 },            /* crc32 eax, ecx */
    { P32, "0f 0f c1 b4", 0, 4 },               /* pfmul mm0, mm1 (3DNow!: suffix byte) */
    { P32, "66 0f 78 c0 04 08", 0, 6 },         /* extrq xmm0, 4, 8 */
    { P32, "f2 0f 78 c1 04 08", 0, 6 },         /* insertq xmm0, xmm1, 4, 8 */
    { P32, "0f 78 c0", 0, 3 },                  /* vmread eax, eax: no immediate */
    { P32, "0f ae f0", 0, 3 },                  /* mfence */
    { P32, "f0 0f c1 03", 0, 4 },               /* lock xadd [ebx], eax */
    { P32, "0f c7 0e", 0, 3 },                  /* cmpxchg8b [esi] */
    { P32, "d9 05 00 10 00 00", 0, 6 },         /* fld dword [0x1000] */
    { P32, "0f a4 c2 04", 0, 4 },               /* shld edx, eax, 4 */
    { P32, "0f ac c2 04", 0, 4 },               /* shrd edx, eax, 4 */
    { P32, "0f ba e0 05", 0, 4 },               /* bt eax, 5 */
    { P32, "69 c0 00 01 00 00", 0, 6 },         /* imul eax, eax, 0x100 */
    { P32, "6b c0 10", 0, 3 },                  /* imul eax, eax, 0x10 */
    { P32, "68 00 10 00 00", 0, 5 },            /* push 0x1000 */
    { P32, "ca 08 00", 0, 3 },                  /* retf 8 */
    { P32, "0f 01 d8", 0, 3 },                  /* vmrun */
    { P32, "0f 0b", 0, 2 },                     /* ud2 */
    { P32, "0f b9 c0", 0, 3 },                  /* ud1 eax, eax */
    { P32, "f1", 0, 1 },                        /* int1 */
    { P32, "0f a2", 0, 2 },                     /* cpuid */
    { P32, "0f 30", 0, 2 },                     /* wrmsr */
    { P32, "0f c8", 0, 2 },                     /* bswap eax */
    { P32, "0f 70 c1 1b", 0, 4 },               /* pshufw mm0, mm1, 0x1b */
    { P32, "66 0f 73 d8 04", 0, 5 },            /* psrldq xmm0, 4 */
    { P32, "0f c2 c1 01", 0, 4 },               /* cmpltps xmm0, xmm1 */
    { P32, "66 0f c4 c0 03", 0, 5 },            /* pinsrw xmm0, eax, 3 */
    { P32, "0f 77", 0, 2 },                     /* emms */
    { P32, "0f 0d 08", 0, 3 },                  /* prefetchw [eax] */
    { P32, "f3 0f b8 c1", 0, 4 },               /* popcnt eax, ecx */
    { P32, "a4", 0, 1 },                        /* movsb */
    /* -- 64-bit mode -- */
    { L64, "48 89 c3", 0, 3 },                  /* mov rbx, rax */
    { L64, "48 8b 05 00 10 00 00", 0, 7 },      /* mov rax, [rip+0x1000] */
    { L64, "67 8b 05 00 10 00 00", 0, 7 },      /* mov eax, [eip+0x1000] */
    { L64, "8b 04 25 00 10 00 00", 0, 7 },      /* mov eax, [0x1000]: SIB, no base/index */
    { L64, "4c 8b 04 24", 0, 4 },               /* mov r8, [rsp] */
    { L64, "41 8b 04 24", 0, 4 },               /* mov eax, [r12]: r12 needs a SIB */
    { L64, "41 8b 45 00", 0, 4 },               /* mov eax, [r13+0]: r13 needs a disp */
    { L64, "41 8b 05 00 00 00 00", 0, 7 },      /* REX.B does not turn off RIP-relative */
    { L64, "42 8b 04 25 00 10 00 00", 0, 8 },   /* mov eax, [r12*1+0x1000] */
    { L64, "48 b8 88 77 66 55 44 33 22 11", 0, 10 },     /* movabs rax, imm64 */
    { L64, "49 bf 88 77 66 55 44 33 22 11", 0, 10 },     /* movabs r15, imm64 */
    { L64, "b8 78 56 34 12", 0, 5 },            /* mov eax, imm32 */
    { L64, "66 b8 34 12", 0, 4 },               /* mov ax, imm16 */
    { L64, "41 b0 01", 0, 3 },                  /* mov r8b, 1 */
    { L64, "48 a1 88 77 66 55 44 33 22 11", 0, 10 },     /* movabs rax, [moffs64] */
    { L64, "a1 88 77 66 55 44 33 22 11", 0, 9 },         /* movabs eax, [moffs64] */
    { L64, "67 a1 44 33 22 11", 0, 6 },         /* mov eax, [moffs32] */
    { L64, "a2 88 77 66 55 44 33 22 11", 0, 9 },         /* movabs [moffs64], al */
    { L64, "48 c7 c0 ff ff ff ff", 0, 7 },      /* mov rax, -1 */
    { L64, "48 c7 00 00 00 00 80", 0, 7 },      /* mov qword [rax], imm32 */
    { L64, "48 81 c4 00 01 00 00", 0, 7 },      /* add rsp, 0x100 */
    { L64, "48 83 ec 08", 0, 4 },               /* sub rsp, 8 */
    { L64, "66 41 c7 04 24 34 12", 0, 7 },      /* mov word [r12], 0x1234 */
    { L64, "48 f7 05 00 10 00 00 ff 00 00 00", 0, 11 },  /* test qword [rip+0x1000], 0xff */
    { L64, "e8 00 00 00 00", 0, 5 },            /* call rel32 */
    { L64, "48 e8 00 00 00 00", 0, 6 },         /* call rel32, REX.W */
    { L64, "66 e8 00 00", 0, 4 },               /* call rel16 (AMD) */
    { L64, "0f 85 00 00 00 00", 0, 6 },         /* jne rel32 */
    { L64, "ff 15 00 10 00 00", 0, 6 },         /* call [rip+0x1000] */
    { L64, "ff d0", 0, 2 },                     /* call rax */
    { L64, "41 ff e3", 0, 3 },                  /* jmp r11 */
    { L64, "c3", 0, 1 },
    { L64, "50", 0, 1 },                        /* push rax */
    { L64, "41 50", 0, 2 },                     /* push r8 */
    { L64, "0f 05", 0, 2 },                     /* syscall */
    { L64, "f3 48 ab", 0, 3 },                  /* rep stosq */
    { L64, "f3 ab", 0, 2 },                     /* rep stosd */
    { L64, "40 88 f0", 0, 3 },                  /* mov al, sil */
    { L64, "88 e0", 0, 2 },                     /* mov al, ah */
    { L64, "48 63 c8", 0, 3 },                  /* movsxd rcx, eax */
    { L64, "63 c8", 0, 2 },                     /* movsxd ecx, eax */
    { L64, "f0 48 0f b1 0a", 0, 5 },            /* lock cmpxchg [rdx], rcx */
    { L64, "65 48 8b 04 25 28 00 00 00", 0, 9 },/* mov rax, gs:[0x28] */
    { L64, "c5 f9 6f 05 00 10 00 00", 0, 8 },   /* vmovdqa xmm0, [rip+0x1000] */
    { L64, "c4 41 7d 6f 00", 0, 5 },            /* vmovdqa ymm8, [r8] */
    { L64, "c4 e2 f9 f7 c0", 0, 5 },            /* shlx rax, rax, rax */
    { L64, "c4 e3 79 0f c1 08", 0, 6 },         /* vpalignr xmm0, xmm0, xmm1, 8 */
    { L64, "c4 c1 79 c5 c0 03", 0, 6 },         /* vpextrw eax, xmm8, 3 */
    { L64, "c5 f8 77", 0, 3 },                  /* vzeroupper */
    { L64, "c5 fc 77", 0, 3 },                  /* vzeroall */
    { L64, "c4 e1 78 77", 0, 4 },               /* vzeroupper, 3-byte VEX */
    { L64, "66 48 89 c3", 0, 4 },               /* 66 then REX */
    { L64, "48 66 89 c3", 0, 4 },               /* REX then 66: REX ignored */
    { L64, "40 40 48 89 c3", 0, 5 },            /* several REX */
    { L64, "0f 1f 44 00 00", 0, 5 },            /* nopl 0(rax,rax) */
    { L64, "66 2e 0f 1f 84 00 00 00 00 00", 0, 10 },     /* nopw cs:0(rax,rax) */
    { L64, "66 66 2e 0f 1f 84 00 00 00 00 00", 0, 11 },
    { L64, "f3 0f 1e fa", 0, 4 },               /* endbr64 */
    { L64, "0f 01 f9", 0, 3 },                  /* rdtscp */
    { L64, "0f ae 38", 0, 3 },                  /* clflush [rax] */
    { L64, "48 0f c7 0e", 0, 4 },               /* cmpxchg16b [rsi] */
    { L64, "48 0f ba 2c 24 3f", 0, 6 },         /* bts qword [rsp], 63 */
    { L64, "c6 f8 01", 0, 3 },                  /* xabort 1 */
    { L64, "c7 f8 00 00 00 00", 0, 6 },         /* xbegin rel32 */
    { L64, "8f c0", 0, 2 },                     /* pop rax */
    { L64, "8f 05 00 10 00 00", 0, 6 },         /* pop qword [rip+0x1000] */
    { L64, "c8 00 01 00", 0, 4 },               /* enter 0x100, 0 */
    { L64, "cc", 0, 1 },
    { L64, "0f 20 d8", 0, 3 },                  /* mov rax, cr3 */
    { L64, "44 0f 20 c0", 0, 4 },               /* mov rax, cr8 */
    { L64, "f0 0f 20 c0", 0, 4 },               /* mov eax, cr8 (AMD LOCK form) */
    { L64, "2e 3e 64 8b 00", 0, 5 },            /* several segment overrides */
    { L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", 0, 15 },   /* 14 prefixes */
    { L64, "2e 67 f0 4b 81 84 88 78 56 34 12 ef be ad de", 0, 15 },  /* 15-byte lock add */
    /* -- invalid in 64-bit mode, undefined, and not supported -- */
    { L64, "06", -ENOTSUP, 0 },                 /* push es */
    { L64, "07", -ENOTSUP, 0 },
    { L64, "0e", -ENOTSUP, 0 },
    { L64, "16", -ENOTSUP, 0 },
    { L64, "17", -ENOTSUP, 0 },
    { L64, "1e", -ENOTSUP, 0 },
    { L64, "1f", -ENOTSUP, 0 },
    { L64, "27", -ENOTSUP, 0 },                 /* daa */
    { L64, "2f", -ENOTSUP, 0 },
    { L64, "37", -ENOTSUP, 0 },
    { L64, "3f", -ENOTSUP, 0 },
    { L64, "60", -ENOTSUP, 0 },
    { L64, "61", -ENOTSUP, 0 },
    { L64, "82 c0 01", -ENOTSUP, 0 },
    { L64, "9a 00 00 00 00 08 00", -ENOTSUP, 0 },/* call far */
    { L64, "ce", -ENOTSUP, 0 },
    { L64, "d4 0a", -ENOTSUP, 0 },
    { L64, "d5 0a", -ENOTSUP, 0 },
    { L64, "d6", -ENOTSUP, 0 },
    { L64, "ea 00 00 00 00 08 00", -ENOTSUP, 0 },
    { L64, "c4 00 00 00", -ENOTSUP, 0 },        /* VEX map 0 (no LES in 64-bit mode) */
    { L64, "c4 e4 78 00 c0", -ENOTSUP, 0 },     /* VEX map 4 */
    { L64, "48 c5 f8 77", -ENOTSUP, 0 },        /* REX before VEX */
    { L64, "66 c5 f9 6f c0", -ENOTSUP, 0 },     /* 66 before VEX */
    { L64, "f3 c5 f9 6f c0", -ENOTSUP, 0 },     /* F3 before VEX */
    { L64, "f0 c5 f9 6f c0", -ENOTSUP, 0 },     /* LOCK before VEX */
    { L64, "62 f1 7c 48 10 00", -ENOTSUP, 0 },  /* EVEX vmovups zmm0, [rax] */
    { L64, "8f e9 78 c1 c0", -ENOTSUP, 0 },     /* XOP vphaddbd */
    { L64, "8f 08", -ENOTSUP, 0 },              /* 8F /1 */
    { L64, "c6 c8 01", -ENOTSUP, 0 },           /* C6 /1 */
    { L64, "c7 40 00 00 00 00 00", 0, 7 },      /* ...but C7 /0 with mod 01 is a MOV */
    { L64, "c7 48 00 00 00 00 00", -ENOTSUP, 0 },/* C7 /1 */
    { L64, "fe d0", -ENOTSUP, 0 },              /* FE /2 */
    { L64, "fe 38", -ENOTSUP, 0 },              /* FE /7 */
    { L64, "ff 38", -ENOTSUP, 0 },              /* FF /7 */
    { L64, "0f 04", -ENOTSUP, 0 },
    { L64, "0f 0a", -ENOTSUP, 0 },
    { L64, "0f 0c", -ENOTSUP, 0 },
    { L64, "0f 24 c0", -ENOTSUP, 0 },           /* mov from test register (386 only) */
    { L64, "0f 26 c0", -ENOTSUP, 0 },
    { L64, "0f 36", -ENOTSUP, 0 },
    { L64, "0f 39", -ENOTSUP, 0 },
    { L64, "0f 3b", -ENOTSUP, 0 },
    { L64, "0f 3f", -ENOTSUP, 0 },
    { L64, "0f 7a c0", -ENOTSUP, 0 },
    { L64, "0f a6 c0", -ENOTSUP, 0 },
    { P32, "62 c0", -ENOTSUP, 0 },              /* EVEX in protected mode */
    { P32, "8f c8", -ENOTSUP, 0 },              /* XOP in protected mode */
    { P32, "0f 24 c0", -ENOTSUP, 0 },
    { R16, "c4 c0", -ENOTSUP, 0 },              /* les ax, <register>: #UD, no VEX in real mode */
    { R16, "c5 f8 77", -ENOTSUP, 0 },
    { R16, "62 c0", -ENOTSUP, 0 },              /* bound ax, <register> */
    /* -- malformed: longer than 15 bytes -- */
    { L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", -EINVAL, 0 },      /* 15 prefixes */
    { L64, "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 66 90", -EINVAL, 0 },   /* 16 prefixes */
    { L64, "2e 2e 67 f0 4b 81 84 88 78 56 34 12 ef be ad de", -EINVAL, 0 },     /* 16 bytes */
    { L64, "66 66 66 66 66 66 48 b8 88 77 66 55 44 33 22 11", -EINVAL, 0 },     /* 16 bytes */
    { L64, "66 66 66 66 66 66 66 66 66 66 81 84 88 78", -EINVAL, 0 },  /* shown long before its end */
    { R16, "26 26 26 26 26 26 26 26 26 26 26 26 66 c7 06 34 12", -EINVAL, 0 },
    /* -- truncated: the bytes needed so far -- */
    { L64, "", -EAGAIN, 1 },
    { L64, "66", -EAGAIN, 2 },
    { L64, "48", -EAGAIN, 2 },
    { L64, "0f", -EAGAIN, 2 },
    { L64, "0f 38", -EAGAIN, 3 },
    { L64, "0f 3a 0f c1", -EAGAIN, 5 },         /* palignr: the immediate */
    { L64, "89", -EAGAIN, 2 },                  /* ModRM */
    { L64, "8b 04", -EAGAIN, 3 },               /* SIB */
    { L64, "8b 04 25", -EAGAIN, 7 },            /* disp32 after a SIB with no base */
    { L64, "8b 80 00", -EAGAIN, 6 },            /* disp32 */
    { L64, "48 b8 00 00", -EAGAIN, 10 },        /* imm64 */
    { L64, "c5", -EAGAIN, 3 },                  /* VEX payload and opcode */
    { L64, "c4 e3 79 0f c1", -EAGAIN, 6 },
    { R16, "c4", -EAGAIN, 2 },                  /* les: ModRM */
    { P32, "c4", -EAGAIN, 2 },                  /* VEX or LES: decided by the next byte */
    { P32, "62", -EAGAIN, 2 },
    { R16, "8b 06 34", -EAGAIN, 4 },            /* disp16 */
    { R16, "c8 10", -EAGAIN, 4 },               /* enter: iw, ib */
    { R16, "ea 5b e0 00", -EAGAIN, 5 },         /* far pointer */
};

static void test_lengths(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
        const struct len_case *c = &len_cases[i];
        uint8_t buf[32];
        size_t n = parse_hex(c->hex, buf, sizeof(buf));
        struct insn in;
        int rc = insn_decode(buf, n, c->mode, &in);
        if (rc != c->rc || ((rc == 0 || rc == -EAGAIN) && in.length != c->len))
            fail_msg("%s [%s]: rc %d length %u, want rc %d length %u", mode_name(c->mode),
                     c->hex, rc, in.length, c->rc, c->len);
    }
}

/* The decoder never reads past avail: each case again from a buffer that ends exactly
 * where the bytes do (ASan checks the heap copy). */
static void test_reads_within_avail(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(len_cases); i++) {
        uint8_t buf[32];
        size_t n = parse_hex(len_cases[i].hex, buf, sizeof(buf));
        uint8_t *exact = test_malloc(n ? n : 1);
        memcpy(exact, buf, n);
        struct insn in;
        int rc = insn_decode(exact, n, len_cases[i].mode, &in);
        assert_int_equal(rc, len_cases[i].rc);
        test_free(exact);
    }
}

/* A 15-byte instruction cut after every byte: -EAGAIN with the bytes needed so far. */
static void test_truncated_everywhere(void **state)
{
    (void)state;
    /* lock add qword cs:[r8d+r9d*4+0x12345678], 0xdeadbeef (2e 67 f0 REX 81 ModRM SIB
     * disp32 imm32) */
    static const uint8_t insn[15] = { 0x2e, 0x67, 0xf0, 0x4b, 0x81, 0x84, 0x88, 0x78, 0x56,
                                      0x34, 0x12, 0xef, 0xbe, 0xad, 0xde };
    /* prefix, prefix, prefix, REX, opcode, ModRM, SIB, then disp32 and imm32 in one go */
    static const uint8_t need[15] = { 1, 2, 3, 4, 5, 6, 7, 11, 11, 11, 11, 15, 15, 15, 15 };
    for (size_t k = 0; k < 15; k++) {
        struct insn in;
        int rc = insn_decode(insn, k, L64, &in);
        if (rc != -EAGAIN || in.length != need[k])
            fail_msg("avail %zu: rc %d length %u, want -EAGAIN %u", k, rc, in.length, need[k]);
    }
    struct insn in;
    assert_int_equal(insn_decode(insn, 15, L64, &in), 0);
    assert_int_equal(in.length, 15);

    /* The same in real mode: mov word es:[bx+si+0x1234], 0x5678 = 26 c7 80 34 12 78 56 */
    static const uint8_t rm[7] = { 0x26, 0xc7, 0x80, 0x34, 0x12, 0x78, 0x56 };
    static const uint8_t rm_need[7] = { 1, 2, 3, 5, 5, 7, 7 };
    for (size_t k = 0; k < 7; k++) {
        int rc = insn_decode(rm, k, R16, &in);
        if (rc != -EAGAIN || in.length != rm_need[k])
            fail_msg("real avail %zu: rc %d length %u, want -EAGAIN %u", k, rc, in.length,
                     rm_need[k]);
    }
    assert_int_equal(insn_decode(rm, 7, R16, &in), 0);
    assert_int_equal(in.length, 7);
}

/* Extra bytes after the instruction are not part of it. */
static void test_trailing_bytes_ignored(void **state)
{
    (void)state;
    static const uint8_t bytes[15] = { 0x89, 0x08, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90,
                                       0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
    struct insn in;
    assert_int_equal(insn_decode(bytes, sizeof(bytes), L64, &in), 0);
    assert_int_equal(in.length, 2);
}

/* ---- fields ------------------------------------------------------------------------------ */

#define MRM  INSN_F_MODRM
#define SIB  INSN_F_SIB
#define MEM  INSN_F_MEM
#define RIP  INSN_F_RIPREL
#define REX  INSN_F_REX
#define VEX  INSN_F_VEX
#define NOSEG INSN_SEG_NONE

struct field_case {
    enum cpu_mode mode;
    const char *hex;
    struct insn want;
};

static const struct field_case field_cases[] = {
    /* mov [bx+si+0x12], al */
    { R16, "88 40 12", { .length = 3, .mode = R16, .seg = NOSEG, .map = INSN_MAP_ONE,
      .opcode = 0x88, .flags = MRM | MEM, .modrm = 0x40, .opsize = 2, .addrsize = 2,
      .disp_size = 1, .disp = 0x12 } },
    /* mov ax, [0x1234] with 67: moffs32 */
    { R16, "67 a1 34 12 00 00", { .length = 6, .mode = R16, .prefixes = INSN_PFX_ADDRSIZE,
      .seg = NOSEG, .opcode = 0xa1, .opsize = 2, .addrsize = 4, .imm_size = 4, .imm = 0x1234 } },
    { R16, "a1 34 12", { .length = 3, .mode = R16, .seg = NOSEG, .opcode = 0xa1, .opsize = 2,
      .addrsize = 2, .imm_size = 2, .imm = 0x1234 } },
    /* mov ax, es:[bx-2] */
    { R16, "26 8b 87 fe ff", { .length = 5, .mode = R16, .seg = INSN_SEG_ES, .opcode = 0x8b,
      .flags = MRM | MEM, .modrm = 0x87, .opsize = 2, .addrsize = 2, .disp_size = 2,
      .disp = -2 } },
    /* mov eax, [esi+ecx*4-4] */
    { R16, "66 67 8b 44 8e fc", { .length = 6, .mode = R16,
      .prefixes = INSN_PFX_OPSIZE | INSN_PFX_ADDRSIZE, .seg = NOSEG, .opcode = 0x8b,
      .flags = MRM | SIB | MEM, .modrm = 0x44, .sib = 0x8e, .opsize = 4, .addrsize = 4,
      .disp_size = 1, .disp = -4 } },
    /* enter 0x10, 1 */
    { R16, "c8 10 00 01", { .length = 4, .mode = R16, .seg = NOSEG, .opcode = 0xc8,
      .opsize = 2, .addrsize = 2, .imm_size = 2, .imm = 0x10, .imm2_size = 1, .imm2 = 1 } },
    /* jmp f000:e05b */
    { R16, "ea 5b e0 00 f0", { .length = 5, .mode = R16, .seg = NOSEG, .opcode = 0xea,
      .opsize = 2, .addrsize = 2, .imm_size = 2, .imm = 0xe05b, .imm2_size = 2,
      .imm2 = 0xf000 } },
    /* mov dword [0xfef00000], 1: absolute disp32, not RIP-relative outside 64-bit mode */
    { P32, "c7 05 00 00 f0 fe 01 00 00 00", { .length = 10, .mode = P32, .seg = NOSEG,
      .opcode = 0xc7, .flags = MRM | MEM, .modrm = 0x05, .opsize = 4, .addrsize = 4,
      .disp_size = 4, .disp = -0x1100000, .imm_size = 4, .imm = 1 } },
    /* mov eax, [ecx*4+0x1000] */
    { P32, "8b 04 8d 00 10 00 00", { .length = 7, .mode = P32, .seg = NOSEG, .opcode = 0x8b,
      .flags = MRM | SIB | MEM, .modrm = 0x04, .sib = 0x8d, .opsize = 4, .addrsize = 4,
      .disp_size = 4, .disp = 0x1000 } },
    /* rep stosw */
    { P32, "f3 66 ab", { .length = 3, .mode = P32, .prefixes = INSN_PFX_REP | INSN_PFX_OPSIZE,
      .seg = NOSEG, .opcode = 0xab, .opsize = 2, .addrsize = 4 } },
    /* sub dword [ebp+8], -1: Ib sign-extended */
    { P32, "83 6d 08 ff", { .length = 4, .mode = P32, .seg = NOSEG, .opcode = 0x83,
      .flags = MRM | MEM, .modrm = 0x6d, .opsize = 4, .addrsize = 4, .disp_size = 1,
      .disp = 8, .imm_size = 1, .imm = UINT64_MAX } },
    /* vinsertf128 ymm0, ymm0, xmm1, 1 */
    { P32, "c4 e3 7d 18 c1 01", { .length = 6, .mode = P32, .seg = NOSEG, .map = INSN_MAP_0F3A,
      .opcode = 0x18, .flags = MRM | VEX, .modrm = 0xc1, .vex = { 0xe3, 0x7d }, .opsize = 4,
      .addrsize = 4, .imm_size = 1, .imm = 1 } },
    /* vzeroupper in 16-bit protected mode */
    { P16, "c5 f8 77", { .length = 3, .mode = P16, .seg = NOSEG, .map = INSN_MAP_0F,
      .opcode = 0x77, .flags = VEX, .vex = { 0xf8, 0 }, .opsize = 2, .addrsize = 2 } },
    /* mov rax, [rip+0x1000] */
    { L64, "48 8b 05 00 10 00 00", { .length = 7, .mode = L64, .seg = NOSEG, .rex = REX_W,
      .opcode = 0x8b, .flags = MRM | MEM | RIP | REX, .modrm = 0x05, .opsize = 8,
      .addrsize = 8, .disp_size = 4, .disp = 0x1000 } },
    /* mov eax, [eip-0x10] */
    { L64, "67 8b 05 f0 ff ff ff", { .length = 7, .mode = L64, .prefixes = INSN_PFX_ADDRSIZE,
      .seg = NOSEG, .opcode = 0x8b, .flags = MRM | MEM | RIP, .modrm = 0x05, .opsize = 4,
      .addrsize = 4, .disp_size = 4, .disp = -16 } },
    /* mov eax, [0x1000] via SIB: not RIP-relative */
    { L64, "8b 04 25 00 10 00 00", { .length = 7, .mode = L64, .seg = NOSEG, .opcode = 0x8b,
      .flags = MRM | SIB | MEM, .modrm = 0x04, .sib = 0x25, .opsize = 4, .addrsize = 8,
      .disp_size = 4, .disp = 0x1000 } },
    /* movabs r15, 0x1122334455667788 */
    { L64, "49 bf 88 77 66 55 44 33 22 11", { .length = 10, .mode = L64, .seg = NOSEG,
      .rex = REX_W | REX_B, .opcode = 0xbf, .flags = REX, .opsize = 8, .addrsize = 8,
      .imm_size = 8, .imm = 0x1122334455667788ull } },
    /* movabs rax, [0x1122334455667788] */
    { L64, "48 a1 88 77 66 55 44 33 22 11", { .length = 10, .mode = L64, .seg = NOSEG,
      .rex = REX_W, .opcode = 0xa1, .flags = REX, .opsize = 8, .addrsize = 8, .imm_size = 8,
      .imm = 0x1122334455667788ull } },
    /* mov eax, 0x80000000: MOV r,imm is zero-extended */
    { L64, "b8 00 00 00 80", { .length = 5, .mode = L64, .seg = NOSEG, .opcode = 0xb8,
      .opsize = 4, .addrsize = 8, .imm_size = 4, .imm = 0x80000000ull } },
    /* mov qword gs:[0x28], -1 */
    { L64, "65 48 c7 04 25 28 00 00 00 ff ff ff ff", { .length = 13, .mode = L64,
      .seg = INSN_SEG_GS, .rex = REX_W, .opcode = 0xc7, .flags = MRM | SIB | MEM | REX,
      .modrm = 0x04, .sib = 0x25, .opsize = 8, .addrsize = 8, .disp_size = 4, .disp = 0x28,
      .imm_size = 4, .imm = UINT64_MAX } },
    /* mov word [r12], 0x1234 */
    { L64, "66 41 c7 04 24 34 12", { .length = 7, .mode = L64, .prefixes = INSN_PFX_OPSIZE,
      .seg = NOSEG, .rex = REX_B, .opcode = 0xc7, .flags = MRM | SIB | MEM | REX,
      .modrm = 0x04, .sib = 0x24, .opsize = 2, .addrsize = 8, .imm_size = 2, .imm = 0x1234 } },
    /* REX then 66: the REX is dropped */
    { L64, "48 66 89 c3", { .length = 4, .mode = L64, .prefixes = INSN_PFX_OPSIZE,
      .seg = NOSEG, .opcode = 0x89, .flags = MRM, .modrm = 0xc3, .opsize = 2, .addrsize = 8 } },
    /* F2 then F3: the later wins */
    { L64, "f2 f3 a4", { .length = 3, .mode = L64, .prefixes = INSN_PFX_REP, .seg = NOSEG,
      .opcode = 0xa4, .opsize = 4, .addrsize = 8 } },
    { L64, "f3 f2 a4", { .length = 3, .mode = L64, .prefixes = INSN_PFX_REPNE, .seg = NOSEG,
      .opcode = 0xa4, .opsize = 4, .addrsize = 8 } },
    /* call -5: near branches are 64-bit */
    { L64, "e8 fb ff ff ff", { .length = 5, .mode = L64, .seg = NOSEG, .opcode = 0xe8,
      .opsize = 8, .addrsize = 8, .imm_size = 4, .imm = (uint64_t)-5 } },
    /* call rel16 with 66 (AMD) */
    { L64, "66 e8 fd ff", { .length = 4, .mode = L64, .prefixes = INSN_PFX_OPSIZE,
      .seg = NOSEG, .opcode = 0xe8, .opsize = 2, .addrsize = 8, .imm_size = 2,
      .imm = (uint64_t)-3 } },
    /* vmovdqa xmm0, [rip+0x1000] */
    { L64, "c5 f9 6f 05 00 10 00 00", { .length = 8, .mode = L64, .seg = NOSEG,
      .map = INSN_MAP_0F, .opcode = 0x6f, .flags = MRM | MEM | RIP | VEX, .modrm = 0x05,
      .vex = { 0xf9, 0 }, .opsize = 4, .addrsize = 8, .disp_size = 4, .disp = 0x1000 } },
    /* vmovdqa ymm8, [r8]: VEX.R and VEX.B */
    { L64, "c4 41 7d 6f 00", { .length = 5, .mode = L64, .seg = NOSEG, .rex = REX_R | REX_B,
      .map = INSN_MAP_0F, .opcode = 0x6f, .flags = MRM | MEM | VEX, .modrm = 0x00,
      .vex = { 0x41, 0x7d }, .opsize = 4, .addrsize = 8 } },
    /* shlx rax, rax, rax: VEX.W */
    { L64, "c4 e2 f9 f7 c0", { .length = 5, .mode = L64, .seg = NOSEG, .rex = REX_W,
      .map = INSN_MAP_0F38, .opcode = 0xf7, .flags = MRM | VEX, .modrm = 0xc0,
      .vex = { 0xe2, 0xf9 }, .opsize = 8, .addrsize = 8 } },
    /* mov rax, cr0 written with mod 00: still a register form */
    { L64, "0f 20 00", { .length = 3, .mode = L64, .seg = NOSEG, .map = INSN_MAP_0F,
      .opcode = 0x20, .flags = MRM, .modrm = 0x00, .opsize = 4, .addrsize = 8 } },
    /* extrq xmm0, 4, 8 */
    { L64, "66 0f 78 c0 04 08", { .length = 6, .mode = L64, .prefixes = INSN_PFX_OPSIZE,
      .seg = NOSEG, .map = INSN_MAP_0F, .opcode = 0x78, .flags = MRM, .modrm = 0xc0,
      .opsize = 2, .addrsize = 8, .imm_size = 1, .imm = 4, .imm2_size = 1, .imm2 = 8 } },
    /* in al, 0x80: port numbers are unsigned */
    { L64, "e4 80", { .length = 2, .mode = L64, .seg = NOSEG, .opcode = 0xe4, .opsize = 4,
      .addrsize = 8, .imm_size = 1, .imm = 0x80 } },
    /* push -128 */
    { L64, "6a 80", { .length = 2, .mode = L64, .seg = NOSEG, .opcode = 0x6a, .opsize = 8,
      .addrsize = 8, .imm_size = 1, .imm = (uint64_t)-128 } },
    /* ret 8 */
    { L64, "c2 08 00", { .length = 3, .mode = L64, .seg = NOSEG, .opcode = 0xc2, .opsize = 8,
      .addrsize = 8, .imm_size = 2, .imm = 8 } },
    /* call rax */
    { L64, "ff d0", { .length = 2, .mode = L64, .seg = NOSEG, .opcode = 0xff, .flags = MRM,
      .modrm = 0xd0, .opsize = 8, .addrsize = 8 } },
    /* inc dword [rax]: FF /0 keeps 32-bit operands */
    { L64, "ff 00", { .length = 2, .mode = L64, .seg = NOSEG, .opcode = 0xff,
      .flags = MRM | MEM, .modrm = 0x00, .opsize = 4, .addrsize = 8 } },
    /* palignr mm0, mm1, 8 */
    { L64, "0f 3a 0f c1 08", { .length = 5, .mode = L64, .seg = NOSEG, .map = INSN_MAP_0F3A,
      .opcode = 0x0f, .flags = MRM, .modrm = 0xc1, .opsize = 4, .addrsize = 8, .imm_size = 1,
      .imm = 8 } },
    /* movbe eax, [rcx] */
    { L64, "0f 38 f0 01", { .length = 4, .mode = L64, .seg = NOSEG, .map = INSN_MAP_0F38,
      .opcode = 0xf0, .flags = MRM | MEM, .modrm = 0x01, .opsize = 4, .addrsize = 8 } },
    /* cs ds fs mov eax, [rax]: the last override is recorded */
    { L64, "2e 3e 64 8b 00", { .length = 5, .mode = L64, .seg = INSN_SEG_FS, .opcode = 0x8b,
      .flags = MRM | MEM, .modrm = 0x00, .opsize = 4, .addrsize = 8 } },
    /* lock add qword cs:[r8d+r9d*4+0x12345678], 0xdeadbeef */
    { L64, "2e 67 f0 4b 81 84 88 78 56 34 12 ef be ad de", { .length = 15, .mode = L64,
      .prefixes = INSN_PFX_ADDRSIZE | INSN_PFX_LOCK, .seg = INSN_SEG_CS,
      .rex = REX_W | REX_X | REX_B, .opcode = 0x81, .flags = MRM | SIB | MEM | REX,
      .modrm = 0x84, .sib = 0x88, .opsize = 8, .addrsize = 4, .disp_size = 4,
      .disp = 0x12345678, .imm_size = 4, .imm = 0xffffffffdeadbeefull } },
};

static void test_fields(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_SIZE(field_cases); i++) {
        const struct field_case *c = &field_cases[i];
        const struct insn *w = &c->want;
        uint8_t buf[32];
        size_t n = parse_hex(c->hex, buf, sizeof(buf));
        struct insn in;
        int rc = insn_decode(buf, n, c->mode, &in);
        if (rc != 0)
            fail_msg("[%s]: rc %d", c->hex, rc);
#define FIELD(f)                                                                          \
        if ((uint64_t)in.f != (uint64_t)w->f)                                             \
            fail_msg("[%s] %s: %s = %#llx, want %#llx", c->hex, mode_name(c->mode), #f,   \
                     (unsigned long long)in.f, (unsigned long long)w->f)
        FIELD(length); FIELD(mode); FIELD(prefixes); FIELD(seg); FIELD(rex); FIELD(map);
        FIELD(opcode); FIELD(flags); FIELD(modrm); FIELD(sib); FIELD(vex[0]); FIELD(vex[1]);
        FIELD(opsize); FIELD(addrsize); FIELD(disp_size); FIELD(imm_size); FIELD(imm2_size);
        FIELD(disp); FIELD(imm); FIELD(imm2);
#undef FIELD
    }
}

static void test_modrm_accessors(void **state)
{
    (void)state;
    struct insn in;
    uint8_t b[4];
    /* mov r9, [r10+...]: 4d 8b 0a -> REX.WRB, ModRM 0a (reg 1, rm 2) */
    size_t n = parse_hex("4d 8b 0a", b, sizeof(b));
    assert_int_equal(insn_decode(b, n, L64, &in), 0);
    assert_int_equal(insn_modrm_reg(&in), 9);
    assert_int_equal(insn_modrm_rm(&in), 10);
    assert_int_equal(MODRM_MOD(in.modrm), 0);
    /* the same bytes in 32-bit mode: dec ebp; mov ecx, [edx] */
    assert_int_equal(insn_decode(b, n, P32, &in), 0);
    assert_int_equal(in.length, 1);
    assert_int_equal(insn_decode(b + 1, n - 1, P32, &in), 0);
    assert_int_equal(insn_modrm_reg(&in), 1);
    assert_int_equal(insn_modrm_rm(&in), 2);
    /* SIB fields */
    n = parse_hex("8b 04 8d", b, sizeof(b));
    assert_int_equal(insn_decode(b, n, P32, &in), -EAGAIN);
    assert_int_equal(SIB_SCALE(0x8d), 2);
    assert_int_equal(SIB_INDEX(0x8d), 1);
    assert_int_equal(SIB_BASE(0x8d), 5);
}

/* Every one-byte and 0F opcode, with room to spare, decodes or is refused in every mode:
 * never a length over 15, never a read past avail. */
static void test_all_opcodes_bounded(void **state)
{
    (void)state;
    for (int mode = R16; mode <= L64; mode++) {
        for (unsigned esc = 0; esc < 4; esc++) {
            static const uint8_t escapes[4][2] = { { 0 }, { 0x0f }, { 0x0f, 0x38 }, { 0x0f, 0x3a } };
            unsigned elen = esc == 0 ? 0 : (esc == 1 ? 1 : 2);
            for (unsigned op = 0; op < 256; op++) {
                for (unsigned modrm = 0; modrm < 256; modrm += 0x11) {
                    uint8_t buf[15];
                    memset(buf, 0x00, sizeof(buf));
                    memcpy(buf, escapes[esc], elen);
                    buf[elen] = (uint8_t)op;
                    buf[elen + 1] = (uint8_t)modrm;
                    struct insn in;
                    int rc = insn_decode(buf, sizeof(buf), (enum cpu_mode)mode, &in);
                    if (rc == 0)
                        assert_in_range(in.length, 1, 15);
                    else if (rc != -ENOTSUP && rc != -EINVAL)
                        fail_msg("mode %d esc %u op %02x modrm %02x: rc %d", mode, esc, op,
                                 modrm, rc);
                }
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cpu_mode_of),
        cmocka_unit_test(test_lengths),
        cmocka_unit_test(test_reads_within_avail),
        cmocka_unit_test(test_truncated_everywhere),
        cmocka_unit_test(test_trailing_bytes_ignored),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_modrm_accessors),
        cmocka_unit_test(test_all_opcodes_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
