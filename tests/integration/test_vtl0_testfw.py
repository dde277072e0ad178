"""Issue 3 acceptance with the test firmware: VTL0 under SVM, driven by scripts.

Each test boots Mezzanine with build/guests/testfw.bin as VTL0 and a script as the
multiboot module "testscript", then reads the firmware's reports from the console
(docs/testdev.md). They are skipped until the kernel dispatches VTL0's ports to the test
device (drivers/vdev/testdev/testdev.c linked into build/kernel.elf).
"""

import re
import subprocess

import pytest

from harness import DEFAULT_KERNEL_ELF
from harness.halt import HaltReason
from harness.testdev import testdev_results
from harness.testscript import Script, default_script

ALL_ONES = {8: 0xFF, 16: 0xFFFF, 32: 0xFFFFFFFF, 64: 0xFFFFFFFFFFFFFFFF}
PATTERN = 0x5A5AA5A55A5AA5A5
RAM = 0x8000
MEMORY_MB = 512
# The VTL2 region for 512 MiB and the default mezz.vtl2_size (docs/architecture.md);
# test_vtl2_is_out_of_reach checks the console agrees.
VTL2_BASE, VTL2_END = 0x1BE00000, 0x1FE00000
EFER_SVME = 1 << 12
EFER_LME_LMA = 0x500
RUN_S = 60


