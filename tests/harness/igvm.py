"""An IGVM v1 reader in Python, written independently of kernel/boot/igvm.c, to check
what tools/mkimage writes (docs/image.md) and to print it (`mezz image info`).

read_image(bytes) returns an Image or raises IgvmError naming the failed check. The
layouts are IGVM v1's (microsoft/igvm igvm_defs; reference/openvmm-facts.md section 5.1)
and Mezzanine's image-info TLV.
"""

import hashlib
import struct
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

PAGE = 4096
MAGIC = 0x4D564749
IGNORABLE = 0x80000000

TYPE_NAMES = {
    0x001: "SUPPORTED_PLATFORM", 0x101: "GUEST_POLICY", 0x102: "RELOCATABLE_REGION",
    0x103: "PAGE_TABLE_RELOCATION", 0x301: "PARAMETER_AREA", 0x302: "PAGE_DATA",
    0x303: "PARAMETER_INSERT", 0x304: "VP_CONTEXT", 0x305: "REQUIRED_MEMORY",
    0x307: "VP_COUNT_PARAMETER", 0x30C: "MEMORY_MAP", 0x30E: "COMMAND_LINE",
    IGNORABLE | 0x3F0: "MEZZ_IMAGE_INFO",
}
REGISTER_NAMES = {0x00020004: "rsp", 0x00020006: "rsi", 0x00020007: "rdi", 0x00020010: "rip",
                  0x00040000: "cr0", 0x00040003: "cr4", 0x00080001: "efer"}
INFO_MAGIC = 0x47495A4D


class IgvmError(ValueError):
    """A refused image; .check names the rule (the C library uses the same names)."""

    def __init__(self, check: str, detail: str):
        super().__init__(f"{check}: {detail}")
        self.check = check


@dataclass
class Image:
    total_size: int
    variable_header_offset: int
    variable_header_size: int
    checksum: int
    directives: List[Tuple[str, int]] = field(default_factory=list)   # (name, length)
    compatibility_mask: int = 0
    highest_vtl: int = 0
    platform_type: int = 0
    region: Optional[Dict[str, int]] = None
    areas: Dict[int, Dict[str, int]] = field(default_factory=dict)
    memory_map: Optional[Tuple[int, int]] = None     # (area index, byte offset)
    command_line: Optional[Tuple[int, int]] = None
    pages: List[Tuple[int, int]] = field(default_factory=list)   # (gpa, file offset or 0)
    registers: Dict[str, int] = field(default_factory=dict)
    required: Optional[Tuple[int, int, int]] = None  # (gpa, bytes, flags)
    digest: bytes = b""
    version: str = ""
    build_id: str = ""
    computed_digest: bytes = b""

    @property
    def data_pages(self) -> int:
        return sum(1 for _, off in self.pages if off)


def _section(kind: int) -> int:
    bare = kind & ~IGNORABLE
    if 0x001 <= bare <= 0x100:
        return 1
    if 0x101 <= bare <= 0x200:
        return 2
    if 0x301 <= bare <= 0x400:
        return 3
    return 0


