/*
 * Protected-mode side of the test firmware: the entry (from real mode, or back from
 * long mode), the steps up to long mode and down to real mode, and the exception stubs.
 * Paging is off in protected mode: linear = physical.
 */
#include "tests/guests/testfw/layout.h"

    .code32

/* ---- entry: must be the first byte of the slot (FW32_ENTRY) ---------------------------- */
    .section .text.entry, "ax"
    .globl _start32
_start32:
    movw $SEL_DATA32, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $FW_STACK_TOP, %esp
    call fw_warm

    .text
/* ---- fw32_to_long(pml4): AMD APM vol. 2, "Enabling and Activating Long Mode":
 * CR4.PAE = 1, CR3 = PML4, EFER.LME = 1, then CR0.PG = 1 activates long mode
 * (EFER.LMA = 1) in compatibility mode; the far jump to a 64-bit code segment
 * (L = 1) enters 64-bit mode. */
    .globl fw32_to_long
fw32_to_long:
    cli
    movl 4(%esp), %eax
    movl %cr4, %edx
    orl $CR4_PAE, %edx
    movl %edx, %cr4
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    ljmp $SEL_CODE64, $FW64_ENTRY

/* ---- fw32_to_real: into 16-bit protected mode through SEL_CODE16; from_prot16 does
 * the rest. Paging is already off. */
    .globl fw32_to_real
fw32_to_real:
    cli
    ljmp $SEL_CODE16, $FW16_FROM_PROT

/* ---- exception stubs: a 0 where the CPU pushes no error code (ERROR_CODE_VECTORS,
 * layout.h), so that the frame is the same. */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
isr32_\n:
    .if ((ERROR_CODE_VECTORS >> \n) & 1) == 0
    pushl $0
    .endif
    pushl $\n
    jmp isr32_common
    .endr

isr32_common:
    movw $SEL_DATA32, %ax
    movw %ax, %ds
    movw %ax, %es
    popl %eax               /* vector */
    popl %edx               /* error code */
    popl %ecx               /* EIP */
    movl $FW_STACK_TOP, %esp   /* a fresh stack: fw_exception never returns */
    pushl $0                /* ip, high half */
    pushl %ecx
    pushl %edx
    pushl %eax
    call fw_exception

    .section .rodata
    .globl isr32_table
    .balign 4
isr32_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long isr32_\n
    .endr
