#!/bin/sh
# make debug: boots Mezzanine under QEMU stopped before the first instruction, with a
# gdb stub on :1234, and attaches gdb with the kernel's symbols (build/kernel.elf).
# QEMU runs in the background with its console in BUILD/debug-console.log; quitting
# gdb stops it.
set -eu
BUILD=${1:-build}
CMDLINE=${MEZZ_CMDLINE:-mezz.log=debug}
GDBINIT="$BUILD/debug.gdb"

cat > "$GDBINIT" <<GDB
set architecture i386:x86-64
file $BUILD/kernel.elf
target remote localhost:1234
# The entry runs in 32-bit mode; stop at the first 64-bit C code instead.
hbreak kmain
echo Mezzanine: continue with 'c'; the console is in $BUILD/debug-console.log\n
GDB

qemu-system-x86_64 -M pc -accel tcg -cpu max -m 512M -smp 1 -nodefaults -no-reboot \
    -display none -vga none \
    -chardev "file,id=console,path=$BUILD/debug-console.log" \
    -device isa-serial,index=3,iobase=0x2e8,irq=3,chardev=console \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
    -kernel "$BUILD/kernel.bin" -append "$CMDLINE" -s -S &
QEMU_PID=$!
trap 'kill $QEMU_PID 2>/dev/null || true' EXIT INT TERM
gdb -q -x "$GDBINIT"
