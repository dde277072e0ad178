"""The five causes a trial Linux boot found (issue 12; docs/reference/linux-guest.md),
each driven with the test firmware, plus the halt a guest gives itself.

1. string instructions on MMIO (MOVS from the legacy VGA window in 16-bit code), and the
   CPU's accessed-bit write to a descriptor in ROM, do not stop VTL0;
2. LA57 is not advertised;
3. one CPU model: what CPUID advertises, the MSRs answer (machine check, TSC_AUX with
   RDTSCP/RDPID, the MSRs Linux reads at boot) - docs/cpu-model.md;
4. the ACPI enable handshake on SMI_CMD (0xB2) sets PM1a_CNT.SCI_EN as QEMU's PIIX4 PM;
5. the PIIX IDE function does not look DMA-capable while Bus Master Enable is withheld;
6. a HLT with interrupts off and nothing pending ends the run as its own halt reason.
"""

import time

import pytest

from harness.halt import HaltReason
from harness.testdev import testdev_results
from harness.testscript import Script, pci_address

from test_vtl0_testfw import RUN_S, assert_no_panic, boot, pytestmark  # noqa: F401

RAM = 0x8000
SCRATCH = 0x9000
LA57 = 1 << 16            # CPUID 7.0 ECX
RDPID = 1 << 22           # CPUID 7.0 ECX
MCE, MCA = 1 << 7, 1 << 14   # CPUID 1 EDX
RDTSCP = 1 << 27          # CPUID 8000_0001h EDX
GP = 13


def run_to_done(vm, testfw, script, **kwargs):
    machine = boot(vm, testfw, script, **kwargs)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    return machine, testdev_results(machine, script)


def exception_vector(results, key):
    ev = results.event(key, "FAIL")
    assert ev.fields["reason"] == "exception", ev
    return ev.values[0] & 0xFF


# ------------------------------------------------------------------ 2, 3: the CPU model

def test_cpu_model_cpuid_and_msrs_agree(vm, testfw):
    s = (Script().mode("long")
         .cpuid(1, name="leaf1").cpuid(7, 0, name="leaf7").cpuid(0x80000001, name="ext1")
         .rdmsr(0x179, name="mcg_cap").rdmsr(0x17A, name="mcg_status")
         .wrmsr(0x17A, 0, name="mcg_status_w0")
         .rdmsr(0x17B, name="mcg_ctl")
         .rdmsr(0x8B, name="patch_level").wrmsr(0x8B, 0, name="patch_level_w")
         .rdmsr(0xC0010010, name="syscfg").rdmsr(0xC0010015, name="hwcr")
         .rdmsr(0xC0011029, name="de_cfg").rdmsr(0xC0010055, name="int_pending")
         .wrmsr(0xC0000103, 0x2A, name="tsc_aux_w").rdmsr(0xC0000103, name="tsc_aux")
         .rdtscp(name="rdtscp").rdpid(name="rdpid")
         .mode("protected").rdtscp(name="rdtscp32")
         .end())
    machine, results = run_to_done(vm, testfw, s)
    leaf1, leaf7, ext1 = results.values("leaf1"), results.values("leaf7"), results.values("ext1")
    assert not leaf7[2] & LA57, "LA57 advertised, but the guest page walk has 4 levels"
    if leaf1[3] & (MCE | MCA):
        assert results.value("mcg_cap") == 0, "no banks, no MCG_CTL"
        assert results.value("mcg_status") == 0
        assert results.passed("mcg_status_w0")
        assert exception_vector(results, "mcg_ctl") == GP
    for key in ("patch_level", "syscfg", "hwcr", "de_cfg", "int_pending"):
        assert results.value(key) == 0, key
    assert results.passed("patch_level_w")
    assert results.passed("tsc_aux_w") and results.value("tsc_aux") == 0x2A
    if ext1[3] & RDTSCP:
        assert results.value("rdtscp") == 0x2A
        assert results.value("rdtscp32") == 0x2A
    expected_failures = {s.tag("mcg_ctl")}
    if leaf7[2] & RDPID:
        assert results.value("rdpid") == 0x2A
    else:
        assert exception_vector(results, "rdpid") == 6     # not advertised: #UD
        expected_failures.add(s.tag("rdpid"))
    failures = [e for e in results.failures if e.tag not in expected_failures]
    assert failures == [], machine.console_tail()
    refused = machine.inspect("partition/msr_refused")
    listed = {k: v for k, v in refused.items() if k != "other"}
    assert all(v["in_model"] for v in listed.values()), refused
    assert "17b" in listed and refused["other"] == 0
    assert_no_panic(machine)


