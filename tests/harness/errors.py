"""Exceptions raised by the Mezzanine host harness.

Every error a test can see derives from HarnessError, so a test that wants "anything the
harness complains about" can catch one class.
"""


class HarnessError(Exception):
    """Base class of every harness error."""


class StartError(HarnessError):
    """QEMU could not be started, or its channels could not be connected.

    Nothing is left behind when this is raised: QEMU is killed and the run directory is
    removed before the exception propagates.
    """


class LogTimeout(HarnessError, TimeoutError):
    """wait_for_log() did not see its pattern in time; the VM is still running."""


class VmHalted(HarnessError):
    """The VM halted (or was stopped) while a caller was waiting for something else."""


class UnclassifiedHalt(HarnessError):
    """QEMU ended in a way the boot contract's halt table does not cover.

    Raised instead of guessing a HaltReason: an unknown ending is never reported as
    success, nor silently mapped to the nearest reason.
    """


class GuestMemoryError(HarnessError, ValueError):
    """A guest-physical access outside guest RAM, or on a closed GuestMemory."""
