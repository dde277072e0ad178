"""The GED: the host end of the GET on COM2 (RUN/get.sock), byte-exact with
tests/harness/get_protocol.py and get/protocol.h.

What it does (SPEC section 3; docs/get.md):
- answers VERSION (any version request re-opens the channel, as a VMBus reopen would),
  TIME, DEVICE_PLATFORM_SETTINGS_V2 (one REV1 chunk, END; IsServicingScenario is true
  while a saved blob is held, as OpenVMM's GED), MAP/UNMAP_FRAMEBUFFER, and our EXT_ECHO
  (echoed at the frame level, unparsed and not transcribed, for benchmarks);
- keeps the authoritative slot table of RAM GPA ranges: CREATE answers SUCCESS,
  SLOT_OUT_OF_BOUNDS, SLOT_OCCUPIED, INVALID_FLAG, INVALID_GPA or FAILED; RESET empties
  a slot (an empty or unknown slot is fine, as Hyper-V never fails a reset);
- stores the servicing blob from SAVE chunks and returns it in RESTORE chunks;
- turns host notifications into events: POWER_OFF / TRIPLE_FAULT end the VM (the host
  is told through on_halt), RESET is a VTL0 reset (the VM goes on), EVENT_LOG,
  VTL_CRASH, START_VTL0_COMPLETED and RESTORE_COMPLETED are recorded;
- writes every message, both directions, to the transcript: {"event": "get", "dir":
  "rx"|"tx", "type": KIND, "id": ID, "name": NAME, "fields": {...}}; bad input becomes
  {"event": "get-error", ...};
- injects faults per message name: drop, delay, duplicate, corrupt (one byte of the
  frame flipped after the CRC), truncate (the message cut short, framed validly), refuse
  (a negative answer: VERSION not accepted, CREATE FAILED, SAVE/RESTORE FAILURE,
  framebuffer status 1, an empty DPS document; TIME and RESET, which have no status,
  get no answer);
- and on what it receives: the SAVE_GUEST_VTL2_STATE chunks (inject_received): drop (the
  chunk never arrived: a last chunk dropped gets no answer), corrupt (one byte of the
  chunk's data flipped before it is stored, as a ring with no CRC would pass it),
  duplicate (the chunk taken twice) or delay (taken late). The host cannot check a blob
  it does not understand: it stores what it got and answers SUCCESS when a last chunk is
  in; telling a garbled blob is the new instance's job (docs/servicing.md).
"""

import json
import random
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from . import get_protocol as gp
from .framed_peer import FramedPeer
from .framing import encode_frame

DEFAULT_SLOTS = 16
PAGE = 4096
# The longest the reader polls without sleeping after a SAVE request; a cycle takes a few
# milliseconds, and START_VTL0_COMPLETED (or a refused save) ends it sooner.
SERVICING_HOT_S = 2.0
FAULTS = ("drop", "delay", "duplicate", "corrupt", "truncate", "refuse")
RX_FAULTS = ("drop", "delay", "duplicate", "corrupt")


@dataclass
class Slot:
    gpa_start: int
    length: int
    gpa_offset: int
    rom: bool


@dataclass
class FaultRule:
    name: str          # message name the fault applies to (a response or guest notification)
    fault: str
    count: int = 1     # how many matching messages it affects
    delay: float = 0.0


