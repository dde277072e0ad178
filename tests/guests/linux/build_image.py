#!/usr/bin/python3
"""Build the Linux guest of SPEC section 11 from Debian's own packages (docs/linux.md).

    tests/guests/linux/build_image.py OUT_DIR      (make linux-guest: build/linux)

1. `apt-get download` the kernel behind `linux-image-amd64` and `busybox-static` into
   OUT_DIR/debs (kept: a rebuild needs no network unless the .debs are gone);
   they are unpacked with dpkg-deb, never installed.
2. An initramfs (newc cpio, written by busybox's own cpio, gzip) with busybox, this
   directory's init / inittab / rcS / profile, and the kernel modules the disk needs
   (ata_piix, sd_mod, vfat and the modules their .modinfo says they depend on).
3. A bootable IDE disk: a GRUB hybrid image (grub-mkrescue from grub-pc-bin, xorriso,
   mtools) holding vmlinuz, the initramfs and grub.cfg. SeaBIOS boots its MBR from the
   IDE hard disk and GRUB reads the rest through int13 (PIO).

Writes OUT_DIR/disk.img, OUT_DIR/vmlinuz, OUT_DIR/initramfs.gz and OUT_DIR/manifest.txt
(package versions and the kernel command line). `make linux-guest` runs it when one of
its inputs changed.
"""

import argparse
import gzip
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
KERNEL_META = "linux-image-amd64"
BUSYBOX = "busybox-static"
# Modules for the second IDE disk (the data disk tests read) and its FAT file system.
# Their dependencies come from each module's .modinfo.
MODULES = ("ata_piix", "sd_mod", "vfat", "nls_cp437", "nls_ascii", "nls_utf8")


def run(argv, **kwargs):
    return subprocess.run(argv, check=True, **kwargs)


def deb_field(deb: Path, field: str) -> str:
    return run(["dpkg-deb", "-f", str(deb), field], capture_output=True,
               text=True).stdout.strip()


def download(package: str, debs: Path) -> Path:
    """The .deb of package in debs, fetched with `apt-get download` if it is not there."""
    pattern = re.compile(re.escape(package) + r"_[^_]+_amd64\.deb$")
    have = sorted(p for p in debs.iterdir() if pattern.match(p.name))
    if have:
        return have[-1]
    print(f"linux-guest: apt-get download {package}", flush=True)
    argv = ["apt-get", "download", "-q", package]
    if subprocess.run(argv, cwd=debs, stdout=subprocess.DEVNULL).returncode != 0:
        # A machine whose package lists were never fetched (or were cleaned) knows no
        # package at all: fetch them once, as tools/deps.sh does, and try again.
        print("linux-guest: apt-get update", flush=True)
        run(["apt-get", "update", "-qq"])
        run(argv, cwd=debs, stdout=subprocess.DEVNULL)
    have = sorted(p for p in debs.iterdir() if pattern.match(p.name))
    if not have:
        sys.exit(f"linux-guest: apt-get download {package} left no .deb in {debs}")
    return have[-1]


def fetch_packages(debs: Path):
    """(kernel .deb, busybox .deb); the kernel is the package linux-image-amd64 depends on."""
    debs.mkdir(parents=True, exist_ok=True)
    os.chmod(debs, 0o777)          # apt-get download drops to the _apt user when it can
    meta = download(KERNEL_META, debs)
    depends = deb_field(meta, "Depends")
    match = re.match(r"\s*(linux-image-[0-9][^\s,(]*)", depends)
    if not match:
        sys.exit(f"linux-guest: cannot find the kernel package in {meta.name}'s "
                 f"Depends: {depends!r}")
    return download(match.group(1), debs), download(BUSYBOX, debs)


def unpack(deb: Path, into: Path) -> Path:
    """dpkg-deb -x into a directory named after the .deb (reused when already there)."""
    target = into / deb.stem
    if not (target / ".unpacked").exists():
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        run(["dpkg-deb", "-x", str(deb), str(target)])
        (target / ".unpacked").write_text(deb.name + "\n")
    return target


def modinfo_depends(ko: Path) -> list:
    """The depends= entry of a module's .modinfo section (Debian ships no modules.dep:
    depmod writes it on installation, and this package is never installed)."""
    match = re.search(rb"(?:^|\0)depends=([^\0]*)\0", ko.read_bytes())
    return [d for d in match.group(1).decode().split(",") if d] if match else []


