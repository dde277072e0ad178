"""The QEMU command line of docs/boot-contract.md, and the per-run directory it uses.

build_command() is the only place the command line is spelt; change it here and in the
contract together.
"""

import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

from .modules import check_module_name
from .paths import DEFAULT_ESP, DEFAULT_OVMF, DEFAULT_SHIM

QEMU_BINARY = "qemu-system-x86_64"
# The VGA BIOS for Mezzanine's display (docs/framebuffer.md): Debian's SeaVGABIOS build
# for QEMU's bochs-display, passed as the module "vgabios" whenever VTL0 is SeaBIOS.
DEFAULT_VGABIOS = Path("/usr/share/seabios/vgabios-bochs-display.bin")
VGABIOS_MODULE = "vgabios"
DEFAULT_MEMORY_MB = 512
RUN_DIR_PREFIX = "mezz-run-"
IGVM_MODULE = "igvm"            # the shim's module name for the image (docs/image.md)
IGVM_MAGIC = b"IGVM"
# The modules the UEFI loader looks for on the ESP, as \modules\NAME (docs/image.md).
UEFI_MODULES = ("vtl0", "testscript", "vgabios")
MAX_IDE_DISKS = 4               # the PIIX IDE function: two channels, master and slave
_OWNER_FILE = "host.pid"


@dataclass(frozen=True)
class QemuConfig:
    """What varies between runs. Everything else on the command line is fixed.

    kernel:    what to boot: an IGVM image (build/mezzanine.igvm), which QEMU boots
               through the multiboot boot shim `shim` as the module "igvm", or a flat
               multiboot kernel (build/kernel.bin), booted directly.
    cmdline:   the kernel command line, passed with -append.
    vtl0:      optional VTL0 firmware, passed as the multiboot module "PATH vtl0".
    memory_mb: guest RAM in MiB (-m and the memory-backend-file size).
    modules:   further multiboot modules as (PATH, NAME), after vtl0, e.g.
               ((Path("s.bin"), "testscript"),) for the test device's script.
    disks:     raw disk images for VTL0's IDE controller, in order (primary master
               first); QEMU runs them with snapshot=on, so the files are never written.
    """

    kernel: Path
    cmdline: str = ""
    no_host: bool = False       # COM2 goes nowhere: no GED, the GET never comes up
    refuse_rings: bool = False  # the host refuses Mezzanine's ring offers: UARTs stay
    vtl0: Optional[Path] = None
    memory_mb: int = DEFAULT_MEMORY_MB
    qemu: str = QEMU_BINARY
    modules: Tuple[Tuple[Path, str], ...] = ()
    shim: Path = DEFAULT_SHIM
    uefi: bool = False          # boot through OVMF and the EFI loader from an ESP image
    esp: Path = DEFAULT_ESP
    ovmf: Path = DEFAULT_OVMF
    disks: Tuple[Path, ...] = ()

    def validate(self) -> None:
        """Raise ValueError if this config cannot be put on a QEMU command line."""
        if not isinstance(self.memory_mb, int) or self.memory_mb <= 0:
            raise ValueError(f"memory_mb must be a positive integer, not {self.memory_mb!r}")
        if not Path(self.kernel).is_file():
            raise ValueError(f"kernel image {self.kernel} does not exist (run make?)")
        if is_igvm(self.kernel):
            text = str(self.kernel)
            if "," in text or any(c.isspace() for c in text):
                raise ValueError(f"IGVM image path may not contain ',' or spaces: {text!r}")
            if not Path(self.shim).is_file():
                raise ValueError(f"boot shim {self.shim} does not exist (run make?)")
        if self.vtl0 is not None:
            text = str(self.vtl0)
            # -initrd splits modules at ',' and the module string at whitespace.
            if "," in text or any(c.isspace() for c in text):
                raise ValueError(f"VTL0 firmware path may not contain ',' or spaces: {text!r}")
            if not Path(self.vtl0).is_file():
                raise ValueError(f"VTL0 firmware {self.vtl0} does not exist")
        if self.uefi:
            if not is_igvm(self.kernel):
                raise ValueError(f"a UEFI boot needs an IGVM image, not {self.kernel}")
            for needed, what in ((self.esp, "ESP image (run make)"), (self.ovmf, "OVMF (apt-get install ovmf)")):
                if not Path(needed).is_file():
                    raise ValueError(f"{what} {needed} does not exist")
            unknown = [name for _, name in self.modules if name not in UEFI_MODULES]
            if unknown:
                raise ValueError(f"the UEFI loader only reads the modules {UEFI_MODULES}, not {unknown}")
        names = ["vtl0"] if self.vtl0 is not None else []
        names += [IGVM_MODULE] if is_igvm(self.kernel) else []
        for path, name in self.modules:
            check_module_name(name)
            if name in names:
                raise ValueError(f"module name {name!r} given twice")
            names.append(name)
            text = str(path)
            if "," in text or any(c.isspace() for c in text):
                raise ValueError(f"module path may not contain ',' or spaces: {text!r}")
            if not Path(path).is_file():
                raise ValueError(f"module {name!r}: {path} does not exist")
        max_disks = MAX_IDE_DISKS - (1 if self.uefi else 0)    # the ESP is an IDE disk too
        if len(self.disks) > max_disks:
            raise ValueError(f"at most {max_disks} IDE disks, not {len(self.disks)}")
        for disk in self.disks:
            if "," in str(disk):
                raise ValueError(f"disk path may not contain ',': {str(disk)!r}")
            if not Path(disk).is_file():
                raise ValueError(f"disk image {disk} does not exist")


