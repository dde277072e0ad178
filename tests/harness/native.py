"""Run a firmware image as QEMU's own BIOS, without Mezzanine.

This proves the test firmware by itself: with no test device at 0xE0 the firmware runs
its built-in script (testscript.embed() puts any script there) and prints the same
`testdev: ...` lines on the debug console (port 0x402) that Mezzanine would log.

    run = run_firmware(embed(TESTFW.read_bytes(), script), timeout=10)
    assert run.halt.reason is HaltReason.POWER_OFF
    results = testdev_results(run.debugcon, script)

The halt is classified exactly as for Mezzanine runs (halt.classify_halt): QMP SHUTDOWN
reason, `Triple fault` in the -d cpu_reset log, or TIMEOUT when the firmware never ends
the machine (a `hlt` operation, or the end of its script).
"""

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence, Union

from .halt import Halt, classify_halt
from .qmp import QmpClient, QmpError, connect_unix

QEMU_BINARY = "qemu-system-x86_64"
DEBUGCON_PORT = 0x402
START_TIMEOUT_S = 10.0
IDLE_POLL_S = 0.05


@dataclass(frozen=True)
class NativeRun:
    """How the run ended, the debug console's text, and QEMU's -d cpu_reset log."""

    halt: Halt
    debugcon: str
    debug_log: str
    argv: tuple


def build_native_command(bios: Path, run_dir: Path, memory_mb: int,
                         extra: Sequence[str] = ()) -> list:
    """The QEMU argv: the pc machine of SPEC section 1, the image as its BIOS."""
    return [QEMU_BINARY, "-M", "pc", "-accel", "tcg", "-cpu", "max",
            "-m", f"{memory_mb}M", "-smp", "1", "-nodefaults", "-no-reboot",
            "-display", "none", "-vga", "none", "-S",
            "-bios", str(bios),
            "-chardev", f"file,id=debugcon,path={run_dir / 'debugcon.txt'}",
            "-device", f"isa-debugcon,iobase={DEBUGCON_PORT:#x},chardev=debugcon",
            "-qmp", f"unix:{run_dir / 'qmp.sock'},server=on,wait=off",
            "-d", "cpu_reset", "-D", str(run_dir / "qemu-debug.log"),
            *extra]


def run_firmware(image: Union[bytes, str, Path], timeout: float = 10.0,
                 memory_mb: int = 128, extra: Sequence[str] = (),
                 idle: Optional[float] = None) -> NativeRun:
    """Boot image (bytes or a path) as the BIOS until the machine halts or timeout
    seconds pass (then QEMU is killed and the halt is TIMEOUT).

    idle: for a firmware expected to stop without ending the machine (hlt, the end of
    its script): also give up, as TIMEOUT, once the debug console has printed something
    and then stayed silent for this many seconds."""
    run_dir = Path(tempfile.mkdtemp(prefix="mezz-native-"))
    proc = None
    qmp = None
    try:
        bios = run_dir / "bios.bin"
        if isinstance(image, (bytes, bytearray)):
            bios.write_bytes(image)
        else:
            shutil.copyfile(image, bios)
        argv = build_native_command(bios, run_dir, memory_mb, extra)
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        qmp = QmpClient(connect_unix(run_dir / "qmp.sock", deadline,
                                     lambda: proc.poll() is None))
        qmp.negotiate()
        try:
            qmp.execute("cont")
        except QmpError:
            if proc.poll() is None:
                raise
        timed_out = not _wait(proc, run_dir / "debugcon.txt", timeout, idle)
        if timed_out:
            proc.kill()
            proc.wait()
        qmp.wait_closed(2.0)
        shutdown = qmp.first_event("SHUTDOWN")
        debug_log = _read(run_dir / "qemu-debug.log")
        halt = classify_halt(exit_status=proc.returncode,
                             shutdown_reason=shutdown.get("data", {}).get("reason")
                             if shutdown else None,
                             debug_log=debug_log, console="", timed_out=timed_out,
                             timeout_s=timeout)
        return NativeRun(halt, _read(run_dir / "debugcon.txt"), debug_log, tuple(argv))
    finally:
        if qmp is not None:
            qmp.close()
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        shutil.rmtree(run_dir, ignore_errors=True)


def _wait(proc: subprocess.Popen, debugcon: Path, timeout: float,
          idle: Optional[float]) -> bool:
    """True if QEMU exited by itself within timeout (and before going idle)."""
    deadline = time.monotonic() + timeout
    if idle is None:
        try:
            proc.wait(timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    size, quiet_since = 0, time.monotonic()
    while time.monotonic() < deadline:
        try:
            proc.wait(IDLE_POLL_S)
            return True
        except subprocess.TimeoutExpired:
            pass
        now_size = debugcon.stat().st_size if debugcon.exists() else 0
        if now_size != size:
            size, quiet_since = now_size, time.monotonic()
        elif size and time.monotonic() - quiet_since >= idle:
            return False
    return False


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
