"""Issue 6 acceptance with the test firmware: VTL0 drives Mezzanine's Bochs-compatible
display (docs/framebuffer.md) and the host checks what Mezzanine sees through its fixed
VTL2 view (diag screenshots), what the host sees in shared memory, and what the GET
transcript says.

Each test boots the test firmware with a script that finds the display, programs BAR0,
sets a DISPI mode through the ports and draws the DRAW pattern
(tests/guests/testfw/draw.c; harness.testscript.pattern_frame computes it).
"""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from PIL import Image

from harness.native import build_native_command
from harness.qmp import QmpClient, connect_unix
from harness.screenshot import Frame
from harness.testdev import testdev_results
from harness.testscript import (PCI_BAR0, PCI_BAR2, PCI_COMMAND, PCI_ROM, Script, embed,
                                pattern_frame, pattern_pixel, pci_address)

MEMORY_MB = 512
RUN_S = 60
DISPLAY = pci_address(0, 2, 0)           # 00:02.0: the first free slot of QEMU's pc bus
VRAM = 8 << 20
BAR_A, BAR_B, BAR_C = 0xE0000000, 0xD0800000, 0xC0000000
MMIO_BAR = 0xFEBF8000
ROM_BAR = 0xFEB00000
SEED = 0x5EED
VGABIOS = "/usr/share/seabios/vgabios-bochs-display.bin"
VIEW_LOG = r"display: .* fixed VTL2 view at (0x[0-9a-f]+)"


def boot(vm, testfw, script, **kwargs):
    kwargs.setdefault("timeout", RUN_S)
    return vm(vtl0=testfw, modules={"testscript": script.encode()}, memory_mb=MEMORY_MB,
              **kwargs)


def run(vm, testfw, script, **kwargs):
    machine = boot(vm, testfw, script, **kwargs)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert not results.failures, results.failures
    return machine, results


def framebuffer_messages(machine):
    """(name, gpa) of each MAP/UNMAP_FRAMEBUFFER request the host received, in order."""
    return [(e["name"], e["fields"].get("gpa")) for e in machine.host.transcript.events
            if e.get("event") == "get" and e.get("dir") == "rx" and
            e.get("name") in ("MAP_FRAMEBUFFER", "UNMAP_FRAMEBUFFER")]


def expected_frame(width, height, seed=SEED):
    return Frame(width, height, pattern_frame(width, height, seed))


def draw_script(width=1024, height=768, bar=BAR_A, seed=SEED, mmio=False):
    """Find the display, place BAR0 (and BAR2, for mmio), set the mode through the ports
    (or BAR2), draw the pattern."""
    script = (Script().mode("long")
              .pci_find(0x1234, 0x1111, name="find")
              .move_bar(DISPLAY, PCI_BAR0, bar, name="bar0"))
    if mmio:
        script.move_bar(DISPLAY, PCI_BAR2, MMIO_BAR, name="bar2")
    return (script.set_mode(width, height, name="mode", mmio=MMIO_BAR if mmio else None)
            .draw(bar, width * 4, width, height, seed=seed, name="draw"))


def assert_png(path, frame):
    with Image.open(path) as png:
        assert png.mode == "RGBA"
        assert png.size == (frame.width, frame.height)
        data = png.tobytes()
    # BGRX -> RGBA, alpha 0xFF everywhere.
    assert data[3::4] == b"\xff" * (frame.width * frame.height)
    assert data[0::4] == frame.bgrx[2::4]
    assert data[1::4] == frame.bgrx[1::4]
    assert data[2::4] == frame.bgrx[0::4]


# ---------------------------------------------------------------- mode, pattern, PNG

