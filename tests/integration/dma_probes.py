"""Test-firmware scripts that try to make a real device write memory (SPEC section 5,
"DMA"), shared by the native proof (test_testfw_native_devices.py: on QEMU alone every
attempt writes) and the acceptance test under Mezzanine (test_vtl0_dma.py: none may).

Three ways QEMU's pc machine lets a guest get memory written for it:
- bus master: PIIX3 IDE (8086:7010, 00:01.1) does busmaster DMA once Bus Master Enable
  (PCI command bit 2) is set;
- fw_cfg DMA (QEMU docs/specs/fw_cfg.rst, "DMA interface"): the guest writes the
  address of a descriptor {be32 control, be32 length, be64 address} to 0x514 (high
  half) and 0x518 (low half, which starts the transfer), each big-endian; QEMU reads
  the descriptor, copies the selected item to `address` and clears `control`;
- kvmvapic (QEMU hw/i386/kvmvapic.c): a 16-bit write of D to port 0x7E makes QEMU take
  ((CS.base + EIP) & ~511) + D as the physical address of an option ROM whose size
  (in 512-byte blocks) is its byte 2, and rewrite every `mov eax, 1; vmmcall` there
  (b8 01 00 00 00 0f 01 d9) into `mov eax, 1; nop; out 0x7e, eax` (... 90 e7 7e).
"""

import struct

from harness.paths import BUILD_DIR
from harness.symbols import function_range, read_symbols
from harness.testscript import Script, pci_address

# ---- bus master enable --------------------------------------------------------------
PIIX_IDE_ID = (0x8086, 0x7010)
PIIX_IDE = pci_address(0, 1, 1)          # where QEMU's pc machine puts it
PCI_COMMAND = 0x04
COMMAND_IO = 0x1
COMMAND_BME = 0x4
BME_WRITES = (8, 16, 32)


def bus_master_script(s: Script) -> Script:
    """Find the IDE function, read its command register, then set IO | BME with a byte,
    a word and a dword write, each read back (names bme-before, bme-8/16/32)."""
    s.pci_find(*PIIX_IDE_ID, name="ide")
    s.pci_read16(PIIX_IDE + PCI_COMMAND, name="bme-before")
    for bits in BME_WRITES:
        s.pci_write(bits, PIIX_IDE + PCI_COMMAND, COMMAND_IO | COMMAND_BME, name=f"bme-{bits}")
    return s


# ---- fw_cfg DMA -----------------------------------------------------------------------
FW_CFG_SELECTOR = 0x510
FW_CFG_DATA = 0x511
FW_CFG_DMA_HIGH = 0x514
FW_CFG_DMA_LOW = 0x518
FW_CFG_SIGNATURE = 0x0000
FW_CFG_ID = 0x0001
FW_CFG_ID_DMA = 0x2
DMA_CTL_READ = 0x02
DMA_CTL_SELECT = 0x08
SIGNATURE = int.from_bytes(b"QEMU", "little")   # FW_CFG_SIGNATURE, as a 32-bit load sees it
FILL = 0xA5A5A5A5

# In VTL0 RAM, clear of the firmware (docs/testdev.md): two descriptors and a buffer.
DESCRIPTOR_TO_VTL0 = 0x8000
DESCRIPTOR_TO_VTL2 = 0x8040
BUFFER_VTL0 = 0x8100
# Inside the VTL2 heap for 512 MiB (the page allocator's first page: its page tables).
TARGET_VTL2 = 0x1D400000


def _be32_as_le(value: int) -> int:
    """The dword that, written little-endian by the guest, puts value's big-endian
    bytes on the bus: what QEMU's big-endian fw_cfg DMA ports take."""
    return int.from_bytes(value.to_bytes(4, "big"), "little")


