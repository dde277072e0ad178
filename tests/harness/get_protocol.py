"""The GET wire format, host side (SPEC section 4; get/protocol.h is the C twin).

Messages are named from the host's point of view, as in OpenHCL: KIND is one of
"request" (Mezzanine -> host), "response" (host -> Mezzanine), "host_notification"
(Mezzanine -> host) and "guest_notification" (host -> Mezzanine).

encode(kind, name, **fields) -> bytes and decode(data, kind=None) -> Message are exact
inverses on valid input; decode raises ProtocolError with a `.kind` naming the defect
("length", "header-version", "type", "id", "protocol-bool", "value") like the C codec.
tests/vectors/get_messages.txt holds one golden byte vector per message; both the C
unit tests and the Python tests read it.
"""

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

HEADER = struct.Struct("<BBH")
HEADER_VERSION_1 = 1

HOST_NOTIFICATION = 1
HOST_REQUEST = 2
HOST_RESPONSE = 3
GUEST_NOTIFICATION = 4

KIND_TYPE = {"host_notification": HOST_NOTIFICATION, "request": HOST_REQUEST,
             "response": HOST_RESPONSE, "guest_notification": GUEST_NOTIFICATION}
TYPE_KIND = {v: k for k, v in KIND_TYPE.items()}

VERSION_NICKEL_REV2 = 0x00040002
MAX_MESSAGE_SIZE = 12288
MAX_PAYLOAD_SIZE = 8192

# Host request ids (responses use the same id, except DPS v2 which may answer 27).
REQ_VERSION = 1
REQ_TIME = 2
REQ_IGVM_ATTEST = 8
REQ_DPS_V2 = 18
REQ_VPCI_DEVICE_CONTROL = 19
REQ_SAVE = 20
REQ_RESTORE = 21
REQ_DPS_V2_REV1 = 27
REQ_CREATE_RAM_GPA_RANGE = 28
REQ_RESET_RAM_GPA_RANGE = 29
REQ_UNMAP_FRAMEBUFFER = 0xFFFE
REQ_MAP_FRAMEBUFFER = 0xFFFF
REQ_EXT_ECHO = 0x8000  # ours: transport echo, answered unparsed
REQ_EXT_RING = 0x8002  # ours: ring offer over the UART (ring.py), answered by the transport

HN_POWER_OFF = 1
HN_RESET = 2
HN_EVENT_LOG = 3
HN_RESTORE_COMPLETED = 5
HN_START_VTL0_COMPLETED = 7
HN_VTL_CRASH = 8
HN_TRIPLE_FAULT = 9
HN_EXT_VTL0_HALTED = 0x8001  # ours: VTL0 stopped itself (HLT with IF = 0, nothing pending)
VTL0_HALTED_HLT_IF_CLEAR = 1

GN_UPDATE_GENERATION_ID = 1
GN_SAVE_GUEST_VTL2_STATE = 2

SAVE_RESTORE_SUCCESS = 0
SAVE_RESTORE_FAILURE = 1
SAVE_RESTORE_MORE_DATA = 2
SAVE_RESTORE_REQUEST_DATA = 3

GPA_SUCCESS = 0
GPA_SLOT_OUT_OF_BOUNDS = 1
GPA_SLOT_OCCUPIED = 2
GPA_INVALID_FLAG = 3
GPA_INVALID_GPA = 4
GPA_FAILED = 5
GPA_STATUS_NAMES = {0: "SUCCESS", 1: "SLOT_OUT_OF_BOUNDS", 2: "SLOT_OCCUPIED",
                    3: "INVALID_FLAG", 4: "INVALID_GPA", 5: "FAILED"}
GPA_FLAG_ROM_MB = 1 << 1

DPS_PAYLOAD_END = 0
DPS_PAYLOAD_MORE = 1

REGISTER_STATE = struct.Struct("<I16s")
# HvX64RegisterName values Mezzanine sends in TRIPLE_FAULT.
REGISTER_NAMES = {0x00020000 + i: n for i, n in enumerate(
    ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
     "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip", "rflags"])}
