"""Shared-memory rings of a host channel, host side (get/ring.h is the C twin; docs/get.md,
"Rings").

Mezzanine offers, over the channel's UART, a pair of rings in VTL2 pages: guest->host
(Mezzanine produces, the host consumes) and host->guest (the host produces). The host
reaches them through the shared guest-RAM file (guest_memory.py). Each side owns one
index; indices are free-running byte counts, positions are index mod size.

Packet: header {u32 length, u32 start}, payload, padding to 8, trailer
{u32 start ^ TRAILER_XOR, u32 length}.

Ring faults the host can inject into what it produces (RING_FAULTS) test Mezzanine's
consumer: an index out of range, a length larger than the ring, a torn packet (published
half-written and never finished), a producer that rewinds; and a consumer that stops
(stall_consumer) tests Mezzanine's back-pressure.
"""

import struct
import sys
import threading
import time
from typing import Callable, List, Optional

MAGIC = 0x676E5A4D
DATA_OFFSET = 4096
TRAILER_XOR = 0xA5C3F00F
WRITE_INDEX = 8
READ_INDEX = 64
OFFER = struct.Struct("<4sIQQIIII")      # struct ring_offer, 40 bytes
ANSWER = struct.Struct("<4sI")           # struct ring_answer
ACCEPT, REFUSE = 0, 1
DOORBELL = b"\xdb"
PACKET_HEADER = struct.Struct("<II")
# Indices are read and written with one 4-byte access each, as the other side reads them
# while we write. Reads: struct's native format copies the value whole (a memcpy of 4
# bytes), where "<I" unpacks byte by byte. Writes: a slice assignment of 4 bytes (one
# memcpy); never pack_into(), which zeroes its target before it writes the value, so
# Mezzanine would see an index of 0 in between. Native is little-endian on the x86 hosts
# the harness runs on.
_U32 = struct.Struct("I")
assert sys.byteorder == "little" and _U32.size == 4
_ZEROS = bytes(8)
RING_SPIN_S = 0.0005    # how long a producer facing a full ring looks without sleeping
RING_FAULTS = ("index_out_of_range", "oversize_length", "torn", "rewind")
assert OFFER.size == 40 and ANSWER.size == 8


class RingError(Exception):
    """An offer the host cannot take, or a ring that no longer makes sense."""


def packet_bytes(length: int) -> int:
    return 16 + ((length + 7) & ~7)


