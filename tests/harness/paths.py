"""Where things are in the repository, relative to this file."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
# What boots by default: the IGVM paravisor image, through the multiboot boot shim
# (docs/image.md). The flat multiboot kernel still boots directly with -kernel.
DEFAULT_KERNEL = BUILD_DIR / "mezzanine.igvm"
DEFAULT_SHIM = BUILD_DIR / "shim.bin"
FLAT_KERNEL = BUILD_DIR / "kernel.bin"
# UEFI boots (docs/image.md): the ESP image with the EFI loader, and Debian's OVMF.
DEFAULT_ESP = BUILD_DIR / "efi" / "esp.img"
DEFAULT_OVMF = Path("/usr/share/ovmf/OVMF.fd")
DEFAULT_KERNEL_ELF = BUILD_DIR / "kernel.elf"
VERSION_FILE = REPO_ROOT / "VERSION"
TESTFW = BUILD_DIR / "guests" / "testfw.bin"   # the VTL0 test firmware (docs/testdev.md)