@dataclass(frozen=True)
class RunPaths:
    """The files of one run inside its RUN directory."""

    root: Path

    @property
    def guest_ram(self) -> Path:
        return self.root / "guest-ram"

    @property
    def get_sock(self) -> Path:
        return self.root / "get.sock"

    @property
    def vtl0_serial_sock(self) -> Path:
        return self.root / "vtl0-serial.sock"

    @property
    def diag_sock(self) -> Path:
        return self.root / "diag.sock"

    @property
    def qmp_sock(self) -> Path:
        return self.root / "qmp.sock"

    @property
    def debug_log(self) -> Path:
        return self.root / "qemu-debug.log"

    @property
    def qemu_stderr(self) -> Path:
        return self.root / "qemu-stderr.log"

    @property
    def esp(self) -> Path:
        return self.root / "esp.img"


SEABIOS_SIGNATURE = b"SeaBIOS (version"


def _pam_for_firmware(config: QemuConfig, cmdline: str) -> str:
    """The host's choice of PAM rules (SPEC section 6, docs/pam.md), as a VMM's
    configuration would make it. SeaBIOS copies option ROMs (the display's VGA BIOS) into
    shadow RAM and write-protects them there; OpenHCL's rules, made for Hyper-V's PCAT
    BIOS, which never does, would make the copy vanish. So for SeaBIOS the host asks for
    the faithful GET-backed rules (`mezz.pam=faithful`: the local view, every change made
    by the host), and for firmware that copies no option ROMs for OpenHCL's
    (`mezz.pam=openhcl`). Without a host there is nothing to choose (Mezzanine falls back
    to its local backend), nor for a firmware image the host cannot read (Mezzanine's
    default with a host is OpenHCL's rules); an explicit mezz.pam= in the caller's line
    wins."""
    if "mezz.pam=" in cmdline or config.no_host or config.vtl0 is None:
        return cmdline
    try:
        seabios = SEABIOS_SIGNATURE in Path(config.vtl0).read_bytes()
    except OSError:
        return cmdline
    rules = "faithful" if seabios else "openhcl"
    return (cmdline + f" mezz.pam={rules}").strip()


def kernel_cmdline(config: QemuConfig) -> str:
    """The command line Mezzanine gets: the caller's, plus the host's choice of PAM rules
    (_pam_for_firmware) and of bridge identity. SeaBIOS shadows itself only behind QEMU's
    i440FX ID (8086:1237), so for a SeaBIOS VTL0 the host asks for it (docs/partition.md);
    other firmware keeps the SPEC's i440BX ID. An explicit mezz.bridge_id= in the
    caller's line wins."""
    cmdline = _pam_for_firmware(config, config.cmdline)
    if config.vtl0 is None or "mezz.bridge_id=" in cmdline:
        return cmdline
    if is_seabios(config.vtl0):
        cmdline = (cmdline + " mezz.bridge_id=i440fx").strip()
    return cmdline


def is_igvm(path) -> bool:
    """Is this file an IGVM image (its first four bytes say "IGVM")?"""
    try:
        with open(path, "rb") as f:
            return f.read(4) == IGVM_MAGIC
    except OSError:
        return False


def is_seabios(path: Optional[Path]) -> bool:
    """Is this VTL0 firmware image a SeaBIOS build (it names itself in its text)?"""
    try:
        return path is not None and SEABIOS_SIGNATURE in Path(path).read_bytes()
    except OSError:
        return False


def with_default_vgabios(vtl0: Optional[Path], modules: Tuple[Tuple[Path, str], ...],
                         vgabios=None) -> Tuple[Tuple[Path, str], ...]:
    """modules plus ("vgabios") when VTL0 is SeaBIOS (vgabios None: automatic), or the
    image vgabios names (a path), or nothing more (vgabios False); a "vgabios" module
    given explicitly always wins."""
    if vgabios is False or any(name == VGABIOS_MODULE for _, name in modules):
        return tuple(modules)
    if vgabios is None or vgabios is True:
        if not ((vgabios is True or is_seabios(vtl0)) and DEFAULT_VGABIOS.is_file()):
            return tuple(modules)
        vgabios = DEFAULT_VGABIOS
    return tuple(modules) + ((Path(vgabios), VGABIOS_MODULE),)


