"""Issue 14 with Linux in VTL0 (petri's basic_servicing shape): three cycles of {agent
command -> inspect old -> restart_paravisor -> agent command -> inspect new}, a process
started before servicing still running after each, VTL0's RAM and VRAM hashing the same
when it stops and before it resumes, then `poweroff` ending the run with PowerOff.
The guest disk comes from `make linux-guest` (build/linux/disk.img, docs/linux.md)."""

from pathlib import Path

import pytest

from harness import REPO_ROOT, HaltReason, Vm

LINUX_DISK = REPO_ROOT / "build" / "linux" / "disk.img"
SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
BOOT_TIMEOUT_S = 120
CYCLES = 3

pytestmark = pytest.mark.timeout(BOOT_TIMEOUT_S + 120)


def test_linux_keeps_running_across_three_servicing_cycles(test_log_dir):
    if not LINUX_DISK.is_file():
        pytest.fail(f"{LINUX_DISK} does not exist: run `make linux-guest` first", pytrace=False)
    with Vm(vtl0=SEABIOS, disks=[LINUX_DISK], log_dir=test_log_dir,
            timeout=BOOT_TIMEOUT_S + 100) as vm:
        sh = vm.vtl0_shell()
        sh.wait_ready(BOOT_TIMEOUT_S)
        # A process started before servicing: counts into a file, in the background.
        sh.run("(i=0; while :; do i=$((i+1)); echo $i > /tmp/count; sleep 0.05; done) "
               "> /dev/null 2>&1 & echo $! > /tmp/pid").check()
        pid = sh.run("cat /tmp/pid").check().strip()
        last = 0
        for _ in range(CYCLES):
            assert sh.run("uname -r").status == 0
            old = vm.inspect("servicing")
            cycle = vm.restart_paravisor()
            assert cycle["hash_stopped"] == cycle["hash_resuming"], "VTL0 memory changed"
            assert set(cycle["restore_requests"]) <= {
                "SAVE_GUEST_VTL2_STATE", "VERSION", "DEVICE_PLATFORM_SETTINGS_V2",
                "RESTORE_GUEST_VTL2_STATE"}, cycle["restore_requests"]
            new = vm.inspect("servicing")
            assert new["generation"] == old["generation"] + 1 and new["restored"]
            assert sh.run(f"kill -0 {pid}").status == 0           # still running
            sh.run("sleep 0.3").check()
            count = int(sh.run("cat /tmp/count").check())
            assert count > last                                   # and still counting
            last = count
            print("servicing with Linux: blob", cycle["blob_len"], "bytes, blackout",
                  new["blackout_time_us"], "us (host hashing 512 MiB twice included)")
        assert "PANIC:" not in vm.console
        sh.send("poweroff")
        halt = vm.wait_for_halt(60)
        assert halt.reason is HaltReason.POWER_OFF, halt
        assert halt.source == "get"
