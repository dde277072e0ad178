"""Byte-stream framing of the GET and diag UARTs, host side (get/frame.h is the C twin).

Frame: sync u16 (0x7A4D, bytes "Mz"), length u16 (payload bytes, 1..max), crc32c u32 of
the payload, then the payload. The parser hunts for the sync word, checks length and
CRC, and on any defect drops one byte and hunts again, counting each kind of defect.
"""

import struct
from dataclasses import dataclass
from typing import List

SYNC = 0x7A4D
HEADER = struct.Struct("<HHI")
MAX_PAYLOAD = 12288

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def crc32c(data: bytes, crc: int = 0) -> int:
    """CRC-32C (Castagnoli), as the C side computes it."""
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def encode_frame(payload: bytes) -> bytes:
    if not 0 < len(payload) <= MAX_PAYLOAD:
        raise ValueError(f"frame payload of {len(payload)} bytes")
    return HEADER.pack(SYNC, len(payload), crc32c(payload)) + payload


@dataclass
class FrameStats:
    frames: int = 0
    bytes: int = 0
    sync_skipped: int = 0
    bad_length: int = 0
    bad_crc: int = 0


class FrameParser:
    """Feed bytes, get whole payloads back; resynchronises after garbage."""

    def __init__(self, max_payload: int = MAX_PAYLOAD):
        self.max_payload = max_payload
        self.stats = FrameStats()
        self._buf = bytearray()

    def feed(self, data: bytes) -> List[bytes]:
        self.stats.bytes += len(data)
        self._buf += data
        out = []
        buf = self._buf
        start = 0
        while True:
            have = len(buf) - start
            if have < 2:
                if have == 1 and buf[start] != (SYNC & 0xFF):
                    start += 1
                    self.stats.sync_skipped += 1
                    continue
                break
            if buf[start] != (SYNC & 0xFF) or buf[start + 1] != (SYNC >> 8):
                nxt = buf.find(b"\x4d\x7a", start + 1)
                skip = (nxt if nxt >= 0 else len(buf) - 1) - start
                self.stats.sync_skipped += skip
                start += skip
                continue
            if have < HEADER.size:
                break
            _, length, crc = HEADER.unpack_from(buf, start)
            if length == 0 or length > self.max_payload:
                self.stats.bad_length += 1
                start += 1
                continue
            if have < HEADER.size + length:
                break
            payload = bytes(buf[start + HEADER.size:start + HEADER.size + length])
            if crc32c(payload) != crc:
                self.stats.bad_crc += 1
                start += 1
                continue
            out.append(payload)
            self.stats.frames += 1
            start += HEADER.size + length
        del buf[:start]
        return out
