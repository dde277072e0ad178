"""Host side of Mezzanine: QEMU launch, QMP, shared guest memory, halt classification.

Public API: Vm (tests), Host (the host program), Halt / HaltReason / classify_halt,
GuestMemory, and the error classes. See each module's docstring for its contract.
"""

from .errors import (GuestMemoryError, HarnessError, LogTimeout, StartError,
                     UnclassifiedHalt, VmHalted)
from .guest_memory import GuestMemory
from .halt import Halt, HaltReason, classify_halt
from .host import Host
from .paths import (DEFAULT_KERNEL, DEFAULT_KERNEL_ELF, DEFAULT_SHIM, FLAT_KERNEL, REPO_ROOT,
                    VERSION_FILE)
from .qemu import QemuConfig, build_command
from .vm import Vm

__all__ = [
    "DEFAULT_KERNEL", "DEFAULT_KERNEL_ELF", "DEFAULT_SHIM", "FLAT_KERNEL", "GuestMemory", "GuestMemoryError", "Halt",
    "HaltReason", "HarnessError", "Host", "LogTimeout", "QemuConfig", "REPO_ROOT",
    "StartError", "UnclassifiedHalt", "VERSION_FILE", "VmHalted", "Vm", "build_command",
    "classify_halt",
]
