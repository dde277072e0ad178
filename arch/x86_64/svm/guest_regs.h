/*
 * VTL0's general registers as Mezzanine holds them while handling an exit. The order is
 * the x86 register encoding (ModRM.reg / REX.R extension), so a decoded register
 * number indexes gpr[] directly. RSP and RAX live in the VMCB while VTL0 runs; the
 * exit path copies them here and back (arch/x86_64/svm/svm_run.S, svm.c).
 */
#ifndef MEZZ_ARCH_GUEST_REGS_H
#define MEZZ_ARCH_GUEST_REGS_H

#define GPR_RAX 0
#define GPR_RCX 1
#define GPR_RDX 2
#define GPR_RBX 3
#define GPR_RSP 4
#define GPR_RBP 5
#define GPR_RSI 6
#define GPR_RDI 7
#define GPR_R8  8
#define GPR_R15 15
#define GPR_COUNT 16

#ifndef __ASSEMBLER__
#include <stdint.h>

struct guest_gprs {
    uint64_t gpr[GPR_COUNT];
};

/* A segment register as the VMCB holds it (attributes in the packed 12-bit form:
 * descriptor bits 47:40 in 7:0 and bits 55:52 in 11:8). */
struct guest_segment {
    uint16_t selector;
    uint16_t attrib;
    uint32_t limit;
    uint64_t base;
};

#define SEG_ATTR_TYPE_MASK 0x000F
#define SEG_ATTR_S         0x0010
#define SEG_ATTR_DPL_MASK  0x0060
#define SEG_ATTR_P         0x0080
#define SEG_ATTR_AVL       0x0100
#define SEG_ATTR_L         0x0200   /* 64-bit code segment */
#define SEG_ATTR_DB        0x0400   /* default operation size 32 */
#define SEG_ATTR_G         0x0800

/* What an exit handler may need of VTL0's CPU state besides the GPRs. */
struct guest_cpu_state {
    uint64_t rip, rflags;
    uint64_t cr0, cr2, cr3, cr4, efer;
    struct guest_segment cs, ss, ds, es, fs, gs;
    uint8_t cpl;
};
#endif

#endif