# ------------------------------------------------------------------ 4: ACPI mode

PM_FUNCTION = pci_address(0, 1, 3)       # QEMU pc: PIIX4 PM at 00:01.3
PMBA, PMREGMISC = 0x40, 0x80
SCI_EN, SLP_EN = 1 << 0, 1 << 13
SMI_CMD, ACPI_ENABLE, ACPI_DISABLE = 0xB2, 0xF1, 0xF0


def program_pm_base(s, base, tag):
    return (s.pci_write32(PM_FUNCTION | PMBA, base | 1, name=f"pmba-{tag}")
            .pci_write8(PM_FUNCTION | PMREGMISC, 1, name=f"pmiose-{tag}"))


@pytest.mark.parametrize("base", [0xB000, 0x600])
def test_acpi_enable_handshake_sets_sci_en(vm, testfw, base):
    """FADT.ACPI_ENABLE / ACPI_DISABLE written to SMI_CMD set and clear PM1a_CNT.SCI_EN
    (QEMU's PIIX4 PM does; Linux waits for SCI_EN after writing ACPI_ENABLE), at whatever
    PM base VTL0 programmed; no SMI and no halt. A byte write to PM1a_CNT passes to QEMU
    unchanged; QEMU 7.2 takes the byte as the whole register's new value (whatever its
    offset), so a byte can never carry SLP_EN (bit 13) and never powers off, with or
    without Mezzanine (docs/partition.md)."""
    s = Script().mode("protected").pci_find(0x8086, 0x7113, name="find")
    program_pm_base(s, base, "b")
    (s.in16(base + 4, name="before")
     .out8(SMI_CMD, ACPI_ENABLE, name="enable").in16(base + 4, name="enabled")
     .out8(SMI_CMD, 0x42, name="other-command").in16(base + 4, name="after-other")
     .out8(base + 5, SLP_EN >> 8, name="byte-slp-en").in16(base + 4, name="after-byte")
     .out8(SMI_CMD, ACPI_DISABLE, name="disable").in16(base + 4, name="disabled")
     .end())
    machine, results = run_to_done(vm, testfw, s)
    assert results.value("find") == PM_FUNCTION & ~0xFF | PM_FUNCTION & 0x80000000
    assert results.failures == [], machine.console_tail()
    assert not results.value("before") & SCI_EN
    assert results.value("enabled") & SCI_EN, machine.console_tail()
    assert results.value("after-other") & SCI_EN
    assert not results.value("after-byte") & SLP_EN
    assert not results.value("disabled") & SCI_EN
    # No sleep, no reset (the `cli; hlt` after DONE may already show as "halted").
    assert "halt reason=power-off" not in machine.console
    assert "halt reason=reset" not in machine.console
    assert_no_panic(machine)


# ------------------------------------------------------------------ 5: no DMA look

IDE_FUNCTION = pci_address(0, 1, 1)      # QEMU pc: PIIX3 IDE at 00:01.1
PROG_IF_BUS_MASTER = 0x80
BAR4 = 0x20


def test_ide_function_does_not_look_dma_capable(vm, testfw):
    """Bus Master Enable is withheld from real functions, so the PIIX IDE function shows
    no bus-master capability (prog-if bit 7) and no BAR4: BAR sizing finds nothing, and
    a guest (Linux ata_piix, SeaBIOS) drives the disk by PIO instead of reading zeros
    from DMA that never happens."""
    s = (Script().mode("protected")
         .pci_find(0x8086, 0x7010, name="find")
         .pci_read32(IDE_FUNCTION | 0x08, name="class")
         .pci_read8(IDE_FUNCTION | 0x09, name="prog-if")
         .pci_read32(IDE_FUNCTION | BAR4, name="bar4")
         .pci_write32(IDE_FUNCTION | BAR4, 0xFFFFFFFF, name="bar4-sizing")
         .pci_write32(IDE_FUNCTION | BAR4, 0xC001, name="bar4-program")
         .pci_write16(IDE_FUNCTION | 0x04, 0x0005, name="command")   # I/O + BME
         .end())
    machine, results = run_to_done(vm, testfw, s)
    assert results.failures == [], machine.console_tail()
    assert results.value("find") & ~0xFF == IDE_FUNCTION & ~0xFF
    assert results.value("class") >> 8 == 0x010100, f"{results.value('class'):#x}"
    assert not results.value("prog-if") & PROG_IF_BUS_MASTER
    assert results.value("bar4") == 0
    assert results.value("bar4-sizing") == 0, "sizing must show no BAR"
    assert results.value("bar4-program") == 0
    assert not results.value("command") & 0x4, "BME withheld"
    counters = machine.inspect("partition/counters")
    assert counters["ide_bmiba_writes_dropped"] == 2
    assert_no_panic(machine)


