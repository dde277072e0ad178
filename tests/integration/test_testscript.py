"""The script encoder (harness/testscript.py) and the report parser (harness/testdev.py),
without a VM: byte layouts, validation, agreement with the C headers."""

import re
import struct
import subprocess
import sys

import pytest

from harness import REPO_ROOT
from harness import testscript as ts
from harness.testdev import (TestdevError, parse_testdev_events, parse_testdev_line,
                             testdev_results)
from harness.testscript import Script, default_script

SCRIPT_H = REPO_ROOT / "tests" / "guests" / "testfw" / "script.h"
TESTDEV_H = REPO_ROOT / "drivers" / "vdev" / "testdev" / "testdev.h"


def c_defines(path, prefix):
    text = path.read_text()
    return {m.group(1): int(m.group(2), 0)
            for m in re.finditer(rf"#define ({prefix}\w+)\s+(0x[0-9A-Fa-f]+|\d+)", text)}


# ---------------------------------------------------------------- agreement with C

def test_opcodes_match_script_h():
    c = c_defines(SCRIPT_H, "OP_")
    py = {"OP_END": ts.OP_END, "OP_MODE": ts.OP_MODE, "OP_LOG": ts.OP_LOG,
          "OP_EXPECT": ts.OP_EXPECT, "OP_CPUID": ts.OP_CPUID, "OP_RDMSR": ts.OP_RDMSR,
          "OP_WRMSR": ts.OP_WRMSR, "OP_UD2": ts.OP_UD2, "OP_POWER_OFF": ts.OP_POWER_OFF,
          "OP_RESET_CF9": ts.OP_RESET_CF9, "OP_RESET_KBC": ts.OP_RESET_KBC,
          "OP_TRIPLE_FAULT": ts.OP_TRIPLE_FAULT, "OP_HLT": ts.OP_HLT,
          "OP_TIMER_IRQ": ts.OP_TIMER_IRQ, "OP_PCI_FIND": ts.OP_PCI_FIND}
    for bits, op in ts.OP_READ.items():
        py[f"OP_READ{bits}"] = op
    for bits, op in ts.OP_WRITE.items():
        py[f"OP_WRITE{bits}"] = op
    for bits, op in ts.OP_IN.items():
        py[f"OP_IN{bits}"] = op
    for bits, op in ts.OP_OUT.items():
        py[f"OP_OUT{bits}"] = op
    for bits, op in ts.OP_PCI_READ.items():
        py[f"OP_PCI_READ{bits}"] = op
    for bits, op in ts.OP_PCI_WRITE.items():
        py[f"OP_PCI_WRITE{bits}"] = op
    py["OP_DRAW"] = ts.OP_DRAW
    py.update(OP_RDTSCP=ts.OP_RDTSCP, OP_RDPID=ts.OP_RDPID, OP_STRING=ts.OP_STRING,
              OP_SEGLOAD_ROM=ts.OP_SEGLOAD_ROM)
    assert py == c


def test_modes_and_limits_match_testdev_h():
    c = c_defines(TESTDEV_H, "TESTDEV_")
    assert ts.MODES == {"real": c["TESTDEV_MODE_REAL"], "protected": c["TESTDEV_MODE_PROT"],
                        "long": c["TESTDEV_MODE_LONG"]}
    assert ts.SCRIPT_MAX == c["TESTDEV_SCRIPT_MAX"]
    assert ts.LOG_TEXT_MAX == c["TESTDEV_LOG_MAX"]


# ---------------------------------------------------------------- encoding

def test_example_from_the_brief_encodes_byte_exact():
    s = Script().mode("long").read32(0xA0000).write8(0xF0000, 0x55).read8(0xF0000).poweroff()
    assert s.encode() == (bytes([0x01, 2])
                          + bytes([0x12]) + struct.pack("<Q", 0xA0000)
                          + bytes([0x18]) + struct.pack("<QQ", 0xF0000, 0x55)
                          + bytes([0x10]) + struct.pack("<Q", 0xF0000)
                          + bytes([0x30]))
    assert [op.tag for op in s.ops] == [0, 2, 11, 28, 37]
    assert len(s) == 38 and bytes(s) == s.encode()


