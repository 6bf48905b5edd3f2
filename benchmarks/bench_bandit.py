"""Bandit simulator speed: 1,000 runs × 100,000 contacts × 6 arms in 100 daily batches.

Target (issue 9): ≤ 10 s per policy on the 2-core test machine. Prints wall time per
policy (best and median of ``--repeat``) and the load average, since the machine may be
shared and a busy neighbour inflates the figures.

    .venv/bin/python benchmarks/bench_bandit.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from promo_core.experiments import POLICIES, simulate_bandit, summarise_outcomes  # noqa: E402

RATES = [0.040, 0.045, 0.050, 0.052, 0.055, 0.060]
TARGET_S = 10.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--runs", type=int, default=1_000)
    parser.add_argument("--horizon", type=int, default=100_000)
    parser.add_argument("--batches", type=int, default=100)
    args = parser.parse_args()
    print(f"runs={args.runs:,} horizon={args.horizon:,} arms={len(RATES)} "
          f"batches={args.batches} cpus={os.cpu_count()} "
          f"load average before={os.getloadavg()[0]:.2f}")
    worst = 0.0
    for policy in (*POLICIES, "gaussian thompson"):
        times = []
        for rep in range(args.repeat):
            kwargs = {"policy": policy, "runs": args.runs, "horizon": args.horizon,
                      "n_batches": args.batches, "seed": rep}
            if policy == "gaussian thompson":
                kwargs.update(policy="thompson", reward="gaussian", reward_sd=20.0)
                rates = [r * 100 for r in RATES]  # revenue per contact, £
            else:
                rates = RATES
            t0 = time.perf_counter()
            run = simulate_bandit(rates, **kwargs)
            summary = summarise_outcomes(run).iloc[-1]
            times.append(time.perf_counter() - t0)
        worst = max(worst, min(times))
        print(f"{policy:>18}: best {min(times):6.2f} s  median {statistics.median(times):6.2f} s"
              f"  | final regret {summary.regret_mean:9.1f}"
              f"  conversions {summary.conversions_mean:11.1f}")
    verdict = "within" if worst <= TARGET_S else "OVER"
    print(f"slowest policy best-of-{args.repeat}: {worst:.2f} s ({verdict} the {TARGET_S:.0f} s "
          f"target); load average after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
