"""The paravisor image (docs/image.md): tools/mkimage's output read by the harness's own
Python reader and by the C loader library agree field by field; corrupted copies are
refused by both with the same check; a corrupted image is refused at boot by the shim
with its message, never run (issue 10)."""

import json
import struct
import subprocess
import zlib

import pytest

from harness import DEFAULT_KERNEL, HaltReason, REPO_ROOT, Vm
from harness.igvm import IgvmError, read_image

DUMP = REPO_ROOT / "build" / "host" / "igvm-dump"
MEZZ = REPO_ROOT / "tools" / "mezz"
SLOT0 = 0x1C000000


def c_plan(path, base=None):
    if not DUMP.is_file():
        pytest.fail(f"{DUMP} does not exist: run make", pytrace=False)
    args = [str(DUMP), str(path)] + ([hex(base)] if base is not None else [])
    proc = subprocess.run(args, capture_output=True, text=True, timeout=30)
    return proc.returncode, json.loads(proc.stdout)


def test_python_reader_and_c_library_agree_on_the_real_image(kernel):
    image = read_image(kernel.read_bytes())
    status, plan = c_plan(kernel)
    assert status == 0, plan
    assert plan["version"] == image.version == (REPO_ROOT / "VERSION").read_text().strip()
    assert plan["build_id"] == image.build_id and image.build_id
    assert bytes.fromhex(plan["digest"]) == image.digest == image.computed_digest
    assert plan["compatibility_mask"] == image.compatibility_mask == 1
    assert plan["highest_vtl"] == image.highest_vtl == 2
    region = image.region
    assert plan["region"] == {k: region[k] for k in ("gpa", "size", "alignment", "min", "max")}
    assert plan["required"] == [image.required[0], image.required[1]]
    assert plan["entry"] == {name: image.registers[name] for name in ("rip", "cr0", "cr4", "efer")}
    assert [[a["index"], a["size"], a["gpa"]] for a in plan["areas"]] == \
        [[i, a["size"], a["gpa"]] for i, a in sorted(image.areas.items())]
    assert tuple(plan["memory_map"]) == image.memory_map
    assert tuple(plan["command_line"]) == image.command_line
    assert [tuple(p) for p in plan["pages"]] == image.pages


def test_relocation_moves_every_page_by_the_slot_distance(kernel):
    image = read_image(kernel.read_bytes())
    status, plan = c_plan(kernel, SLOT0)
    assert status == 0, plan
    delta = SLOT0 - image.region["gpa"]
    assert [tuple(p) for p in plan["pages"]] == [(gpa + delta, off) for gpa, off in image.pages]


def _tlv(blob, kind, n=0):
    var_off, var_size = struct.unpack_from("<II", blob, 8)
    pos = var_off
    while pos < var_off + var_size:
        t, length = struct.unpack_from("<II", blob, pos)
        if t == kind:
            if n == 0:
                return pos
            n -= 1
        pos += 8 + ((length + 7) & ~7)
    raise AssertionError(f"no TLV {kind:#x}")


def _fix_crc(blob):
    var_off, var_size = struct.unpack_from("<II", blob, 8)
    blob[20:24] = b"\0\0\0\0"
    blob[20:24] = struct.pack("<I", zlib.crc32(bytes(blob[:var_off + var_size])))
    return blob


def _corrupt(blob, what):
    b = bytearray(blob)
    if what == "truncated file":
        return bytes(b[:-4096])
    if what == "bad magic":
        b[0] ^= 0xFF
    elif what == "bad version":
        b[4] = 2
        _fix_crc(b)
    elif what == "bad CRC":
        b[_tlv(b, 0x302, 2) + 9] ^= 0x10
    elif what == "digest mismatch":
        off = struct.unpack_from("<I", b, _tlv(b, 0x302) + 8 + 12)[0]
        b[off + 7] ^= 1
    elif what == "overlapping page data":
        first, second = _tlv(b, 0x302, 0), _tlv(b, 0x302, 1)
        b[second + 8:second + 16] = b[first + 8:first + 16]
        _fix_crc(b)
    elif what == "page data out of range":
        struct.pack_into("<Q", b, _tlv(b, 0x302, 1) + 8, 0x600000)
        _fix_crc(b)
    elif what == "sections out of order":
        platform, area = _tlv(b, 0x001), _tlv(b, 0x301)
        b[platform:platform + 24], b[area:area + 24] = b[area:area + 24], b[platform:platform + 24]
        _fix_crc(b)
    elif what == "unknown non-ignorable TLV":
        struct.pack_into("<I", b, _tlv(b, 0x800003F0), 0x3F1)
        _fix_crc(b)
    elif what == "parameter area does not fit":
        struct.pack_into("<I", b, _tlv(b, 0x30C) + 12, 8192 - 8)
        _fix_crc(b)
    return bytes(b)


