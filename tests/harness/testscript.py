"""Encoder for the test firmware's scripts (docs/testdev.md, "Script format").

    script = (Script().mode("long").read32(0xA0000, name="vga")
              .write8(0xF0000, 0x55).read8(0xF0000).expect(0x55).poweroff())
    vm = Vm(vtl0=TESTFW, modules={"testscript": script.encode()})
    ...
    results = testdev_results(vm, script)
    assert results.value("vga") == 0xFFFFFFFF

Every method appends one operation and returns the Script, so calls chain. An
operation's tag is its byte offset in the encoded script; `name=` gives it a name that
TestdevResults (harness/testdev.py) accepts in place of the tag. The opcodes mirror
tests/guests/testfw/script.h.

Run as a program, `--slot` writes the firmware's built-in script slot holding the
default script (the build puts it into the image), `--list` lists the default script.
"""

import struct
import sys
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

# Opcodes: tests/guests/testfw/script.h.
OP_END = 0x00
OP_MODE = 0x01
OP_LOG = 0x02
OP_EXPECT = 0x03
OP_READ = {8: 0x10, 16: 0x11, 32: 0x12, 64: 0x13}
OP_WRITE = {8: 0x18, 16: 0x19, 32: 0x1A, 64: 0x1B}
OP_CPUID = 0x20
OP_RDMSR = 0x21
OP_WRMSR = 0x22
OP_UD2 = 0x23
OP_RDTSCP = 0x24
OP_RDPID = 0x25
OP_IN = {8: 0x28, 16: 0x29, 32: 0x2A}
OP_OUT = {8: 0x2C, 16: 0x2D, 32: 0x2E}
OP_POWER_OFF = 0x30
OP_RESET_CF9 = 0x31
OP_RESET_KBC = 0x32
OP_TRIPLE_FAULT = 0x33
OP_HLT = 0x34
OP_TIMER_IRQ = 0x38
OP_PCI_FIND = 0x40
OP_PCI_READ = {8: 0x41, 16: 0x42, 32: 0x43}
OP_PCI_WRITE = {8: 0x44, 16: 0x45, 32: 0x46}
PCI_ENABLE = 0x80000000
OP_STRING = 0x48
OP_SEGLOAD_ROM = 0x49
OP_DRAW = 0x50

# STRING operations and flags (tests/guests/testfw/string.c).
STRING_OPS = {"movs": 0, "stos": 1, "cmps": 2, "lods": 3}
STR_REP, STR_DOWN, STR_ALT_ADDR = 0x1, 0x2, 0x4

# The display (docs/framebuffer.md): DISPI ports and registers, the PCI registers moved.
DISPI_INDEX_PORT, DISPI_DATA_PORT = 0x1CE, 0x1CF
DISPI = {"id": 0, "xres": 1, "yres": 2, "bpp": 3, "enable": 4, "bank": 5, "virt_width": 6,
         "virt_height": 7, "x_offset": 8, "y_offset": 9, "video_memory_64k": 10}
DISPI_ENABLED, DISPI_LFB_ENABLED = 0x01, 0x40
PCI_COMMAND, PCI_COMMAND_MEMORY, PCI_BAR0, PCI_BAR2, PCI_ROM = 0x04, 0x02, 0x10, 0x18, 0x30
DISPI_MMIO = 0x500          # DISPI registers in BAR2
PATTERN_TILE = 32
PATTERN_GRID = 0x00FFFFFF

# Modes: TESTDEV_MODE_* in drivers/vdev/testdev/testdev.h; the names are those of MODE lines.
MODES = {"real": 0, "protected": 1, "long": 2}
MODE_ALIASES = {"prot": "protected", "pm": "protected", "lm": "long", "rm": "real"}

SCRIPT_MAX = 0xFFFF      # TESTDEV_SCRIPT_MAX: the device's cursor is 16 bits
LOG_TEXT_MAX = 96        # TESTDEV_LOG_MAX: longer text would be cut by the device
ALL_ONES = (1 << 64) - 1


