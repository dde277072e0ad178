"""Parser for test device console lines (docs/testdev.md, "Console lines").

A line is `testdev: KIND [tag=N] [key=value ...] [text=...]`, anywhere in a console line
(Mezzanine's log prefix, if any, is skipped). The firmware prints the same lines on the
debug console when it runs without Mezzanine, so one parser serves both.

    results = testdev_results(vm, script)    # vm: a Vm, or console text
    assert results.done and not results.failures
    assert results.value("vga") == 0xFFFFFFFF
"""

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple, Union

KINDS = ("BOOT", "MODE", "PASS", "FAIL", "VALUE", "LOG", "DONE", "ERROR")
LINE = re.compile(r"testdev: (?P<kind>" + "|".join(KINDS) + r")(?P<rest>(?: .*)?)$",
                  re.MULTILINE)
FIELD = re.compile(r"(\w+)=(\S*)")


class TestdevError(AssertionError):
    """The reports do not hold what a test asked for."""

    __test__ = False   # tests import these names; pytest must not collect them


@dataclass(frozen=True)
class TestdevEvent:
    """One report. fields holds the key=value words as text (mode, reason, n, ...)."""

    __test__ = False

    kind: str
    tag: Optional[int]
    values: Tuple[int, ...]
    fields: Dict[str, str]
    text: Optional[str]
    line: str

    @property
    def value(self) -> int:
        if not self.values:
            raise TestdevError(f"{self.line!r} has no values")
        return self.values[0]


def parse_testdev_line(line: str) -> Optional[TestdevEvent]:
    """The event in one console line, or None if it holds none."""
    match = LINE.search(line.rstrip("\r\n"))
    if not match:
        return None
    rest = match.group("rest")
    text = None
    if match.group("kind") == "LOG":
        # The text runs to the end of the line and may hold spaces and '='.
        rest, found, text = rest.partition(" text=")
        text = text if found else None
    fields = dict(FIELD.findall(rest))
    tag = int(fields.pop("tag"), 0) if "tag" in fields else None
    values: Tuple[int, ...] = ()
    if fields.get("values"):
        values = tuple(int(v, 16) for v in fields.pop("values").split(","))
    return TestdevEvent(match.group("kind"), tag, values, fields, text, match.group(0))


def parse_testdev_events(text: str) -> List[TestdevEvent]:
    """Every event in a block of console text, in order."""
    events = []
    for line in text.splitlines():
        event = parse_testdev_line(line)
        if event is not None:
            events.append(event)
    return events


@dataclass
class TestdevResults:
    """The events of one run, with look-ups by tag or, given the script, by name."""

    __test__ = False

    events: List[TestdevEvent]
    script: Optional[object] = None      # a testscript.Script
    _by_tag: Dict[int, List[TestdevEvent]] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for event in self.events:
            if event.tag is not None:
                self._by_tag.setdefault(event.tag, []).append(event)

    def _tag(self, key: Union[int, str]) -> int:
        if isinstance(key, str):
            if self.script is None:
                raise TestdevError(f"looking up {key!r} by name needs the script")
            return self.script.tag(key)
        return key

    def _describe(self, tag: int) -> str:
        if self.script is not None:
            try:
                return f"{self.script.op_at(tag)}"
            except KeyError:
                pass
        return f"tag {tag}"

    def for_op(self, key: Union[int, str]) -> List[TestdevEvent]:
        """The events of one operation (by tag or name), in order."""
        return list(self._by_tag.get(self._tag(key), []))

    def event(self, key: Union[int, str], kind: Optional[str] = None) -> TestdevEvent:
        """The one event of an operation (of that kind if given); raises otherwise."""
        tag = self._tag(key)
        found = [e for e in self._by_tag.get(tag, []) if kind is None or e.kind == kind]
        if len(found) != 1:
            raise TestdevError(f"{self._describe(tag)}: expected one {kind or 'event'}, "
                               f"found {[e.line for e in self._by_tag.get(tag, [])]}")
        return found[0]

    def values(self, key: Union[int, str]) -> Tuple[int, ...]:
        """The values of an operation's VALUE report (CPUID gives four)."""
        return self.event(key, "VALUE").values

    def value(self, key: Union[int, str]) -> int:
        """The first value of an operation's VALUE report."""
        return self.values(key)[0]

    def passed(self, key: Union[int, str]) -> bool:
        """The operation reported PASS."""
        return any(e.kind == "PASS" for e in self.for_op(key))

    def modes(self) -> List[str]:
        """Every mode the firmware entered, in order."""
        return [e.fields.get("mode", "?") for e in self.events if e.kind == "MODE"]

    def kinds(self) -> List[str]:
        return [e.kind for e in self.events]

    @property
    def boots(self) -> int:
        return sum(1 for e in self.events if e.kind == "BOOT")

    @property
    def done(self) -> bool:
        return any(e.kind == "DONE" for e in self.events)

    @property
    def failures(self) -> List[TestdevEvent]:
        """FAIL reports from the firmware and ERROR reports from the device."""
        return [e for e in self.events if e.kind in ("FAIL", "ERROR")]

    def __len__(self) -> int:
        return len(self.events)

    def __iter__(self):
        return iter(self.events)


def testdev_results(source, script=None) -> TestdevResults:
    """The test device events of source: a Vm (its console so far) or text."""
    text = source if isinstance(source, str) else source.console
    return TestdevResults(parse_testdev_events(text), script)


testdev_results.__test__ = False
