"""Issue 14's fault tests beyond test_servicing.py: a new instance stuck in its restore
(OpenHCL's SERVICING_RESTORE_STUCK, ended by the restore watchdog), a host that stops
answering the new instance (VERSION, DPS), a host that mishandles the SAVE chunks it
receives (dropped, corrupted, duplicated, delayed) and a host that hands back a blob with
bytes flipped. Each ends with VTL0 running the image the case says, nothing panics, the
reason is in the host's record and in inspect, VTL0's memory hashes the same when it
stops and before it resumes, and the workload then powers the VM off cleanly.
docs/servicing.md, "Rollback".
"""

import time

import pytest

from harness import HaltReason
from harness.servicing import ServicingError
from harness.testdev import testdev_results

from test_pulse import workload
from test_servicing import MEMORY_MB, RUN_S

# The kernel's errno values are newlib's (sys/errno.h), not the host's.
ETIMEDOUT, EBADMSG, EPROTO = 116, 77, 71


def started(vm, testfw, cmdline=""):
    script = workload(poweroff=True)
    machine = vm(cmdline=cmdline, vtl0=testfw, modules={"testscript": script.encode()},
                 memory_mb=MEMORY_MB, timeout=RUN_S)
    machine.wait_for_log(rf"testdev: \w+ tag={script.tag('ticks-1')}\b", RUN_S)
    return machine, script


def powers_off_cleanly(machine, script):
    halt = machine.wait_for_halt(RUN_S)
    assert halt.reason is HaltReason.POWER_OFF, halt
    assert testdev_results(machine, script).failures == [], machine.console_tail()
    assert "PANIC:" not in machine.console


def rolled_back(machine, reason, error, generation=2):
    """The last cycle rolled back to the old image: the host's record and inspect agree
    on why; VTL0's memory is the same."""
    cycle = machine._servicing().last_failed
    assert cycle["rolled_back"], cycle
    assert cycle["hash_stopped"] == cycle["hash_resuming"], "VTL0 memory changed"
    assert cycle["rollback_reason"] == reason, cycle
    assert "rolled back" in cycle["reason"], cycle["reason"]
    servicing = machine.inspect("servicing")
    assert servicing["rolled_back"] and servicing["restored"], servicing
    assert servicing["rollback_reason"] == reason, servicing
    assert servicing["rolled_back_error"] == error, servicing
    assert servicing["restore_error"] == 0
    assert servicing["generation"] == generation and servicing["slot"] == 0, servicing
    return cycle


@pytest.mark.timeout(120)
def test_restore_stuck_is_ended_by_the_watchdog(vm, testfw):
    """mezz.servicing_test=restore-stuck: every new instance stalls in its restore with
    interrupts off. Its HPET NMI tick sees the deadline (half the host's hint of 4 s) pass
    and the NMI's IRET lands in the rollback: the previous image with the carried blob.
    The rollback instance tells the host (RESTORE_COMPLETED failure for the stuck one, then
    its own success), takes its own ticks again, and can be serviced again (and rolls back
    again)."""
    machine, script = started(vm, testfw, "mezz.servicing_test=restore-stuck")
    for generation in (2, 4):
        machine.save_paravisor(timeout_hint_secs=4)
        with pytest.raises(ServicingError, match="rolled back to the previous image"):
            machine.restore_paravisor()
        cycle = rolled_back(machine, "restore-stuck", -ETIMEDOUT, generation)
        # The deadline, not the host's 30 s wait, ended it (hashing 256 MiB twice included).
        assert 2.0 <= cycle["cycle_s"] < 20.0, cycle["cycle_s"]
        nmis = machine.inspect("version/nmis")
        time.sleep(0.2)
        assert machine.inspect("version/nmis") > nmis > 0, "no NMIs after the rollback"
    statuses = [e["status"] for e in machine.ged.events
                if e["name"] == "RESTORE_GUEST_VTL2_STATE_COMPLETED"]
    assert statuses == [1, 0, 1, 0], statuses
    assert machine.console.count("stuck in restore") == 2
    assert machine.console.count("restore still not done") == 2
    powers_off_cleanly(machine, script)


def test_watchdog_cuts_a_wait_for_the_host_short(vm, testfw):
    """The host drops its RESTORE answer while the new instance's deadline (1 s, the
    least, from a hint of 2 s) comes before the request's own timeout (2 s): the watchdog
    cuts the restore off inside the GET client's wait, not in a test hook, and the rollback
    instance (whose GET starts afresh) tells the host and resumes VTL0."""
    machine, script = started(vm, testfw)
    machine.ged.inject("RESTORE_GUEST_VTL2_STATE", "drop")
    machine.save_paravisor(timeout_hint_secs=2)
    with pytest.raises(ServicingError, match="rolled back to the previous image"):
        machine.restore_paravisor()
    rolled_back(machine, "restore-stuck", -ETIMEDOUT)
    assert "restore still not done 1000 ms after the handoff" in machine.console
    assert "RESTORE: no saved state from the host" not in machine.console
    powers_off_cleanly(machine, script)


