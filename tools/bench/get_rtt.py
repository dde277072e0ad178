#!/usr/bin/python3
"""GET round trips, measured by Mezzanine (TSC) in one run, over the rings and over COM2.

Boots Mezzanine under QEMU with its host (the GED), then asks it over diag to run
`get bench N BYTES` (kernel/host/get_instance.c): N raw transport echoes (our EXT_ECHO extension,
answered by the GED at the frame level, unparsed), N TIME requests through the GET client
(queue, id check, codec), then SAVE of a BYTES blob in 8192-byte chunks and RESTORE of
it. Prints latency median and p99, small-request throughput, and blob MB/s.

One VM per transport, one after the other in the same run: the shared-memory rings
(default) and the UART (mezz.transport=uart, with a smaller blob).

Usage: tools/bench/get_rtt.py [--n 500] [--blob 4194304] [--uart-blob 100000]
       [--transports ring,uart] [--kernel build/kernel.bin] [--json]
"""

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))

from harness import Vm  # noqa: E402
from harness.paths import DEFAULT_KERNEL  # noqa: E402


TRANSPORTS = {"ring": "", "uart": "mezz.transport=uart"}


def bench(kernel, transport, n, blob):
    with Vm(kernel=kernel, cmdline=TRANSPORTS[transport], timeout=900) as vm:
        vm.wait_for_log(r"get: device platform settings", 30)
        status, r = vm.get_command(f"bench {n} {blob}", timeout=800)
        if status != 0:
            raise SystemExit(f"{transport}: bench failed: status {status}")
    if r["transport"] != transport:
        raise SystemExit(f"asked for {transport}, ran on {r['transport']}")
    return r


def report(r):
    us = lambda ns: ns / 1000.0  # noqa: E731
    echo_rate = r["n"] / (r["echo_total_ns"] / 1e9)
    req_rate = r["n"] / (r["request_total_ns"] / 1e9)
    save_mbs = r["blob_bytes"] / (r["save_ns"] / 1e9) / 1e6
    restore_mbs = r["blob_bytes"] / (r["restore_ns"] / 1e9) / 1e6
    print(f"[{r['transport']}] round trips: {r['n']} each")
    print(f"  raw transport echo   median {us(r['echo_median_ns']):8.1f} us  "
          f"p99 {us(r['echo_p99_ns']):8.1f} us  {echo_rate:7.0f}/s")
    print(f"  GET TIME request     median {us(r['request_median_ns']):8.1f} us  "
          f"p99 {us(r['request_p99_ns']):8.1f} us  {req_rate:7.0f}/s  "
          f"(x{r['request_median_ns'] / max(1, r['echo_median_ns']):.2f} of echo)")
    print(f"  blob {r['blob_bytes']} bytes: SAVE {save_mbs:.3f} MB/s, RESTORE {restore_mbs:.3f} MB/s, "
          f"restored copy {'matches' if r['restore_matches'] else 'DIFFERS'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500, help="round trips of each kind (max 1000)")
    parser.add_argument("--blob", type=int, default=4 << 20, help="ring blob bytes (max 4 MiB)")
    parser.add_argument("--uart-blob", type=int, default=100000,
                        help="UART blob bytes (the UART moves about 0.06 MB/s in)")
    parser.add_argument("--transports", default="ring,uart")
    parser.add_argument("--kernel", type=Path, default=DEFAULT_KERNEL)
    parser.add_argument("--json", action="store_true", help="print the raw results as JSON")
    args = parser.parse_args()
    results = [bench(args.kernel, t, args.n, args.blob if t == "ring" else args.uart_blob)
               for t in args.transports.split(",")]
    if args.json:
        print(json.dumps(results))
        return 0
    for r in results:
        report(r)
    by = {r["transport"]: r for r in results}
    if "ring" in by and "uart" in by:
        print(f"ring / uart echo median: x{by['ring']['echo_median_ns'] / by['uart']['echo_median_ns']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
