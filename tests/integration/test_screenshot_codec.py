"""The host side of screenshots without a VM (harness/screenshot.py): RLE32 decoding,
chunk headers, BGRX -> RGBA PNG, the host's read of VRAM with the view's rules, and the
harness's choice of the VGA BIOS module and PAM backend (harness/qemu.py)."""

import struct
from pathlib import Path

import pytest
from PIL import Image

from harness.qemu import DEFAULT_VGABIOS, QemuConfig, kernel_cmdline, with_default_vgabios
from harness.screenshot import (CHUNK, Frame, ScreenshotError, decode_lines, parse_chunk,
                                read_vram_frame, screenshot_request)

SEABIOS = Path("/usr/share/seabios/bios-256k.bin")


def run(count, pixel):
    return struct.pack("<H", 0x8000 | (count - 1)) + pixel


def literal(*pixels):
    return struct.pack("<H", len(pixels) - 1) + b"".join(pixels)


P, Q, R = b"\x01\x02\x03\x00", b"\x10\x20\x30\x00", b"\xff\xff\xff\x00"


def test_decode_runs_and_literals():
    data = run(3, P) + literal(Q, R) + run(1, P) + literal(R, R, Q)
    assert decode_lines(data, 9, 1) == P * 3 + Q + R + P + R + R + Q
    assert decode_lines(run(4, P) + run(4, Q), 4, 2) == P * 4 + Q * 4


@pytest.mark.parametrize("data, width, lines", [
    (run(5, P), 4, 1),                  # a token past the end of the line
    (run(2, P)[:3], 2, 1),              # cut inside a token
    (literal(P, Q)[:-1], 2, 1),         # cut inside the literal pixels
    (run(2, P) + b"\x00", 2, 1),        # bytes left over
    (run(2, P), 2, 2),                  # fewer lines than said
])
def test_decode_rejects_malformed_input(data, width, lines):
    with pytest.raises(ScreenshotError):
        decode_lines(data, width, lines)


def test_chunk_header():
    body = CHUNK.pack(2, 5, 3, 1, 1, 0, 7, 6) + run(2, P)
    header, pixels = parse_chunk(body)
    assert header == dict(width=2, height=5, first_line=3, lines=1, flags=0, seq=7)
    assert pixels == P * 2
    with pytest.raises(ScreenshotError):
        parse_chunk(CHUNK.pack(2, 5, 3, 1, 2, 0, 7, 6) + run(2, P))     # encoding
    with pytest.raises(ScreenshotError):
        parse_chunk(CHUNK.pack(2, 5, 3, 1, 1, 0, 7, 9) + run(2, P))     # data_len
    assert screenshot_request(12, True) == b"\x0c\x00\x01\x00"


def test_png_is_rgba_with_opaque_alpha(tmp_path):
    # BGRX pixels with junk in X: the PNG has R, G, B swapped into place and alpha 0xFF.
    frame = Frame(2, 1, bytes([0x11, 0x22, 0x33, 0x99, 0xAA, 0xBB, 0xCC, 0x00]))
    path = frame.save_png(tmp_path / "a" / "f.png")
    with Image.open(path) as png:
        assert png.mode == "RGBA" and png.size == (2, 1)
        assert list(png.getdata()) == [(0x33, 0x22, 0x11, 0xFF), (0xCC, 0xBB, 0xAA, 0xFF)]
    assert frame.pixel(1, 0) == (0xCC, 0xBB, 0xAA)
    assert frame.same_pixels(Frame(2, 1, bytes([0x11, 0x22, 0x33, 0, 0xAA, 0xBB, 0xCC, 7])))
    assert not frame.is_blank() and Frame(1, 1, b"\x00\x00\x00\x55").is_blank()


class FakeMemory:
    def __init__(self, base, data):
        self.base, self.data = base, data

    def read(self, gpa, length):
        assert gpa == self.base and length == len(self.data)
        return self.data


