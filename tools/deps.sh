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
libcmocka-dev
libjsmn-dev
python3-pytest
python3-pytest-timeout
python3-pil
gdb
"

missing=""
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi

echo "deps: installing:$missing"
if [ "$(id -u)" -ne 0 ]; then
    SUDO=sudo
else
    SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
