"""The host side of saved state (docs/saved-state.md): python3-protobuf decodes the
kernel's blobs with the same schemas, byte for byte, and `tools/mezz state decode`
prints them. Uses the golden blobs of tests/vectors/saved_state (no VM)."""

import subprocess

import pytest

from harness import REPO_ROOT
from harness.saved_state import StateError, decode, encode, message_class, to_text

VECTORS = REPO_ROOT / "tests" / "vectors" / "saved_state"
MEZZ = REPO_ROOT / "tools" / "mezz"
UNITS = ["i440bx", "pam_get", "pci_proxy", "cmos_view", "fwcfg_view", "framebuffer",
         "bochs_display", "testdev", "legacy_ports", "partition"]


def golden(name):
    return (VECTORS / name).read_bytes()


@pytest.mark.parametrize("name", ["fresh-v1.bin", "busy-v1.bin"])
def test_golden_blobs_decode_and_reencode_byte_for_byte(name):
    blob = golden(name)
    units = decode(blob)
    assert [u.name for u in units] == UNITS
    # nanopb (kernel) and python protobuf (host) agree on every byte
    assert encode([(u.name, u.type_name, u.message) for u in units]) == blob


def test_busy_blob_fields():
    units = {u.name: u for u in decode(golden("busy-v1.bin"))}
    legacy = units["legacy_ports"]
    assert legacy.type_name == "mezzanine.vdev.legacy_ports.SavedState"
    assert legacy.message.kbc_expect_output_port and legacy.message.debugcon_line == b"S"
    cpu = units["partition"]
    assert cpu.type_name == "mezzanine.vtl0.partition.SavedState"
    assert cpu.message.rip == 0x7C00 and cpu.message.gprs[3] == 0x1234   # RBX
    assert list(cpu.message.irq_queue) == [0x20]
    i440bx = units["i440bx"]
    assert i440bx.type_name == "chipset.i440bx.host_pci_bridge.SavedState"
    assert i440bx.message.pam_reg1 == 0x33333303
    assert i440bx.message.bios_scratch1 == 0xCAFE
    pam = units["pam_get"].message
    assert units["pam_get"].type_name == "underhill.emuplat.i440bx.host_pci_bridge.SavedState"
    assert len(pam.handles.element) == 13
    first = pam.handles.element[0].value
    assert (first.range.start, first.range.end, first.is_rom) == (0xF0000, 0xFE000, True)
    assert not pam.handles.element[3].HasField("value")
    fb = units["framebuffer"].message
    assert fb.HasField("mapping") and fb.mapping.gpa == 0xE0000000
    assert units["cmos_view"].message.index == 0x8F


SERVICING_VECTORS = REPO_ROOT / "tests" / "vectors" / "servicing"
# The kernel registry's order, in which a running Mezzanine saves its units.
REGISTRY_UNITS = ["partition", "legacy_ports", "cmos_view", "fwcfg_view", "testdev",
                  "pci_proxy", "pam_get", "i440bx", "framebuffer", "bochs_display"]


@pytest.mark.parametrize("variant", [None, "alt"])
def test_golden_servicing_blob_decodes(variant):
    """tests/vectors/servicing/testfw-v1.bin, a blob a running Mezzanine 0.1.0 sent its
    host (README.md there), decodes with today's schemas -- and with the alt build's,
    whose testdev unit has one field more (absent here) -- and re-encodes byte for byte."""
    blob = (SERVICING_VECTORS / "testfw-v1.bin").read_bytes()
    units = decode(blob, variant)
    assert [u.name for u in units] == REGISTRY_UNITS
    assert encode([(u.name, u.type_name, u.message) for u in units]) == blob
    by_name = {u.name: u.message for u in units}
    assert (by_name["i440bx"].pam_reg1, by_name["i440bx"].pam_reg2) == (0x11111003, 0x11111111)
    first = by_name["pam_get"].handles.element[0].value
    assert (first.range.start, first.range.end, first.is_rom) == (0xF0000, 0xFE000, True)
    fb = by_name["framebuffer"]
    assert fb.mapping.gpa == 0xE0000000 and (fb.format.width, fb.format.height) == (320, 200)
    assert by_name["bochs_display"].bar0 & ~0xF == 0xE0000000
    testdev = by_name["testdev"]
    assert (testdev.cursor, testdev.events, testdev.boots) == (4529, 394, 1)
    if variant == "alt":
        assert not testdev.HasField("script_len")
    cpu = by_name["partition"]
    assert cpu.rip == 0x1A0E6 and cpu.cr0 & 0x80000001 == 0x80000001


def test_alt_variant_differs_in_one_field_only():
    """tools/proto-variant (docs/saved-state.md, "Two builds, one schema"): the alt
    build's schemas are the base ones plus testdev's optional script_len = 11."""
    from harness.saved_state import _pool
    base, alt = _pool(None), _pool("alt")
    testdev = "mezzanine.vdev.testdev.SavedState"
    assert "script_len" not in message_class(testdev).DESCRIPTOR.fields_by_name
    field = message_class(testdev, "alt").DESCRIPTOR.fields_by_name["script_len"]
    assert field.number == 11 and field.has_presence
    for name in ["i440bx.proto", "pam_get.proto", "framebuffer.proto", "partition.proto",
                 "servicing.proto", "state_unit.proto", "legacy_ports.proto"]:
        assert base.FindFileByName(name).serialized_pb == alt.FindFileByName(name).serialized_pb
    base_fields = {f.name: f.number for f in message_class(testdev).DESCRIPTOR.fields}
    alt_fields = {f.name: f.number for f in message_class(testdev, "alt").DESCRIPTOR.fields}
    assert alt_fields == {**base_fields, "script_len": 11}


def test_errors_name_the_unit():
    good = decode(golden("busy-v1.bin"))
    cls = message_class("state_unit.SavedStateUnit")
    root = message_class("mezzanine.servicing.ServicingState")()
    for u in good:
        entry = root.units.add()
        entry.name = u.name
        entry.state.type_url = "type.googleapis.com/" + u.type_name
        entry.state.value = u.value[:-1] if u.name == "fwcfg_view" else u.value
    with pytest.raises(StateError) as e:
        decode(root.SerializeToString())
    assert e.value.unit == "fwcfg_view"
    root.units[4].state.value = good[4].value
    root.units[5].state.type_url = "type.googleapis.com/no.such.SavedState"
    with pytest.raises(StateError) as e:
        decode(root.SerializeToString())
    assert e.value.unit == "framebuffer"
    assert cls is not None


def test_mezz_state_decode_prints_every_unit(tmp_path):
    result = subprocess.run([str(MEZZ), "state", "decode", str(VECTORS / "busy-v1.bin")],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout == to_text(golden("busy-v1.bin"))
    for name in UNITS:
        assert f"unit {name}: " in result.stdout
    assert "pam_backend: PAM_BACKEND_OPENHCL" in result.stdout
    cut = tmp_path / "cut.bin"
    cut.write_bytes(golden("busy-v1.bin")[:-5])
    result = subprocess.run([str(MEZZ), "state", "decode", str(cut)],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert "malformed" in result.stderr
