#!/bin/sh
# Builds newlib's libc for the Mezzanine kernel from Debian's newlib-source tarball:
# clang, freestanding, -mgeneral-regs-only (no SSE/x87), integer-only stdio.
# Usage: build.sh OUT_DIR   -> OUT_DIR/include, OUT_DIR/lib/libc.a
# The result is cached: a stamp records the tarball and this script's checksum.
set -eu

OUT=$(realpath -m "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
TARBALL=$(ls /usr/src/newlib/newlib-*.tar.xz 2>/dev/null | head -n 1)
if [ -z "$TARBALL" ]; then
    echo "newlib: no /usr/src/newlib/newlib-*.tar.xz (run tools/deps.sh)" >&2
    exit 1
fi

KEY=$(sha256sum "$TARBALL" "$HERE/build.sh" "$HERE/newlib-cc" | sha256sum | cut -c1-16)
STAMP="$OUT/.stamp"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$KEY" ] && [ -f "$OUT/lib/libc.a" ]; then
    exit 0
fi

echo "newlib: building libc from $(basename "$TARBALL") (about a minute)"
rm -rf "$OUT"
WORK="$OUT/work"
mkdir -p "$WORK/src" "$WORK/build" "$OUT/lib"
tar -xJf "$TARBALL" -C "$WORK/src" --strip-components=1

CFLAGS_T="-O2 -g -nostdlibinc -ffunction-sections -fdata-sections -mno-red-zone -fno-pic -fno-pie \
-mcmodel=kernel -fno-stack-protector -fno-asynchronous-unwind-tables -mgeneral-regs-only -Wno-everything"

cd "$WORK/build"
CC_FOR_TARGET="$HERE/newlib-cc" AR_FOR_TARGET=ar RANLIB_FOR_TARGET=ranlib AS_FOR_TARGET=as \
LD_FOR_TARGET=ld NM_FOR_TARGET=nm CFLAGS_FOR_TARGET="$CFLAGS_T" \
"$WORK/src/configure" --target=x86_64-elf --prefix="$WORK/prefix" --disable-multilib \
    --disable-newlib-supplied-syscalls --disable-newlib-multithread \
    --enable-newlib-io-long-long --enable-newlib-io-c99-formats --disable-newlib-io-float \
    --enable-newlib-nano-malloc --enable-newlib-reent-small \
    --disable-newlib-fvwrite-in-streamio --disable-newlib-fseek-optimization \
    --disable-newlib-wide-orient --disable-newlib-unbuf-stream-opt --enable-lite-exit \
    --enable-newlib-global-atexit --disable-nls > "$OUT/configure.log" 2>&1
make configure-target-newlib >> "$OUT/configure.log" 2>&1
make -C x86_64-elf/newlib stmp-targ-include > "$OUT/build.log" 2>&1
make -j"$(nproc)" -C x86_64-elf/newlib/libc AR_FLAGS=rc >> "$OUT/build.log" 2>&1
# install-data-local also links libg.a to the installed libc.a, so put that first.
mkdir -p "$WORK/prefix/x86_64-elf/lib"
cp x86_64-elf/newlib/libc/libc.a "$WORK/prefix/x86_64-elf/lib/"
make -C x86_64-elf/newlib install-data-local toollib_LIBRARIES= >> "$OUT/build.log" 2>&1
cp x86_64-elf/newlib/libc/libc.a "$OUT/lib/libc.a"
cp -r "$WORK/prefix/x86_64-elf/include" "$OUT/include"

# The whole point of this build: no SSE or x87 instruction may reach the kernel.
if objdump -d "$OUT/lib/libc.a" | grep -qP '%[xyz]mm|%mm[0-7]|%st\b'; then
    echo "newlib: libc.a contains SSE/x87 instructions" >&2
    exit 1
fi
rm -rf "$WORK"
echo "$KEY" > "$STAMP"
echo "newlib: done ($OUT/lib/libc.a)"
