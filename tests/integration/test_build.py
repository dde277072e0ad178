"""The build's guards: the kernel ELF holds no SSE/x87 instruction, and the guard that
checks this (tools/check-no-fpu.sh) really rejects such code."""

import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / "tools" / "check-no-fpu.sh"

SSE_SOURCE = """
double scale(double x) { return x * 3.5; }
"""
X87_SOURCE = """
long double widen(long double x) { return x * 2.0L; }
"""


def _guard(elf):
    return subprocess.run([str(GUARD), str(elf)], capture_output=True, text=True)


def test_kernel_elf_has_no_sse_or_x87(kernel_elf):
    result = _guard(kernel_elf)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("source, flags", [
    (SSE_SOURCE, ["-msse2"]),
    (X87_SOURCE, []),
], ids=["sse", "x87"])
def test_guard_rejects_floating_point_code(tmp_path, source, flags):
    src = tmp_path / "fp.c"
    obj = tmp_path / "fp.o"
    src.write_text(source)
    subprocess.run(["clang", "--target=x86_64-elf", "-O2", "-c", *flags, str(src), "-o", str(obj)],
                   check=True)
    result = _guard(obj)
    assert result.returncode != 0, "the guard accepted floating-point code"
    assert "SSE/x87" in result.stderr