REGISTER_NAMES.update({0x00040000: "cr0", 0x00040001: "cr2", 0x00040002: "cr3",
                       0x00040003: "cr4", 0x00080001: "efer"})
REGISTER_NAMES.update({0x00060000 + i: n for i, n in enumerate(["es", "cs", "ss", "ds", "fs", "gs"])})


class ProtocolError(ValueError):
    """A message that violates the GET format. kind: length, header-version, type, id,
    protocol-bool or value."""

    def __init__(self, kind: str, message: str):
        super().__init__(f"{kind}: {message}")
        self.kind = kind


def _codes(fmt: str) -> List[str]:
    """Split a struct format into one code per field ("5Q" gives five "Q")."""
    codes, count = [], ""
    for ch in fmt:
        if ch.isdigit():
            count += ch
            continue
        if ch == "s":
            codes.append(count + "s")
        else:
            codes.extend([ch] * int(count or "1"))
        count = ""
    return codes


@dataclass(frozen=True)
class MsgDef:
    kind: str
    name: str
    id: int
    fmt: str                      # struct format of the fields after the header
    fields: Tuple[str, ...]
    tail: bool = False            # variable data follows
    bools: Tuple[str, ...] = ()   # ProtocolBool fields

    def __post_init__(self):
        # Worked out once per message kind, not per message: the GED answers thousands
        # of requests a second over the rings (docs/benchmarks.md, issue 11).
        codes = _codes(self.fmt)
        fixed = struct.Struct("<" + self.fmt)
        cache = {"_struct": fixed, "_size": HEADER.size + fixed.size,
                 "_header": HEADER.pack(HEADER_VERSION_1, KIND_TYPE[self.kind], self.id),
                 "_defaults": tuple(b"" if c.endswith("s") else 0 for c in codes),
                 "_field_set": frozenset(self.fields)}
        for key, value in cache.items():
            object.__setattr__(self, key, value)

    @property
    def type(self) -> int:
        return KIND_TYPE[self.kind]

    @property
    def size(self) -> int:
        return self._size


def _d(kind, name, id_, fmt="", fields=(), tail=False, bools=()):
    return MsgDef(kind, name, id_, fmt, tuple(fields), tail, tuple(bools))


