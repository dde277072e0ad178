/*
 * libFuzzer target: the instruction decoder and the MMIO emulation behind it. The first
 * input byte picks the CPU mode and RFLAGS.DF, the next eight the faulting GPA, the rest
 * are instruction bytes. Checked: the decoder's return contract (lengths within 15 and
 * avail; an instruction cut one byte short asks for exactly its length; decoding is
 * stable when given exactly its bytes), and that MMIO emulation only touches the faulting
 * page with 1/2/4/8-byte accesses and writes registers within the file.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86_64/decode/insn_decode.h"
#include "arch/x86_64/decode/insn_mmio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t fault_page;

static int check_access(uint64_t gpa, unsigned size)
{
    if (size != 1 && size != 2 && size != 4 && size != 8)
        abort();
    if ((gpa & ~0xFFFull) != fault_page || (gpa & 0xFFF) + size > 0x1000)
        abort();
    return 0;
}

static int fuzz_read(void *ctx, uint64_t gpa, unsigned size, uint64_t *val)
{
    (void)ctx;
    check_access(gpa, size);
    *val = (gpa * 0x9E3779B97F4A7C15ull) & (size == 8 ? ~0ull : (1ull << (8 * size)) - 1);
    return 0;
}

static int fuzz_write(void *ctx, uint64_t gpa, unsigned size, uint64_t val)
{
    (void)ctx;
    check_access(gpa, size);
    if (size < 8 && (val >> (8 * size)))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    enum cpu_mode mode = (enum cpu_mode)(data[0] & 3);
    uint64_t rflags = 0x2 | ((data[0] & 4) ? (1ull << 10) : 0);
    uint64_t gpa;
    memcpy(&gpa, data + 1, 8);
    const uint8_t *bytes = data + 9;
    size_t avail = size - 9;

    struct insn in;
    int rc = insn_decode(bytes, avail, mode, &in);
    if (rc == -EAGAIN) {
        if (in.length <= avail || in.length > INSN_MAX_LEN)
            abort();
        return 0;
    }
    if (rc == -EINVAL || rc == -ENOTSUP)
        return 0;
    if (rc != 0 || in.length < 1 || in.length > INSN_MAX_LEN || in.length > avail)
        abort();

    /* Exactly its bytes: the same instruction. One byte fewer: asks for its length. */
    struct insn again;
    if (insn_decode(bytes, in.length, mode, &again) != 0 || memcmp(&again, &in, sizeof(in)))
        abort();
    if (insn_decode(bytes, in.length - 1u, mode, &again) != -EAGAIN ||
        again.length != in.length)
        abort();

    struct mmio_access acc;
    if (insn_mmio_info(&in, &acc) != 0)
        return 0;
    if (acc.reg >= GPR_COUNT || ((acc.flags & MMIO_F_HIGH8) && acc.reg >= 4))
        abort();

    struct guest_gprs regs;
    for (unsigned i = 0; i < GPR_COUNT; i++)
        regs.gpr[i] = 0x0101010101010101ull * i;
    regs.gpr[GPR_RCX] &= 0xFFFF;   /* keep REP counts small */
    fault_page = gpa & ~0xFFFull;
    const struct mmio_ops ops = { .read = fuzz_read, .write = fuzz_write, .ctx = NULL };
    rc = mmio_emulate(&in, &acc, &regs, &rflags, gpa, &ops);
    if (rc != MMIO_EMUL_DONE && rc != MMIO_EMUL_PARTIAL && rc != -ENOTSUP)
        abort();
    if (rflags & ~0xCD7ull)   /* only the arithmetic flags, DF and bit 1 */
        abort();
    return 0;
}