def test_pattern_through_the_fixed_view_pixel_for_pixel(vm, testfw, tmp_path):
    machine, results = run(vm, testfw, draw_script())
    assert results.value("find") == DISPLAY
    assert results.value("bar0") == BAR_A | 0x8          # prefetchable memory BAR
    assert results.value("draw") == 1024 * 768
    display = machine.inspect("display")
    assert display["bdf"] == "00:02.0"
    assert display["framebuffer"]["view"]["format"] == {
        "width": 1024, "height": 768, "bytes_per_line": 4096, "offset": 0}

    png = tmp_path / "pattern.png"
    frame = machine.screenshot(png)
    assert (frame.width, frame.height) == (1024, 768)
    assert not frame.live
    assert frame.same_pixels(expected_frame(1024, 768))
    assert_png(png, frame)
    # The host's own read of VRAM in shared memory agrees, byte for byte.
    assert machine.framebuffer_from_memory(display).bgrx == frame.bgrx
    assert framebuffer_messages(machine) == [("MAP_FRAMEBUFFER", BAR_A)]
    # The boot log names the fixed view, as inspect does.
    match = re.search(VIEW_LOG, machine.console)
    assert match and int(match[1], 16) == int(display["view_address"], 16)


def test_a_different_mode_gives_a_png_of_that_size(vm, testfw, tmp_path):
    machine, results = run(vm, testfw, draw_script(800, 600, seed=3))
    png = tmp_path / "800x600.png"
    frame = machine.screenshot(png)
    assert (frame.width, frame.height) == (800, 600)
    with Image.open(png) as image:
        assert image.size == (800, 600)
    assert frame.same_pixels(expected_frame(800, 600, seed=3))
    assert machine.framebuffer_from_memory().bgrx == frame.bgrx


# ---------------------------------------------------------------- BAR0 moves

def test_bar0_moves_twice_while_drawing(vm, testfw):
    stale = BAR_A + 100 * 4096 + 40                 # line 100, pixel 10: drawn before
    script = (Script().mode("long")
              .move_bar(DISPLAY, PCI_BAR0, BAR_A, name="at-a")
              .set_mode(1024, 768)
              .draw(BAR_A, 4096, 1024, 256, 0, SEED, name="top")
              .move_bar(DISPLAY, PCI_BAR0, BAR_B, name="at-b")
              # VRAM moved with the BAR: what was drawn at A reads back at B ...
              .read32(BAR_B + 100 * 4096 + 40, name="moved")
              # ... and a write through the stale address reaches nothing.
              .write32(stale, 0x00ABCDEF, name="stale")
              .draw(BAR_B, 4096, 1024, 256, 256, SEED, name="middle")
              .move_bar(DISPLAY, PCI_BAR0, BAR_C, name="at-c")
              .write32(BAR_B + 300 * 4096, 0x00123456, name="stale-b")
              .draw(BAR_C, 4096, 1024, 256, 512, SEED, name="bottom"))
    machine = boot(vm, testfw, script)
    # The fixed view's address as the boot log gave it, before VTL0 ran.
    view_address = int(machine.wait_for_log(VIEW_LOG, RUN_S)[1], 16)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert not results.failures, results.failures
    assert results.value("moved") == pattern_pixel(10, 100, SEED)
    assert results.value("stale") == 0xFFFFFFFF         # unmapped: all-ones, dropped
    assert results.value("stale-b") == 0xFFFFFFFF

    display = machine.inspect("display")
    assert int(display["view_address"], 16) == view_address   # the fixed view never moved
    assert display["framebuffer"]["mapped"] and int(display["framebuffer"]["gpa"], 16) == BAR_C
    frame = machine.screenshot()
    assert frame.same_pixels(expected_frame(1024, 768))   # the stale writes changed nothing
    assert machine.framebuffer_from_memory(display).bgrx == frame.bgrx
    assert framebuffer_messages(machine) == [
        ("MAP_FRAMEBUFFER", BAR_A), ("UNMAP_FRAMEBUFFER", None), ("MAP_FRAMEBUFFER", BAR_B),
        ("UNMAP_FRAMEBUFFER", None), ("MAP_FRAMEBUFFER", BAR_C)]
    assert machine.inspect("partition/counters/unmapped_writes") >= 2


def test_memory_decoding_off_unmaps(vm, testfw):
    script = (draw_script(seed=9)
              .pci_write16(DISPLAY | PCI_COMMAND, 0, name="off")
              .read32(BAR_A, name="gone")
              .pci_write16(DISPLAY | PCI_COMMAND, 2, name="on")
              .read32(BAR_A + 4096 + 4, name="back"))
    machine, results = run(vm, testfw, script)
    assert results.value("gone") == 0xFFFFFFFF
    assert results.value("back") == pattern_pixel(1, 1, 9)
    assert framebuffer_messages(machine) == [
        ("MAP_FRAMEBUFFER", BAR_A), ("UNMAP_FRAMEBUFFER", None), ("MAP_FRAMEBUFFER", BAR_A)]


