/*
 * The whole 64 KiB image (layout.h): the 16-bit build linked at offset 0 (its offsets
 * are offsets in segment FW_RAM_SEG), the 32- and 64-bit builds and the built-in script
 * pulled in as blobs (slots.S), the reset vector in the last 16 bytes. Preprocessed.
 */
#include "tests/guests/testfw/layout.h"

ENTRY(from_prot16)

SECTIONS
{
    . = FW16_SLOT;
    .text : { KEEP(*(.text.entry)) *(.text .text.*) }
    .rodata : { *(.rodata .rodata.*) }
    .data : { *(.data .data.*) }
    __bss_start = .;
    .bss : { *(.bss .bss.* COMMON) }
    __bss_end = .;
    ASSERT(. <= FW16_SLOT + FW16_SLOT_SIZE, "16-bit code does not fit its slot")
    ASSERT(from_prot16 == FW16_FROM_PROT, "from_prot16 must start the 16-bit slot")

    . = FW32_SLOT;
    .slot32 : { KEEP(*(.slot32)) }
    ASSERT(. <= FW32_SLOT + FW32_SLOT_SIZE, "32-bit blob does not fit its slot")

    . = FW64_SLOT;
    .slot64 : { KEEP(*(.slot64)) }
    ASSERT(. <= FW64_SLOT + FW64_SLOT_SIZE, "64-bit blob does not fit its slot")

    . = FW_SCRIPT_SLOT;
    .slotscript : { KEEP(*(.slotscript)) }
    ASSERT(. <= FW_SCRIPT_SLOT + FW_SCRIPT_SLOT_SIZE, "the built-in script does not fit")

    . = FW_GDT_A_CLEAR_OFF;
    .romgdt : { KEEP(*(.romgdt)) }

    . = FW_RESET_OFF;
    .reset : { KEEP(*(.reset)) }
    ASSERT(. == FW_IMAGE_SIZE, "the reset vector must end the image")

    /DISCARD/ : { *(.comment) *(.note*) *(.eh_frame*) }
}