class Ged(FramedPeer):
    """One GED on a connected GET socket. Thread-safe for the calls tests make."""

    RING_OFFER_HEADER = bytes([1, gp.HOST_REQUEST]) + gp.REQ_EXT_RING.to_bytes(2, "little")
    RING_ANSWER_HEADER = bytes([1, gp.HOST_RESPONSE]) + gp.REQ_EXT_RING.to_bytes(2, "little")

    def __init__(self, path: Path, deadline: float, alive: Callable[[], bool], *,
                 transcript=None, memory_bytes: int = 512 << 20,
                 on_halt: Optional[Callable[[str, str, Dict[str, int]], None]] = None,
                 on_reset: Optional[Callable[[], None]] = None,
                 slots: int = DEFAULT_SLOTS, memory: Optional[Callable[[], Any]] = None,
                 refuse_rings: bool = False):
        self.transcript = transcript
        self.memory_bytes = memory_bytes
        self.on_halt = on_halt
        self.on_reset = on_reset
        self.slot_count = slots
        self.slots: Dict[int, Slot] = {}
        self.dps: Dict[str, Any] = default_dps()
        self.saved_blob: Optional[bytes] = None
        self.fail_create_slots = set()          # slots whose CREATE answers FAILED
        self.create_rules: List[Dict[str, Any]] = []  # refusals / silences by request
        self.events: List[Dict[str, Any]] = []  # host notifications, decoded
        self.vtl0_started = threading.Event()
        self.version_negotiated = threading.Event()
        self.vtl0_resets = 0
        self._save_chunks: List[bytes] = []
        # Servicing (tests/harness/servicing.py): on_saved(blob) runs when the last SAVE
        # chunk is in, before the answer (VTL0 is stopped then), after_saved(blob) just
        # after the answer (waking whoever waits for the save there keeps that off the
        # old instance's wait); before_time() runs once on the next TIME request, before
        # the answer (the new instance asks just before VTL0 resumes when the SAVE
        # request's capabilities ask for that barrier).
        self.on_saved: Optional[Callable[[bytes], None]] = None
        self.after_saved: Optional[Callable[[bytes], None]] = None
        self.before_time: Optional[Callable[[], None]] = None
        self.saves = 0
        self.save_failures = 0
        self.on_save_failed: Optional[Callable[[], None]] = None
        # A host that loses the rings across servicing (a restarted GED): once the SAVE
        # answer is out, forget them; the new instance must find that out and offer again.
        self.forget_rings_after_save = False
        self._armed_before_time: Optional[Callable[[], None]] = None
        self._rules: List[FaultRule] = []
        self._rx_rules: List[FaultRule] = []
        self.rx_faults: List[Dict[str, Any]] = []   # faults applied to received chunks
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._connect(path, deadline, alive, "ged", memory, refuse_rings)

    # ----------------------------------------------------------------- control

    def inject(self, name: str, fault: str, count: int = 1, delay: float = 1.0) -> None:
        """Apply `fault` to the next `count` messages the GED sends named `name`
        (e.g. "TIME", "DEVICE_PLATFORM_SETTINGS_V2_REV1", "VERSION", "CREATE_RAM_GPA_RANGE")."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
        if name == "DEVICE_PLATFORM_SETTINGS_V2":
            name = "DEVICE_PLATFORM_SETTINGS_V2_REV1"   # the GED answers with REV1 chunks
        with self._lock:
            self._rules.append(FaultRule(name, fault, count, delay))

    def inject_received(self, name: str, fault: str, count: int = 1, delay: float = 1.0) -> None:
        """Apply `fault` to the next `count` messages named `name` the GED receives (today
        the SAVE_GUEST_VTL2_STATE chunks): drop, delay, duplicate or corrupt."""
        if fault not in RX_FAULTS:
            raise ValueError(f"unknown fault {fault!r}; one of {RX_FAULTS}")
        if name != "SAVE_GUEST_VTL2_STATE":
            raise ValueError("faults on received messages apply to SAVE_GUEST_VTL2_STATE")
        with self._lock:
            self._rx_rules.append(FaultRule(name, fault, count, delay))

    def refuse_create(self, status: Optional[int], slot: Optional[int] = None,
                      length: Optional[int] = None, count: int = 1,
                      offset: Optional[int] = None) -> None:
        """Answer the next `count` CREATE_RAM_GPA_RANGE requests that match (slot, length
        and gpa_offset, where given) with `status` instead of checking them; status None
        means no answer at all (Mezzanine's request times out). Matching on the request,
        not on its position, lets a test arm this while the VM boots."""
        with self._lock:
            self.create_rules.append({"status": status, "slot": slot, "length": length,
                                      "offset": offset, "count": count})

    def _create_rule(self, f: Dict[str, int]) -> Optional[Dict[str, Any]]:
        with self._lock:
            for rule in self.create_rules:
                if (rule["slot"] is None or rule["slot"] == f["slot"]) and \
                        (rule["length"] is None or rule["length"] == f["gpa_count"]) and \
                        (rule.get("offset") is None or rule["offset"] == f["gpa_offset"]):
                    rule["count"] -= 1
                    if rule["count"] == 0:
                        self.create_rules.remove(rule)
                    return rule
        return None

    def clear_faults(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rx_rules.clear()

    def send_guest_notification(self, name: str, **fields: Any) -> None:
        if name == "SAVE_GUEST_VTL2_STATE":
            # VTL0 stops until the new instance starts it: answer without sleeping in
            # between (the SAVE chunks, VERSION, DPS, RESTORE), at most SERVICING_HOT_S.
            self.poll_hot(SERVICING_HOT_S)
        self._send("guest_notification", name, **fields)

    def send_garbage(self, frames: int, seed: int = 1) -> None:
        """`frames` pieces of garbage: raw random bytes, frames with a bad CRC, and
        well-framed random payloads (some with a plausible GET header)."""
        rng = random.Random(seed)
        chunk = bytearray()
        for i in range(frames):
            kind = i % 3
            payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 48)))
            if kind == 0:
                chunk += payload
            elif kind == 1:
                frame = bytearray(encode_frame(payload))
                frame[4] ^= 0xFF
                chunk += frame
            else:
                if rng.random() < 0.5:
                    payload = bytes([1, rng.randint(0, 5)]) + payload
                chunk += encode_frame(payload)
            if len(chunk) > 8192:
                self.send_raw(bytes(chunk))
                chunk.clear()
        if chunk:
            self.send_raw(bytes(chunk))

    def wait_for_event(self, name: str, timeout: float, after: int = 0) -> Optional[Dict[str, Any]]:
        """Wait for a host notification named name, beyond the first `after` events."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events[after:]:
                    if event["name"] == name:
                        return event
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def view_of(self, gpa: int) -> Optional[Slot]:
        """What the slot table says VTL0 sees at gpa: the Slot covering it (VTL0 reads
        RAM at gpa_offset + (gpa - gpa_start), and writes land there unless it is ROM), or
        None where no slot does (the catch-all RAM, or whatever Mezzanine maps itself).
        Tests hold VTL0's reads and writes against this through shared guest memory."""
        with self._lock:
            for s in self.slots.values():
                if s.gpa_start <= gpa < s.gpa_start + s.length:
                    return Slot(s.gpa_start, s.length, s.gpa_offset, s.rom)
        return None

    def slot_table(self) -> Dict[int, Dict[str, Any]]:
        with self._lock:
            return {n: {"gpa_start": s.gpa_start, "length": s.length,
                        "gpa_offset": s.gpa_offset, "rom": s.rom}
                    for n, s in sorted(self.slots.items())}

    # ----------------------------------------------------------------- receive

    def _ring_event(self, event: str, **fields: Any) -> None:
        self._record(event, **fields)

    def _record(self, event: str, **fields: Any) -> None:
        if self.transcript is not None:
            self.transcript.record(event, **fields)

    def _record_get(self, direction: str, d: gp.MsgDef, fields: Dict[str, Any], tail: bytes,
                    fault: Optional[str]) -> None:
        """One GET message in the transcript, described when someone reads it."""
        if self.transcript is not None:
            self.transcript.record_lazy("get", _get_entry, direction, d, fields, tail, fault)

    def _payload(self, payload: bytes) -> None:
        if len(payload) >= 4 and payload[1] == gp.HOST_REQUEST and \
                int.from_bytes(payload[2:4], "little") == gp.REQ_EXT_ECHO:
            self.send_frame(bytes([payload[0], gp.HOST_RESPONSE]) + payload[2:])
            return
        try:
            msg = gp.decode(payload)
        except gp.ProtocolError as error:
            self._record("get-error", dir="rx", error=str(error), kind=error.kind,
                         bytes=payload[:64].hex())
            return
        self._record_get("rx", msg.d, msg.fields, msg.tail, None)
        if msg.kind == "request":
            self._request(msg)
        elif msg.kind == "host_notification":
            self._notification(msg)
        else:
            self._record("get-error", dir="rx", error=f"host-bound message of kind {msg.kind}",
                         kind="type", bytes=payload[:64].hex())

    def _request(self, msg: gp.Message) -> None:
        name, f = msg.name, msg.fields
        if name == "VERSION":
            with self._lock:
                self._save_chunks = []
            accepted = 1 if f["version"] == gp.VERSION_NICKEL_REV2 else 0
            self._send("response", "VERSION", version_accepted=accepted)
            if accepted:
                self.version_negotiated.set()
        elif name == "TIME":
            hook = None
            if self._armed_before_time is not None:     # looked at unlocked, taken locked
                with self._lock:
                    hook, self._armed_before_time = self._armed_before_time, None
            if hook is not None:
                hook()
            utc = int((time.time() + 11644473600) * 10_000_000)
            self._send("response", "TIME", vm_reference_time=time.monotonic_ns() // 100,
                       utc=utc, time_zone=0, daylight_savings=0)
        elif name == "DEVICE_PLATFORM_SETTINGS_V2":
            self._arm_before_time()      # a new instance asks, whether or not it hears back
            doc = json.dumps(self._dps_document(), separators=(",", ":")).encode()
            self._send("response", "DEVICE_PLATFORM_SETTINGS_V2_REV1", tail=doc,
                       size=len(doc), payload_state=gp.DPS_PAYLOAD_END)
        elif name == "CREATE_RAM_GPA_RANGE":
            rule = self._create_rule(f)
            if rule is not None:
                self._record("fault", name=name, fault="refuse" if rule["status"] is not None
                             else "silence", status=rule["status"])
                if rule["status"] is not None:
                    self._send("response", "CREATE_RAM_GPA_RANGE", status=rule["status"])
                return
            status = self._create(f)
            self._send("response", "CREATE_RAM_GPA_RANGE", status=status)
        elif name == "RESET_RAM_GPA_RANGE":
            with self._lock:
                self.slots.pop(f["slot"], None)
            self._send("response", "RESET_RAM_GPA_RANGE")
        elif name == "SAVE_GUEST_VTL2_STATE":
            self._save_received(f["save_status"], msg.tail)
        elif name == "RESTORE_GUEST_VTL2_STATE":
            self._restore()
        elif name in ("MAP_FRAMEBUFFER", "UNMAP_FRAMEBUFFER"):
            self._send("response", name, status=0)
        else:
            self._record("get-error", dir="rx", error=f"request {name} not served", kind="id")

    def _create(self, f: Dict[str, int]) -> int:
        slot, start, length = f["slot"], f["gpa_start"], f["gpa_count"]
        offset, flags = f["gpa_offset"], f["flags"]
        with self._lock:
            if slot >= self.slot_count:
                return gp.GPA_SLOT_OUT_OF_BOUNDS
            if slot in self.slots:
                return gp.GPA_SLOT_OCCUPIED
            if flags & ~gp.GPA_FLAG_ROM_MB:
                return gp.GPA_INVALID_FLAG
            aligned = all(v % PAGE == 0 for v in (start, length, offset))
            if not aligned or length == 0 or offset + length > self.memory_bytes or \
                    start + length > 1 << 52:
                return gp.GPA_INVALID_GPA
            for other in self.slots.values():
                if start < other.gpa_start + other.length and other.gpa_start < start + length:
                    return gp.GPA_INVALID_GPA
            if slot in self.fail_create_slots:
                return gp.GPA_FAILED
            self.slots[slot] = Slot(start, length, offset, bool(flags & gp.GPA_FLAG_ROM_MB))
            return gp.GPA_SUCCESS

    def _save(self, status: int, chunk: bytes) -> None:
        with self._lock:
            if status == gp.SAVE_RESTORE_FAILURE:
                self._save_chunks = []
                self._record("get-event", what="save-failed")
                self.save_failures += 1
                self.poll_hot(0)
                # The guest gave servicing up: no later instance may restore this blob.
                self.saved_blob = None
                self._cond.notify_all()
                hook = self.on_save_failed
            else:
                hook = None
        if status == gp.SAVE_RESTORE_FAILURE:
            if hook is not None:
                hook()
            return
        with self._lock:
            self._save_chunks.append(chunk)
            if status == gp.SAVE_RESTORE_MORE_DATA:
                return
            self.saved_blob = b"".join(self._save_chunks)
            self._save_chunks = []
            self.saves += 1
            hook, after, blob = self.on_saved, self.after_saved, self.saved_blob
        if hook is not None:
            hook(blob)
        self._send("response", "SAVE_GUEST_VTL2_STATE", save_status=gp.SAVE_RESTORE_SUCCESS)
        with self._lock:
            self._cond.notify_all()
        if after is not None:
            after(blob)
        if self.forget_rings_after_save:
            self.forget_rings_after_save = False
            self.rings = None
            self._ring_event(event="ring-forgotten")

    def _save_received(self, status: int, chunk: bytes) -> None:
        with self._lock:
            rule = None
            for r in self._rx_rules:
                if r.count > 0 and status != gp.SAVE_RESTORE_FAILURE:
                    r.count -= 1
                    if r.count == 0:
                        self._rx_rules.remove(r)
                    rule = r
                    break
        if rule is None:
            self._save(status, chunk)
            return
        fault = {"name": "SAVE_GUEST_VTL2_STATE", "fault": rule.fault, "len": len(chunk),
                 "last": status == gp.SAVE_RESTORE_SUCCESS}
        if rule.fault == "corrupt" and chunk:
            at = len(chunk) // 2
            chunk = chunk[:at] + bytes([chunk[at] ^ 0x40]) + chunk[at + 1:]
            fault["offset"] = at
        with self._lock:
            self.rx_faults.append(fault)
        self._record("fault", dir="rx", **fault)
        if rule.fault == "drop":
            return
        if rule.fault == "delay":
            time.sleep(rule.delay)
        for _ in range(2 if rule.fault == "duplicate" else 1):
            self._save(status, chunk)

    def _arm_before_time(self) -> None:
        """The TIME barrier goes to the instance that resumes VTL0: armed when a new
        instance asks for DPS or RESTORE while a blob is held, or says its restore failed
        (then the instance it rolls back to asks)."""
        with self._lock:
            if self.saved_blob is not None and self.before_time is not None:
                self._armed_before_time, self.before_time = self.before_time, None

    def _restore(self) -> None:
        self._arm_before_time()
        with self._lock:
            blob, self.saved_blob = self.saved_blob, None
        if blob is None:
            self._send("response", "RESTORE_GUEST_VTL2_STATE", data_length=0,
                       restore_status=gp.SAVE_RESTORE_FAILURE)
            return
        view = memoryview(blob)     # chunks without copying the blob piece by piece
        offset = 0
        with self.doorbell_burst():
            while True:
                chunk = view[offset:offset + gp.MAX_PAYLOAD_SIZE]
                offset += len(chunk)
                last = offset >= len(blob)
                status = gp.SAVE_RESTORE_SUCCESS if last else gp.SAVE_RESTORE_MORE_DATA
                self._send("response", "RESTORE_GUEST_VTL2_STATE", tail=chunk,
                           data_length=len(chunk), restore_status=status)
                if last:
                    return

    def _dps_document(self) -> Dict[str, Any]:
        # Copies along the one path it changes (self.dps stays as the tests set it); a
        # deep copy through JSON was most of the GED's DPS answer, which a servicing
        # boot waits for with VTL0 stopped.
        v2 = self.dps["V2"]
        dynamic = {**v2["Dynamic"], "IsServicingScenario": self.saved_blob is not None}
        return {**self.dps, "V2": {**v2, "Dynamic": dynamic}}

    def _notification(self, msg: gp.Message) -> None:
        event = {"name": msg.name, **msg.describe()}
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()
        if msg.name == "START_VTL0_COMPLETED":
            self.poll_hot(0)
            self.vtl0_started.set()
        elif msg.name == "RESTORE_GUEST_VTL2_STATE_COMPLETED" and msg.fields.get("status"):
            # A failed restore: the instance that rolls back resumes VTL0 next.
            with self._lock:
                if self.before_time is not None:
                    self._armed_before_time, self.before_time = self.before_time, None
        elif msg.name == "RESET":
            self.vtl0_resets += 1
            if self.on_reset:
                self.on_reset()
        elif msg.name == "POWER_OFF" and self.on_halt:
            self.on_halt("power-off", "hibernate" if msg.fields["hibernate"] else "", {})
        elif msg.name == "EXT_VTL0_HALTED" and self.on_halt:
            why = ("HLT with interrupts disabled, nothing pending"
                   if msg.fields["reason"] == gp.VTL0_HALTED_HLT_IF_CLEAR
                   else f"reason {msg.fields['reason']}")
            self.on_halt("halted", f"{why} at rip {msg.fields['rip']:#x}", {})
        elif msg.name == "TRIPLE_FAULT" and self.on_halt:
            regs = gp.parse_registers(msg.tail)
            detail = " ".join(f"{k}={v:#x}" for k, v in regs.items() if k in
                              ("rip", "rsp", "rax", "cr0", "cr3", "rflags"))
            self.on_halt("triple-fault", f"vp {msg.fields['vp_index']}: {detail}", regs)

    # ----------------------------------------------------------------- send

    def _take_rule(self, name: str) -> Optional[FaultRule]:
        with self._lock:
            for rule in self._rules:
                if rule.name == name and rule.count > 0:
                    rule.count -= 1
                    if rule.count == 0:
                        self._rules.remove(rule)
                    return rule
        return None

    def _send(self, kind: str, name: str, tail: bytes = b"", **fields: Any) -> None:
        rule = self._take_rule(name) if self._rules else None
        fault = rule.fault if rule else None
        if fault == "refuse":
            refused = _refusal(kind, name, fields, tail)
            if refused is None:
                fault = "drop"
            else:
                fields, tail = refused
        d = gp.BY_NAME[(kind, name)]
        message = gp.encode_def(d, tail, fields)
        if fault == "truncate":
            message = message[:max(4, len(message) - 2)] if len(message) > 4 else message[:3]
        on_rings = self.rings is not None
        # The frame (and its CRC, slow in Python) only for the UART.
        frame = bytearray(encode_frame(message)) if not on_rings else None
        if fault == "corrupt" and not on_rings:
            frame[8 + len(message) // 2] ^= 0x40
        elif fault == "corrupt":
            # A ring has no CRC (nor has VMBus): a flip in a JSON document or a blob would
            # go unnoticed, so on a ring the flip lands where the client must notice it,
            # the header's version byte (counted as err_version).
            message = bytes([message[0] ^ 0x40]) + message[1:]
        self._record_get("tx", d, fields, tail, fault)
        if fault == "drop":
            return
        if fault == "delay":
            time.sleep(rule.delay)
        if on_rings:
            for _ in range(2 if fault == "duplicate" else 1):
                self.send_frame(message)
            return
        self.send_raw(bytes(frame) * (2 if fault == "duplicate" else 1))


def _get_entry(direction: str, d: gp.MsgDef, fields: Dict[str, Any], tail: bytes,
               fault: Optional[str]) -> Dict[str, Any]:
    """A GET message's transcript entry: {"dir", "type", "id", "name", "fields"[, "fault"]}."""
    entry = dict(dir=direction, type=d.kind, id=d.id, name=d.name,
                 fields=gp.describe(d, fields, tail))
    if fault:
        entry["fault"] = fault
    return entry


def _refusal(kind: str, name: str, fields: Dict[str, Any], tail: bytes):
    """The negative answer for a message, or None if it has no way to say no."""
    if name == "VERSION":
        return dict(fields, version_accepted=0), tail
    if name == "CREATE_RAM_GPA_RANGE":
        return dict(fields, status=gp.GPA_FAILED), tail
    if name == "SAVE_GUEST_VTL2_STATE":
        return dict(fields, save_status=gp.SAVE_RESTORE_FAILURE), tail
    if name == "RESTORE_GUEST_VTL2_STATE":
        return dict(fields, data_length=0, restore_status=gp.SAVE_RESTORE_FAILURE), b""
    if name in ("MAP_FRAMEBUFFER", "UNMAP_FRAMEBUFFER"):
        return dict(fields, status=1), tail
    if name.startswith("DEVICE_PLATFORM_SETTINGS"):
        return dict(fields, size=0), b""
    return None


def default_dps() -> Dict[str, Any]:
    """The DPS document the GED serves (PascalCase, as OpenVMM's dps_json)."""
    return {
        "V1": {"SecureBootEnabled": False, "EnableTpm": False},
        "V2": {
            "Static": {"LegacyMemoryMap": True, "FirmwareModeIsPcat": True,
                       "PauseAfterBootFailure": False, "WatchdogEnabled": False},
            "Dynamic": {"GenerationIdLow": 0x0123456789ABCDEF,
                        "GenerationIdHigh": 0xFEDCBA9876543210,
                        "IsServicingScenario": False},
        },
    }
