"""Extra multiboot modules: QemuConfig.modules, Vm(modules=...), mezz run --module."""

import subprocess
from pathlib import Path

import pytest

from console_format import BANNER
from harness import REPO_ROOT, QemuConfig, StartError, build_command
from harness.modules import ModuleFiles, parse_module_arg
from harness.qemu import RunPaths
from harness.testscript import Script

MEZZ = REPO_ROOT / "tools" / "mezz"
RUN = RunPaths(Path("/dev/shm/mezz-run-x"))


def initrd(argv):
    return argv[argv.index("-initrd") + 1] if "-initrd" in argv else None


@pytest.fixture
def files(tmp_path):
    paths = {}
    for name in ("kernel.bin", "fw.bin", "script.bin", "other.bin"):
        paths[name] = tmp_path / name
        paths[name].write_bytes(b"x")
    return paths


def test_modules_follow_the_firmware_on_the_initrd(files):
    config = QemuConfig(kernel=files["kernel.bin"], vtl0=files["fw.bin"],
                        modules=((files["script.bin"], "testscript"),
                                 (files["other.bin"], "other")))
    config.validate()
    assert initrd(build_command(config, RUN)) == (
        f"{files['fw.bin']} vtl0,{files['script.bin']} testscript,{files['other.bin']} other")


def test_modules_without_firmware_and_no_modules_at_all(files):
    config = QemuConfig(kernel=files["kernel.bin"], modules=((files["script.bin"], "s"),))
    assert initrd(build_command(config, RUN)) == f"{files['script.bin']} s"
    assert initrd(build_command(QemuConfig(kernel=files["kernel.bin"]), RUN)) is None


@pytest.mark.parametrize("name", ["", "two words", "a,b", "vtl0", "x/y", None])
def test_bad_module_names_are_refused(files, name):
    config = QemuConfig(kernel=files["kernel.bin"], vtl0=files["fw.bin"],
                        modules=((files["script.bin"], name),))
    with pytest.raises(ValueError):
        config.validate()


def test_bad_module_paths_are_refused(files, tmp_path):
    for path in (tmp_path / "missing.bin", tmp_path / "a,b.bin", tmp_path / "a b.bin"):
        if path.name != "missing.bin":
            path.write_bytes(b"x")
        config = QemuConfig(kernel=files["kernel.bin"], modules=((path, "testscript"),))
        with pytest.raises(ValueError):
            config.validate()
    twice = QemuConfig(kernel=files["kernel.bin"],
                       modules=((files["script.bin"], "s"), (files["other.bin"], "s")))
    with pytest.raises(ValueError, match="twice"):
        twice.validate()


def test_module_files_write_bytes_and_clean_up(files):
    mf = ModuleFiles({"testscript": b"\x01\x02", "fw": files["fw.bin"], "s": bytearray(b"z")})
    (script, name), (fw, fw_name), (s, _) = mf.modules
    assert name == "testscript" and script.read_bytes() == b"\x01\x02"
    assert (fw, fw_name) == (files["fw.bin"], "fw") and s.read_bytes() == b"z"
    mf.close()
    mf.close()
    assert not script.exists() and not script.parent.exists()
    assert files["fw.bin"].exists()
    assert ModuleFiles().modules == () and ModuleFiles(None).modules == ()
    with pytest.raises(TypeError):
        ModuleFiles({"n": 42})
    with pytest.raises(ValueError):
        ModuleFiles({"../escape": b""})


def test_parse_module_arg():
    assert parse_module_arg("/tmp/s.bin:testscript") == (Path("/tmp/s.bin"), "testscript")
    assert parse_module_arg("a:b:name") == (Path("a:b"), "name")
    for bad in ("noname", ":name", "path:", "path:two words"):
        with pytest.raises(ValueError):
            parse_module_arg(bad)


def test_vm_boots_with_a_script_module(vm, tmp_path):
    """QEMU takes the -initrd list (a bad one stops it before the kernel runs)."""
    firmware = tmp_path / "fw.bin"
    firmware.write_bytes(bytes(0x10000))
    machine = vm(vtl0=firmware, modules={"testscript": Script().poweroff().encode()})
    machine.wait_for_log(BANNER.pattern.replace("^", "").replace("$", ""), 20)
    assert initrd(machine.host.argv).endswith(" testscript")
    script_file = Path(initrd(machine.host.argv).split(",")[-1].split(" ")[0])   # after igvm, vtl0
    assert script_file.read_bytes() == bytes(Script().poweroff())
    machine.stop()
    assert not script_file.exists()


def test_vm_refuses_a_missing_module(vm, tmp_path):
    with pytest.raises(StartError, match="does not exist"):
        vm(modules={"testscript": tmp_path / "missing.bin"})


def test_mezz_run_module_argument(tmp_path):
    def mezz(*args):
        return subprocess.run([str(MEZZ), "run", "--timeout", "5", *args],
                              capture_output=True, text=True, timeout=30)

    result = mezz("--module", "no-name-here")
    assert result.returncode == 2 and "PATH:NAME" in result.stderr
    result = mezz("--module", f"{tmp_path / 'missing.bin'}:testscript")
    assert result.returncode == 2 and "does not exist" in result.stderr