def test_restore_answer_delayed_only_lengthens_the_blackout(vm, testfw):
    """The host answers RESTORE 1 s late (inside the request's 2 s and the 10 s budget):
    the new image restores and runs; the blackout is that much longer."""
    machine, script = started(vm, testfw)
    machine.ged.inject("RESTORE_GUEST_VTL2_STATE", "delay", delay=1.0)
    cycle = machine.restart_paravisor()
    assert cycle["hash_stopped"] == cycle["hash_resuming"], "VTL0 memory changed"
    servicing = machine.inspect("servicing")
    assert servicing["restored"] and not servicing["rolled_back"], servicing
    assert servicing["generation"] == 1 and servicing["blackout_time_us"] >= 1_000_000
    powers_off_cleanly(machine, script)


@pytest.mark.parametrize("answer", ["VERSION", "DEVICE_PLATFORM_SETTINGS_V2"])
def test_host_silent_to_the_new_instance_rolls_back(vm, testfw, answer):
    """The host does not answer the new instance's version negotiation or DPS (each a 2 s
    timeout): without the host's word on servicing it cannot restore, and rolls back.
    VERSION is the first message over the carried rings: unanswered, the new instance
    offers fresh rings over the UART and asks again (a host that lost the rings,
    docs/get.md), so the host stays silent to both."""
    machine, script = started(vm, testfw)
    machine.ged.inject(answer, "drop", count=2 if answer == "VERSION" else 1)
    machine.save_paravisor()
    with pytest.raises(ServicingError, match="rolled back to the previous image"):
        machine.restore_paravisor()
    rolled_back(machine, "no-host", -EPROTO)
    assert "the host's DPS says no servicing" in machine.console
    powers_off_cleanly(machine, script)


@pytest.mark.parametrize("fault", ["drop", "corrupt", "duplicate", "delay"])
def test_save_chunk_faults(vm, testfw, fault):
    """Faults on the SAVE chunk the host receives (the blob is one chunk). The host stores
    what it got and answers. drop: no last chunk, no answer; the old instance waits out
    the hint (2 s), says SAVE FAILURE and runs VTL0 on. corrupt: the new instance finds
    the host's blob is not the one saved (CRC-32C in the persisted page) and rolls back.
    duplicate: the host answers twice; the new image runs. delay: a longer blackout; the
    new image runs."""
    machine, script = started(vm, testfw)
    old = machine.inspect("servicing")
    if fault == "drop":
        with pytest.raises(ServicingError, match="the host did not take the saved state"):
            machine.save_paravisor(timeout_hint_secs=2, chunk_fault=("drop", 0))
        cycle = machine._servicing().last_failed
        assert cycle["rx_faults"][0]["fault"] == "drop" and cycle["rx_faults"][0]["last"]
        assert cycle["reason"] == "the host did not take the saved state"
        servicing = machine.inspect("servicing")
        assert servicing["generation"] == 0 and servicing["service_failures"] == 1
        assert machine.ged.saved_blob is None
    elif fault == "corrupt":
        machine.save_paravisor(chunk_fault=("corrupt", 0))
        with pytest.raises(ServicingError, match="rolled back to the previous image"):
            machine.restore_paravisor()
        cycle = rolled_back(machine, "restore-failed", -EBADMSG)
        assert cycle["rx_faults"][0]["fault"] == "corrupt"
        assert "not the one saved" in machine.console
    else:
        machine.save_paravisor(chunk_fault=(fault, 1.0))
        cycle = machine.restore_paravisor()
        assert cycle["hash_stopped"] == cycle["hash_resuming"], "VTL0 memory changed"
        assert cycle["rx_faults"][0]["fault"] == fault
        servicing = machine.inspect("servicing")
        assert servicing["restored"] and not servicing["rolled_back"], servicing
        assert servicing["generation"] == 1 and servicing["slot"] == 1 - old["slot"]
        if fault == "delay":
            assert servicing["blackout_time_us"] >= 1_000_000
        else:
            assert machine.ged.saves == 2       # the host took the chunk twice
    powers_off_cleanly(machine, script)


def test_blob_with_flipped_bytes_rolls_back(vm, testfw):
    """The host hands back the blob with three bytes flipped (same length): the envelope
    could parse it, the CRC-32C the old instance left in the persisted page does not
    match; the new instance refuses it and rolls back with the old instance's own copy."""
    machine, script = started(vm, testfw)
    machine.save_paravisor(garble_blob="flip")
    with pytest.raises(ServicingError, match="rolled back to the previous image"):
        machine.restore_paravisor()
    rolled_back(machine, "restore-failed", -EBADMSG)
    assert "not the one saved" in machine.console
    cycle = machine.restart_paravisor()                   # and servicing goes on
    assert cycle["hash_stopped"] == cycle["hash_resuming"]
    powers_off_cleanly(machine, script)
