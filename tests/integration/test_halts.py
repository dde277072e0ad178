"""Halt classification: the contract table as a pure function, then each halt for real."""

import os

import pytest

from harness import Halt, HaltReason, UnclassifiedHalt, classify_halt

TRIPLE_FAULT_LOG = "CPU Reset (CPU 0)\nEAX=00000000 EBX=00000000\nTriple fault\n"
QUIET_LOG = "CPU Reset (CPU 0)\nEAX=00000000 EBX=00000000\n"
PANIC_CONSOLE = "Mezzanine 1 (x) x86_64 paravisor\nPANIC: the sky fell\n"


def classify(exit_status=0, shutdown_reason=None, debug_log=QUIET_LOG, console="",
             timed_out=False):
    return classify_halt(exit_status=exit_status, shutdown_reason=shutdown_reason,
                         debug_log=debug_log, console=console, timed_out=timed_out,
                         timeout_s=3)


# ------------------------------------------------------------ classifier, no QEMU


def test_classify_exit_67_is_panic_with_message():
    halt = classify(exit_status=67, console=PANIC_CONSOLE)
    assert halt == Halt(HaltReason.PANIC, "the sky fell", 67)


def test_classify_panic_message_is_the_last_panic_line():
    halt = classify(exit_status=67, console="PANIC: first\nPANIC: second\n")
    assert halt.detail == "second"


def test_classify_panic_without_panic_line_still_panic():
    halt = classify(exit_status=67, console="no message\n")
    assert halt.reason is HaltReason.PANIC and "no 'PANIC:' line" in halt.detail


def test_classify_guest_shutdown_is_power_off():
    assert classify(shutdown_reason="guest-shutdown").reason is HaltReason.POWER_OFF


def test_classify_guest_reset_with_triple_fault_log_is_triple_fault():
    halt = classify(shutdown_reason="guest-reset", debug_log=TRIPLE_FAULT_LOG)
    assert halt.reason is HaltReason.TRIPLE_FAULT


def test_classify_triple_fault_detail_is_the_dump_after_the_marker():
    log = TRIPLE_FAULT_LOG + "RAX=0000000000000001 RBX=0\nRIP=ffffffff80001000\n"
    halt = classify(shutdown_reason="guest-reset", debug_log=log)
    assert halt.detail == "RAX=0000000000000001 RBX=0\nRIP=ffffffff80001000"


def test_classify_guest_reset_without_triple_fault_is_reset():
    assert classify(shutdown_reason="guest-reset").reason is HaltReason.RESET


def test_classify_exit_0_without_shutdown_is_triple_fault_never_success():
    halt = classify(exit_status=0, shutdown_reason=None)
    assert halt.reason is HaltReason.TRIPLE_FAULT


def test_classify_timeout_wins_over_everything():
    halt = classify(exit_status=-9, shutdown_reason="guest-reset", timed_out=True)
    assert halt.reason is HaltReason.TIMEOUT and halt.exit_status == -9


def test_classify_panic_wins_over_shutdown_event():
    halt = classify(exit_status=67, shutdown_reason="guest-reset", console=PANIC_CONSOLE)
    assert halt.reason is HaltReason.PANIC


@pytest.mark.parametrize("exit_status, shutdown_reason", [
    (1, None),               # QEMU error, or isa-debug-exit with value 0
    (3, None),               # isa-debug-exit with value 1
    (-15, None),             # killed by a signal the host did not send
    (0, "host-signal"),      # SIGTERM from outside
    (0, "host-qmp-quit"),
    (0, "guest-panic"),
])
def test_classify_anything_else_is_never_guessed(exit_status, shutdown_reason):
    with pytest.raises(UnclassifiedHalt):
        classify(exit_status=exit_status, shutdown_reason=shutdown_reason)


def test_halt_str_is_reason_and_detail():
    assert str(Halt(HaltReason.PANIC, "boom", 67)) == "panic: boom"
    assert str(Halt(HaltReason.POWER_OFF, "", 0)) == "power-off"


# ------------------------------------------------------------ real halts

HALT_TIMEOUT_S = 30


@pytest.mark.parametrize("option, reason", [
    ("power-off", HaltReason.POWER_OFF),
    ("reset", HaltReason.RESET),
    ("triple-fault", HaltReason.TRIPLE_FAULT),
])
def test_requested_halt_is_classified(vm, option, reason):
    machine = vm(f"mezz.halt={option}")
    halt = machine.wait_for_halt(HALT_TIMEOUT_S)
    assert halt.reason is reason, f"{halt}\n{machine.console_tail()}"
    assert not machine.running


def test_requested_panic_carries_the_message(vm):
    machine = vm("mezz.halt=panic")
    halt = machine.wait_for_halt(HALT_TIMEOUT_S)
    assert halt.reason is HaltReason.PANIC, f"{halt}\n{machine.console_tail()}"
    assert halt.detail == "test panic requested by mezz.halt=panic"
    assert halt.exit_status == 67


def test_no_halt_within_timeout_is_timeout_and_qemu_is_killed(vm):
    machine = vm(timeout=3)
    machine.wait_for_log(r"boot complete", 3)
    halt = machine.wait_for_halt()
    assert halt.reason is HaltReason.TIMEOUT, f"{halt}\n{machine.console_tail()}"
    assert not machine.running
    with pytest.raises(ProcessLookupError):
        os.kill(machine.pid, 0)
