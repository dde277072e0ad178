/*
 * The test script format (docs/testdev.md, "Script format"): a byte string of
 * operations, each an opcode byte followed by fixed operands, little-endian. An
 * operation's tag is its byte offset in the script; every report carries it.
 * tests/harness/testscript.py is the encoder and must agree with this file
 * (tests/integration/test_testscript.py checks that it does).
 */
#ifndef TESTFW_SCRIPT_H
#define TESTFW_SCRIPT_H

/*      opcode             value   operands                   reports */
#define OP_END             0x00 /* -                          DONE, then halts */
#define OP_MODE            0x01 /* u8 mode (TESTDEV_MODE_*)   MODE per mode entered */
#define OP_LOG             0x02 /* u8 len, len bytes          LOG */
#define OP_EXPECT          0x03 /* u64 expected, u64 mask     PASS or FAIL mismatch */
#define OP_READ8           0x10 /* u64 address                VALUE read */
#define OP_READ16          0x11
#define OP_READ32          0x12
#define OP_READ64          0x13
#define OP_WRITE8          0x18 /* u64 address, u64 value     VALUE read back */
#define OP_WRITE16         0x19
#define OP_WRITE32         0x1A
#define OP_WRITE64         0x1B
#define OP_CPUID           0x20 /* u32 leaf, u32 subleaf      VALUE eax, ebx, ecx, edx */
#define OP_RDMSR           0x21 /* u32 msr                    VALUE value */
#define OP_WRMSR           0x22 /* u32 msr, u64 value         PASS */
#define OP_UD2             0x23 /* -                          FAIL exception (#UD) */
#define OP_RDTSCP          0x24 /* -                          VALUE ecx (TSC_AUX) */
#define OP_RDPID           0x25 /* -                          VALUE the register */
#define OP_IN8             0x28 /* u16 port                   VALUE value */
#define OP_IN16            0x29
#define OP_IN32            0x2A
#define OP_OUT8            0x2C /* u16 port, u32 value        PASS */
#define OP_OUT16           0x2D
#define OP_OUT32           0x2E
#define OP_POWER_OFF       0x30 /* -   (FAIL halt-returned if the machine goes on) */
#define OP_RESET_CF9       0x31 /* -   "" */
#define OP_RESET_KBC       0x32 /* -   "" */
#define OP_TRIPLE_FAULT    0x33 /* -   "" */
#define OP_HLT             0x34 /* -   cli; hlt forever */
#define OP_TIMER_IRQ       0x38 /* u8 vector base, u32 halts  VALUE ticks, vector */
#define OP_PCI_FIND        0x40 /* u32 vendor | device << 16  VALUE config address */
#define OP_PCI_READ8       0x41 /* u32 config address         VALUE value */
#define OP_PCI_READ16      0x42
#define OP_PCI_READ32      0x43
#define OP_PCI_WRITE8      0x44 /* u32 config address, u32 value  VALUE read back */
#define OP_PCI_WRITE16     0x45
#define OP_PCI_WRITE32     0x46
#define OP_STRING          0x48 /* u8 op, u8 size, u8 flags, u64 src, u64 dst, u32 count,
                                   u64 rax                    VALUE rcx, d(rsi), d(rdi),
                                                              eax | flags << 32 */
#define OP_SEGLOAD_ROM     0x49 /* -                          VALUE the descriptor's high dword */
#define OP_DRAW            0x50 /* u64 base, u32 pitch, u16 width, u16 first line,
                                   u16 lines, u32 seed       VALUE pixels drawn */

#endif
