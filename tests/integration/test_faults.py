"""mezz.fault=...: CPU exceptions give a clean dump and a panic, never a triple fault."""

import re

import pytest

from console_format import CR2, PANIC_LINE, TOUCHED_ADDRESS, exception_header
from harness import HaltReason
from harness.symbols import function_range

HALT_TIMEOUT_S = 30

# (mezz.fault value, mnemonic, vector, kernel function that takes the fault)
FAULTS_WITH_RIP = [
    ("divide", "DE", 0, "fault_inject_divide"),
    ("page", "PF", 14, "fault_inject_page"),
    ("gp", "GP", 13, "fault_inject_gp"),
    ("ud", "UD", 6, "fault_inject_ud"),
]


def _halt_as_panic(machine):
    halt = machine.wait_for_halt(HALT_TIMEOUT_S)
    assert halt.reason is HaltReason.PANIC, (
        f"expected a panic, got {halt}\n{machine.console_tail()}")
    assert PANIC_LINE.search(machine.console), "panic without a 'PANIC:' line"
    return halt


def _exception(machine, mnemonic, vector):
    match = exception_header(mnemonic, vector).search(machine.console)
    assert match, (f"no 'EXCEPTION #{mnemonic} (vector {vector})' header\n"
                   f"{machine.console_tail()}")
    booted = machine.console.find("boot complete")
    assert 0 <= booted < match.start(), "test faults are taken after 'boot complete'"
    return match


@pytest.mark.parametrize("fault, mnemonic, vector, function", FAULTS_WITH_RIP,
                         ids=[row[0] for row in FAULTS_WITH_RIP])
def test_fault_dumps_and_panics_at_injecting_function(vm, kernel_elf, fault, mnemonic,
                                                      vector, function):
    machine = vm(f"mezz.fault={fault}")
    _halt_as_panic(machine)
    header = _exception(machine, mnemonic, vector)
    rip = int(header["rip"], 16)
    start, end = function_range(kernel_elf, function)
    assert start <= rip < end, (
        f"RIP {rip:#x} is not inside {function} [{start:#x}, {end:#x})")
    dump = machine.console[header.start():]
    assert dump.index("PANIC:") > 0, "the panic must follow the exception dump"


def test_page_fault_cr2_is_the_touched_address(vm):
    machine = vm("mezz.fault=page")
    _halt_as_panic(machine)
    touched = TOUCHED_ADDRESS.search(machine.console)
    assert touched, f"no 'fault: touching unmapped address' line\n{machine.console_tail()}"
    header = _exception(machine, "PF", 14)
    assert header.start() > touched.start(), "the address must be logged before the fault"
    cr2 = CR2.search(machine.console, header.end())
    assert cr2, "the #PF dump has no CR2="
    assert int(cr2["cr2"], 16) == int(touched["address"], 16)
    error = int(header["error"], 16)
    assert error & 1 == 0, f"#PF error {error:#x}: P bit set for an unmapped page"


def test_stack_overflow_is_a_double_fault_on_its_own_stack(vm, kernel_elf):
    machine = vm("mezz.fault=stack-overflow")
    halt = _halt_as_panic(machine)  # a triple fault would fail here
    header = _exception(machine, "DF", 8)
    assert int(header["error"], 16) == 0, "#DF always pushes error code 0"
    dump = machine.console[header.end():]
    cr2 = CR2.search(dump)
    assert cr2, "the #DF dump is incomplete (no CR2=)"
    # The #PF that could not be delivered hit the unmapped page under the boot stack.
    guard, _ = function_range(kernel_elf, "boot_stack_guard")
    assert guard <= int(cr2["cr2"], 16) < guard + 4096, (
        f"CR2 {cr2['cr2']} is not in the stack guard page at {guard:#x}")
    assert re.search(r"^PANIC: ", dump, re.MULTILINE)
    assert halt.exit_status == 67
