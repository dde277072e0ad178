"""The host end of a framed UART (framing.py) on one of QEMU's unix sockets: the GET
(ged.py) and the diag channel (diag.py) are both one.

A reader thread owns the socket's input: it counts the bytes, splits them into frames
and hands each payload to the subclass's _payload(), on that thread.

Rings (ring.py; docs/get.md, "Rings"): Mezzanine offers a pair of shared-memory rings
over the UART at start-up (a frame beginning with the subclass's RING_OFFER_HEADER).
The peer accepts when it can map them (and refuse_rings is false): from then on
send_frame() writes to the host->guest ring and rings the doorbell (one byte on the
UART), and every byte from Mezzanine is a doorbell that makes the reader drain the
guest->host ring (it also looks every POLL_S). Frames on the UART are still parsed, so a
restarted Mezzanine can offer again.

poll_hot(seconds): for a while the reader does not sleep between looks at the ring, and
the peer rings no doorbell after its packets (a servicing cycle, ged.py: VTL0 is stopped
and Mezzanine waits on its ring for each answer, so a doorbell tells it nothing, while
the socket write cost the host's thread tens of microseconds per answer and woke QEMU's
I/O thread beside the running instance; docs/servicing.md "Timings").
"""

import contextlib
import os
import select
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from . import ring as ringmod
from .framing import FrameParser, encode_frame
from .qmp import connect_unix

POLL_S = 0.05


