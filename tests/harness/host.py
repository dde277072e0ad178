"""The host program for one Mezzanine run (the "GED" in OpenVMM's terms).

A Host owns the QEMU process and every channel to it:
- Mezzanine's console (QEMU stdout = COM4), read by a ConsoleReader into a buffer and a
  log file;
- VTL0's serial console (RUN/vtl0-serial.sock, COM1), a Vtl0Serial: its own buffer, log
  file and echo, and the way in for the shell agent;
- QMP (RUN/qmp.sock), for `cont` and for the SHUTDOWN event;
- the GET (RUN/get.sock, COM2) and diag (RUN/diag.sock, COM3) sockets, held open;
- guest RAM (RUN/guest-ram), mapped as GuestMemory.

Lifecycle: Host(...).start() launches QEMU paused (-S), connects QMP, negotiates,
connects GET and diag, maps guest RAM, records a "start" event, then sends `cont`. A
supervisor thread waits for QEMU to exit or for the wall-clock timeout (counted from
`cont`; on expiry QEMU is SIGKILLed), then classifies the halt (halt.classify_halt),
records a "halt" event and sets `ended`. close() always tears everything down: QEMU
killed by PID (SIGTERM, SIGKILL after a short grace), sockets closed, logs copied out,
the RUN directory (with its shared guest RAM file) removed. If the Python process exits
without close(), a finalizer still kills QEMU and removes the RUN directory; if it is
SIGKILLed, QEMU dies too (setpriv --pdeathsig) and the next run sweeps the directory.
"""

import shutil
import signal
import subprocess
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Callable, Dict, Optional

from .diag import DiagClient, DiagProxy
from .ged import Ged
from .console import ConsoleReader
from .errors import HarnessError, StartError, UnclassifiedHalt
from .guest_memory import GuestMemory
from .halt import Halt, HaltReason, classify_halt
from .qemu import (QemuConfig, RunPaths, build_command, make_run_dir, prepare_run,
                   remove_run_dir)
from .qmp import QmpClient, QmpError, connect_unix
from .transcript import Transcript
from .vtl0_serial import Vtl0Serial

STOP_GRACE_S = 1.0
START_TIMEOUT_S = 15.0

_KILL_TIMEOUT = "timeout"
_KILL_STOP = "stop"
_KILL_GET_HALT = "get-halt"
HALT_POLL_S = 0.05   # how often wait() looks for a VTL0 that stopped itself


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _emergency_cleanup(proc_box: list, paths_box: list) -> None:
    """Finalizer: kill QEMU and delete the RUN dir if the Host was never closed."""
    for proc in proc_box:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for paths in paths_box:
        remove_run_dir(paths)


