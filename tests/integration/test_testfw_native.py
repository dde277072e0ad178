"""The test firmware on its own: booted as QEMU's BIOS, no Mezzanine, no test device.

It then runs its built-in script (the default one, or one patched in with
testscript.embed) and prints its reports on the debug console. This proves the firmware
independently of the VTL0 partition: every operation, in every mode, and every halt.
"""

import pytest

from harness.halt import HaltReason
from harness.native import run_firmware
from harness.testdev import testdev_results
from harness.testscript import Script, default_script, embed

RAM = 0x8000                  # free RAM below the firmware's own (10000-2FFFF)
PCI_HOST_BRIDGE_ID = 0x12378086   # i440FX, 00:00.0 on the pc machine
MSR_SYSENTER_CS = 0x174
MSR_EFER = 0xC0000080
EFER_LME_LMA = 0x500
UD = 6
# A run gets RUN_S to end the machine; one expected to stop without ending it (hlt, the
# end of the script, a broken script) is cut off once its debug console is idle IDLE_S.
RUN_S = 20.0
IDLE_S = 1.0


@pytest.fixture(scope="module")
def image(testfw) -> bytes:
    return testfw.read_bytes()


def run(image, script, stops=False):
    """stops: the script ends without ending the machine; stop once the firmware is idle."""
    result = run_firmware(embed(image, script), timeout=RUN_S, idle=IDLE_S if stops else None)
    return result, testdev_results(result.debugcon, script)


def test_image_is_64k_with_a_reset_vector(image):
    assert len(image) == 0x10000
    assert image[0xFFF0] == 0xEA            # jmp far ptr16:16
    assert image[0xFFF3:0xFFF5] == b"\x00\xf0"   # ... to segment F000


def test_default_script(image):
    """The unpatched image: what a VTL0 run without a script does."""
    script = default_script()
    result = run_firmware(image, timeout=RUN_S)
    results = testdev_results(result.debugcon, script)
    assert result.halt.reason is HaltReason.POWER_OFF, result.debugcon
    assert results.failures == [], result.debugcon
    assert results.kinds()[0] == "BOOT" and results.events[0].fields == {"n": "1"}
    assert results.event(0, "LOG").text == "testfw default script"
    vendor = results.values("cpuid0-real")
    assert vendor[0] >= 1 and vendor[1] != 0
    assert results.value("ram-real") == 0x12345678
    assert results.passed("ram-real-ok")
    assert results.value("reset-vector-real") & 0xFF == 0xEA
    assert results.value("reset-vector-alias") & 0xFF == 0xEA
    assert results.value("rdmsr-sysenter-cs") == 0x10
    assert results.values("cpuid-ext-long")[3] & (1 << 29)    # LM
    assert results.value("efer-long") & EFER_LME_LMA == EFER_LME_LMA
    assert results.passed("efer-lma-lme")
    assert results.value("ram-long") == 0x0123456789ABCDEF
    assert results.value("ram-long-again") == 0x0123456789ABCDEF
    results.event("above-4g", "VALUE")
    assert results.modes() == ["protected", "long", "protected", "real", "protected", "long"]
    assert not results.done     # power-off comes first
    # One line per report, nothing else on the debug console.
    assert len(result.debugcon.splitlines()) == len(results)


@pytest.mark.parametrize("mode", ["real", "protected", "long"])
def test_every_operation_in_each_mode(image, mode):
    s = Script().mode(mode, name="mode")
    for bits, value in ((8, 0xA5), (16, 0xBEEF), (32, 0xDEADBEEF), (64, 0x0123456789ABCDEF)):
        s.write(bits, RAM + 0x10, value, name=f"write{bits}")
        s.expect(value, name=f"write{bits}-ok")
        s.read(bits, RAM + 0x10, name=f"read{bits}")
        s.expect(value, name=f"read{bits}-ok")
    (s.read32(RAM + 0x14, name="high-half")       # the 64-bit write's upper half
     .cpuid(0, name="cpuid").cpuid(7, 0, name="cpuid7")
     .wrmsr(MSR_SYSENTER_CS, 0x1234, name="wrmsr").rdmsr(MSR_SYSENTER_CS, name="rdmsr")
     .expect(0x1234, name="rdmsr-ok")
     .rdmsr(MSR_EFER, name="efer")
     .out32(0xCF8, 0x80000000, name="out32").in32(0xCFC, name="in32")
     .in16(0xCFC, name="in16").in8(0xCFE, name="in8")
     .out8(0x70, 0x0F, name="out8").out16(0x80, 0x55AA, name="out16")
     .expect(0, name="mismatch")                    # the last value is in8's
     .log("all done", name="log")
     .poweroff())
    result, results = run(image, s)
    assert result.halt.reason is HaltReason.POWER_OFF, result.debugcon
    assert results.for_op("mode")[-1].fields["mode"] == mode
    for bits, value in ((8, 0xA5), (16, 0xBEEF), (32, 0xDEADBEEF), (64, 0x0123456789ABCDEF)):
        assert results.value(f"write{bits}") == value
        assert results.value(f"read{bits}") == value
        assert results.passed(f"write{bits}-ok") and results.passed(f"read{bits}-ok")
    assert results.value("high-half") == 0x01234567
    assert results.values("cpuid")[1] != 0 and len(results.values("cpuid7")) == 4
    assert results.passed("wrmsr") and results.value("rdmsr") == 0x1234
    long_active = results.value("efer") & EFER_LME_LMA == EFER_LME_LMA
    assert long_active == (mode == "long")
    assert results.passed("out32") and results.passed("out8") and results.passed("out16")
    assert results.value("in32") == PCI_HOST_BRIDGE_ID
    assert results.value("in16") == PCI_HOST_BRIDGE_ID & 0xFFFF
    assert results.value("in8") == (PCI_HOST_BRIDGE_ID >> 16) & 0xFF
    mismatch = results.event("mismatch", "FAIL")
    assert mismatch.fields["reason"] == "mismatch"
    assert mismatch.values == ((PCI_HOST_BRIDGE_ID >> 16) & 0xFF, 0)
    assert results.event("log", "LOG").text == "all done"
    assert [e for e in results.failures if e.tag != results.script.tag("mismatch")] == []


