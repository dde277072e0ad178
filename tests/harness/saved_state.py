"""Saved-state blobs on the host side (docs/saved-state.md).

The same schemas as the kernel's (kernel/servicing/proto/*.proto), read with Debian's
python3-protobuf: protoc (protobuf-compiler) turns them into a FileDescriptorSet at run
time and a private descriptor pool builds the message classes from it, so nothing is
generated into the tree. A blob is a mezzanine.servicing.ServicingState: a list of
state_unit.SavedStateUnit{name, google.protobuf.Any}.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from google.protobuf.message import DecodeError

from .paths import REPO_ROOT

PROTO_DIR = REPO_ROOT / "kernel" / "servicing" / "proto"
PROTO_VARIANT_TOOL = REPO_ROOT / "tools" / "proto-variant"
PROTO_INCLUDE = Path("/usr/include")          # google/protobuf/any.proto (libprotobuf-dev)
ROOT_MESSAGE = "mezzanine.servicing.ServicingState"
TYPE_URL_PREFIX = "type.googleapis.com/"


class StateError(Exception):
    """A blob that does not decode; `unit` names the unit it is about, if any."""

    def __init__(self, message: str, unit: str | None = None):
        super().__init__(f"unit {unit!r}: {message}" if unit else message)
        self.unit = unit


@dataclass
class Unit:
    name: str
    type_name: str          # the schema's full message name
    value: bytes            # the unit's encoded state
    message: object         # the decoded state


@lru_cache(maxsize=4)
def _pool(variant: str | None = None) -> descriptor_pool.DescriptorPool:
    """The schemas' descriptors; with a variant (e.g. "alt", the build `make
    servicing-alt` makes), as tools/proto-variant turns them for that build's generator."""
    with tempfile.TemporaryDirectory() as tmp:
        proto_dir = PROTO_DIR
        if variant:
            proto_dir = Path(tmp)
            subprocess.run([str(PROTO_VARIANT_TOOL), variant, str(PROTO_DIR), tmp], check=True)
        protos = sorted(p.name for p in proto_dir.glob("*.proto"))
        out = subprocess.run(
            ["protoc", f"-I{proto_dir}", f"-I{PROTO_INCLUDE}", "--include_imports",
             "--descriptor_set_out=/dev/stdout", *protos],
            check=True, capture_output=True).stdout
    files = descriptor_pb2.FileDescriptorSet.FromString(out)
    pool = descriptor_pool.DescriptorPool()
    for f in files.file:
        pool.Add(f)
    return pool


def message_class(full_name: str, variant: str | None = None):
    """The message class of a schema's message, e.g. 'framebuffer.SavedState'."""
    pool = _pool(variant)
    return message_factory.MessageFactory(pool).GetPrototype(pool.FindMessageTypeByName(full_name))


def decode(blob: bytes, variant: str | None = None) -> list[Unit]:
    """All units of a blob, each decoded with its own schema (the variant's, if given:
    fields only that build knows are then fields, not unknown). Raises StateError."""
    try:
        root = message_class(ROOT_MESSAGE, variant).FromString(blob)
    except DecodeError as e:
        raise StateError(f"envelope malformed: {e}") from None
    units, seen = [], set()
    for u in root.units:
        if not u.name:
            raise StateError("a unit without a name")
        if u.name in seen:
            raise StateError("unit appears twice", u.name)
        seen.add(u.name)
        if not u.HasField("state"):
            raise StateError("unit has no state", u.name)
        url = u.state.type_url
        if not url.startswith(TYPE_URL_PREFIX):
            raise StateError(f"type URL {url!r} not valid", u.name)
        type_name = url[len(TYPE_URL_PREFIX):]
        try:
            cls = message_class(type_name, variant)
        except KeyError:
            raise StateError(f"no schema for {type_name}", u.name) from None
        try:
            msg = cls.FromString(u.state.value)
        except DecodeError as e:
            raise StateError(f"state malformed: {e}", u.name) from None
        units.append(Unit(u.name, type_name, bytes(u.state.value), msg))
    return units


def to_text(blob: bytes, variant: str | None = None) -> str:
    """A blob as text: one block per unit, its fields in protobuf text format."""
    lines = []
    for u in decode(blob, variant):
        lines.append(f"unit {u.name}: {u.type_name} ({len(u.value)} bytes)")
        body = text_format.MessageToString(u.message, descriptor_pool=_pool(variant))
        lines.extend("  " + line for line in body.splitlines())
    return "\n".join(lines) + "\n"


def encode(units: list[tuple[str, str, object]]) -> bytes:
    """A blob from (unit name, schema full name, message) triples (tests, tools)."""
    root = message_class(ROOT_MESSAGE)()
    for name, type_name, msg in units:
        u = root.units.add()
        u.name = name
        u.state.type_url = TYPE_URL_PREFIX + type_name
        u.state.value = msg.SerializeToString()
    return root.SerializeToString()