CORRUPTIONS = ["truncated file", "bad magic", "bad version", "bad CRC", "digest mismatch",
               "overlapping page data", "page data out of range", "sections out of order",
               "unknown non-ignorable TLV", "parameter area does not fit"]


@pytest.mark.parametrize("check", CORRUPTIONS)
def test_both_readers_refuse_a_corrupted_copy_with_the_same_check(kernel, tmp_path, check):
    bad = tmp_path / "bad.igvm"
    bad.write_bytes(_corrupt(kernel.read_bytes(), check))
    with pytest.raises(IgvmError) as refused:
        read_image(bad.read_bytes())
    assert refused.value.check == check
    status, plan = c_plan(bad)
    assert status == 1 and plan["check"] == check, plan


@pytest.mark.parametrize("check", ["digest mismatch", "sections out of order", "bad CRC"])
def test_the_shim_refuses_a_corrupted_image_before_entering_it(kernel, tmp_path, test_log_dir, check):
    bad = tmp_path / "bad.igvm"
    bad.write_bytes(_corrupt(kernel.read_bytes(), check))
    with Vm(kernel=bad, timeout=30, log_dir=test_log_dir) as machine:
        halt = machine.wait_for_halt(30)
    assert halt.reason == HaltReason.IMAGE_REJECTED, halt
    assert halt.detail.startswith(f"igvm: {check}"), halt.detail
    assert "Mezzanine " not in machine.console      # the kernel never ran


def test_mezz_image_info_prints_the_image(kernel):
    proc = subprocess.run([str(MEZZ), "image", "info", str(kernel)], capture_output=True,
                          text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    image = read_image(kernel.read_bytes())
    assert f"version {image.version}, build {image.build_id}" in proc.stdout
    assert image.digest.hex() in proc.stdout
    assert f"PAGE_DATA x{len(image.pages)}" in proc.stdout
    assert "relocatable region: 0x200000 + 0x400000" in proc.stdout


def test_mezz_run_reports_a_rejected_image(kernel, tmp_path):
    bad = tmp_path / "bad.igvm"
    bad.write_bytes(_corrupt(kernel.read_bytes(), "digest mismatch"))
    proc = subprocess.run([str(MEZZ), "run", "--kernel", str(bad), "--timeout", "30"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 7, proc.stderr
    assert "mezz: halted: image-rejected: igvm: digest mismatch" in proc.stderr
    info = subprocess.run([str(MEZZ), "image", "info", str(bad)], capture_output=True,
                          text=True, timeout=30)
    assert info.returncode == 1 and "digest mismatch" in info.stdout


def test_the_default_boot_is_the_igvm_path(vm):
    assert DEFAULT_KERNEL.name == "mezzanine.igvm"
    machine = vm()
    machine.wait_for_log(r"boot complete", 20)
    assert "loader 'mezzanine igvm shim'" in machine.console
    assert "(from the loader)" in machine.console    # the shim measured the TSC


def test_the_flat_kernel_still_boots_directly(vm, flat_kernel):
    machine = vm(kernel=flat_kernel)
    machine.wait_for_log(r"boot complete", 20)
    assert "loader 'qemu" in machine.console.lower()    # QEMU's multiboot loader
    assert "(from the loader)" not in machine.console   # calibrated against the PIT


def test_servicing_can_plan_the_other_slot(kernel):
    """The load plan takes the kernel's slot as a parameter: slot1 of the default region."""
    slot1 = SLOT0 + 0x400000
    status, plan = c_plan(kernel, slot1)
    assert status == 0, plan
    assert plan["load_base"] == slot1 and plan["pages"][0][0] == slot1
    status, plan = c_plan(kernel, slot1 + 0x1000)       # not 2 MiB aligned
    assert status == 1 and plan["check"] == "relocatable region"


def test_the_shim_refuses_to_place_vtl2_in_too_little_ram(kernel, test_log_dir):
    """64 MiB of RAM cannot hold the 64 MiB VTL2 region above QEMU's loaded modules: the
    shim says so and ends the machine before writing anything (no triple fault)."""
    with Vm(kernel=kernel, memory_mb=64, timeout=30, log_dir=test_log_dir) as machine:
        halt = machine.wait_for_halt(30)
    assert halt.reason == HaltReason.IMAGE_REJECTED, halt
    assert halt.detail.startswith("vtl2 region:"), halt.detail
