/*
 * The script interpreter: one operation at a time, each reported under its tag (its
 * byte offset in the script). Script format: script.h and docs/testdev.md.
 *
 * A script that stops making sense (an unknown opcode, or the script ending inside an
 * operation) is reported as FAIL and ends the run: the firmware cannot tell where the
 * next operation would start. A bad operand of a known operation is reported and the
 * run goes on.
 */
#include "tests/guests/testfw/fw.h"
#include "tests/guests/testfw/script.h"

#define HALT_SETTLE_SPINS 20000000u

/* Reads operands; on a short script reports FAIL truncated and stops. */
static void operands(void *out, unsigned n)
{
    if (!source_read(out, n)) {
        report_fail(FW_STATE->tag, TESTDEV_FAIL_TRUNCATED, NULL, 0);
        cpu_halt_forever();
    }
}

static uint8_t operand8(void)
{
    uint8_t v;
    operands(&v, 1);
    return v;
}

static uint16_t operand16(void)
{
    uint16_t v;
    operands(&v, 2);
    return v;
}

static uint32_t operand32(void)
{
    uint32_t v;
    operands(&v, 4);
    return v;
}

static uint64_t operand64(void)
{
    uint64_t v;
    operands(&v, 8);
    return v;
}

static void report_value(uint32_t tag, uint64_t value)
{
    report_values(tag, &value, 1);
}

static void op_read(uint32_t tag, unsigned bytes)
{
    uint64_t addr = operand64();
    uint64_t value = 0;
    if (probe_read(addr, bytes, &value) != 0)
        report_fail1(tag, TESTDEV_FAIL_UNSUPPORTED, addr);
    else
        report_value(tag, value);
}

static void op_write(uint32_t tag, unsigned bytes)
{
    uint64_t addr = operand64();
    uint64_t value = operand64();
    uint64_t back = 0;
    if (probe_write(addr, bytes, value) != 0 || probe_read(addr, bytes, &back) != 0)
        report_fail1(tag, TESTDEV_FAIL_UNSUPPORTED, addr);
    else
        report_value(tag, back);
}

static void op_expect(uint32_t tag)
{
    uint64_t expected = operand64();
    uint64_t mask = operand64();
    uint64_t actual = FW_STATE->last_value;
    if ((actual & mask) == (expected & mask)) {
        report_pass(tag);
    } else {
        uint64_t values[2] = { actual, expected };
        report_fail(tag, TESTDEV_FAIL_MISMATCH, values, 2);
    }
}

static void op_cpuid(uint32_t tag)
{
    uint32_t leaf = operand32();
    uint32_t subleaf = operand32();
    uint32_t regs[4];
    uint64_t values[4];
    cpu_cpuid(leaf, subleaf, regs);
    for (unsigned i = 0; i < 4; i++)
        values[i] = regs[i];
    report_values(tag, values, 4);
}

static void op_log(uint32_t tag)
{
    char text[255];
    uint8_t len = operand8();
    operands(text, len);
    report_log(tag, text, len);
}

static void op_mode(uint32_t tag)
{
    uint8_t mode = operand8();
    if (mode > TESTDEV_MODE_LONG) {
        report_fail1(tag, TESTDEV_FAIL_BAD_OPERAND, mode);
        return;
    }
    if (mode == FW_MODE) {
        report_mode(tag, FW_MODE);   /* already there: "stay" */
        return;
    }
    FW_STATE->target_mode = mode;
    mode_step();
}

/* TIMER_IRQ: VALUE ticks, vector base, TSC cycles of the waits; a base this mode cannot
 * use is a bad operand. */
static void op_timer_irq(uint32_t tag)
{
    uint8_t requested = operand8();
    uint32_t halts = operand32();
    uint8_t base = timer_vector_base(requested);
    if (base == 0) {
        report_fail1(tag, TESTDEV_FAIL_BAD_OPERAND, requested);
        return;
    }
    uint64_t tsc = 0;
    uint64_t values[3] = { timer_ticks(base, halts, &tsc), base, tsc };
    report_values(tag, values, 3);
}

/* PCI_READ/PCI_WRITE: the register must be aligned to the access. */
static void op_pci(uint32_t tag, unsigned bytes, bool write)
{
    uint32_t address = operand32();
    uint32_t value = write ? operand32() : 0;
    if (address & (bytes - 1)) {
        report_fail1(tag, TESTDEV_FAIL_BAD_OPERAND, address);
        return;
    }
    if (write)
        pci_cfg_write(address, bytes, value);
    report_value(tag, pci_cfg_read(address, bytes));
}

/* DRAW: the pattern into a framebuffer; VALUE pixels drawn, or FAIL unsupported (the
 * base) if it does not lie below 4 GiB or this is real mode. */
static void op_draw(uint32_t tag)
{
    uint64_t base = operand64();
    uint32_t pitch = operand32();
    uint16_t width = operand16();
    uint16_t first = operand16();
    uint16_t lines = operand16();
    uint32_t seed = operand32();
    if (draw_pattern(base, pitch, width, first, lines, seed) != 0)
        report_fail1(tag, TESTDEV_FAIL_UNSUPPORTED, base);
    else
        report_value(tag, (uint64_t)width * lines);
}