def test_mode_transitions_every_way(image):
    s = (Script().mode("real", name="stay-real").mode("long", name="real-to-long")
         .mode("long", name="stay-long").mode("protected", name="long-to-prot")
         .mode("long", name="prot-to-long").mode("real", name="long-to-real")
         .mode("protected", name="real-to-prot").mode("real", name="prot-to-real")
         .poweroff())
    result, results = run(image, s)
    assert result.halt.reason is HaltReason.POWER_OFF
    steps = {name: [e.fields["mode"] for e in results.for_op(name)]
             for name in s.names}
    assert steps == {
        "stay-real": ["real"], "real-to-long": ["protected", "long"],
        "stay-long": ["long"], "long-to-prot": ["protected"], "prot-to-long": ["long"],
        "long-to-real": ["protected", "real"], "real-to-prot": ["protected"],
        "prot-to-real": ["real"],
    }
    assert results.failures == []


def test_address_reach_per_mode(image):
    """Real mode reaches FFFF:FFFF, protected mode 4 GiB, long mode what the CPU can form."""
    s = (Script()
         .read8(0x10FFEF, name="real-last").read16(0x10FFEF, name="real-past")
         .read8(0x10FFF0, name="real-beyond")
         .mode("protected").read32(0xFFFFFFFC, name="prot-last")
         .read64(0xFFFFFFFC, name="prot-straddle").read8(0x100000000, name="prot-beyond")
         .mode("long").write64(0x100000000, 0x55, name="long-4g")
         .read8(0x7FFFFFFFF0, name="long-high").read8(0xFFFF800000000000, name="long-beyond")
         .read16(0x13FFFFFFF, name="long-straddle")
         .poweroff())
    result, results = run(image, s)
    assert result.halt.reason is HaltReason.POWER_OFF
    for name in ("real-last", "prot-last", "long-4g", "long-high"):
        results.event(name, "VALUE")
    for name in ("real-past", "real-beyond", "prot-straddle", "prot-beyond", "long-beyond",
                 "long-straddle"):
        failure = results.event(name, "FAIL")
        assert failure.fields["reason"] == "unsupported"
        assert failure.value == s.op_at(s.tag(name)).args[0]


@pytest.mark.parametrize("mode", ["real", "protected", "long"])
def test_an_exception_is_reported_and_the_script_goes_on(image, mode):
    s = (Script().mode(mode).ud2(name="ud").ud2(name="again")
         .cpuid(0, name="after").poweroff())
    result, results = run(image, s)
    assert result.halt.reason is HaltReason.POWER_OFF
    for name in ("ud", "again"):
        failure = results.event(name, "FAIL")
        assert failure.fields["reason"] == "exception"
        assert failure.values[0] == UD                 # vector 6, no error code
        assert 0x10000 <= failure.values[1] < 0x20000  # the firmware's own ud2
    results.event("after", "VALUE")


@pytest.mark.parametrize("halt, reason", [
    (Script.poweroff, HaltReason.POWER_OFF),
    (Script.reset_cf9, HaltReason.RESET),
    (Script.reset_kbc, HaltReason.RESET),
    (Script.triple_fault, HaltReason.TRIPLE_FAULT),
])
@pytest.mark.parametrize("mode", ["real", "protected", "long"])
def test_halts_in_each_mode(image, mode, halt, reason):
    s = halt(Script().mode(mode).log("halting"))
    result, results = run(image, s)
    assert result.halt.reason is reason, result.debugcon
    assert results.kinds()[-1] == "LOG" and results.failures == []


