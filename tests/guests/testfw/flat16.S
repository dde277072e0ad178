/*
 * uint32_t flat16_rw(uint32_t address, uint32_t value, uint32_t write): one 32-bit
 * access anywhere below 4 GiB from real mode (the local APIC at FEE00000h, for the
 * TIMER_IRQ operation), through a moment in 16-bit protected mode: PE on, CS to
 * SEL_CODE16 (same base, so the offsets stay valid), FS to the flat SEL_DATA32, the
 * access (writes first if write != 0, then a read, whose value is returned), PE off and
 * CS back to FW_RAM_SEG, as entry16.S switches. Interrupts are off throughout. cdecl
 * with 32-bit pushes, as clang -m16 calls it.
 */
#include "tests/guests/testfw/layout.h"

    .code16
    .text
    .globl flat16_rw
flat16_rw:
    pushfl
    cli
    pushl %ebx
    movl 12(%esp), %ebx     /* address (past flags, ebx and the return address) */
    movl 16(%esp), %eax     /* value */
    movl 20(%esp), %ecx     /* write? */
    movl %cr0, %edx
    orl $CR0_PE, %edx
    movl %edx, %cr0
    ljmp $SEL_CODE16, $1f
1:  movw $SEL_DATA32, %dx
    movw %dx, %fs
    testl %ecx, %ecx
    jz 2f
    movl %eax, %fs:(%ebx)     /* 67h: 32-bit addressing */
2:  movl %fs:(%ebx), %eax
    movl %cr0, %edx
    andl $~CR0_PE, %edx
    movl %edx, %cr0
    ljmp $FW_RAM_SEG, $3f
3:  xorw %dx, %dx
    movw %dx, %fs
    popl %ebx
    popfl
    retl
