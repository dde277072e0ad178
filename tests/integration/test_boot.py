"""Boot: banner, memory map, VTL2 layout and boot-complete lines (docs/boot-contract.md)."""

import pytest

from console_format import (BANNER, BOOT_COMPLETE, LOG_LINE, MEMORY_MAP_START,
                            VTL2_REGION_START)
from harness import VERSION_FILE

BOOT_TIMEOUT_S = 20


def _line_index(lines, regex, what, console_tail):
    for index, line in enumerate(lines):
        if regex.search(line):
            return index
    pytest.fail(f"no {what} line on the console:\n{console_tail}")


def test_banner_is_first_line_and_names_version(vm):
    machine = vm()
    machine.wait_for_log(BOOT_COMPLETE, BOOT_TIMEOUT_S)
    lines = [line for line in machine.console.splitlines() if line.strip()]
    banner = BANNER.match(lines[0])
    assert banner, f"first console line is not the banner: {lines[0]!r}"
    assert VERSION_FILE.is_file(), f"{VERSION_FILE} is missing"
    assert banner["version"] == VERSION_FILE.read_text().strip()
    assert banner["rev"], "banner has an empty git revision"


def _check_boot_blocks(lines, where):
    """The memory map block, then the VTL2 layout block, then boot complete."""
    memory_map = _line_index(lines, MEMORY_MAP_START, "'memory map (firmware):'", where)
    vtl2 = _line_index(lines, VTL2_REGION_START, "'vtl2 region:'", where)
    complete = _line_index(lines, BOOT_COMPLETE, "'boot complete'", where)
    assert memory_map < vtl2 < complete, (memory_map, vtl2, complete)
    ranges = lines[memory_map + 1:vtl2]
    assert ranges, "the memory map block lists no ranges"
    assert all("0x" in line for line in ranges), f"memory map lines without addresses: {ranges}"
    assert vtl2 + 1 < complete, "the vtl2 region block is empty"


def test_memory_map_then_vtl2_region_then_boot_complete(vm):
    """At the default log level the blocks are in the log ring (diag, `mezz log`) and
    not on the console: console bytes cost boot time (docs/benchmarks.md)."""
    machine = vm()
    machine.wait_for_log(BOOT_COMPLETE, BOOT_TIMEOUT_S)
    # The host channels are up once the GET has the platform settings (as test_get).
    machine.wait_for_log(r"get: device platform settings", BOOT_TIMEOUT_S)
    ring = machine.diag_log()
    _check_boot_blocks(ring.splitlines(), ring[-2000:])
    assert not MEMORY_MAP_START.search(machine.console), machine.console_tail()
    assert not VTL2_REGION_START.search(machine.console), machine.console_tail()


def test_boot_blocks_on_the_console_at_debug_level(vm):
    machine = vm(cmdline="mezz.log=debug")
    machine.wait_for_log(BOOT_COMPLETE, BOOT_TIMEOUT_S)
    _check_boot_blocks(machine.console.splitlines(), machine.console_tail())


def test_boot_complete_is_a_log_line(vm):
    machine = vm()
    match = machine.wait_for_log(r"^.*boot complete.*$", BOOT_TIMEOUT_S)
    assert LOG_LINE.match(match.group(0)), f"not in log-line format: {match.group(0)!r}"


def test_log_lines_follow_the_format(vm):
    machine = vm()
    machine.wait_for_log(BOOT_COMPLETE, BOOT_TIMEOUT_S)
    log_like = [line for line in machine.console.splitlines() if line.startswith("[")]
    assert log_like, "no log lines at all"
    bad = [line for line in log_like if not LOG_LINE.match(line)]
    assert not bad, f"lines that look like log lines but break the format: {bad}"


def test_vm_keeps_running_after_boot(vm):
    """With no test option the kernel boots and stays up; the host stops it."""
    machine = vm()
    machine.wait_for_log(BOOT_COMPLETE, BOOT_TIMEOUT_S)
    assert machine.running
    assert machine.halt is None
