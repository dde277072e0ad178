"""Issues 5 and 13 acceptance: i440BX PAM -> GET-backed GPA ranges, enforced in VTL0.

The test firmware programs the PAM registers of VTL0's host bridge (00:00.0) through
PCI configuration mechanism #1, then probes every PAM range. Expectations come from
OpenHCL's GetBackedAdjustGpaRange rules (reference/openvmm-facts.md 2.4) and from the
faithful rules (docs/pam.md: OpenVMM's local view, made by the host), both written out
here; they are checked three ways: what VTL0 reads and writes (against the GED's slot
table through shared guest memory), what the host's GED saw (the CREATE/RESET sequence
in the transcript and its slot table), and Mezzanine's own slot table and GPA map
(inspect partition/pam/slots, partition/gpa_map/extents).
"""

import json
import re
import subprocess
import time

import pytest

from harness import REPO_ROOT
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
    view_agrees_with_slots(machine)


def view_agrees_with_slots(machine):
    """VTL0's view as Mezzanine enforces it (the GPA map the nested page table is built
    from) equals the GED's slot table over the catch-all RAM, page by page in C0000-FFFFF:
    a slot's pages map its gpa_offset, read-only if it is ROM; every other page is
    identity, writable RAM."""
    extents = sorted((int(k, 16), int(v["size"], 16), int(v["backing"], 16), v["writable"],
                      v["kind"]) for k, v in machine.inspect("partition/gpa_map/extents").items())
    for page in range(0xC0000, 0x100000, 0x1000):
        hit = [e for e in extents if e[0] <= page < e[0] + e[1]]
        assert len(hit) == 1, f"{page:#x}: {hit}"
        gpa, _, backing, writable, kind = hit[0]
        seen = (kind, backing + page - gpa, writable)
        slot = machine.ged.view_of(page)
        if slot is None:
            assert seen == ("ram", page, True), f"{page:#x}"
        else:
            want = ("override", slot.gpa_offset + page - slot.gpa_start, not slot.rom)
            assert seen == want, f"{page:#x}"


def probes_agree_with_slots(machine, results):
    """Each range's probe (read, then write PATTERN and read back) against what the GED's
    slot table says VTL0 sees there, through shared guest memory."""
    memory = machine.memory
    for start, _, kind in RANGES:
        gpa = start + PROBE
        where = f"{start:#x} {kind}"
        before = results.value(f"before-{start:x}")
        after = results.value(f"after-{start:x}")
        slot = machine.ged.view_of(gpa)
        if slot is None:                               # catch-all RAM: the write lands
            assert after == PATTERN, where
            assert memory.read(gpa, 4) == PATTERN.to_bytes(4, "little"), where
            continue
        backing = slot.gpa_offset + gpa - slot.gpa_start
        if slot.rom:                                   # reads the backing, writes dropped
            assert after == before, where
            assert before == int.from_bytes(memory.read(backing, 4), "little"), where
        else:                                          # RAM elsewhere
            assert after == PATTERN, where
            assert memory.read(backing, 4) == PATTERN.to_bytes(4, "little"), where


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
    probes_agree_with_slots(machine, results)

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
    # OpenHCL's rules asked for explicitly (for SeaBIOS the host picks the faithful
    # ones), and without the display's VGA BIOS, which they would make vanish
    # (docs/pam.md, "Known behaviour").
    machine = vm(vtl0=SEABIOS, timeout=RUN_S, vgabios=False, cmdline="mezz.pam=openhcl")
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


# ---------------------------------------------------------------------- faithful rules

