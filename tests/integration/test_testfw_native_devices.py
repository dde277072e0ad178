"""The test firmware's device operations on QEMU alone, without Mezzanine: timer
interrupts through the 8259 PIC and 8254 PIT in each mode, PCI configuration access, and
the DMA attempts of dma_probes.py, each of which must write memory here for the
acceptance tests under Mezzanine (test_vtl0_timer.py, test_vtl0_dma.py) to mean
anything.
"""

import struct

import pytest

from dma_probes import (BUFFER_VTL0, COMMAND_BME, FW_CFG_ID_DMA, PATCHED, PIIX_IDE,
                        PIIX_IDE_ID, SIGNATURE, TARGET_VTL2, bus_master_script,
                        fwcfg_dma_script, vapic_script)
from harness.halt import HaltReason
from harness.native import run_firmware
from harness.testdev import testdev_results
from harness.testscript import OP_TIMER_IRQ, Script, embed
from timer_scripts import masked_while_if_clear, settled

RUN_S = 20.0
MEMORY_MB = 512           # TARGET_VTL2 must be RAM here too
HALTS = 50                # 50 ms of ticks at 1 kHz


@pytest.fixture(scope="module")
def image(testfw) -> bytes:
    return testfw.read_bytes()


def run(image, script):
    result = run_firmware(embed(image, script), timeout=RUN_S, memory_mb=MEMORY_MB)
    assert result.halt.reason is HaltReason.POWER_OFF, result.debugcon
    return testdev_results(result.debugcon, script)


def assert_ticks(results, name, base):
    """Each `sti; hlt` returns after a tick; one more arrives with the handler's iret
    only when handling a tick took longer than 1 ms (a descheduled QEMU thread), which
    may happen but not for most of them. test_vtl0_timer.py bounds the count by time."""
    ticks, vector, tsc = results.values(name)
    assert HALTS <= ticks <= 2 * HALTS, results.event(name).line
    assert vector == base and tsc > 0


@pytest.mark.parametrize("mode, base", [("real", 0x08), ("protected", 0x20), ("long", 0x20)])
def test_timer_ticks_in_each_mode(image, mode, base):
    """The default vector base, twice in a row (the second run re-initialises the PICs),
    then the script goes on."""
    s = (Script().mode(mode).timer_irq(HALTS, name="ticks").timer_irq(HALTS, name="again")
         .cpuid(0, name="after").poweroff())
    results = run(image, s)
    assert results.failures == []
    assert_ticks(results, "ticks", base)
    assert_ticks(results, "again", base)
    results.event("after", "VALUE")


@pytest.mark.parametrize("mode", ["protected", "long"])
def test_timer_ticks_at_exception_vectors(image, mode):
    """IRQ0 at vector 8 (#DF's) and at the top of the IDT; the exception handlers are
    back afterwards (ud2 is still reported as #UD)."""
    s = (Script().mode(mode).timer_irq(HALTS, base=0x08, name="at-df")
         .timer_irq(HALTS, base=0x38, name="at-38").ud2(name="ud").poweroff())
    results = run(image, s)
    assert_ticks(results, "at-df", 0x08)
    assert_ticks(results, "at-38", 0x38)
    assert results.event("ud", "FAIL").values[0] == 6


def test_timer_without_waits_only_sets_up(image):
    """halts 0: PICs set up and an sti window, no timer: nothing arrives natively."""
    s = settled().mode("long").timer_irq(0, name="none").poweroff()
    results = run(image, s)
    assert results.values("settle") == (0, 0x08, 0)
    assert results.values("none") == (0, 0x20, 0)


def test_irq_masked_while_if_clear_never_arrives(image):
    """The premise of test_vtl0_timer.py's test_no_interrupt_that_vtl0_masked_with_if_clear:
    IRQ0 unmasked and masked again with IF clear, then ticks at 20h in protected mode
    (where vector 8 is #DF): only vector 20h arrives."""
    s = masked_while_if_clear(settled())
    s.mode("protected").timer_irq(HALTS, name="ticks").poweroff()
    results = run(image, s)
    assert results.failures == []
    assert_ticks(results, "ticks", 0x20)


def test_timer_refuses_unusable_bases(image):
    s = Script().mode("long").timer_irq(1, base=0x40, name="beyond-idt")
    raw = s.encode() + struct.pack("<BBI", OP_TIMER_IRQ, 0x04, 1)   # not a multiple of 8
    s2 = Script().cpuid(0, name="after").poweroff()
    data = raw + s2.encode()
    result = run_firmware(embed(image, data), timeout=RUN_S)
    results = testdev_results(result.debugcon)
    fails = [(e.tag, e.fields["reason"], e.values) for e in results.failures]
    assert fails == [(s.tag("beyond-idt"), "bad-operand", (0x40,)),
                     (len(s), "bad-operand", (0x04,))]
    assert result.halt.reason is HaltReason.POWER_OFF


def test_pci_operations(image):
    s = (Script().pci_find(*PIIX_IDE_ID, name="find")
         .pci_find(0x1234, 0x5678, name="absent")
         .pci_read32(PIIX_IDE, name="id").pci_read16(PIIX_IDE + 2, name="device")
         .pci_read8(PIIX_IDE + 0x0B, name="class").pci_read16(PIIX_IDE + 5, name="unaligned")
         .mode("long").pci_read32(PIIX_IDE, name="id-long").poweroff())
    results = run(image, s)
    assert results.value("find") == PIIX_IDE
    assert results.value("absent") == 0xFFFFFFFF
    assert results.value("id") == results.value("id-long") == 0x70108086
    assert results.value("device") == 0x7010
    assert results.value("class") == 0x01                     # mass storage
    unaligned = results.event("unaligned", "FAIL")
    assert unaligned.fields["reason"] == "bad-operand" and unaligned.value == PIIX_IDE + 5


def test_dma_attempts_write_memory_natively(image):
    s = vapic_script(Script())
    bus_master_script(s)
    fwcfg_dma_script(s).read32(TARGET_VTL2, name="vtl2-after").poweroff()
    results = run(image, s)
    assert results.failures == []
    assert results.value("ide") == PIIX_IDE
    for bits in (8, 16, 32):
        assert results.value(f"bme-{bits}") & COMMAND_BME, f"{bits}-bit write"
    assert results.value("fwcfg-id") & FW_CFG_ID_DMA
    assert results.value("fwcfg-dma-sig") != 0
    assert results.value("dma-vtl0-buffer") == SIGNATURE, hex(BUFFER_VTL0)
    assert results.value("dma-vtl0-control-after") == 0      # QEMU ran the transfer
    assert results.value("dma-vtl2-control-after") == 0
    assert results.value("vtl2-after") == SIGNATURE
    assert results.value("vapic-after").to_bytes(8, "little") == PATCHED
