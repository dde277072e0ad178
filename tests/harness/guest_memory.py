"""Guest-physical memory, seen by the host through QEMU's shared RAM file.

QEMU runs with `-object memory-backend-file,share=on,mem-path=RUN/guest-ram`, so the
file *is* guest RAM: a byte written here is what the guest reads, and the other way
round, as with a real VMM host.

Address translation (QEMU `pc` machine, pc_init1): RAM below 4 GiB is the first
`below_4g` bytes of the file at GPA [0, below_4g); the rest of the file appears at GPA
[4 GiB, 4 GiB + above_4g). below_4g is all of RAM when RAM < 3.5 GiB, else 3 GiB
(gigabyte alignment). Only RAM is reachable: ROM and MMIO overlays (e.g. the VGA hole
at 0xA0000 or the BIOS shadow) are not what this returns there; it returns the RAM
underneath.
"""

import mmap
import os
from pathlib import Path
from typing import List, Tuple

from .errors import GuestMemoryError

_GIB = 1 << 30
_FOUR_GIB = 4 * _GIB
_PC_MAX_RAM_BELOW_4G = 0xE000_0000
_PC_GIGABYTE_ALIGNED_LOWMEM = 0xC000_0000


def pc_ram_layout(ram_bytes: int) -> List[Tuple[int, int, int]]:
    """The GPA ranges of the `pc` machine's RAM: a list of (gpa, file_offset, length)."""
    if ram_bytes >= _PC_MAX_RAM_BELOW_4G:
        below = _PC_GIGABYTE_ALIGNED_LOWMEM
    else:
        below = ram_bytes
    ranges = [(0, 0, below)]
    if ram_bytes > below:
        ranges.append((_FOUR_GIB, below, ram_bytes - below))
    return ranges


class GuestMemory:
    """Read and write guest-physical RAM through the shared RAM file.

    read(gpa, n) -> bytes and write(gpa, data) each act on one contiguous RAM range;
    an access that leaves guest RAM (past the end, into the PCI hole, negative) raises
    GuestMemoryError and touches nothing. After close() every access raises.
    """

    def __init__(self, path: Path, ram_bytes: int):
        self.size = ram_bytes
        self._ranges = pc_ram_layout(ram_bytes)
        fd = os.open(path, os.O_RDWR)
        try:
            actual = os.fstat(fd).st_size
            if actual < ram_bytes:
                raise GuestMemoryError(f"{path} holds {actual} bytes, expected {ram_bytes}")
            self._map = mmap.mmap(fd, ram_bytes, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)

    @property
    def closed(self) -> bool:
        return self._map is None

    def close(self) -> None:
        """Unmap the file. Safe to call twice."""
        if self._map is not None:
            self._map.close()
            self._map = None

    def _offset(self, gpa: int, length: int) -> int:
        if self._map is None:
            raise GuestMemoryError("guest memory is closed (the VM is not running)")
        if not isinstance(gpa, int) or not isinstance(length, int) or gpa < 0 or length < 0:
            raise GuestMemoryError(f"bad access gpa={gpa!r} length={length!r}")
        for base, offset, size in self._ranges:
            if base <= gpa and gpa + length <= base + size:
                return offset + (gpa - base)
        raise GuestMemoryError(
            f"GPA range [{gpa:#x}, {gpa + length:#x}) is not inside guest RAM "
            f"({', '.join(f'[{b:#x}, {b + s:#x})' for b, _, s in self._ranges)})")

    def read(self, gpa: int, length: int) -> bytes:
        """Return length bytes of guest RAM starting at guest-physical address gpa."""
        offset = self._offset(gpa, length)
        return bytes(self._map[offset:offset + length])

    def write(self, gpa: int, data: bytes) -> None:
        """Write data into guest RAM at guest-physical address gpa."""
        data = bytes(data)
        offset = self._offset(gpa, len(data))
        self._map[offset:offset + len(data)] = data

    def mapped(self, gpa: int, length: int):
        """(buffer, offset): the mapping itself and where gpa lies in it, the range checked
        once, for a hot path that reads and writes one range all the time (the rings,
        ring.py) without a check and a copy per access. Using the buffer after close()
        raises ValueError."""
        offset = self._offset(gpa, length)
        return self._map, offset

    def read_u64(self, gpa: int) -> int:
        """One little-endian 64-bit value."""
        return int.from_bytes(self.read(gpa, 8), "little")
