"""SeaBIOS (Debian's bios-256k.bin) completes POST in VTL0 (issue 3; SPEC section 5).

One boot per test, up to SeaBIOS's boot stage ("No bootable device": there are no
disks). SeaBIOS's debug console (port 0x402) reaches Mezzanine's log as
`vtl0: debugcon: TEXT` lines; the PAM writes it makes to the host bridge placeholder as
`pam: write 0xRR <- 0xV: reg1 0x... reg2 0x...` lines.
"""

import re
import time
from pathlib import Path

import pytest

SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
MEMORY_MB = 512
POST_S = 15
BOOT_STAGE = r"vtl0: debugcon: (Booting from|No bootable device)"
DEBUGCON = re.compile(r"vtl0: debugcon: (.*)$", re.M)
LOW_RAM = re.compile(r"vtl0 low ram: 0x0-0x([0-9a-f]+), rom_bios_offset 0x([0-9a-f]+)")
E820 = re.compile(r"^\s*\d+: ([0-9a-f]{16}) - ([0-9a-f]{16}) = (\d+)", re.I)
QEMU_E820 = re.compile(r"qemu/e820: addr 0x([0-9a-f]+) len 0x([0-9a-f]+) \[RAM\]")
PAM = re.compile(r"pam: write 0x([0-9a-f]+) <- 0x([0-9a-f]+): reg1 0x([0-9a-f]+) "
                 r"reg2 0x([0-9a-f]+)")
E820_RAM = 1
HIGH_BIOS_ALIAS = 0xF0000000     # the reserved firmware window below 4 GiB, not RAM
PAM_F0000_SHIFT = 12             # reg1 bits 13:12: PAM0's high nibble, F0000-FFFFF
PAM_WRITABLE, PAM_READ_ONLY = 3, 1

# A real-mode IRQ0 (INT 08h) hook put into VTL0 RAM through the shared memory, which
# SeaBIOS's idle loop (`sti; hlt` waiting for a key after "No bootable device") then
# runs: a VTL0 write to F0000 after POST, and VTL0's reads around it. At 0800:0000:
HOOK_SEGMENT = 0x0800
HOOK = bytes([
    0x1E,                           # push ds
    0x50,                           # push ax
    0xB8, 0x00, 0xF0,               # mov ax, 0F000h
    0x8E, 0xD8,                     # mov ds, ax
    0xA0, 0x00, 0x00,               # mov al, [0000h]        F0000, before
    0x2E, 0xA2, 0x80, 0x00,         # mov cs:[0080h], al
    0xF6, 0xD0,                     # not al
    0xA2, 0x00, 0x00,               # mov [0000h], al        the write under test
    0xA0, 0x00, 0x00,               # mov al, [0000h]        F0000, after
    0x2E, 0xA2, 0x81, 0x00,         # mov cs:[0081h], al
    0x2E, 0xFE, 0x06, 0x82, 0x00,   # inc byte cs:[0082h]    runs
    0x58,                           # pop ax
    0x1F,                           # pop ds
    0x2E, 0xFF, 0x2E, 0x84, 0x00,   # jmp far cs:[0084h]     SeaBIOS's own handler
])
HOOK_BEFORE, HOOK_AFTER, HOOK_RUNS, HOOK_CHAIN = 0x80, 0x81, 0x82, 0x84
IVT_IRQ0 = 0x08 * 4
HOOK_WAIT_S = 5.0                # SeaBIOS's timer runs at 18.2 Hz


@pytest.fixture
def seabios(vm):
    if not SEABIOS.is_file():
        pytest.fail(f"{SEABIOS} is missing: install Debian's seabios package", pytrace=False)
    machine = vm(vtl0=SEABIOS, memory_mb=MEMORY_MB, timeout=POST_S + 15)
    machine.wait_for_log(BOOT_STAGE, POST_S)
    return machine


def debugcon(machine):
    return DEBUGCON.findall(machine.console)


def rom_bios_offset(machine) -> int:
    match = LOW_RAM.search(machine.diag_log())   # the VTL2 layout block is in the log ring
    assert match, machine.console_tail()
    return int(match[2], 16)


def test_post_reaches_the_boot_stage(seabios):
    lines = debugcon(seabios)
    assert lines[0].startswith("SeaBIOS (version"), lines[:3]
    assert any(line.startswith("Booting from") or line.startswith("No bootable device")
               for line in lines)
    assert "PANIC:" not in seabios.console and seabios.running


