#!/bin/sh
# Fails if an ELF contains any SSE, AVX, MMX or x87 instruction. VTL2 runs with
# -mgeneral-regs-only so that VTL0's FPU/vector state never needs saving (SPEC section 10).
set -eu
elf="$1"
bad=$(objdump -d --no-show-raw-insn "$elf" |
      grep -P '%[xyz]mm[0-9]|%mm[0-7]|%st\b|\t(f[a-z0-9]+|emms|ldmxcsr|stmxcsr|xsave\w*|xrstor\w*)\b' || true)
if [ -n "$bad" ]; then
    echo "check-no-fpu: $elf contains SSE/x87 instructions:" >&2
    echo "$bad" | head -n 20 >&2
    exit 1
fi
