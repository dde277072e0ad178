"""The host channels on shared-memory rings (docs/get.md, "Rings"): the GET and diag
take the rings the host accepts, keep the UART when it refuses or when
mezz.transport=uart says so, and survive every message fault and ring fault the host
can inject, with each one counted in inspect."""

import time

import pytest

from harness import REPO_ROOT
from harness.diag import OP_INSPECT, REQUEST, VERSION, DiagError

UP_TIMEOUT_S = 20
NEWLIB_ECONNREFUSED = -111


def booted(vm, **kwargs):
    machine = vm(**kwargs)
    machine.wait_for_log(r"get: device platform settings", UP_TIMEOUT_S)
    return machine


def wait_grown(machine, path, names, before, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        after = machine.inspect(path)
        if all(after[n] > before[n] for n in names):
            return after
        assert time.monotonic() < deadline, (names, before, after)
        time.sleep(0.05)


def assert_healthy(machine):
    status, body = machine.get_command("dps")
    assert status == 0 and body["firmware_mode_is_pcat"] is True
    assert machine.get_command("time")[0] == 0
    assert machine.inspect("get/state") == "up"
    assert machine.running and machine.halt is None
    assert "PANIC" not in machine.console


def test_rings_by_default_uart_when_forced_or_refused(vm):
    machine = booted(vm)
    get = machine.inspect("get/transport")
    diag = machine.inspect("diag")
    assert get["kind"] == "ring" and diag["kind"] == "ring", (get, diag)
    assert get["ring_offer"] == 0 and diag["ring_offer"] == 0
    assert machine.get_command("time")[0] == 0
    get = machine.inspect("get/transport")
    assert get["ring"]["rx_packets"] > 0 and get["ring"]["tx_packets"] > 0
    assert get["ring"]["size"] == 65536
    offers = [e for e in machine.host.transcript.events if e["event"] == "ring-offer"]
    assert offers and offers[0]["accepted"] is True
    # The blob benchmark's scratch is taken from the heap at its first run (not at boot),
    # and kept for the next.
    for _ in range(2):
        status, r = machine.get_command("bench 4 65536", timeout=60)
        assert status == 0 and r["restore_matches"] is True and r["blob_bytes"] == 65536, r
    machine.stop()

    forced = booted(vm, cmdline="mezz.transport=uart")
    assert forced.inspect("get/transport/kind") == "uart"
    assert forced.inspect("diag/kind") == "uart"
    assert forced.inspect("get/transport/ring_offer") == 1      # never offered
    assert forced.host.get.ring_offers == 0 and forced.host.diag.ring_offers == 0
    assert_healthy(forced)
    forced.stop()

    refused = booted(vm, refuse_rings=True)
    assert refused.inspect("get/transport/kind") == "uart"
    assert refused.inspect("get/transport/ring_offer") == NEWLIB_ECONNREFUSED
    assert refused.inspect("diag/ring_offer") == NEWLIB_ECONNREFUSED
    assert refused.host.get.ring_offers == 1 and refused.host.get.rings is None
    assert_healthy(refused)


# fault -> the inspect "get" counters that must grow (node, name)
MESSAGE_FAULTS = {
    "drop": [("counters", "timeouts")],
    "delay": [("counters", "timeouts")],
    "duplicate": [("counters", "unexpected_responses")],
    "corrupt": [("counters", "err_version"), ("counters", "fatal_errors")],
    "truncate": [("counters", "err_length"), ("counters", "fatal_errors")],
    "refuse": [("counters", "dps_errors")],
}


@pytest.mark.timeout(90)
def test_message_faults_on_the_get_rings(vm):
    machine = booted(vm)
    assert machine.inspect("get/transport/kind") == "ring"
    for fault, counters in MESSAGE_FAULTS.items():
        before = machine.inspect("get")
        machine.ged.inject("DEVICE_PLATFORM_SETTINGS_V2", fault, delay=2.5)
        status, _ = machine.get_command("dps")
        assert (status == 0) == (fault == "duplicate"), (fault, status)
        deadline = time.monotonic() + 10
        while True:
            after = machine.inspect("get")
            if all(after[node][name] > before[node][name] for node, name in counters):
                break
            assert time.monotonic() < deadline, (fault, counters, after)
            time.sleep(0.1)
        assert_healthy(machine)
    assert machine.inspect("get/transport/kind") == "ring"


RING_FAULTS = {
    "index_out_of_range": ["bad_index"],
    "oversize_length": ["bad_length"],
    "rewind": ["bad_index"],
    "torn": ["torn"],
}


@pytest.mark.timeout(90)
def test_ring_faults_on_the_get(vm):
    machine = booted(vm)
    for fault, names in RING_FAULTS.items():
        before = machine.inspect("get/transport/ring")
        machine.ged.inject_ring(fault)
        machine.get_command("time")         # its answer carries the fault: may fail
        wait_grown(machine, "get/transport/ring", names, before)
        assert_healthy(machine)
    ring = machine.inspect("get/transport/ring")
    assert ring["resyncs"] >= len(RING_FAULTS)


@pytest.mark.timeout(90)
def test_ring_faults_on_diag_and_a_consumer_that_stops(vm):
    machine = booted(vm)
    client = machine.host.diag
    for fault, names in RING_FAULTS.items():
        before = machine.inspect("diag/ring")
        client.inject_ring(fault)
        try:
            client.ping(timeout=1.0)            # the faulted request may be lost
        except DiagError:
            pass
        wait_grown(machine, "diag/ring", names, before)
        assert client.ping()
    # The host stops reading: Mezzanine's answers fill the guest->host ring, the next
    # one waits, gives up and is counted; nothing is overwritten and VTL2 goes on.
    before = machine.inspect("diag/ring")
    client.stall_consumer(1.5)
    for tag in range(24):
        client.send_frame(REQUEST.pack(VERSION, OP_INSPECT, 0x100 + tag))
    time.sleep(2.0)
    after = wait_grown(machine, "diag/ring", ["tx_full"], before)
    assert after["tx_broken"] is False
    assert client.ping() and client.ring_errors == []
    assert_healthy(machine)


def test_screenshot_over_the_diag_ring(vm):
    machine = booted(vm, vtl0="/usr/share/seabios/bios-256k.bin")
    machine.wait_for_log(r"Booting from|No bootable", 30)
    before = machine.inspect("diag/ring")
    frame = machine.screenshot()
    assert frame.width >= 640 and frame.height >= 400
    after = machine.inspect("diag/ring")
    assert after["tx_bytes"] - before["tx_bytes"] > 1000
