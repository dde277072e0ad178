"""Timer interrupts reach VTL0 (issue 3, "Interrupts"; SPEC section 5).

VTL0 owns the PIC and PIT (QEMU's own, its ports pass through). A tick that arrives
while VTL0 runs is an INTR exit; Mezzanine takes the vector through its window IDT and
injects it into VTL0 (kernel/vtl0/interrupts.c). The test firmware's TIMER_IRQ operation
programs the PICs and PIT channel 0 at 1 kHz, waits with `sti; hlt` HALTS times and
counts the ticks its handler sees (docs/testdev.md); test_testfw_native_devices.py shows
the same operation on QEMU alone.
"""

import pytest

from harness.testdev import testdev_results
from timer_scripts import masked_while_if_clear, settled

MEMORY_MB = 512
RUN_S = 20
HALTS = 100
DF_VECTOR = 8


def run(vm, testfw, script):
    machine = vm(vtl0=testfw, modules={"testscript": script.encode()},
                 memory_mb=MEMORY_MB, timeout=RUN_S + 10)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    return machine, results


def assert_ticks(results, name, base, machine):
    """Each hlt needs a tick, so at least HALTS. More arrive when handling a tick takes
    longer than the 1 ms period (the next one is pending when the handler returns),
    which nested TCG does now and then, but not for most ticks: twice as many would be
    interrupts injected twice. (A bound from the TSC cycles the operation reports would
    be tighter, but Mezzanine's own TSC calibration is off by up to 75 % under load.)"""
    ticks, vector, _tsc = results.values(name)
    line = results.event(name).line
    assert vector == base, line
    assert HALTS <= ticks <= 2 * HALTS, line
    assert machine.running


def assert_mezzanine_fine(machine):
    """Mezzanine took no exception of its own and keeps running."""
    assert "PANIC:" not in machine.console and "EXCEPTION #" not in machine.console, \
        machine.console_tail()
    assert machine.running, machine.console_tail()


@pytest.mark.parametrize("mode, base", [("real", 0x08), ("protected", 0x20), ("long", 0x20)])
def test_timer_ticks_reach_vtl0(vm, testfw, mode, base):
    """HALTS ticks at the vector base a BIOS would use in that mode, twice (the PICs
    re-initialised in between); VTL0 then goes on with its script."""
    s = (settled().mode(mode).timer_irq(HALTS, name="ticks").timer_irq(HALTS, name="again")
         .cpuid(0, name="after").log("still running", name="log").end())
    machine, results = run(vm, testfw, s)
    assert_ticks(results, "ticks", base, machine)
    assert_ticks(results, "again", base, machine)
    results.event("after", "VALUE")
    assert results.event("log", "LOG").text == "still running"
    assert_mezzanine_fine(machine)


def test_irq_at_the_double_fault_vector_is_an_interrupt(vm, testfw):
    """With the PIC's base at 08h, IRQ0 is vector 8: #DF in Mezzanine's own IDT. It must
    still be recorded through the window IDT and reach VTL0 as an external interrupt:
    VTL0's handler takes no error code, so a delivery as an exception (with one) would
    return to garbage, and Mezzanine must not run its double-fault path (IST stack,
    exception dump, panic). Real mode uses 08h anyway; protected and long mode here."""
    s = settled()
    for mode in ("real", "protected", "long"):
        s.mode(mode).timer_irq(HALTS, base=DF_VECTOR, name=f"df-{mode}")
        s.ud2(name=f"ud-{mode}")      # the exception path of VTL0 still works afterwards
    s.mode("protected").timer_irq(HALTS, name="back-to-20")
    s.end()
    machine = vm(vtl0=testfw, modules={"testscript": s.encode()}, memory_mb=MEMORY_MB,
                 timeout=RUN_S + 10)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    for mode in ("real", "protected", "long"):
        assert_ticks(results, f"df-{mode}", DF_VECTOR, machine)
        ud = results.event(f"ud-{mode}", "FAIL")
        assert ud.fields["reason"] == "exception" and ud.values[0] == 6, ud.line
    assert_ticks(results, "back-to-20", 0x20, machine)
    unexpected = [e.line for e in results.failures
                  if e.tag not in {s.tag(f"ud-{m}") for m in ("real", "protected", "long")}]
    assert unexpected == [], machine.console_tail()
    assert_mezzanine_fine(machine)


def test_no_interrupt_that_vtl0_masked_with_if_clear(vm, testfw):
    """On bare hardware the CPU acknowledges an interrupt only when it delivers it (IF
    set): an IRQ unmasked and masked again while IF is clear never arrives, and ICW1
    forgets it (test_testfw_native_devices.py shows it). Here IRQ0 (vector 8) ticks
    while VTL0 has IF clear, is masked, and the first sti comes in protected mode with
    the PIC at 20h; only vector 20h may arrive."""
    s = masked_while_if_clear(settled())
    s.mode("protected").timer_irq(HALTS, name="ticks").end()
    machine = vm(vtl0=testfw, modules={"testscript": s.encode()}, memory_mb=MEMORY_MB,
                 timeout=RUN_S + 10)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    assert results.failures == [], machine.console_tail()
    assert_ticks(results, "ticks", 0x20, machine)
