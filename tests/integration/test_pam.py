"""Issue 5 acceptance: i440BX PAM -> GET-backed GPA ranges, enforced in VTL0.

The test firmware programs the PAM registers of VTL0's host bridge (00:00.0) through
PCI configuration mechanism #1, then probes every PAM range. Expectations come from
OpenHCL's GetBackedAdjustGpaRange rules (reference/openvmm-facts.md 2.4), written out
here; they are checked three ways: what VTL0 reads and writes, what the host's GED saw
(the CREATE/RESET sequence in the transcript and its slot table), and Mezzanine's own
slot table (inspect partition/pam/slots).
"""

import re

import pytest

from harness.get_protocol import (GPA_FAILED, GPA_INVALID_FLAG, GPA_INVALID_GPA,
                                  GPA_SLOT_OCCUPIED, GPA_SLOT_OUT_OF_BOUNDS)
from harness.paths import TESTFW
from harness.testdev import testdev_results
from harness.testscript import Script

RUN_S = 60
R = 0x1BD00000                      # rom_bios_offset for 512 MiB and 64 MiB of VTL2
PATTERN = 0xA5C3A5C3
PROBE = 0x100                       # probe offset inside each range
PAM_RESET = (0x00000003, 0x00000000)

# (start, length, kind) in PAM table order (reference 2.4).
RANGES = [
    (0xF0000, 0x10000, "sys"),
    (0xC0000, 0x4000, "vga"), (0xC4000, 0x4000, "vga"), (0xC8000, 0x4000, "tsr"),
    (0xCC000, 0x4000, "none"), (0xD0000, 0x4000, "none"), (0xD4000, 0x4000, "none"),
    (0xD8000, 0x4000, "none"), (0xDC000, 0x4000, "none"),
    (0xE0000, 0x4000, "sys"), (0xE4000, 0x4000, "sys"), (0xE8000, 0x4000, "sys"),
    (0xEC000, 0x4000, "sys"),
]

# The slot each range ends up with, per PAM state: (gpa, len, gpa_offset, rom) or None
# (the catch-all RAM). Written out from the reference's rules table, not computed.
MMIO = [
    (0xF0000, 0x10000, R + 0xF0000, True),
    (0xC0000, 0x4000, 0xC0000, True), (0xC4000, 0x4000, 0xC4000, True), None,
    (0xCC000, 0x4000, 0xCC000, True), (0xD0000, 0x4000, 0xD0000, True),
    (0xD4000, 0x4000, 0xD4000, True), (0xD8000, 0x4000, 0xD8000, True),
    (0xDC000, 0x4000, 0xDC000, True),
    (0xE0000, 0x4000, R + 0xE0000, True), (0xE4000, 0x4000, R + 0xE4000, True),
    (0xE8000, 0x4000, R + 0xE8000, True), (0xEC000, 0x4000, R + 0xEC000, True),
]
WRITE_PROTECTED = [
    (0xF0000, 0xE000, 0xF0000, True),                  # the top 8 KiB stays RAM
    (0xC0000, 0x4000, 0xC0000, True), (0xC4000, 0x4000, 0xC4000, True),
    (0xC8000, 0x4000, 0xC8000, True),
    (0xCC000, 0x4000, 0xCC000, True), (0xD0000, 0x4000, 0xD0000, True),
    (0xD4000, 0x4000, 0xD4000, True), (0xD8000, 0x4000, 0xD8000, True),
    (0xDC000, 0x4000, 0xDC000, True),
    (0xE0000, 0x4000, 0xE0000, True), (0xE4000, 0x4000, 0xE4000, True),
    (0xE8000, 0x4000, 0xE8000, True), (0xEC000, 0x4000, 0xEC000, True),
]
WRITABLE = [                                            # WriteOnly is treated the same
    None,
    (0xC0000, 0x4000, R + 0xC0000, False), (0xC4000, 0x4000, R + 0xC4000, False),
    (0xC8000, 0x4000, R + 0xC8000, False),
    None, None, None, None, None,
    None, None, None, None,
]
STATES = {
    # state: (reg1, reg2, expected slots)
    "mmio": (0x00000003, 0x00000000, MMIO),
    "write-protected": (0x11111003, 0x11111111, WRITE_PROTECTED),
    "write-only": (0x22222003, 0x22222222, WRITABLE),
    "writable": (0x33333003, 0x33333333, WRITABLE),
}


def pam_script(reg1, reg2, probes=True):
    s = Script().mode("protected")
    s.out32(0xCF8, 0x80000058).out32(0xCFC, reg1)
    s.out32(0xCF8, 0x8000005C).out32(0xCFC, reg2)
    if probes:
        for start, _, _ in RANGES:
            s.read32(start + PROBE, name=f"before-{start:x}")
            s.write32(start + PROBE, PATTERN, name=f"after-{start:x}")
    return s.end()