# The faithful rules (docs/pam.md): VTL0 sees what OpenVMM's local backend gives it, every
# change made by the host. Written out from the local RamVisibility (reference 2.5) and
# the firmware's window below 1 MiB (docs/partition.md): ReadWrite -> no slot; ReadOnly
# -> identity ROM; Unmapped where the window shows the firmware -> ROM over R + start;
# Unmapped with nothing behind it -> identity ROM (reads RAM where the local backend
# reads all-ones: INEXACT below). WriteOnly is Mmio, as locally.
F_WRITE_PROTECTED = [
    (0xF0000, 0x10000, 0xF0000, True),                 # no top-8-KiB exception
    (0xC0000, 0x4000, 0xC0000, True), (0xC4000, 0x4000, 0xC4000, True),
    None,                                              # C8000: locally read-write
    (0xCC000, 0x4000, 0xCC000, True), (0xD0000, 0x4000, 0xD0000, True),
    (0xD4000, 0x4000, 0xD4000, True), (0xD8000, 0x4000, 0xD8000, True),
    (0xDC000, 0x4000, 0xDC000, True),
    (0xE0000, 0x4000, 0xE0000, True), (0xE4000, 0x4000, 0xE4000, True),
    (0xE8000, 0x4000, 0xE8000, True), (0xEC000, 0x4000, 0xEC000, True),
]
F_WRITABLE = [None] * 13
# Mmio with the 64 KiB test firmware: its window covers F0000-FFFFF only.
F_MMIO_64K = [
    (0xF0000, 0x10000, R + 0xF0000, True),
    (0xC0000, 0x4000, 0xC0000, True), (0xC4000, 0x4000, 0xC4000, True),
    (0xC8000, 0x4000, 0xC8000, True),
    (0xCC000, 0x4000, 0xCC000, True), (0xD0000, 0x4000, 0xD0000, True),
    (0xD4000, 0x4000, 0xD4000, True), (0xD8000, 0x4000, 0xD8000, True),
    (0xDC000, 0x4000, 0xDC000, True),
    (0xE0000, 0x4000, 0xE0000, True), (0xE4000, 0x4000, 0xE4000, True),
    (0xE8000, 0x4000, 0xE8000, True), (0xEC000, 0x4000, 0xEC000, True),
]
# Mmio with 256 KiB SeaBIOS: its window covers E0000-FFFFF.
F_MMIO_256K = F_MMIO_64K[:9] + [
    (0xE0000, 0x4000, R + 0xE0000, True), (0xE4000, 0x4000, R + 0xE4000, True),
    (0xE8000, 0x4000, R + 0xE8000, True), (0xEC000, 0x4000, R + 0xEC000, True),
]
F_BY_STATE_64K = {0: F_MMIO_64K, 1: F_WRITE_PROTECTED, 2: F_MMIO_64K, 3: F_WRITABLE}
F_BY_STATE_256K = {0: F_MMIO_256K, 1: F_WRITE_PROTECTED, 2: F_MMIO_256K, 3: F_WRITABLE}
F_STATES = {
    "mmio": (0x00000003, 0x00000000, F_MMIO_64K),
    "write-protected": (0x11111003, 0x11111111, F_WRITE_PROTECTED),
    "write-only": (0x22222003, 0x22222222, F_MMIO_64K),
    "writable": (0x33333003, 0x33333333, F_WRITABLE),
}
FAITHFUL = "mezz.pam=faithful"
STATE_NAMES = ["mmio", "write-protected", "write-only", "writable"]

# Where a GPA range cannot show the local view, with the 64 KiB test firmware
# (docs/pam.md, "Where a GPA range cannot express the local view"): these ranges in
# these states read all-ones locally (unmapped, nothing behind) and RAM under the
# faithful rules; writes are dropped under both.
INEXACT = {(start, state) for start in (0xC0000, 0xC4000, 0xC8000,
                                        0xE0000, 0xE4000, 0xE8000, 0xEC000)
           for state in ("mmio", "write-only")}


def slots_for(reg1, reg2, by_state):
    reg = (reg2 << 32) | reg1
    return [by_state[(reg >> ((i + 3) * 4)) & 3][i] for i in range(13)]


@pytest.mark.parametrize("state", sorted(F_STATES))
def test_faithful_every_range_in_every_state(vm, state):
    reg1, reg2, expected = F_STATES[state]
    script = pam_script(reg1, reg2)
    machine = boot(vm, script, cmdline=FAITHFUL)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    assert machine.inspect("partition/pam/backend") == "faithful"
    construction_f = transitions([None] * 13, F_MMIO_64K)
    assert gpa_requests(machine) == construction_f + transitions(F_MMIO_64K, expected)
    slot_tables_agree(machine, expected)
    probes_agree_with_slots(machine, results)
    assert all(e is None or e[3] for e in expected), "the faithful rules make no RAM range"