def module_closure(moddir: Path, wanted) -> list:
    """The .ko paths for wanted and their dependencies, in load order (dependencies
    first)."""
    by_name = {}
    for ko in (moddir / "kernel").rglob("*.ko*"):
        by_name[ko.name.split(".ko")[0].replace("-", "_")] = ko
    order = []

    def visit(name):
        name = name.replace("-", "_")
        if name not in by_name:
            sys.exit(f"linux-guest: module {name} is not in {moddir}")
        ko = by_name[name]
        if ko in order:
            return
        for dep in modinfo_depends(ko):
            visit(dep)
        order.append(ko)

    for name in wanted:
        visit(name)
    return order


def build_initramfs(out: Path, busybox_pkg: Path, kernel_pkg: Path, kver: str) -> Path:
    root = out / "initramfs"
    shutil.rmtree(root, ignore_errors=True)
    for sub in ("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "root", "mnt",
                "lib/modules"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    shutil.copy2(busybox_pkg / "bin" / "busybox", root / "bin" / "busybox")
    for name, dest, mode in (("init", "init", 0o755), ("inittab", "etc/inittab", 0o644),
                             ("rcS", "etc/rcS", 0o755),
                             ("profile", "etc/profile", 0o644)):
        shutil.copyfile(HERE / name, root / dest)
        os.chmod(root / dest, mode)
    moddir = kernel_pkg / "lib" / "modules" / kver
    load_order = []
    for source in module_closure(moddir, MODULES):
        name = source.name
        if name.endswith(".xz") or name.endswith(".zst") or name.endswith(".gz"):
            sys.exit(f"linux-guest: compressed module {source}: busybox insmod cannot load it")
        shutil.copy2(source, root / "lib" / "modules" / name)
        load_order.append(name)
    (root / "etc" / "modules").write_text("".join(f"{n}\n" for n in load_order))
    # busybox cpio writes the newc archive (Debian has no separate cpio package here).
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    listing = ".\n" + "".join(f"./{f}\n" for f in files)
    cpio = run([str(busybox_pkg / "bin" / "busybox"), "cpio", "-o", "-H", "newc"],
               cwd=root, input=listing.encode(), capture_output=True).stdout
    target = out / "initramfs.gz"
    with gzip.GzipFile(target, "wb", compresslevel=6, mtime=0) as gz:
        gz.write(cpio)
    return target


def build_disk(out: Path, vmlinuz: Path, initramfs: Path) -> Path:
    iso = out / "iso"
    shutil.rmtree(iso, ignore_errors=True)
    (iso / "boot" / "grub").mkdir(parents=True)
    shutil.copyfile(vmlinuz, iso / "vmlinuz")
    shutil.copyfile(initramfs, iso / "initramfs.gz")
    shutil.copyfile(HERE / "grub.cfg", iso / "boot" / "grub" / "grub.cfg")
    disk = out / "disk.img"
    tmp = out / "disk.img.tmp"
    # grub-mkrescue's output is a hybrid ISO: an MBR SeaBIOS boots from an IDE hard disk.
    result = subprocess.run(["grub-mkrescue", "-o", str(tmp), str(iso)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"linux-guest: grub-mkrescue failed:\n{result.stderr}")
    tmp.replace(disk)
    shutil.rmtree(iso, ignore_errors=True)
    return disk


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="output directory, e.g. build/linux")
    args = parser.parse_args()
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for tool in ("apt-get", "dpkg-deb", "grub-mkrescue", "xorriso", "mformat"):
        if shutil.which(tool) is None:
            sys.exit(f"linux-guest: {tool} is missing (tools/deps.sh installs it)")

    kernel_deb, busybox_deb = fetch_packages(out / "debs")
    kernel_pkg = unpack(kernel_deb, out / "pkg")
    busybox_pkg = unpack(busybox_deb, out / "pkg")
    vmlinuz = sorted((kernel_pkg / "boot").glob("vmlinuz-*"))[-1]
    kver = vmlinuz.name[len("vmlinuz-"):]
    shutil.copyfile(vmlinuz, out / "vmlinuz")
    initramfs = build_initramfs(out, busybox_pkg, kernel_pkg, kver)
    disk = build_disk(out, out / "vmlinuz", initramfs)
    cmdline = re.search(r"^\s*linux\s+/vmlinuz\s+(.*)$", (HERE / "grub.cfg").read_text(),
                        re.MULTILINE)
    (out / "manifest.txt").write_text(
        f"kernel {kernel_deb.name} ({kver})\n"
        f"busybox {busybox_deb.name}\n"
        f"cmdline {cmdline.group(1) if cmdline else '?'}\n"
        f"modules {' '.join((out / 'initramfs' / 'etc' / 'modules').read_text().split())}\n")
    print(f"linux-guest: {disk} ({disk.stat().st_size >> 20} MiB), kernel {kver}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
