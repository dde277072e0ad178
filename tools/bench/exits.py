#!/usr/bin/python3
"""Exit cost: Mezzanine's full exit path against a bare VMRUN round trip, in one run.

Boots Mezzanine with mezz.bench=exits (kernel/vtl0/bench_exits.c): a built-in VTL0 loops on an
intercepted OUT; alternating short rounds run it through a bare loop whose handler only
sets RIP to the next instruction, and through Mezzanine's full exit path. Prints the
medians and the median of the per-round ratios (full / bare). Target (issue 3): the full
path adds at most 10 % to the bare round trip.

Usage: tools/bench/exits.py [--runs N] [--kernel build/kernel.bin]
"""
import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import Vm  # noqa: E402
from harness.paths import DEFAULT_KERNEL  # noqa: E402

RESULT = re.compile(r"bench: exits: bare_cycles=(?P<bare>\d+) full_cycles=(?P<full>\d+) "
                    r"bare_ns=(?P<bare_ns>\d+) full_ns=(?P<full_ns>\d+) ratio=(?P<ratio>[0-9.]+)")
TARGET = 1.10


def one_run(kernel):
    with Vm(kernel=kernel, cmdline="mezz.bench=exits", timeout=60) as vm:
        m = vm.wait_for_log(RESULT, 50)
        return {k: float(v) for k, v in m.groupdict().items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--kernel", type=Path, default=DEFAULT_KERNEL)
    args = parser.parse_args()

    runs = [one_run(args.kernel) for _ in range(args.runs)]
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    for i, r in enumerate(runs, 1):
        print(f"run {i}: bare {r['bare_ns'] / 1000:.2f} us, full {r['full_ns'] / 1000:.2f} us, "
              f"ratio {r['ratio']:.3f}")
    ratio = med("ratio")
    print(f"median of {args.runs}: bare {med('bare_ns') / 1000:.2f} us/exit "
          f"({med('bare'):.0f} cycles), full {med('full_ns') / 1000:.2f} us/exit "
          f"({med('full'):.0f} cycles), ratio {ratio:.3f} (target <= {TARGET:.2f}: "
          f"{'met' if ratio <= TARGET else 'NOT met'})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
