"""The GET end to end: negotiation, DPS, halts over the GET, the slot table, faults,
garbage, and the diag channel (inspect, log, tools/mezz inspect)."""

import json
import subprocess
import sys
import time

import pytest

from harness import REPO_ROOT, HaltReason
from harness.diag import DiagError

SEABIOS = "/usr/share/seabios/bios-256k.bin"
UP_TIMEOUT_S = 20


def booted(vm, **kwargs):
    machine = vm(**kwargs)
    machine.wait_for_log(r"get: device platform settings", UP_TIMEOUT_S)
    return machine


def get_events(machine, name=None):
    return [e for e in machine.host.transcript.events
            if e["event"] == "get" and (name is None or e["name"] == name)]


def counters(machine):
    return machine.inspect("get/counters")


def test_version_negotiated_then_dps_read(vm):
    machine = booted(vm)
    events = get_events(machine)
    assert events[0]["dir"] == "rx" and events[0]["name"] == "VERSION"
    assert events[0]["type"] == "request" and events[0]["id"] == 1
    assert events[0]["fields"]["version"] == 0x00040002
    assert events[1]["dir"] == "tx" and events[1]["fields"]["version_accepted"] == 1
    assert events[2]["name"] == "DEVICE_PLATFORM_SETTINGS_V2" and events[2]["dir"] == "rx"
    assert events[3]["name"] == "DEVICE_PLATFORM_SETTINGS_V2_REV1"
    get = machine.inspect("get")
    assert get["state"] == "up" and get["version"] == "0x40002"
    assert get["dps"]["valid"] and get["dps"]["firmware_mode_is_pcat"]
    assert not get["dps"]["is_servicing_scenario"]
    assert get["slot_table"] == {}
    for event in events:
        assert {"t", "dir", "type", "id", "name", "fields"} <= set(event)


def test_dps_is_read_again_on_request(vm):
    machine = booted(vm)
    machine.ged.dps["V2"]["Static"]["FirmwareModeIsPcat"] = False
    status, body = machine.get_command("dps")
    assert status == 0
    assert body == {"is_servicing_scenario": False, "firmware_mode_is_pcat": False,
                    "legacy_memory_map": True}
    assert counters(machine)["dps_reads"] == 2


def test_start_vtl0_completed_arrives(vm):
    machine = booted(vm, vtl0=SEABIOS)
    assert machine.wait_for_vtl0_start(UP_TIMEOUT_S), machine.console_tail()
    event = machine.ged.wait_for_event("START_VTL0_COMPLETED", 1)
    assert event["status"] == 0


@pytest.mark.parametrize("command, reason", [
    ("notify power-off", HaltReason.POWER_OFF),
    ("notify triple-fault", HaltReason.TRIPLE_FAULT),
])
def test_halt_reasons_arrive_over_the_get(vm, command, reason):
    machine = booted(vm)
    try:
        machine.get_command(command, timeout=5)
    except DiagError:
        pass   # the host may end the VM before the diag answer is out
    halt = machine.wait_for_halt(20)
    assert halt.reason is reason, f"{halt}\n{machine.console_tail()}"
    assert halt.source == "get"
    assert not machine.running
    if reason is HaltReason.TRIPLE_FAULT:
        regs = dict(halt.registers)
        assert regs["rip"] == 0xFFF0 and regs["rax"] == 0x1111111111111111
        assert regs["r15"] == 0x1111111111111111 * 16 % (1 << 64)
        cs = regs["cs"]
        assert cs & 0xFFFFFFFFFFFFFFFF == 0xFFFF0000                 # base
        assert (cs >> 96) & 0xFFFF == 0xF000 and (cs >> 112) == 0x9B  # selector, attributes
        assert "rip=0xfff0" in halt.detail


def test_vtl0_reset_over_the_get_does_not_end_the_machine(vm):
    machine = booted(vm)
    status, _ = machine.get_command("notify reset")
    assert status == 0
    assert machine.wait_for_reset(10, after=0)
    assert machine.running and machine.halt is None
    assert machine.get_command("time")[0] == 0


def test_other_host_notifications_are_recorded(vm):
    machine = booted(vm)
    for command in ("notify event 14", "notify crash"):
        assert machine.get_command(command)[0] == 0
    try:
        machine.get_command("notify hibernate", timeout=5)
    except DiagError:
        pass   # the VM may end before the answer
    assert machine.ged.wait_for_event("EVENT_LOG", 5)["event_log_id"] == 14
    crash = machine.ged.wait_for_event("VTL_CRASH", 5)
    assert crash["control"] == 0xDEAD and crash["p4"] == 5
    halt = machine.wait_for_halt(20)
    assert halt.reason is HaltReason.POWER_OFF and halt.detail == "hibernate"


def test_slot_table_statuses_through_mezzanine(vm):
    machine = booted(vm)
    ged = machine.ged

    def create(args):
        status, body = machine.get_command(f"create {args}")
        assert status == 0, status
        return body["status"]

    assert create("0 0xc0000 0x4000 0xc0000 2") == 0
    assert ged.slot_table() == {0: {"gpa_start": 0xC0000, "length": 0x4000,
                                    "gpa_offset": 0xC0000, "rom": True}}
    assert create("0 0xc4000 0x4000 0xc4000 0") == 2      # SLOT_OCCUPIED
    assert create("99 0xc4000 0x4000 0xc4000 0") == 1     # SLOT_OUT_OF_BOUNDS
    assert create("1 0xc4000 0x4000 0xc4000 1") == 3      # INVALID_FLAG
    assert create("1 0xc4001 0x4000 0xc4000 0") == 4      # INVALID_GPA
    ged.fail_create_slots.add(1)
    assert create("1 0xc4000 0x4000 0xc4000 0") == 5      # FAILED
    assert 1 not in ged.slot_table()
    assert machine.get_command("reset 0")[0] == 0
    assert ged.slot_table() == {}
    assert create("0 0xc4000 0x4000 0xc4000 0") == 0


