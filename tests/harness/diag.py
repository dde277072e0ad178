"""The diag channel (COM3, RUN/diag.sock), host side: a client and a proxy.

Protocol (docs/diag.md): one framed request {version u8 = 1, op u8, tag u16, args}, one
framed response {version u8, op | 0x80, tag u16, status i32, body}. Ops: 0 ping,
1 inspect (args: PATH), 2 log (args: u64 position), 3 get (args: a command line),
4 screenshot (args: first line and flags; body: a chunk of the frame, screenshot.py).

QEMU serves the socket to one client at a time, and the Host holds it; `tools/mezz
inspect` reaches a running instance through a DiagProxy the Host serves on
RUN/diag-proxy.sock: one JSON object per line each way, {"op": "inspect", "path": P} ->
{"status": 0, "body": ...}.
"""

import base64
import json
import os
import queue
import socket
import struct
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

from .errors import HarnessError
from .framed_peer import FramedPeer
from .screenshot import Frame, ScreenshotError, parse_chunk, screenshot_request

VERSION = 1
OP_PING, OP_INSPECT, OP_LOG, OP_GET, OP_SCREENSHOT, OP_SERVICING = 0, 1, 2, 3, 4, 5
OP_RING_OFFER = 0x40   # Mezzanine -> host at start-up (ring.py)
SCREENSHOT_TRIES = 5
REQUEST = struct.Struct("<BBH")
RESPONSE = struct.Struct("<BBHi")
LOG_BODY = struct.Struct("<QQ")


class DiagError(HarnessError):
    """A diag request failed: no answer in time, or a negative status."""

    def __init__(self, message: str, status: int = 0):
        super().__init__(message)
        self.status = status


class DiagClient(FramedPeer):
    """Request/response over the diag socket; one request at a time."""

    RING_OFFER_HEADER = bytes([VERSION, OP_RING_OFFER, 0, 0])
    RING_ANSWER_HEADER = bytes([VERSION, OP_RING_OFFER | 0x80, 0, 0])

    def __init__(self, path: Path, deadline: float, alive: Callable[[], bool], *,
                 memory: Optional[Callable[[], Any]] = None, refuse_rings: bool = False):
        self._responses: "queue.Queue[bytes]" = queue.Queue()
        self._lock = threading.Lock()
        self._tag = 0
        self._connect(path, deadline, alive, "diag-reader", memory, refuse_rings)

    def _payload(self, payload: bytes) -> None:
        self._responses.put(payload)

    def request(self, op: int, args: bytes = b"", timeout: float = 10.0) -> Tuple[int, bytes]:
        """Send one request; return (status, body). Raises DiagError on no answer."""
        with self._lock:
            self._tag = (self._tag + 1) & 0xFFFF
            tag = self._tag
            while not self._responses.empty():
                self._responses.get_nowait()
            self.send_frame(REQUEST.pack(VERSION, op, tag) + args)
            deadline = time.monotonic() + timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise DiagError(f"diag op {op}: no answer within {timeout:g} s")
                try:
                    payload = self._responses.get(timeout=left)
                except queue.Empty:
                    continue
                if len(payload) < RESPONSE.size:
                    continue
                _, rop, rtag, status = RESPONSE.unpack_from(payload)
                if rtag == tag and rop == (op | 0x80):
                    return status, payload[RESPONSE.size:]

    def ping(self, timeout: float = 10.0) -> bool:
        status, body = self.request(OP_PING, timeout=timeout)
        return status == 0 and body == b"pong"

    def inspect(self, path: Optional[str] = None, timeout: float = 10.0) -> Any:
        status, body = self.request(OP_INSPECT, (path or "").encode(), timeout)
        if status:
            raise DiagError(f"inspect {path!r}: status {status} ({_errno_name(status)})", status)
        return json.loads(body)

    def log(self, timeout: float = 10.0) -> str:
        """The whole log ring's text, fetched piece by piece."""
        position, parts = 0, []
        while True:
            status, body = self.request(OP_LOG, struct.pack("<Q", position), timeout)
            if status:
                raise DiagError(f"log: status {status}", status)
            nxt, written = LOG_BODY.unpack_from(body)
            text = body[LOG_BODY.size:]
            parts.append(text)
            if not text or nxt >= written:
                return b"".join(parts).decode("utf-8", "replace")
            position = nxt

    def get(self, command: str, timeout: float = 30.0) -> Tuple[int, Any]:
        """A GET command run by Mezzanine (docs/diag.md); returns (status, JSON body or None)."""
        status, body = self.request(OP_GET, command.encode(), timeout)
        return status, (json.loads(body) if body else None)

    def servicing(self, command: str, timeout: float = 30.0) -> Tuple[int, Any]:
        """A servicing command run by Mezzanine (docs/diag.md, e.g. "pulse"); returns
        (status, JSON body or None)."""
        status, body = self.request(OP_SERVICING, command.encode(), timeout)
        return status, (json.loads(body) if body else None)

    def screenshot(self, timeout: float = 30.0,
                   on_snapshot: Optional[Callable[[], None]] = None) -> Frame:
        """The current frame through Mezzanine's fixed VTL2 view (diag op 4): a snapshot
        taken at the first request, fetched chunk by chunk; started over if another
        screenshot replaces the snapshot meanwhile. on_snapshot is called right after
        each snapshot is taken (the first chunk's answer)."""
        for _ in range(SCREENSHOT_TRIES):
            pixels, line, seq, first = bytearray(), 0, None, None
            while True:
                status, body = self.request(OP_SCREENSHOT, screenshot_request(line, line == 0),
                                            timeout)
                if status:
                    raise DiagError(f"screenshot: status {status} ({_errno_name(status)})",
                                    status)
                header, chunk = parse_chunk(body)
                if first is None:
                    first, seq = header, header["seq"]
                    if on_snapshot is not None:
                        on_snapshot()
                if header["seq"] != seq or header["first_line"] != line or \
                        (header["width"], header["height"]) != (first["width"], first["height"]):
                    break               # replaced or reformatted meanwhile: start over
                pixels += chunk
                line += header["lines"]
                if line >= header["height"] or header["lines"] == 0:
                    return Frame(first["width"], first["height"], bytes(pixels),
                                 live=bool(first["flags"] & 1))
        raise ScreenshotError(f"no consistent frame in {SCREENSHOT_TRIES} tries")


