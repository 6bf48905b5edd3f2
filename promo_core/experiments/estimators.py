"""Per-arm estimators shared by every readout: a ratio of sums, its delta-method
variance, and a vectorised, seeded bootstrap of it.

A plain mean is the ratio with denominator 1, a ratio metric (revenue per visit) is
Σnum/Σden, and a mean over clustered rows is Σ(unit sums)/Σ(unit row counts). Writing
the algebra once keeps the three cases consistent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Cap on the number of cells of one bootstrap count matrix (draws × distinct values),
# so memory stays near 30 MB whatever the sample size.
_MAX_CELLS = 4_000_000


@dataclass(frozen=True)
class ArmEstimate:
    n: int
    estimate: float
    se: float
    sd: float


def estimate_ratio(num: np.ndarray, den: np.ndarray | None = None) -> ArmEstimate:
    """Σnum/Σden with the delta-method standard error (ddof=1).

    With ``den`` None (all ones) this is the sample mean and its usual s/√n.
    """
    num = np.asarray(num, dtype="float64")
    n = num.size
    if den is None:
        sd = float(num.std(ddof=1)) if n > 1 else float("nan")
        return ArmEstimate(n, float(num.mean()), sd / np.sqrt(n), sd)
    den = np.asarray(den, dtype="float64")
    r = num.sum() / den.sum()
    mu_d = den.mean()
    cov = np.cov(num, den, ddof=1)
    var = (cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1]) / (n * mu_d * mu_d)
    # sd on the per-unit scale, so that se = sd/√n as for a mean
    sd = float(np.sqrt(max(var, 0.0) * n))
    return ArmEstimate(n, float(r), float(np.sqrt(max(var, 0.0))), sd)


def bootstrap_ratio(
    num: np.ndarray, den: np.ndarray | None, n_boot: int, rng: np.random.Generator
) -> np.ndarray:
    """``n_boot`` bootstrap replicates of Σnum/Σden, resampling units with replacement.

    Draws how often each *distinct* unit value is picked (multinomial counts) instead
    of drawing row indices: the bootstrap distribution is identical, and for 0/1 or
    zero-inflated outcomes there are only a handful of distinct values, so 64,000 rows
    cost as little as 64.
    """
    num = np.asarray(num, dtype="float64")
    n = num.size
    if den is None:
        vals, counts = np.unique(num, return_counts=True)
        pairs = vals[:, None]
    else:
        stacked = np.column_stack([num, np.asarray(den, dtype="float64")])
        pairs, counts = np.unique(stacked, axis=0, return_counts=True)
    probs = counts / n
    # Mostly-distinct values (continuous outcomes): drawing indices is cheaper than
    # one binomial per distinct value.
    by_index = len(pairs) > n // 4
    if by_index:
        pairs = np.column_stack([num, np.ones(n) if den is None else den])
    chunk = max(1, _MAX_CELLS // max(len(pairs), 1))
    out = np.empty(n_boot)
    for start in range(0, n_boot, chunk):
        size = min(chunk, n_boot - start)
        if by_index:
            idx = rng.integers(0, n, size=(size, n))
            sums = np.column_stack([pairs[idx, 0].sum(axis=1), pairs[idx, 1].sum(axis=1)])
        else:
            sums = rng.multinomial(n, probs, size=size).astype("float64") @ pairs
        out[start:start + size] = sums[:, 0] / (sums[:, 1] if den is not None else n)
    return out