MESSAGES: List[MsgDef] = [
    _d("request", "VERSION", REQ_VERSION, "I", ["version"]),
    _d("response", "VERSION", REQ_VERSION, "BB", ["version_accepted", "pad"], bools=["version_accepted"]),
    _d("request", "TIME", REQ_TIME),
    _d("response", "TIME", REQ_TIME, "IQqhB5s",
       ["pad", "vm_reference_time", "utc", "time_zone", "daylight_savings", "pad2"],
       bools=["daylight_savings"]),
    _d("request", "DEVICE_PLATFORM_SETTINGS_V2", REQ_DPS_V2),
    _d("response", "DEVICE_PLATFORM_SETTINGS_V2", REQ_DPS_V2, "I", ["size"], tail=True),
    _d("response", "DEVICE_PLATFORM_SETTINGS_V2_REV1", REQ_DPS_V2_REV1, "II",
       ["size", "payload_state"], tail=True),
    _d("request", "SAVE_GUEST_VTL2_STATE", REQ_SAVE, "H", ["save_status"], tail=True),
    _d("response", "SAVE_GUEST_VTL2_STATE", REQ_SAVE, "H", ["save_status"]),
    _d("request", "RESTORE_GUEST_VTL2_STATE", REQ_RESTORE, "H", ["restore_status"]),
    _d("response", "RESTORE_GUEST_VTL2_STATE", REQ_RESTORE, "IH",
       ["data_length", "restore_status"], tail=True),
    _d("request", "CREATE_RAM_GPA_RANGE", REQ_CREATE_RAM_GPA_RANGE, "IQQQQ",
       ["slot", "gpa_start", "gpa_count", "gpa_offset", "flags"]),
    _d("response", "CREATE_RAM_GPA_RANGE", REQ_CREATE_RAM_GPA_RANGE, "I", ["status"]),
    _d("request", "RESET_RAM_GPA_RANGE", REQ_RESET_RAM_GPA_RANGE, "I", ["slot"]),
    _d("response", "RESET_RAM_GPA_RANGE", REQ_RESET_RAM_GPA_RANGE),
    _d("request", "MAP_FRAMEBUFFER", REQ_MAP_FRAMEBUFFER, "Q", ["gpa"]),
    _d("response", "MAP_FRAMEBUFFER", REQ_MAP_FRAMEBUFFER, "I", ["status"]),
    _d("request", "UNMAP_FRAMEBUFFER", REQ_UNMAP_FRAMEBUFFER),
    _d("response", "UNMAP_FRAMEBUFFER", REQ_UNMAP_FRAMEBUFFER, "I", ["status"]),
    _d("request", "EXT_ECHO", REQ_EXT_ECHO, tail=True),
    _d("response", "EXT_ECHO", REQ_EXT_ECHO, tail=True),
    _d("host_notification", "POWER_OFF", HN_POWER_OFF, "BB", ["hibernate", "pad"], bools=["hibernate"]),
    _d("host_notification", "RESET", HN_RESET),
    _d("host_notification", "EVENT_LOG", HN_EVENT_LOG, "I", ["event_log_id"]),
    _d("host_notification", "RESTORE_GUEST_VTL2_STATE_COMPLETED", HN_RESTORE_COMPLETED, "H", ["status"]),
    _d("host_notification", "START_VTL0_COMPLETED", HN_START_VTL0_COMPLETED, "II",
       ["status", "result_document_size"], tail=True),
    _d("host_notification", "VTL_CRASH", HN_VTL_CRASH, "IBBHIQ5Q",
       ["vp_index", "last_vtl", "reserved0", "reserved1", "reserved2", "control",
        "p0", "p1", "p2", "p3", "p4"]),
    _d("host_notification", "TRIPLE_FAULT", HN_TRIPLE_FAULT, "III",
       ["vp_index", "fault_type", "register_count"], tail=True),
    _d("host_notification", "EXT_VTL0_HALTED", HN_EXT_VTL0_HALTED, "IIQ",
       ["vp_index", "reason", "rip"]),
    _d("guest_notification", "UPDATE_GENERATION_ID", GN_UPDATE_GENERATION_ID, "I16s",
       ["pad", "generation_id"]),
    _d("guest_notification", "SAVE_GUEST_VTL2_STATE", GN_SAVE_GUEST_VTL2_STATE, "16sQH",
       ["correlation_id", "capabilities_flags", "timeout_hint_secs"]),
    _d("guest_notification", "VPCI_DEVICE_NOTIFICATION", 4, "16sI", ["bus_instance_id", "code"]),
    _d("guest_notification", "BATTERY_STATUS", 7, "IIII",
       ["flags", "max_capacity", "remaining_capacity", "rate"]),
    _d("guest_notification", "INJECT_DEBUG_INTERRUPT", 8, "BB", ["vtl", "pad"]),
    _d("guest_notification", "NOTIFY_POST_LIVE_MIGRATION", 9),
]

BY_NAME: Dict[Tuple[str, str], MsgDef] = {(m.kind, m.name): m for m in MESSAGES}
BY_ID: Dict[Tuple[int, int], MsgDef] = {(m.type, m.id): m for m in MESSAGES}


@dataclass
class Message:
    """A decoded message: its definition, field values, and the bytes after the fixed part."""
    d: MsgDef
    fields: Dict[str, Any]
    tail: bytes = b""
    raw: bytes = field(default=b"", repr=False)

    @property
    def name(self) -> str:
        return self.d.name

    @property
    def kind(self) -> str:
        return self.d.kind

    def describe(self) -> Dict[str, Any]:
        """Fields as JSON-friendly values (bytes as hex), for the transcript."""
        return describe(self.d, self.fields, self.tail)


