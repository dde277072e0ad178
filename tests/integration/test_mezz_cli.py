"""tools/mezz run: exit statuses, console on stdout, --log and --transcript files."""

import json
import subprocess

from console_format import BANNER
from harness import REPO_ROOT

MEZZ = REPO_ROOT / "tools" / "mezz"


def mezz(*args, timeout=30):
    return subprocess.run([str(MEZZ), *args], capture_output=True, text=True, timeout=timeout)


def _has_banner(text):
    return any(BANNER.match(line) for line in text.splitlines())


def test_timeout_exits_6_and_logs_the_console(kernel, tmp_path):
    log = tmp_path / "console.log"
    result = mezz("run", "--timeout", "3", "--log", str(log))
    assert result.returncode == 6, result.stderr
    assert _has_banner(result.stdout), result.stdout
    logged = log.read_text()
    assert _has_banner(logged)
    assert logged.strip() and logged.strip() in result.stdout
    assert "mezz: halted: timeout" in result.stderr


def test_panic_exits_5_and_reports_the_message(kernel, tmp_path):
    transcript = tmp_path / "transcript.jsonl"
    result = mezz("run", "--cmdline", "mezz.halt=panic", "--transcript", str(transcript))
    assert result.returncode == 5, result.stderr
    assert ("mezz: halted: panic: test panic requested by mezz.halt=panic"
            in result.stderr.splitlines())
    events = [json.loads(line) for line in transcript.read_text().splitlines()]
    assert [event["event"] for event in events] == ["start", "halt"]
    assert events[1]["reason"] == "panic"


def test_missing_kernel_exits_2(tmp_path):
    result = mezz("run", "--kernel", str(tmp_path / "nope.bin"))
    assert result.returncode == 2
    assert "nope.bin" in result.stderr


def test_help_describes_run_and_exit_statuses():
    result = mezz("run", "--help")
    assert result.returncode == 0
    for text in ("--timeout", "--transcript", "--vtl0", "power-off", "timeout"):
        assert text in result.stdout