def pci_address(bus: int, device: int, function: int, register: int = 0) -> int:
    """A PCI configuration address as the PCI_* operations take it (mechanism #1's
    0xCF8 dword with the enable bit, plus the register's low bits)."""
    _check_uint("bus", bus, 8)
    _check_uint("device", device, 5)
    _check_uint("function", function, 3)
    _check_uint("register", register, 8)
    return PCI_ENABLE | bus << 16 | device << 11 | function << 8 | register


def _check_uint(what: str, value: int, bits: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 1 << bits:
        raise ValueError(f"{what} must be an integer in [0, 2**{bits}), not {value!r}")
    return value


@dataclass(frozen=True)
class Op:
    """One encoded operation: its tag (byte offset), mnemonic, operands and bytes."""

    tag: int
    name: str
    args: Tuple[int, ...]
    data: bytes
    label: Optional[str] = None

    def __str__(self) -> str:
        args = ", ".join(hex(a) for a in self.args)
        label = f" [{self.label}]" if self.label else ""
        return f"@{self.tag} {self.name}({args}){label}"


@dataclass
class Script:
    """A test script under construction. See the module docstring."""

    ops: List[Op] = field(default_factory=list)
    names: Dict[str, int] = field(default_factory=dict)
    _size: int = 0

    # ------------------------------------------------------------------ plumbing

    def _add(self, mnemonic: str, opcode: int, fmt: str, args: Tuple[int, ...],
             name: Optional[str], extra: bytes = b"") -> "Script":
        data = struct.pack("<B" + fmt, opcode, *args) + extra
        if self._size + len(data) > SCRIPT_MAX:
            raise ValueError(f"script would exceed {SCRIPT_MAX} bytes")
        if name is not None:
            if name in self.names:
                raise ValueError(f"operation name {name!r} used twice")
            self.names[name] = self._size
        self.ops.append(Op(self._size, mnemonic, args, data, name))
        self._size += len(data)
        return self

    def encode(self) -> bytes:
        """The script as the firmware reads it."""
        return b"".join(op.data for op in self.ops)

    def __bytes__(self) -> bytes:
        return self.encode()

    def __len__(self) -> int:
        return self._size

    def tag(self, key) -> int:
        """The tag of an operation given by name (str) or tag (int)."""
        if isinstance(key, str):
            try:
                return self.names[key]
            except KeyError:
                raise KeyError(f"no operation named {key!r} in the script") from None
        if not any(op.tag == key for op in self.ops):
            raise KeyError(f"no operation at tag {key!r}")
        return key

    def op_at(self, tag: int) -> Op:
        """The operation whose tag is tag."""
        for op in self.ops:
            if op.tag == tag:
                return op
        raise KeyError(f"no operation at tag {tag!r}")

    @property
    def last_tag(self) -> int:
        """The tag of the operation added last."""
        if not self.ops:
            raise IndexError("the script is empty")
        return self.ops[-1].tag

    # ------------------------------------------------------------------ control

    def end(self, name: Optional[str] = None) -> "Script":
        """Report DONE and halt (the end of the script does the same)."""
        return self._add("end", OP_END, "", (), name)

    def mode(self, mode: str, name: Optional[str] = None) -> "Script":
        """Switch to "real", "protected" (32-bit flat) or "long" (64-bit, identity
        paging). Real to long goes through protected mode; one MODE per mode entered."""
        key = MODE_ALIASES.get(mode, mode)
        if key not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, not {mode!r}")
        return self._add(f"mode_{key}", OP_MODE, "B", (MODES[key],), name)

    def log(self, text: str, name: Optional[str] = None) -> "Script":
        """Report text as a LOG event (printable ASCII, at most 96 characters)."""
        raw = text.encode("ascii")
        if len(raw) > LOG_TEXT_MAX or any(not 0x20 <= b <= 0x7E for b in raw):
            raise ValueError(f"log text must be printable ASCII of at most {LOG_TEXT_MAX} "
                             f"characters: {text!r}")
        return self._add("log", OP_LOG, "B", (len(raw),), name, raw)

    def expect(self, expected: int, mask: int = ALL_ONES,
               name: Optional[str] = None) -> "Script":
        """PASS if the first value of the last VALUE report, masked, equals expected,
        masked; else FAIL mismatch with values (actual, expected)."""
        _check_uint("expected", expected, 64)
        _check_uint("mask", mask, 64)
        return self._add("expect", OP_EXPECT, "QQ", (expected, mask), name)

    # ------------------------------------------------------------------ memory

    def read(self, bits: int, address: int, name: Optional[str] = None) -> "Script":
        """Read bits (8/16/32/64) at a physical address; reports VALUE."""
        if bits not in OP_READ:
            raise ValueError(f"read width must be 8, 16, 32 or 64, not {bits!r}")
        _check_uint("address", address, 64)
        return self._add(f"read{bits}", OP_READ[bits], "Q", (address,), name)

    def write(self, bits: int, address: int, value: int,
              name: Optional[str] = None) -> "Script":
        """Write value, then read the same address back; reports VALUE (read back)."""
        if bits not in OP_WRITE:
            raise ValueError(f"write width must be 8, 16, 32 or 64, not {bits!r}")
        _check_uint("address", address, 64)
        _check_uint("value", value, bits)
        return self._add(f"write{bits}", OP_WRITE[bits], "QQ", (address, value), name)

    def read8(self, address, name=None):
        return self.read(8, address, name)

    def read16(self, address, name=None):
        return self.read(16, address, name)

    def read32(self, address, name=None):
        return self.read(32, address, name)

    def read64(self, address, name=None):
        return self.read(64, address, name)

    def write8(self, address, value, name=None):
        return self.write(8, address, value, name)

    def write16(self, address, value, name=None):
        return self.write(16, address, value, name)

    def write32(self, address, value, name=None):
        return self.write(32, address, value, name)

    def write64(self, address, value, name=None):
        return self.write(64, address, value, name)

    # ------------------------------------------------------------------ CPU

    def cpuid(self, leaf: int, subleaf: int = 0, name: Optional[str] = None) -> "Script":
        """CPUID; reports VALUE eax, ebx, ecx, edx."""
        _check_uint("leaf", leaf, 32)
        _check_uint("subleaf", subleaf, 32)
        return self._add("cpuid", OP_CPUID, "II", (leaf, subleaf), name)

    def rdmsr(self, msr: int, name: Optional[str] = None) -> "Script":
        """RDMSR; reports VALUE (a #GP is reported as FAIL exception)."""
        _check_uint("msr", msr, 32)
        return self._add("rdmsr", OP_RDMSR, "I", (msr,), name)

    def wrmsr(self, msr: int, value: int, name: Optional[str] = None) -> "Script":
        """WRMSR; reports PASS."""
        _check_uint("msr", msr, 32)
        _check_uint("value", value, 64)
        return self._add("wrmsr", OP_WRMSR, "IQ", (msr, value), name)

    def ud2(self, name: Optional[str] = None) -> "Script":
        """Execute ud2: the #UD is reported as FAIL exception (vector 6) and the script
        goes on. Exercises exception delivery in the current mode."""
        return self._add("ud2", OP_UD2, "", (), name)

    def rdtscp(self, name: Optional[str] = None) -> "Script":
        """RDTSCP; reports VALUE ECX (TSC_AUX)."""
        return self._add("rdtscp", OP_RDTSCP, "", (), name)

    def rdpid(self, name: Optional[str] = None) -> "Script":
        """RDPID rAX; reports VALUE (TSC_AUX); #UD is FAIL exception."""
        return self._add("rdpid", OP_RDPID, "", (), name)

    def string(self, op: str, size: int, src: int, dst: int, count: int = 1, rep: bool = False,
               down: bool = False, alt_addr: bool = False, rax: int = 0,
               name: Optional[str] = None) -> "Script":
        """One string instruction (op "movs", "stos", "cmps" or "lods"; size 1, 2, 4 or 8
        bytes) from physical src to dst, rCX = count, rAX = rax; rep (F3, REPE for CMPS),
        down (RFLAGS.DF), alt_addr (the 67h prefix). In real mode src and dst lie below
        1 MiB and the string within 32 KiB of them. VALUE rCX after, the change of rSI,
        the change of rDI (two's complement at the register width), and
        eAX | (arithmetic flags << 32)."""
        if op not in STRING_OPS:
            raise ValueError(f"op must be one of {sorted(STRING_OPS)}, not {op!r}")
        if size not in (1, 2, 4, 8):
            raise ValueError(f"size must be 1, 2, 4 or 8, not {size!r}")
        _check_uint("src", src, 64)
        _check_uint("dst", dst, 64)
        _check_uint("count", count, 32)
        _check_uint("rax", rax, 64)
        flags = (STR_REP if rep else 0) | (STR_DOWN if down else 0) | (STR_ALT_ADDR if alt_addr else 0)
        return self._add("string", OP_STRING, "BBBQQIQ",
                         (STRING_OPS[op], size, flags, src, dst, count, rax), name)

    def segload_rom(self, name: Optional[str] = None) -> "Script":
        """Protected/long mode: load FS from a GDT in the ROM image (F0000h + FF00h) whose
        descriptors have the accessed bit clear, read through FS; in protected mode also
        far-JMP through its code descriptor; put FS, CS and the GDT back. VALUE the data
        descriptor's high dword as read afterwards (bit 8 = accessed), and in protected
        mode the code descriptor's."""
        return self._add("segload_rom", OP_SEGLOAD_ROM, "", (), name)

    # ------------------------------------------------------------------ ports

    def inp(self, bits: int, port: int, name: Optional[str] = None) -> "Script":
        """IN of 8/16/32 bits; reports VALUE."""
        if bits not in OP_IN:
            raise ValueError(f"port width must be 8, 16 or 32, not {bits!r}")
        _check_uint("port", port, 16)
        return self._add(f"in{bits}", OP_IN[bits], "H", (port,), name)

    def outp(self, bits: int, port: int, value: int, name: Optional[str] = None) -> "Script":
        """OUT of 8/16/32 bits; reports PASS."""
        if bits not in OP_OUT:
            raise ValueError(f"port width must be 8, 16 or 32, not {bits!r}")
        _check_uint("port", port, 16)
        _check_uint("value", value, bits)
        return self._add(f"out{bits}", OP_OUT[bits], "HI", (port, value), name)

    def in8(self, port, name=None):
        return self.inp(8, port, name)

    def in16(self, port, name=None):
        return self.inp(16, port, name)

    def in32(self, port, name=None):
        return self.inp(32, port, name)

    def out8(self, port, value, name=None):
        return self.outp(8, port, value, name)

    def out16(self, port, value, name=None):
        return self.outp(16, port, value, name)

    def out32(self, port, value, name=None):
        return self.outp(32, port, value, name)

    # ------------------------------------------------------------------ devices

    def timer_irq(self, halts: int, base: int = 0, name: Optional[str] = None) -> "Script":
        """Timer interrupts in the current mode: program the 8259 PICs with vector base
        `base` (0: 08h in real mode, 20h otherwise; a multiple of 8, below 40h outside
        real mode), PIT channel 0 at 1 kHz, unmask IRQ0, `sti; hlt` `halts` times,
        mask IRQ0, quiet the PIT. Reports VALUE ticks counted by the handler, vector
        base used, TSC cycles the waits took. halts=0: no timer, only the PICs set up
        and a short sti window (what was pending arrives and is counted)."""
        _check_uint("base", base, 8)
        _check_uint("halts", halts, 32)
        if base % 8:
            raise ValueError(f"a PIC vector base is a multiple of 8, not {base:#x}")
        return self._add("timer_irq", OP_TIMER_IRQ, "BI", (base, halts), name)

    def pci_find(self, vendor: int, device: int, name: Optional[str] = None) -> "Script":
        """The first function on bus 0 with this vendor and device ID: VALUE its
        configuration address (pci_address(0, dev, fn)), all-ones if none."""
        _check_uint("vendor", vendor, 16)
        _check_uint("device", device, 16)
        return self._add("pci_find", OP_PCI_FIND, "I", (vendor | device << 16,), name)

    def pci_read(self, bits: int, address: int, name: Optional[str] = None) -> "Script":
        """Configuration read of 8/16/32 bits at address (pci_address()); VALUE."""
        if bits not in OP_PCI_READ:
            raise ValueError(f"PCI access width must be 8, 16 or 32, not {bits!r}")
        _check_uint("address", address, 32)
        return self._add(f"pci_read{bits}", OP_PCI_READ[bits], "I", (address,), name)

    def pci_write(self, bits: int, address: int, value: int,
                  name: Optional[str] = None) -> "Script":
        """Configuration write, then a read of the same register; VALUE (read back)."""
        if bits not in OP_PCI_WRITE:
            raise ValueError(f"PCI access width must be 8, 16 or 32, not {bits!r}")
        _check_uint("address", address, 32)
        _check_uint("value", value, bits)
        return self._add(f"pci_write{bits}", OP_PCI_WRITE[bits], "II", (address, value), name)

    def pci_read8(self, address, name=None):
        return self.pci_read(8, address, name)

    def pci_read16(self, address, name=None):
        return self.pci_read(16, address, name)

    def pci_read32(self, address, name=None):
        return self.pci_read(32, address, name)

    def pci_write8(self, address, value, name=None):
        return self.pci_write(8, address, value, name)

    def pci_write16(self, address, value, name=None):
        return self.pci_write(16, address, value, name)

    def pci_write32(self, address, value, name=None):
        return self.pci_write(32, address, value, name)

    # ------------------------------------------------------------------ display

    def draw(self, base: int, pitch: int, width: int, lines: int, first_line: int = 0,
             seed: int = 0, name: Optional[str] = None) -> "Script":
        """The test pattern (pattern_pixel) into a 32-bpp framebuffer at base, pitch bytes
        per line: lines [first_line, first_line + lines), pixels [0, width). VALUE pixels
        drawn; FAIL unsupported in real mode or if it would reach 4 GiB."""
        _check_uint("base", base, 64)
        _check_uint("pitch", pitch, 32)
        for what, value in (("width", width), ("lines", lines), ("first_line", first_line)):
            _check_uint(what, value, 16)
        _check_uint("seed", seed, 32)
        return self._add("draw", OP_DRAW, "QIHHHI",
                         (base, pitch, width, first_line, lines, seed), name)

    def dispi(self, register, value: int, name: Optional[str] = None,
              mmio: Optional[int] = None) -> "Script":
        """One DISPI register (index or name in DISPI) through ports 0x1CE/0x1CF, or with
        mmio (BAR2's address) through BAR2 at 0x500 + 2 * index, as QEMU's bochs-display
        (which has no ports) takes it."""
        index = DISPI[register] if isinstance(register, str) else register
        _check_uint("DISPI index", index, 16)
        _check_uint("value", value, 16)
        if mmio is not None:
            return self.write16(mmio + DISPI_MMIO + 2 * index, value, name)
        self.out16(DISPI_INDEX_PORT, index)
        return self.out16(DISPI_DATA_PORT, value, name)

    def dispi_read(self, register, name: Optional[str] = None) -> "Script":
        """One DISPI register through the ports: VALUE."""
        index = DISPI[register] if isinstance(register, str) else register
        _check_uint("DISPI index", index, 16)
        self.out16(DISPI_INDEX_PORT, index)
        return self.in16(DISPI_DATA_PORT, name)

    def set_mode(self, width: int, height: int, bpp: int = 32, virt_width: int = 0,
                 x_offset: int = 0, y_offset: int = 0, name: Optional[str] = None,
                 mmio: Optional[int] = None) -> "Script":
        """A display mode as a driver sets one: DISPI disabled, geometry, then enabled
        with the linear framebuffer (the last operation gets the name); through the
        ports, or through BAR2 at mmio."""
        self.dispi("enable", 0, mmio=mmio)
        for register, value in (("xres", width), ("yres", height), ("bpp", bpp),
                                ("virt_width", virt_width), ("x_offset", x_offset),
                                ("y_offset", y_offset)):
            self.dispi(register, value, mmio=mmio)
        return self.dispi("enable", DISPI_ENABLED | DISPI_LFB_ENABLED, name, mmio=mmio)

    def move_bar(self, function: int, register: int, address: int,
                 name: Optional[str] = None) -> "Script":
        """Program a 32-bit memory BAR (PCI_BAR0, PCI_BAR2, PCI_ROM) of the function at
        pci_address(bus, dev, fn) and turn memory decoding on: VALUE the BAR read back."""
        self.pci_write16(function | PCI_COMMAND, PCI_COMMAND_MEMORY)
        return self.pci_write32(function | register, address, name)

    # ------------------------------------------------------------------ halts

    def poweroff(self, name: Optional[str] = None) -> "Script":
        """ACPI S5 through the PIIX4 PM1a_CNT (PMBA programmed first if unset)."""
        return self._add("poweroff", OP_POWER_OFF, "", (), name)

    def reset_cf9(self, name: Optional[str] = None) -> "Script":
        """Reset through the reset control register: 0xCF9 <- 0x06."""
        return self._add("reset_cf9", OP_RESET_CF9, "", (), name)

    def reset_kbc(self, name: Optional[str] = None) -> "Script":
        """Reset through the keyboard controller: 0x64 <- 0xFE."""
        return self._add("reset_kbc", OP_RESET_KBC, "", (), name)

    def triple_fault(self, name: Optional[str] = None) -> "Script":
        """Load an empty IDT and execute int3."""
        return self._add("triple_fault", OP_TRIPLE_FAULT, "", (), name)

    def hlt(self, name: Optional[str] = None) -> "Script":
        """cli; hlt, forever."""
        return self._add("hlt", OP_HLT, "", (), name)


# ---------------------------------------------------------------------- the pattern

def pattern_tile_colour(tx: int, ty: int, seed: int = 0) -> int:
    """The colour (0xRRGGBB) of pattern tile (tx, ty): tests/guests/testfw/draw.c."""
    m = 0xFFFFFFFF
    h = ((tx * 0x9E3779B1) & m) ^ ((ty * 0x85EBCA77) & m) ^ seed
    h ^= h >> 15
    h = (h * 0x2C1B3C6D) & m
    h ^= h >> 12
    return h & 0x00FFFFFF


def pattern_pixel(x: int, y: int, seed: int = 0) -> int:
    """The DRAW pattern's pixel at (x, y) as 0xRRGGBB: 32x32 tiles, white top/left lines."""
    if x % PATTERN_TILE == 0 or y % PATTERN_TILE == 0:
        return PATTERN_GRID
    return pattern_tile_colour(x // PATTERN_TILE, y // PATTERN_TILE, seed)


def pattern_frame(width: int, height: int, seed: int = 0) -> bytes:
    """The whole pattern as BGRX bytes (X = 0), line after line."""
    grid = struct.pack("<I", PATTERN_GRID)
    out = bytearray()
    for y in range(height):
        if y % PATTERN_TILE == 0:
            out += grid * width
            continue
        for tx in range(0, width, PATTERN_TILE):
            n = min(PATTERN_TILE, width - tx)
            colour = struct.pack("<I", pattern_tile_colour(tx // PATTERN_TILE, y // PATTERN_TILE, seed))
            out += grid + colour * (n - 1)
    return bytes(out)


# ---------------------------------------------------------------------- the default

def default_script() -> Script:
    """The script the firmware runs when the host gives it none (or when it runs without
    the test device, reporting on the debug console instead). Built into the firmware
    from this definition; tests/integration/test_testfw_native.py checks its reports."""
    return (Script()
            .log("testfw default script")
            .cpuid(0, name="cpuid0-real")
            .write32(0x8000, 0x12345678, name="ram-real")
            .expect(0x12345678, name="ram-real-ok")
            .read16(0xFFFF0, name="reset-vector-real")
            .mode("protected", name="to-protected")
            .read32(0x8000, name="ram-protected")
            .expect(0x12345678)
            .wrmsr(0x174, 0x10, name="wrmsr-sysenter-cs")
            .rdmsr(0x174, name="rdmsr-sysenter-cs")
            .expect(0x10)
            .read32(0xFFFFFFF0, name="reset-vector-alias")
            .mode("long", name="to-long")
            .cpuid(0x80000001, name="cpuid-ext-long")
            .rdmsr(0xC0000080, name="efer-long")
            .expect(0x500, mask=0x500, name="efer-lma-lme")
            .write64(0x8008, 0x0123456789ABCDEF, name="ram-long")
            .read64(0x100000000, name="above-4g")
            .mode("real", name="back-to-real")
            .read32(0x8000, name="ram-real-again")
            .expect(0x12345678)
            .mode("long", name="to-long-again")
            .read64(0x8008, name="ram-long-again")
            .expect(0x0123456789ABCDEF)
            .poweroff(name="poweroff"))


# The firmware's built-in script slot (tests/guests/testfw/layout.h).
FW_IMAGE_SIZE = 0x10000
FW_SCRIPT_SLOT = 0xD000
FW_SCRIPT_SLOT_SIZE = 0x1000
FW_SCRIPT_MAGIC = b"MZTS"
FW_SCRIPT_HEADER = 8


def builtin_slot(script) -> bytes:
    """script (a Script, or raw bytes) as the firmware's built-in script slot:
    "MZTS", u16 length, u16 0, the bytes."""
    data = bytes(script)
    if FW_SCRIPT_HEADER + len(data) > FW_SCRIPT_SLOT_SIZE:
        raise ValueError(f"a built-in script holds at most "
                         f"{FW_SCRIPT_SLOT_SIZE - FW_SCRIPT_HEADER} bytes, not {len(data)}")
    return FW_SCRIPT_MAGIC + struct.pack("<HH", len(data), 0) + data


def embed(image: bytes, script) -> bytes:
    """A copy of the test firmware image whose built-in script is script. The firmware
    runs it when there is no test device (or the device has no script): this is how the
    firmware is tested without Mezzanine."""
    if len(image) != FW_IMAGE_SIZE:
        raise ValueError(f"the test firmware image is {FW_IMAGE_SIZE} bytes, not {len(image)}")
    slot = builtin_slot(script)
    slot += bytes(FW_SCRIPT_SLOT_SIZE - len(slot))
    return image[:FW_SCRIPT_SLOT] + slot + image[FW_SCRIPT_SLOT + FW_SCRIPT_SLOT_SIZE:]


def main(argv: List[str]) -> int:
    if argv == ["--slot"]:
        sys.stdout.buffer.write(builtin_slot(default_script()))
        return 0
    if argv == ["--list"]:
        for op in default_script().ops:
            print(op)
        return 0
    print("usage: testscript.py --slot | --list", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
