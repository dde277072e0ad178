/*
 * Interrupt and exception entry: 256 stubs of 16 bytes each (idt.c computes a stub's
 * address as trap_stubs + 16 * vector). A stub pushes a zero error code when the CPU
 * does not push one, then the vector, so every frame has the layout of
 * struct trap_frame (trap_frame.h).
 */
#include "arch/x86_64/cpu/trap_frame.h"

    .text
    .balign 16
    .globl trap_stubs
trap_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    pushq $vec
    .else
    pushq $0
    pushq $vec
    .endif
    jmp trap_common
    .set vec, vec + 1
    .endr

trap_common:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    call trap_handle
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp      /* vector and error code */
    iretq

/*
 * The interrupt-window stubs: the IDT that is loaded only around `sti; nop; cli` after
 * an INTR exit (idt_interrupt_window). Whatever vector arrives there is an external
 * interrupt meant for VTL0 (no exception can happen on a nop), so every stub is the
 * same: record the vector, return. VTL0's PIC or APIC may use any vector, even 8 or 14,
 * without being mistaken for one of Mezzanine's exceptions.
 */
    .balign 16
    .globl irq_window_stubs
irq_window_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    pushq %rax
    movl $vec, %eax
    jmp irq_window_common
    .set vec, vec + 1
    .endr

irq_window_common:
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    movl %eax, %edi
    cld
    call irq_window_record
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    iretq
