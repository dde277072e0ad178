/*
 * The 64-bit build, linked where it runs: its slot of the image as copied to RAM
 * (layout.h). Its first byte is the entry the mode switches jump to. Preprocessed.
 */
#include "tests/guests/testfw/layout.h"

ENTRY(_start64)

SECTIONS
{
    . = FW_RAM_BASE + FW64_SLOT;
    .text : { KEEP(*(.text.entry)) *(.text .text.*) }
    .rodata : { *(.rodata .rodata.*) }
    .data : { *(.data .data.*) }
    __bss_start = .;
    .bss : { *(.bss .bss.* COMMON) }
    __bss_end = .;
    ASSERT(. <= FW_RAM_BASE + FW64_SLOT + FW64_SLOT_SIZE, "64-bit build does not fit its slot")
    ASSERT(_start64 == FW64_ENTRY, "_start64 must start the slot")

    /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