@pytest.mark.parametrize("build, want", [
    (lambda s: s.end(), b"\x00"),
    (lambda s: s.mode("real"), b"\x01\x00"),
    (lambda s: s.mode("prot"), b"\x01\x01"),
    (lambda s: s.log("hi there"), b"\x02\x08hi there"),
    (lambda s: s.expect(5, 0xF), b"\x03" + struct.pack("<QQ", 5, 0xF)),
    (lambda s: s.expect(5), b"\x03" + struct.pack("<QQ", 5, 2**64 - 1)),
    (lambda s: s.read16(0x10), b"\x11" + struct.pack("<Q", 0x10)),
    (lambda s: s.read64(2**64 - 8), b"\x13" + struct.pack("<Q", 2**64 - 8)),
    (lambda s: s.write16(1, 0xFFFF), b"\x19" + struct.pack("<QQ", 1, 0xFFFF)),
    (lambda s: s.write32(1, 7), b"\x1a" + struct.pack("<QQ", 1, 7)),
    (lambda s: s.write64(1, 2**64 - 1), b"\x1b" + struct.pack("<QQ", 1, 2**64 - 1)),
    (lambda s: s.cpuid(7, 1), b"\x20" + struct.pack("<II", 7, 1)),
    (lambda s: s.rdmsr(0xC0000080), b"\x21" + struct.pack("<I", 0xC0000080)),
    (lambda s: s.wrmsr(0x174, 2**63), b"\x22" + struct.pack("<IQ", 0x174, 2**63)),
    (lambda s: s.ud2(), b"\x23"),
    (lambda s: s.in8(0x61), b"\x28\x61\x00"),
    (lambda s: s.in16(0x1CF), b"\x29\xcf\x01"),
    (lambda s: s.in32(0xCFC), b"\x2a\xfc\x0c"),
    (lambda s: s.out8(0x80, 0xAA), b"\x2c\x80\x00" + struct.pack("<I", 0xAA)),
    (lambda s: s.out16(0x1CE, 4), b"\x2d\xce\x01" + struct.pack("<I", 4)),
    (lambda s: s.out32(0xCF8, 0x80000000), b"\x2e\xf8\x0c" + struct.pack("<I", 0x80000000)),
    (lambda s: s.reset_cf9(), b"\x31"),
    (lambda s: s.reset_kbc(), b"\x32"),
    (lambda s: s.triple_fault(), b"\x33"),
    (lambda s: s.hlt(), b"\x34"),
    (lambda s: s.timer_irq(100), b"\x38\x00" + struct.pack("<I", 100)),
    (lambda s: s.timer_irq(5, base=0x08), b"\x38\x08" + struct.pack("<I", 5)),
    (lambda s: s.pci_find(0x8086, 0x7010), b"\x40" + struct.pack("<I", 0x70108086)),
    (lambda s: s.pci_read8(0x8000090B), b"\x41" + struct.pack("<I", 0x8000090B)),
    (lambda s: s.pci_read16(ts.pci_address(0, 1, 1, 4)), b"\x42" + struct.pack("<I", 0x80000904)),
    (lambda s: s.pci_read32(0x80000900), b"\x43" + struct.pack("<I", 0x80000900)),
    (lambda s: s.pci_write8(0x80000904, 5), b"\x44" + struct.pack("<II", 0x80000904, 5)),
    (lambda s: s.pci_write16(0x80000904, 5), b"\x45" + struct.pack("<II", 0x80000904, 5)),
    (lambda s: s.pci_write32(0x80000904, 5), b"\x46" + struct.pack("<II", 0x80000904, 5)),
])
def test_each_operation_encodes(build, want):
    assert build(Script()).encode() == want


@pytest.mark.parametrize("build", [
    lambda s: s.mode("virtual-8086"),
    lambda s: s.read(12, 0),
    lambda s: s.write(24, 0, 0),
    lambda s: s.read32(-1),
    lambda s: s.read32(2**64),
    lambda s: s.read8(1.5),
    lambda s: s.write8(0, 0x100),
    lambda s: s.write16(0, -1),
    lambda s: s.cpuid(2**32),
    lambda s: s.rdmsr(True),
    lambda s: s.inp(64, 0),
    lambda s: s.in8(0x10000),
    lambda s: s.out8(0x80, 0x100),
    lambda s: s.log("x" * 97),
    lambda s: s.log("tab\there"),
    lambda s: s.expect(2**64),
    lambda s: s.timer_irq(1, base=0x04),
    lambda s: s.timer_irq(1, base=0x100),
    lambda s: s.timer_irq(2**32),
    lambda s: s.pci_find(0x10000, 0),
    lambda s: s.pci_read(64, 0x80000000),
    lambda s: s.pci_write8(0x80000904, 0x100),
    lambda s: s.pci_read32(2**32),
    lambda s: ts.pci_address(0, 32, 0),
])
def test_invalid_operands_are_refused(build):
    with pytest.raises(ValueError):
        build(Script())


def test_log_refuses_non_ascii():
    with pytest.raises(UnicodeEncodeError):
        Script().log("café")


def test_names_and_tags():
    s = Script().cpuid(0, name="leaf0").read8(0x400, name="bda").hlt()
    assert s.tag("leaf0") == 0 and s.tag("bda") == 9 and s.tag(9) == 9
    assert s.last_tag == 18
    assert s.op_at(9).name == "read8" and s.op_at(9).label == "bda"
    assert "read8(0x400)" in str(s.op_at(9))
    with pytest.raises(KeyError):
        s.tag("nope")
    with pytest.raises(KeyError):
        s.tag(1)
    with pytest.raises(ValueError):
        s.read8(0, name="bda")
    with pytest.raises(IndexError):
        Script().last_tag