def display(width, height, pitch, offset, has_format=True, size=64):
    return {"vram_phys": "0x1000", "vram_size": hex(size),
            "framebuffer": {"view": {"has_format": has_format, "format": {
                "width": width, "height": height, "bytes_per_line": pitch, "offset": offset}}}}


def test_host_read_follows_the_views_rules():
    vram = bytes(range(64))
    memory = FakeMemory(0x1000, vram)
    assert read_vram_frame(memory, display(2, 2, 16, 4)).bgrx == vram[4:12] + vram[20:28]
    # A line straddling the end of VRAM: the rest reads as zero; past it, all zero.
    assert read_vram_frame(memory, display(4, 2, 40, 8)).bgrx == vram[8:24] + vram[48:64]
    assert read_vram_frame(memory, display(2, 1, 0, 60)).bgrx == vram[60:64] + bytes(4)
    assert read_vram_frame(memory, display(1, 1, 0, 1 << 31)).bgrx == bytes(4)
    # Zero pitch repeats line 0; no format yet is one black pixel.
    assert read_vram_frame(memory, display(1, 3, 0, 0)).bgrx == vram[0:4] * 3
    assert read_vram_frame(memory, display(9, 9, 0, 0, has_format=False)) == Frame(1, 1, bytes(4))


def test_vgabios_module_and_pam_choice(tmp_path):
    fw = tmp_path / "fw.bin"
    fw.write_bytes(b"not a BIOS")
    script = ((Path("s.bin"), "testscript"),)
    assert with_default_vgabios(fw, script) == script
    assert with_default_vgabios(fw, script, True) == script + ((DEFAULT_VGABIOS, "vgabios"),)
    assert with_default_vgabios(fw, (), tmp_path / "v.bin") == ((tmp_path / "v.bin", "vgabios"),)
    if SEABIOS.is_file() and DEFAULT_VGABIOS.is_file():
        assert with_default_vgabios(SEABIOS, ()) == ((DEFAULT_VGABIOS, "vgabios"),)
        assert with_default_vgabios(SEABIOS, (), False) == ()
    mine = ((tmp_path / "mine.bin", "vgabios"),)
    assert with_default_vgabios(SEABIOS, mine) == mine          # an explicit module wins
    kernel = tmp_path / "k.bin"
    # The host picks the PAM rules by what the firmware does with option ROMs, not by
    # the VGA BIOS module (docs/pam.md): SeaBIOS copies them -> faithful; other firmware
    # -> OpenHCL's; no host -> nothing (Mezzanine's local backend); explicit wins.
    with_vga = QemuConfig(kernel=kernel, vtl0=fw, modules=mine)
    assert kernel_cmdline(with_vga).split() == ["mezz.pam=openhcl"]
    assert kernel_cmdline(QemuConfig(kernel=kernel, vtl0=fw)).split() == ["mezz.pam=openhcl"]
    assert kernel_cmdline(QemuConfig(kernel=kernel, vtl0=fw, no_host=True)).split() == []
    assert kernel_cmdline(QemuConfig(kernel=kernel)).split() == []
    explicit = QemuConfig(kernel=kernel, vtl0=fw, modules=mine, cmdline="mezz.pam=get")
    assert kernel_cmdline(explicit).split() == ["mezz.pam=get"]
    if SEABIOS.is_file():
        seabios = kernel_cmdline(QemuConfig(kernel=kernel, vtl0=SEABIOS, modules=mine)).split()
        assert seabios == ["mezz.pam=faithful", "mezz.bridge_id=i440fx"]
        assert "mezz.pam=faithful" in kernel_cmdline(QemuConfig(kernel=kernel, vtl0=SEABIOS))
        local = QemuConfig(kernel=kernel, vtl0=SEABIOS, cmdline="mezz.pam=local")
        assert kernel_cmdline(local).split() == ["mezz.pam=local", "mezz.bridge_id=i440fx"]
