"""The host's side of live servicing (SPEC section 9, docs/servicing.md), petri's shape.

save_paravisor(new_image, flags): validate the new IGVM with our own reader
(tests/harness/igvm.py), stage it in the VTL2 staging area through the shared guest-RAM
file (a 16-byte header {magic "SSTG", version 1, image length} and the file at +4 KiB,
kernel/servicing/persisted.h), send SAVE_GUEST_VTL2_STATE as OpenVMM's GED does
(correlation id 0, timeout hint 60 s) and wait for the blob. While VTL0 is stopped the
host hashes all of VTL0's RAM and the VRAM twice: when the blob is complete, and when
the new instance asks the TIME just before it resumes VTL0 (the barrier capability).
restore_paravisor(): the old instance entered the new image itself; wait for its
RESTORE_COMPLETED and START_VTL0_COMPLETED.
"""

import hashlib
import struct
import threading
import time
from pathlib import Path
from typing import Any, Dict, Optional, Union

from . import igvm
from .errors import HarnessError

STAGING_MAGIC = 0x47545353
STAGING_IMAGE_OFF = 0x1000
CAP_HOST_BARRIER = 1 << 32          # kernel/servicing/persisted.h SERVICING_CAP_HOST_BARRIER
TIMEOUT_HINT_S = 60
_FOUR_GIB = 4 << 30


class ServicingError(HarnessError):
    pass


def _hex(v: Union[int, str]) -> int:
    return v if isinstance(v, int) else int(v, 16)


def check_image(image: bytes) -> igvm.Image:
    """Our reader's verdict on a new image: raises ServicingError if it is refused."""
    try:
        parsed = igvm.read_image(image)
    except igvm.IgvmError as error:
        raise ServicingError(f"new image refused by the host: {error}") from error
    if parsed.computed_digest and parsed.digest != parsed.computed_digest:
        raise ServicingError("new image refused by the host: digest mismatch")
    return parsed


def stage_image(memory, staging_base: int, staging_size: int, image: bytes) -> None:
    if len(image) > staging_size - STAGING_IMAGE_OFF:
        raise ServicingError(f"image of {len(image)} bytes does not fit the staging area")
    memory.write(staging_base + STAGING_IMAGE_OFF, image)
    memory.write(staging_base, struct.pack("<IIQ", STAGING_MAGIC, 1, len(image)))


def hash_vtl0(memory, layout: Dict[str, Any]) -> str:
    """SHA-256 over VTL0's RAM (below the VTL2 region, and above 4 GiB) and the VRAM."""
    h = hashlib.sha256()
    vtl2_base = _hex(layout["base"])
    step = 16 << 20
    for gpa in range(0, vtl2_base, step):
        h.update(memory.read(gpa, min(step, vtl2_base - gpa)))
    above = memory.size - min(memory.size, vtl2_base + _hex(layout["size"]))
    if memory.size > 0xE000_0000:
        above = memory.size - 0xC000_0000
        for gpa in range(_FOUR_GIB, _FOUR_GIB + above, step):
            h.update(memory.read(gpa, min(step, _FOUR_GIB + above - gpa)))
    vram = layout["vram"]
    h.update(memory.read(_hex(vram["base"]), _hex(vram["size"])))
    return h.hexdigest()


def _requests_in(events) -> list:
    names = []
    for e in events:
        if e.get("event") == "get" and e.get("dir") == "rx":
            if e.get("name") == "RESTORE_GUEST_VTL2_STATE_COMPLETED":
                break
            names.append(e.get("name"))
    return names


class HostView:
    """What Servicing needs of a Vm, from a bare Host (tools/mezz run's)."""

    def __init__(self, host):
        self.host = host
        self.config = host.config

    @property
    def memory(self):
        return self.host.memory

    @property
    def ged(self):
        return self.host.get

    def inspect(self, path: str):
        return self.host.diag.inspect(path)


