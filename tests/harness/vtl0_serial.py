"""VTL0's serial console: QEMU's COM1 (0x3F8, IRQ 4), passed through to VTL0, whose
chardev is the unix socket RUN/vtl0-serial.sock (docs/linux.md).

The host connects before the CPU runs (a server=on,wait=off socket drops what is sent
while nobody listens). Output is collected by a ConsoleReader (text, log file, echo);
input is written as bytes. QEMU's chardev stops reading the socket while the UART's
receive FIFO is full, so nothing typed is lost however fast it is sent.
"""

import socket
import threading
from pathlib import Path
from typing import Callable, Optional

from .console import ConsoleReader


class Vtl0Serial:
    """The host end of VTL0's COM1. `reader` holds everything VTL0 wrote."""

    def __init__(self, sock: socket.socket, log_path: Optional[Path] = None,
                 echo: Optional[Callable[[str], None]] = None,
                 raw_echo: Optional[Callable[[bytes], None]] = None):
        self._sock = sock
        self._write_lock = threading.Lock()
        self.bytes_sent = 0
        self.reader = ConsoleReader(sock.makefile("rb", buffering=0), log_path, echo,
                                    raw_echo=raw_echo, name="vtl0-serial-reader")

    @property
    def text(self) -> str:
        """All VTL0 serial output so far (CR removed)."""
        return self.reader.text

    def write(self, data: bytes) -> None:
        """Type data into VTL0's COM1. Raises OSError if the socket is gone."""
        with self._write_lock:
            self._sock.sendall(data)
            self.bytes_sent += len(data)

    def close(self) -> None:
        """Close the socket; the reader sees end-of-file and stops."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self.reader.join(2.0)
        self.reader.close()
