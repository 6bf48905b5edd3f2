"""Plan exports at 1M targets: CSV and XLSX must stream and finish within 20 s each.

Run: ``.venv/bin/python benchmarks/bench_export.py [--targets 1000000]``

Builds a throw-away database with one plan of N synthetic targets (three promotions,
five segments), then times each export and prints size, wall and CPU time, the load
average (the machine may be shared) and peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promo_core import db  # noqa: E402
from promo_core.plans import PlanForecast, create_plan, export_targets_csv, export_workbook  # noqa: E402

LIMIT_S = 20.0


def synthetic_plan(n: int, seed: int = 0) -> PlanForecast:
    rng = np.random.default_rng(seed)
    uplift = rng.normal(0.02, 0.015, n)
    sd = rng.uniform(0.002, 0.01, n)
    segments = np.array(["Lapsed high value", "Discount hunters", "New & young",
                         "Loyal <full price>", "Everyone else"])
    targets = pd.DataFrame({
        "customer_id": rng.permutation(np.arange(1, 3 * n + 1))[:n].astype("int64"),
        "promo_id": rng.integers(1, 4, n).astype("int64"),
        "segment": segments[rng.integers(0, len(segments), n)],
        "uplift": uplift, "lower": uplift - 1.96 * sd, "upper": uplift + 1.96 * sd})
    totals = {"contacts": float(n), "inc_conversions": float(uplift.sum()),
              "net_profit": 1234.5, "promotion_cost": 5000.0}
    seg_rows = [{"segment": s, "promotion": "15 % off", "promo_id": 1, "contacts": n / 5}
                for s in segments]
    payload = {"payload_version": 1, "source": "benchmark", "scenario": "synthetic",
               "as_of": "2025-01-01", "segments": seg_rows, "totals": totals,
               "targets": {"count": n}, "assumptions": {"margin_rate": 0.4, "budget": 1e5},
               "model": None, "data_fingerprint": "benchmark"}
    return PlanForecast(payload, targets)


def timed(label: str, fn) -> float:
    load = os.getloadavg()[0]
    cpu0, t0 = time.process_time(), time.perf_counter()
    path = fn()
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    verdict = "OK" if wall <= LIMIT_S else f"OVER {LIMIT_S:.0f} s"
    print(f"{label:<5} {wall:6.2f} s wall  {cpu:6.2f} s CPU  {path.stat().st_size / 1e6:7.1f} MB"
          f"  load avg before {load:.2f}  {verdict}  ({path.name})")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        con = db.connect(Path(tmp) / "bench.duckdb")
        con.execute("INSERT INTO promotions (promo_id, name, promo_type, value) VALUES "
                    "(1, '15 % off', 'percent_off', 15), (2, 'Free shipping', "
                    "'free_shipping', 0), (3, 'Spend 75 & save 15', 'spend_threshold', 15)")
        t0 = time.perf_counter()
        plan_id, version = create_plan(con, "Benchmark plan", date(2025, 1, 6),
                                       synthetic_plan(args.targets))
        print(f"{args.targets:,} targets saved in {time.perf_counter() - t0:.2f} s "
              f"({os.cpu_count()} CPUs)")
        out = Path(tmp) / "exports"
        timed("CSV", lambda: export_targets_csv(con, plan_id, version, out))
        timed("XLSX", lambda: export_workbook(con, plan_id, version, out))
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory (whole run) {peak:,.0f} MB")
        con.close()


if __name__ == "__main__":
    main()