def read_image(blob: bytes) -> Image:
    if len(blob) < 24:
        raise IgvmError("truncated file", "shorter than the fixed header")
    magic, version, var_off, var_size, total, checksum = struct.unpack_from("<6I", blob)
    if magic != MAGIC:
        raise IgvmError("bad magic", "not an IGVM file")
    if version != 1:
        raise IgvmError("bad version", f"format version {version}")
    if total > len(blob):
        raise IgvmError("truncated file", f"header says {total} bytes, file has {len(blob)}")
    if total < len(blob):
        raise IgvmError("file size", "longer than the header says")
    if var_off < 24 or var_off % 8 or var_off + var_size > total or var_size == 0:
        raise IgvmError("truncated file", "variable header outside the file")
    crc = zlib.crc32(blob[:20] + b"\0\0\0\0" + blob[24:var_off + var_size])
    if crc != checksum:
        raise IgvmError("bad CRC", f"header says {checksum:#x}, computed {crc:#x}")
    image = Image(total, var_off, var_size, checksum)
    data_start = var_off + var_size
    digest = hashlib.sha256()
    pos, end, last = var_off, var_off + var_size, 0
    seen_gpas = set()
    while pos < end:
        if end - pos < 8:
            raise IgvmError("truncated file", "TLV header cut off")
        kind, length = struct.unpack_from("<II", blob, pos)
        padded = (length + 7) & ~7
        if padded > end - pos - 8:
            raise IgvmError("truncated file", "TLV runs past the variable header")
        body = blob[pos + 8:pos + 8 + length]
        section = _section(kind)
        if section == 0 and not kind & IGNORABLE:
            raise IgvmError("unknown non-ignorable TLV", f"type {kind:#x}")
        if section:
            if section < last:
                raise IgvmError("sections out of order", f"type {kind:#x} at {pos:#x}")
            last = section
        name = TYPE_NAMES.get(kind, f"{kind:#x}")
        image.directives.append((name, length))
        if kind == 0x001:
            image.compatibility_mask, image.highest_vtl, image.platform_type, _ver, _shared = \
                struct.unpack("<IBBHQ", body)
        elif kind == 0x102:
            (_mask, _vp, _vtl, flags, align, gpa, size, lo, hi) = struct.unpack("<IHBBQQQQQ", body)
            image.region = dict(flags=flags, alignment=align, gpa=gpa, size=size, min=lo, max=hi)
        elif kind == 0x301:
            size, index, off = struct.unpack("<QII", body)
            if index in image.areas:
                raise IgvmError("parameter area", "index declared twice")
            image.areas[index] = dict(size=size, file_offset=off, gpa=None)
        elif kind in (0x30C, 0x30E):
            index, offset = struct.unpack("<II", body)
            area = image.areas.get(index)
            if area is None:
                raise IgvmError("parameter area", "undeclared area")
            if area["gpa"] is not None:
                raise IgvmError("sections out of order", "parameter after its insert")
            need = 48 if kind == 0x30C else 2
            if offset + need > area["size"]:
                raise IgvmError("parameter area does not fit", "past the area's end")
            if kind == 0x30C:
                image.memory_map = (index, offset)
            else:
                image.command_line = (index, offset)
        elif kind == 0x302:
            gpa, _mask, off, flags, dtype, _rsvd = struct.unpack("<QIIIHH", body)
            if gpa % PAGE:
                raise IgvmError("page data out of range", f"{gpa:#x} misaligned")
            if off and not (data_start <= off and off + PAGE <= total):
                raise IgvmError("page data out of range", f"data at {off:#x} outside the file")
            if gpa in seen_gpas:
                raise IgvmError("overlapping page data", f"two pages at {gpa:#x}")
            seen_gpas.add(gpa)
            image.pages.append((gpa, off))
            digest.update(struct.pack("<QIIIHH", gpa, _mask, 1 if off else 0, flags, dtype, _rsvd))
            if off:
                digest.update(blob[off:off + PAGE])
        elif kind == 0x303:
            gpa, _mask, index = struct.unpack("<QII", body)
            if index not in image.areas or image.areas[index]["gpa"] is not None:
                raise IgvmError("parameter area", "insert of an unknown or used area")
            image.areas[index]["gpa"] = gpa
        elif kind == 0x304:
            _gpa, _mask, off, vp, _rsvd = struct.unpack("<QIIHH", body)
            (count,) = struct.unpack_from("<I", blob, off)
            for i in range(count):
                vtl, reg = struct.unpack_from("<BI", blob, off + 4 + 32 * i)
                value, high = struct.unpack_from("<QQ", blob, off + 4 + 32 * i + 16)
                image.registers[REGISTER_NAMES.get(reg, f"{reg:#x}")] = value
        elif kind == 0x305:
            gpa, _mask, size, flags, _rsvd = struct.unpack("<QIIII", body)
            image.required = (gpa, size, flags)
        elif kind == IGNORABLE | 0x3F0:
            (imagic, _iver, _r, npages, ndata, dig, ver, build) = struct.unpack("<IHHII32s32s32s", body)
            if imagic != INFO_MAGIC:
                raise IgvmError("image info", "bad magic")
            image.digest = dig
            image.version = ver.rstrip(b"\0").decode(errors="replace")
            image.build_id = build.rstrip(b"\0").decode(errors="replace")
            image.info_pages = (npages, ndata)
        elif not kind & IGNORABLE:
            raise IgvmError("unknown non-ignorable TLV", f"type {kind:#x}")
        pos += 8 + padded
    image.computed_digest = digest.digest()
    if image.region:
        lo, hi = image.region["gpa"], image.region["gpa"] + image.region["size"]
        for gpa, _ in image.pages:
            if not lo <= gpa < hi:
                raise IgvmError("page data out of range", f"{gpa:#x} outside the region")
        for index, area in image.areas.items():
            if area["gpa"] is None or not (lo <= area["gpa"] and area["gpa"] + area["size"] <= hi):
                raise IgvmError("parameter area does not fit", f"area {index}")
    if not image.digest:
        raise IgvmError("image info", "no digest TLV")
    if image.digest != image.computed_digest:
        raise IgvmError("digest mismatch", "page data does not match the image's SHA-256")
    return image


def describe(image: Image, path: str = "") -> str:
    """The text `mezz image info` prints."""
    lines = [f"{path}: IGVM v1, {image.total_size} bytes" if path else
             f"IGVM v1, {image.total_size} bytes",
             f"  version {image.version}, build {image.build_id}",
             f"  variable header at {image.variable_header_offset:#x}, "
             f"{image.variable_header_size} bytes, CRC32 {image.checksum:#010x} (ok)",
             f"  platform: native, highest VTL {image.highest_vtl}, "
             f"compatibility mask {image.compatibility_mask:#x}"]
    if image.region:
        r = image.region
        lines.append(f"  relocatable region: {r['gpa']:#x} + {r['size']:#x}, "
                     f"alignment {r['alignment']:#x}, allowed {r['min']:#x}-{r['max']:#x}")
    if image.required:
        gpa, size, flags = image.required
        lines.append(f"  required memory: {gpa:#x} + {size >> 20} MiB"
                     f"{' (vtl2 protectable)' if flags & 1 else ''}")
    lines.append(f"  page data: {len(image.pages)} pages, {image.data_pages} with data, "
                 f"{len(image.pages) - image.data_pages} zero; "
                 f"{image.pages[0][0]:#x}-{image.pages[-1][0] + PAGE - 1:#x}" if image.pages
                 else "  page data: none")
    for index, area in sorted(image.areas.items()):
        what = ("memory map" if image.memory_map and image.memory_map[0] == index else
                "command line" if image.command_line and image.command_line[0] == index else "?")
        lines.append(f"  parameter area {index}: {area['size']} bytes at {area['gpa']:#x} ({what})")
    regs = ", ".join(f"{name}={value:#x}" for name, value in image.registers.items())
    lines.append(f"  vp context: {regs}")
    lines.append(f"  sha256 digest: {image.digest.hex()} (ok)")
    counts: Dict[str, int] = {}
    for name, _ in image.directives:
        counts[name] = counts.get(name, 0) + 1
    lines.append("  directives: " + ", ".join(f"{name} x{n}" for name, n in counts.items()))
    return "\n".join(lines)
