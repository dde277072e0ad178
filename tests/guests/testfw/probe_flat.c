/*
 * Memory probes in protected and long mode, through flat segments.
 *
 * Protected mode runs with paging off, so a linear address is a physical address and
 * everything below 4 GiB is reachable; a 64-bit access is two 32-bit accesses, low half
 * first (no 64-bit general registers, and CMPXCHG8B would write).
 *
 * Long mode identity-maps the first 4 GiB (paging.c). A probe above that maps the GiB
 * around the address through a window for the duration of the access, so any physical
 * address the CPU can form (below 2^MAXPHYADDR, CPUID 8000_0008h) is reachable; an
 * access crossing a GiB boundary up there is refused.
 */
#include "tests/guests/testfw/fw.h"

#define FOUR_GIB 0x100000000ull
#define ONE_GIB  0x40000000ull

static uint64_t flat_read(uintptr_t a, unsigned bytes)
{
    switch (bytes) {
    case 1:
        return *(volatile uint8_t *)a;
    case 2:
        return *(volatile uint16_t *)a;
    case 4:
        return *(volatile uint32_t *)a;
    default:
#if FW_BITS == 64
        return *(volatile uint64_t *)a;
#else
        return *(volatile uint32_t *)a | (uint64_t)*(volatile uint32_t *)(a + 4) << 32;
#endif
    }
}

static void flat_write(uintptr_t a, unsigned bytes, uint64_t v)
{
    switch (bytes) {
    case 1:
        *(volatile uint8_t *)a = (uint8_t)v;
        break;
    case 2:
        *(volatile uint16_t *)a = (uint16_t)v;
        break;
    case 4:
        *(volatile uint32_t *)a = (uint32_t)v;
        break;
    default:
#if FW_BITS == 64
        *(volatile uint64_t *)a = v;
#else
        *(volatile uint32_t *)a = (uint32_t)v;
        *(volatile uint32_t *)(a + 4) = (uint32_t)(v >> 32);
#endif
        break;
    }
}

/* 0 if [addr, addr + bytes) is reachable; maps the window if it needs one. */
static int reach(uint64_t addr, unsigned bytes, bool *windowed)
{
    *windowed = false;
    if (addr < FOUR_GIB && FOUR_GIB - addr >= bytes)
        return 0;
#if FW_BITS == 64
    uint64_t last = addr + bytes - 1;
    if (last < addr || (addr & ~(ONE_GIB - 1)) != (last & ~(ONE_GIB - 1)))
        return TESTDEV_FAIL_UNSUPPORTED;
    if (addr < FOUR_GIB || paging_window_map(addr) != 0)
        return TESTDEV_FAIL_UNSUPPORTED;
    *windowed = true;
    return 0;
#else
    return TESTDEV_FAIL_UNSUPPORTED;
#endif
}

int probe_read(uint64_t addr, unsigned bytes, uint64_t *value)
{
    bool windowed;
    int err = reach(addr, bytes, &windowed);
    if (err)
        return err;
    *value = flat_read((uintptr_t)addr, bytes);
#if FW_BITS == 64
    if (windowed)
        paging_window_unmap(addr);
#endif
    return 0;
}

int probe_write(uint64_t addr, unsigned bytes, uint64_t value)
{
    bool windowed;
    int err = reach(addr, bytes, &windowed);
    if (err)
        return err;
    flat_write((uintptr_t)addr, bytes, value);
#if FW_BITS == 64
    if (windowed)
        paging_window_unmap(addr);
#endif
    return 0;
}
