/*
 * The script: the test device's (read a byte at a time from TESTDEV_REG_SCRIPT), or the
 * built-in default when there is no device or the host gave no script. The device
 * keeps its cursor across a VTL0 reset, so after a reset operation the script goes on
 * with the operation after it; FW_STATE->cursor mirrors the cursor either way.
 */
#include "tests/guests/testfw/fw.h"

#define DEVICE_ABSENT 0xFFFFFFFFu   /* an open bus reads all-ones */

/* The built-in script's slot (layout.h): the build puts the default script there
 * (testscript.py --slot); tests that run the firmware without Mezzanine patch in others. */
#if FW_BITS == 16
#define BUILTIN ((const volatile uint8_t *)FW_SCRIPT_SLOT)
#else
#define BUILTIN ((const volatile uint8_t *)(uintptr_t)FW_SCRIPT)
#endif

static uint32_t builtin_len(void)
{
    const volatile uint32_t *magic = (const volatile uint32_t *)BUILTIN;
    const volatile uint16_t *len = (const volatile uint16_t *)(BUILTIN + 4);
    if (*magic != FW_SCRIPT_MAGIC || *len > FW_SCRIPT_SLOT_SIZE - FW_SCRIPT_HEADER)
        return 0;
    return *len;
}

static uint32_t device_in(uint16_t reg, unsigned bytes)
{
    return port_in(TESTDEV_PORT_BASE + reg, bytes);
}

void source_detect(void)
{
    uint32_t len = device_in(TESTDEV_REG_SCRIPT_LEN, 4);
    uint32_t version = device_in(TESTDEV_REG_VERSION, 1);
    uint32_t flags = 0;

    if (len == DEVICE_ABSENT || version != TESTDEV_VERSION)
        flags = FW_SINK_DEBUGCON | FW_SRC_BUILTIN;
    else if (len == 0)
        flags = FW_SRC_BUILTIN;
    FW_STATE->flags = flags;
    if (flags & FW_SRC_BUILTIN) {
        FW_STATE->script_len = builtin_len();
        FW_STATE->cursor = 0;
    } else {
        FW_STATE->script_len = len;
        FW_STATE->cursor = device_in(TESTDEV_REG_SCRIPT_POS, 2);
    }
}

uint32_t source_begin_op(void)
{
    if (!(FW_STATE->flags & FW_SRC_BUILTIN))
        FW_STATE->cursor = device_in(TESTDEV_REG_SCRIPT_POS, 2);
    return FW_STATE->cursor;
}

bool source_read(void *out, unsigned n)
{
    uint8_t *dst = out;
    uint32_t len = FW_STATE->script_len;

    for (unsigned i = 0; i < n; i++) {
        if (FW_STATE->cursor >= len)
            return false;
        if (FW_STATE->flags & FW_SRC_BUILTIN)
            dst[i] = BUILTIN[FW_SCRIPT_HEADER + FW_STATE->cursor];
        else
            dst[i] = (uint8_t)device_in(TESTDEV_REG_SCRIPT, 1);
        FW_STATE->cursor++;
    }
    return true;
}