/* STRING: one string instruction; VALUE rCX, d(rSI), d(rDI), eAX | flags << 32. */
static void op_string(uint32_t tag)
{
    uint8_t op = operand8();
    uint8_t size = operand8();
    uint8_t flags = operand8();
    uint64_t src = operand64();
    uint64_t dst = operand64();
    uint32_t count = operand32();
    uint64_t rax = operand64();
    uint64_t out[4];
    int err = string_op(op, size, flags, src, dst, count, rax, out);
    if (err)
        report_fail1(tag, (uint32_t)err, src);
    else
        report_values(tag, out, 4);
}

static void op_segload_rom(uint32_t tag)
{
    uint64_t high[2] = { 0, 0 };
    unsigned n = 0;
    int err = segload_rom(high, &n);
    if (err)
        report_fail1(tag, (uint32_t)err, 0);
    else
        report_values(tag, high, n);
}

/* A halt that came back: wait a little (the machine may be on its way out), then say so. */
static void halt_returned(uint32_t tag)
{
    for (volatile uint32_t i = 0; i < HALT_SETTLE_SPINS; i++)
        ;
    report_fail(tag, TESTDEV_FAIL_HALT_RETURNED, NULL, 0);
}

static void run_op(uint32_t tag, uint8_t op)
{
    switch (op) {
    case OP_END:
        report_done();
        cpu_halt_forever();
    case OP_MODE:
        op_mode(tag);
        break;
    case OP_LOG:
        op_log(tag);
        break;
    case OP_EXPECT:
        op_expect(tag);
        break;
    case OP_READ8: case OP_READ16: case OP_READ32: case OP_READ64:
        op_read(tag, 1u << (op - OP_READ8));
        break;
    case OP_WRITE8: case OP_WRITE16: case OP_WRITE32: case OP_WRITE64:
        op_write(tag, 1u << (op - OP_WRITE8));
        break;
    case OP_CPUID:
        op_cpuid(tag);
        break;
    case OP_RDMSR:
        report_value(tag, cpu_rdmsr(operand32()));
        break;
    case OP_WRMSR: {
        uint32_t msr = operand32();
        cpu_wrmsr(msr, operand64());
        report_pass(tag);
        break;
    }
    case OP_UD2:
        /* The exception handler reports it; nothing after ud2 runs. */
        __asm__ volatile("ud2");
        break;
    case OP_RDTSCP:
        report_value(tag, cpu_rdtscp_aux());
        break;
    case OP_RDPID:
        report_value(tag, cpu_rdpid());
        break;
    case OP_STRING:
        op_string(tag);
        break;
    case OP_SEGLOAD_ROM:
        op_segload_rom(tag);
        break;
    case OP_IN8: case OP_IN16: case OP_IN32:
        report_value(tag, port_in(operand16(), 1u << (op - OP_IN8)));
        break;
    case OP_OUT8: case OP_OUT16: case OP_OUT32: {
        uint16_t port = operand16();
        port_out(port, 1u << (op - OP_OUT8), operand32());
        report_pass(tag);
        break;
    }
    case OP_POWER_OFF:
        halt_power_off();
        halt_returned(tag);
        break;
    case OP_RESET_CF9:
        halt_reset_cf9();
        halt_returned(tag);
        break;
    case OP_RESET_KBC:
        halt_reset_kbc();
        halt_returned(tag);
        break;
    case OP_TRIPLE_FAULT:
        halt_triple_fault();
        halt_returned(tag);
        break;
    case OP_HLT:
        cpu_halt_forever();
    case OP_TIMER_IRQ:
        op_timer_irq(tag);
        break;
    case OP_PCI_FIND:
        report_value(tag, pci_find(operand32()));
        break;
    case OP_PCI_READ8: case OP_PCI_READ16: case OP_PCI_READ32:
        op_pci(tag, 1u << (op - OP_PCI_READ8), false);
        break;
    case OP_PCI_WRITE8: case OP_PCI_WRITE16: case OP_PCI_WRITE32:
        op_pci(tag, 1u << (op - OP_PCI_WRITE8), true);
        break;
    case OP_DRAW:
        op_draw(tag);
        break;
    default:
        report_fail1(tag, TESTDEV_FAIL_BAD_OPCODE, op);
        cpu_halt_forever();
    }
}

NORETURN void interp_run(void)
{
    for (;;) {
        uint32_t tag = source_begin_op();
        uint8_t op;
        FW_STATE->tag = tag;
        if (tag >= FW_STATE->script_len) {
            FW_STATE->tag = TESTDEV_TAG_NONE;
            report_done();
            cpu_halt_forever();
        }
        operands(&op, 1);
        run_op(tag, op);
        FW_STATE->tag = TESTDEV_TAG_NONE;
    }
}
