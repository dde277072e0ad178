#!/usr/bin/python3
"""Screenshots: one full-frame PNG through the diag channel vs. the same frame read by the
host from shared memory, in one run.

Boots Mezzanine with the test firmware, which sets 1024x768x32 and draws the DRAW pattern
(32x32 tiles: RLE-friendly); then, in the same run, the host fills VRAM with random bytes
through shared memory (the worst case for the encoding: every pixel a literal, larger
than the 2 MiB snapshot buffer, so served live). For each frame it times, N times each:
  diag    vm.screenshot(): snapshot + RLE chunks over COM3 + decode + PNG
  memory  vm.framebuffer_from_memory(): inspect + 8 MiB read of the shared file + PNG
and checks the two frames are equal. Prints medians, bytes over the wire, chunks.

Both transports in the same run, one VM each: the diag rings (default) and COM3
(mezz.transport=uart, fewer repetitions: it takes seconds per frame).

Usage: tools/bench/screenshot.py [--n 5] [--uart-n 1] [--transports ring,uart]
       [--kernel build/kernel.bin] [--json]
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import Vm  # noqa: E402
from harness.paths import DEFAULT_KERNEL, TESTFW  # noqa: E402
from harness.testscript import PCI_BAR0, Script, pattern_frame, pci_address  # noqa: E402

BAR = 0xE0000000
WIDTH, HEIGHT = 1024, 768


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


def diag_bytes_out(vm, transport):
    """Bytes Mezzanine sent on diag: the ring's payload bytes, or what came over COM3."""
    if transport == "ring":
        return vm.inspect("diag/ring/tx_bytes")
    return vm.diag_bytes_received


def measure(vm, n, png_dir, label, transport):
    diag_s, mem_s, png_s, wire = [], [], [], []
    frame = None
    for i in range(n):
        received = diag_bytes_out(vm, transport)
        frame, t = timed(lambda: vm.screenshot())
        wire.append(diag_bytes_out(vm, transport) - received)
        _, t_png = timed(lambda: frame.save_png(png_dir / f"{label}-diag.png"))
        diag_s.append(t + t_png)
        png_s.append(t_png)
        display = vm.inspect("display")
        mem, t = timed(lambda: vm.framebuffer_from_memory(display))
        _, t_png = timed(lambda: mem.save_png(png_dir / f"{label}-memory.png"))
        mem_s.append(t + t_png)
        if mem.bgrx != frame.bgrx:
            raise SystemExit(f"{label}: the two frames differ")
    return {"frame": label, "transport": transport, "n": n, "live": frame.live,
            "diag_png_s": statistics.median(diag_s), "memory_png_s": statistics.median(mem_s),
            "png_encode_s": statistics.median(png_s), "wire_bytes": statistics.median(wire),
            "raw_bytes": WIDTH * HEIGHT * 4}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5, help="screenshots of each kind per frame")
    parser.add_argument("--uart-n", type=int, default=1, help="the same over the UART (slow)")
    parser.add_argument("--transports", default="ring,uart")
    parser.add_argument("--kernel", type=Path, default=DEFAULT_KERNEL)
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args()
    script = (Script().mode("long").move_bar(pci_address(0, 2, 0), PCI_BAR0, BAR)
              .set_mode(WIDTH, HEIGHT).draw(BAR, WIDTH * 4, WIDTH, HEIGHT, seed=1))
    results = []
    for transport in args.transports.split(","):
        cmdline = "" if transport == "ring" else "mezz.transport=uart"
        n = args.n if transport == "ring" else args.uart_n
        with tempfile.TemporaryDirectory(prefix="mezz-bench-shot-") as tmp, \
                Vm(kernel=args.kernel, vtl0=TESTFW, modules={"testscript": script.encode()},
                   cmdline=cmdline, timeout=900) as vm:
            vm.wait_for_log(r"testdev: DONE", 60)
            if vm.inspect("diag/kind") != transport:
                raise SystemExit(f"asked for {transport}, diag runs on {vm.inspect('diag/kind')}")
            first = vm.screenshot()
            if first.bgrx != pattern_frame(WIDTH, HEIGHT, 1):
                raise SystemExit("the pattern frame is not what the firmware drew")
            results.append(measure(vm, n, Path(tmp), "pattern", transport))
            vram = int(vm.inspect("display/vram_phys"), 16)
            vm.memory.write(vram, os.urandom(WIDTH * HEIGHT * 4))
            results.append(measure(vm, n, Path(tmp), "noise", transport))
    if args.json:
        print(json.dumps(results))
        return 0
    for r in results:
        print(f"[{r['transport']}] {r['frame']:8} {WIDTH}x{HEIGHT}: diag {r['diag_png_s'] * 1000:8.1f} ms, "
              f"memory {r['memory_png_s'] * 1000:6.1f} ms (x{r['diag_png_s'] / r['memory_png_s']:.1f}); "
              f"PNG encoding {r['png_encode_s'] * 1000:.1f} ms of each; "
              f"{r['wire_bytes'] / 1e3:.0f} kB over diag for {r['raw_bytes'] / 1e6:.2f} MB of pixels"
              f"{' (live, no snapshot)' if r['live'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
