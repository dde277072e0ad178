/*
 * Reports: the argument words, LOG text and command of one event (docs/testdev.md,
 * "Ports"). With the test device present they go to its ports. Without it the firmware
 * runs the device model itself (drivers/vdev/testdev/testdev.c, the same code Mezzanine runs) and
 * prints each event's line on QEMU's debug console, port 0x402, so a run without
 * Mezzanine produces the very lines Mezzanine would log.
 */
#include "tests/guests/testfw/fw.h"

#define DEBUGCON_PORT 0x402
#define LINE_PREFIX   "testdev: "

static struct testdev loopback;

static void debugcon_puts(const char *s)
{
    while (*s)
        port_out(DEBUGCON_PORT, 1, (uint8_t)*s++);
}

static void print_event(void *ctx, const struct testdev_event *ev)
{
    char line[TESTDEV_LINE_MAX];
    (void)ctx;
    testdev_format_event(ev, line, sizeof(line));
    debugcon_puts(LINE_PREFIX);
    debugcon_puts(line);
    debugcon_puts("\n");
}

void report_init(void)
{
    static const struct testdev_ops ops = { print_event, NULL };
    testdev_init(&loopback, NULL, 0, &ops);
}

static void sink_out(uint16_t reg, unsigned bytes, uint32_t value)
{
    if (FW_STATE->flags & FW_SINK_DEBUGCON)
        testdev_io(&loopback, reg, bytes, true, &value);
    else
        port_out(TESTDEV_PORT_BASE + reg, bytes, value);
}

void report_event(uint8_t kind, const uint32_t *args, unsigned nargs,
                  const char *text, unsigned text_len)
{
    for (unsigned i = 0; i < text_len; i++)
        sink_out(TESTDEV_REG_LOG, 1, (uint8_t)text[i]);
    for (unsigned i = 0; i < nargs; i++)
        sink_out(TESTDEV_REG_ARG, 4, args[i]);
    sink_out(TESTDEV_REG_CMD, 1, kind);
}

void report_boot(void)
{
    report_event(TESTDEV_EV_BOOT, NULL, 0, NULL, 0);
}

void report_done(void)
{
    report_event(TESTDEV_EV_DONE, NULL, 0, NULL, 0);
}

void report_mode(uint32_t tag, uint32_t mode)
{
    uint32_t args[2] = { tag, mode };
    report_event(TESTDEV_EV_MODE, args, 2, NULL, 0);
}

void report_pass(uint32_t tag)
{
    report_event(TESTDEV_EV_PASS, &tag, 1, NULL, 0);
}

/* Fills args after a header of `head` words with (lo, hi) pairs; returns the count. */
static unsigned pack_values(uint32_t *args, unsigned head, const uint64_t *values,
                            unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        args[head + 2 * i] = (uint32_t)values[i];
        args[head + 2 * i + 1] = (uint32_t)(values[i] >> 32);
    }
    return head + 2 * n;
}

void report_fail(uint32_t tag, uint32_t reason, const uint64_t *values, unsigned n)
{
    uint32_t args[2 + 2 * 2] = { tag, reason };
    report_event(TESTDEV_EV_FAIL, args, pack_values(args, 2, values, n > 2 ? 2 : n), NULL, 0);
}

void report_fail1(uint32_t tag, uint32_t reason, uint64_t value)
{
    report_fail(tag, reason, &value, 1);
}

void report_values(uint32_t tag, const uint64_t *values, unsigned n)
{
    uint32_t args[TESTDEV_MAX_ARGS] = { tag };
    if (n > TESTDEV_MAX_VALUES)
        n = TESTDEV_MAX_VALUES;
    FW_STATE->last_value = values[0];
    report_event(TESTDEV_EV_VALUE, args, pack_values(args, 1, values, n), NULL, 0);
}

void report_log(uint32_t tag, const char *text, unsigned len)
{
    report_event(TESTDEV_EV_LOG, &tag, 1, text, len);
}
