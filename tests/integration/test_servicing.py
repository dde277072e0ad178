"""Issue 14: live servicing, petri's openhcl_servicing_core shape with the test firmware.

The host stages the image, sends SAVE_GUEST_VTL2_STATE; the old instance stops VTL0,
saves every unit, sends the blob and enters the image in its other kernel slot; the new
instance pulls the blob back, restores without CREATE/RESET, and resumes VTL0. The
workload (test_pulse's: PAM in a non-default state, the display drawn, RAM written and
checked, timer interrupts) must not notice; VTL0's RAM and VRAM hash the same when VTL0
stops and just before it resumes; the picture is the same; the VM powers off cleanly.
"""

import re

from harness.screenshot import Frame
from harness.testdev import testdev_results
from harness.testscript import pattern_frame

from test_pam import slot_tables_agree
from test_pulse import HEIGHT, SEED, WIDTH, WRITE_PROTECTED, workload

MEMORY_MB = 256
RUN_S = 90
CYCLES_AFTER = (1, 4, 8)          # iterations after which the host services


def transcript_since(machine, mark):
    return machine.ged.events[mark:]


def check_cycle(machine, cycle):
    assert cycle["hash_stopped"] == cycle["hash_resuming"], cycle
    assert 0 < cycle["blob_len"] < 16384


def run_cycles(machine, script, count):
    cycles = []
    for after in CYCLES_AFTER[:count]:
        machine.wait_for_log(rf"testdev: \w+ tag={script.tag(f'ticks-{after}')}\b", RUN_S)
        old = machine.inspect("servicing")
        before = machine.screenshot()
        requests_before = len([e for e in machine.host.transcript_events()
                               if e.get("kind") == "get" and e.get("dir") == "rx"]) \
            if hasattr(machine.host, "transcript_events") else None
        cycle = machine.restart_paravisor()
        check_cycle(machine, cycle)
        new = machine.inspect("servicing")
        assert new["restored"] and new["restore_error"] == 0, new
        assert new["generation"] == old["generation"] + 1
        assert new["slot"] == 1 - old["slot"]
        assert new["version"] and new["build_id"]
        assert new["restored_from_build_id"] == old["build_id"]
        assert new["saved_state_len"] == cycle["blob_len"]
        assert machine.screenshot().same_pixels(before)
        cycle["blackout_time_us"] = new["blackout_time_us"]
        cycles.append(cycle)
    return cycles


def finish(machine, script):
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    assert "PANIC:" not in machine.console
    slot_tables_agree(machine, WRITE_PROTECTED)
    frame = machine.screenshot()
    assert frame.same_pixels(Frame(WIDTH, HEIGHT, pattern_frame(WIDTH, HEIGHT, SEED)))


def no_slot_calls_during_restore(console):
    """Between each new instance's entry and its RESTORE_COMPLETED, no CREATE or RESET
    of a RAM GPA range went to the host (the GET log lines name every request)."""
    for part in console.split("entered by the handoff")[1:]:
        restore = part.split("resuming VM")[0]
        assert "CREATE_RAM_GPA_RANGE" not in restore and "RESET_RAM_GPA_RANGE" not in restore


def test_servicing_once(vm, testfw):
    script = workload()
    machine = vm(vtl0=testfw, modules={"testscript": script.encode()}, memory_mb=MEMORY_MB,
                 timeout=RUN_S)
    cycles = run_cycles(machine, script, 1)
    finish(machine, script)
    assert re.search(r"blackout_time_us \d+, saved_state_len \d+", machine.console)
    print("servicing:", [(c["blob_len"], c["blackout_time_us"], round(c["cycle_s"], 3))
                         for c in cycles])
