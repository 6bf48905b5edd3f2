"""Time the demo shop build and print its figures.

    .venv/bin/python benchmarks/bench_demo_build.py                    # 20,000 customers
    .venv/bin/python benchmarks/bench_demo_build.py --customers 1000000

Peak memory is this process's maximum resident set size (getrusage), which includes
DuckDB's buffers. The machine may be shared: the CPU time and load average show
whether the wall time was inflated by other work.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promo_core.demo import build_demo  # noqa: E402

TARGET_SECONDS = {20_000: 10.0, 1_000_000: 90.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--targeted", action="store_true", help="targeted past campaigns")
    parser.add_argument("--steps", action="store_true", help="print each progress step")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.duckdb"
        start = time.perf_counter()

        def progress(fraction: float, message: str) -> None:
            if args.steps:
                print(f"  {time.perf_counter() - start:7.2f} s  {fraction:4.0%}  {message}")

        counts = build_demo(
            path, customers=args.customers, seed=args.seed,
            targeted_campaigns=args.targeted, progress=progress,
        )
        seconds = time.perf_counter() - start
        size_mb = path.stat().st_size / 2**20
    usage = resource.getrusage(resource.RUSAGE_SELF)
    peak_mb = usage.ru_maxrss / 1024
    cpu = usage.ru_utime + usage.ru_stime
    target = TARGET_SECONDS.get(args.customers)
    verdict = ""
    if target is not None:
        verdict = f" (target ≤ {target:g} s: {'met' if seconds <= target else 'MISSED'})"
    print(f"demo build, {args.customers:,} customers, seed {args.seed}")
    print(f"  build time   {seconds:8.2f} s{verdict}")
    print(f"  cpu time     {cpu:8.2f} s (all threads; load average now {os.getloadavg()[0]:.1f})")
    print(f"  peak memory  {peak_mb:8.0f} MB (max RSS)")
    print(f"  file size    {size_mb:8.1f} MB")
    for table, rows in counts.items():
        if rows:
            print(f"  {table:<14}{rows:>12,}")


if __name__ == "__main__":
    main()