def test_faithful_vtl0_reset_puts_every_range_back_through_the_host(vm):
    """All writable, then a VTL0 reset (0xCF9): the bridge's reset adjusts all 13 ranges
    to Mmio, which the host makes again (RESET of nothing, CREATE of every range); the
    probes after the reset see exactly the host's table."""
    reg1, reg2, _ = F_STATES["writable"]
    script = (Script().mode("protected")
              .out32(0xCF8, 0x80000058).out32(0xCFC, reg1)
              .out32(0xCF8, 0x8000005C).out32(0xCFC, reg2)
              .reset_cf9(name="reset").mode("protected"))
    for start, _, _ in RANGES:
        script.read32(start + PROBE, name=f"before-{start:x}")
        script.write32(start + PROBE, PATTERN, name=f"after-{start:x}")
    script.end()
    machine = boot(vm, script, cmdline=FAITHFUL)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [] and results.boots == 2, machine.console_tail()
    construction_f = transitions([None] * 13, F_MMIO_64K)
    assert gpa_requests(machine) == (construction_f + transitions(F_MMIO_64K, F_WRITABLE) +
                                     transitions(F_WRITABLE, F_MMIO_64K))
    slot_tables_agree(machine, F_MMIO_64K)
    probes_agree_with_slots(machine, results)


# ------------------------------------------------------------ local vs faithful, one scenario

PROBES = ((32, 0x100), (16, 0x202), (8, 0x303))     # (width, offset in the range)
EXTRA_BITS = (0x4, 0x8, 0xC)                        # PAM bits 2-3, ignored by the bridge


def rotation(k):
    return [(i + k) % 4 for i in range(13)]


# (each range's state, width of the configuration writes that set it). Round 0 seeds
# every probe location while all is writable; then every range goes through every state,
# all ranges alike and in rotations, set with dword, word and byte writes.
ROUNDS = [([3] * 13, 32), ([1] * 13, 16), ([2] * 13, 8), ([0] * 13, 32), ([3] * 13, 16),
          (rotation(1), 8), (rotation(2), 16), (rotation(3), 32), (rotation(0), 8),
          ([1] * 13, 8)]


def pam_register_value(states, n):
    """The 64-bit PAM0-PAM6 value (DRAMT byte 3) for per-range states, with bits 2-3 of
    every nibble set in a pattern that changes with the round n."""
    reg = 0x03 | EXTRA_BITS[n % 3] << 8                 # 0x59's low nibble: no range
    for i, state in enumerate(states):
        reg |= (state | EXTRA_BITS[(i + n) % 3]) << ((i + 3) * 4)
    return reg


def config_writes(reg, width):
    """(offset, width, value) configuration writes that put reg into 0x58-0x5F."""
    if width == 32:
        return [(0x58, 32, reg & 0xFFFFFFFF), (0x5C, 32, reg >> 32)]
    if width == 16:
        return [(off, 16, (reg >> ((off - 0x58) * 8)) & 0xFFFF) for off in (0x5A, 0x58, 0x5E, 0x5C)]
    return [(off, 8, (reg >> ((off - 0x58) * 8)) & 0xFF) for off in range(0x59, 0x60)]


def probe_value(width, n, i):
    """A value distinct per round for each location, never all-ones."""
    return {32: 0x5A000000 | n << 16 | i << 8 | 0x11, 16: 0x3000 | n << 4 | i,
            8: 0x40 + n * 7 + i}[width]


def equivalence_script():
    s = Script().mode("protected")
    for n, (states, width) in enumerate(ROUNDS):
        for off, bits, value in config_writes(pam_register_value(states, n), width):
            s.out32(0xCF8, 0x80000000 | (off & ~3))
            s.outp(bits, 0xCFC + (off & 3), value)
        for i, (start, _, _) in enumerate(RANGES):
            for bits, off in PROBES:
                if n > 0:
                    s.read(bits, start + off, name=f"r{n}-{start:x}-{off:x}")
                s.write(bits, start + off, probe_value(bits, n, i), name=f"w{n}-{start:x}-{off:x}")
    return s.end()


def expected_faithful_requests():
    """The CREATE/RESET sequence the faithful rules make for equivalence_script(): the
    configuration writes replayed one by one (a byte write changes one nibble pair at a
    time) from the construction's Mmio, each changed range RESET then CREATEd."""
    seq = transitions([None] * 13, F_MMIO_64K)
    reg = 0x00000003
    slots = F_MMIO_64K
    for n, (states, width) in enumerate(ROUNDS):
        for off, bits, value in config_writes(pam_register_value(states, n), width):
            shift = (off - 0x58) * 8
            mask = ((1 << bits) - 1) << shift
            reg = (reg & ~mask) | (value << shift)
            now = slots_for(reg & 0xFFFFFFFF, reg >> 32, F_BY_STATE_64K)
            seq += transitions(slots, now)
            slots = now
    return seq, slots