def test_script_size_limit():
    s = Script()
    for _ in range(ts.SCRIPT_MAX // 9):
        s.read8(0)
    with pytest.raises(ValueError):
        s.read8(0)
    assert len(s) <= ts.SCRIPT_MAX


def test_builtin_slot_and_embed():
    script = default_script()
    slot = ts.builtin_slot(script)
    assert slot[:8] == b"MZTS" + struct.pack("<HH", len(script), 0)
    assert slot[8:] == script.encode()
    assert script.ops[-1].name == "poweroff"
    out = subprocess.run([sys.executable, str(REPO_ROOT / "tests/harness/testscript.py"),
                          "--slot"], capture_output=True, check=True).stdout
    assert out == slot

    image = bytes(range(256)) * 256
    patched = ts.embed(image, Script().hlt())
    assert len(patched) == len(image)
    assert patched[:0xD000] == image[:0xD000] and patched[0xE000:] == image[0xE000:]
    assert patched[0xD000:0xD00A] == b"MZTS\x01\x00\x00\x00\x34\x00"
    assert ts.embed(image, b"\xee")[0xD008] == 0xEE
    with pytest.raises(ValueError):
        ts.embed(image[:-1], Script())
    with pytest.raises(ValueError):
        ts.builtin_slot(b"\x00" * (0x1000 - 7))


def test_layout_constants_match_layout_h():
    c = c_defines(REPO_ROOT / "tests" / "guests" / "testfw" / "layout.h", "FW_")
    assert c["FW_IMAGE_SIZE"] == ts.FW_IMAGE_SIZE
    assert c["FW_SCRIPT_SLOT"] == ts.FW_SCRIPT_SLOT
    assert c["FW_SCRIPT_SLOT_SIZE"] == ts.FW_SCRIPT_SLOT_SIZE
    assert c["FW_SCRIPT_HEADER"] == ts.FW_SCRIPT_HEADER
    assert struct.pack("<I", c["FW_SCRIPT_MAGIC"]) == ts.FW_SCRIPT_MAGIC


# ---------------------------------------------------------------- parsing reports

CONSOLE = """\
Mezzanine 0.1 (abc) x86_64 paravisor
[     0.100000] I testdev: BOOT n=1
[     0.100100] I testdev: LOG tag=0 text=hello  world = yes
[     0.100200] I testdev: VALUE tag=23 values=0xd,0x68747541,0x444d4163,0x69746e65
[     0.100300] I testdev: MODE tag=40 mode=protected
[     0.100400] I testdev: MODE tag=40 mode=long
[     0.100500] I testdev: PASS tag=42
[     0.100600] I testdev: FAIL tag=50 reason=mismatch values=0x1,0x2
testdev: ERROR reason=bad-args kind=0x5 nargs=2
[     0.100700] I testdev: LOG text=
[     0.100800] I testdev: DONE
[     0.100900] I vtl0: testdev VALUE in prose is not a report
"""


def test_parse_every_kind():
    events = parse_testdev_events(CONSOLE)
    assert [e.kind for e in events] == ["BOOT", "LOG", "VALUE", "MODE", "MODE", "PASS",
                                        "FAIL", "ERROR", "LOG", "DONE"]
    boot, log, value, mode, _, passed, fail, error, empty, done = events
    assert boot.fields == {"n": "1"} and boot.tag is None
    assert log.tag == 0 and log.text == "hello  world = yes"
    assert value.tag == 23 and value.values == (0xD, 0x68747541, 0x444D4163, 0x69746E65)
    assert value.value == 0xD
    assert mode.fields["mode"] == "protected"
    assert passed.tag == 42 and passed.values == ()
    assert fail.fields["reason"] == "mismatch" and fail.values == (1, 2)
    assert error.fields == {"reason": "bad-args", "kind": "0x5", "nargs": "2"}
    assert empty.text == "" and empty.tag is None
    assert done.line == "testdev: DONE"
    with pytest.raises(TestdevError):
        passed.value


def test_parse_line_ignores_other_lines():
    assert parse_testdev_line("[ 0.1] I boot: boot complete") is None
    assert parse_testdev_line("testdev: BOOTS") is None
    assert parse_testdev_line("testdev: DONE\r\n").kind == "DONE"


def test_results_lookups_by_tag_and_name():
    script = Script().cpuid(0, name="vendor")          # tag 0
    results = testdev_results(
        "testdev: VALUE tag=0 values=0xd,0x1,0x2,0x3\n"
        "testdev: MODE tag=9 mode=protected\ntestdev: MODE tag=9 mode=long\n"
        "testdev: PASS tag=11\ntestdev: FAIL tag=12 reason=exception values=0xd,0x1000\n"
        "testdev: DONE\n", script)
    assert results.values("vendor") == (0xD, 1, 2, 3)
    assert results.value(0) == 0xD
    assert results.modes() == ["protected", "long"]
    assert results.passed(11) and not results.passed(12)
    assert [e.tag for e in results.failures] == [12]
    assert results.done and results.boots == 0 and len(results) == 6
    assert results.kinds()[0] == "VALUE"
    with pytest.raises(TestdevError, match="expected one"):
        results.event(9)
    with pytest.raises(TestdevError, match="cpuid"):
        results.value("vendor") and results.event("vendor", "PASS")
    with pytest.raises(TestdevError, match="needs the script"):
        testdev_results("").value("vendor")
