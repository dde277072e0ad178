"""Vm: a Mezzanine machine for tests, in the spirit of OpenVMM's petri PetriVm.

    with Vm(cmdline="mezz.halt=panic", log_dir=path) as vm:
        vm.wait_for_log(r"boot complete")
        halt = vm.wait_for_halt()
        assert halt.reason is HaltReason.PANIC

Two clocks bound a run. `timeout` (constructor) is the wall-clock limit of the whole run,
counted from the moment the CPU starts; a wait's own `timeout` bounds that wait. When
either expires in wait_for_halt(), QEMU is killed and the halt is TIMEOUT; when
wait_for_log() times out the VM keeps running and LogTimeout is raised.
"""

import re
import time
from pathlib import Path
from typing import Callable, Dict, Optional, Pattern, Sequence, Union

from .diag import DiagClient, DiagError
from .errors import HarnessError, LogTimeout, VmHalted
from .guest_memory import GuestMemory
from .halt import Halt
from .host import Host
from .paths import DEFAULT_KERNEL
from .modules import ModuleFiles, ModuleSource
from .qemu import DEFAULT_MEMORY_MB, QemuConfig, with_default_vgabios
from .screenshot import Frame, read_vram_frame
from .shell_agent import Vtl0Shell
from .vtl0_serial import Vtl0Serial

DEFAULT_RUN_TIMEOUT_S = 30.0
DEFAULT_WAIT_TIMEOUT_S = 20.0
_TAIL_LINES = 30


