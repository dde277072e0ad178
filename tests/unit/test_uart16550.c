/* Unit tests for drivers/uart16550 against a fake 16550 register file. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "drivers/hw/uart16550.h"

/*
 * The fake models what the driver can observe of a PC16550D: offsets 0 and 1 are the
 * divisor latch while LCR.DLAB is set, THR/RBR and IER otherwise; FCR is write-only
 * (reads give IIR); LSR.THRE goes clear for `busy_per_byte` LSR reads after each byte
 * written to THR. An absent UART floats: every read is 0xFF, writes go nowhere.
 */
struct fake_uart {
    bool absent;
    bool thre_never;
    unsigned busy_per_byte;
    unsigned busy;
    uint8_t dll, dlm, ier, lcr, fcr, mcr, scr;
    char tx[64];
    size_t ntx;
    unsigned overruns;        /* THR writes while THRE was clear */
    const char *rx;           /* bytes waiting to be received */
    unsigned lsr_reads;
    unsigned rbr_reads;
    unsigned accesses;        /* every read and write */
};

static uint8_t fake_read(void *ctx, unsigned reg)
{
    struct fake_uart *u = ctx;
    bool dlab = (u->lcr & UART_LCR_DLAB) != 0;
    u->accesses++;
    if (u->absent)
        return 0xff;
    switch (reg) {
    case 0:
        if (dlab)
            return u->dll;
        u->rbr_reads++;
        return (u->rx && *u->rx) ? (uint8_t)*u->rx++ : 0;
    case 1:
        return dlab ? u->dlm : u->ier;
    case 2:
        return (u->fcr & 1) ? 0xc1 : 0x01;     /* IIR: no interrupt pending */
    case 3:
        return u->lcr;
    case 4:
        return u->mcr;
    case 5: {
        uint8_t lsr = (u->rx && *u->rx) ? UART_LSR_DR : 0;
        u->lsr_reads++;
        if (u->thre_never)
            return lsr;
        if (u->busy > 0) {
            u->busy--;
            return lsr;
        }
        return lsr | UART_LSR_THRE | 0x40;
    }
    case 7:
        return u->scr;
    default:
        fail_msg("read of register %u", reg);
        return 0;
    }
}

static void fake_write(void *ctx, unsigned reg, uint8_t value)
{
    struct fake_uart *u = ctx;
    bool dlab = (u->lcr & UART_LCR_DLAB) != 0;
    u->accesses++;
    if (u->absent)
        return;
    switch (reg) {
    case 0:
        if (dlab) {
            u->dll = value;
            return;
        }
        if (u->thre_never || u->busy > 0)
            u->overruns++;
        assert_true(u->ntx < sizeof(u->tx));
        u->tx[u->ntx++] = (char)value;
        u->busy = u->busy_per_byte;
        return;
    case 1:
        if (dlab)
            u->dlm = value;
        else
            u->ier = value;
        return;
    case 2:
        u->fcr = value;
        return;
    case 3:
        u->lcr = value;
        return;
    case 4:
        u->mcr = value;
        return;
    case 7:
        u->scr = value;
        return;
    default:
        fail_msg("write of register %u", reg);
    }
}

/* Power-on-ish state with junk in the registers the driver must set. */
static void fake_reset(struct fake_uart *u)
{
    memset(u, 0, sizeof(*u));
    u->dll = 0xff;
    u->dlm = 0xff;
    u->ier = 0x0f;
    u->fcr = 0x00;
    u->mcr = 0x00;
    u->lcr = 0x1f;
    u->scr = 0x00;
}

static struct fake_uart fake;
static const struct uart_ops ops = { .read = fake_read, .write = fake_write, .ctx = &fake };

static void expect_programmed(uint8_t dll, uint8_t dlm)
{
    assert_int_equal(fake.dll, dll);
    assert_int_equal(fake.dlm, dlm);
    assert_int_equal(fake.lcr, 0x03);      /* 8N1, DLAB clear */
    assert_int_equal(fake.ier, 0x00);      /* interrupts off */
    assert_int_equal(fake.fcr, 0x07);      /* FIFO on, both cleared */
    assert_int_equal(fake.mcr, 0x0b);      /* DTR, RTS, OUT2 */
    assert_int_equal(fake.ntx, 0);         /* no divisor byte went out as data */
}

/* ---- tests --------------------------------------------------------------------------- */

static void test_init_115200(void **state)
{
    (void)state;
    struct uart u;
    memset(&u, 0xee, sizeof(u));
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    expect_programmed(1, 0);
    assert_true(u.present);
    assert_int_equal(u.tx_dropped, 0);
    assert_true(u.tx_spin_limit > 0);
}

static void test_init_other_rates(void **state)
{
    (void)state;
    struct uart u;

    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 9600), 0);
    expect_programmed(12, 0);

    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 38400), 0);
    expect_programmed(3, 0);

    /* 50 baud: divisor 2304 = 0x0900, the high byte matters. */
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 50), 0);
    expect_programmed(0x00, 0x09);

    /* 2 baud: 57600 = 0xe100 still fits 16 bits. */
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 2), 0);
    expect_programmed(0x00, 0xe1);
}