def describe(d: MsgDef, fields: Dict[str, Any], tail: bytes) -> Dict[str, Any]:
    """A message's fields as JSON-friendly values (bytes as hex), padding left out; the
    GED's transcript calls this only when someone reads it (transcript.py)."""
    out = {}
    for key, value in fields.items():
        if key.startswith(("pad", "reserved")):
            continue
        out[key] = value.hex() if isinstance(value, bytes) else value
    if d.name == "TRIPLE_FAULT":
        out["registers"] = {k: (hex(v) if isinstance(v, int) else v)
                            for k, v in parse_registers(tail).items()}
    elif d.name in ("DEVICE_PLATFORM_SETTINGS_V2", "DEVICE_PLATFORM_SETTINGS_V2_REV1",
                    "START_VTL0_COMPLETED"):
        out["text"] = tail.decode("utf-8", "replace")[:200]
    elif tail:
        out["tail_bytes"] = len(tail)
    return out


def header(kind: str, id_: int) -> bytes:
    return HEADER.pack(HEADER_VERSION_1, KIND_TYPE[kind], id_)


def encode(kind: str, name: str, tail: bytes = b"", **fields: Any) -> bytes:
    """Encode one message; missing fields are 0 (or zero bytes), unknown ones an error."""
    return encode_def(BY_NAME[(kind, name)], tail, fields)


def encode_def(d: MsgDef, tail: bytes, fields: Dict[str, Any]) -> bytes:
    """encode() for a definition already looked up (the GED's hot path)."""
    if not d._field_set.issuperset(fields):
        raise KeyError(f"{d.name} has no field(s) {sorted(set(fields) - d._field_set)}")
    if tail and not d.tail:
        raise ValueError(f"{d.name} takes no trailing data")
    fixed = d._struct.pack(*map(fields.get, d.fields, d._defaults))
    return b"".join((d._header, fixed, tail)) if tail else d._header + fixed


def decode(data: bytes, kind: Optional[str] = None, name: Optional[str] = None) -> Message:
    """Validate and decode one message. With kind (and name) given, also require them."""
    if len(data) < HEADER.size:
        raise ProtocolError("length", f"{len(data)} bytes is shorter than a header")
    if len(data) > MAX_MESSAGE_SIZE:
        raise ProtocolError("length", f"{len(data)} bytes is over {MAX_MESSAGE_SIZE}")
    version, type_, id_ = HEADER.unpack_from(data)
    if version != HEADER_VERSION_1:
        raise ProtocolError("header-version", f"header version {version}")
    if type_ not in TYPE_KIND or (kind is not None and KIND_TYPE[kind] != type_):
        raise ProtocolError("type", f"message type {type_}")
    d = BY_ID.get((type_, id_))
    if d is None or (name is not None and d.name != name):
        raise ProtocolError("id", f"message id {id_:#x} for type {type_}")
    if len(data) < d.size or (not d.tail and len(data) != d.size):
        raise ProtocolError("length", f"{d.name}: {len(data)} bytes, fixed part {d.size}")
    fields = dict(zip(d.fields, d._struct.unpack_from(data, HEADER.size)))
    tail = bytes(data[d._size:]) if len(data) > d._size else b""
    for b in d.bools:
        if fields[b] not in (0, 1):
            raise ProtocolError("protocol-bool", f"{d.name}.{b} = {fields[b]}")
    if d.name in _CHECKED_NAMES:
        _check_lengths(d, fields, tail)
    return Message(d, fields, tail, bytes(data))


# Every message name _check_lengths() has a rule for (a superset is harmless): the rest
# skip the call.
_CHECKED_NAMES = frozenset({
    "DEVICE_PLATFORM_SETTINGS_V2", "DEVICE_PLATFORM_SETTINGS_V2_REV1", "RESTORE_GUEST_VTL2_STATE",
    "START_VTL0_COMPLETED", "TRIPLE_FAULT", "SAVE_GUEST_VTL2_STATE", "CREATE_RAM_GPA_RANGE",
    "RESTORE_GUEST_VTL2_STATE_COMPLETED"})