def test_power_off_programs_the_pm_base_when_unset(image):
    """Nothing has set PMBA at reset; the firmware programs it as SeaBIOS does."""
    s = (Script().out32(0xCF8, 0x80000B40).in32(0xCFC, name="pmba-before")
         .poweroff())
    result, results = run(image, s)
    assert results.value("pmba-before") & 0xFFC0 == 0
    assert result.halt.reason is HaltReason.POWER_OFF


def test_hlt_stops_for_good(image):
    s = Script().log("before").hlt().log("after")
    result, results = run(image, s, stops=True)
    assert result.halt.reason is HaltReason.TIMEOUT
    assert [e.text for e in results if e.kind == "LOG"] == ["before"]


def test_end_of_script_reports_done(image):
    for s in (Script().cpuid(1), Script().cpuid(1).end().cpuid(2)):
        result, results = run(image, s, stops=True)
        assert result.halt.reason is HaltReason.TIMEOUT
        assert results.kinds() == ["BOOT", "VALUE", "DONE"]


def test_broken_scripts(image):
    raw = bytes(Script().cpuid(0))
    cases = [
        (raw + b"\xee", "FAIL", "bad-opcode", (0xEE,)),          # unknown opcode: stop
        (raw + raw[:5], "FAIL", "truncated", ()),                # ends inside an operation
    ]
    for data, kind, reason, values in cases:
        result = run_firmware(embed(image, data), timeout=RUN_S, idle=IDLE_S)
        events = testdev_results(result.debugcon).events
        assert [e.kind for e in events] == ["BOOT", "VALUE", kind], result.debugcon
        assert events[-1].tag == len(raw)
        assert events[-1].fields["reason"] == reason and events[-1].values == values

    # A bad operand of a known operation is reported, and the script goes on.
    data = b"\x01\x07" + bytes(Script().poweroff())
    result = run_firmware(embed(image, data), timeout=RUN_S)
    events = testdev_results(result.debugcon).events
    assert [(e.kind, e.fields.get("reason")) for e in events] == [
        ("BOOT", None), ("FAIL", "bad-operand")]
    assert events[-1].values == (7,)
    assert result.halt.reason is HaltReason.POWER_OFF


def test_image_without_a_builtin_script(image):
    """A blank slot (no MZTS magic) is an empty script: DONE at once."""
    blank = image[:0xD000] + bytes(0x1000) + image[0xE000:]
    result = run_firmware(blank, timeout=RUN_S, idle=IDLE_S)
    assert [e.kind for e in testdev_results(result.debugcon)] == ["BOOT", "DONE"]


def test_string_and_segment_load_operations_on_plain_qemu(image):
    """The operations issue 12's tests use under Mezzanine, on QEMU alone: the 16-bit
    `rep movsl` (f3 66 a5) copies what is at B8000h, MOVS/CMPS with the address-size
    prefix and DF=1 step as the CPU does, and loading a segment from a descriptor in ROM
    (the F0000h image, PAM at reset) completes while the CPU's accessed-bit write is
    dropped - what Mezzanine must reproduce."""
    s = (Script()
         .write32(RAM, 0xA5A5A5A5).write32(RAM + 0x100, 0x5A5A5A5A)
         .string("movs", 4, RAM, RAM + 0x200, count=0x41, rep=True, name="movsl")
         .read32(RAM + 0x300, name="copied")
         .string("movs", 4, RAM + 0x100, RAM + 0x400, count=2, rep=True, down=True,
                 alt_addr=True, name="movsl-down-67")
         .string("cmps", 4, RAM, RAM + 0x200, count=3, rep=True, name="cmps")
         .string("movs", 4, 0xB8000, RAM + 0x500, count=4, rep=True, name="vga")
         .mode("protected").segload_rom(name="segload")
         .mode("long").segload_rom(name="segload64")
         .poweroff())
    result, results = run(image, s)
    assert result.halt.reason is HaltReason.POWER_OFF, result.debugcon
    assert results.failures == [], result.debugcon
    rcx, dsi, ddi, _ = results.values("movsl")
    assert (rcx & 0xFFFF, dsi, ddi) == (0, 0x104, 0x104)
    assert results.value("copied") == 0x5A5A5A5A
    rcx, dsi, ddi, _ = results.values("movsl-down-67")
    assert rcx == 0 and dsi == (-8) & 0xFFFFFFFF and ddi == (-8) & 0xFFFFFFFF
    rcx, dsi, _, flags = results.values("cmps")
    assert rcx == 0 and dsi == 12 and (flags >> 32) & 0x40     # all equal: ZF
    assert results.values("vga")[0] & 0xFFFF == 0
    assert results.value("segload") == 0x00CF9200              # A stayed clear: ROM
    assert results.values("segload")[1] == 0x00CF9A00          # the code descriptor too
    assert results.value("segload64") == 0x00CF9200