class FramedPeer:
    """Subclasses set up their own state, then call _connect() last (the reader thread
    may call _payload() at once), and implement _payload()."""

    RING_OFFER_HEADER = b""     # the channel's 4-byte header of a ring offer
    RING_ANSWER_HEADER = b""

    def _connect(self, path: Path, deadline: float, alive: Callable[[], bool],
                 thread_name: str, memory: Optional[Callable[[], object]] = None,
                 refuse_rings: bool = False) -> None:
        self.bytes_received = 0
        self.refuse_rings = refuse_rings
        self.rings: Optional[ringmod.RingPair] = None
        self.ring_offers = 0
        self._hot_until = 0.0
        self.ring_errors = []
        self.doorbells_skipped = 0
        self._burst_sent = -1           # packets sent in a doorbell_burst(), -1 outside
        self._memory = memory
        self._alive = alive
        self._parser = FrameParser()
        self._send_lock = threading.Lock()
        self._sock = connect_unix(path, deadline, alive)
        # poll_hot() wakes the reader through this pipe: it may be asleep in select().
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        self._thread = threading.Thread(target=self._read_loop, name=thread_name, daemon=True)
        self._thread.start()

    def _payload(self, payload: bytes) -> None:
        raise NotImplementedError

    def _ring_event(self, **fields) -> None:
        """Offers, answers and ring errors: the GED puts them in its transcript."""

    def send_frame(self, payload: bytes) -> None:
        rings = self.rings
        if rings is not None:
            waited = rings.put(payload, self._alive)
            if (self._burst_sent <= 0 or waited) and not self._hot():
                self._ring_doorbell()
            if self._burst_sent >= 0:
                self._burst_sent += 1
        else:
            self.send_raw(encode_frame(payload))

    @contextlib.contextmanager
    def doorbell_burst(self):
        """Packets sent inside ring one doorbell for the first, one when the ring was full,
        and one at the end, instead of one each (a RESTORE's 512 chunks): Mezzanine polls
        its ring while it waits for the rest of an answer, and looks at it on every poll
        anyway, so the doorbells in between would tell it nothing (docs/get.md)."""
        self._burst_sent = 0
        try:
            yield
        finally:
            sent, self._burst_sent = self._burst_sent, -1
            if sent > 1 and self.rings is not None:
                self._ring_doorbell()

    def _ring_doorbell(self) -> None:
        """One byte, never waiting: Mezzanine drains doorbells only when its ring has a
        packet, so QEMU's UART FIFO and then the socket may be full; a skipped doorbell
        costs nothing, Mezzanine looks at its ring on every poll anyway. (A blocking
        send here once stalled the reader thread, and with it the whole channel.)"""
        with self._send_lock:
            try:
                self._sock.send(ringmod.DOORBELL, socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                self.doorbells_skipped += 1

    def send_raw(self, data: bytes) -> None:
        """Bytes straight onto the line (no framing), in one piece."""
        with self._send_lock:
            self._sock.sendall(data)

    def inject_ring(self, fault: str, count: int = 1) -> None:
        """The next `count` packets this peer writes to the host->guest ring carry `fault`
        (ring.RING_FAULTS)."""
        if fault not in ringmod.RING_FAULTS:
            raise ValueError(f"unknown ring fault {fault!r}; one of {ringmod.RING_FAULTS}")
        if self.rings is None:
            raise ringmod.RingError("the channel does not use rings")
        self.rings.faults.extend([fault] * count)

    def stall_consumer(self, seconds: float) -> None:
        """Stop reading the guest->host ring for `seconds` (Mezzanine's back-pressure)."""
        if self.rings is None:
            raise ringmod.RingError("the channel does not use rings")
        self.rings.consumer_stopped_until = time.monotonic() + seconds

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(2.0)
        self._sock.close()
        if not self._thread.is_alive():     # else it may still select() on the pipe
            os.close(self._wake_r)
            os.close(self._wake_w)

    def _offer(self, payload: bytes) -> None:
        self.ring_offers += 1
        status, error = ringmod.REFUSE, None
        if not self.refuse_rings and self._memory is not None and self._memory() is not None:
            try:
                pair = ringmod.RingPair(self._memory(), payload)
                status = ringmod.ACCEPT
            except Exception as exc:       # noqa: BLE001 - any bad offer is refused
                error = str(exc)
        self.rings = None
        self._ring_event(event="ring-offer", accepted=status == ringmod.ACCEPT, error=error)
        self.send_raw(encode_frame(ringmod.ANSWER.pack(self.RING_ANSWER_HEADER, status)))
        if status == ringmod.ACCEPT:
            self.rings = pair

    def _drain_rings(self) -> None:
        rings = self.rings
        if rings is None:
            return
        try:
            packets = rings.take()
        except (ringmod.RingError, Exception) as exc:   # noqa: BLE001 - recorded, not fatal
            self.ring_errors.append(str(exc))
            self._ring_event(event="ring-error", error=str(exc))
            return
        for payload in packets:
            self._payload(payload)

    def poll_hot(self, seconds: float) -> None:
        """Look at the ring without sleeping for `seconds` from now (0: stop)."""
        self._hot_until = time.monotonic() + seconds if seconds > 0 else 0.0
        if seconds > 0:
            with contextlib.suppress(BlockingIOError):
                os.write(self._wake_w, b"w")

    def _hot(self) -> bool:
        """Within a poll_hot() window and on rings (on the UART there is no ring to
        look at: the reader waits for bytes as always)."""
        return bool(self._hot_until) and self.rings is not None and \
            time.monotonic() < self._hot_until

    def _read_loop(self) -> None:
        while True:
            try:
                hot = self._hot()
                ready, _, _ = select.select([self._sock, self._wake_r], [], [],
                                            0 if hot else POLL_S)
                if self._wake_r in ready:
                    os.read(self._wake_r, 64)
                if self._sock not in ready:
                    self._drain_rings()
                    if hot:
                        os.sched_yield()    # polling, not hogging: others runnable here go first
                    continue
                data = self._sock.recv(65536)
            except (OSError, ValueError):
                break
            if not data:
                break
            self.bytes_received += len(data)
            try:
                for payload in self._parser.feed(data):
                    if (self.RING_OFFER_HEADER and payload[:4] == self.RING_OFFER_HEADER
                            and len(payload) == ringmod.OFFER.size):
                        self._offer(payload)
                    else:
                        self._payload(payload)
                self._drain_rings()
            except OSError:
                break                   # QEMU went away while we answered
