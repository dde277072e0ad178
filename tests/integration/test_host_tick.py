"""Host channels served whatever VTL0 does (docs/get.md, "Served whatever VTL0 does"):
Mezzanine's HPET tick (an NMI VTL0 can neither mask nor reprogram) brings it back from a
VTL0 that spins with interrupts off, so diag requests and GET notifications are taken
within a millisecond; with VTL0 halted Mezzanine sleeps instead of polling."""

import os
import random
import time

import pytest

from harness.diag import OP_PING

UP_TIMEOUT_S = 20
REQUESTS = 200
P99_LIMIT_S = 0.001
P99_LOADED_LIMIT_S = 0.025
MEDIAN_LIMIT_S = 0.001
IDLE_CPU_LIMIT = 0.05
IDLE_SECONDS = 10.0

# VTL0 firmware images: 64 KiB, code at the reset vector F000:FFF0, in real mode.
SPINNERS = {
    "cli-jmp": bytes([0xFA, 0xEB, 0xFE]),                  # cli; jmp .
    "cli-pause": bytes([0xFA, 0xF3, 0x90, 0xEB, 0xFC]),    # cli; 1: pause; jmp 1b
}
# A guest notification Mezzanine reads, decodes the header of, counts and drops (no
# consumer buffers it: 200 of a buffered kind would overflow its queue of 16).
UNSUPPORTED_NOTE = bytes([1, 4, 0xFF, 0x7F])
HALTER = bytes([0xFB, 0xF4, 0xEB, 0xFD])                   # sti; 1: hlt; jmp 1b


def firmware(tmp_path, name, code):
    image = bytearray(b"\xFF" * 0x10000)
    image[0xFFF0:0xFFF0 + len(code)] = code
    path = tmp_path / f"{name}.bin"
    path.write_bytes(bytes(image))
    return path


def p99_limit():
    """The acceptance bound (1 ms) needs the cores for QEMU: its vCPU spins with VTL0 and
    its main loop fires the HPET tick. On a machine whose other load leaves QEMU no
    free core, host scheduling alone adds milliseconds; then only a loose bound holds
    (without the tick there would be no answer at all)."""
    free = (os.cpu_count() or 1) - os.getloadavg()[0]     # this QEMU spinning counts 1
    return P99_LIMIT_S if free >= 0.5 else P99_LOADED_LIMIT_S


def median(samples):
    return sorted(samples)[len(samples) // 2]


def p99(samples):
    samples = sorted(samples)
    return samples[min(len(samples) - 1, (len(samples) * 99) // 100)]


@pytest.mark.timeout(90)
@pytest.mark.parametrize("spinner", sorted(SPINNERS))
def test_answers_within_a_millisecond_while_vtl0_spins(vm, tmp_path, spinner):
    machine = vm(vtl0=firmware(tmp_path, spinner, SPINNERS[spinner]))
    machine.wait_for_log(r"vtl0: starting VTL0", UP_TIMEOUT_S)
    diag, ged = machine.host.diag, machine.host.get
    assert diag.rings is not None and ged.rings is not None
    time.sleep(0.3)
    exits_before = machine.inspect("partition")["exits"]["total"]
    rng = random.Random(11)
    pings, notes = [], []
    for _ in range(REQUESTS):
        time.sleep(rng.uniform(0, 0.001))           # not in step with the tick
        start = time.perf_counter()
        status, body = diag.request(OP_PING, timeout=5)
        pings.append(time.perf_counter() - start)
        assert status == 0 and body == b"pong"
        # A GET notification, taken when Mezzanine's read index passes it.
        time.sleep(rng.uniform(0, 0.001))
        ring = ged.rings.to_guest
        start = time.perf_counter()
        ged.send_frame(UNSUPPORTED_NOTE)
        target = ring.own
        while ring.read_index() != target:
            assert time.perf_counter() - start < 5, "notification never taken"
            time.sleep(0.00005)                     # leave the cores to QEMU
        notes.append(time.perf_counter() - start)
    limit = p99_limit()
    report = {"diag_median_ms": round(median(pings) * 1e3, 3), "diag_p99_ms": round(p99(pings) * 1e3, 3),
              "get_median_ms": round(median(notes) * 1e3, 3), "get_p99_ms": round(p99(notes) * 1e3, 3),
              "limit_ms": limit * 1e3, "load": os.getloadavg()[0]}
    print(spinner, report)
    assert median(pings) <= MEDIAN_LIMIT_S and median(notes) <= MEDIAN_LIMIT_S, report
    assert p99(pings) <= limit and p99(notes) <= limit, report
    assert diag.ping() and diag.ring_errors == []
    part = machine.inspect("partition")
    assert part["exits"]["total"] > exits_before and part["exits"]["nmi"] > 0
    assert machine.inspect("get/counters/notes_unsupported") >= REQUESTS
    assert machine.running and "PANIC" not in machine.console


@pytest.mark.timeout(60)
def test_idle_mezzanine_sleeps(vm, tmp_path):
    machine = vm(vtl0=firmware(tmp_path, "halter", HALTER))
    machine.wait_for_log(r"vtl0: starting VTL0", UP_TIMEOUT_S)
    time.sleep(1.0)
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds():
        fields = open(f"/proc/{machine.pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks   # utime + stime

    c0, t0 = cpu_seconds(), time.monotonic()
    time.sleep(IDLE_SECONDS)
    c1, t1 = cpu_seconds(), time.monotonic()
    share = (c1 - c0) / (t1 - t0)
    assert share <= IDLE_CPU_LIMIT, f"idle QEMU used {share:.1%} of a core"
    assert machine.host.diag.ping()          # and it still answers