# ------------------------------------------------------------------ 6: VTL0 stops itself

def test_hlt_with_interrupts_off_is_its_own_halt_reason(vm, testfw):
    """`cli; hlt` with nothing pending: nothing will ever wake VTL0. Mezzanine tells the
    host (EXT_VTL0_HALTED, docs/get.md), VTL0 stays inspectable until someone waits for
    the halt, and the wait ends promptly with HaltReason.HALTED, not a timeout."""
    s = Script().mode("long").log("stopping").hlt()
    machine = boot(vm, testfw, s, timeout=60)
    machine.wait_for_log(r"testdev: LOG tag=\d+ text=stopping", RUN_S)
    machine.wait_for_log(r"VTL0 stopped itself", 10)      # logged once the host is told
    assert machine.inspect("partition/state") == "stopped"   # still there to look at
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not any(
            e["name"] == "EXT_VTL0_HALTED" for e in machine.ged.events):
        time.sleep(0.05)
    event = [e for e in machine.ged.events if e["name"] == "EXT_VTL0_HALTED"]
    assert len(event) == 1 and event[0]["reason"] == 1, machine.ged.events
    halt = machine.wait_for_halt(10)
    assert halt.reason is HaltReason.HALTED, f"{halt}\n{machine.console_tail()}"
    assert halt.source == "get" and "HLT with interrupts disabled" in halt.detail
    assert not machine.running
    assert_no_panic(machine)


def test_mezz_run_ends_with_halted_status(testfw, tmp_path):
    import subprocess
    from harness import REPO_ROOT
    script = tmp_path / "script.bin"
    script.write_bytes(Script().log("stopping").hlt().encode())
    result = subprocess.run([str(REPO_ROOT / "tools" / "mezz"), "run", "--vtl0", str(testfw),
                             "--module", f"{script}:testscript", "--timeout", "60",
                             "--no-screenshot"],
                            capture_output=True, text=True, timeout=90)
    assert result.returncode == 8, result.stderr
    assert "mezz: halted: halted: HLT with interrupts disabled" in result.stderr


# ------------------------------------------------------------------ 1: strings on MMIO

VGA_TEXT = 0xB8000          # nothing there for VTL0: reads all-ones, writes dropped
ROM_F = 0xF0000             # the firmware image, read-only
ALL_ONES = {1: 0xFF, 2: 0xFFFF, 4: 0xFFFFFFFF, 8: 0xFFFFFFFFFFFFFFFF}


def test_rep_movsl_from_vga_window_in_real_mode(vm, testfw):
    """The probe's stop: a 16-bit loader's `rep movsl` (f3 66 a5) from B8000h (Linux's
    arch/x86/boot save_screen). VTL0 has no VGA, so the copy reads all-ones, like a PC
    bus with nothing there, and VTL0 goes on."""
    s = (Script()
         .write32(RAM, 0x11111111).write32(RAM + 4 * 639, 0x22222222)
         .string("movs", 4, VGA_TEXT, RAM, count=640, rep=True, name="save-screen")
         .read32(RAM, name="first").read32(RAM + 4 * 639, name="last")
         .end())
    machine, results = run_to_done(vm, testfw, s)
    assert results.failures == [], machine.console_tail()
    rcx, dsi, ddi, _ = results.values("save-screen")
    assert (rcx & 0xFFFF, dsi, ddi) == (0, 2560, 2560)
    assert results.value("first") == 0xFFFFFFFF and results.value("last") == 0xFFFFFFFF
    assert machine.inspect("partition/state") == "running" or results.done
    assert_no_panic(machine)


