"""Issue 9 acceptance: the save/restore pulse (petri's verify_save_restore) while the test
firmware runs a workload that reaches every device VTL0 sees.

Mezzanine stops VTL0 at an instruction boundary, saves every state unit, resets every
device, restores them all and resumes VTL0 (kernel/servicing/servicing.c). The workload
must go on unharmed -- its memory, its PAM registers and the host's slots, the display's
mode, BARs and picture, its timer interrupts -- and the save taken after each restore must
equal the one taken before it.
"""

from harness.testdev import testdev_results
from harness.testscript import PCI_BAR0, PCI_BAR2, Script, pattern_frame, pci_address
from harness.screenshot import Frame

from test_pam import STATES, slot_tables_agree

MEMORY_MB = 512
RUN_S = 90
DISPLAY = pci_address(0, 2, 0)
BRIDGE = pci_address(0, 0, 0)
BAR, MMIO_BAR = 0xE0000000, 0xFEBF8000
WIDTH, HEIGHT = 320, 200
SEED = 0x9A15E
RAM = 0x8000                     # below the firmware's RAM (0x10000) and page tables
ITERATIONS = 12
TICKS = 150                      # 1 kHz PIT: 150 ms of timer interrupts per iteration
PULSE_AFTER = (2, 6)             # iterations after which the host pulses
REG1, REG2, WRITE_PROTECTED = STATES["write-protected"]
PORT92_A20 = 0x02


def word(i):
    return (0x5EED0000DEAD0000 | (i << 8) | i) & 0xFFFFFFFFFFFFFFFF


def workload(poweroff=False):
    """PAM registers in a non-default state, the display placed and drawn, then rounds of
    RAM writes, timer interrupts, and checks of every device's state; then DONE, or an
    ACPI power off (test_servicing's clean teardown)."""
    s = (Script().mode("protected")
         .out32(0xCF8, 0x80000058).out32(0xCFC, REG1)
         .out32(0xCF8, 0x8000005C).out32(0xCFC, REG2)
         .mode("long")
         .pci_find(0x1234, 0x1111, name="find")
         .move_bar(DISPLAY, PCI_BAR0, BAR, name="bar0")
         .move_bar(DISPLAY, PCI_BAR2, MMIO_BAR, name="bar2")
         .set_mode(WIDTH, HEIGHT, name="mode", mmio=MMIO_BAR)
         .draw(BAR, WIDTH * 4, WIDTH, HEIGHT, seed=SEED, name="draw"))
    for i in range(ITERATIONS):
        s.write64(RAM + 8 * i, word(i), name=f"write-{i}")
        s.timer_irq(TICKS, name=f"ticks-{i}")
        for j in range(i + 1):
            s.read64(RAM + 8 * j).expect(word(j), name=f"ram-{i}-{j}")
        s.pci_read32(BRIDGE | 0x58).expect(REG1, name=f"pam1-{i}")
        s.pci_read32(BRIDGE | 0x5C).expect(REG2, name=f"pam2-{i}")
        s.pci_read32(DISPLAY | PCI_BAR0).expect(BAR, mask=0xFFFFFFF0, name=f"bar0-{i}")
        s.dispi_read("xres").expect(WIDTH, name=f"xres-{i}")
        s.read16(MMIO_BAR + 0x500 + 2 * 2).expect(HEIGHT, name=f"yres-mmio-{i}")
        s.in8(0x92).expect(PORT92_A20, mask=PORT92_A20, name=f"port92-{i}")
        s.out16(0x510, 0).in8(0x511).expect(ord("Q"), name=f"fw_cfg-{i}")
    return s.poweroff(name="poweroff") if poweroff else s.end()


def test_pulse_save_restore_twice_while_the_workload_runs(vm, testfw):
    script = workload()
    machine = vm(vtl0=testfw, modules={"testscript": script.encode()}, memory_mb=MEMORY_MB,
                 timeout=RUN_S)
    pulses = []
    for after in PULSE_AFTER:
        machine.wait_for_log(rf"testdev: \w+ tag={script.tag(f'ticks-{after}')}\b", RUN_S)
        pulses.append(machine.pulse_save_restore())
    machine.wait_for_log(r"testdev: DONE", RUN_S)

    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    for pulse in pulses:
        assert pulse["equal"], pulses
        assert pulse["units"] >= 10, pulses      # 9 devices and the partition
        assert pulse["saved_state_len"] > 0
    assert "PANIC:" not in machine.console
    # No error stop or triple fault ("VTL0 stopped; ..."). The firmware's own end after
    # DONE, HLT with interrupts off ("VTL0 stopped itself; ..."), may or may not have come
    # by now: that one is its normal ending, not a failure.
    assert "VTL0 stopped;" not in machine.console, machine.console_tail()

    # The host's slots and VTL0's view are the workload's, not the reset's.
    slot_tables_agree(machine, WRITE_PROTECTED)
    # The picture drawn before the pulses is still there, through the fixed view.
    frame = machine.screenshot()
    assert (frame.width, frame.height) == (WIDTH, HEIGHT)
    assert frame.same_pixels(Frame(WIDTH, HEIGHT, pattern_frame(WIDTH, HEIGHT, SEED)))
    servicing = machine.inspect("servicing")
    assert servicing["pulses"] == len(PULSE_AFTER)
    assert servicing["pulse_failures"] == 0 and servicing["pulses_unequal"] == 0
    units = machine.inspect("devices")
    assert units["state"] == "active"
