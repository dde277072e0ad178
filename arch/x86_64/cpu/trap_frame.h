/*
 * The register frame built by the exception entry stubs (traps.S): general registers
 * pushed by the common stub, then vector and error code pushed by the per-vector stub,
 * then what the CPU pushed (AMD APM vol. 2, "Long-Mode Interrupt Control Transfers":
 * SS, RSP, RFLAGS, CS, RIP). traps.S relies on the offsets asserted here.
 */
#ifndef MEZZ_ARCH_TRAP_FRAME_H
#define MEZZ_ARCH_TRAP_FRAME_H

#define TRAP_FRAME_VECTOR_OFFSET 0x78
#define TRAP_FRAME_SIZE          0xb0

#ifndef __ASSEMBLER__
#include <stdint.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;  /* +0x00 */
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;     /* +0x40 */
    uint64_t vector;                                /* +0x78 */
    uint64_t error_code;                            /* +0x80 */
    uint64_t rip, cs, rflags, rsp, ss;              /* +0x88 pushed by the CPU */
};
STATIC_ASSERT_OFFSET(struct trap_frame, rbp, 0x40);
STATIC_ASSERT_OFFSET(struct trap_frame, rax, 0x70);
STATIC_ASSERT_OFFSET(struct trap_frame, vector, TRAP_FRAME_VECTOR_OFFSET);
STATIC_ASSERT_OFFSET(struct trap_frame, rip, 0x88);
STATIC_ASSERT_SIZE(struct trap_frame, TRAP_FRAME_SIZE);
_Static_assert(TRAP_FRAME_SIZE % 16 == 0, "the stubs keep the stack 16-byte aligned");

/* Control registers captured by the handler alongside the frame. */
struct trap_cregs {
    uint64_t cr0, cr2, cr3, cr4, efer;
};
#endif

#endif
