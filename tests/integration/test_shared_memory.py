"""The host sees guest-physical memory through the shared RAM file."""

import os
import re
from pathlib import Path

import pytest

from console_format import KERNEL_IMAGE
from harness import GuestMemory, GuestMemoryError
from harness.guest_memory import pc_ram_layout

COMPARED_BYTES = 4096  # multiboot header + early text: not changed at run time


def test_host_reads_the_kernel_image_from_guest_memory(vm, flat_kernel):
    machine = vm()
    image = machine.wait_for_log(KERNEL_IMAGE, 20)
    start, end = int(image["start"], 16), int(image["end"], 16)
    flat = flat_kernel.read_bytes()
    assert end - start >= len(flat), (
        f"kernel image range {start:#x}-{end:#x} is smaller than kernel.bin ({len(flat)} bytes)")
    assert machine.memory.read(start, COMPARED_BYTES) == flat[:COMPARED_BYTES]


SEABIOS = "/usr/share/seabios/bios-256k.bin"
VTL0_IMAGE = re.compile(r"vtl0: firmware image: (?P<size>\d+) bytes at phys (?P<phys>0x[0-9a-f]+)")


LOW_RAM = re.compile(r"vtl0 low ram: 0x0-0x(?P<last>[0-9a-f]+), rom_bios_offset 0x(?P<rom>[0-9a-f]+)")


def test_vtl0_firmware_is_placed_at_the_top_of_vtl0_low_ram(vm):
    """SPEC section 1: the firmware image ends where VTL0's first RAM block ends, so its
    last 64 KiB sit at rom_bios_offset + 0xF0000; the host sees it there through the
    shared RAM file while VTL0 runs."""
    firmware = Path(SEABIOS).read_bytes()
    machine = vm(vtl0=SEABIOS)
    found = machine.wait_for_log(VTL0_IMAGE, 20)
    assert int(found["size"]) == len(firmware)
    machine.wait_for_log(r"vtl0: starting VTL0", 20)
    low = LOW_RAM.search(machine.diag_log())   # the VTL2 layout block is in the log ring
    low_end = int(low["last"], 16) + 1
    assert int(low["rom"], 16) == low_end - 0x100000
    assert machine.memory.read(low_end - len(firmware), len(firmware)) == firmware
    assert machine.memory.read(int(low["rom"], 16) + 0xF0000, 0x10000) == firmware[-0x10000:]


# ------------------------------------------------------------ GuestMemory, no QEMU


@pytest.fixture
def ram_file(tmp_path):
    path = tmp_path / "guest-ram"
    with open(path, "wb") as f:
        f.truncate(1 << 20)
    return path


def test_guest_memory_write_then_read(ram_file):
    memory = GuestMemory(ram_file, 1 << 20)
    memory.write(0x1000, b"mezzanine")
    assert memory.read(0x1000, 9) == b"mezzanine"
    assert memory.read_u64(0x1000) == int.from_bytes(b"mezzanin", "little")
    memory.close()
    with open(ram_file, "rb") as f:
        f.seek(0x1000)
        assert f.read(9) == b"mezzanine", "writes must reach the shared file"


@pytest.mark.parametrize("gpa, length", [(-1, 1), ((1 << 20) - 4, 8), (1 << 20, 1), (0, -1)])
def test_guest_memory_rejects_out_of_bounds(ram_file, gpa, length):
    memory = GuestMemory(ram_file, 1 << 20)
    with pytest.raises(GuestMemoryError):
        memory.read(gpa, length)
    if length >= 0:
        with pytest.raises(GuestMemoryError):
            memory.write(gpa, b"\xff" * length)
    memory.close()


def test_guest_memory_closed_rejects_access(ram_file):
    memory = GuestMemory(ram_file, 1 << 20)
    memory.close()
    with pytest.raises(GuestMemoryError):
        memory.read(0, 1)


def test_pc_layout_splits_large_ram_at_3_gib():
    assert pc_ram_layout(512 << 20) == [(0, 0, 512 << 20)]
    gib = 1 << 30
    assert pc_ram_layout(4 * gib) == [(0, 0, 3 * gib), (4 * gib, 3 * gib, gib)]


def test_guest_memory_rejects_pci_hole(tmp_path):
    gib = 1 << 30
    path = tmp_path / "big"
    with open(path, "wb") as f:
        f.truncate(4 * gib)  # sparse
    memory = GuestMemory(path, 4 * gib)
    with pytest.raises(GuestMemoryError):
        memory.read(3 * gib + 0x1000, 1)
    memory.write(4 * gib, b"hi")
    assert memory.read(4 * gib, 2) == b"hi"
    memory.close()
    with open(path, "rb") as f:
        f.seek(3 * gib)
        assert f.read(2) == b"hi"
    os.unlink(path)