def run_equivalence(vm, cmdline, script):
    machine = boot(vm, script, cmdline=cmdline)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    return machine, {name: results.value(name) for name in script.names}


@pytest.mark.timeout(240)
def test_local_and_faithful_give_vtl0_the_same_view(vm):
    """One scenario under mezz.pam=local and mezz.pam=faithful: every probe reads the same
    value and every write lands (or not) alike, except the INEXACT cases, which are
    checked for exactly their documented difference."""
    script = equivalence_script()
    local, seen_local = run_equivalence(vm, "mezz.pam=local", script)
    assert local.inspect("partition/pam/backend") == "local"
    local_requests = gpa_requests(local)
    local.stop()
    faithful, seen_faithful = run_equivalence(vm, FAITHFUL, script)
    assert faithful.inspect("partition/pam/backend") == "faithful"
    assert local_requests == []

    memory = {}                       # what each location holds: the last write that landed
    compared = inexact = 0
    for n, (states, _) in enumerate(ROUNDS):
        for i, (start, _, _) in enumerate(RANGES):
            state = STATE_NAMES[states[i]]
            for bits, off in PROBES:
                where = f"round {n}: {start:#x}+{off:#x} ({bits}-bit) {state}"
                value = probe_value(bits, n, i)
                wrote = f"w{n}-{start:x}-{off:x}"
                landed_l = seen_local[wrote] == value
                landed_f = seen_faithful[wrote] == value
                if n > 0:
                    read = f"r{n}-{start:x}-{off:x}"
                    if (start, state) in INEXACT:
                        ones = (1 << bits) - 1
                        assert seen_local[read] == ones and seen_local[wrote] == ones, where
                        held = memory[start + off]
                        assert seen_faithful[read] == seen_faithful[wrote] == held, where
                        assert not landed_l and not landed_f, where
                        inexact += 1
                        continue
                    assert seen_faithful[read] == seen_local[read], where
                    compared += 1
                assert landed_f == landed_l, where
                assert seen_faithful[wrote] == seen_local[wrote], where
                if landed_l:
                    memory[start + off] = value
    assert inexact > 0 and compared > inexact

    # The host made every change: the sequence, and the slot tables at the end.
    expected, slots = expected_faithful_requests()
    assert gpa_requests(faithful) == expected
    slot_tables_agree(faithful, slots)
    counters = faithful.inspect("partition/pam/counters")
    assert counters["create_failures"] == 0 and counters["map_errors"] == 0


# ------------------------------------------------------------ host faults under faithful

@pytest.mark.parametrize("fault", sorted(REFUSALS) + ["timeout"])
def test_faithful_host_fault_leaves_the_slot_empty_and_a_later_write_recovers(vm, fault):
    """Under the faithful rules the host refuses (each status) or leaves unanswered the
    first write-protected CREATE of slot 0 (identity, offset F0000; the construction's
    ROM is at R + F0000): the slot stays empty (VTL0 writes the catch-all RAM there),
    the failure is counted, VTL0 goes on, and the second write-protect succeeds."""
    script = f0000_flip_script()
    machine = boot(vm, script, cmdline=FAITHFUL)
    status = None if fault == "timeout" else REFUSALS[fault]
    machine.ged.refuse_create(status, slot=0, offset=0xF0000)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    assert results.value("first") == PATTERN              # no slot: the catch-all RAM
    assert results.value("second") != PATTERN             # ROM again: write dropped
    counters = machine.inspect("partition/pam/counters")
    assert counters["create_failures"] == 1
    if status is None:
        assert counters["create_timeouts"] == 1
    else:
        assert counters["create_timeouts"] == 0
        assert counters["last_refusal_status"] == status
    creates = [r for r in gpa_requests(machine) if r[0] == "create" and r[1] == 0]
    assert creates == [("create", 0, 0xF0000, 0x10000, R + 0xF0000, True),
                       ("create", 0, 0xF0000, 0x10000, 0xF0000, True),
                       ("create", 0, 0xF0000, 0x10000, 0xF0000, True)]
    slot_tables_agree(machine, [F_WRITE_PROTECTED[0]] + F_MMIO_64K[1:])
    assert machine.running        # and VTL0 went on past the fault: "second", then DONE


