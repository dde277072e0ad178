"""Mezzanine booted by UEFI (docs/image.md): OVMF boots the gnu-efi loader from the ESP,
which loads the same IGVM image with the same library, exits boot services and enters
the kernel with the UEFI memory map. The banner, the GET and a test-firmware scenario in
VTL0 work as through the shim (issue 10). OVMF costs about 3 s of firmware per boot."""

import re
import time

from harness.halt import HaltReason
from harness.testdev import testdev_results
from harness.testscript import Script

BOOT_S = 60
RUN_S = 120


def test_uefi_boot_to_banner_and_the_get(vm):
    start = time.monotonic()
    machine = vm(uefi=True, timeout=BOOT_S)
    machine.wait_for_log(r"Mezzanine \S+ \(\S+\) x86_64 paravisor", BOOT_S)
    banner_s = time.monotonic() - start
    machine.wait_for_log(r"boot complete", BOOT_S)
    console = machine.console
    assert "loader 'mezzanine uefi loader'" in console
    assert re.search(r"TSC \d+ kHz \(from the loader\)", console)
    machine.wait_for_log(r"get: device platform settings", BOOT_S)
    ring = machine.diag_log()   # the blocks stay off the console below debug level
    assert "memory map (firmware):" in ring and "vtl2 region:" in ring
    assert machine.inspect("get")["state"] == "up"
    print(f"UEFI launch to banner: {banner_s:.2f} s")


def test_uefi_test_firmware_scenario_in_vtl0(vm, testfw):
    s = Script().log("uefi")
    s.mode("protected")
    s.write32(0x8000, 0x12345678, name="ram")
    s.cpuid(0, name="cpuid0")
    s.mode("long")
    s.write32(0x8000, 0x9ABCDEF0, name="ram-long")
    s.poweroff()
    machine = vm(uefi=True, vtl0=testfw, modules={"testscript": s.encode()}, timeout=RUN_S)
    halt = machine.wait_for_halt(RUN_S)
    results = testdev_results(machine, s)
    assert halt.reason is HaltReason.POWER_OFF, machine.console_tail()
    assert results.failures == [], machine.console_tail()
    assert results.value("ram") == 0x12345678
    assert results.value("ram-long") == 0x9ABCDEF0
    assert "loader 'mezzanine uefi loader'" in machine.console
    assert "PANIC:" not in machine.console


def test_uefi_loader_refuses_a_corrupted_image(vm, kernel, tmp_path):
    blob = bytearray(kernel.read_bytes())
    blob[4] = 9                          # format version 9 (the CRC is left stale too)
    bad = tmp_path / "bad.igvm"
    bad.write_bytes(bytes(blob))
    machine = vm(kernel=bad, uefi=True, timeout=BOOT_S)
    halt = machine.wait_for_halt(BOOT_S)
    assert halt.reason is HaltReason.IMAGE_REJECTED, machine.console_tail()
    assert halt.detail.startswith("igvm: bad version"), halt.detail
    assert "Mezzanine " not in machine.console
