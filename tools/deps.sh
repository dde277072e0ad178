#!/bin/sh
# Installs what Mezzanine needs to build, run and test, from Debian's registry only.
# Safe to run again: packages already installed are not touched, and when nothing is
# missing it does nothing at all (no apt-get update, no network).
set -eu

# One package per line, grouped by what needs it (SPEC section 10).
PACKAGES="
clang
lld
libclang-rt-14-dev
binutils
make
newlib-source
xz-utils
qemu-system-x86
seabios
gnu-efi
ovmf
mtools
dosfstools
libcmocka-dev
libjsmn-dev
python3-pytest
python3-pytest-timeout
python3-pil
gdb
nanopb
protobuf-compiler
python3-protobuf
libprotobuf-dev
dpkg-dev
grub-pc-bin
grub-common
xorriso
mtools
"

# nanopb's runtime is built from Debian's nanopb source package (SPEC section 10), so
# `apt-get source` needs a deb-src entry for the archive the machine already uses.
SRC_LIST=/etc/apt/sources.list.d/mezzanine-deb-src.sources
need_src_list() {
    ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/
}

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done

add_src=""
if need_src_list; then
    add_src=yes
fi

if [ -z "$missing" ] && [ -z "$add_src" ]; then
    exit 0
fi

echo "deps: installing:$missing${add_src:+ (and a deb-src entry)}"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
if [ -n "$add_src" ]; then
    # The same URIs and suites as the first binary entry, as a deb-src entry.
    uris=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    suites=$(sed -n 's/^Suites: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)
    printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
        "${uris:-http://deb.debian.org/debian}" "${suites:-bookworm}" | $SUDO tee "$SRC_LIST" >/dev/null
fi
$SUDO apt-get update -qq
if [ -n "$missing" ]; then
    # shellcheck disable=SC2086
    $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