def boot(vm, script, **kwargs):
    kwargs.setdefault("timeout", RUN_S)
    if not TESTFW.is_file():
        pytest.fail(f"{TESTFW} does not exist: run `make` first", pytrace=False)
    return vm(vtl0=TESTFW, modules={"testscript": script.encode()}, **kwargs)


def gpa_requests(machine):
    """The CREATE/RESET requests Mezzanine sent, in order, as compact tuples."""
    out = []
    for e in machine.host.transcript.events:
        if e["event"] != "get" or e.get("dir") != "rx":
            continue
        f = e["fields"]
        if e["name"] == "CREATE_RAM_GPA_RANGE":
            out.append(("create", f["slot"], f["gpa_start"], f["gpa_count"], f["gpa_offset"],
                        bool(f["flags"] & 2)))
        elif e["name"] == "RESET_RAM_GPA_RANGE":
            out.append(("reset", f["slot"]))
    return out


def transitions(before, after):
    """The requests OpenHCL's rules make going from slots `before` to `after`: for each
    changed range in table order, RESET the old slot, then CREATE the new one."""
    seq = []
    for slot, (old, new) in enumerate(zip(before, after)):
        if old == new:
            continue
        if old is not None:
            seq.append(("reset", slot))
        if new is not None:
            seq.append(("create", slot, *new))
    return seq


def construction():
    return transitions([None] * 13, MMIO)


def slot_tables_agree(machine, expected):
    want = {slot: {"gpa_start": e[0], "length": e[1], "gpa_offset": e[2], "rom": e[3]}
            for slot, e in enumerate(expected) if e is not None}
    assert machine.ged.slot_table() == want
    mine = machine.inspect("partition/pam/slots")
    assert {int(k): {"gpa_start": int(v["gpa"], 16), "length": int(v["len"], 16),
                     "gpa_offset": int(v["gpa_offset"], 16), "rom": v["rom"]}
            for k, v in mine.items()} == want


@pytest.mark.parametrize("state", sorted(STATES))
def test_every_range_in_every_state(vm, state):
    reg1, reg2, expected = STATES[state]
    script = pam_script(reg1, reg2)
    machine = boot(vm, script)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    assert machine.inspect("partition/pam/backend") == "openhcl"

    # The host saw exactly: the construction's CREATEs, then the transition.
    assert gpa_requests(machine) == construction() + transitions(MMIO, expected)
    slot_tables_agree(machine, expected)

    # What VTL0 read and wrote, against guest memory seen through the shared RAM file.
    memory = machine.memory
    for (start, _, kind), slot in zip(RANGES, expected):
        where = f"{start:#x} {kind} {state}"
        before = results.value(f"before-{start:x}")
        after = results.value(f"after-{start:x}")
        if slot is None:                               # catch-all RAM: the write lands
            assert after == PATTERN, where
            assert memory.read(start + PROBE, 4) == PATTERN.to_bytes(4, "little"), where
        elif slot[3]:                                  # ROM: reads the backing, writes dropped
            assert after == before, where
            assert before == int.from_bytes(memory.read(slot[2] + PROBE, 4), "little"), where
        else:                                          # RAM elsewhere (the VGA high copy)
            assert after == PATTERN, where
            assert memory.read(slot[2] + PROBE, 4) == PATTERN.to_bytes(4, "little"), where
            assert memory.read(start + PROBE, 4) != PATTERN.to_bytes(4, "little"), where


def test_write_protected_system_bios_keeps_its_top_8k_writable(vm):
    reg1, reg2, _ = STATES["write-protected"]
    probe = (Script().mode("protected")
             .out32(0xCF8, 0x80000058).out32(0xCFC, reg1)
             .out32(0xCF8, 0x8000005C).out32(0xCFC, reg2)
             .write32(0xFDFF0, PATTERN, name="last-rom-page")
             .write32(0xFE000, PATTERN, name="first-ram-page").end())
    machine = boot(vm, probe)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, probe)
    assert results.value("last-rom-page") != PATTERN
    assert results.value("first-ram-page") == PATTERN


def test_unchanged_writes_make_no_get_calls(vm):
    """Writing the reset values again changes no state: no CREATE or RESET."""
    script = pam_script(*PAM_RESET, probes=False)
    machine = boot(vm, script)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    assert gpa_requests(machine) == construction()
    slot_tables_agree(machine, MMIO)


REFUSALS = {
    "slot-out-of-bounds": GPA_SLOT_OUT_OF_BOUNDS, "slot-occupied": GPA_SLOT_OCCUPIED,
    "invalid-flag": GPA_INVALID_FLAG, "invalid-gpa": GPA_INVALID_GPA, "failed": GPA_FAILED,
}