class Host:
    """One QEMU run and its channels. See the module docstring for the lifecycle.

    After start(), while running: `console`, `qmp`, `get`, `diag`, `memory`, `pid`.
    After `ended` is set: exactly one of
      `halt`        the classified Halt,
      `halt_error`  an UnclassifiedHalt (QEMU ended in a way the contract does not cover),
      `stopped`     True: the host stopped QEMU before the guest halted.
    """

    def __init__(self, config: QemuConfig, *, timeout: float,
                 console_log: Optional[Path] = None,
                 debug_log_copy: Optional[Path] = None,
                 stderr_copy: Optional[Path] = None,
                 transcript: Optional[Path] = None,
                 console_echo: Optional[Callable[[str], None]] = None,
                 vtl0_serial_log: Optional[Path] = None,
                 vtl0_serial_echo: Optional[Callable[[str], None]] = None,
                 vtl0_serial_raw_echo: Optional[Callable[[bytes], None]] = None):
        """timeout: wall-clock seconds the guest may run (from `cont`) before TIMEOUT.

        console_log: file that receives the console as it arrives.
        debug_log_copy / stderr_copy: where qemu-debug.log / QEMU's stderr are copied on
        close() (they live in the RUN dir, which is deleted).
        transcript: JSON-lines file of host events (see transcript.py).
        console_echo: called with each new piece of console text.
        vtl0_serial_log / vtl0_serial_echo: the same for VTL0's serial console (COM1);
        vtl0_serial_raw_echo gets its bytes unchanged (for a terminal).
        """
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.config = config
        self.timeout = timeout
        self._console_log = console_log
        self._debug_log_copy = debug_log_copy
        self._stderr_copy = stderr_copy
        self._console_echo = console_echo
        self._vtl0_serial_log = vtl0_serial_log
        self._vtl0_serial_echo = vtl0_serial_echo
        self._vtl0_serial_raw_echo = vtl0_serial_raw_echo
        self.vtl0_serial: Optional[Vtl0Serial] = None   # VTL0's COM1
        self.transcript = Transcript(transcript)
        self.paths: Optional[RunPaths] = None
        self.argv: Optional[list] = None
        self.console: Optional[ConsoleReader] = None
        self.qmp: Optional[QmpClient] = None
        self.get: Optional[Ged] = None          # the GED (GET host end, COM2)
        self.diag: Optional[DiagClient] = None  # diag channel client (COM3)
        self.diag_proxy: Optional[DiagProxy] = None
        # A halt the GET reported (POWER_OFF, TRIPLE_FAULT): (HaltReason, detail, regs).
        self.get_halt: Optional[tuple] = None
        # VTL0 stopped itself (EXT_VTL0_HALTED): the VM ends when someone waits for it.
        self.vtl0_halted = threading.Event()
        self.memory: Optional[GuestMemory] = None
        self.halt: Optional[Halt] = None
        self.halt_error: Optional[UnclassifiedHalt] = None
        self.stopped = False
        self.ended = threading.Event()
        self._proc: Optional[subprocess.Popen] = None
        self._kill_lock = threading.Lock()
        self._kill_cause: Optional[str] = None
        self._supervisor: Optional[threading.Thread] = None
        self._closed = False
        # The finalizer must not hold self; it sees the process and RUN dir through boxes.
        self._proc_box: list = []
        self._paths_box: list = []
        self._finalizer = weakref.finalize(self, _emergency_cleanup,
                                           self._proc_box, self._paths_box)

    # ----------------------------------------------------------------- start

    @property
    def pid(self) -> Optional[int]:
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """QEMU has been started and has not exited."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> None:
        """Launch QEMU and let the CPU run. Raises StartError (after full cleanup)."""
        if self._proc is not None or self._closed:
            raise HarnessError("a Host can be started once")
        try:
            self._launch()
        except (OSError, ValueError, HarnessError, subprocess.CalledProcessError) as error:
            stderr = _read_text(self.paths.qemu_stderr).strip() if self.paths else ""
            message = f"could not start: {error}"
            if stderr:
                message += f"\nQEMU stderr:\n{stderr}"
            self.close()
            raise StartError(message) from error

    def _launch(self) -> None:
        self.config.validate()
        self.paths = make_run_dir()
        self._paths_box.append(self.paths)
        prepare_run(self.config, self.paths)
        self.argv = build_command(self.config, self.paths)
        # The child gets SIGKILL if this thread dies, so a killed host leaks no QEMU.
        launcher = ["setpriv", "--pdeathsig", "KILL", "--"] if shutil.which("setpriv") else []
        with open(self.paths.qemu_stderr, "wb") as stderr:
            self._proc = subprocess.Popen(launcher + self.argv, stdin=subprocess.DEVNULL,
                                          stdout=subprocess.PIPE, stderr=stderr,
                                          start_new_session=True)
        self._proc_box.append(self._proc)
        self.console = ConsoleReader(self._proc.stdout, self._console_log, self._console_echo)

        deadline = time.monotonic() + START_TIMEOUT_S
        alive = lambda: self._proc.poll() is None  # noqa: E731
        self.qmp = QmpClient(connect_unix(self.paths.qmp_sock, deadline, alive))
        self.qmp.negotiate()
        # Connect the UART sockets before the CPU runs: server=on,wait=off drops bytes
        # sent while nobody is connected.
        self.vtl0_serial = Vtl0Serial(connect_unix(self.paths.vtl0_serial_sock, deadline, alive),
                                      self._vtl0_serial_log, self._vtl0_serial_echo,
                                      self._vtl0_serial_raw_echo)
        if not self.config.no_host:
            self.get = Ged(self.paths.get_sock, deadline, alive, transcript=self.transcript,
                           memory_bytes=self.config.memory_mb << 20, on_halt=self._on_get_halt,
                           memory=lambda: self.memory, refuse_rings=self.config.refuse_rings)
        self.diag = DiagClient(self.paths.diag_sock, deadline, alive, memory=lambda: self.memory,
                               refuse_rings=self.config.refuse_rings)
        self.diag_proxy = DiagProxy(self.diag, self.paths.root / "diag-proxy.sock")
        if self.get is not None:
            self.diag_proxy.on_service = self._service_from_proxy
        self.memory = GuestMemory(self.paths.guest_ram, self.config.memory_mb << 20)

        self.transcript.record("start", qemu_pid=self._proc.pid, kernel=str(self.config.kernel),
                               cmdline=self.config.cmdline,
                               vtl0=str(self.config.vtl0) if self.config.vtl0 else None,
                               memory_mb=self.config.memory_mb, timeout_s=self.timeout)
        deadline = time.monotonic() + self.timeout
        self._supervisor = threading.Thread(target=self._supervise, args=(deadline,),
                                            name="qemu-supervisor", daemon=True)
        self._supervisor.start()
        try:
            self.qmp.execute("cont")
        except QmpError:
            if self.running:
                raise
            # The guest ended (e.g. isa-debug-exit) before QEMU sent the reply.

    # ----------------------------------------------------------------- ending

    def _signal(self, cause: str, sig: int) -> bool:
        """Send sig to QEMU by PID if it still runs; remember why. True if sent."""
        with self._kill_lock:
            if self._proc is None or self._proc.poll() is not None:
                return False
            if self._kill_cause is None:
                self._kill_cause = cause
            self._proc.send_signal(sig)
            return True

    def expire(self) -> None:
        """The wall-clock limit is over: SIGKILL QEMU; the halt becomes TIMEOUT."""
        self._signal(_KILL_TIMEOUT, signal.SIGKILL)

    def stop(self, grace: float = STOP_GRACE_S) -> None:
        """Stop QEMU if it still runs: SIGTERM, then SIGKILL after grace seconds."""
        if not self._signal(_KILL_STOP, signal.SIGTERM):
            return
        try:
            self._proc.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(_KILL_STOP, signal.SIGKILL)
            self._proc.wait()

    def _service_from_proxy(self, request: Dict[str, Any]) -> Dict[str, Any]:
        """tools/mezz service: one servicing cycle with the image named in the request."""
        from .servicing import HostView, Servicing, ServicingError
        if getattr(self, "_servicing", None) is None:
            self._servicing = Servicing(HostView(self))
        try:
            self._servicing.save(request.get("image"), int(request.get("flags", 0)))
            cycle = self._servicing.restore()
        except ServicingError as error:
            return {"status": -5, "error": str(error)}
        return {"status": 0, "body": {k: v for k, v in cycle.items()
                                      if k not in ("restore_completed", "blob")}}

    def _on_get_halt(self, reason: str, detail: str, registers: dict) -> None:
        """The GET said VTL0 halted for good: the host ends the VM, as OpenVMM's does."""
        if self.get_halt is None:
            self.get_halt = (HaltReason(reason), detail, tuple(sorted(registers.items())))
        if HaltReason(reason) is HaltReason.HALTED:
            # Mezzanine and the VM are still up (inspect, memory): end it on wait().
            self.vtl0_halted.set()
            return
        self._signal(_KILL_GET_HALT, signal.SIGTERM)

    def wait(self, timeout: Optional[float]) -> bool:
        """Wait until the run has ended and been classified; True if it has. A VTL0 that
        stopped itself (EXT_VTL0_HALTED) is a halt too: waiting ends the VM then."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if self.vtl0_halted.is_set() and not self.ended.is_set():
                self._signal(_KILL_GET_HALT, signal.SIGTERM)
                return self.ended.wait(None if deadline is None
                                       else max(STOP_GRACE_S, deadline - time.monotonic()))
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return self.ended.is_set()
            if self.ended.wait(HALT_POLL_S if left is None else min(HALT_POLL_S, left)):
                return True

    def _supervise(self, deadline: float) -> None:
        try:
            try:
                self._proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.expire()
                self._proc.wait()
            self._classify()
        finally:
            self.ended.set()

    def _classify(self) -> None:
        # Everything QEMU wrote before exiting must be in hand before classifying.
        self.qmp.wait_closed(2.0)
        self.console.join(2.0)
        if self.vtl0_serial is not None:
            self.vtl0_serial.reader.join(2.0)
        status = self._proc.returncode
        shutdown = self.qmp.first_event("SHUTDOWN")
        shutdown_reason = shutdown.get("data", {}).get("reason") if shutdown else None
        if self.get_halt is not None and self._kill_cause in (_KILL_GET_HALT, None):
            reason, detail, registers = self.get_halt
            self.halt = Halt(reason, detail, status, source="get", registers=registers)
            self.transcript.record("halt", reason=reason.value, detail=detail, source="get",
                                   exit_status=status)
            return
        if self._kill_cause == _KILL_STOP and (status < 0 or shutdown_reason == "host-signal"):
            self.stopped = True
            self.transcript.record("stopped", exit_status=status)
            return
        timed_out = self._kill_cause == _KILL_TIMEOUT and status == -signal.SIGKILL
        try:
            self.halt = classify_halt(exit_status=status, shutdown_reason=shutdown_reason,
                                      debug_log=_read_text(self.paths.debug_log),
                                      console=self.console.text, timed_out=timed_out,
                                      timeout_s=self.timeout)
        except UnclassifiedHalt as error:
            stderr = _read_text(self.paths.qemu_stderr).strip()
            self.halt_error = UnclassifiedHalt(
                f"{error}" + (f"\nQEMU stderr:\n{stderr}" if stderr else ""))
            self.transcript.record("halt", reason=None, error=str(self.halt_error),
                                   exit_status=status)
            return
        self.transcript.record("halt", reason=self.halt.reason.value, detail=self.halt.detail,
                               exit_status=status, shutdown_reason=shutdown_reason)

    # ----------------------------------------------------------------- teardown

    def close(self) -> None:
        """Tear down: stop QEMU, close every channel, copy logs, delete the RUN dir.

        Safe to call more than once and after a failed start(); never leaves the RUN
        directory behind, whatever fails on the way.
        """
        if self._closed:
            return
        self._closed = True
        try:
            if self._proc is not None:
                self.stop()
                if self._supervisor is not None:
                    self._supervisor.join(5.0)
                for closer in (self.diag_proxy, self.memory, self.get, self.diag, self.qmp,
                               self.vtl0_serial):
                    if closer is not None:
                        try:
                            closer.close()
                        except (OSError, ValueError):
                            pass
                if self.console is not None:
                    self.console.join(2.0)
                    self.console.close()
                if self._proc.stdout is not None:
                    self._proc.stdout.close()
            if self.paths is not None:
                self._copy_out(self.paths.debug_log, self._debug_log_copy)
                self._copy_out(self.paths.qemu_stderr, self._stderr_copy)
        finally:
            if self.paths is not None:
                remove_run_dir(self.paths)
            self.transcript.close()
            self._finalizer.detach()

    @staticmethod
    def _copy_out(source: Path, destination: Optional[Path]) -> None:
        if destination is None or not source.exists() or source.stat().st_size == 0:
            return
        try:
            Path(destination).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
        except OSError:
            pass
