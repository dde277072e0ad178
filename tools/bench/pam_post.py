#!/usr/bin/python3
"""SeaBIOS's POST under each PAM backend, side by side in one run: GET calls and time.

Boots Mezzanine with Debian's SeaBIOS as VTL0 (and, as `make run` does, the display's
SeaVGABIOS) under mezz.pam=local and mezz.pam=faithful, interleaved, --runs times each;
once more under mezz.pam=openhcl without the VGA BIOS, which OpenHCL's rules would make
vanish (docs/pam.md). For each run: the CREATE_RAM_GPA_RANGE and RESET_RAM_GPA_RANGE
requests the host received by the end of POST (from the GED's transcript), and the POST
time on Mezzanine's own clock, from "starting VTL0" to SeaBIOS's "No bootable device"
(the console timestamps), so QEMU's start-up is not counted, and how long VTL0 waited on
those GET calls (Mezzanine's TSC, inspect partition/pam/counters/get_call_us). Prints
the medians and the median of the per-pair ratios faithful / local.

Usage: tools/bench/pam_post.py [--runs 5] [--kernel build/kernel.bin]
"""
import argparse
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import Vm  # noqa: E402
from harness.paths import DEFAULT_KERNEL  # noqa: E402

SEABIOS = Path("/usr/share/seabios/bios-256k.bin")
STAMP = r"^\[\s*(\d+\.\d+)\] . "
START = re.compile(STAMP + r"vtl0: starting VTL0", re.M)
END = re.compile(STAMP + r"vtl0: debugcon: No bootable device", re.M)
POST_S = 60


def one_run(kernel, pam, vgabios=None):
    with Vm(kernel=kernel, vtl0=SEABIOS, cmdline=f"mezz.pam={pam}", timeout=POST_S + 10,
            vgabios=vgabios) as vm:
        end = vm.wait_for_log(END, POST_S)
        start = START.search(vm.console)
        names = [e["name"] for e in vm.host.transcript.events
                 if e["event"] == "get" and e.get("dir") == "rx"]
        pam_node = vm.inspect("partition/pam", timeout=60)
    assert pam_node["backend"] == pam, pam_node["backend"]
    return {"post_ms": (float(end[1]) - float(start[1])) * 1000,
            "get_ms": pam_node["counters"]["get_call_us"] / 1000,
            "creates": names.count("CREATE_RAM_GPA_RANGE"),
            "resets": names.count("RESET_RAM_GPA_RANGE"),
            "get_requests": len(names)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--kernel", type=Path, default=DEFAULT_KERNEL)
    args = parser.parse_args()

    runs = {"local": [], "faithful": []}
    for _ in range(args.runs):
        for pam in runs:
            runs[pam].append(one_run(args.kernel, pam))
    openhcl = one_run(args.kernel, "openhcl", vgabios=False)
    faithful_novga = one_run(args.kernel, "faithful", vgabios=False)

    med = lambda pam, key: statistics.median(r[key] for r in runs[pam])  # noqa: E731
    for pam, rs in runs.items():
        times = ", ".join(f"{r['post_ms']:.0f}" for r in rs)
        print(f"{pam:9} with SeaVGABIOS: POST {times} ms; "
              f"median {med(pam, 'post_ms'):.0f} ms, of which PAM GET calls "
              f"{med(pam, 'get_ms'):.1f} ms; CREATE {rs[0]['creates']}, "
              f"RESET {rs[0]['resets']}, GET requests in all {rs[0]['get_requests']}")
    for name, r in (("openhcl", openhcl), ("faithful", faithful_novga)):
        print(f"{name:9} without VGA BIOS: POST {r['post_ms']:.0f} ms, of which PAM GET calls "
              f"{r['get_ms']:.1f} ms; CREATE {r['creates']}, RESET {r['resets']}, "
              f"GET requests in all {r['get_requests']}")
    ratios = [f["post_ms"] / loc["post_ms"] for f, loc in zip(runs["faithful"], runs["local"])]
    pairs = ", ".join(f"{x:.3f}" for x in ratios)
    print(f"POST time faithful / local: median of {args.runs} pairs "
          f"{statistics.median(ratios):.3f} (pairs: {pairs})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