class Servicing:
    """One VM's servicing cycles (used by harness.vm.Vm)."""

    def __init__(self, vm):
        self.vm = vm
        self.pending: Optional[Dict[str, Any]] = None
        self.cycles = []

    def save(self, new_image: Optional[Union[str, Path]] = None, flags: int = 0,
             timeout: float = 30.0, host_check: bool = True,
             verify: bool = True, timeout_hint_secs: int = TIMEOUT_HINT_S,
             answer_fault: Optional[tuple] = None,
             garble_blob: Union[bool, str] = False,
             hand_back: Optional[bytes] = None,
             chunk_fault: Optional[tuple] = None) -> Dict[str, Any]:
        """host_check=False stages the image without our reader's verdict, so tests can
        show Mezzanine's own refusal (the rollback before any blackout). verify=False
        skips both hashes and the barrier (they dominate the blackout; benchmarks).
        hand_back: the host gives the new instance these bytes instead of the blob it
        received (a golden blob, tests/vectors/servicing). garble_blob: the host hands back
        half the blob (True or "half") or the blob with bytes flipped ("flip").
        chunk_fault: (fault, delay) on the next SAVE chunk the host receives (ged.RX_FAULTS)."""
        if self.pending is not None:
            raise ServicingError("save_paravisor called twice without restore_paravisor")
        path = Path(new_image) if new_image else Path(self.vm.config.kernel)
        image = path.read_bytes()
        parsed = check_image(image) if host_check else None
        layout = self.vm.inspect("memory/vtl2")
        memory = self.vm.memory
        stage_image(memory, _hex(layout["staging"]["base"]), _hex(layout["staging"]["size"]),
                    image)
        cycle: Dict[str, Any] = {"image": str(path),
                                 "version": parsed.version if parsed else None,
                                 "build_id": parsed.build_id if parsed else None}
        ged = self.vm.ged
        done = threading.Event()

        def on_saved(blob: bytes) -> None:
            cycle["saved_at"] = time.monotonic()
            cycle["blob_len"] = len(blob)
            cycle["blob"] = blob
            if verify:
                cycle["hash_stopped"] = hash_vtl0(memory, layout)
            if hand_back is not None:
                with ged._lock:
                    ged.saved_blob = bytes(hand_back)
            if garble_blob:
                # A host that hands the new instance back a garbled blob: half of it, or
                # three bytes flipped (in the middle, where the units' values are).
                with ged._lock:
                    if garble_blob == "flip":
                        garbled = bytearray(blob)
                        for at in (len(blob) // 3, len(blob) // 2, 2 * len(blob) // 3):
                            garbled[at] ^= 0x01
                        ged.saved_blob = bytes(garbled)
                    else:
                        ged.saved_blob = blob[:len(blob) // 2]
            if answer_fault is not None:
                # (fault, delay) on the GED's answer to the chunks (ged.FAULTS), armed now
                # so it does not hit the SAVE notification of the same name.
                ged.inject("SAVE_GUEST_VTL2_STATE", answer_fault[0], delay=answer_fault[1])
            ged.on_saved = None

        def after_saved(blob: bytes) -> None:
            ged.after_saved = None
            done.set()

        def before_time() -> None:
            cycle["hash_resuming"] = hash_vtl0(memory, layout)

        cycle["events_before"] = len(ged.events)
        cycle["save_failures_before"] = ged.save_failures
        cycle["transcript_mark"] = len(self.vm.host.transcript.events)
        def on_save_failed() -> None:
            cycle["refused"] = True
            done.set()

        ged.on_saved = on_saved
        ged.after_saved = after_saved
        ged.on_save_failed = on_save_failed
        cycle["rx_faults_before"] = len(ged.rx_faults)
        if chunk_fault is not None:
            ged.inject_received("SAVE_GUEST_VTL2_STATE", chunk_fault[0], delay=chunk_fault[1])
        ged.before_time = before_time if verify else None
        cycle["sent_at"] = time.monotonic()
        ged.send_guest_notification("SAVE_GUEST_VTL2_STATE", correlation_id=bytes(16),
                                    capabilities_flags=flags | (CAP_HOST_BARRIER if verify else 0),
                                    timeout_hint_secs=timeout_hint_secs)
        if not done.wait(timeout):
            ged.on_saved = None
            ged.after_saved = None
            ged.before_time = None
            raise ServicingError(f"no saved state within {timeout} s")
        ged.on_save_failed = None
        cycle["rx_faults"] = ged.rx_faults[cycle["rx_faults_before"]:]
        if cycle.get("refused"):
            ged.before_time = None
            self.last_failed = cycle
            cycle["reason"] = self._why()
            raise ServicingError(f"the paravisor refused servicing: {self._why()}")
        self.pending = cycle
        return cycle

    def restore(self, timeout: float = 30.0) -> Dict[str, Any]:
        cycle, self.pending = self.pending, None
        if cycle is None:
            raise ServicingError("restore_paravisor needs a save_paravisor first")
        ged = self.vm.ged
        after = cycle["events_before"]
        deadline = time.monotonic() + timeout
        done = None
        while done is None and time.monotonic() < deadline:
            done = ged.wait_for_event("RESTORE_GUEST_VTL2_STATE_COMPLETED", 0.05, after)
            if done is None and ged.save_failures > cycle["save_failures_before"]:
                ged.before_time = None
                cycle["reason"] = self._why()
                self.last_failed = cycle
                raise ServicingError("the old instance gave servicing up (SAVE FAILURE) and runs "
                                     "VTL0: " + self._why())
        if done is None:
            raise ServicingError("no RESTORE_COMPLETED from the new instance")
        cycle["restore_completed"] = done
        if not done.get("status", 1) == 0:
            with ged._lock:
                ged.saved_blob = None      # no later boot may see a servicing scenario
            # Either the old instance resumed VTL0 (the handoff failed), or the new one
            # rolls back to the previous image, which restores and says so.
            failed_at = next((i + 1 for i in range(after, len(ged.events))
                              if ged.events[i] is done), after)
            again = ged.wait_for_event("RESTORE_GUEST_VTL2_STATE_COMPLETED", timeout, failed_at)
            vtl0 = ged.wait_for_event("START_VTL0_COMPLETED", timeout, failed_at)
            cycle["rolled_back"] = again is not None and again.get("status") == 0
            if vtl0 is None:
                raise ServicingError("restore failed and VTL0 did not come back")
            cycle["cycle_s"] = time.monotonic() - cycle["sent_at"]
            # The host's record of why: the instance that runs VTL0 now says.
            cycle["reason"] = self._why()
            if cycle["rolled_back"]:
                try:
                    cycle["rollback_reason"] = self.vm.inspect("servicing/rollback_reason")
                except HarnessError:
                    cycle["rollback_reason"] = None
            self.cycles.append(cycle)
            self.last_failed = cycle
            raise ServicingError("restore failed in the new image; "
                                 + ("rolled back to the previous image" if cycle["rolled_back"]
                                    else "the old instance runs VTL0"))
        if ged.wait_for_event("START_VTL0_COMPLETED", timeout, after) is None:
            raise ServicingError("no START_VTL0_COMPLETED from the new instance")
        cycle["cycle_s"] = time.monotonic() - cycle["sent_at"]
        cycle["restore_requests"] = self._requests_until_restored(cycle["transcript_mark"])
        self.cycles.append(cycle)
        return cycle

    def _why(self) -> str:
        """Mezzanine's reason for refusing, from inspect (none without VTL0)."""
        try:
            return str(self.vm.inspect("servicing/last_service_error"))
        except HarnessError:
            return "no servicing here (VTL0 does not run)"

    def _requests_until_restored(self, mark: int) -> list:
        """What Mezzanine sent the host from the SAVE request until the new instance's
        RESTORE_COMPLETED: the SAVE chunks, then the new instance's VERSION, DPS, RESTORE
        (and nothing else: no CREATE/RESET/MAP/UNMAP during a restore)."""
        return _requests_in(self.vm.host.transcript.events[mark:])
