/*
 * void efi_enter(uint64_t rip, uint64_t cr0, uint64_t cr4, uint64_t efer_bits,
 *                uint32_t magic, uint32_t block, uint64_t cr3)
 * After ExitBootServices: switch to the loader's page tables (identity 0-4 GiB plus the
 * kernel window), load the VP context's control registers and jump to the kernel with
 * EDI = magic, ESI = block (docs/image.md). The code and the stack in use are below
 * 4 GiB, so they stay mapped across the CR3 switch.
 */
    .text
    .globl efi_enter
efi_enter:
    cli
    movq 8(%rsp), %rax
    movq %rax, %cr3
    movq %rdx, %cr4
    movq %rsi, %cr0
    movq %rdi, %r10               /* rip */
    movq %rcx, %r11               /* EFER bits to set */
    movl $0xC0000080, %ecx
    rdmsr
    orl %r11d, %eax
    wrmsr
    movl %r8d, %edi
    movl %r9d, %esi
    xorl %ebp, %ebp
    jmp *%r10
.section .note.GNU-stack,"",@progbits
