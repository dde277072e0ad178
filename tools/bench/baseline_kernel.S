/*
 * The smallest multiboot 1 kernel that prints a line on COM4 (the console): the baseline for
 * tools/bench/boot_time. Loaded at 1 MiB, it writes "baseline\n" and halts.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00010000

    .code32
    .section .text
    .globl _start
header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long header          /* header_addr */
    .long header          /* load_addr */
    .long end             /* load_end_addr */
    .long end             /* bss_end_addr */
    .long _start          /* entry_addr */
_start:
    movl $message, %esi
1:  movb (%esi), %al
    testb %al, %al
    jz 2f
    movw $0x2E8, %dx
    outb %al, %dx
    incl %esi
    jmp 1b
2:  cli
    hlt
    jmp 2b
message:
    .asciz "baseline\n"
end:
