/*
 * The timer interrupt handler of the TIMER_IRQ operation (irq.c), one per build: count
 * the tick in fw_ticks, send a non-specific EOI to the master 8259 (OCW2 0x20), return.
 * It is installed only while the operation runs, at the vector the firmware gave IRQ0,
 * and preserves every register and flag. No error code: an external interrupt never
 * pushes one, even at vector 8 (#DF) or 13 (#GP) (AMD APM vol. 2, "Interrupt Stack
 * Frame"); delivery with an error code would make the return jump to garbage.
 */
#define PIC1_COMMAND 0x20
#define PIC_EOI      0x20

    .text
    .globl fw_tick_handler
#if FW_BITS == 16
    .code16
/* Real mode: IVT entry FW_RAM_SEG:fw_tick_handler; CS is the firmware's segment, so the
 * counter is reached through CS whatever DS holds. */
fw_tick_handler:
    incl %cs:fw_ticks
    pushw %ax
    movb $PIC_EOI, %al
    outb %al, $PIC1_COMMAND
    popw %ax
    iret
#elif FW_BITS == 32
    .code32
fw_tick_handler:
    incl fw_ticks
    pushl %eax
    movb $PIC_EOI, %al
    outb %al, $PIC1_COMMAND
    popl %eax
    iret
#else
    .code64
fw_tick_handler:
    incl fw_ticks(%rip)
    pushq %rax
    movb $PIC_EOI, %al
    outb %al, $PIC1_COMMAND
    popq %rax
    iretq
#endif
