"""pytest setup for Mezzanine integration tests.

Fixtures:
  vm       factory: vm(cmdline="...", **Vm kwargs) -> a started harness.Vm. Its logs
           (console.log, qemu-debug.log, transcript.jsonl) go to
           build/test-logs/<module>.<test>/ (a second VM of the same test uses a
           vm2/ subdirectory, and so on). The directory is deleted when the test
           passes and kept when it fails. Every VM is stopped at teardown.
  kernel   path of build/mezzanine.igvm (booted through build/shim.bin); fails (never
           skips) with "run make" if missing. flat_kernel: build/kernel.bin, same rule.
  kernel_elf  path of build/kernel.elf, same rule.
  testfw   path of build/guests/testfw.bin (the test firmware), same rule.

Every test gets a pytest-timeout of DEFAULT_TEST_TIMEOUT_S unless it sets its own.
"""

import re
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness import DEFAULT_KERNEL, DEFAULT_KERNEL_ELF, FLAT_KERNEL, REPO_ROOT, Vm  # noqa: E402
from harness.paths import TESTFW  # noqa: E402

DEFAULT_TEST_TIMEOUT_S = 60
TEST_LOG_ROOT = REPO_ROOT / "build" / "test-logs"


def pytest_collection_modifyitems(items):
    for item in items:
        if item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(DEFAULT_TEST_TIMEOUT_S))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Remember each phase's report on the item (item.rep_setup, rep_call, ...)."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _test_failed(item) -> bool:
    reports = [getattr(item, f"rep_{phase}", None) for phase in ("setup", "call")]
    if reports[1] is None:  # the test body never reported: treat as failed
        return True
    return any(report is not None and report.failed for report in reports)


def _log_dir_name(item) -> str:
    module = Path(str(item.fspath)).stem
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{module}.{item.name}").strip("-")


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        pytest.fail(f"{what} {path} does not exist: run `make` in {REPO_ROOT} first",
                    pytrace=False)
    return path


@pytest.fixture
def kernel() -> Path:
    return _require(DEFAULT_KERNEL, "kernel image")


@pytest.fixture
def flat_kernel() -> Path:
    """build/kernel.bin: the kernel's loaded bytes, as the IGVM image's page data holds them."""
    return _require(FLAT_KERNEL, "flat kernel image")


@pytest.fixture
def kernel_elf() -> Path:
    return _require(DEFAULT_KERNEL_ELF, "kernel ELF")


@pytest.fixture(scope="session")
def testfw() -> Path:
    return _require(TESTFW, "test firmware")


@pytest.fixture
def test_log_dir(request) -> Path:
    """build/test-logs/<module>.<test>/, emptied before the test, removed if it passes."""
    path = TEST_LOG_ROOT / _log_dir_name(request.node)
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    if not _test_failed(request.node):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def vm(kernel, test_log_dir):
    """Factory of started Vms: vm(cmdline="mezz.halt=panic", timeout=10, ...)."""
    machines = []

    def start_vm(cmdline: str = "", **kwargs) -> Vm:
        index = len(machines) + 1
        log_dir = test_log_dir if index == 1 else test_log_dir / f"vm{index}"
        kwargs.setdefault("kernel", kernel)
        machine = Vm(cmdline=cmdline, log_dir=log_dir, **kwargs)
        machines.append(machine)
        return machine.start()

    yield start_vm
    for machine in machines:
        machine.stop()
