"""The host's event transcript: one JSON object per line.

Today the host records its own events: {"event": "start", ...} when the CPU is let run
and {"event": "halt", "reason": ..., ...} when the run ends. The GET (issue 4) adds one
line per GET message in either direction, in the order the host saw them. Every line
has "t": seconds since the transcript was opened (monotonic clock).
"""

import json
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Optional


class Transcript:
    """Appends events to an optional JSON-lines file and keeps them in `events`."""

    def __init__(self, path: Optional[Path] = None):
        self.events: List[Dict[str, Any]] = []
        self._start = time.monotonic()
        self._lock = threading.Lock()
        self._file = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "w", encoding="utf-8")

    def record(self, event: str, **fields: Any) -> Dict[str, Any]:
        """Append one event and flush it to the file at once."""
        entry = {"t": round(time.monotonic() - self._start, 6), "event": event, **fields}
        with self._lock:
            self.events.append(entry)
            if self._file is not None:
                self._file.write(json.dumps(entry, default=str) + "\n")
                self._file.flush()
        return entry

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
