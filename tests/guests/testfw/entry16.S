/*
 * Real-mode side of the test firmware: the reset vector, the copy to RAM, the way up
 * to protected mode and the way back down, and the real-mode exception stubs.
 *
 * The CPU starts at F000:FFF0 with CS.base = FFFF0000 (AMD APM vol. 2, "Processor
 * Initialization State"). The image is also visible at F0000, so the reset vector jumps
 * to F000:cold16; cold16 copies all 64 KiB to 1000:0000 and continues there with
 * CS = DS = ES = SS = 1000h, which is what the -m16 C code expects (one segment for
 * code, data and stack).
 */
#include "tests/guests/testfw/layout.h"

    .code16

/* DS = ES = SS = FW_RAM_SEG, FS = GS = 0, and a fresh stack. */
.macro REAL_SEGMENTS
    movw $FW_RAM_SEG, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl $FW_STACK16_TOP, %esp
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
.endm

/* ---- arrival from protected mode ----------------------------------------------------
 * fw32_to_real jumps here through SEL_CODE16 (16-bit, base FW_RAM_BASE, 64 KiB), so this
 * must sit at FW16_FROM_PROT, the start of the 16-bit slot. The order follows "Switching
 * Back to Real-Address Mode" (Intel SDM vol. 3): 64 KiB segments loaded, real-mode
 * IVT loaded, PE cleared, then a far jump to reload CS with a real-mode segment. */
    .section .text.entry, "ax"
    .globl from_prot16
from_prot16:
    movw $SEL_DATA16, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $FW_STACK16_TOP, %esp
    lidtl ivt_desc
    movl %cr0, %eax
    andl $~CR0_PE, %eax
    movl %eax, %cr0
    ljmp $FW_RAM_SEG, $1f
1:  REAL_SEGMENTS
    calll fw_warm

/* ---- cold start, from the reset vector ------------------------------------------- */
    .text
cold16:
    cli
    cld
    movw $FW_ROM_SEG, %ax
    movw %ax, %ds
    xorw %si, %si
    movw $FW_RAM_SEG, %ax
    movw %ax, %es
    xorw %di, %di
    movw $FW_IMAGE_SIZE / 2, %cx
    rep movsw
    ljmp $FW_RAM_SEG, $1f
1:  REAL_SEGMENTS
    lgdtl gdt_desc
    lidtl ivt_desc
    calll fw_cold

/* ---- up to protected mode (AMD APM vol. 2, "Enabling Protected Mode") -------------- */
    .globl fw16_to_prot
fw16_to_prot:
    cli
    lgdtl gdt_desc
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $SEL_CODE32, $FW32_ENTRY

/* ---- real-mode exception stubs -------------------------------------------------------
 * The CPU pushed FLAGS, CS and IP (no error codes in real mode); report the linear IP. */
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
isr16_\n:
    pushl $\n
    jmp isr16_common
    .endr

isr16_common:
    popl %eax               /* vector */
    popw %dx                /* IP */
    popw %cx                /* CS */
    movzwl %cx, %ecx
    shll $4, %ecx
    movzwl %dx, %edx
    addl %edx, %ecx
    movw $FW_RAM_SEG, %dx   /* fresh segments and stack: fw_exception never returns */
    movw %dx, %ds
    movw %dx, %es
    movw %dx, %ss
    movl $FW_STACK16_TOP, %esp
    pushl $0                /* ip, high half */
    pushl %ecx              /* ip, low half */
    pushl $0                /* error code */
    pushl %eax              /* vector */
    calll fw_exception

    .section .rodata
    .globl isr16_table
    .balign 2
isr16_table:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .word isr16_\n
    .endr

/* ---- descriptor tables ------------------------------------------------------------------
 * Flat 32-bit code and data, 64-bit code, and 16-bit code and data based at the RAM copy
 * for the way back to real mode. Accessed bits preset so the CPU never writes here. */
    .balign 8
gdt:
    .quad 0
    .quad 0x00CF9B000000FFFF    /* SEL_CODE32: base 0, 4 GiB, D = 1 */
    .quad 0x00CF93000000FFFF    /* SEL_DATA32: base 0, 4 GiB, B = 1 */
    .quad 0x00AF9B000000FFFF    /* SEL_CODE64: L = 1 */
    .quad 0x00009B010000FFFF    /* SEL_CODE16: base 10000h, 64 KiB */
    .quad 0x000093010000FFFF    /* SEL_DATA16: base 10000h, 64 KiB */
gdt_end:

gdt_desc:
    .word gdt_end - gdt - 1
    .long FW_RAM_BASE + gdt

ivt_desc:
    .word 0x3FF
    .long 0

/* ---- a GDT for SEGLOAD_ROM (segload.c), at FW_GDT_A_CLEAR_OFF -------------------------
 * Used where the image is ROM (F0000h + offset): its data descriptor has the accessed bit
 * clear, so loading it makes the CPU write the descriptor, i.e. write to ROM. */
    .section .romgdt, "a"
    .quad 0
    .quad 0x00CF92000000FFFF    /* 08: flat data, 4 GiB, writable, accessed bit clear */
    .quad 0x00CF9A000000FFFF    /* 10: flat 32-bit code, accessed bit clear */

/* ---- the reset vector: the last 16 bytes of the image ---------------------------------- */
    .section .reset, "ax"
    ljmp $FW_ROM_SEG, $cold16
    .org 16, 0