def _descriptor(s: Script, at: int, target: int, name: str) -> None:
    raw = struct.pack(">IIQ", FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT | DMA_CTL_READ,
                      4, target)
    s.write64(at, int.from_bytes(raw[:8], "little"), name=f"{name}-control")
    s.write64(at + 8, int.from_bytes(raw[8:], "little"))
    s.out32(FW_CFG_DMA_HIGH, _be32_as_le(0))
    s.out32(FW_CFG_DMA_LOW, _be32_as_le(at), name=f"{name}-start")
    s.read32(at, name=f"{name}-control-after")


def fwcfg_dma_script(s: Script) -> Script:
    """In protected mode: FW_CFG_ID's first byte (fwcfg-id), the DMA signature ports
    (fwcfg-dma-sig), then two transfers of FW_CFG_SIGNATURE: into VTL0's buffer
    (dma-vtl0; the buffer read back as dma-vtl0-buffer) and to TARGET_VTL2 (dma-vtl2).
    Each descriptor's control word is read back (*-control-after): QEMU clears it when it
    runs the transfer."""
    s.mode("protected")
    s.out16(FW_CFG_SELECTOR, FW_CFG_ID).in8(FW_CFG_DATA, name="fwcfg-id")
    s.in32(FW_CFG_DMA_HIGH, name="fwcfg-dma-sig")
    s.write32(BUFFER_VTL0, FILL)
    _descriptor(s, DESCRIPTOR_TO_VTL0, BUFFER_VTL0, "dma-vtl0")
    s.read32(BUFFER_VTL0, name="dma-vtl0-buffer")
    _descriptor(s, DESCRIPTOR_TO_VTL2, TARGET_VTL2, "dma-vtl2")
    return s


def descriptor_control() -> int:
    """What *-control-after reads if nothing touched the descriptor."""
    return _be32_as_le(FW_CFG_SIGNATURE << 16 | DMA_CTL_SELECT | DMA_CTL_READ)


# ---- kvmvapic -----------------------------------------------------------------------
VAPIC_PORT = 0x7E
FAKE_ROM = 0x14000        # the unused tail of the firmware's real-mode slot (layout.h)
FAKE_ROM_HEADER = 0x0001AA55              # 55 AA, 1 block of 512 bytes
VMMCALL = bytes([0xB8, 0x01, 0x00, 0x00, 0x00, 0x0F, 0x01, 0xD9])
PATCHED = VMMCALL[:5] + bytes([0x90, 0xE7, 0x7E])
FW16_ELF = BUILD_DIR / "guests" / "testfw" / "fw16.elf"
FW_RAM_BASE = 0x10000     # real mode runs with CS = 1000h


def vapic_offset() -> int:
    """The 16-bit value to write to port 0x7E from the real-mode OUT16 operation so that
    QEMU takes FAKE_ROM for its ROM: QEMU adds it to the 512-byte block holding the
    `out` instruction, which is inside port_out (cpu.c) of the 16-bit build."""
    start, end = function_range(FW16_ELF, "port_out")
    block = (FW_RAM_BASE + start) & ~511
    if (FW_RAM_BASE + end - 1) & ~511 != block:
        raise AssertionError("port_out straddles a 512-byte block: the OUT's block is unknown")
    bss_end = {name: addr for addr, name in read_symbols(FW16_ELF)}["__bss_end"]
    if FW_RAM_BASE + bss_end > FAKE_ROM or not 0 < FAKE_ROM - block <= 0xFFFF:
        raise AssertionError(f"FAKE_ROM {FAKE_ROM:#x} is not free or not reachable from "
                             f"{block:#x}: move it")
    return FAKE_ROM - block


def vapic_script(s: Script) -> Script:
    """In real mode: a fake option ROM holding one `mov eax, 1; vmmcall`, the 16-bit
    write to port 0x7E, then the instruction read back (vapic-after)."""
    s.mode("real")
    s.write32(FAKE_ROM, FAKE_ROM_HEADER)
    s.write64(FAKE_ROM + 0x10, int.from_bytes(VMMCALL, "little"))
    s.out16(VAPIC_PORT, vapic_offset(), name="vapic-write")
    s.read64(FAKE_ROM + 0x10, name="vapic-after")
    return s