# ---------------------------------------------------------------- reset

def test_vtl0_reset_unmaps_and_clears_vram(vm, testfw):
    script = (draw_script(seed=5)
              .reset_cf9(name="reset")
              .mode("long")
              .pci_read32(DISPLAY | PCI_BAR0, name="bar-after")
              .read32(BAR_A, name="vram-after"))
    machine = boot(vm, testfw, script)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.boots == 2
    assert results.value("bar-after") == 0x8             # BAR0 back to its reset value
    assert results.value("vram-after") == 0xFFFFFFFF     # nothing mapped there any more
    display = machine.inspect("display")
    assert not display["framebuffer"]["mapped"]
    assert display["device"]["dispi"]["enable"] == 0
    assert framebuffer_messages(machine) == [("MAP_FRAMEBUFFER", BAR_A),
                                             ("UNMAP_FRAMEBUFFER", None)]
    # VRAM itself is clear, as the host reads it ...
    vram = machine.memory.read(int(display["vram_phys"], 16), VRAM)
    assert vram.count(0) == VRAM
    # ... and as Mezzanine's view does (the format stays until VTL0 sets another).
    frame = machine.screenshot()
    assert (frame.width, frame.height) == (1024, 768) and frame.is_blank()


# ---------------------------------------------------------------- registers

def test_dispi_registers_through_ports_and_bar2(vm, testfw):
    script = (Script().mode("long")
              .pci_read32(DISPLAY, name="ids")
              .pci_read32(DISPLAY | 0x08, name="class")
              .pci_write32(DISPLAY | PCI_BAR0, 0xFFFFFFFF, name="bar0-size")
              .pci_write32(DISPLAY | PCI_BAR2, 0xFFFFFFFF, name="bar2-size")
              .move_bar(DISPLAY, PCI_BAR2, MMIO_BAR)
              .dispi_read("id", name="id")
              .dispi_read("video_memory_64k", name="vram-64k")
              # BAR2 is MMIO: #NPF, Mezzanine's decoder, the device's registers.
              .read16(MMIO_BAR + 0x500, name="mmio-id")
              .read32(MMIO_BAR, name="edid")
              .write16(MMIO_BAR + 0x502, 640, name="mmio-xres")
              .dispi_read("xres", name="port-xres")
              .read32(MMIO_BAR + 0x604, name="byteorder"))
    machine, results = run(vm, testfw, script)
    assert results.value("ids") == 0x11111234
    assert results.value("class") == 0x03800002
    assert results.value("bar0-size") == 0xFF800008
    assert results.value("bar2-size") == 0xFFFFF000
    assert results.value("id") == 0xB0C5
    assert results.value("vram-64k") == 128
    assert results.value("mmio-id") == 0xB0C5
    assert results.value("edid") == 0xFFFFFF00
    assert results.value("mmio-xres") == 640
    assert results.value("port-xres") == 640
    assert results.value("byteorder") == 0x1E1E1E1E


def test_other_depths_are_refused_visibly(vm, testfw):
    script = (draw_script(seed=1)
              .set_mode(640, 480, bpp=16, name="16bpp")
              .set_mode(640, 480, bpp=8, name="8bpp"))
    machine, _ = run(vm, testfw, script)
    display = machine.inspect("display")
    assert display["device"]["counters"]["modes_refused"] == 2
    assert display["framebuffer"]["view"]["format"]["width"] == 1024     # unchanged
    assert machine.screenshot().same_pixels(expected_frame(1024, 768, seed=1))


