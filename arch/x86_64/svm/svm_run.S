/*
 * void svm_run(uint64_t guest_vmcb_pa, struct guest_gprs *gprs, uint64_t host_vmcb_pa)
 *
 * One VMRUN round trip. VMRUN itself switches only RAX, RSP, RIP, RFLAGS and the
 * control/segment state (AMD APM vol. 2, "VMRUN Instruction"); the other general
 * registers are swapped here, and VMLOAD/VMSAVE move the state VMRUN leaves alone
 * (FS, GS, TR, LDTR, KernelGSBase, STAR/LSTAR/CSTAR/SFMASK, SYSENTER): the guest's
 * around VMRUN, Mezzanine's own (TR holds our IST stacks) right after #VMEXIT, from the
 * host VMCB that svm_enable filled once.
 * The caller runs this with GIF clear (CLGI) and decides RFLAGS.IF.
 * Offsets into struct guest_gprs follow arch/x86_64/svm/guest_regs.h (8 * GPR_x).
 */
#include "arch/x86_64/svm/guest_regs.h"

#define G(r) (8 * GPR_##r)

    .text
    .globl svm_run
svm_run:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                  /* 16(%rsp): host VMCB */
    pushq %rsi                  /*  8(%rsp): guest GPRs */
    pushq %rdi                  /*  0(%rsp): guest VMCB */

    movq %rsi, %rax
    movq G(RCX)(%rax), %rcx
    movq G(RDX)(%rax), %rdx
    movq G(RBX)(%rax), %rbx
    movq G(RBP)(%rax), %rbp
    movq G(RDI)(%rax), %rdi
    movq G(R8)(%rax), %r8
    movq G(R8)+8(%rax), %r9
    movq G(R8)+16(%rax), %r10
    movq G(R8)+24(%rax), %r11
    movq G(R8)+32(%rax), %r12
    movq G(R8)+40(%rax), %r13
    movq G(R8)+48(%rax), %r14
    movq G(R15)(%rax), %r15
    movq G(RSI)(%rax), %rsi

    movq 0(%rsp), %rax
    vmload %rax
    vmrun %rax                  /* RAX and RSP of the guest live in its VMCB */
    vmsave %rax                 /* RAX is ours again (restored from the host save area) */

    movq 8(%rsp), %rax
    movq %rcx, G(RCX)(%rax)
    movq %rdx, G(RDX)(%rax)
    movq %rbx, G(RBX)(%rax)
    movq %rbp, G(RBP)(%rax)
    movq %rsi, G(RSI)(%rax)
    movq %rdi, G(RDI)(%rax)
    movq %r8, G(R8)(%rax)
    movq %r9, G(R8)+8(%rax)
    movq %r10, G(R8)+16(%rax)
    movq %r11, G(R8)+24(%rax)
    movq %r12, G(R8)+32(%rax)
    movq %r13, G(R8)+40(%rax)
    movq %r14, G(R8)+48(%rax)
    movq %r15, G(R15)(%rax)

    movq 16(%rsp), %rax
    vmload %rax                 /* our TR (IST stacks), FS, GS back */

    addq $24, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
