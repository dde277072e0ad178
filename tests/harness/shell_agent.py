"""A shell agent over VTL0's serial console, in the spirit of petri's
linux_direct_serial_agent: the harness types commands into the guest's shell on ttyS0 and
reads back their output and exit status (docs/linux.md).

    shell = vm.vtl0_shell()
    shell.wait_ready(timeout=120)
    result = shell.run("uname -a")      # ShellResult(output="Linux vtl0 ...\\n", status=0)

How it delimits: wait_ready() waits for a shell prompt to appear, then types a setup line
(`stty -echo`, empty prompts, kernel messages off the console) ending in an echo of a
fresh token, and repeats it until the token comes back (a prompt missed or mistaken
costs only time: typed lines wait in the tty until the shell reads them). run() then types three lines: an
echo of a start marker, the command, and an echo of an end marker with `$?`. Each marker
is unique per command, and is written quoted so that the typed text, were it echoed,
would not match the marker the shell prints. Whatever lies between the markers is the
command's output.

Limits: the command must not read standard input (it would eat the end marker line),
and it runs in the agent's shell, so `cd` and variables persist between run() calls.
"""

import re
import secrets
import time
from dataclasses import dataclass

from .errors import HarnessError
from .vtl0_serial import Vtl0Serial

READY_RETRY_S = 2.0
# A shell prompt at the end of the output: "# " or "$ ", maybe followed by busybox's
# cursor-position query.
PROMPT = re.compile(r"[#$] (?:\x1b\[6n)?\Z")
DEFAULT_COMMAND_TIMEOUT_S = 30.0
# Terminal control sequences (a line editor's cursor queries, colours): not output.
_ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class ShellTimeout(HarnessError):
    """The shell did not answer in time (the serial tail is in the message)."""


@dataclass(frozen=True)
class ShellResult:
    output: str      # what the command wrote to stdout and stderr, CRs removed
    status: int      # its exit status ($?)

    def check(self) -> str:
        """The output, or HarnessError if the status is not 0."""
        if self.status != 0:
            raise HarnessError(f"command failed with status {self.status}:\n{self.output}")
        return self.output


class Vtl0Shell:
    """Runs commands in the shell on VTL0's serial console."""

    def __init__(self, serial: Vtl0Serial):
        self._serial = serial
        self._session = secrets.token_hex(3)
        self._count = 0
        self.ready = False

    def _tag(self) -> str:
        self._count += 1
        return f"MZ{self._session}x{self._count}"

    def _tail(self) -> str:
        lines = self._serial.text.splitlines()[-20:]
        return "--- vtl0 serial tail ---\n" + "\n".join(lines) + "\n--- end ---"

    def wait_ready(self, timeout: float = 120.0, since: int = 0) -> None:
        """Wait until the shell answers; set it up for the agent. Call again after the
        guest rebooted (the shell is a new one), with since = the offset in the serial
        text where that boot began, so the old prompt does not count. Raises ShellTimeout."""
        self.ready = False
        deadline = time.monotonic() + timeout
        # Typing before the shell runs is harmless but litters the boot log: wait for a
        # prompt first (at most until the deadline; then type anyway).
        self._serial.reader.wait_for(PROMPT, max(0.0, deadline - time.monotonic() - 5.0),
                                     since, whole_lines=False)
        while time.monotonic() < deadline:
            tag = self._tag()
            start = len(self._serial.text)
            # $((1)) makes the printed token differ from the typed one.
            self._serial.write(f"stty -echo; PS1=''; PS2=''; dmesg -n 1; "
                               f"echo {tag}_READY$((1))\n".encode())
            wait = min(READY_RETRY_S, max(0.0, deadline - time.monotonic()))
            if self._serial.reader.wait_for(re.escape(tag) + r"_READY1$", wait, start):
                self.ready = True
                return
            if self._serial.reader.eof:
                break
        raise ShellTimeout(f"VTL0's shell did not answer within {timeout:g} s\n{self._tail()}")

    def run(self, command: str, timeout: float = DEFAULT_COMMAND_TIMEOUT_S) -> ShellResult:
        """Run one command line; return its output and exit status. Raises ShellTimeout."""
        if "\n" in command:
            raise ValueError("one command line, without newlines")
        if not self.ready:
            self.wait_ready()
        tag = self._tag()
        start = len(self._serial.text)
        self._serial.write(f"echo '{tag}'_BEGIN\n{command}\necho '{tag}'_END$?\n".encode())
        pattern = re.compile(re.escape(tag) + r"_BEGIN\n(.*?)" + re.escape(tag) + r"_END(\d+)\n",
                             re.DOTALL)
        match = self._serial.reader.wait_for(pattern, timeout, start)
        if match is None:
            raise ShellTimeout(f"{command!r} did not finish within {timeout:g} s\n"
                               f"{self._tail()}")
        return ShellResult(_ESCAPES.sub("", match.group(1)), int(match.group(2)))

    def send(self, command: str) -> None:
        """Type a command and do not wait for it (poweroff, reboot -f: no marker comes
        back)."""
        if "\n" in command:
            raise ValueError("one command line, without newlines")
        self._serial.write(f"{command}\n".encode())
        self.ready = False