def test_rom_bar_serves_the_vga_bios_read_only(vm, testfw):
    rom = open(VGABIOS, "rb").read()
    script = (Script().mode("long")
              .pci_write32(DISPLAY | PCI_ROM, 0xFFFFFFFE, name="rom-size")
              .move_bar(DISPLAY, PCI_ROM, ROM_BAR | 1, name="rom-on")
              .read32(ROM_BAR, name="header")
              .read32(ROM_BAR + 0x6F20, name="pcir")
              .write32(ROM_BAR, 0, name="write")
              .pci_write32(DISPLAY | PCI_ROM, ROM_BAR, name="rom-off")
              .read32(ROM_BAR, name="off"))
    machine, results = run(vm, testfw, script, vgabios=VGABIOS)
    assert results.value("rom-size") == 0xFFFF8000       # 28 KiB rounded up to 32 KiB
    assert results.value("header") == int.from_bytes(rom[:4], "little")
    assert results.value("pcir") == int.from_bytes(rom[0x6F20:0x6F24], "little")
    assert results.value("write") == int.from_bytes(rom[:4], "little")   # read-only
    assert results.value("off") == 0xFFFFFFFF
    assert machine.inspect("display/rom_size") == len(rom)


def test_a_host_refusing_map_framebuffer_is_not_fatal(vm, testfw):
    # TIMER_IRQ first: a second of VTL0 time to arm the fault before BAR0 is set.
    script = (Script().timer_irq(1000)
              .mode("long").move_bar(DISPLAY, PCI_BAR0, BAR_A).set_mode(1024, 768)
              .draw(BAR_A, 4096, 1024, 768, 0, 2, name="draw"))
    machine = boot(vm, testfw, script)
    machine.ged.inject("MAP_FRAMEBUFFER", "refuse")
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    assert re.search(r"display: MAP_FRAMEBUFFER: the host answered status 1", machine.console)
    assert machine.inspect("display/host_failures") == 1
    assert machine.screenshot().same_pixels(expected_frame(1024, 768, seed=2))


# ---------------------------------------------------------------- the same script on QEMU's device

def native_screendump(testfw, script, timeout=20.0):
    """Run the firmware with script built in as QEMU's BIOS, with QEMU's own bochs-display
    (no Mezzanine), and return QEMU's screendump of it once the script is done."""
    run_dir = Path(tempfile.mkdtemp(prefix="mezz-display-native-"))
    bios = run_dir / "bios.bin"
    bios.write_bytes(embed(Path(testfw).read_bytes(), script))
    argv = build_native_command(bios, run_dir, 128, ["-device", "bochs-display,vgamem=8M"])
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    qmp = None
    try:
        deadline = time.monotonic() + timeout
        qmp = QmpClient(connect_unix(run_dir / "qmp.sock", deadline, lambda: proc.poll() is None))
        qmp.negotiate()
        qmp.execute("cont")
        debugcon = run_dir / "debugcon.txt"
        while "testdev: DONE" not in (debugcon.read_text() if debugcon.exists() else ""):
            assert time.monotonic() < deadline and proc.poll() is None, "the script did not finish"
            time.sleep(0.05)
        qmp.execute("screendump", {"filename": str(run_dir / "dump.png"), "format": "png"})
        with Image.open(run_dir / "dump.png") as dump:
            return dump.convert("RGB").copy(), debugcon.read_text()
    finally:
        if qmp is not None:
            qmp.close()
        proc.kill()
        proc.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def test_the_script_draws_the_same_picture_on_qemus_bochs_display(testfw):
    """The test's own yardstick: the same mode-setting and drawing, run against QEMU's
    real bochs-display, shows pattern_frame() too (so the firmware, the pattern's Python
    twin and the DISPI sequence agree with the device Mezzanine's display imitates)."""
    script = draw_script(800, 600, seed=11, mmio=True)
    image, debugcon = native_screendump(testfw, script)
    assert "FAIL" not in debugcon, debugcon
    assert image.size == (800, 600)
    assert image.tobytes() == expected_frame(800, 600, seed=11).rgb_bytes()


def test_mode_set_through_bar2_under_mezzanine(vm, testfw):
    """The same script under Mezzanine: DISPI through BAR2 (MMIO: #NPF and Mezzanine's
    instruction decoder) gives the same frame."""
    machine, results = run(vm, testfw, draw_script(800, 600, seed=11, mmio=True))
    assert results.value("mode") == 0x41
    assert machine.screenshot().same_pixels(expected_frame(800, 600, seed=11))