# fault -> the inspect counters that must grow (path, name)
FAULT_COUNTERS = {
    "drop": [("counters", "timeouts")],
    "delay": [("counters", "timeouts")],
    "duplicate": [("counters", "unexpected_responses")],
    "corrupt": [("transport", "bad_crc"), ("counters", "timeouts")],
    "truncate": [("counters", "err_length"), ("counters", "fatal_errors")],
    "refuse": [("counters", "dps_errors")],
}


@pytest.mark.parametrize("fault", sorted(FAULT_COUNTERS))
def test_fault_on_a_request_is_counted_and_the_next_succeeds(vm, fault):
    # The UART path (its CRC and framing counters); tests/integration/test_rings.py
    # injects the same faults on the rings.
    machine = booted(vm, cmdline="mezz.transport=uart")
    before = machine.inspect("get")
    machine.ged.inject("DEVICE_PLATFORM_SETTINGS_V2", fault, delay=3.0)
    status, _ = machine.get_command("dps")
    if fault == "duplicate":
        assert status == 0
    else:
        assert status != 0, fault
    # The error shows in inspect (a duplicate is seen when its copy arrives)...
    deadline = time.monotonic() + 10
    while True:
        after = machine.inspect("get")
        grown = [after[node][name] > before[node][name] for node, name in FAULT_COUNTERS[fault]]
        if all(grown):
            break
        assert time.monotonic() < deadline, (fault, FAULT_COUNTERS[fault], after)
        time.sleep(0.1)
    # ...and the next requests succeed.
    status, body = machine.get_command("dps")
    assert status == 0 and body["firmware_mode_is_pcat"] is True
    assert machine.get_command("time")[0] == 0
    assert machine.inspect("get/state") == "up"
    assert machine.running and machine.host.diag.ping()
    assert any(e.get("fault") == fault for e in get_events(machine))


@pytest.mark.timeout(180)
def test_ten_thousand_garbage_frames_do_not_crash_mezzanine(vm):
    # Garbage on the line tests the UART's framing; on rings the bytes are doorbells.
    machine = booted(vm, timeout=170, cmdline="mezz.transport=uart")
    machine.ged.send_garbage(10_000, seed=7)
    deadline = time.monotonic() + 120
    while True:
        try:
            status, _ = machine.get_command("time", timeout=10)
        except DiagError:
            status = None
        if status == 0:
            break
        assert time.monotonic() < deadline, "Mezzanine never answered after the garbage"
        time.sleep(0.5)
    get = machine.inspect("get")
    transport = get["transport"]
    assert transport["bad_crc"] > 0 and transport["sync_skipped"] > 0
    assert get["counters"]["decode_errors"] + get["counters"]["stale_drained"] > 0
    assert machine.running and machine.halt is None
    assert "PANIC" not in machine.console


def test_inspect_tree_paths_and_log(vm):
    machine = booted(vm)
    tree = machine.inspect()
    assert {"version", "memory", "log", "get", "diag"} <= set(tree)
    assert tree["memory"]["vtl2"]["size"] == "0x4000000"
    assert tree["memory"]["map"]["0"]["type"] == "usable"
    assert machine.inspect("get/state") == "up"
    assert machine.inspect("memory/vtl2/vram") == tree["memory"]["vtl2"]["vram"]
    with pytest.raises(DiagError) as error:
        machine.inspect("no/such/node")
    assert error.value.status == -2
    log = machine.diag_log()
    assert "boot complete" in log and "version 0x00040002 negotiated" in log
    assert machine.inspect("diag/requests") >= 4


def test_mezz_inspect_reaches_a_running_instance(kernel, tmp_path):
    mezz = str(REPO_ROOT / "tools" / "mezz")
    transcript = tmp_path / "t.jsonl"
    run = subprocess.Popen([sys.executable, mezz, "run", "--timeout", "40",
                            "--transcript", str(transcript)],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        result = None
        while time.monotonic() < deadline:
            result = subprocess.run([sys.executable, mezz, "inspect", "get/state", "--pid",
                                     str(run.pid)], capture_output=True, text=True, timeout=30)
            if result.returncode == 0 and result.stdout.strip() == "up":
                break
            time.sleep(0.3)
        assert result.returncode == 0 and result.stdout.strip() == "up", result.stderr
        result = subprocess.run([sys.executable, mezz, "inspect", "--pid", str(run.pid)],
                                capture_output=True, text=True, timeout=30)
        assert "get" in json.loads(result.stdout)
        result = subprocess.run([sys.executable, mezz, "inspect", "nope", "--pid",
                                 str(run.pid)], capture_output=True, text=True, timeout=30)
        assert result.returncode == 1
        result = subprocess.run([sys.executable, mezz, "log", "--pid", str(run.pid)],
                                capture_output=True, text=True, timeout=30)
        assert "boot complete" in result.stdout
    finally:
        run.terminate()
        run.wait(20)
    lines = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert any(e["event"] == "get" and e["name"] == "VERSION" for e in lines)


def test_mezz_inspect_without_a_run_exits_2():
    result = subprocess.run([sys.executable, str(REPO_ROOT / "tools" / "mezz"), "inspect",
                             "--pid", "1"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
