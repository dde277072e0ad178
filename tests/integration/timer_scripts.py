"""Test-firmware scripts around TIMER_IRQ shared by the native proof
(test_testfw_native_devices.py) and the acceptance tests under Mezzanine
(test_vtl0_timer.py)."""

from harness.testscript import Script

PIC1_DATA = 0x21
IRQ0_ONLY = 0xFE
MASK_ALL = 0xFF
PIT_CONTROL = 0x43
PIT_CHANNEL0 = 0x40
PIT_CH0_RATE = 0x34       # channel 0, low/high byte, mode 2
PIT_CH0_ONESHOT = 0x32    # mode 1: quiet (see irq.c)
PIT_1KHZ = 1193           # 1.193182 MHz / 1193
# Operations that keep VTL0 busy with IF clear for well over a 1 kHz tick: under
# Mezzanine each is a dozen exits (the script and the report go through the test
# device), about 0.3 ms; on QEMU alone the time does not matter.
BUSY_OPS = 32


def settled() -> Script:
    """A script whose first operation (TIMER_IRQ with no waits, at the real-mode vector
    08h) sets the PICs up, quiets the PIT and collects whatever interrupt is still
    pending from before VTL0: under Mezzanine VTL0 starts with the interrupt controllers
    as the boot BIOS left them (PIC base 08h, IRQ0 unmasked, the PIT at 18.2 Hz, LINT0
    in ExtINT), and Mezzanine acknowledges a tick on VTL0's behalf while VTL0 still has
    IF clear (test_vtl0_timer.py, test_no_interrupt_that_vtl0_masked_with_if_clear), so
    vector 8 is delivered at VTL0's first sti. Natively it counts 0."""
    return Script().mode("real").timer_irq(0, name="settle")


def masked_while_if_clear(s: Script) -> Script:
    """With IF clear, run the PIT at 1 kHz and unmask IRQ0 for BUSY_OPS operations (the
    PIC raises INTR; a CPU acknowledges nothing while IF is clear), then mask it and
    quiet the PIT again. On bare hardware the ticks never happened as far as software
    can tell: one stays pending in a masked IRR bit and the next ICW1 clears it."""
    s.out8(PIT_CONTROL, PIT_CH0_RATE).out8(PIT_CHANNEL0, PIT_1KHZ & 0xFF)
    s.out8(PIT_CHANNEL0, PIT_1KHZ >> 8)
    s.out8(PIC1_DATA, IRQ0_ONLY, name="unmask-with-if-clear")
    for _ in range(BUSY_OPS):
        s.cpuid(0)
    s.out8(PIC1_DATA, MASK_ALL, name="mask-with-if-clear")
    return s.out8(PIT_CONTROL, PIT_CH0_ONESHOT).out8(PIT_CHANNEL0, 0xFF).out8(PIT_CHANNEL0, 0xFF)
