"""Debian's Linux in VTL0 (SPEC section 11, docs/linux.md): SeaBIOS → GRUB → Linux 6.1 →
busybox shell on VTL0's serial console, driven by the shell agent.

One Linux boot is shared by the tests of this module, in file order (a module-scoped
VM): the shell, the agent, the second disk, the screenshot and inspect look at the same
running guest; `reboot -f` then boots it a second time, and `poweroff` ends it. A test
that finds the shared VM already halted fails with the reason, rather than booting again.
The guest disk comes from `make linux-guest` (build/linux/disk.img).
"""

import hashlib
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path

import pytest

from harness import REPO_ROOT, HaltReason, Vm
from harness.shell_agent import ShellResult

LINUX_DISK = REPO_ROOT / "build" / "linux" / "disk.img"
SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
LOG_DIR = REPO_ROOT / "build" / "test-logs" / "test_linux"
BOOT_TIMEOUT_S = 120          # power-on to the shell answering; ~11 s unloaded
RUN_TIMEOUT_S = 170           # the whole shared run (two boots)
PAYLOAD_SIZE = 300_000

pytestmark = pytest.mark.timeout(BOOT_TIMEOUT_S + 30)


@pytest.fixture(scope="module")
def data_disk(tmp_path_factory):
    """A second IDE disk: a FAT file system (mtools) holding payload.bin of random bytes.
    Returns (image path, the payload's SHA-256)."""
    directory = tmp_path_factory.mktemp("linux-data")
    payload = directory / "payload.bin"
    payload.write_bytes(os.urandom(PAYLOAD_SIZE))
    image = directory / "data.img"
    subprocess.run(["mformat", "-i", str(image), "-C", "-T", "8192", "-h", "4", "-s", "32",
                    "-v", "MEZZDATA", "::"], check=True, capture_output=True)
    subprocess.run(["mcopy", "-i", str(image), str(payload), "::payload.bin"], check=True,
                   capture_output=True)
    return image, hashlib.sha256(payload.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def linux(request, data_disk):
    """The shared Linux VM, started with the shell answering. Logs (Mezzanine's console,
    VTL0's serial console, QEMU's) stay in build/test-logs/test_linux/ when a test failed."""
    if not LINUX_DISK.is_file():
        pytest.fail(f"{LINUX_DISK} does not exist: run `make linux-guest` first", pytrace=False)
    shutil.rmtree(LOG_DIR, ignore_errors=True)
    vm = Vm(vtl0=SEABIOS, disks=[LINUX_DISK, data_disk[0]], log_dir=LOG_DIR,
            timeout=RUN_TIMEOUT_S)
    vm.start()
    failed_before = request.session.testsfailed
    try:
        vm.vtl0_shell().wait_ready(BOOT_TIMEOUT_S)
        yield vm
    finally:
        vm.stop()
        if request.session.testsfailed == failed_before:
            shutil.rmtree(LOG_DIR, ignore_errors=True)


def shell(vm):
    if vm.halt is not None:
        pytest.fail(f"the shared Linux VM already halted: {vm.halt}", pytrace=False)
    return vm.vtl0_shell()


def test_linux_boots_to_a_shell_on_the_serial_console(linux):
    serial = linux.vtl0_serial.text
    assert re.search(r"Linux version 6\.\d+\.\d+-\d+-amd64 .*Debian", serial)
    assert "Run /init as init process" in serial
    assert re.search(r"^vtl0:/root# ", serial, re.MULTILINE)     # the prompt of profile
    # The kernel's console is the passed-through 16550, with its interrupt.
    assert re.search(r"ttyS0 at I/O 0x3f8 \(irq = 4, base_baud = 115200\) is a 16550A", serial)
    # Mezzanine's console is apart from it: none of Linux's lines, and its own log.
    assert "Linux version" not in linux.console
    assert "I vtl0: starting VTL0" in linux.console


def test_agent_runs_commands_and_returns_their_status(linux):
    sh = shell(linux)
    result = sh.run("uname -a")
    assert result.status == 0
    assert re.fullmatch(r"Linux vtl0 6\.\d+\.\d+-\d+-amd64 #1 SMP .* x86_64 GNU/Linux\n",
                        result.output)
    assert sh.run("false").status == 1
    assert sh.run("sh -c 'echo to-stderr >&2; exit 7'") == ShellResult("to-stderr\n", 7)
    assert sh.run("printf 'a\\nb\\nc'") == ShellResult("a\nb\nc", 0)
    assert sh.run("cd /proc && pwd").output == "/proc\n"
    assert sh.run("pwd").output == "/proc\n"              # the same shell: cd persisted
    # The serial line runs on interrupts, both ways (IRQ 4 counted by the guest).
    irq_line = sh.run("grep ttyS0 /proc/interrupts").check()
    assert re.match(r"\s*4:\s+[1-9]\d*\s+IO-APIC\s+4-edge\s+ttyS0", irq_line), irq_line
    # A long output comes through whole (the tty and the UART's FIFO throttle, no loss).
    long = sh.run("seq 1 3000").check()
    assert long.split() == [str(n) for n in range(1, 3001)]


def block_device(sh, scsi_address: str) -> str:
    """/dev/sdX of the disk at a SCSI address (host:channel:id:lun; ata1's master is
    0:0:0:0, its slave 0:0:1:0). The sdX letters follow probe order, which varies."""
    name = sh.run(f"ls /sys/bus/scsi/devices/{scsi_address}/block").check().strip()
    assert re.fullmatch(r"sd[a-z]", name), name
    return f"/dev/{name}"


def test_second_ide_disk_reads_back_the_right_checksum(linux, data_disk):
    sh = shell(linux)
    _, digest = data_disk
    # The IDE function cannot do DMA here (Bus Master Enable is withheld), so it must
    # not look DMA-capable: libata finds no BMDMA and uses PIO (SPEC section 5).
    ata = re.search(r"ata1: PATA max (.*)$", linux.vtl0_serial.text, re.MULTILINE)
    assert ata and ata.group(1).startswith("PIO") and "bmdma" not in ata.group(1), ata
    data = block_device(sh, "0:0:1:0")          # primary slave: the data disk
    result = sh.run(f"mkdir -p /mnt/data && mount -t vfat -o ro {data} /mnt/data")
    assert result.status == 0, result.output + sh.run("dmesg | tail -20").output
    out = sh.run("sha256sum /mnt/data/payload.bin").check()
    assert out.split()[0] == digest
    assert sh.run("stat -c %s /mnt/data/payload.bin").check().strip() == str(PAYLOAD_SIZE)
    # The boot disk reads true data too: GRUB's hybrid image starts with its MBR code
    # and ends with the 0x55 0xAA signature.
    boot = block_device(sh, "0:0:0:0")
    mbr = sh.run(f"dd if={boot} bs=512 count=1 2>/dev/null | od -An -tx1 | tail -2").check()
    assert mbr.split()[-2:] == ["55", "aa"]
    assert sh.run("umount /mnt/data").status == 0


def test_screenshot_shows_linux_framebuffer_console(linux, tmp_path):
    shell(linux)
    frame = linux.screenshot(tmp_path / "linux.png")
    assert (frame.width, frame.height) == (1024, 768)
    # fbcon's text: light pixels on many rows spread over the screen (the kernel log and
    # rcS's banner), not a blank or single-colour picture.
    stride = frame.width * 4
    lit_rows = 0
    lit_pixels = 0
    for y in range(frame.height):
        row = frame.bgrx[y * stride:(y + 1) * stride]
        count = sum(1 for x in range(0, stride, 4) if row[x] + row[x + 1] + row[x + 2] > 300)
        lit_pixels += count
        lit_rows += count > 0
    assert lit_rows > 300, f"only {lit_rows} rows have text"
    assert 0.01 < lit_pixels / (frame.width * frame.height) < 0.5


def test_inspect_shows_no_vtl0_stop_and_no_unlisted_msr(linux):
    shell(linux).run("true")
    part = linux.inspect("partition")
    assert part["state"] == "running"
    assert part["counters"]["mmio_unsupported"] == 0
    refused = part["msr_refused"]
    unlisted = {msr: entry for msr, entry in refused.items()
                if msr != "other" and not entry["in_model"]}
    assert unlisted == {}, f"MSRs refused that the CPU model does not list: {unlisted}"
    assert refused["other"] == 0
    assert "stopping VTL0" not in linux.console
    assert "PANIC" not in linux.console


def test_reboot_f_resets_vtl0_and_linux_boots_again(linux):
    sh = shell(linux)
    resets = linux.ged.vtl0_resets
    boots = linux.vtl0_serial.text.count("Run /init as init process")
    start = len(linux.vtl0_serial.text)
    sh.send("reboot -f")
    assert linux.wait_for_reset(60, after=resets), "no VTL0 reset reached the host"
    linux.wait_for_vtl0_serial(r"Linux version 6\.", BOOT_TIMEOUT_S, start=start)
    sh.wait_ready(BOOT_TIMEOUT_S, since=start)
    assert linux.vtl0_serial.text.count("Run /init as init process") == boots + 1
    assert sh.run("cat /proc/uptime").status == 0
    assert linux.halt is None and linux.running


def test_poweroff_ends_the_run_with_power_off(linux):
    sh = shell(linux)
    sh.send("poweroff")
    halt = linux.wait_for_halt(60)
    assert halt.reason is HaltReason.POWER_OFF, halt
    assert halt.source == "get"
    assert "reboot: Power down" in linux.vtl0_serial.text


def test_mezz_run_linux_gives_the_shell_and_poweroff_exits_0(tmp_path):
    """`make run`'s command: the serial console on stdout (here a pipe), stdin typed into
    it, Mezzanine's console in the --log file; `poweroff` ends it with status 0."""
    mezz_log = tmp_path / "mezzanine.log"
    proc = subprocess.Popen([str(REPO_ROOT / "tools" / "mezz"), "run", "--linux",
                             "--timeout", str(BOOT_TIMEOUT_S), "--log", str(mezz_log),
                             "--no-screenshot"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    seen = bytearray()
    prompted = threading.Event()

    def read_stdout():
        while chunk := proc.stdout.read1(4096):
            seen.extend(chunk)
            if b"vtl0:/root# " in seen and not prompted.is_set():
                prompted.set()
                proc.stdin.write(b"echo $((6*7))-ok; poweroff\n")
                proc.stdin.flush()

    reader = threading.Thread(target=read_stdout, daemon=True)
    reader.start()
    try:
        status = proc.wait(BOOT_TIMEOUT_S + 20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(5)
    stderr = proc.stderr.read().decode(errors="replace")
    output = seen.decode(errors="replace")
    assert status == 0, f"{stderr}\n{output[-2000:]}"
    assert "42-ok" in output and "reboot: Power down" in output
    assert f"console goes to {mezz_log}" in stderr
    assert "halted: power-off" in stderr
    # Mezzanine's console went to the file, not to the terminal.
    log = mezz_log.read_text()
    assert "Mezzanine" in log and "halt reason=power-off" in log
    assert "halt reason=power-off" not in output
    # With no run live, `mezz log` prints the last run's console file.
    shown = subprocess.run([str(REPO_ROOT / "tools" / "mezz"), "log"], capture_output=True,
                           text=True, timeout=30)
    assert shown.returncode == 0 and shown.stdout == log
