"""Sample-ratio mismatch: did the arms get the share of units the design intended?

A mismatch means the split itself went wrong (a bug in assignment, a filter applied to
one arm, lost tracking), and then no difference between the arms can be trusted. The
check is a chi-square goodness-of-fit test on the arm counts; the usual alarm level is
p < 0.001 because it runs on every readout.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from scipy import stats

SRM_ALPHA = 0.001


@dataclass(frozen=True)
class SampleRatioCheck:
    observed: dict[object, int]
    expected: dict[object, float]
    chi2: float
    p_value: float
    mismatch: bool
    message: str


def count_units(df: pd.DataFrame, arm_col: str, unit_col: str | None = None) -> pd.Series:
    """Units per arm: distinct ``unit_col`` values when given, else rows."""
    if unit_col:
        return df.groupby(arm_col, sort=True)[unit_col].nunique()
    return df.groupby(arm_col, sort=True).size()


def check_sample_ratio(
    counts: Mapping[object, int] | pd.Series,
    intended: Mapping[object, float] | None = None,
    *,
    threshold: float = SRM_ALPHA,
) -> SampleRatioCheck:
    """Chi-square test of the arm counts against the intended split (default equal).

    ``intended`` maps arm → weight (shares or ratios; normalised here). The verdict in
    ``message`` is written to be shown as is.
    """
    observed = {k: int(v) for k, v in dict(counts).items()}
    arms = list(observed)
    weights = {a: 1.0 for a in arms} if intended is None else {a: float(intended[a]) for a in arms}
    total_w = sum(weights.values())
    n = sum(observed.values())
    expected = {a: n * weights[a] / total_w for a in arms}
    chi2, p = stats.chisquare([observed[a] for a in arms], [expected[a] for a in arms])
    mismatch = bool(p < threshold)
    split = " / ".join(f"{observed[a]:,}" for a in arms)
    want = " / ".join(f"{expected[a]:,.0f}" for a in arms)
    if mismatch:
        message = (f"SAMPLE RATIO MISMATCH: arms got {split} units where the intended split "
                   f"expects {want} (chi-square p = {p:.2g} < {threshold:g}). The assignment "
                   "or the tracking is broken; do not trust the differences below until "
                   "the cause is found.")
    else:
        message = (f"Split looks as intended: {split} units vs {want} expected "
                   f"(chi-square p = {p:.2f}).")
    return SampleRatioCheck(observed, expected, float(chi2), float(p), mismatch, message)