# ------------------------------------------------------------ make run's path

GLYPH_H = 16
SCREEN_WAIT_S = 10


def test_seabios_with_seavgabios_runs_on_the_faithful_rules(vm, tmp_path):
    """`make run`'s path: SeaBIOS with the display's SeaVGABIOS, the host's own choice of
    rules (faithful). The PAM writes SeaBIOS makes become CREATE/RESET requests, exactly
    the faithful rules' sequence; SeaVGABIOS survives the write-protect and draws its
    text; at the end of POST the host's slot table, Mezzanine's and VTL0's view agree."""
    machine = vm(vtl0=SEABIOS, timeout=RUN_S)
    machine.wait_for_log(r"vtl0: debugcon: No bootable device", RUN_S)
    assert "mezz.pam=faithful" in machine.console
    assert machine.inspect("partition/pam/backend") == "faithful"
    assert "vtl0: debugcon: Start SeaVGABIOS" in machine.console
    writes = [(int(m[0], 16), int(m[1], 16)) for m in
              re.findall(r"pam: write 0x[0-9a-f]+ <- 0x[0-9a-f]+: reg1 0x([0-9a-f]+) "
                         r"reg2 0x([0-9a-f]+)", machine.console)]
    assert len(writes) >= 4, machine.console_tail()
    expected = transitions([None] * 13, F_MMIO_256K)
    slots = F_MMIO_256K
    for reg1, reg2 in writes:
        now = slots_for(reg1, reg2, F_BY_STATE_256K)
        expected += transitions(slots, now)
        slots = now
    requests = gpa_requests(machine)
    assert any(r[0] == "create" for r in requests) and any(r[0] == "reset" for r in requests)
    assert requests == expected
    slot_tables_agree(machine, slots)
    # The VGA BIOS at C0000 is read-only RAM holding SeaVGABIOS (its ROM signature).
    assert slots[1] == (0xC0000, 0x4000, 0xC0000, True)
    assert machine.memory.read(0xC0000, 2) == b"\x55\xaa"

    deadline = time.monotonic() + SCREEN_WAIT_S
    while True:
        frame = machine.screenshot(tmp_path / "seabios.png")
        rgb = frame.rgb_bytes()
        first_row = rgb[:3 * frame.width * GLYPH_H]
        if any(first_row) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert (frame.width, frame.height) == (1024, 768)
    assert any(first_row), "SeaVGABIOS's text is not on the screen"


def test_mezz_run_transcript_holds_the_pam_requests(kernel, tmp_path):
    """`make run` is `tools/mezz run --linux`, SeaBIOS first: the host transcript holds the
    CREATE/RESET requests of the faithful rules and `mezz inspect` names the backend:
    with SeaBIOS 1.16.2, 13 CREATEs at the bridge's construction, then 13 RESETs and 10
    CREATEs for its four PAM writes (test_vtl0_seabios.py pins those writes)."""
    transcript, console = tmp_path / "transcript.jsonl", tmp_path / "console.log"
    run = subprocess.Popen([str(REPO_ROOT / "tools" / "mezz"), "run", "--kernel", str(kernel),
                            "--vtl0", SEABIOS, "--timeout", str(RUN_S), "--no-screenshot",
                            "--transcript", str(transcript), "--log", str(console)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + RUN_S
        while "No bootable device" not in (console.read_text() if console.exists() else ""):
            assert time.monotonic() < deadline and run.poll() is None, "POST did not end"
            time.sleep(0.2)
        backend = subprocess.run([str(REPO_ROOT / "tools" / "mezz"), "inspect", "--pid",
                                  str(run.pid), "partition/pam/backend"],
                                 capture_output=True, text=True, timeout=60)
        assert backend.returncode == 0, backend.stderr
        assert "faithful" in backend.stdout
    finally:
        run.terminate()
        run.wait(15)
    events = [json.loads(line) for line in transcript.read_text().splitlines()]
    names = [e["name"] for e in events if e["event"] == "get" and e.get("dir") == "rx"]
    assert names.count("CREATE_RAM_GPA_RANGE") == 23
    assert names.count("RESET_RAM_GPA_RANGE") == 13
