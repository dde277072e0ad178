"""A console byte stream read by a thread: Mezzanine's console (COM4 = QEMU's stdout),
and VTL0's serial console (COM1, a socket; vtl0_serial.py).

The reader decodes UTF-8 (invalid bytes become U+FFFD), drops carriage returns (the
kernel ends lines with CR LF), and appends the text to an in-memory buffer, to an
optional log file (flushed as it arrives, so a crashed run still leaves its log) and to
an optional echo callback (mezz streams it to its stdout). raw_echo, when given, gets
the bytes exactly as they came (a terminal needs the CRs and escape sequences).
"""

import codecs
import re
import threading
import time
from pathlib import Path
from typing import BinaryIO, Callable, Optional, Pattern, TextIO, Union


class ConsoleReader:
    """Collects console output until end-of-file (QEMU exited)."""

    def __init__(self, stream: BinaryIO, log_path: Optional[Path] = None,
                 echo: Optional[Callable[[str], None]] = None,
                 raw_echo: Optional[Callable[[bytes], None]] = None,
                 name: str = "console-reader"):
        self._stream = stream
        self._echo = echo
        self._raw_echo = raw_echo
        self._log: Optional[TextIO] = None
        if log_path is not None:
            Path(log_path).parent.mkdir(parents=True, exist_ok=True)
            self._log = open(log_path, "w", encoding="utf-8")
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._text = ""
        self._cond = threading.Condition()
        self.eof = False
        self._thread = threading.Thread(target=self._read_loop, name=name,
                                        daemon=True)
        self._thread.start()

    @property
    def text(self) -> str:
        """All console text so far."""
        with self._cond:
            return self._text

    def tail(self, lines: int = 30) -> str:
        """The last few console lines, for error messages."""
        return "\n".join(self.text.splitlines()[-lines:])

    def wait_for(self, pattern: Union[str, Pattern[str]], timeout: float, start: int = 0,
                 whole_lines: bool = True) -> Optional[re.Match]:
        """Wait until pattern (re.MULTILINE when a str) matches the console from offset
        start (an index into `text`) on.

        Only whole lines are searched (all of the text once at end-of-file), so a
        pattern such as `0x[0-9a-f]+` never matches half of a number still arriving;
        whole_lines=False searches the unfinished last line too (a shell prompt).
        Returns the match, or None if the timeout expired or the console reached
        end-of-file without a match (check `eof` to tell which).
        """
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                complete = (self._text if self.eof or not whole_lines
                            else self._text[:self._text.rfind("\n") + 1])
                match = regex.search(complete, start)
                if match or self.eof:
                    return match
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                self._cond.wait(min(remaining, 0.5))

    def join(self, timeout: float) -> bool:
        """Wait for end-of-file; True if the reader finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def close(self) -> None:
        """Close the log file (after end-of-file, or when giving up on the reader)."""
        with self._cond:
            if self._log is not None:
                self._log.close()
                self._log = None

    def _append(self, text: str) -> None:
        if not text:
            return
        text = text.replace("\r", "")
        with self._cond:
            self._text += text
            if self._log is not None:
                self._log.write(text)
                self._log.flush()
            self._cond.notify_all()
        if self._echo is not None:
            try:
                self._echo(text)
            except Exception:  # an echo sink failing must not stop the log
                self._echo = None

    def _read_loop(self) -> None:
        read = getattr(self._stream, "read1", self._stream.read)
        try:
            while True:
                data = read(4096)
                if not data:
                    break
                if self._raw_echo is not None:
                    try:
                        self._raw_echo(data)
                    except Exception:  # an echo sink failing must not stop the log
                        self._raw_echo = None
                self._append(self._decoder.decode(data))
        except (OSError, ValueError):
            pass
        finally:
            self._append(self._decoder.decode(b"", final=True))
            with self._cond:
                self.eof = True
                self._cond.notify_all()
