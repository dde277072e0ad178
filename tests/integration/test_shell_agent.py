"""The shell agent (tests/harness/shell_agent.py) against a scripted shell on a socket
pair, without QEMU: markers, exit statuses, echoed input, CR LF line ends, late shells.
test_linux.py runs it against the real busybox shell in VTL0."""

import re
import socket
import threading

import pytest

from harness.shell_agent import ShellResult, ShellTimeout, Vtl0Shell
from harness.vtl0_serial import Vtl0Serial


class FakeShell:
    """Reads typed lines and answers as an interactive sh on a tty would: echoes input
    until `stty -echo`, ends lines with CR LF, expands the agent's `$((1))` and `$?`.
    Commands are looked up in `commands` (output, status). Ignores the first
    `ignore_lines` lines, as a shell that is not reading yet."""

    def __init__(self, sock, commands, ignore_lines=0, noise="", banner=""):
        self.sock, self.commands, self.ignore = sock, commands, ignore_lines
        self.noise = noise
        self.echo = True
        self.status = 0
        self.typed = []
        if banner:
            self._out(banner)
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _out(self, text):
        self.sock.sendall(text.replace("\n", "\r\n").encode())

    def _loop(self):
        buffer = b""
        while True:
            data = self.sock.recv(4096)
            if not data:
                return
            buffer += data
            while b"\n" in buffer:
                line, buffer = buffer.split(b"\n", 1)
                self._line(line.decode())

    def _line(self, line):
        self.typed.append(line)
        if self.ignore:
            self.ignore -= 1
            return
        if self.echo:
            self._out(line + "\n")
        if self.noise:
            self._out(self.noise)
        for part in [p.strip() for p in line.split(";")]:
            if part == "stty -echo":
                self.echo = False
            elif m := re.fullmatch(r"echo (\S+)_READY\$\(\(1\)\)", part):
                self._out(f"{m.group(1)}_READY1\n")
            elif m := re.fullmatch(r"echo '(\S+)'_BEGIN", part):
                self._out(f"{m.group(1)}_BEGIN\n")
            elif m := re.fullmatch(r"echo '(\S+)'_END\$\?", part):
                self._out(f"{m.group(1)}_END{self.status}\n")
            elif part in self.commands:
                output, self.status = self.commands[part]
                self._out(output)
            elif part.startswith(("PS1=", "PS2=", "dmesg")):
                pass
            else:
                self._out(f"sh: {part}: not found\n")
                self.status = 127


@pytest.fixture
def pair():
    host, guest = socket.socketpair()
    serial = Vtl0Serial(host)
    yield serial, guest
    serial.close()
    guest.close()


def test_run_returns_output_and_status(pair):
    serial, guest = pair
    fake = FakeShell(guest, {"uname -a": ("Linux vtl0 6.1\n", 0),
                             "false": ("", 1),
                             "printf x": ("x", 0)})
    shell = Vtl0Shell(serial)
    shell.wait_ready(5)
    assert shell.run("uname -a") == ShellResult("Linux vtl0 6.1\n", 0)
    assert shell.run("false") == ShellResult("", 1)
    assert shell.run("printf x") == ShellResult("x", 0)       # no newline before the marker
    assert shell.run("nonesuch") == ShellResult("sh: nonesuch: not found\n", 127)
    with pytest.raises(Exception, match="status 1"):
        shell.run("false").check()
    # The setup line was echoed (echo was still on): its token did not count as output.
    assert "_READY$((1))" in serial.text and fake.echo is False


def test_wait_ready_retries_until_the_shell_reads(pair):
    serial, guest = pair
    fake = FakeShell(guest, {}, ignore_lines=2, banner="boot log\nvtl0:/root# \x1b[6n")
    shell = Vtl0Shell(serial)
    shell.wait_ready(10)
    assert shell.ready
    assert sum("_READY" in line for line in fake.typed) == 3


def test_wait_ready_types_nothing_before_a_prompt(pair):
    serial, guest = pair
    fake = FakeShell(guest, {})
    shell = Vtl0Shell(serial)
    done = threading.Thread(target=shell.wait_ready, args=(30,), daemon=True)
    done.start()
    done.join(1.0)
    assert fake.typed == [] and not shell.ready      # still booting: nothing typed
    guest.sendall(b"Run /init as init process\r\nvtl0:/root# ")
    done.join(5.0)
    assert shell.ready and len(fake.typed) == 1


def test_escape_sequences_are_not_output(pair):
    serial, guest = pair
    FakeShell(guest, {"true": ("", 0)}, noise="\x1b[6n")
    shell = Vtl0Shell(serial)
    shell.wait_ready(5)
    assert shell.run("true") == ShellResult("", 0)


def test_a_silent_shell_times_out_with_the_serial_tail(pair):
    serial, guest = pair
    guest.sendall(b"Kernel panic - not syncing: test\r\n")
    shell = Vtl0Shell(serial)
    with pytest.raises(ShellTimeout, match="Kernel panic"):
        shell.wait_ready(1.0)


def test_run_refuses_multi_line_commands(pair):
    serial, _ = pair
    with pytest.raises(ValueError):
        Vtl0Shell(serial).run("echo a\necho b")