def _check_lengths(d: MsgDef, f: Dict[str, Any], tail: bytes) -> None:
    n = len(tail)
    if d.kind == "response" and d.name.startswith("DEVICE_PLATFORM_SETTINGS") and f["size"] != n:
        raise ProtocolError("length", f"{d.name}: size {f['size']} but {n} bytes follow")
    if d.name == "RESTORE_GUEST_VTL2_STATE" and d.kind == "response" and f["data_length"] != n:
        raise ProtocolError("length", f"RESTORE: data_length {f['data_length']} but {n} bytes follow")
    if d.name == "START_VTL0_COMPLETED" and f["result_document_size"] != n:
        raise ProtocolError("length", "START_VTL0_COMPLETED: document size mismatch")
    if d.name == "TRIPLE_FAULT" and f["register_count"] * REGISTER_STATE.size != n:
        raise ProtocolError("length", "TRIPLE_FAULT: register count does not match the data")
    if d.name == "SAVE_GUEST_VTL2_STATE" and d.kind == "request":
        if n > MAX_PAYLOAD_SIZE:
            raise ProtocolError("length", f"SAVE chunk of {n} bytes")
        if f["save_status"] > SAVE_RESTORE_MORE_DATA:
            raise ProtocolError("value", f"SAVE status {f['save_status']}")
    if d.name == "RESTORE_GUEST_VTL2_STATE" and d.kind == "request" and \
            f["restore_status"] != SAVE_RESTORE_REQUEST_DATA:
        raise ProtocolError("value", f"RESTORE request status {f['restore_status']}")
    if d.name == "CREATE_RAM_GPA_RANGE" and d.kind == "response" and f["status"] > GPA_FAILED:
        raise ProtocolError("value", f"CREATE status {f['status']}")
    if d.name == "RESTORE_GUEST_VTL2_STATE_COMPLETED" and f["status"] > SAVE_RESTORE_FAILURE:
        raise ProtocolError("value", f"RESTORE_COMPLETED status {f['status']}")
    if d.name == "START_VTL0_COMPLETED" and f["status"] > 1:
        raise ProtocolError("value", f"START_VTL0_COMPLETED status {f['status']}")


def parse_registers(tail: bytes) -> Dict[str, Any]:
    """TRIPLE_FAULT register list -> {name: int value (u128, little-endian)}."""
    regs = {}
    for offset in range(0, len(tail) - len(tail) % REGISTER_STATE.size, REGISTER_STATE.size):
        name, value = REGISTER_STATE.unpack_from(tail, offset)
        key = REGISTER_NAMES.get(name, f"{name:#010x}")
        regs[key] = int.from_bytes(value, "little")
    return regs


# ---------------------------------------------------------------- golden vectors

VECTORS_FILE = Path(__file__).resolve().parents[1] / "vectors" / "get_messages.txt"


def _parse_value(text: str) -> Any:
    if text.startswith("h:"):
        return bytes.fromhex(text[2:])
    return int(text, 0)


def load_vectors(path: Path = VECTORS_FILE) -> List[Tuple[str, str, Dict[str, Any], bytes, bytes]]:
    """[(kind, name, fields, tail, expected bytes)] from the golden vector file.

    Line format: `KIND NAME field=value ... [tail=h:HEX] : HEX BYTES`; values are
    integers (0x... or decimal) or h:HEX for byte strings; `#` starts a comment.
    """
    vectors = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        left, hexpart = line.split(" : ", 1)
        words = left.split()
        kind, name = words[0], words[1]
        fields, tail = {}, b""
        for word in words[2:]:
            key, value = word.split("=", 1)
            if key == "tail":
                tail = _parse_value(value)
            else:
                fields[key] = _parse_value(value)
        vectors.append((kind, name, fields, tail, bytes.fromhex(hexpart.replace(" ", ""))))
    return vectors