def build_command(config: QemuConfig, paths: RunPaths) -> List[str]:
    """The QEMU argv for one run, exactly as the boot contract writes it."""
    mem = f"{config.memory_mb}M"
    argv = [
        config.qemu,
        "-M", "pc", "-accel", "tcg", "-cpu", "max", "-m", mem, "-smp", "1",
        "-nodefaults", "-no-reboot",
        # FSB (MSI) delivery for the HPET: Mezzanine's own NMI tick (docs/get.md).
        "-global", "hpet.msi=on",
        "-display", "none", "-vga", "none", "-S",
        "-object", f"memory-backend-file,id=ram,size={mem},mem-path={paths.guest_ram},share=on",
        "-machine", "memory-backend=ram",
        # COM1 is VTL0's serial console (passed through); Mezzanine's UARTs are COM2-4,
        # all on IRQ 3 with interrupts off, so no line of theirs touches VTL0's IRQ 4.
        "-chardev", f"socket,id=vtl0serial,path={paths.vtl0_serial_sock},server=on,wait=off",
        "-device", "isa-serial,index=0,iobase=0x3f8,irq=4,chardev=vtl0serial",
        *(["-chardev", "null,id=get"] if config.no_host else
          ["-chardev", f"socket,id=get,path={paths.get_sock},server=on,wait=off"]),
        "-device", "isa-serial,index=1,iobase=0x2f8,irq=3,chardev=get",
        "-chardev", f"socket,id=diag,path={paths.diag_sock},server=on,wait=off",
        "-device", "isa-serial,index=2,iobase=0x3e8,irq=3,chardev=diag",
        "-chardev", "stdio,id=console,signal=off",
        "-device", "isa-serial,index=3,iobase=0x2e8,irq=3,chardev=console",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
        "-qmp", f"unix:{paths.qmp_sock},server=on,wait=off",
        "-d", "cpu_reset", "-D", str(paths.debug_log),
    ]
    if config.uefi:
        # OVMF reads \EFI\BOOT\BOOTX64.EFI from the run's ESP copy (prepare_run), the
        # first IDE disk; VTL0's disks follow it.
        return argv + ["-bios", str(config.ovmf), "-drive", f"format=raw,file={paths.esp}"] \
            + ide_disks(config.disks, first_index=1)
    modules = []
    if is_igvm(config.kernel):
        argv += ["-kernel", str(config.shim), "-append", kernel_cmdline(config)]
        modules.append(f"{config.kernel} {IGVM_MODULE}")
    else:
        argv += ["-kernel", str(config.kernel), "-append", kernel_cmdline(config)]
    modules += [f"{config.vtl0} vtl0"] if config.vtl0 is not None else []
    modules += [f"{path} {name}" for path, name in config.modules]
    if modules:
        argv += ["-initrd", ",".join(modules)]
    return argv + ide_disks(config.disks)


def ide_disks(disks, first_index: int = 0) -> List[str]:
    """-drive options for VTL0's IDE disks, from IDE index first_index on."""
    argv: List[str] = []
    for index, disk in enumerate(disks, first_index):
        argv += ["-drive", f"file={disk},format=raw,if=ide,index={index},snapshot=on"]
    return argv


def prepare_run(config: QemuConfig, paths: RunPaths) -> None:
    """Files a run needs in its RUN directory before QEMU starts: for a UEFI boot, a copy
    of the ESP with this run's image, command line (\\cmdline.txt) and modules
    (\\modules\\NAME), written with mtools."""
    if not config.uefi:
        return
    shutil.copyfile(config.esp, paths.esp)
    cmdline = paths.root / "cmdline.txt"
    cmdline.write_text(kernel_cmdline(config))
    copies = [(config.kernel, "::/mezzanine.igvm"), (cmdline, "::/cmdline.txt")]
    if config.vtl0 is not None:
        copies.append((config.vtl0, "::/modules/vtl0"))
    copies += [(path, f"::/modules/{name}") for path, name in config.modules]
    for source, target in copies:
        subprocess.run(["mcopy", "-o", "-i", str(paths.esp), str(source), target], check=True,
                       capture_output=True)


def _shm_base() -> Optional[str]:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def make_run_dir() -> RunPaths:
    """Create a fresh RUN directory (on /dev/shm when possible) owned by this process.

    Stale RUN directories whose owning process is gone are removed first, so a host that
    was SIGKILLed does not leak 512 MB of shared memory forever.
    """
    base = _shm_base()
    sweep_stale_run_dirs(base)
    root = Path(tempfile.mkdtemp(prefix=RUN_DIR_PREFIX, dir=base))
    (root / _OWNER_FILE).write_text(f"{os.getpid()}\n")
    return RunPaths(root)


def remove_run_dir(paths: RunPaths) -> None:
    """Delete a RUN directory and everything in it (guest RAM included). Never raises."""
    shutil.rmtree(paths.root, ignore_errors=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def sweep_stale_run_dirs(base: Optional[str]) -> None:
    """Remove RUN directories under base whose recorded owner process no longer exists."""
    base_dir = Path(base if base is not None else tempfile.gettempdir())
    for candidate in base_dir.glob(RUN_DIR_PREFIX + "*"):
        try:
            owner = int((candidate / _OWNER_FILE).read_text().strip())
        except (OSError, ValueError):
            continue
        if not _pid_alive(owner):
            shutil.rmtree(candidate, ignore_errors=True)
