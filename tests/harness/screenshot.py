"""Screenshots of VTL0's display, two ways (docs/framebuffer.md, docs/diag.md):

- through Mezzanine: diag op 4 returns the frame as the framebuffer's view reads it
  through the fixed VTL2 view, run-length encoded, in chunks (DiagClient.screenshot());
- straight from shared guest memory: the host reads VRAM (in the VTL2 region, at the
  physical address inspect "display" reports) with the view's format, applying the same
  rules as the view's read_line (read_vram_frame()).

Both give a Frame of BGRX pixels; Frame.save_png() writes RGBA PNG (BGRX -> RGBA, alpha
0xFF) with Debian's python3-pil.
"""

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Tuple, Union

from .errors import HarnessError

CHUNK = struct.Struct("<HHHHHHII")     # kernel/host/screenshot.h struct screenshot_chunk
REQUEST = struct.Struct("<HH")         # struct screenshot_request
REQ_NEW = 0x0001
F_LIVE = 0x0001
RLE32 = 1
RUN = 0x8000
BLACK = b"\x00\x00\x00\x00"


class ScreenshotError(HarnessError):
    """A screenshot chunk that does not decode."""


@dataclass(frozen=True)
class Frame:
    """One frame: width x height pixels, 4 bytes each, BGRX as VRAM holds them."""

    width: int
    height: int
    bgrx: bytes
    live: bool = False      # read chunk by chunk (not one snapshot): may be torn

    def pixel(self, x: int, y: int) -> Tuple[int, int, int]:
        """(red, green, blue) at (x, y)."""
        i = 4 * (y * self.width + x)
        b, g, r = self.bgrx[i], self.bgrx[i + 1], self.bgrx[i + 2]
        return r, g, b

    def rgb_bytes(self) -> bytes:
        """The pixels as RGB, 3 bytes each (the X byte dropped)."""
        out = bytearray(3 * self.width * self.height)
        out[0::3] = self.bgrx[2::4]
        out[1::3] = self.bgrx[1::4]
        out[2::3] = self.bgrx[0::4]
        return bytes(out)

    def is_blank(self) -> bool:
        """Every pixel black (the X byte ignored)."""
        return not any(self.rgb_bytes())

    def image(self):
        """A PIL image, mode RGBA, alpha 0xFF everywhere."""
        from PIL import Image
        rgb = Image.frombytes("RGB", (self.width, self.height), self.bgrx, "raw", "BGRX")
        return rgb.convert("RGBA")

    def save_png(self, path: Union[str, Path]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.image().save(path, format="PNG")
        return path

    def same_pixels(self, other: "Frame") -> bool:
        """Same size and the same colours (the X byte ignored, as in the PNG)."""
        return (self.width, self.height) == (other.width, other.height) and \
            self.rgb_bytes() == other.rgb_bytes()


def decode_lines(data: bytes, width: int, lines: int) -> bytes:
    """The BGRX bytes of `lines` RLE32-encoded lines of `width` pixels (all of data)."""
    out = bytearray()
    pos = 0
    for _ in range(lines):
        px = 0
        while px < width:
            if pos + 2 > len(data):
                raise ScreenshotError("chunk ends inside a line")
            token = data[pos] | data[pos + 1] << 8
            pos += 2
            count = (token & 0x7FFF) + 1
            if px + count > width:
                raise ScreenshotError(f"token of {count} pixels overruns a line of {width}")
            if token & RUN:
                out += data[pos:pos + 4] * count
                pos += 4
            else:
                out += data[pos:pos + 4 * count]
                pos += 4 * count
            px += count
        if pos > len(data):
            raise ScreenshotError("chunk ends inside a token")
    if pos != len(data):
        raise ScreenshotError(f"{len(data) - pos} bytes left after {lines} lines")
    return bytes(out)


def parse_chunk(body: bytes) -> Tuple[Dict[str, int], bytes]:
    """The chunk header as a dict, and the pixels of its lines (BGRX)."""
    if len(body) < CHUNK.size:
        raise ScreenshotError(f"chunk of {len(body)} bytes has no header")
    width, height, first, lines, encoding, flags, seq, data_len = CHUNK.unpack_from(body)
    if encoding != RLE32:
        raise ScreenshotError(f"unknown encoding {encoding}")
    if data_len != len(body) - CHUNK.size:
        raise ScreenshotError(f"data_len {data_len}, body has {len(body) - CHUNK.size}")
    header = dict(width=width, height=height, first_line=first, lines=lines, flags=flags,
                  seq=seq)
    return header, decode_lines(body[CHUNK.size:], width, lines)


def screenshot_request(first_line: int, new: bool) -> bytes:
    return REQUEST.pack(first_line, REQ_NEW if new else 0)


def _hex(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


def read_vram_frame(memory, display: Dict[str, Any]) -> Frame:
    """The frame read by the host from shared guest memory, with the view's rules.

    display: inspect "display" (vram_phys, vram_size, framebuffer/view). Lines or parts
    of lines outside VRAM read as zero; before any format the frame is one black pixel.
    """
    view = display["framebuffer"]["view"]
    if not view["has_format"]:
        return Frame(1, 1, BLACK)
    base, size = _hex(display["vram_phys"]), _hex(display["vram_size"])
    fmt = view["format"]
    width, height = min(fmt["width"], 0xFFFF), min(fmt["height"], 0xFFFF)
    pitch, offset = fmt["bytes_per_line"], fmt["offset"]
    vram = memory.read(base, size)
    out = bytearray()
    n = width * 4
    for line in range(height):
        start = line * pitch + offset
        piece = vram[start:start + n] if start < size else b""
        out += piece + bytes(n - len(piece))
    return Frame(width, height, bytes(out))
