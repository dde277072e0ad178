/*
 * The servicing handoff's trampoline (kernel/servicing/handoff.c): position-independent
 * code the old instance copies into an identity-mapped page of VTL2's persisted part and
 * calls there, because the kernel window it runs from is about to map the new image.
 *
 * void trampoline(uint64_t cr3, uint64_t rip, uint64_t block_pa, uint64_t gdt_desc_pa)
 * Switches to the handoff tables (identity 0-4 GiB, kernel window onto the new slot; this
 * page is identity mapped in both), takes a stack at the top of the next page, loads a
 * flat GDT with a 64-bit code segment and enters the new image as docs/image.md's boot
 * contract says: EDI = MEZZ_BOOT_BLOCK_MAGIC, ESI = the boot block.
 *
 * The stack is not in this page: under QEMU's TCG a store into a page holding code being
 * run invalidates that code, so the far return's pushes would have the trampoline
 * translated again (and the page is kept from one handoff to the next, handoff.c).
 */
#define MEZZ_BOOT_BLOCK_MAGIC 0x4D5A4254

    .section .rodata, "a"
    .code64
    .globl handoff_trampoline_start, handoff_trampoline_end
    .balign 16
handoff_trampoline_start:
    cli
    movq %rdi, %cr3
    leaq handoff_trampoline_start(%rip), %rax
    andq $~0xFFF, %rax
    addq $0x2000, %rax           /* the top of the next page: SERVICING_TRAMPOLINE_STACK_OFF */
    movq %rax, %rsp
    lgdt (%rcx)
    movq %rsi, %r8
    movl %edx, %r9d
    leaq 1f(%rip), %rax
    pushq $0x08
    pushq %rax
    lretq
1:  movl $0x10, %eax
    movl %eax, %ds
    movl %eax, %es
    movl %eax, %ss
    movl %eax, %fs
    movl %eax, %gs
    movl $MEZZ_BOOT_BLOCK_MAGIC, %edi
    movl %r9d, %esi
    jmpq *%r8
handoff_trampoline_end:
