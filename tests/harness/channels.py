"""The host ends of the GET (COM2) and diag (COM3) serial channels.

QEMU serves each UART as a unix socket (`server=on,wait=off`): bytes the guest sends
while no client is connected are dropped, so the host connects before the CPU runs.

No protocol runs on them yet (the GET client arrives with issue 4): a RawChannel only
holds the connection open and counts the bytes that arrive, so a later protocol layer
can replace the counting loop without changing how the host owns the socket.
"""

import socket
import threading
from pathlib import Path
from typing import Callable

from .qmp import connect_unix


class RawChannel:
    """A connected channel socket whose input is counted and discarded."""

    def __init__(self, name: str, path: Path, deadline: float, alive: Callable[[], bool]):
        """Connect to path (retrying until deadline) and start counting input."""
        self.name = name
        self.bytes_received = 0
        self.eof = False
        self._sock = connect_unix(path, deadline, alive)
        self._thread = threading.Thread(target=self._read_loop, name=f"{name}-reader",
                                        daemon=True)
        self._thread.start()

    def send(self, data: bytes) -> None:
        """Write raw bytes to the guest's UART."""
        self._sock.sendall(data)

    def close(self) -> None:
        """Close the socket; the reader thread ends."""
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
        except OSError:
            pass
        finally:
            self.eof = True