class Ring:
    """One ring as the host sees it: `mem` is the GuestMemory, `gpa` its control page."""

    def __init__(self, mem, gpa: int, size: int):
        if size <= 0 or size & (size - 1):
            raise RingError(f"ring size {size} is not a power of two")
        # Raises unless all of it is RAM; afterwards the ring reaches the mapping directly
        # (one slice per access, no check and no extra copy: docs/benchmarks.md, issue 11).
        self._buf, self._base = mem.mapped(gpa, DATA_OFFSET + size)
        self.mem, self.gpa, self.size = mem, gpa, size
        self.data = gpa + DATA_OFFSET
        self._data = self._base + DATA_OFFSET       # offset of the data in the mapping
        self.own = 0                               # the index this side owns

    def _u32(self, off: int) -> int:
        return _U32.unpack_from(self._buf, self._base + off)[0]

    def _set_u32(self, off: int, value: int) -> None:
        at = self._base + off
        self._buf[at:at + 4] = (value & 0xFFFFFFFF).to_bytes(4, "little")

    def _read(self, index: int, length: int) -> bytes:
        pos = index % self.size
        first = min(length, self.size - pos)
        at = self._data + pos
        out = self._buf[at:at + first]
        return out + self._buf[self._data:self._data + length - first] if length > first else out

    def _write(self, index: int, data) -> None:
        pos = index % self.size
        first = min(len(data), self.size - pos)
        at = self._data + pos
        if first == len(data):
            self._buf[at:at + first] = data
            return
        view = memoryview(data)
        self._buf[at:at + first] = view[:first]
        self._buf[self._data:self._data + len(data) - first] = view[first:]

    def write_index(self) -> int:
        return self._u32(WRITE_INDEX)

    def read_index(self) -> int:
        return self._u32(READ_INDEX)

    # ---- producer (host -> guest) ----------------------------------------------------

    def free(self) -> int:
        return self.size - ((self.own - self._u32(READ_INDEX)) & 0xFFFFFFFF)

    def put(self, payload: bytes, fault: Optional[str] = None) -> None:
        """Write one packet and publish it (with a ring fault, as that fault says)."""
        length = len(payload)
        pad = (length + 7) & ~7
        start = self.own
        header_length = length
        if fault == "oversize_length":
            header_length = self.size * 4
        if fault == "rewind":
            # Go back over what the consumer already has, as a confused producer would.
            start = (self.own - packet_bytes(length)) & 0xFFFFFFFF
            self.own = start
            self._set_u32(WRITE_INDEX, start)
            time.sleep(0.05)    # long enough for Mezzanine to see the index go back
        # Payload first, then header and trailer: the packet is published by the index
        # below either way, and the payload goes straight from the caller's buffer.
        self._write(start + 8, payload)
        if pad != length:
            self._write(start + 8 + length, _ZEROS[:pad - length])
        self._write(start, PACKET_HEADER.pack(header_length, start))
        self._write(start + 8 + pad, PACKET_HEADER.pack(start ^ TRAILER_XOR, header_length))
        packet_len = 16 + pad
        if fault == "torn":
            # Published half-way and never finished: the rest of the packet is lost.
            self.own = (start + packet_len // 2) & 0xFFFFFFFF
        elif fault == "index_out_of_range":
            self.own = (start + 2 * self.size + 8) & 0xFFFFFFFF
        else:
            self.own = (start + packet_len) & 0xFFFFFFFF
        self._set_u32(WRITE_INDEX, self.own)

    # ---- consumer (guest -> host) ----------------------------------------------------

    def take(self) -> List[bytes]:
        """Every whole packet waiting; a defect raises RingError (Mezzanine wrote it)."""
        out = []
        while True:
            write = self._u32(WRITE_INDEX)
            used = (write - self.own) & 0xFFFFFFFF
            if used == 0:
                return out
            if used > self.size or used < 16:
                raise RingError(f"guest write index {write:#x} vs read {self.own:#x}")
            length, start = PACKET_HEADER.unpack(self._read(self.own, 8))
            total = packet_bytes(length)
            if start != self.own or total > used:
                raise RingError(f"packet at {self.own:#x}: length {length}, start {start:#x}")
            payload = self._read(self.own + 8, length)
            check, length2 = PACKET_HEADER.unpack(self._read(self.own + total - 8, 8))
            if check != start ^ TRAILER_XOR or length2 != length:
                raise RingError(f"packet at {self.own:#x}: bad trailer")
            self.own = (self.own + total) & 0xFFFFFFFF
            self._set_u32(READ_INDEX, self.own)
            out.append(payload)


class RingPair:
    """Both rings of one channel, from an offer (struct ring_offer)."""

    def __init__(self, mem, offer: bytes):
        (_, version, to_host_gpa, to_guest_gpa, to_host_size, to_guest_size, data_offset,
         max_payload) = OFFER.unpack(offer)
        if version != 1 or data_offset != DATA_OFFSET:
            raise RingError(f"offer version {version}, data offset {data_offset}")
        self.to_host = Ring(mem, to_host_gpa, to_host_size)
        self.to_guest = Ring(mem, to_guest_gpa, to_guest_size)
        self.max_payload = max_payload
        if packet_bytes(max_payload) > min(to_host_size, to_guest_size):
            raise RingError(f"max payload {max_payload} does not fit the rings")
        self.lock = threading.Lock()
        self.faults: List[str] = []
        self.consumer_stopped_until = 0.0
        self.errors = 0

    def put(self, payload: bytes, alive: Callable[[], bool], timeout: float = 10.0) -> bool:
        """Waits for room (Mezzanine consumes on every poll), then writes. Returns whether
        it had to wait."""
        if not 0 < len(payload) <= self.max_payload:
            raise ValueError(f"ring payload of {len(payload)} bytes")
        need = packet_bytes(len(payload))
        with self.lock:
            fault = self.faults.pop(0) if self.faults else None
            waited = self.to_guest.free() < need
            if waited:
                self._wait_for_room(need, alive, timeout)
            self.to_guest.put(payload, fault)
        return waited

    def _wait_for_room(self, need: int, alive: Callable[[], bool], timeout: float) -> None:
        """Mezzanine takes a packet in microseconds while it polls (a RESTORE's stream of
        8 KiB chunks fills the ring every 7 packets): look again at once for a while
        before sleeping, since a sleep costs far more than the wait on a loaded machine
        (docs/benchmarks.md, issue 11)."""
        now = time.monotonic()
        deadline, spin_until = now + timeout, now + RING_SPIN_S
        while self.to_guest.free() < need:
            now = time.monotonic()
            if now > deadline or not alive():
                raise RingError("host->guest ring full: Mezzanine does not consume")
            if now > spin_until:
                time.sleep(0.0002)

    def take(self) -> List[bytes]:
        if time.monotonic() < self.consumer_stopped_until:
            return []
        return self.to_host.take()
