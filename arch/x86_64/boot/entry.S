/*
 * Multiboot 1 entry. The loader enters _start32 in 32-bit protected mode, paging off,
 * EAX = 0x2BADB002, EBX = physical address of the multiboot information.
 * We build throwaway page tables (identity 0-4 GiB and the kernel's top-2-GiB window
 * onto physical 0-1 GiB, all 2 MiB pages), enter long mode (AMD APM vol. 2, "Enabling
 * and Activating Long Mode"), zero .bss and call kmain(magic, info) at its link address.
 * kmain replaces these tables with VTL2's own (mm/vtl2_space.c).
 */
#include "arch/x86_64/layout.h"

#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  0x00010002      /* memory map wanted | a.out kludge addresses */

#define CR0_BOOT  0x80010035      /* PG | WP | NE | ET | EM | PE: no x87/SSE in VTL2 */
#define CR4_BOOT  0x00000020      /* PAE */
#define EFER_BOOT 0x00000900      /* LME | NXE */
#define PDE_LARGE 0x83            /* present | writable | 2 MiB page */
#define PTE_TABLE 0x03            /* present | writable */

    .section .boot.header, "a"
    .balign 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long mb_header               /* header_addr */
    .long __kernel_phys_start     /* load_addr */
    .long __load_end_phys         /* load_end_addr */
    .long __bss_end_phys          /* bss_end_addr */
    .long _start32                /* entry_addr */

    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
    cli
    cld
    movl %eax, boot_magic
    movl %ebx, boot_info
    movl $boot_stack32_top, %esp

    /* Zero the seven boot page-table pages. */
    movl $boot_pml4, %edi
    movl $(7 * 4096 / 4), %ecx
    xorl %eax, %eax
    rep stosl

    /* PML4[0] -> identity PDPT; PML4[511] -> high PDPT. */
    movl $boot_pdpt_low, %eax
    orl $PTE_TABLE, %eax
    movl %eax, boot_pml4
    movl $boot_pdpt_high, %eax
    orl $PTE_TABLE, %eax
    movl %eax, boot_pml4 + 511 * 8

    /* Identity PDPT[0..3] -> PD0..PD3; high PDPT[510] -> PD0 (phys 0-1 GiB). */
    movl $boot_pd, %eax
    orl $PTE_TABLE, %eax
    movl %eax, boot_pdpt_high + 510 * 8
    xorl %ecx, %ecx
1:  movl %eax, boot_pdpt_low(, %ecx, 8)
    addl $4096, %eax
    incl %ecx
    cmpl $4, %ecx
    jb 1b

    /* 2048 PDEs: 2 MiB pages covering 0-4 GiB. */
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl $PDE_LARGE, %eax
    movl %eax, boot_pd(, %ecx, 8)
    incl %ecx
    cmpl $2048, %ecx
    jb 2b

    movl $CR4_BOOT, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $0xC0000080, %ecx
    rdmsr
    orl $EFER_BOOT, %eax
    wrmsr
    movl $CR0_BOOT, %eax
    movl %eax, %cr0
    lgdt boot_gdt_desc
    ljmp $0x08, $start64

    .code64
start64:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs

    /* Zero .bss (it holds the boot stack, so before using it). */
    movabsq $__bss_start, %rdi
    movabsq $__bss_end, %rcx
    subq %rdi, %rcx
    shrq $3, %rcx           /* .bss is page aligned at both ends */
    xorl %eax, %eax
    rep stosq

    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    movl boot_magic, %edi
    movl boot_info, %esi
    movabsq $kmain, %rax
    call *%rax
3:  cli
    hlt
    jmp 3b

    /*
     * IGVM entry (docs/image.md): an IGVM loader (the boot shim, the UEFI app, the
     * servicing handoff) placed the image in its VTL2 slot and enters here in 64-bit
     * mode with the VP_CONTEXT's CR0/CR4/EFER, its own page tables mapping the first
     * 4 GiB 1:1 and the kernel window onto the slot, interrupts off,
     * EDI = MEZZ_BOOT_BLOCK_MAGIC, ESI = the boot block's physical address. .bss was
     * loaded as zero pages, so unlike _start32 nothing needs clearing here.
     */
    .section .text.entry64, "ax"
    .globl _start64
_start64:
    cli
    cld
    movabsq $boot_stack_top, %rsp
    xorl %ebp, %ebp
    call kmain
4:  cli
    hlt
    jmp 4b

    .section .boot.data, "aw"
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00AF9A000000FFFF      /* 0x08: 64-bit code */
    .quad 0x00CF92000000FFFF      /* 0x10: data */
boot_gdt_desc:
    .word boot_gdt_desc - boot_gdt - 1
    .long boot_gdt
boot_magic:
    .long 0
boot_info:
    .long 0

    .balign 4096
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
boot_stack32:   .skip 1024
boot_stack32_top:

    /* The kernel stack, with an unmapped guard page below it (vtl2_space.c skips it),
     * so an overflow faults instead of corrupting .bss. */
    .section .bss.stack, "aw", @nobits
    .balign 4096
    .globl boot_stack_guard
boot_stack_guard:
    .skip 4096
    .globl boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
    .globl boot_stack_top
boot_stack_top:
