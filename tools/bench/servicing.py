#!/usr/bin/python3
"""Live servicing cycles, measured in one run (not in CI): blackout, cycle time, blob size,
with the cold boot of the same VM side by side.

Boots Mezzanine with the test firmware running timer interrupts, then runs N servicing
cycles (vm.save_paravisor + restore_paravisor with the same image, docs/servicing.md)
without the host's hashes (verify=False: hashing VTL0's RAM twice dominates a blackout).
Reports, from the new instances' inspect "servicing": blackout_time_us (VTL0 stopped at
the old instance's TSC -> about to resume in the new), restore_us (the new instance's GET
up -> units restored); from the host: the cycle (SAVE sent -> START_VTL0_COMPLETED); the
blob size; and the cold boot (time to "starting VTL0", Mezzanine's clock): the serviced
VM's own, and the median over --cold-boots VMs booted the same way (the serviced one
included), since one boot's time moves by a third from run to run on this machine.

The load average is printed with the result: the machine is shared.

Usage: tools/bench/servicing.py [--cycles 1000] [--memory 256] [--cold-boots 5] [--json]
"""

import argparse
import json
import os
import re
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import Vm  # noqa: E402
from harness.paths import BUILD_DIR  # noqa: E402
from harness.testscript import Script  # noqa: E402


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, (len(values) * p) // 100)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--memory", type=int, default=256, help="VM memory in MiB")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--csv", help="write every cycle (blackout_us, restore_us, cycle_us, blob) here")
    parser.add_argument("--cold-boots", type=int, default=5,
                        help="VMs whose cold boot is measured (the serviced one and more)")
    args = parser.parse_args()
    ticks = Script().mode("protected")
    for i in range(2000):
        ticks.timer_irq(1000, name=f"t{i}")
    script = ticks.end().encode()

    def boot(vm):
        vm.wait_for_vtl0_start(60)
        vm.wait_for_log(r"I vtl0: starting VTL0", 10)   # the console line follows the GET's
        found = re.search(r"\[\s*([\d.]+)\] I vtl0: starting VTL0", vm.console)
        return float(found.group(1)) * 1e6 if found else None

    def new_vm():
        return Vm(vtl0=BUILD_DIR / "guests" / "testfw.bin", modules={"testscript": script},
                  memory_mb=args.memory, timeout=24 * 3600)

    rows = []
    colds = []
    for _ in range(max(0, args.cold_boots - 1)):
        with new_vm() as vm:
            colds.append(boot(vm))
    with new_vm() as vm:
        cold = boot(vm)
        colds.append(cold)
        for _ in range(args.cycles):
            vm.save_paravisor(verify=False)
            cycle = vm.restore_paravisor()
            s = vm.inspect("servicing")
            rows.append((s["blackout_time_us"], s["restore_us"], cycle["cycle_s"] * 1e6,
                         cycle["blob_len"]))
    if args.csv:
        Path(args.csv).write_text("blackout_us,restore_us,cycle_us,blob_bytes\n" +
                                  "".join(f"{r[0]},{r[1]},{r[2]:.0f},{r[3]}\n" for r in rows))
    blackout = [r[0] for r in rows]
    result = {
        "cycles": len(rows),
        "blackout_median_us": statistics.median(blackout), "blackout_p99_us": pct(blackout, 99),
        "blackout_max_us": max(blackout),
        # The first two cycles load each slot for the first time: under TCG the new
        # instance translates its code then (docs/servicing.md); later cycles reuse it.
        "blackout_first_cycles_us": blackout[:2],
        "blackout_p99_after_2_us": pct(blackout[2:], 99) if len(blackout) > 2 else None,
        "restore_median_us": statistics.median(r[1] for r in rows),
        "cycle_median_us": statistics.median(r[2] for r in rows),
        "blob_bytes_median": statistics.median(r[3] for r in rows),
        "cold_boot_to_vtl0_us": cold,
        "cold_boots": len([c for c in colds if c]),
        "cold_boot_median_us": statistics.median(c for c in colds if c) if any(colds) else None,
    }
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if result["cold_boot_to_vtl0_us"]:
        result["blackout_over_cold_boot"] = result["blackout_median_us"] / result["cold_boot_to_vtl0_us"]
    if result["cold_boot_median_us"]:
        result["blackout_over_cold_boot_median"] = (result["blackout_median_us"] /
                                                    result["cold_boot_median_us"])
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
