"""The host's event transcript: one JSON object per line.

Today the host records its own events: {"event": "start", ...} when the CPU is let run
and {"event": "halt", "reason": ..., ...} when the run ends. The GET (issue 4) adds one
line per GET message in either direction, in the order the host saw them. Every line
has "t": seconds since the transcript was opened (monotonic clock).

The GED records a message on every request it answers, thousands a second over the
rings, so record_lazy() keeps the raw parts (the time now, a function and its
arguments) and builds the entry only when someone reads `events`, or at once when the
transcript goes to a file (a file is read while the VM runs, so it stays current).
"""

import json
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional


class Transcript:
    """Appends events to an optional JSON-lines file and keeps them in `events`."""

    def __init__(self, path: Optional[Path] = None):
        self._entries: List[Any] = []    # entries, or (t, event, build, args) not built yet
        self._built = 0                  # _entries[:_built] are all dicts
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._file = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "w", encoding="utf-8")

    @property
    def events(self) -> List[Dict[str, Any]]:
        """Every event so far, in order: a copy (events recorded later are not in it)."""
        with self._lock:
            entries = self._entries
            for i in range(self._built, len(entries)):
                item = entries[i]
                if type(item) is tuple:
                    entries[i] = _build(self._start, *item)
            self._built = len(entries)
            return list(entries)

    def record(self, event: str, **fields: Any) -> Dict[str, Any]:
        """Append one event and flush it to the file at once."""
        entry = {"t": round(time.monotonic() - self._start, 6), "event": event, **fields}
        with self._lock:
            self._entries.append(entry)
            self._write(entry)
        return entry

    def record_lazy(self, event: str, build: Callable[..., Dict[str, Any]], *args: Any) -> None:
        """Append one event whose fields are build(*args), called when the event is first
        read. The arguments must not change afterwards."""
        now = time.monotonic()
        with self._lock:
            if self._file is None:
                self._entries.append((now, event, build, args))
                return
            entry = _build(self._start, now, event, build, args)
            self._entries.append(entry)
            self._write(entry)

    def _write(self, entry: Dict[str, Any]) -> None:
        if self._file is not None:
            self._file.write(json.dumps(entry, default=str) + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None


def _build(start: float, now: float, event: str, build: Callable[..., Dict[str, Any]],
           args: tuple) -> Dict[str, Any]:
    return {"t": round(now - start, 6), "event": event, **build(*args)}