def test_e820_ends_at_rom_bios_offset(seabios):
    """SeaBIOS sizes RAM from Mezzanine's fw_cfg view: its e820 report stops where VTL0's
    RAM stops, at rom_bios_offset (the firmware image lives above), never in VTL2."""
    end = rom_bios_offset(seabios)
    lines = debugcon(seabios)
    qemu = [QEMU_E820.search(line) for line in lines if QEMU_E820.search(line)]
    assert [(int(m[1], 16), int(m[2], 16)) for m in qemu] == [(0, end)], lines[:10]
    entries = [(int(m[1], 16), int(m[2], 16), int(m[3])) for m in map(E820.match, lines) if m]
    assert entries, lines
    low = [e for e in entries if e[0] < HIGH_BIOS_ALIAS]
    assert max(stop for _, stop, _ in low) == end, entries
    assert max(stop for _, stop, kind in low if kind == E820_RAM) <= end


def test_no_warnings(seabios):
    warnings = [line for line in debugcon(seabios) if "WARNING" in line]
    assert warnings == []


def test_pam_writes_open_then_protect_shadow_ram(seabios):
    """SeaBIOS first makes the BIOS shadow (F0000-FFFFF) writable RAM to copy itself
    there, and write-protects it at the end of POST. The last writes are, with this
    SeaBIOS (1.16.2) and no option ROMs, 0x58 <- 0x11111003 and 0x5c <- 0x33111111:
    C0000-E7FFF and F0000 read-only, E8000-EFFFF left writable for UMBs."""
    writes = [(int(m[1], 16), int(m[2], 16), int(m[3], 16), int(m[4], 16))
              for m in PAM.finditer(seabios.console)]
    assert writes, seabios.console_tail()
    first_reg1 = writes[0][2]
    assert (first_reg1 >> PAM_F0000_SHIFT) & 3 == PAM_WRITABLE, writes
    last = {reg: value for reg, value, _, _ in writes}
    assert last == {0x58: 0x11111003, 0x5C: 0x33111111}, writes
    final_reg1 = writes[-1][2]
    assert (final_reg1 >> PAM_F0000_SHIFT) & 3 == PAM_READ_ONLY


def test_bios_shadow_is_read_only_after_post(seabios):
    """VTL0 runs a write to F0000 after POST (the IRQ0 hook above): the write is
    dropped, VTL0's reads still return the BIOS, and the RAM behind F0000 holds it.

    The shadow is compared with the image's last 64 KiB in two ways. SeaBIOS patches its
    own data at run time (variables, the tables it copies into the F segment, the
    checksum byte at FFFFF), so the whole segment cannot match; but the last 4 KiB, the
    entry points and the reset vector, is code and must match byte for byte but for the
    checksum, and all in all the segment must be mostly the image (about 3.5 % differs
    with this SeaBIOS: the copies of PIR, MP, SMBIOS and ACPI tables in the F segment)."""
    image = SEABIOS.read_bytes()[-0x10000:]
    memory = seabios.memory
    hook = HOOK_SEGMENT * 16
    assert memory.read(hook, 0x100) == bytes(0x100), "the hook's place is in use"
    chain = memory.read(IVT_IRQ0, 4)
    memory.write(hook, HOOK)
    memory.write(hook + HOOK_CHAIN, chain)
    memory.write(IVT_IRQ0, (HOOK_SEGMENT << 16).to_bytes(4, "little"))  # 0800:0000
    deadline = time.monotonic() + HOOK_WAIT_S
    while memory.read(hook + HOOK_RUNS, 1)[0] < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    runs = memory.read(hook + HOOK_RUNS, 1)[0]
    before, after = memory.read(hook + HOOK_BEFORE, 2)
    memory.write(IVT_IRQ0, chain)
    assert runs >= 3, "SeaBIOS's idle loop no longer takes timer interrupts"
    assert before == image[0], "VTL0 reads of F0000 do not return the BIOS"
    assert after == before, "VTL0's write to F0000 after POST was not dropped"

    shadow = memory.read(0xF0000, 0x10000)
    assert shadow[0] == image[0]
    assert shadow[0xF000:0xFFFF] == image[0xF000:0xFFFF]
    same = sum(a == b for a, b in zip(shadow, image))
    assert same >= 0.9 * len(image), f"only {same} of {len(image)} bytes are the image"
    assert "PANIC:" not in seabios.console and seabios.running