@pytest.mark.parametrize("mode", ["real", "protected", "long"])
@pytest.mark.parametrize("size", [1, 2, 4, 8])
def test_movs_between_ram_and_mmio_every_form(vm, testfw, mode, size):
    """MOVS with and without REP, both directions of DF, with the address-size prefix,
    MMIO -> RAM, RAM -> MMIO (dropped at ROM, at the absent VGA window) and MMIO -> MMIO;
    CMPS and SCAS against MMIO; STOS into ROM."""
    if size == 8 and mode != "long":
        pytest.skip("64-bit elements need long mode")
    n = 8
    span = n * size
    s = Script().mode(mode)
    pattern = 0x0123456789ABCDEF
    for i in range(0, span + 16, 8):
        s.write64(RAM + i, pattern ^ i)
        s.write64(SCRATCH + i, 0)
    # MMIO (ROM: the firmware image) -> RAM, forwards, REP
    s.string("movs", size, ROM_F, SCRATCH, count=n, rep=True, name="rom-to-ram")
    s.read64(SCRATCH, name="copied-lo").read64(SCRATCH + span - 8 if span >= 8 else SCRATCH,
                                              name="copied-hi")
    s.read64(ROM_F, name="rom-lo").read64(ROM_F + span - 8 if span >= 8 else ROM_F,
                                          name="rom-hi")
    # RAM -> ROM (dropped), backwards (DF = 1), with the address-size prefix
    last = span - size
    s.string("movs", size, RAM + last, ROM_F + last, count=n, rep=True, down=True,
             alt_addr=(mode != "protected"), name="ram-to-rom-down")
    s.read64(ROM_F, name="rom-after")
    # absent VGA window -> VGA window (MMIO -> MMIO), one element without REP
    s.string("movs", size, VGA_TEXT, VGA_TEXT + 0x100, count=5, name="mmio-to-mmio")
    # CMPS: RAM against the all-ones window, REPE stops at the first difference
    s.string("cmps", size, RAM, VGA_TEXT, count=n, rep=True, name="cmps")
    # SCAS: REPNE looks for all-ones in the VGA window: found at once
    s.string("stos", size, 0, VGA_TEXT, count=n, rep=True, rax=0x5A5A5A5A5A5A5A5A, name="stos-vga")
    s.string("lods", size, VGA_TEXT, 0, count=1, name="lods")
    s.end()
    machine, results = run_to_done(vm, testfw, s, timeout=90)
    assert results.failures == [], machine.console_tail()
    mask = ALL_ONES[size]
    rcx, dsi, ddi, _ = results.values("rom-to-ram")
    assert (rcx & 0xFFFF, dsi & 0xFFFFFFFF, ddi & 0xFFFFFFFF) == (0, span, span)
    assert results.value("copied-lo") == results.value("rom-lo")
    assert results.value("copied-hi") == results.value("rom-hi")
    rcx, dsi, ddi, _ = results.values("ram-to-rom-down")
    assert rcx & 0xFFFF == 0
    assert dsi & 0xFFFF == (-span) & 0xFFFF and ddi & 0xFFFF == (-span) & 0xFFFF
    assert results.value("rom-after") == results.value("rom-lo"), "a write reached ROM"
    rcx, dsi, ddi, _ = results.values("mmio-to-mmio")
    assert rcx & 0xFFFF == 5, "without REP, rCX stays"
    assert dsi & 0xFFFF == size and ddi & 0xFFFF == size
    rcx, dsi, ddi, eax_flags = results.values("cmps")
    assert rcx & 0xFFFF == n - 1, "REPE ends after the first (unequal) element"
    assert dsi & 0xFFFF == size
    assert not (eax_flags >> 32) & 0x40, "ZF clear: RAM differs from all-ones"
    rcx, _, ddi, _ = results.values("stos-vga")
    assert rcx & 0xFFFF == 0 and ddi & 0xFFFF == span
    _, dsi, _, eax_flags = results.values("lods")
    assert dsi & 0xFFFF == size
    assert eax_flags & 0xFFFFFFFF == mask & 0xFFFFFFFF
    counters = machine.inspect("partition/counters")
    assert counters["mmio_unsupported"] == 0
    assert_no_panic(machine)


@pytest.mark.parametrize("mode", ["protected", "long"])
def test_accessed_bit_write_to_rom_descriptor_is_dropped(vm, testfw, mode):
    """Loading FS (and in protected mode CS, by JMP ptr16:32) from a GDT in ROM whose
    descriptors have A = 0: the CPU's write of the accessed bit goes nowhere (ROM), the
    load completes and the segment works."""
    s = Script().mode(mode).segload_rom(name="segload").segload_rom(name="again").end()
    machine, results = run_to_done(vm, testfw, s)
    assert results.failures == [], machine.console_tail()
    assert not results.value("segload") & (1 << 8), "the accessed bit reached ROM"
    assert results.value("segload") == 0x00CF9200
    assert results.value("again") == 0x00CF9200
    if mode == "protected":                   # CS too, by a far JMP through ROM
        assert results.values("segload")[1] == 0x00CF9A00
    counters = machine.inspect("partition/counters")
    assert counters["rom_descriptor_loads"] >= 2 and counters["mmio_unsupported"] == 0
    assert_no_panic(machine)