def f0000_flip_script():
    """F0000: Mmio -> WriteProtected (probe) -> Writable -> WriteProtected (probe)."""
    s = Script().mode("protected")
    s.out32(0xCF8, 0x80000058).out32(0xCFC, 0x00001003)
    s.write32(0xF0000 + PROBE, PATTERN, name="first")
    s.out32(0xCF8, 0x80000058).out32(0xCFC, 0x00003003)
    s.out32(0xCF8, 0x80000058).out32(0xCFC, 0x00001003)
    s.write32(0xF0000 + PROBE + 4, PATTERN, name="second")
    return s.end()


@pytest.mark.parametrize("refusal", sorted(REFUSALS))
def test_refused_create_leaves_the_slot_empty_and_a_later_write_recovers(vm, refusal):
    """The host refuses the first write-protected CREATE of slot 0 (len 0xE000; the
    construction's is 0x10000): the slot stays empty (VTL0 writes RAM there), the error
    is counted, VTL0 goes on, and the second write-protect succeeds."""
    script = f0000_flip_script()
    machine = boot(vm, script)
    machine.ged.refuse_create(REFUSALS[refusal], slot=0, length=0xE000)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.value("first") == PATTERN             # no slot: the catch-all RAM
    assert results.value("second") != PATTERN            # ROM again: write dropped
    counters = machine.inspect("partition/pam/counters")
    assert counters["create_failures"] == 1
    assert counters["last_refusal_status"] == REFUSALS[refusal]
    wp = WRITE_PROTECTED[0]
    assert machine.ged.slot_table()[0] == {"gpa_start": wp[0], "length": wp[1],
                                           "gpa_offset": wp[2], "rom": wp[3]}
    assert machine.running


def test_unanswered_create_times_out_leaves_the_slot_empty_and_counted(vm):
    script = f0000_flip_script()
    machine = boot(vm, script)
    machine.ged.refuse_create(None, slot=0, length=0xE000)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.value("first") == PATTERN
    assert results.value("second") != PATTERN
    counters = machine.inspect("partition/pam/counters")
    assert counters["create_timeouts"] == 1
    assert machine.running


def test_local_backend_without_a_host(vm):
    """No host on the GET: OpenVMM's local RAM visibility, same bridge."""
    reg1, reg2, _ = STATES["write-protected"]
    script = pam_script(reg1, reg2)
    machine = boot(vm, script, no_host=True)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    assert machine.inspect("partition/pam/backend") == "local"
    results = testdev_results(machine, script)
    # Write-protected, locally: read-only RAM everywhere except C8000-CBFFF (writable).
    for start, _, kind in RANGES:
        after = results.value(f"after-{start:x}")
        if start == 0xC8000:
            assert after == PATTERN, hex(start)
        else:
            assert after == results.value(f"before-{start:x}"), hex(start)


SEABIOS = "/usr/share/seabios/bios-256k.bin"
BY_STATE = {0: MMIO, 1: WRITE_PROTECTED, 2: WRITABLE, 3: WRITABLE}


def desired_slots(reg1, reg2):
    """Each range's expected slot for PAM registers (reg1, reg2): range i's state is
    bits 1:0 of nibble i + 3 of reg2:reg1 (reference 2.2), looked up in the tables above."""
    reg = (reg2 << 32) | reg1
    return [BY_STATE[(reg >> ((i + 3) * 4)) & 3][i] for i in range(13)]


def test_seabios_pam_writes_give_exactly_the_rules_sequence(vm):
    """SeaBIOS in VTL0 with the GET-backed backend: replay the PAM writes it made (from
    Mezzanine's log) through the rules; the host saw exactly that sequence, and the slot
    tables agree at the end."""
    # Without the display's VGA BIOS: with one the host picks the local backend
    # (docs/framebuffer.md, "SeaBIOS, SeaVGABIOS and PAM").
    machine = vm(vtl0=SEABIOS, timeout=RUN_S, vgabios=False)
    machine.wait_for_log(r"vtl0: debugcon: No bootable device", RUN_S)
    writes = [(int(m[0], 16), int(m[1], 16)) for m in
              re.findall(r"pam: write 0x[0-9a-f]+ <- 0x[0-9a-f]+: reg1 0x([0-9a-f]+) "
                                       r"reg2 0x([0-9a-f]+)", machine.console)]
    assert len(writes) >= 4, "SeaBIOS unlocks and locks shadow RAM: at least 4 PAM writes"
    expected = construction()
    slots = MMIO
    for reg1, reg2 in writes:
        now = desired_slots(reg1, reg2)
        expected += transitions(slots, now)
        slots = now
    assert gpa_requests(machine) == expected
    slot_tables_agree(machine, slots)
    # Shadowing: after the final write-protect, F0000-FDFFF is read-only RAM.
    assert slots[0] == (0xF0000, 0xE000, 0xF0000, True)
