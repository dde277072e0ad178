/*
 * Long-mode side of the test firmware: the entry from protected mode, the step back
 * down, and the exception stubs. The code runs identity-mapped (paging.c).
 */
#include "tests/guests/testfw/layout.h"

    .code64

/* ---- entry: must be the first byte of the slot (FW64_ENTRY) ---------------------------- */
    .section .text.entry, "ax"
    .globl _start64
_start64:
    movw $SEL_DATA32, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $FW_STACK_TOP, %esp
    call fw_warm

    .text
/* ---- fw64_to_prot: AMD APM vol. 2, "Leaving Long Mode": go to compatibility mode (a
 * far return to the 32-bit code segment), clear CR0.PG from an identity-mapped page,
 * which clears EFER.LMA, then clear EFER.LME. What is left is protected mode without
 * paging, which _start32 takes over. */
    .globl fw64_to_prot
fw64_to_prot:
    cli
    leaq compat32(%rip), %rax
    pushq $SEL_CODE32
    pushq %rax
    lretq

    .code32
compat32:
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl $MSR_EFER, %ecx
    rdmsr
    andl $~EFER_LME, %eax
    wrmsr
    movl %cr4, %eax
    andl $~CR4_PAE, %eax
    movl %eax, %cr4
    ljmp $SEL_CODE32, $FW32_ENTRY
    .code64

/* ---- exception stubs (ERROR_CODE_VECTORS, layout.h) ----------------------------------- */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
isr64_\n:
    .if ((ERROR_CODE_VECTORS >> \n) & 1) == 0
    pushq $0
    .endif
    pushq $\n
    jmp isr64_common
    .endr

isr64_common:
    popq %rdi               /* vector */
    popq %rsi               /* error code */
    popq %rdx               /* RIP */
    movl $FW_STACK_TOP, %esp   /* a fresh stack: fw_exception never returns */
    call fw_exception

    .section .rodata
    .globl isr64_table
    .balign 8
isr64_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad isr64_\n
    .endr
