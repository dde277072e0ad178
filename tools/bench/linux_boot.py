#!/usr/bin/python3
"""Linux boot: power-on → shell prompt → power-off of Debian's Linux in VTL0 under
Mezzanine, against the same disk image on plain QEMU (the same machine, display, serial
port and disk, no Mezzanine), in one run, interleaved (docs/benchmarks.md, docs/linux.md).

Both start at QEMU's launch. "Prompt" is the busybox shell's prompt on the serial console
(COM1); then `poweroff` is typed and the run ends when QEMU exits (plain) or the host
sees the power-off (Mezzanine). Also prints Mezzanine's exits per boot by kind (inspect
"partition/exits", read at the prompt). The ratio is the median over the interleaved
pairs of Mezzanine's time / plain QEMU's. Target (issue 12): ratio <= 1.3.

Usage: tools/bench/linux_boot.py [--runs N] [--kernel build/kernel.bin]
"""
import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import HaltReason, Vm  # noqa: E402
from harness.paths import BUILD_DIR, DEFAULT_KERNEL  # noqa: E402
from harness.qmp import connect_unix  # noqa: E402
from harness.vtl0_serial import Vtl0Serial  # noqa: E402

DISK = BUILD_DIR / "linux" / "disk.img"
SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
PROMPT = re.compile(r"^vtl0:/root# ", re.MULTILINE)
# Linux's first line on ttyS0: the kernel replays its log when the serial console
# registers, about a second into the kernel, so this marks SeaBIOS + GRUB + early kernel.
KERNEL = re.compile(r"Linux version ")
TIMEOUT_S = 180.0
TARGET = 1.30


def plain_qemu(disk: Path) -> dict:
    """The image on QEMU alone: Mezzanine's QEMU command line (docs/boot-contract.md)
    without Mezzanine, its UARTs and shared RAM; SeaBIOS is QEMU's BIOS and the display
    is QEMU's own bochs-display (Mezzanine emulates one like it for VTL0)."""
    run_dir = Path(tempfile.mkdtemp(prefix="mezz-bench-linux-"))
    sock = run_dir / "serial.sock"
    argv = ["qemu-system-x86_64", "-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", "512M",
            "-smp", "1", "-nodefaults", "-no-reboot", "-display", "none", "-vga", "none",
            "-bios", str(SEABIOS), "-device", "bochs-display",
            "-chardev", f"socket,id=vtl0serial,path={sock},server=on,wait=off",
            "-device", "isa-serial,index=0,iobase=0x3f8,irq=4,chardev=vtl0serial",
            "-drive", f"file={disk},format=raw,if=ide,index=0,snapshot=on"]
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        serial = Vtl0Serial(connect_unix(sock, start + 15, lambda: proc.poll() is None))
        serial.reader.wait_for(KERNEL, TIMEOUT_S)
        kernel = time.monotonic() - start
        if not serial.reader.wait_for(PROMPT, TIMEOUT_S, whole_lines=False):
            raise RuntimeError("plain QEMU: no shell prompt\n" + serial.text[-2000:])
        prompt = time.monotonic() - start
        serial.write(b"poweroff\n")
        status = proc.wait(TIMEOUT_S)
        end = time.monotonic() - start
        serial.close()
        if status != 0:
            raise RuntimeError(f"plain QEMU exited with {status}, not a power-off")
        return {"kernel": kernel, "prompt": prompt, "total": end}
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree(run_dir, ignore_errors=True)


def mezzanine(kernel: Path, disk: Path) -> dict:
    start = time.monotonic()
    with Vm(kernel=kernel, vtl0=SEABIOS, disks=[disk], timeout=TIMEOUT_S) as vm:
        vm.vtl0_serial.reader.wait_for(KERNEL, TIMEOUT_S)
        kernel_start = time.monotonic() - start
        if not vm.vtl0_serial.reader.wait_for(PROMPT, TIMEOUT_S, whole_lines=False):
            raise RuntimeError("Mezzanine: no shell prompt\n" + vm.vtl0_serial.text[-2000:])
        prompt = time.monotonic() - start
        exits = vm.inspect("partition/exits")
        vm.vtl0_serial.write(b"poweroff\n")
        halt = vm.wait_for_halt(TIMEOUT_S)
        end = time.monotonic() - start
        if halt.reason is not HaltReason.POWER_OFF:
            raise RuntimeError(f"Mezzanine: halted with {halt}, not a power-off")
        return {"kernel": kernel_start, "prompt": prompt, "total": end, "exits": exits}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kernel", type=Path, default=DEFAULT_KERNEL)
    parser.add_argument("--disk", type=Path, default=DISK)
    args = parser.parse_args()
    if not args.disk.is_file():
        print(f"{args.disk} does not exist: run `make linux-guest`", file=sys.stderr)
        return 2

    plain, mezz = [], []
    for i in range(args.runs):
        plain.append(plain_qemu(args.disk))
        mezz.append(mezzanine(args.kernel, args.disk))
        print(f"run {i + 1}: plain prompt {plain[-1]['prompt']:.2f} s, power-off "
              f"{plain[-1]['total']:.2f} s; Mezzanine prompt {mezz[-1]['prompt']:.2f} s, "
              f"power-off {mezz[-1]['total']:.2f} s, ratio "
              f"{mezz[-1]['total'] / plain[-1]['total']:.3f}", flush=True)

    med = lambda runs, key: statistics.median(r[key] for r in runs)  # noqa: E731
    # The ratio of each interleaved pair, then the median: a pair shares the machine's
    # load of the moment, which on a shared machine moves more than Mezzanine's cost.
    ratio = statistics.median(m["total"] / p["total"] for m, p in zip(mezz, plain))
    prompt_ratio = statistics.median(m["prompt"] / p["prompt"] for m, p in zip(mezz, plain))
    print(f"median of {args.runs}: plain QEMU {med(plain, 'prompt'):.2f} s to the prompt, "
          f"{med(plain, 'total'):.2f} s to power-off; Mezzanine {med(mezz, 'prompt'):.2f} s, "
          f"{med(mezz, 'total'):.2f} s; ratio (median of the pairs') {ratio:.3f} (to the "
          f"prompt {prompt_ratio:.3f}; target <= {TARGET:.2f}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")
    phases = lambda r: (r["kernel"], r["prompt"] - r["kernel"], r["total"] - r["prompt"])  # noqa: E731
    split = [statistics.median(phases(m)[i] / phases(p)[i] for m, p in zip(mezz, plain))
             for i in range(3)]
    print(f"by phase (median of the pairs' ratios): power-on to Linux's first serial line "
          f"(SeaBIOS, GRUB, early kernel) {split[0]:.3f}, then to the prompt {split[1]:.3f}, "
          f"then to power-off {split[2]:.3f}")
    fastest = min(r["total"] for r in mezz) / min(r["total"] for r in plain)
    print(f"fastest of each: plain QEMU {min(r['total'] for r in plain):.2f} s, Mezzanine "
          f"{min(r['total'] for r in mezz):.2f} s, ratio {fastest:.3f}")
    kinds = sorted(set().union(*(r["exits"] for r in mezz)))
    print("exits per boot (power-on to prompt, median): " + ", ".join(
        f"{kind} {statistics.median(r['exits'].get(kind, 0) for r in mezz):.0f}"
        for kind in kinds if any(r["exits"].get(kind, 0) for r in mezz)))
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
