/*
 * Where the test firmware lives, in its image and in memory (docs/testdev.md, "The test
 * firmware"). Included by C, assembly and the preprocessed linker scripts, so numbers
 * only.
 *
 * At reset the 64 KiB image is visible at F0000 (and at 4 GiB - 64 KiB); the first
 * instructions copy it to RAM at 10000 and run it there, so every mode can write its
 * own data and the 16-bit code can use one segment (1000h) for code, data and stack.
 *
 *   image offset      linear (RAM)      what
 *   0000 - 4FFF       10000 - 14FFF     16-bit code and data (real mode)
 *   5000 - 8FFF       15000 - 18FFF     32-bit code and data (protected mode)
 *   9000 - CFFF       19000 - 1CFFF     64-bit code and data (long mode)
 *   D000 - DFFF       1D000 - 1DFFF     built-in script: "MZTS", u16 length, u16 0, bytes
 *   E000 - EFFF       1E000 - 1EFFF     real-mode stack (zeros in the image)
 *   F000 - F0FF       1F000 - 1F0FF     state shared by the three modes
 *   FF00 - FF17       (F0000 + FF00)    a GDT with accessed bits clear (SEGLOAD_ROM)
 *   FFF0 - FFFF       1FFF0 - 1FFFF     reset vector: jmp F000:cold start
 *                     20000 - 27FFF     long-mode page tables (built on the way up)
 *                     28000 - 2FFFF     protected- and long-mode stack
 *                     00000 - 0007F     real-mode IVT entries 0-31 (exception reports)
 */
#ifndef TESTFW_LAYOUT_H
#define TESTFW_LAYOUT_H

#define FW_IMAGE_SIZE     0x10000
#define FW_ROM_BASE       0xF0000
#define FW_ROM_SEG        0xF000
#define FW_RAM_BASE       0x10000
#define FW_RAM_SEG        0x1000

#define FW16_SLOT         0x0000
#define FW16_SLOT_SIZE    0x5000
#define FW32_SLOT         0x5000
#define FW32_SLOT_SIZE    0x4000
#define FW64_SLOT         0x9000
#define FW64_SLOT_SIZE    0x4000
#define FW_SCRIPT_SLOT    0xD000     /* the built-in script; tests may patch it in */
#define FW_SCRIPT_SLOT_SIZE 0x1000
#define FW_SCRIPT_MAGIC   0x53545A4D /* "MZTS" */
#define FW_SCRIPT_HEADER  8
#define FW_STACK16_TOP    0xF000     /* offset in segment FW_RAM_SEG */
#define FW_SHARED_OFF     0xF000
#define FW_SHARED_SIZE    0x100
#define FW_GDT_A_CLEAR_OFF 0xFF00    /* 3 descriptors for SEGLOAD_ROM (segload.c) */
#define FW_RESET_OFF      0xFFF0

#define FW16_FROM_PROT    FW16_SLOT   /* offset in the 16-bit segment; start of the slot */
#define FW32_ENTRY        (FW_RAM_BASE + FW32_SLOT)   /* linear; first byte of the slot */
#define FW64_ENTRY        (FW_RAM_BASE + FW64_SLOT)
#define FW_SHARED         (FW_RAM_BASE + FW_SHARED_OFF)
#define FW_SCRIPT         (FW_RAM_BASE + FW_SCRIPT_SLOT)

#define FW_PT_BASE        0x20000    /* 8 pages: PML4, PDPT, 4 PDs, window PDPT and PD */
#define FW_STACK_TOP      0x30000    /* protected and long mode */
#define FW_RAM_END        0x30000    /* first byte the firmware does not use */

/* GDT selectors (gdt16.S). */
#define SEL_CODE32        0x08
#define SEL_DATA32        0x10
#define SEL_CODE64        0x18
#define SEL_CODE16        0x20       /* base FW_RAM_BASE, limit 64 KiB: back to real mode */
#define SEL_DATA16        0x28

/* Architectural bits the mode switches use (AMD APM vol. 2, "System Registers"). */
#define CR0_PE            0x00000001
#define CR0_PG            0x80000000
#define CR4_PAE           0x00000020
#define MSR_EFER          0xC0000080
#define EFER_LME          0x00000100

/* Exception vectors that push an error code, one bit each: 8, 10-14, 17, 21, 29 and 30
 * (AMD APM vol. 2, "Exception and Interrupt Vectors"). The 32- and 64-bit stubs push a
 * 0 for the others so that every frame is the same. */
#define ERROR_CODE_VECTORS 0x60227D00

#endif
