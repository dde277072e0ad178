"""The host program's GET codec, framing and GED logic, without QEMU.

The golden vectors (tests/vectors/get_messages.txt) are the same file the C unit tests
read (tests/unit/test_get_protocol.c): both sides agree byte for byte.
"""

import pytest

from harness import get_protocol as gp
from harness.framing import FrameParser, crc32c, encode_frame

VECTORS = gp.load_vectors()


def test_every_message_has_one_vector():
    names = {(kind, name) for kind, name, *_ in VECTORS}
    assert names == set(gp.BY_NAME)
    assert len(VECTORS) == len(gp.MESSAGES)


@pytest.mark.parametrize("kind, name, fields, tail, expected", VECTORS,
                         ids=[f"{v[0]}.{v[1]}" for v in VECTORS])
def test_golden_vector_round_trip(kind, name, fields, tail, expected):
    assert gp.encode(kind, name, tail, **fields) == expected
    message = gp.decode(expected, kind, name)
    assert message.tail == tail
    for key, value in fields.items():
        want = value
        if isinstance(value, int) and key == "time_zone":
            want = value if value < 0x8000 else value - 0x10000
        assert message.fields[key] == want, key
    assert len(expected) == gp.BY_NAME[(kind, name)].size + len(tail)


@pytest.mark.parametrize("kind, name, size", [
    ("request", "VERSION", 8), ("response", "VERSION", 6), ("response", "TIME", 32),
    ("request", "CREATE_RAM_GPA_RANGE", 40), ("response", "CREATE_RAM_GPA_RANGE", 8),
    ("request", "RESET_RAM_GPA_RANGE", 8), ("response", "RESET_RAM_GPA_RANGE", 4),
    ("response", "RESTORE_GUEST_VTL2_STATE", 10), ("request", "SAVE_GUEST_VTL2_STATE", 6),
    ("host_notification", "VTL_CRASH", 64), ("host_notification", "TRIPLE_FAULT", 16),
    ("host_notification", "START_VTL0_COMPLETED", 12), ("guest_notification", "SAVE_GUEST_VTL2_STATE", 30),
    ("request", "MAP_FRAMEBUFFER", 12), ("response", "UNMAP_FRAMEBUFFER", 8),
])
def test_sizes_match_the_reference(kind, name, size):
    assert gp.BY_NAME[(kind, name)].size == size


@pytest.mark.parametrize("data, kind", [
    (b"\x01\x03", "length"),
    (bytes([0, 3, 28, 0, 0, 0, 0, 0]), "header-version"),
    (bytes([1, 9, 28, 0, 0, 0, 0, 0]), "type"),
    (bytes([1, 3, 0x42, 0, 0, 0, 0, 0]), "id"),
    (bytes([1, 3, 28, 0, 0, 0, 0]), "length"),
    (bytes([1, 3, 28, 0, 0, 0, 0, 0, 0]), "length"),
    (bytes([1, 3, 1, 0, 2, 0]), "protocol-bool"),
    (bytes([1, 3, 28, 0, 6, 0, 0, 0]), "value"),
    (bytes([1, 3, 18, 0, 5, 0, 0, 0]) + b"abc", "length"),
    (bytes([1, 1, 9, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0]), "length"),
])
def test_decode_rejections(data, kind):
    with pytest.raises(gp.ProtocolError) as error:
        gp.decode(data)
    assert error.value.kind == kind


def test_decode_checks_expected_kind():
    data = gp.encode("response", "TIME")
    with pytest.raises(gp.ProtocolError) as error:
        gp.decode(data, "request")
    assert error.value.kind == "type"


def test_crc32c_and_frames():
    assert crc32c(b"123456789") == 0xE3069283
    frame = encode_frame(b"abc")
    assert frame[:2] == b"\x4d\x7a" and frame[2:4] == b"\x03\x00" and frame[8:] == b"abc"
    parser = FrameParser()
    bad = bytearray(encode_frame(b"xyz"))
    bad[-1] ^= 1
    got = parser.feed(b"junk" + bytes(bad) + b"\x4d\x7a\xff\xff" + frame)
    assert got == [b"abc"]
    assert parser.stats.bad_crc == 1 and parser.stats.bad_length == 1
    # Byte by byte.
    got = []
    for byte in frame * 3:
        got += parser.feed(bytes([byte]))
    assert got == [b"abc"] * 3


def test_triple_fault_registers_decode():
    regs = gp.REGISTER_STATE.pack(0x00020010, (0xFFF0).to_bytes(16, "little"))
    message = gp.decode(gp.encode("host_notification", "TRIPLE_FAULT", regs, register_count=1))
    assert gp.parse_registers(message.tail) == {"rip": 0xFFF0}
    assert message.describe()["registers"] == {"rip": "0xfff0"}


class _FakeGed:
    """The GED's slot-table logic without a socket."""

    def __init__(self):
        from harness.ged import Ged
        self.ged = Ged.__new__(Ged)
        import threading
        self.ged._lock = threading.RLock()
        self.ged.slots = {}
        self.ged.slot_count = 16
        self.ged.memory_bytes = 512 << 20
        self.ged.fail_create_slots = set()

    def create(self, slot, start, length, offset, flags=0):
        return self.ged._create(dict(slot=slot, gpa_start=start, gpa_count=length,
                                     gpa_offset=offset, flags=flags))


def test_slot_table_statuses():
    g = _FakeGed()
    assert g.create(0, 0xC0000, 0x4000, 0xC0000, gp.GPA_FLAG_ROM_MB) == gp.GPA_SUCCESS
    assert g.create(0, 0xC4000, 0x4000, 0xC4000) == gp.GPA_SLOT_OCCUPIED
    assert g.create(16, 0xC4000, 0x4000, 0xC4000) == gp.GPA_SLOT_OUT_OF_BOUNDS
    assert g.create(1, 0xC4000, 0x4000, 0xC4000, flags=1) == gp.GPA_INVALID_FLAG
    assert g.create(1, 0xC4000, 0x4000, 0xC4000, flags=4) == gp.GPA_INVALID_FLAG
    assert g.create(1, 0xC4001, 0x4000, 0xC4000) == gp.GPA_INVALID_GPA
    assert g.create(1, 0xC4000, 0, 0xC4000) == gp.GPA_INVALID_GPA
    assert g.create(1, 0xC4000, 0x4000, 600 << 20) == gp.GPA_INVALID_GPA
    assert g.create(1, 0xC2000, 0x4000, 0xC4000) == gp.GPA_INVALID_GPA   # overlaps slot 0
    g.ged.fail_create_slots.add(1)
    assert g.create(1, 0xC4000, 0x4000, 0xC4000) == gp.GPA_FAILED
    assert 1 not in g.ged.slots
    g.ged.fail_create_slots.clear()
    assert g.create(1, 0xC4000, 0x4000, 0xC4000) == gp.GPA_SUCCESS
    assert sorted(g.ged.slots) == [0, 1]