# Mezzanine's errno numbers are newlib's (they differ from Linux's above 34).
NEWLIB_ERRNO = {2: "ENOENT", 5: "EIO", 7: "E2BIG", 12: "ENOMEM", 16: "EBUSY", 19: "ENODEV",
                22: "EINVAL", 28: "ENOSPC", 34: "ERANGE", 77: "EBADMSG", 91: "ENAMETOOLONG",
                95: "EOPNOTSUPP", 107: "EPROTOTYPE", 111: "ECONNREFUSED", 116: "ETIMEDOUT",
                122: "EMSGSIZE", 123: "EPROTONOSUPPORT", 128: "ENOTCONN"}


def _errno_name(status: int) -> str:
    return NEWLIB_ERRNO.get(-status, "?")


class DiagProxy:
    """Serves a DiagClient to other processes (tools/mezz inspect) on a unix socket."""

    def __init__(self, client: DiagClient, path: Path):
        self.client = client
        self.path = Path(path)
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._server.bind(str(self.path))
        self._server.listen(4)
        self._closed = False
        # {"op": "service", "image": PATH}: a servicing cycle the host runs (the Host sets
        # this; tools/mezz service).
        self.on_service: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None
        self._thread = threading.Thread(target=self._serve, name="diag-proxy", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        with conn, conn.makefile("rwb") as stream:
            for line in stream:
                try:
                    request = json.loads(line)
                    reply = self._answer(request)
                except (ValueError, HarnessError, OSError) as error:
                    reply = {"status": -1, "error": str(error)}
                stream.write(json.dumps(reply).encode() + b"\n")
                stream.flush()

    def _answer(self, request: Dict[str, Any]) -> Dict[str, Any]:
        op = request.get("op")
        if op == "inspect":
            status, body = self.client.request(OP_INSPECT, (request.get("path") or "").encode())
            return {"status": status, "body": json.loads(body) if status == 0 else None}
        if op == "log":
            return {"status": 0, "body": self.client.log()}
        if op == "get":
            status, body = self.client.get(request.get("command", ""))
            return {"status": status, "body": body}
        if op == "ping":
            return {"status": 0, "body": self.client.ping()}
        if op == "service" and self.on_service is not None:
            return self.on_service(request)
        if op == "screenshot":
            frame = self.client.screenshot()
            return {"status": 0, "width": frame.width, "height": frame.height,
                    "live": frame.live, "bgrx": base64.b64encode(frame.bgrx).decode()}
        return {"status": -22, "error": f"unknown op {op!r}"}

    def close(self) -> None:
        self._closed = True
        try:
            self._server.close()
        finally:
            try:
                os.unlink(self.path)
            except OSError:
                pass


def proxy_request(path: Path, request: Dict[str, Any], timeout: float = 30.0) -> Dict[str, Any]:
    """One request to a DiagProxy (used by tools/mezz)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(str(path))
        sock.sendall(json.dumps(request).encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)
