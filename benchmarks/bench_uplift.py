"""Speed of the uplift learners: S + T + X for one arm and one outcome, and scoring.

Synthetic rows (40 features, 50 % treated, a small heterogeneous effect) so the
figure measures the learners, not a data set. Prints seconds and peak memory
(resource.ru_maxrss, the whole process). Run: .venv/bin/python benchmarks/bench_uplift.py
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from promo_core.uplift.learners import fit_learners  # noqa: E402
from promo_core.uplift.outcomes import LearnerConfig  # noqa: E402
from promo_core.uplift.training_table import TrainingTable  # noqa: E402

N_FEATURES = 40


def synthetic_table(n: int, seed: int = 0) -> TrainingTable:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, N_FEATURES)).astype(np.float32)
    t = rng.integers(0, 2, n)
    base = 1 / (1 + np.exp(-(-2 + X[:, 0] + 0.5 * X[:, 1])))
    effect = 0.03 + 0.03 * np.tanh(X[:, 2]) * (X[:, 3] > 0)
    y = (rng.random(n) < np.clip(base + t * effect, 0, 1)).astype(float)
    feats = [f"f{i}" for i in range(N_FEATURES)]
    frame = pd.DataFrame(X, columns=feats)
    frame["promo_id"] = 1
    frame["customer_id"] = np.arange(n)
    frame["treated"] = t
    frame["arm"] = np.where(t == 1, 1, 0)
    frame["converted"] = y
    for c in ("promo_pct_off", "promo_amount_off"):
        frame[c] = np.where(t == 1, 10.0 if c == "promo_pct_off" else 0.0, 0.0)
    promos = pd.DataFrame([{"promo_id": 1, "name": "10 % off", "promo_type": "percent_off",
                            "value": 10.0}])
    return TrainingTable(frame, feats, ["promo_pct_off", "promo_amount_off"], ["converted"],
                         promos)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(sizes: list[int]) -> None:
    config = LearnerConfig()  # the page's defaults: 200 trees, 15 leaves, 1 thread
    print(f"S+T+X, one arm, outcome converted, {N_FEATURES} features, "
          f"{config.n_estimators} trees max, {config.num_leaves} leaves, "
          f"num_threads={config.num_threads}, early stopping {config.early_stopping_rounds}")
    print(f"load average at start {os.getloadavg()[0]:.1f} (the machine may be shared)")
    for n in sizes:
        table = synthetic_table(n)
        t0 = time.perf_counter()
        models = fit_learners(table, table.frame, "converted", config=config)
        fit_s = time.perf_counter() - t0
        iters = {k: max(b.current_iteration() for b in m.boosters.values())
                 for k, m in models.items()}
        scores = {}
        for k, m in models.items():
            t0 = time.perf_counter()
            m.predict_uplift(table.frame, 1)
            scores[k] = time.perf_counter() - t0
        print(f"{n:>9,} rows: fit S+T+X {fit_s:6.1f} s (max trees {iters}); scoring "
              + ", ".join(f"{k} {v:.1f} s" for k, v in scores.items())
              + f"; peak memory {peak_mb():,.0f} MB", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [100_000, 1_000_000])
