"""Issue 6 acceptance with a real VGA BIOS: SeaBIOS in VTL0 finds Mezzanine's display
("other display"), runs Debian's SeaVGABIOS from its expansion ROM BAR, and SeaVGABIOS
draws SeaBIOS's boot text into VRAM (timer-driven text console). The screenshot through
the fixed VTL2 view shows it, and agrees with the host's read of shared memory.
`tools/mezz run` does the same by default and writes the picture where it says.
"""

import re
import subprocess
import time
from pathlib import Path

import pytest
from PIL import Image

from harness import REPO_ROOT

SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
VGABIOS = Path("/usr/share/seabios/vgabios-bochs-display.bin")
MEZZ = REPO_ROOT / "tools" / "mezz"
BOOT_S = 20
MODE = re.compile(r"vtl0: debugcon: bochs-display: using (\d+)x(\d+), 32 bpp")
FIRST_LINE = "SeaBIOS (version 1.16.2-debian-1.16.2-1)"
GLYPH_W, GLYPH_H = 8, 16            # SeaVGABIOS's text console font


@pytest.fixture
def seabios():
    for path in (SEABIOS, VGABIOS):
        if not path.is_file():
            pytest.fail(f"{path} is missing: install Debian's seabios package", pytrace=False)


def lit_columns(frame, top, bottom):
    """x of every non-black pixel in rows [top, bottom)."""
    rgb = frame.rgb_bytes()
    xs = set()
    for y in range(top, bottom):
        row = rgb[3 * frame.width * y:3 * frame.width * (y + 1)]
        xs.update(i // 3 for i, v in enumerate(row) if v)
    return xs


def stable_pair(machine, tmp_path, tries=5):
    """A screenshot and a shared-memory read of the same instant: Mezzanine's snapshot is
    taken between two host reads made just before it and just after it; if those agree,
    nothing changed around it (SeaVGABIOS blinks its cursor every 8 timer ticks, so a
    changing frame is retried)."""
    display = machine.inspect("display")
    for _ in range(tries):
        around = []
        read = lambda: around.append(machine.framebuffer_from_memory(display))  # noqa: E731
        read()
        frame = machine.screenshot(tmp_path / "seabios.png", on_snapshot=read)
        before, after = around[0], around[-1]
        if len(around) == 2 and before.bgrx == after.bgrx:
            return frame, before
    pytest.fail(f"the frame kept changing over {tries} tries")


def test_seavgabios_draws_the_boot_text(vm, seabios, tmp_path):
    machine = vm(vtl0=SEABIOS, timeout=BOOT_S + 20)
    machine.wait_for_log(r"vtl0: debugcon: No bootable device", BOOT_S)
    console = machine.console
    assert re.search(r"display: expansion ROM: VGA BIOS of 28672 bytes", console)
    assert "vtl0: debugcon: Other display found at 00:02.0" in console
    assert "vtl0: debugcon: Start SeaVGABIOS" in console
    assert "vtl0: debugcon: bochs-display: id is 0xb0c5, good" in console
    assert "vtl0: debugcon: Hooking hardware timer irq" in console
    width, height = map(int, MODE.search(console).groups())
    assert (width, height) == (1024, 768)            # the preferred mode of our EDID

    frame, memory = stable_pair(machine, tmp_path)
    assert (frame.width, frame.height) == (width, height)
    assert frame.bgrx == memory.bgrx
    assert not frame.is_blank()
    # The first text row holds FIRST_LINE: lit pixels within its width, none after.
    xs = lit_columns(frame, 0, GLYPH_H)
    assert xs and max(xs) < len(FIRST_LINE) * GLYPH_W
    assert min(xs) < GLYPH_W                         # "S" starts the line
    # The PNG the harness wrote is that frame, RGBA with opaque alpha.
    with Image.open(tmp_path / "seabios.png") as png:
        assert png.mode == "RGBA" and png.size == (width, height)
        assert png.getextrema()[3] == (255, 255)
    display = machine.inspect("display")
    assert display["framebuffer"]["mapped"]
    assert display["device"]["counters"]["modes_set"] >= 1


def test_mezz_run_writes_the_picture_and_mezz_screenshot_too(kernel, seabios, tmp_path):
    shot = tmp_path / "run.png"
    run = subprocess.Popen([str(MEZZ), "run", "--kernel", str(kernel), "--vtl0", str(SEABIOS),
                            "--timeout", str(BOOT_S + 10), "--screenshot", str(shot)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + BOOT_S
        line = ""
        while time.monotonic() < deadline and "(1024x768)" not in line:
            line = run.stderr.readline()     # the first picture may predate the mode
        assert f"mezz: screenshot of VTL0's display (1024x768) written to {shot}" in line, line
        other = tmp_path / "cli.png"
        result = subprocess.run([str(MEZZ), "screenshot", "--pid", str(run.pid), str(other)],
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == f"{other}: 1024x768"
        for path in (shot, other):
            with Image.open(path) as png:
                assert png.mode == "RGBA" and png.size == (1024, 768)
                assert png.getextrema()[0][1] > 0            # not all black
    finally:
        run.terminate()
        run.wait(15)
