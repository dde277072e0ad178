"""How a Mezzanine run ended: HaltReason, Halt, and the pure classifier.

classify_halt() implements the halt table of docs/boot-contract.md, row for row:

| observation                                                  | reason        |
|--------------------------------------------------------------|---------------|
| wall-clock timeout expired (QEMU is killed)                  | TIMEOUT       |
| QEMU exit status 67 (`PANIC:` line gives the message)        | PANIC         |
| QEMU exit status 69 (`IMAGE REJECTED:` line: the failed check) | IMAGE_REJECTED |
| QMP SHUTDOWN reason `guest-shutdown`                         | POWER_OFF     |
| QMP SHUTDOWN reason `guest-reset` + `Triple fault` in -D log | TRIPLE_FAULT  |
| QMP SHUTDOWN reason `guest-reset` otherwise                  | RESET         |
| QEMU exit status 0 with no SHUTDOWN event seen               | TRIPLE_FAULT  |

A halt the GET reports is classified by the host instead (harness/host.py, source "get"):
POWER_OFF -> POWER_OFF and TRIPLE_FAULT -> TRIPLE_FAULT end the VM at once; our
EXT_VTL0_HALTED (docs/get.md: VTL0 executed HLT with interrupts disabled and nothing
pending, so nothing will ever wake it) -> HALTED, and the VM ends as soon as someone
waits for the halt (Vm.wait_for_halt, `mezz run`), so that a test may still inspect a
VTL0 that stopped itself.

Anything else (QEMU exit status 1, death by a signal the host did not send, another
SHUTDOWN reason...) raises UnclassifiedHalt: a reason is never guessed.
"""

import enum
import re
from dataclasses import dataclass
from typing import Optional

from .errors import UnclassifiedHalt

# isa-debug-exit turns outl(0xf4, v) into exit status (v << 1) | 1; Mezzanine panics
# with v = 0x21.
PANIC_EXIT_STATUS = 67
# The boot shim refuses a bad IGVM image with v = 0x22 (docs/image.md).
IMAGE_REJECTED_EXIT_STATUS = 69

TRIPLE_FAULT_MARKER = "Triple fault"

_PANIC_LINE = re.compile(r"^PANIC: (.*)$", re.MULTILINE)
_REJECTED_LINE = re.compile(r"^IMAGE REJECTED: (.*)$", re.MULTILINE)


class HaltReason(enum.Enum):
    """How the machine ended. Values are the spellings used by mezz.halt= and mezz."""

    POWER_OFF = "power-off"
    RESET = "reset"
    TRIPLE_FAULT = "triple-fault"
    PANIC = "panic"
    TIMEOUT = "timeout"
    IMAGE_REJECTED = "image-rejected"   # the loader refused the IGVM image
    HALTED = "halted"          # VTL0 stopped itself: HLT with IF = 0, nothing pending (GET)


@dataclass(frozen=True)
class Halt:
    """One classified end of a run.

    reason:      the HaltReason.
    detail:      PANIC: the message of the last `PANIC:` console line;
                 TRIPLE_FAULT: the lines QEMU wrote after `Triple fault` in its -D log,
                 or a sentence saying there were none;
                 TIMEOUT: how long the run was allowed; otherwise "".
    exit_status: QEMU's exit status as subprocess reports it (negative = killed by that
                 signal; -9 for a timeout kill).
    source:      "qemu" (classified from how QEMU ended) or "get" (a GET POWER_OFF or
                 TRIPLE_FAULT host notification, after which the host ended QEMU).
    registers:   for a TRIPLE_FAULT from the GET, VTL0's registers as (name, value) pairs.
    """

    reason: HaltReason
    detail: str
    exit_status: Optional[int]
    source: str = "qemu"          # "get": VTL0's halt as the GET reported it
    registers: tuple = ()         # TRIPLE_FAULT over the GET: ((name, value), ...)

    def __str__(self) -> str:
        if self.detail:
            return f"{self.reason.value}: {self.detail}"
        return self.reason.value


def panic_message(console: str) -> str:
    """The message of the last `PANIC: ...` line on the console, or a note if none."""
    messages = _PANIC_LINE.findall(console)
    if messages:
        return messages[-1].rstrip()
    return "(exit status 67 but no 'PANIC:' line on the console)"


def rejection_message(console: str) -> str:
    """The check named by the last `IMAGE REJECTED: ...` console line, or a note."""
    messages = _REJECTED_LINE.findall(console)
    if messages:
        return messages[-1].rstrip()
    return "(exit status 69 but no 'IMAGE REJECTED:' line on the console)"


def triple_fault_detail(debug_log: str) -> str:
    """The lines after the last `Triple fault` line of qemu-debug.log.

    QEMU 7.2 with -no-reboot writes `Triple fault` and then shuts down without a CPU
    reset, so normally nothing follows; the returned text then says so.
    """
    lines = debug_log.splitlines()
    marks = [i for i, line in enumerate(lines) if TRIPLE_FAULT_MARKER in line]
    if not marks:
        return "QEMU exited with status 0 and no SHUTDOWN event (no 'Triple fault' in qemu-debug.log)"
    after = [line for line in lines[marks[-1] + 1:] if line.strip()]
    if after:
        return "\n".join(after)
    return "QEMU logged 'Triple fault' and no register dump after it"


def classify_halt(*, exit_status: Optional[int], shutdown_reason: Optional[str],
                  debug_log: str, console: str, timed_out: bool,
                  timeout_s: Optional[float] = None) -> Halt:
    """Classify one ended run per the boot-contract table (see module docstring).

    exit_status:     QEMU's exit status (None only together with timed_out).
    shutdown_reason: `data.reason` of the first QMP SHUTDOWN event, or None if none.
    debug_log:       text of RUN/qemu-debug.log ("" if missing).
    console:         console text (for the PANIC message).
    timed_out:       the host killed QEMU because the wall-clock timeout expired.

    Raises UnclassifiedHalt for any other combination.
    """
    if timed_out:
        limit = f"no halt within {timeout_s:g} s" if timeout_s is not None else "no halt in time"
        return Halt(HaltReason.TIMEOUT, limit + "; QEMU killed", exit_status)
    if exit_status == PANIC_EXIT_STATUS:
        return Halt(HaltReason.PANIC, panic_message(console), exit_status)
    if exit_status == IMAGE_REJECTED_EXIT_STATUS:
        return Halt(HaltReason.IMAGE_REJECTED, rejection_message(console), exit_status)
    if shutdown_reason == "guest-shutdown":
        return Halt(HaltReason.POWER_OFF, "", exit_status)
    if shutdown_reason == "guest-reset":
        if TRIPLE_FAULT_MARKER in debug_log:
            return Halt(HaltReason.TRIPLE_FAULT, triple_fault_detail(debug_log), exit_status)
        return Halt(HaltReason.RESET, "", exit_status)
    if exit_status == 0 and shutdown_reason is None:
        return Halt(HaltReason.TRIPLE_FAULT, triple_fault_detail(debug_log), exit_status)
    raise UnclassifiedHalt(
        f"QEMU ended with exit status {exit_status} and SHUTDOWN reason "
        f"{shutdown_reason!r}; the boot contract's halt table has no row for that")
