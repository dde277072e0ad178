"""A small QMP client: JSON objects, one per line, over a unix socket.

Protocol (QEMU docs/interop/qmp-spec): on connect QEMU sends a greeting {"QMP": ...};
the client sends {"execute": "qmp_capabilities"} and may then run commands. Replies are
{"return": ...} or {"error": {...}}, carrying back the "id" the command had. Events
{"event": NAME, "data": ..., "timestamp": ...} may arrive at any time, also between a
command and its reply.

A reader thread owns the socket's input: it files replies by id and appends events to
`events`, and records end-of-file (QEMU exited or closed the monitor).
"""

import itertools
import json
import socket
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from .errors import HarnessError


class QmpError(HarnessError):
    """QMP failed: no greeting, an error reply, a timeout, or a closed connection."""


def connect_unix(path: Path, deadline: float, alive: Callable[[], bool]) -> socket.socket:
    """Connect to the unix socket at path, retrying until deadline (time.monotonic()).

    QEMU creates its server sockets a little after it starts, so refusals are retried.
    alive() returning False (QEMU died) stops the retries. Raises HarnessError.
    """
    last_error: Optional[Exception] = None
    while time.monotonic() < deadline:
        if not alive():
            raise HarnessError(f"QEMU exited before {path.name} accepted a connection")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(str(path))
            return sock
        except (FileNotFoundError, ConnectionRefusedError) as error:
            sock.close()
            last_error = error
            time.sleep(0.02)
    raise HarnessError(f"could not connect to {path}: {last_error}")


class QmpClient:
    """One QMP connection. Thread-safe: execute() may be called from any thread."""

    def __init__(self, sock: socket.socket, greeting_timeout: float = 10.0):
        """Take ownership of a connected socket and read QEMU's greeting."""
        self._sock = sock
        self._file = sock.makefile("rb")
        self._lock = threading.Condition()
        self._replies: Dict[str, Dict[str, Any]] = {}
        self._ids = itertools.count(1)
        self.events: List[Dict[str, Any]] = []
        self.closed = False
        sock.settimeout(greeting_timeout)
        try:
            line = self._file.readline()
        except OSError as error:
            raise QmpError(f"no QMP greeting: {error}") from error
        try:
            self.greeting = json.loads(line) if line else None
        except ValueError as error:
            raise QmpError(f"bad QMP greeting {line!r}") from error
        if not isinstance(self.greeting, dict) or "QMP" not in self.greeting:
            raise QmpError(f"bad QMP greeting {line!r}")
        sock.settimeout(None)
        self._reader = threading.Thread(target=self._read_loop, name="qmp-reader", daemon=True)
        self._reader.start()

    def negotiate(self, timeout: float = 10.0) -> None:
        """Leave capabilities-negotiation mode (qmp_capabilities)."""
        self.execute("qmp_capabilities", timeout=timeout)

    def execute(self, command: str, arguments: Optional[Dict[str, Any]] = None,
                timeout: float = 10.0) -> Any:
        """Run one command and return its "return" value. Raises QmpError."""
        ident = f"mezz-{next(self._ids)}"
        request: Dict[str, Any] = {"execute": command, "id": ident}
        if arguments:
            request["arguments"] = arguments
        data = (json.dumps(request) + "\n").encode()
        with self._lock:
            if self.closed:
                raise QmpError(f"{command}: QMP connection is closed")
            try:
                self._sock.sendall(data)
            except OSError as error:
                raise QmpError(f"{command}: send failed: {error}") from error
            deadline = time.monotonic() + timeout
            while ident not in self._replies:
                if self.closed:
                    raise QmpError(f"{command}: QMP connection closed before the reply")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise QmpError(f"{command}: no reply within {timeout:g} s")
                self._lock.wait(remaining)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise QmpError(f"{command}: {reply['error']}")
        return reply.get("return")

    def first_event(self, name: str) -> Optional[Dict[str, Any]]:
        """The first event called name received so far, or None."""
        with self._lock:
            for event in self.events:
                if event.get("event") == name:
                    return event
        return None

    def wait_closed(self, timeout: float) -> bool:
        """Wait until the reader saw end-of-file (so every event QEMU sent is in `events`)."""
        self._reader.join(timeout)
        return not self._reader.is_alive()

    def close(self) -> None:
        """Close the connection; the reader thread ends."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._reader.join(2.0)
        self._file.close()
        self._sock.close()

    def _read_loop(self) -> None:
        try:
            for line in self._file:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                with self._lock:
                    if "event" in message:
                        self.events.append(message)
                    elif "id" in message:
                        self._replies[str(message["id"])] = message
                    self._lock.notify_all()
        except (OSError, ValueError):
            pass
        finally:
            with self._lock:
                self.closed = True
                self._lock.notify_all()
