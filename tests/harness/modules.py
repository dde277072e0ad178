"""Extra multiboot modules for a run: name -> file, with in-memory contents made files.

    files = ModuleFiles({"testscript": script.encode()})   # or a path
    QemuConfig(..., modules=files.modules)                  # ((Path, "testscript"),)
    ...
    files.close()                                          # removes what it wrote

QEMU passes each module as "PATH NAME" (`-initrd "FW vtl0,SCRIPT testscript"`); Mezzanine
finds a module by NAME (docs/boot-contract.md).
"""

import os
import re
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Mapping, Optional, Tuple, Union

ModuleSource = Union[str, Path, bytes, bytearray]
NAME = re.compile(r"[A-Za-z0-9_.-]+")


def check_module_name(name: str) -> None:
    """Module names are one plain word: Mezzanine takes the first word after the path."""
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in (".", ".."):
        raise ValueError(f"module name must be letters, digits, '_', '.' or '-': {name!r}")


def _tmp_base() -> Optional[str]:
    return "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


class ModuleFiles:
    """Files for the modules of one run; bytes are written to a private directory."""

    def __init__(self, sources: Optional[Mapping[str, ModuleSource]] = None):
        self._dir: Optional[Path] = None
        self._finalizer = None
        modules = []
        for name, source in (sources or {}).items():
            check_module_name(name)
            if isinstance(source, (bytes, bytearray)):
                path = self._directory() / name
                path.write_bytes(bytes(source))
            elif isinstance(source, (str, Path)):
                path = Path(source)
            else:
                raise TypeError(f"module {name!r}: give a path or bytes, not {type(source)}")
            modules.append((path, name))
        self.modules: Tuple[Tuple[Path, str], ...] = tuple(modules)

    def _directory(self) -> Path:
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="mezz-modules-", dir=_tmp_base()))
            self._finalizer = weakref.finalize(self, shutil.rmtree, str(self._dir), True)
        return self._dir

    def close(self) -> None:
        """Remove the files written for bytes (paths given are left alone)."""
        if self._finalizer is not None:
            self._finalizer()


def parse_module_arg(text: str) -> Tuple[Path, str]:
    """`PATH:NAME` (the mezz run --module syntax) -> (Path, NAME). Raises ValueError."""
    path, sep, name = text.rpartition(":")
    if not sep or not path or not name:
        raise ValueError(f"expected PATH:NAME, not {text!r}")
    check_module_name(name)
    return Path(path), name
