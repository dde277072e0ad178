"""Screenshots of VTL0's display, two ways (docs/framebuffer.md, docs/diag.md):

- through Mezzanine: diag op 4 returns the frame as the framebuffer's view reads it
  through the fixed VTL2 view, run-length encoded, in chunks (DiagClient.screenshot());
- straight from shared guest memory: the host reads VRAM (in the VTL2 region, at the
  physical address inspect "display" reports) with the view's format, applying the same
  rules as the view's read_line (read_vram_frame()).

Both give a Frame of BGRX pixels; Frame.save_png() writes an RGBA PNG (BGRX -> RGBA,
alpha 0xFF). It writes the PNG itself with zlib (png_bytes(): filter 0 on every row, a
compression level by how well a sample of the rows compresses), as PIL's encoder took
100-230 ms for a noisy 1024x768 frame (docs/benchmarks.md, issue 11); image() still gives
a PIL image.
"""

import struct
import zlib
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


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_IHDR = struct.Struct(">IIBBBBB")   # width, height, depth, colour type, compression, filter, interlace
PNG_COLOUR_RGBA = 6
PNG_SAMPLE_ROWS = 32        # rows compressed to choose the level
PNG_STORE_ABOVE = 0.75      # compressed / raw of the sample above which rows are stored


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return b"".join((struct.pack(">I", len(data)), tag, data,
                     struct.pack(">I", zlib.crc32(data, zlib.crc32(tag)))))


def _png_level(rows: bytes, row_bytes: int) -> int:
    """zlib level 1 (fast, and text screens still shrink ~60x), or 0 (stored) when a sample
    of rows spread over the frame hardly compresses: noise or a photo would cost tens of
    ms at level 1 to save 10-15 %."""
    count = len(rows) // row_bytes
    if count == 0:
        return 1
    step = max(1, count // PNG_SAMPLE_ROWS)
    sample = b"".join(rows[i * row_bytes:(i + 1) * row_bytes] for i in range(0, count, step))
    return 0 if len(zlib.compress(sample, 1)) > PNG_STORE_ABOVE * len(sample) else 1


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

    def rgba_bytes(self) -> bytearray:
        """The pixels as RGBA, 4 bytes each, alpha 0xFF."""
        src = self.bgrx
        out = bytearray(src)
        out[0::4] = src[2::4]
        out[2::4] = src[0::4]
        out[3::4] = b"\xff" * (len(src) // 4)
        return out

    def png_bytes(self) -> bytes:
        """The frame as a PNG file: RGBA, 8 bits a channel, no interlace."""
        stride = 4 * self.width
        pixels = self.rgba_bytes()
        # Each row is its filter type (0, none) and its pixels.
        rows = b"\x00".join(pixels[i:i + stride] for i in range(0, len(pixels), stride))
        rows = b"\x00" + rows if rows else b""
        ihdr = PNG_IHDR.pack(self.width, self.height, 8, PNG_COLOUR_RGBA, 0, 0, 0)
        return b"".join((PNG_SIGNATURE, _png_chunk(b"IHDR", ihdr),
                         _png_chunk(b"IDAT", zlib.compress(rows, _png_level(rows, stride + 1))),
                         _png_chunk(b"IEND", b"")))

    def save_png(self, path: Union[str, Path]) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(self.png_bytes())
        return path

    def same_pixels(self, other: "Frame") -> bool:
        """Same size and the same colours (the X byte ignored, as in the PNG)."""
        return (self.width, self.height) == (other.width, other.height) and \
            self.rgb_bytes() == other.rgb_bytes()


def decode_lines(data: bytes, width: int, lines: int) -> bytes:
    """The BGRX bytes of `lines` RLE32-encoded lines of `width` pixels (all of data).

    Token by token, the work per token in C (bytes repetition and slices). A line whose
    encoding is byte for byte the previous line's is that line again (a line decodes
    from its own bytes alone): it is copied, not parsed -- flat backgrounds, tiles and
    blank text lines repeat, and a 1024x768 frame can hold 25,000 tokens."""
    out = bytearray()
    pos, end = 0, len(data)
    prev_encoded, prev_pixels = None, b""
    for _ in range(lines):
        if prev_encoded is not None and data.startswith(prev_encoded, pos):
            out += prev_pixels
            pos += len(prev_encoded)
            continue
        start, first = pos, len(out)
        left = width
        while left > 0:
            if pos + 2 > end:
                raise ScreenshotError("chunk ends inside a line")
            token = data[pos] | data[pos + 1] << 8
            count = (token & 0x7FFF) + 1
            if count > left:
                raise ScreenshotError(f"token of {count} pixels overruns a line of {width}")
            left -= count
            if token & RUN:
                out += data[pos + 2:pos + 6] * count
                pos += 6
            else:
                pos += 2 + 4 * count
                out += data[pos - 4 * count:pos]
        if pos > end:
            raise ScreenshotError("chunk ends inside a token")
        prev_encoded, prev_pixels = data[start:pos], out[first:]
    if pos != end:
        raise ScreenshotError(f"{end - pos} bytes left after {lines} lines")
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