class Vm:
    """One Mezzanine VM under QEMU, with its host.

    modules: further multiboot modules by name, each a path or bytes, e.g.
    {"testscript": script.encode()} (docs/testdev.md); bytes become temporary files.
    vgabios: the display's VGA BIOS module: None = Debian's SeaVGABIOS when vtl0 is
    SeaBIOS, a path = that image, False = none (docs/framebuffer.md).
    kernel: build/mezzanine.igvm by default (booted through the boot shim), or a flat
    multiboot kernel. uefi: boot the image through OVMF and the EFI loader instead
    (docs/image.md).

    disks: raw images for VTL0's IDE disks (primary master first; snapshot=on).

    Files written to log_dir (when given): console.log (Mezzanine's console, as it
    arrives), vtl0-serial.log (VTL0's COM1, as it arrives), qemu-debug.log and
    qemu-stderr.log (on stop), transcript.jsonl (host events).
    """

    def __init__(self, kernel: Optional[Union[str, Path]] = None, cmdline: str = "",
                 vtl0: Optional[Union[str, Path]] = None, memory_mb: int = DEFAULT_MEMORY_MB,
                 log_dir: Optional[Union[str, Path]] = None,
                 timeout: float = DEFAULT_RUN_TIMEOUT_S,
                 console_echo: Optional[Callable[[str], None]] = None,
                 modules: Optional[Dict[str, ModuleSource]] = None,
                 no_host: bool = False, vgabios: Union[None, bool, str, Path] = None,
                 uefi: bool = False, disks: Sequence[Union[str, Path]] = (),
                 refuse_rings: bool = False):
        self.module_files = ModuleFiles(modules)
        vtl0_path = Path(vtl0) if vtl0 else None
        self.config = QemuConfig(kernel=Path(kernel) if kernel else DEFAULT_KERNEL,
                                 cmdline=cmdline, vtl0=vtl0_path, memory_mb=memory_mb,
                                 modules=with_default_vgabios(
                                     vtl0_path, self.module_files.modules, vgabios),
                                 no_host=no_host, uefi=uefi,
                                 disks=tuple(Path(d) for d in disks), refuse_rings=refuse_rings)
        self.log_dir = Path(log_dir) if log_dir is not None else None
        logs = self.log_dir
        self.host = Host(self.config, timeout=timeout,
                         console_log=logs / "console.log" if logs else None,
                         debug_log_copy=logs / "qemu-debug.log" if logs else None,
                         stderr_copy=logs / "qemu-stderr.log" if logs else None,
                         transcript=logs / "transcript.jsonl" if logs else None,
                         console_echo=console_echo,
                         vtl0_serial_log=logs / "vtl0-serial.log" if logs else None)
        self._shell: Optional[Vtl0Shell] = None

    # ----------------------------------------------------------------- lifecycle

    def start(self) -> "Vm":
        """Start QEMU and let the guest run. Raises StartError. Returns self."""
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
        self.host.start()
        return self

    def stop(self) -> None:
        """Kill QEMU if still running and release everything (RUN dir included)."""
        self.host.close()
        self.module_files.close()

    def __enter__(self) -> "Vm":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ----------------------------------------------------------------- state

    @property
    def running(self) -> bool:
        """QEMU is running (started, not exited)."""
        return self.host.running

    @property
    def pid(self) -> Optional[int]:
        """QEMU's process id (None before start)."""
        return self.host.pid

    @property
    def console(self) -> str:
        """The console text so far (CR removed)."""
        return self.host.console.text if self.host.console else ""

    def console_tail(self, lines: int = _TAIL_LINES) -> str:
        return "\n".join(self.console.splitlines()[-lines:])

    @property
    def memory(self) -> GuestMemory:
        """Guest-physical RAM; valid from start() until stop()."""
        if self.host.memory is None or self.host.memory.closed:
            raise HarnessError("guest memory is available only while the VM is started")
        return self.host.memory

    @property
    def halt(self) -> Optional[Halt]:
        """The halt, once the VM has halted and it was classified; else None."""
        return self.host.halt

    @property
    def diag_bytes_received(self) -> int:
        return self.host.diag.bytes_received if self.host.diag else 0

    # ----------------------------------------------------------------- VTL0's serial console

    @property
    def vtl0_serial(self) -> Vtl0Serial:
        """VTL0's COM1 (docs/linux.md): `.text`, `.write(bytes)`."""
        if self.host.vtl0_serial is None:
            raise HarnessError("VTL0's serial console exists only while the VM is started")
        return self.host.vtl0_serial

    def vtl0_shell(self) -> Vtl0Shell:
        """The shell agent on VTL0's serial console (one per VM): `.run("uname -a")`
        returns a ShellResult(output, status) (tests/harness/shell_agent.py)."""
        if self._shell is None:
            self._shell = Vtl0Shell(self.vtl0_serial)
        return self._shell

    def wait_for_vtl0_serial(self, pattern: Union[str, Pattern[str]],
                             timeout: float = DEFAULT_WAIT_TIMEOUT_S,
                             start: int = 0) -> re.Match:
        """wait_for_log() for VTL0's serial console, from offset start of its text."""
        reader = self.vtl0_serial.reader
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        match = reader.wait_for(regex, timeout, start)
        if match:
            return match
        tail = "\n".join(reader.text.splitlines()[-_TAIL_LINES:])
        block = f"--- vtl0 serial tail ---\n{tail}\n--- end of vtl0 serial ---"
        if reader.eof:
            self.host.wait(5.0)
            raise VmHalted(f"VM ended ({self._ending()}) before VTL0's serial console "
                           f"matched {regex.pattern!r}\n{block}\n{self._tail_block()}")
        raise LogTimeout(f"VTL0's serial console did not match {regex.pattern!r} within "
                         f"{timeout:g} s\n{block}\n{self._tail_block()}")

    # ----------------------------------------------------------------- GET and diag

    @property
    def ged(self):
        """The GED (tests/harness/ged.py): slot table, faults, events, blob."""
        if self.host.get is None:
            raise HarnessError("the GED exists only while the VM is started")
        return self.host.get

    def inspect(self, path: Optional[str] = None, timeout: float = DEFAULT_WAIT_TIMEOUT_S):
        """Mezzanine's inspect tree (or the subtree at path, e.g. "get/counters") over
        the diag channel, as Python values. Raises DiagError (status -ENOENT: no such path)."""
        return self._diag("inspect").inspect(path, timeout)

    def diag_log(self, timeout: float = DEFAULT_WAIT_TIMEOUT_S) -> str:
        """Mezzanine's log ring, over the diag channel."""
        return self._diag("diag_log").log(timeout)

    def get_command(self, command: str, timeout: float = DEFAULT_WAIT_TIMEOUT_S):
        """Have Mezzanine run a GET command (docs/diag.md, e.g. "time", "dps",
        "create 0 0xc0000 0x4000 0xc0000 0"); returns (status, JSON body or None)."""
        return self._diag("get_command").get(command, timeout)

    def pulse_save_restore(self, timeout: float = DEFAULT_WAIT_TIMEOUT_S) -> dict:
        """petri's verify_save_restore in place: Mezzanine stops VTL0, saves every state
        unit, resets every device, restores them all and resumes VTL0 (diag op 5,
        "pulse"). Returns its summary ({"saved_state_len", "units", "equal", "time_us"});
        raises DiagError if the pulse failed."""
        status, body = self._diag("pulse_save_restore").servicing("pulse", timeout)
        if status != 0:
            raise DiagError(f"pulse failed: status {status}", status)
        return body

    # ----------------------------------------------------------------- servicing

    def save_paravisor(self, new_image: Optional[Union[str, Path]] = None, flags: int = 0,
                       timeout: float = 30.0, host_check: bool = True, verify: bool = True,
                       timeout_hint_secs: int = 60, answer_fault: Optional[tuple] = None,
                       garble_blob: Union[bool, str] = False, hand_back: Optional[bytes] = None,
                       chunk_fault: Optional[tuple] = None) -> dict:
        """petri's save_openhcl: validate and stage new_image (default: the image this VM
        booted), send SAVE_GUEST_VTL2_STATE and wait for the saved state; VTL0 is hashed
        when it stops (tests/harness/servicing.py). Fails if called twice."""
        return self._servicing().save(new_image, flags, timeout, host_check, verify,
                                      timeout_hint_secs, answer_fault, garble_blob, hand_back,
                                      chunk_fault)

    def restore_paravisor(self, timeout: float = 30.0) -> dict:
        """petri's restore_openhcl: wait for the new instance's RESTORE_COMPLETED and
        START_VTL0_COMPLETED. Returns the cycle's record (blob_len, hashes, times)."""
        return self._servicing().restore(timeout)

    def restart_paravisor(self, new_image: Optional[Union[str, Path]] = None, flags: int = 0,
                          timeout: float = 30.0) -> dict:
        """petri's restart_openhcl: save_paravisor then restore_paravisor."""
        self.save_paravisor(new_image, flags, timeout)
        return self.restore_paravisor(timeout)

    def _servicing(self):
        from .servicing import Servicing
        if getattr(self, "_servicing_state", None) is None:
            self._servicing_state = Servicing(self)
        return self._servicing_state

    def screenshot(self, path: Optional[Union[str, Path]] = None,
                   timeout: float = DEFAULT_WAIT_TIMEOUT_S,
                   on_snapshot: Optional[Callable[[], None]] = None) -> Frame:
        """VTL0's display as Mezzanine reads it through its fixed VTL2 view (diag op 4);
        written as an RGBA PNG to path when given. on_snapshot runs right after Mezzanine
        took its snapshot. Raises DiagError (-ENODEV: no display)."""
        frame = self._diag("screenshot").screenshot(timeout, on_snapshot)
        if path is not None:
            frame.save_png(path)
        return frame

    def framebuffer_from_memory(self, display: Optional[dict] = None) -> Frame:
        """The same frame read by the host straight from shared guest memory (VRAM in the
        VTL2 region), with the format and address inspect "display" reports."""
        return read_vram_frame(self.memory, display if display is not None
                               else self.inspect("display"))

    def wait_for_vtl0_start(self, timeout: float = DEFAULT_WAIT_TIMEOUT_S) -> bool:
        """Wait for START_VTL0_COMPLETED over the GET."""
        return self.ged.vtl0_started.wait(timeout)

    def wait_for_reset(self, timeout: float = DEFAULT_WAIT_TIMEOUT_S, after: int = 0) -> bool:
        """Wait for a VTL0 RESET over the GET (the VM goes on: Mezzanine restarts VTL0).
        after: how many RESETs had been seen before (vm.ged.vtl0_resets)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ged.vtl0_resets > after:
                return True
            time.sleep(0.01)
        return False

    # ----------------------------------------------------------------- waits

    def wait_for_log(self, pattern: Union[str, Pattern[str]],
                     timeout: float = DEFAULT_WAIT_TIMEOUT_S) -> re.Match:
        """Wait until pattern (a regex, re.MULTILINE) matches the console; return the match.

        Raises LogTimeout if timeout seconds pass (the VM keeps running), or VmHalted if
        the VM ended first without printing a match. Both messages carry the console tail.
        """
        if self.host.console is None:
            raise HarnessError("wait_for_log() before start()")
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        match = self.host.console.wait_for(regex, timeout)
        if match:
            return match
        if self.host.console.eof:
            self.host.wait(5.0)
            raise VmHalted(f"VM ended ({self._ending()}) before the console matched "
                           f"{regex.pattern!r}\n{self._tail_block()}")
        raise LogTimeout(f"console did not match {regex.pattern!r} within {timeout:g} s\n"
                         f"{self._tail_block()}")

    def wait_for_halt(self, timeout: Optional[float] = None) -> Halt:
        """Wait for the VM to halt and return the classified Halt.

        timeout: seconds to wait; None waits until the run's own timeout. If it expires
        QEMU is killed and the Halt is TIMEOUT. Raises UnclassifiedHalt if QEMU ended in
        a way the boot contract does not classify, VmHalted if the VM was stopped.
        """
        if self.pid is None:
            raise HarnessError("wait_for_halt() before start()")
        if not self.host.wait(timeout):
            self.host.expire()
            self.host.wait(None)
        if self.host.halt_error is not None:
            raise self.host.halt_error
        if self.host.halt is None:
            raise VmHalted("the VM was stopped by the host before it halted")
        return self.host.halt

    # ----------------------------------------------------------------- helpers

    def _diag(self, caller: str) -> DiagClient:
        if self.host.diag is None:
            raise HarnessError(f"{caller}() before start()")
        return self.host.diag

    def _ending(self) -> str:
        if self.host.halt is not None:
            return f"halt: {self.host.halt}"
        if self.host.halt_error is not None:
            return f"unclassified: {self.host.halt_error}"
        if self.host.stopped:
            return "stopped by the host"
        return "QEMU exited"

    def _tail_block(self) -> str:
        tail = self.console_tail()
        return f"--- console tail ---\n{tail}\n--- end of console ---"
