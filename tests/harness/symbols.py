"""Kernel symbols from `nm`, to check that an address lies inside a function."""

import subprocess
from pathlib import Path
from typing import Dict, List, Tuple


def read_symbols(elf: Path) -> List[Tuple[int, str]]:
    """(address, name) of every symbol with an address, sorted by address (nm -n)."""
    output = subprocess.run(["nm", "-n", str(elf)], check=True, capture_output=True,
                            text=True).stdout
    symbols = []
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 3:
            symbols.append((int(fields[0], 16), fields[2]))
    return symbols


def function_range(elf: Path, name: str) -> Tuple[int, int]:
    """[start, end) of symbol name: from its address to the next higher symbol address.

    Raises KeyError naming similar symbols if name is not in the ELF.
    """
    symbols = read_symbols(elf)
    by_name: Dict[str, int] = {sym: addr for addr, sym in symbols}
    if name not in by_name:
        prefix = name.split("_")[0]
        similar = sorted(sym for sym in by_name if sym.startswith(prefix))
        raise KeyError(f"symbol {name} not in {elf}; symbols starting {prefix!r}: {similar}")
    start = by_name[name]
    later = [addr for addr, _ in symbols if addr > start]
    if not later:
        raise KeyError(f"no symbol after {name} in {elf} to bound it")
    return start, min(later)
