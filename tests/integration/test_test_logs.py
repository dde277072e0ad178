"""Per-test logs: a failing test keeps its console and QEMU logs, a passing one leaves
nothing. Runs a child pytest on two throwaway tests that use the real vm fixture."""

import subprocess
import sys
from pathlib import Path

from conftest import TEST_LOG_ROOT

HERE = Path(__file__).resolve().parent

CHILD_TESTS = '''
def test_child_fails_after_boot(vm):
    machine = vm()
    machine.wait_for_log(r"boot complete", 20)
    assert False, "deliberate failure"


def test_child_passes_after_boot(vm):
    machine = vm()
    machine.wait_for_log(r"boot complete", 20)
'''


def test_failed_test_keeps_logs_and_passed_test_leaves_none(tmp_path):
    module = tmp_path / "test_logs_child.py"
    module.write_text(CHILD_TESTS)
    failed_dir = TEST_LOG_ROOT / "test_logs_child.test_child_fails_after_boot"
    passed_dir = TEST_LOG_ROOT / "test_logs_child.test_child_passes_after_boot"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "conftest", "-p", "no:cacheprovider",
             f"--rootdir={tmp_path}", str(module)],
            cwd=tmp_path, env={"PYTHONPATH": str(HERE), "PATH": "/usr/bin:/bin"},
            capture_output=True, text=True, timeout=120)
        assert "1 failed, 1 passed" in result.stdout, result.stdout + result.stderr
        console = failed_dir / "console.log"
        assert console.is_file(), f"no {console}"
        assert "boot complete" in console.read_text()
        assert (failed_dir / "qemu-debug.log").is_file()
        assert not passed_dir.exists(), f"{passed_dir} was left behind by a passing test"
    finally:
        for path in (failed_dir, passed_dir):
            subprocess.run(["rm", "-rf", str(path)], check=False)
