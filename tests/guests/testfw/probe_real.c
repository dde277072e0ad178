/*
 * Memory probes in real mode. A physical address is reached as segment:offset through
 * FS: segment = address / 16 (at most FFFFh), so everything below FFFF:FFFF + 1 =
 * 10FFF0h is reachable, the high memory area included (with A20 on). A 64-bit access is
 * two 32-bit accesses, low half first: real mode has no 64-bit general registers.
 */
#include "tests/guests/testfw/fw.h"

#define REAL_LIMIT 0x10FFF0ull   /* FFFF:FFFF + 1 */

static int split(uint64_t addr, unsigned bytes, uint16_t *seg, uint32_t *off)
{
    if (addr >= REAL_LIMIT || REAL_LIMIT - addr < bytes)
        return TESTDEV_FAIL_UNSUPPORTED;
    uint32_t a = (uint32_t)addr;
    uint32_t s = a >> 4;
    if (s > 0xFFFF)
        s = 0xFFFF;
    *seg = (uint16_t)s;
    *off = a - (s << 4);   /* + bytes - 1 <= FFFFh, so no segment-limit fault */
    __asm__ volatile("movw %0, %%fs" : : "r"(*seg) : "memory");
    return 0;
}

static uint32_t fs_read(uint32_t off, unsigned bytes)
{
    uint32_t v;
    if (bytes == 1) {
        uint8_t b;
        __asm__ volatile("movb %%fs:(%1), %0" : "=q"(b) : "r"(off) : "memory");
        v = b;
    } else if (bytes == 2) {
        uint16_t w;
        __asm__ volatile("movw %%fs:(%1), %0" : "=r"(w) : "r"(off) : "memory");
        v = w;
    } else {
        __asm__ volatile("movl %%fs:(%1), %0" : "=r"(v) : "r"(off) : "memory");
    }
    return v;
}

static void fs_write(uint32_t off, unsigned bytes, uint32_t v)
{
    if (bytes == 1)
        __asm__ volatile("movb %0, %%fs:(%1)" : : "q"((uint8_t)v), "r"(off) : "memory");
    else if (bytes == 2)
        __asm__ volatile("movw %0, %%fs:(%1)" : : "r"((uint16_t)v), "r"(off) : "memory");
    else
        __asm__ volatile("movl %0, %%fs:(%1)" : : "r"(v), "r"(off) : "memory");
}

int probe_read(uint64_t addr, unsigned bytes, uint64_t *value)
{
    uint16_t seg;
    uint32_t off;
    int err = split(addr, bytes, &seg, &off);
    if (err)
        return err;
    if (bytes == 8)
        *value = fs_read(off, 4) | (uint64_t)fs_read(off + 4, 4) << 32;
    else
        *value = fs_read(off, bytes);
    return 0;
}

int probe_write(uint64_t addr, unsigned bytes, uint64_t value)
{
    uint16_t seg;
    uint32_t off;
    int err = split(addr, bytes, &seg, &off);
    if (err)
        return err;
    if (bytes == 8) {
        fs_write(off, 4, (uint32_t)value);
        fs_write(off + 4, 4, (uint32_t)(value >> 32));
    } else {
        fs_write(off, bytes, (uint32_t)value);
    }
    return 0;
}