def _kernel_has_testdev() -> bool:
    try:
        symbols = subprocess.run(["nm", str(DEFAULT_KERNEL_ELF)], capture_output=True,
                                 text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return re.search(r" T testdev_io$", symbols, re.M) is not None


pytestmark = pytest.mark.skipif(
    not _kernel_has_testdev(),
    reason="the kernel does not run VTL0 with the test device yet (issue 3)")


def boot(vm, testfw, script, **kwargs):
    kwargs.setdefault("timeout", RUN_S)
    modules = {"testscript": script.encode()} if script is not None else None
    return vm(vtl0=testfw, modules=modules, memory_mb=MEMORY_MB, **kwargs)


def assert_no_panic(machine):
    assert "PANIC:" not in machine.console, machine.console_tail()


# ------------------------------------------------------------------ modes

def test_default_script_runs_under_mezzanine(vm, testfw):
    """No script module: the firmware runs its built-in script, reporting to the device."""
    machine = boot(vm, testfw, None)
    halt = machine.wait_for_halt()
    results = testdev_results(machine, default_script())
    assert halt.reason is HaltReason.POWER_OFF, machine.console_tail()
    assert results.failures == [], machine.console_tail()
    assert results.modes() == ["protected", "long", "protected", "real", "protected", "long"]
    assert results.value("ram-long-again") == 0x0123456789ABCDEF


def test_real_protected_long_transitions(vm, testfw):
    s = Script().log("start")
    for mode in ("real", "protected", "long", "protected", "real", "long", "real"):
        s.mode(mode, name=f"to-{mode}-{len(s)}")
        s.write32(RAM, len(s), name=f"ram-{len(s)}")
        s.cpuid(0)
    s.end()
    machine = boot(vm, testfw, s)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    assert results.failures == [], machine.console_tail()
    assert results.modes() == ["real", "protected", "long", "protected", "real",
                               "protected", "long", "protected", "real"]
    for name, tag in s.names.items():
        if name.startswith("ram-"):
            assert results.value(tag) == tag
    assert_no_panic(machine)


# ------------------------------------------------------------------ GPA map

# Reset state (PAM registers all Mmio) through each PAM backend. RW = RAM; ROM = reads
# RAM or the firmware, writes dropped; NONE = unmapped (reads all-ones, writes dropped).
#
# GET-backed (a host is there and the firmware copies no option ROMs: the host picks
# mezz.pam=openhcl), OpenHCL's rules (reference 2.4): VGA BIOS
# C0000-C7FFF and the unused CC000-DFFFF are identity ROM; C8000-CBFFF (VGA BIOS TSR)
# stays RAM; the system BIOS E0000-FFFFF is ROM from rom_bios_offset + start.
REGIONS_GET = [
    (0x00000 + RAM, "RW"), (0x9F000, "RW"),
    (0xA0000, "NONE"), (0xB8000, "NONE"),
    (0xC0000, "ROM"), (0xC4000, "ROM"), (0xC8000, "RW"), (0xCC000, "ROM"),
    (0xD0000, "ROM"), (0xDC000, "ROM"), (0xE0000, "ROM"), (0xEC000, "ROM"),
    (0xF0000, "ROM"), (0xFFFF0, "ROM"),
    (0x100000, "RW"), (0x1000000, "RW"),
]
# Local (mezz.pam=local, or no host), OpenVMM's RAM-visibility rules (reference 2.5):
# C0000-CBFFF Mmio -> unmapped; CC000-DFFFF -> read-only RAM ("let reads of unused ranges
# go to RAM"); E0000-EFFFF -> unmapped, and the 64 KiB test firmware's low ROM window
# covers only F0000-FFFFF; F0000-FFFFF -> the firmware.
REGIONS_LOCAL = [
    (0x00000 + RAM, "RW"), (0x9F000, "RW"),
    (0xA0000, "NONE"), (0xB8000, "NONE"),
    (0xC0000, "NONE"), (0xC4000, "NONE"), (0xC8000, "NONE"), (0xCC000, "ROM"),
    (0xD0000, "ROM"), (0xDC000, "ROM"), (0xE0000, "NONE"), (0xEC000, "NONE"),
    (0xF0000, "ROM"), (0xFFFF0, "ROM"),
    (0x100000, "RW"), (0x1000000, "RW"),
]
BACKENDS = {"openhcl": ("", REGIONS_GET), "local": ("mezz.pam=local", REGIONS_LOCAL)}


@pytest.mark.parametrize("backend", sorted(BACKENDS))
@pytest.mark.parametrize("mode", ["real", "long"])
def test_legacy_region_visibility(vm, testfw, mode, backend):
    cmdline, table = BACKENDS[backend]
    # Real mode reaches the first MiB and the 64 KiB above it (FFFF:xxxx), no further.
    regions = [r for r in table if mode != "real" or r[0] < 0x10FFF0]
    s = Script().mode(mode)
    for address, _ in regions:
        s.read32(address, name=f"before-{address:x}")
        s.write32(address, 0xA5C3A5C3, name=f"write-{address:x}")
    s.end()
    machine = boot(vm, testfw, s, cmdline=cmdline)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    assert machine.inspect("partition/pam/backend") == backend
    results = testdev_results(machine, s)
    image = testfw.read_bytes()
    assert results.failures == [], machine.console_tail()
    for address, kind in regions:
        before = results.value(f"before-{address:x}")
        after = results.value(f"write-{address:x}")
        where = f"{address:#x} ({kind}, {backend})"
        if kind == "RW":
            assert after == 0xA5C3A5C3, where
        elif kind == "NONE":
            assert before == after == ALL_ONES[32], where
        else:
            assert after == before, where
            if address >= 0xF0000:
                offset = address - 0xF0000
                assert before == int.from_bytes(image[offset:offset + 4], "little"), where
    # Every dropped write is counted by Mezzanine (inspect "partition/counters"): the
    # writes to read-only mappings and to nothing at all, plus the firmware's own.
    counters = machine.inspect("partition/counters")
    rom = sum(1 for _, kind in regions if kind == "ROM")
    none = sum(1 for _, kind in regions if kind == "NONE")
    assert counters["rom_writes_dropped"] >= rom, counters
    assert counters["unmapped_writes"] >= none, counters
    assert counters["unmapped_reads"] >= none, counters
    assert_no_panic(machine)


def test_unmapped_gpa_reads_all_ones(vm, testfw):
    s = (Script().mode("protected").read32(0xC0000000, name="pci-hole")
         .write32(0xC0000000, 0x12345678, name="pci-hole-write")
         .mode("long")
         .read64(0x100000000, name="above-4g")
         .write64(0x100000000, 0x1122334455667788, name="above-4g-write")
         .read8(0x4000000000, name="far").end())
    machine = boot(vm, testfw, s)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    assert results.value("pci-hole") == ALL_ONES[32]
    assert results.value("pci-hole-write") == ALL_ONES[32]
    assert results.value("above-4g") == ALL_ONES[64]
    assert results.value("above-4g-write") == ALL_ONES[64]
    assert results.value("far") == ALL_ONES[8]
    assert_no_panic(machine)


def test_vtl2_is_out_of_reach(vm, testfw, flat_kernel):
    # Region base, the running image (slot0), VRAM, the page allocator's heap, the end.
    probes = [VTL2_BASE, 0x1C000000, 0x1C000000 + 0x1000, 0x1C800000, 0x1D400000, VTL2_END - 8]
    s = Script()
    for mode in ("protected", "long"):
        s.mode(mode)
        for address in probes:
            s.read64(address, name=f"{mode}-read-{address:x}")
            s.write64(address, PATTERN, name=f"{mode}-write-{address:x}")
    s.end()
    machine = boot(vm, testfw, s)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    region = re.search(r"vtl2 region: 0x([0-9a-f]+)-0x([0-9a-f]+)", machine.diag_log())
    assert region and (int(region[1], 16), int(region[2], 16) + 1) == (VTL2_BASE, VTL2_END)
    results = testdev_results(machine, s)
    for mode in ("protected", "long"):
        for address in probes:
            assert results.value(f"{mode}-read-{address:x}") == ALL_ONES[64], hex(address)
            assert results.value(f"{mode}-write-{address:x}") == ALL_ONES[64], hex(address)
    # VTL2 memory itself, seen through the shared RAM file: no pattern anywhere probed,
    # and the kernel's image intact.
    for address in probes:
        assert machine.memory.read(address, 8) != PATTERN.to_bytes(8, "little"), hex(address)
    assert machine.memory.read(0x1C000000, 4096) == flat_kernel.read_bytes()[:4096]
    assert_no_panic(machine)


# ------------------------------------------------------------------ CPU

def test_cpuid_and_msrs(vm, testfw):
    s = (Script().cpuid(0, name="leaf0").cpuid(0x80000001, name="ext1")
         .wrmsr(0x174, 0x10, name="wrmsr").rdmsr(0x174, name="rdmsr")
         .mode("long").rdmsr(0xC0000080, name="efer").end())
    machine = boot(vm, testfw, s)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    assert results.failures == [], machine.console_tail()
    leaf0 = results.values("leaf0")
    assert leaf0[0] >= 1 and leaf0[1] != 0
    assert results.values("ext1")[3] & (1 << 29)          # long mode offered to VTL0
    assert results.passed("wrmsr") and results.value("rdmsr") == 0x10
    efer = results.value("efer")
    assert efer & EFER_LME_LMA == EFER_LME_LMA
    assert not efer & EFER_SVME, "VTL0 sees the EFER.SVME Mezzanine needs for VMRUN"


# ------------------------------------------------------------------ halts

def test_power_off(vm, testfw):
    s = Script().mode("long").log("bye").poweroff()
    machine = boot(vm, testfw, s)
    halt = machine.wait_for_halt()
    assert halt.reason is HaltReason.POWER_OFF, machine.console_tail()
    assert testdev_results(machine, s).kinds() == ["BOOT", "MODE", "MODE", "LOG"]
    assert_no_panic(machine)


@pytest.mark.parametrize("reset", [Script.reset_cf9, Script.reset_kbc])
def test_reset_restarts_vtl0_and_the_script_goes_on(vm, testfw, reset):
    s = reset(Script().mode("protected").write32(RAM, 0xC0FFEE).log("resetting"))
    s.log("after reset", name="after").read32(RAM, name="ram").poweroff()
    machine = boot(vm, testfw, s)
    halt = machine.wait_for_halt()
    results = testdev_results(machine, s)
    assert halt.reason is HaltReason.POWER_OFF, machine.console_tail()
    boots = [e.fields["n"] for e in results if e.kind == "BOOT"]
    assert boots == ["1", "2"], machine.console_tail()
    assert results.event("after", "LOG").text == "after reset"
    results.event("ram", "VALUE")                   # RAM contents after a reset: not asserted
    assert_no_panic(machine)


def test_triple_fault_stops_vtl0_not_mezzanine(vm, testfw):
    s = Script().mode("long").log("faulting").triple_fault()
    machine = boot(vm, testfw, s, timeout=20)
    machine.wait_for_log(r"testdev: LOG tag=\d+ text=faulting", RUN_S)
    halt = machine.wait_for_halt(10)
    assert_no_panic(machine)
    if halt.reason is HaltReason.TIMEOUT:
        return                                      # Mezzanine kept running
    assert halt.reason is HaltReason.TRIPLE_FAULT, machine.console_tail()
    assert getattr(halt, "source", "qemu") == "get", "the whole machine triple-faulted"


def test_local_apic_starts_in_its_reset_state(vm, testfw):
    """VTL0 does not inherit the boot firmware's local APIC set-up: every LVT masked
    (LINT0 included, so no PIC interrupt arrives before VTL0's firmware asks for ExtINT)
    and the APIC software-disabled (SVR 0xFF), as after RESET."""
    s = (Script().mode("protected")
         .read32(0xFEE00350, name="lint0").read32(0xFEE00360, name="lint1")
         .read32(0xFEE00320, name="timer").read32(0xFEE000F0, name="svr").end())
    machine = boot(vm, testfw, s)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, s)
    for lvt in ("lint0", "lint1", "timer"):
        assert results.value(lvt) & 0x10000, f"{lvt} not masked: {results.value(lvt):#x}"
    assert results.value("svr") == 0xFF
    assert_no_panic(machine)
