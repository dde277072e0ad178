"""The host end of a framed UART (framing.py) on one of QEMU's unix sockets: the GET
(ged.py) and the diag channel (diag.py) are both one.

A reader thread owns the socket's input: it counts the bytes, splits them into frames
and hands each payload to the subclass's _payload(), on that thread.
"""

import socket
import threading
from pathlib import Path
from typing import Callable

from .framing import FrameParser, encode_frame
from .qmp import connect_unix


class FramedPeer:
    """Subclasses set up their own state, then call _connect() last (the reader thread
    may call _payload() at once), and implement _payload()."""

    def _connect(self, path: Path, deadline: float, alive: Callable[[], bool],
                 thread_name: str) -> None:
        self.bytes_received = 0
        self._parser = FrameParser()
        self._send_lock = threading.Lock()
        self._sock = connect_unix(path, deadline, alive)
        self._thread = threading.Thread(target=self._read_loop, name=thread_name, daemon=True)
        self._thread.start()

    def _payload(self, payload: bytes) -> None:
        raise NotImplementedError

    def send_frame(self, payload: bytes) -> None:
        self.send_raw(encode_frame(payload))

    def send_raw(self, data: bytes) -> None:
        """Bytes straight onto the line (no framing), in one piece."""
        with self._send_lock:
            self._sock.sendall(data)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._thread.join(2.0)
        self._sock.close()

    def _read_loop(self) -> None:
        try:
            while True:
                data = self._sock.recv(65536)
                if not data:
                    break
                self.bytes_received += len(data)
                for payload in self._parser.feed(data):
                    self._payload(payload)
        except OSError:
            pass
