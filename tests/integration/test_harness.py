"""The harness itself: command line == contract, wait errors, teardown leaves nothing."""

import re
import shlex
from pathlib import Path

import pytest

from harness import (REPO_ROOT, HarnessError, LogTimeout, QemuConfig, VmHalted,
                     build_command)
from harness.qemu import RunPaths

CONTRACT = REPO_ROOT / "docs" / "boot-contract.md"


def contract_command(run: str, kernel: str, shim: str, cmdline: str, firmware=None):
    """The command line block of docs/boot-contract.md with its placeholders filled in."""
    text = CONTRACT.read_text()
    block = re.search(r"## QEMU command line.*?```\n(.*?)```", text, re.S).group(1)
    block = "\n".join(line.split("#", 1)[0] for line in block.splitlines())
    optional = re.search(r"\[(.*?)\]", block).group(1)
    block = block.replace(f"[{optional}]", optional if firmware else "")
    words = shlex.split(block)
    filled = []
    for word in words:
        word = word.replace("RUN/", run + "/").replace("build/mezzanine.igvm", kernel)
        word = word.replace("build/shim.bin", shim)
        word = word.replace("CMDLINE", cmdline)
        if firmware:
            word = word.replace("FIRMWARE", firmware)
        filled.append(word)
    return filled


@pytest.mark.parametrize("firmware", [None, "/fw/seabios.bin"])
def test_command_line_is_the_contracts(firmware, tmp_path):
    kernel = tmp_path / "mezzanine.igvm"
    kernel.write_bytes(b"IGVM")
    shim = tmp_path / "shim.bin"
    config = QemuConfig(kernel=kernel, cmdline="mezz.log=debug mezz.halt=panic",
                        vtl0=Path(firmware) if firmware else None, shim=shim)
    argv = build_command(config, RunPaths(Path("/dev/shm/mezz-run-x")))
    assert argv == contract_command("/dev/shm/mezz-run-x", str(kernel), str(shim),
                                    "mezz.log=debug mezz.halt=panic", firmware)


def test_a_flat_kernel_still_boots_directly(tmp_path):
    kernel = tmp_path / "kernel.bin"
    kernel.write_bytes(b"")
    argv = build_command(QemuConfig(kernel=kernel, cmdline="x=1"), RunPaths(tmp_path))
    assert argv[argv.index("-kernel") + 1] == str(kernel)
    assert "-initrd" not in argv


def test_memory_size_goes_to_m_and_backend(tmp_path):
    kernel = tmp_path / "kernel.bin"
    kernel.write_bytes(b"")
    argv = build_command(QemuConfig(kernel=kernel, memory_mb=1024), RunPaths(tmp_path))
    assert argv[argv.index("-m") + 1] == "1024M"
    assert any(word.startswith("memory-backend-file,id=ram,size=1024M,") for word in argv)


def test_wait_for_log_timeout_leaves_vm_running(vm):
    machine = vm()
    machine.wait_for_log(r"boot complete", 20)
    with pytest.raises(LogTimeout, match="console tail"):
        machine.wait_for_log(r"this is never printed", 0.5)
    assert machine.running


def test_wait_for_log_after_halt_raises_vm_halted(vm):
    machine = vm("mezz.halt=power-off")
    with pytest.raises(VmHalted, match="power-off"):
        machine.wait_for_log(r"this is never printed", 20)


def test_stop_kills_qemu_and_removes_run_dir(vm):
    machine = vm()
    machine.wait_for_log(r"boot complete", 20)
    run_dir = machine.host.paths.root
    assert (run_dir / "guest-ram").exists()
    assert machine.memory.read(0, 1) is not None
    machine.stop()
    assert not machine.running
    assert not run_dir.exists()
    with pytest.raises(HarnessError):
        machine.memory.read(0, 1)
    with pytest.raises(VmHalted, match="stopped"):
        machine.wait_for_halt(1)
