"""VTL0's serial port and Mezzanine's (docs/linux.md, docs/boot-contract.md): COM1 is a
real 16550 VTL0 reaches, whose bytes come out on the host's vtl0-serial socket; COM2
(GET), COM3 (diag) and COM4 (Mezzanine's console) are absent to VTL0, and what VTL0
writes there reaches no channel of Mezzanine's."""

from harness.testdev import testdev_results
from harness.testscript import Script

COM1 = 0x3F8
MEZZANINE_UARTS = {"com2-get": 0x2F8, "com3-diag": 0x3E8, "com4-console": 0x2E8}
UART_THR, UART_LCR, UART_LSR, UART_SCR = 0, 3, 5, 7
SCRATCH = 0x5A
MESSAGE = b"VTL0-COM1-OK\n"
HOSTILE = b"HOSTILE-BYTES\n"


def serial_script() -> Script:
    script = Script()
    # COM1: a real UART (the scratch register keeps what is written), 8N1, then a line.
    script.out8(COM1 + UART_SCR, SCRATCH).in8(COM1 + UART_SCR, name="com1-scr")
    script.out8(COM1 + UART_LCR, 0x03)
    for byte in MESSAGE:
        script.out8(COM1 + UART_THR, byte)
    # Mezzanine's UARTs: nothing there, and what is written goes nowhere.
    for name, base in MEZZANINE_UARTS.items():
        script.out8(base + UART_SCR, SCRATCH).in8(base + UART_SCR, name=f"{name}-scr")
        script.in8(base + UART_LSR, name=f"{name}-lsr")
        script.out8(base + UART_LCR, 0x80).out8(base + UART_LCR, 0x03)   # DLAB poke
        for byte in HOSTILE:
            script.out8(base + UART_THR, byte)
    return script.cpuid(0, name="after").end()


def test_com1_is_vtl0s_and_mezzanines_uarts_are_absent(vm, testfw):
    script = serial_script()
    machine = vm(vtl0=testfw, modules={"testscript": script.encode()}, timeout=30)
    machine.wait_for_log(r"testdev: DONE", 20)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    assert results.value("com1-scr") == SCRATCH
    machine.wait_for_vtl0_serial(r"^VTL0-COM1-OK$", 10)
    for name in MEZZANINE_UARTS:
        assert results.value(f"{name}-scr") == 0xFF, name
        assert results.value(f"{name}-lsr") == 0xFF, name
    results.event("after", "VALUE")
    # Nothing VTL0 wrote reached Mezzanine's console or the host's channels, and both
    # channels still work: diag answers, the GET answers a TIME request.
    assert "HOSTILE" not in machine.console
    assert "HOSTILE" not in machine.vtl0_serial.text
    # (The firmware halts after its script, so VTL0's state is not checked here.) The
    # accesses to Mezzanine's UARTs were dropped and counted.
    assert machine.inspect("partition/counters")["io_dropped"] >= 3 * (len(HOSTILE) + 3)
    status, _ = machine.get_command("time")
    assert status == 0
    counters = machine.inspect("get/counters")
    assert not any(value for key, value in counters.items()
                   if any(word in key for word in ("bad", "error", "resync"))), counters
