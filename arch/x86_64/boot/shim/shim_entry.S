/*
 * The multiboot boot shim's entry (docs/image.md). QEMU `-kernel build/shim.bin` loads
 * this flat image at SHIM_LOAD_PHYS and enters _shim_start32 in 32-bit protected mode
 * with EAX = 0x2BADB002, EBX = the multiboot information, as it enters the kernel's own
 * entry.S. We identity-map the first 4 GiB with 2 MiB pages, enter long mode (AMD APM
 * vol. 2, "Enabling and Activating Long Mode") and call shim_main(magic, info), which
 * loads the IGVM image and leaves through shim_enter.
 */
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00010002      /* memory map wanted | a.out kludge addresses */

#define CR0_BOOT  0x80010035      /* PG | WP | NE | ET | EM | PE: no x87/SSE, as the kernel */
#define CR4_BOOT  0x00000020      /* PAE */
#define EFER_BOOT 0x00000900      /* LME | NXE */
#define PDE_LARGE 0x83            /* present | writable | 2 MiB page */
#define PTE_TABLE 0x03            /* present | writable */

    .section .shim.header, "a"
    .balign 4
shim_mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long shim_mb_header          /* header_addr */
    .long __shim_start            /* load_addr */
    .long __shim_load_end         /* load_end_addr */
    .long __shim_bss_end          /* bss_end_addr */
    .long _shim_start32           /* entry_addr */

    .section .shim.text32, "ax"
    .code32
    .globl _shim_start32
_shim_start32:
    cli
    cld
#ifdef SHIM_PHASE_STAMPS
    movl %eax, %esi               /* rdtsc clobbers EAX (the magic) */
    rdtsc
    movl %eax, shim_entry_tsc
    movl %edx, shim_entry_tsc + 4
    movl %esi, %eax
#endif
    movl %eax, %esi               /* keep magic and info across the setup */
    movl %ebx, %ebp

    /* Zero .bss: it holds the page tables and the stack. */
    movl $__shim_bss_start, %edi
    movl $__shim_bss_end, %ecx
    subl %edi, %ecx
    shrl $2, %ecx
    xorl %eax, %eax
    rep stosl

    /* PML4[0] -> PDPT; PDPT[0..3] -> PD0..PD3; 2048 PDEs of 2 MiB pages = 0-4 GiB. */
    movl $shim_pdpt_low, %eax
    orl $PTE_TABLE, %eax
    movl %eax, shim_pml4
    movl $shim_pd_low, %eax
    orl $PTE_TABLE, %eax
    xorl %ecx, %ecx
1:  movl %eax, shim_pdpt_low(, %ecx, 8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 1b
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $PDE_LARGE, %eax
    movl %eax, shim_pd_low(, %ecx, 8)   /* high halves stay 0: all below 4 GiB */
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl $CR4_BOOT, %eax
    movl %eax, %cr4
    movl $shim_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $EFER_BOOT, %eax
    wrmsr
    movl $CR0_BOOT, %eax
    movl %eax, %cr0
    lgdt shim_gdt_desc
    ljmp $0x08, $shim_start64

    .code64
shim_start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movq $shim_stack_top, %rsp
    movl %esi, %edi               /* magic */
    movl %ebp, %esi               /* info */
    xorl %ebp, %ebp
    call shim_main
3:  cli
    hlt
    jmp 3b

/*
 * void shim_enter(uint64_t rip, uint64_t cr0, uint64_t cr4, uint64_t efer_bits,
 *                 uint32_t magic, uint32_t block)
 * Loads the VP context's control registers (paging and long mode stay on: the caller
 * checked the values keep them), and jumps to the kernel with EDI = magic, ESI = block.
 * The page tables stay ours (CR3 unchanged); the kernel replaces them.
 */
    .text
    .globl shim_enter
shim_enter:
    movq %rdi, %r10               /* rip */
    movq %rdx, %cr4
    movq %rsi, %cr0
    movq %rcx, %r11               /* EFER bits to set */
    movl $0xC0000080, %ecx
    rdmsr
    orl %r11d, %eax
    wrmsr
    movl %r8d, %edi
    movl %r9d, %esi
    xorl %ebp, %ebp
    jmp *%r10

    .section .shim.data, "aw"
    .balign 8
shim_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF      /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF      /* 0x10: data */
shim_gdt_desc:
    .word shim_gdt_desc - shim_gdt - 1
    .long shim_gdt
#ifdef SHIM_PHASE_STAMPS
    .balign 8
    .globl shim_entry_tsc
shim_entry_tsc:
    .quad 0                       /* TSC at the first instruction (phase stamps build) */
#endif

    .section .bss, "aw", @nobits
    .balign 4096
    .globl shim_pml4, shim_pdpt_high, shim_pd_kernel
shim_pml4:      .skip 4096
shim_pdpt_low:  .skip 4096
shim_pd_low:    .skip 4 * 4096
shim_pdpt_high: .skip 4096
shim_pd_kernel: .skip 4096
shim_stack:     .skip 131072     /* shim_main's state lives in its frame */
shim_stack_top:
