"""The SPEC section 2 checks: tools/check-layers (include cycles and the layer matrix of
docs/architecture.md) and tools/check-statics (mutable file-scope state) really find what
they look for, on small synthetic trees, and run on the real one."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "architecture.md"


def _tree(tmp_path, files):
    """A throwaway repository: the two tools, the real doc, and the given files."""
    (tmp_path / "tools").mkdir()
    for tool in ("check-layers", "check-statics"):
        shutil.copy(REPO / "tools" / tool, tmp_path / "tools" / tool)
    (tmp_path / "docs").mkdir()
    shutil.copy(DOC, tmp_path / "docs" / "architecture.md")
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def _layers(root, *args):
    return subprocess.run(["/usr/bin/python3", str(root / "tools" / "check-layers"), *args],
                          capture_output=True, text=True)


def _summary(out):
    m = re.search(r"check-layers: (\d+) modules, (\d+) includes, (\d+) cycles, "
                  r"(\d+) upward includes", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


CLEAN = {
    "kernel/lib/util.h": "#pragma once\n#include <stdint.h>\n",
    "arch/x86_64/cpu/io.h": '#include "kernel/lib/util.h"\n',
    "mm/pmm.h": '#include "arch/x86_64/cpu/io.h"\n',
    "mm/pmm.c": '#include "mm/pmm.h"\n#include "kernel/lib/util.h"\n',
    "kernel/core/log.c": '#include "mm/pmm.h"\n/* #include "kernel/main.c" */\n'
                         '// #include "kernel/vtl0/x.h"\n',
    "kernel/main.c": '#include "kernel/core/log.h"\n#include "kernel/version.h"\n',
    "kernel/core/log.h": '#include "kernel/lib/util.h"\n',
    "arch/x86_64/boot/entry.S": '#include "arch/x86_64/cpu/io.h"\n',
}


def test_clean_tree_passes_and_graph_is_written(tmp_path):
    root = _tree(tmp_path, CLEAN)
    stale = _layers(root)
    assert stale.returncode == 1 and "STALE include graph" in stale.stdout
    assert _layers(root, "--write-graph").returncode == 0
    result = _layers(root)
    assert result.returncode == 0, result.stdout
    modules, includes, cycles, upward = _summary(result.stdout)
    assert (cycles, upward) == (0, 0)
    assert includes == 9   # the commented-out includes are not counted
    graph = _layers(root, "--graph").stdout
    assert "kernel/main.c -> kernel/core, kernel/lib" in graph
    assert "mm -> arch/x86_64, kernel/lib" in graph
    assert "UPWARD" not in graph


def test_cycle_between_modules_is_reported_with_members(tmp_path):
    files = dict(CLEAN)
    files["mm/a.h"] = '#include "mm/b.h"\n'
    files["mm/b.c"] = '#include "mm/c.h"\n'
    files["mm/c.c"] = '#include "mm/a.h"\n'   # a.h -> b (b.c) -> c (c.c) -> a
    root = _tree(tmp_path, files)
    _layers(root, "--write-graph")
    result = _layers(root)
    assert result.returncode == 1
    assert _summary(result.stdout)[2:] == (1, 0)
    assert re.search(r"CYCLE 1 \(3 modules\): mm/a mm/b mm/c", result.stdout), result.stdout


def test_upward_include_and_unplaced_file_fail(tmp_path):
    files = dict(CLEAN)
    files["arch/x86_64/cpu/trap.c"] = '#include "kernel/core/log.h"\n'
    files["get/dps.c"] = '#include "drivers/vdev/chipset/pam.h"\n'   # get must not see devices
    files["drivers/vdev/chipset/pam.h"] = "\n"
    files["kernel/stray.c"] = "\n"
    root = _tree(tmp_path, files)
    _layers(root, "--write-graph")
    result = _layers(root)
    assert result.returncode == 1
    assert _summary(result.stdout)[2:] == (0, 2)
    assert "UPWARD arch/x86_64/cpu/trap.c (arch/x86_64) includes kernel/core/log.h" \
        in result.stdout
    assert "UPWARD get/dps.c (get) includes drivers/vdev/chipset/pam.h" in result.stdout
    assert "UNPLACED kernel/stray.c" in result.stdout
    assert "arch/x86_64 -> kernel/core UPWARD" in _layers(root, "--graph").stdout


def test_exception_needs_a_reason(tmp_path):
    files = dict(CLEAN)
    files["arch/x86_64/cpu/trap.c"] = '#include "kernel/core/log.h"\n'
    root = _tree(tmp_path, files)
    doc = root / "docs" / "architecture.md"
    text = doc.read_text()
    row = "| `arch/x86_64/cpu/trap.c` | `kernel/core/log.h` | {} |\n"
    marker = "<!-- layer-exceptions:end -->"
    doc.write_text(text.replace(marker, row.format("the trap dump prints") + marker))
    _layers(root, "--write-graph")
    result = _layers(root)
    assert result.returncode == 0, result.stdout
    doc.write_text(text.replace(marker, row.format("") + marker))
    result = _layers(root)
    assert result.returncode == 2 and "has no reason" in result.stdout


def test_matrix_that_points_down_is_refused(tmp_path):
    root = _tree(tmp_path, CLEAN)
    doc = root / "docs" / "architecture.md"
    doc.write_text(doc.read_text().replace(
        "| `arch/x86_64` | `arch/x86_64/` | `kernel/lib` |",
        "| `arch/x86_64` | `arch/x86_64/` | `kernel/lib`, `mm` |"))
    result = _layers(root)
    assert result.returncode == 2 and "dependencies run down only" in result.stdout


def test_real_tree_is_scanned():
    result = _layers(REPO)
    assert result.returncode in (0, 1), result.stdout   # 2 would be a broken matrix
    modules, includes, _, _ = _summary(result.stdout)
    assert modules > 50 and includes > 200


STATICS_SOURCE = """
static int counter;                      /* mutable, file scope */
static const int table[4] = {1, 2, 3, 4}; /* const table: allowed */
int exported_total = 5;                  /* mutable, global */
int bump(int i);
int bump(int i)
{
    static int calls;                    /* mutable, function scope */
    calls++;
    counter += table[i & 3];
    exported_total += calls;
    return counter;
}
"""


def _compile(root, source_path, text):
    src = root / source_path
    src.parent.mkdir(parents=True, exist_ok=True)
    src.write_text(text)
    obj = root / "build" / "kernel" / (source_path + ".o")
    obj.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["clang", "--target=x86_64-elf", "-O2", "-ffreestanding", "-fdata-sections",
                    "-c", str(src), "-o", str(obj)], check=True)
    return obj


def _statics(root, *objects):
    return subprocess.run(["/usr/bin/python3", str(root / "tools" / "check-statics"),
                           *map(str, objects)], capture_output=True, text=True)


def test_statics_lists_mutable_state_and_not_const_tables(tmp_path):
    root = _tree(tmp_path, {})
    obj = _compile(root, "drivers/vdev/thing.c", STATICS_SOURCE)
    result = _statics(root, obj)
    assert result.returncode == 1
    listed = set(re.findall(r"^  (\S+) \(", result.stdout, re.M))
    assert listed == {"drivers/vdev/thing.c:counter", "drivers/vdev/thing.c:bump.calls",
                      "drivers/vdev/thing.c:exported_total"}, result.stdout
    assert "check-statics: 1 C objects, 3 mutable statics, 0 allowed" in result.stdout


def test_statics_allows_main_and_listed_mailboxes_only(tmp_path):
    root = _tree(tmp_path, {})
    main = _compile(root, "kernel/main.c", STATICS_SOURCE)
    trap = _compile(root, "arch/x86_64/cpu/trap.c",
                    "static int in_trap;\nint t(void);\nint t(void) { return in_trap++; }\n")
    result = _statics(root, main, trap)
    assert result.returncode == 0, result.stdout
    assert "0 mutable statics, 1 allowed" in result.stdout
    other = _compile(root, "arch/x86_64/cpu/idt.c",
                     "static int in_trap;\nint u(void);\nint u(void) { return in_trap++; }\n")
    result = _statics(root, main, trap, other)
    assert result.returncode == 1
    assert "arch/x86_64/cpu/idt.c:in_trap" in result.stdout
