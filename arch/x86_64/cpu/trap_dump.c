/* Exception dump formatting; see trap_dump.h. */
#include "arch/x86_64/cpu/trap_dump.h"

#include <stdio.h>

#include "arch/x86_64/cpu/pf_error.h"

static const struct {
    const char *mnemonic;
    const char *name;
    bool error_code;
} exceptions[X86_NUM_EXCEPTIONS] = {
    [0] = { "DE", "divide error", false },
    [1] = { "DB", "debug", false },
    [2] = { "NMI", "non-maskable interrupt", false },
    [3] = { "BP", "breakpoint", false },
    [4] = { "OF", "overflow", false },
    [5] = { "BR", "bound range", false },
    [6] = { "UD", "invalid opcode", false },
    [7] = { "NM", "device not available", false },
    [8] = { "DF", "double fault", true },
    [9] = { "CSO", "coprocessor segment overrun", false },
    [10] = { "TS", "invalid TSS", true },
    [11] = { "NP", "segment not present", true },
    [12] = { "SS", "stack fault", true },
    [13] = { "GP", "general protection", true },
    [14] = { "PF", "page fault", true },
    [16] = { "MF", "x87 floating point", false },
    [17] = { "AC", "alignment check", true },
    [18] = { "MC", "machine check", false },
    [19] = { "XF", "SIMD floating point", false },
    [20] = { "VE", "virtualization exception", false },
    [21] = { "CP", "control protection", true },
    [28] = { "HV", "hypervisor injection", false },
    [29] = { "VC", "VMM communication", true },
    [30] = { "SX", "security exception", true },
};

const char *exception_mnemonic(uint64_t vector)
{
    return vector < X86_NUM_EXCEPTIONS ? exceptions[vector].mnemonic : NULL;
}

const char *exception_name(uint64_t vector)
{
    if (vector < X86_NUM_EXCEPTIONS && exceptions[vector].name)
        return exceptions[vector].name;
    return vector < X86_NUM_EXCEPTIONS ? "reserved exception" : "interrupt";
}

bool exception_has_error_code(uint64_t vector)
{
    return vector < X86_NUM_EXCEPTIONS && exceptions[vector].error_code;
}

#define DUMP_LINE_MAX 160

void trap_dump(const struct trap_frame *f, const struct trap_cregs *c, dump_line_fn emit, void *ctx)
{
    char line[DUMP_LINE_MAX];
    const char *mn = exception_mnemonic(f->vector);
    char tag[16];

    if (mn)
        snprintf(tag, sizeof(tag), "#%s", mn);
    else
        snprintf(tag, sizeof(tag), "#%llu", (unsigned long long)f->vector);

    snprintf(line, sizeof(line), "EXCEPTION %s (vector %llu) error=0x%llx at RIP=0x%016llx: %s",
             tag, (unsigned long long)f->vector, (unsigned long long)f->error_code,
             (unsigned long long)f->rip, exception_name(f->vector));
    emit(ctx, line);

    if (f->vector == X86_VEC_PF) {
        uint64_t e = f->error_code;
        snprintf(line, sizeof(line), "  page fault at address 0x%016llx: %s %s%s%s",
                 (unsigned long long)c->cr2,
                 (e & PF_ERR_ID) ? "instruction fetch" : (e & PF_ERR_W) ? "write" : "read",
                 (e & PF_ERR_P) ? "of a protected page" : "of a non-present page",
                 (e & PF_ERR_U) ? ", user mode" : "",
                 (e & PF_ERR_RSVD) ? ", reserved bit set" : "");
        emit(ctx, line);
    }

#define R(x) (unsigned long long)(x)
    snprintf(line, sizeof(line), "  RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx",
             R(f->rax), R(f->rbx), R(f->rcx), R(f->rdx));
    emit(ctx, line);
    snprintf(line, sizeof(line), "  RSI=%016llx RDI=%016llx RBP=%016llx RSP=%016llx",
             R(f->rsi), R(f->rdi), R(f->rbp), R(f->rsp));
    emit(ctx, line);
    snprintf(line, sizeof(line), "  R8 =%016llx R9 =%016llx R10=%016llx R11=%016llx",
             R(f->r8), R(f->r9), R(f->r10), R(f->r11));
    emit(ctx, line);
    snprintf(line, sizeof(line), "  R12=%016llx R13=%016llx R14=%016llx R15=%016llx",
             R(f->r12), R(f->r13), R(f->r14), R(f->r15));
    emit(ctx, line);
    snprintf(line, sizeof(line), "  RIP=%016llx CS=%04llx SS=%04llx RFLAGS=%016llx",
             R(f->rip), R(f->cs), R(f->ss), R(f->rflags));
    emit(ctx, line);
    snprintf(line, sizeof(line), "  CR0=%016llx CR2=0x%016llx CR3=%016llx CR4=%016llx EFER=%016llx",
             R(c->cr0), R(c->cr2), R(c->cr3), R(c->cr4), R(c->efer));
    emit(ctx, line);
#undef R
}