static void test_init_bad_baud(void **state)
{
    (void)state;
    struct uart u;
    static const uint32_t bad[] = { 0, 1, 115201, 230400, UINT32_MAX };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fake_reset(&fake);
        assert_int_equal(uart_init(&u, &ops, bad[i]), -EINVAL);
        assert_false(u.present);
        assert_int_equal(fake.accesses, 0);
        /* A UART that was not set up sends nothing. */
        assert_int_equal(uart_write(&u, "x", 1), 0);
        assert_int_equal(fake.ntx, 0);
    }
}

static void test_init_with_dlab_left_set(void **state)
{
    (void)state;
    struct uart u;
    /* An earlier stage stopped half way: DLAB set, interrupts on. */
    fake_reset(&fake);
    fake.lcr = 0x83;
    fake.ier = 0x0f;
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    expect_programmed(1, 0);
}

static void test_absent(void **state)
{
    (void)state;
    struct uart u;
    fake_reset(&fake);
    fake.absent = true;
    assert_int_equal(uart_init(&u, &ops, 115200), -ENODEV);
    assert_false(u.present);

    unsigned accesses = fake.accesses;
    assert_int_equal(uart_write(&u, "hello", 5), 0);
    uint8_t b = 0x42;
    assert_false(uart_try_read(&u, &b));
    assert_int_equal(b, 0x42);
    /* Not one register access: no spinning on a UART that is not there. */
    assert_int_equal(fake.accesses, accesses);
    assert_int_equal(u.tx_dropped, 0);
}

static void test_write_waits_for_thre(void **state)
{
    (void)state;
    struct uart u;
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    fake.busy_per_byte = 3;
    fake.lsr_reads = 0;

    assert_int_equal(uart_write(&u, "hello\n", 6), 6);
    assert_int_equal(fake.ntx, 6);
    assert_memory_equal(fake.tx, "hello\n", 6);
    assert_int_equal(fake.overruns, 0);
    assert_int_equal(u.tx_dropped, 0);
    /* 1 poll for the first byte, then 3 busy polls + 1 for each of the other 5. */
    assert_int_equal(fake.lsr_reads, 21);

    assert_int_equal(uart_write(&u, "", 0), 0);
    assert_int_equal(fake.ntx, 6);
}

static void test_write_drops_after_spin_limit(void **state)
{
    (void)state;
    struct uart u;
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    u.tx_spin_limit = 5;
    fake.thre_never = true;
    fake.lsr_reads = 0;

    assert_int_equal(uart_write(&u, "abc", 3), 0);
    assert_int_equal(fake.ntx, 0);
    assert_int_equal(u.tx_dropped, 3);
    assert_int_equal(fake.lsr_reads, 15);     /* tx_spin_limit polls per byte */

    /* The transmitter comes back: bytes flow again, the count stays. */
    fake.thre_never = false;
    assert_int_equal(uart_write(&u, "ok", 2), 2);
    assert_memory_equal(fake.tx, "ok", 2);
    assert_int_equal(u.tx_dropped, 3);
}

static void test_write_spin_limit_boundary(void **state)
{
    (void)state;
    struct uart u;
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    u.tx_spin_limit = 5;

    /* THRE on the 5th poll: the byte goes out. */
    fake.busy_per_byte = 4;
    assert_int_equal(uart_write(&u, "abcd", 4), 4);
    assert_memory_equal(fake.tx, "abcd", 4);
    assert_int_equal(u.tx_dropped, 0);
    assert_int_equal(fake.overruns, 0);

    /* THRE only on the 6th poll: every byte after the first is dropped, and the next
     * one finds THRE set. So: a sent, b dropped, c sent, d dropped. */
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);
    u.tx_spin_limit = 5;
    fake.busy_per_byte = 5;
    assert_int_equal(uart_write(&u, "abcd", 4), 2);
    assert_int_equal(fake.ntx, 2);
    assert_memory_equal(fake.tx, "ac", 2);
    assert_int_equal(u.tx_dropped, 2);
    assert_int_equal(fake.overruns, 0);
}

static void test_try_read(void **state)
{
    (void)state;
    struct uart u;
    uint8_t b = 0;
    fake_reset(&fake);
    assert_int_equal(uart_init(&u, &ops, 115200), 0);

    /* Nothing waiting: false, and RBR is not read. */
    fake.rbr_reads = 0;
    b = 0x42;
    assert_false(uart_try_read(&u, &b));
    assert_int_equal(b, 0x42);
    assert_int_equal(fake.rbr_reads, 0);

    fake.rx = "hi\xff";
    assert_true(uart_try_read(&u, &b));
    assert_int_equal(b, 'h');
    assert_true(uart_try_read(&u, &b));
    assert_int_equal(b, 'i');
    assert_true(uart_try_read(&u, &b));
    assert_int_equal(b, 0xff);
    assert_false(uart_try_read(&u, &b));
    assert_int_equal(b, 0xff);
    assert_int_equal(fake.rbr_reads, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_init_115200),
        cmocka_unit_test(test_init_other_rates),
        cmocka_unit_test(test_init_bad_baud),
        cmocka_unit_test(test_init_with_dlab_left_set),
        cmocka_unit_test(test_absent),
        cmocka_unit_test(test_write_waits_for_thre),
        cmocka_unit_test(test_write_drops_after_spin_limit),
        cmocka_unit_test(test_write_spin_limit_boundary),
        cmocka_unit_test(test_try_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
