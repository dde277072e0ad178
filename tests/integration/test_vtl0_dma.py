"""VTL0 cannot make a real device write memory (SPEC section 5, "DMA"; issue 3).

There is no IOMMU: a device VTL0 could program to write memory could write VTL2. The
test firmware tries the three ways QEMU's pc machine offers (dma_probes.py): Bus
Master Enable on the PIIX3 IDE function, fw_cfg DMA (into VTL0's RAM and into the VTL2
heap), and QEMU's kvmvapic port 0x7E. test_testfw_native_devices.py runs the same
scripts on QEMU alone, where every attempt does write memory.
"""

from dma_probes import (BME_WRITES, COMMAND_BME, COMMAND_IO, FILL, FW_CFG_ID_DMA, PIIX_IDE,
                        SIGNATURE, TARGET_VTL2, VMMCALL, bus_master_script,
                        descriptor_control, fwcfg_dma_script, vapic_script)
from harness.testdev import testdev_results
from harness.testscript import Script

MEMORY_MB = 512
RUN_S = 20


def run(vm, testfw, script):
    """Boot, wait for the script's end; the script ends with a check that VTL0 still
    runs (after-*) and Mezzanine must not have panicked."""
    script.cpuid(0, name="after-cpuid").log("still running", name="after-log").end()
    machine = vm(vtl0=testfw, modules={"testscript": script.encode()},
                 memory_mb=MEMORY_MB, timeout=RUN_S + 10)
    machine.wait_for_log(r"testdev: DONE", RUN_S)
    results = testdev_results(machine, script)
    assert results.failures == [], machine.console_tail()
    results.event("after-cpuid", "VALUE")
    assert "PANIC:" not in machine.console and machine.running, machine.console_tail()
    return machine, results


def test_bus_master_enable_never_reaches_a_real_function(vm, testfw):
    """Byte, word and dword writes of IO | BME to the IDE command register: the IO
    enable goes through (the function stays usable), BME always reads 0."""
    machine, results = run(vm, testfw, bus_master_script(Script()))
    assert results.value("ide") == PIIX_IDE, "the PIIX3 IDE function is where QEMU puts it"
    assert not results.value("bme-before") & COMMAND_BME, "BME was on before VTL0 started"
    for bits in BME_WRITES:
        command = results.value(f"bme-{bits}")
        assert command & COMMAND_IO, f"{bits}-bit write: IO enable dropped too ({command:#x})"
        assert not command & COMMAND_BME, f"{bits}-bit write set BME ({command:#x})"


def test_fw_cfg_dma_is_hidden_and_inert(vm, testfw):
    """FW_CFG_ID has no DMA bit, the DMA ports read nothing, and descriptors written
    there are never processed: VTL0's buffer keeps its fill, the descriptors their
    control word, and the VTL2 heap holds no fw_cfg signature."""
    machine, results = run(vm, testfw, fwcfg_dma_script(Script()))
    vtl2 = machine.memory.read(TARGET_VTL2, 16)
    assert not results.value("fwcfg-id") & FW_CFG_ID_DMA
    assert results.value("fwcfg-dma-sig") == 0
    assert results.value("dma-vtl0-buffer") == FILL
    assert results.value("dma-vtl0-control-after") == descriptor_control()
    assert results.value("dma-vtl2-control-after") == descriptor_control()
    # The VTL2 page at TARGET_VTL2 is Mezzanine's own (its page-table root at 512 MiB):
    # a transfer would have put "QEMU" at its start.
    assert vtl2[:4] != SIGNATURE.to_bytes(4, "little"), vtl2[:16].hex()


def test_vapic_port_writes_are_ignored(vm, testfw):
    """The 16-bit write that makes QEMU patch a `vmmcall` in a guest "ROM" changes
    nothing under Mezzanine."""
    machine, results = run(vm, testfw, vapic_script(Script()))
    assert results.passed("vapic-write")
    assert results.value("vapic-after").to_bytes(8, "little") == VMMCALL
