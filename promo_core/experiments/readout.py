"""A/B/n readout: per arm size and mean, difference to control with 95 % intervals
(Welch normal approximation and a seeded bootstrap), relative lift and p-values with
Holm's correction when several arms are compared with the control.

Unit of randomisation: when ``unit_col`` is given, rows are not independent (a store
in four weeks, a customer with many baskets). Two analyses are offered and the result
says which one ran:

- ``"aggregate"`` — average each unit's rows first, then compare unit means; every
  unit weighs the same. The default: simple, and exact when units have equal rows.
- ``"cluster"`` — keep the rows, estimate the difference by OLS on arm dummies with
  cluster-robust (CR1) standard errors by unit (statsmodels ``cov_type='cluster'``);
  every row weighs the same. The bootstrap then resamples whole units.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.multitest import multipletests

from promo_core.experiments.estimators import ArmEstimate, bootstrap_ratio, estimate_ratio
from promo_core.experiments.validation import coerce_metric, validate_experiment

UnitMethod = Literal["aggregate", "cluster"]

READOUT_COLUMNS = [
    "metric", "arm", "is_control", "n", "n_rows", "mean", "se", "ci_low", "ci_high",
    "diff", "diff_low", "diff_high", "boot_low", "boot_high",
    "rel_lift", "rel_low", "rel_high", "p_value", "p_adjusted", "significant", "method",
]


def ratio_name(numerator: str, denominator: str) -> str:
    return f"{numerator} per {denominator}"


def compute_readout(
    df: pd.DataFrame,
    *,
    arm_col: str,
    control: object,
    metrics: Sequence[str] = (),
    ratios: Sequence[tuple[str, str]] = (),
    unit_col: str | None = None,
    unit_method: UnitMethod = "aggregate",
    alpha: float = 0.05,
    n_boot: int = 2000,
    seed: int = 0,
    arms: Sequence[object] | None = None,
    source: str = "experiment",
) -> pd.DataFrame:
    """One row per (metric, arm); the control row carries the arm stats only.

    ``ratios`` are (numerator, denominator) column pairs read as Σnum/Σden per arm
    with delta-method intervals (e.g. ("spend", "visit") = revenue per visitor).
    ``diff_*`` is the Welch interval, ``boot_*`` the percentile bootstrap interval
    (``n_boot`` draws, seeded), ``rel_*`` the lift relative to control (delta method),
    ``p_adjusted`` Holm-corrected within each metric when more than one arm is
    compared with the control.
    """
    if unit_method not in ("aggregate", "cluster"):
        raise ValueError(f"unit_method must be 'aggregate' or 'cluster', not {unit_method!r}")
    ratio_cols = [c for pair in ratios for c in pair]
    validate_experiment(df, arm_col=arm_col, control=control,
                        metrics=list(dict.fromkeys([*metrics, *ratio_cols])),
                        unit_col=unit_col, arms=arms, source=source)
    rng = np.random.default_rng(seed)
    arm_order = _arm_order(df[arm_col], control)
    frames = []
    for metric in metrics:
        frames.append(_metric_readout(df, arm_col, control, arm_order, metric, None, unit_col,
                                      unit_method, alpha, n_boot, rng))
    for num, den in ratios:
        frames.append(_metric_readout(df, arm_col, control, arm_order, num, den, unit_col,
                                      unit_method, alpha, n_boot, rng))
    return pd.concat(frames, ignore_index=True)[READOUT_COLUMNS]


def _arm_order(arms: pd.Series, control: object) -> list[object]:
    """Control first, then the other arms in sorted order (stable across reruns)."""
    others = sorted((a for a in pd.unique(arms.dropna()) if a != control), key=str)
    return [control, *others]


def _method_label(ratio: bool, unit_col: str | None, unit_method: UnitMethod) -> str:
    base = "ratio of sums, delta method" if ratio else "Welch normal approximation"
    if not unit_col:
        return base
    if unit_method == "aggregate":
        return f"{base} on unit means by '{unit_col}'"
    if ratio:
        return f"{base} on unit sums by '{unit_col}'"
    return f"OLS with cluster-robust SE by '{unit_col}'"


def _samples(
    data: pd.DataFrame, arm_col: str, metric: str, den_col: str | None,
    unit_col: str | None, unit_method: UnitMethod,
) -> dict[object, tuple[np.ndarray, np.ndarray | None, int]]:
    """Per arm the (numerator, denominator, row count) at the unit of analysis."""
    cols = {"y": coerce_metric(data[metric]), "arm": data[arm_col]}
    if den_col:
        cols["d"] = coerce_metric(data[den_col])
    if unit_col:
        cols["unit"] = data[unit_col]
    frame = pd.DataFrame(cols).dropna()
    out: dict[object, tuple[np.ndarray, np.ndarray | None, int]] = {}
    if unit_col:
        grouped = frame.groupby(["arm", "unit"], sort=False)
        sums = grouped.sum(numeric_only=True)
        sums["rows"] = grouped.size()
        if unit_method == "aggregate" and not den_col:
            sums["y"] = sums["y"] / sums["rows"]
        for arm, part in sums.groupby(level="arm", sort=False):
            if den_col:
                den = part["d"].to_numpy()
            elif unit_method == "cluster":
                den = part["rows"].to_numpy(dtype="float64")
            else:
                den = None
            out[arm] = (part["y"].to_numpy(), den, int(part["rows"].sum()))
        return out
    for arm, part in frame.groupby("arm", sort=False):
        den = part["d"].to_numpy() if den_col else None
        out[arm] = (part["y"].to_numpy(), den, len(part))
    return out


def _metric_readout(
    df: pd.DataFrame, arm_col: str, control: object, arm_order: list[object],
    metric: str, den_col: str | None, unit_col: str | None, unit_method: UnitMethod,
    alpha: float, n_boot: int, rng: np.random.Generator,
) -> pd.DataFrame:
    samples = _samples(df, arm_col, metric, den_col, unit_col, unit_method)
    est: dict[object, ArmEstimate] = {a: estimate_ratio(s[0], s[1]) for a, s in samples.items()}
    boots = {a: bootstrap_ratio(s[0], s[1], n_boot, rng) for a, s in samples.items()}
    use_ols = bool(unit_col) and unit_method == "cluster" and den_col is None
    ols = (_cluster_ols(df, arm_col, arm_order, metric, unit_col, alpha)
           if use_ols else {})
    z = stats.norm.ppf(1 - alpha / 2)
    c = est[control]
    rows = []
    for arm in arm_order:
        e = est[arm]
        row = {
            "metric": ratio_name(metric, den_col) if den_col else metric,
            "arm": arm, "is_control": arm == control, "n": e.n, "n_rows": samples[arm][2],
            "mean": e.estimate, "se": e.se,
            "ci_low": e.estimate - z * e.se, "ci_high": e.estimate + z * e.se,
            "method": _method_label(den_col is not None, unit_col, unit_method),
        }
        if arm != control:
            row.update(_compare(e, c, alpha))
            if arm in ols:
                row.update(ols[arm])
            boot_diff = boots[arm] - boots[control]
            row["boot_low"], row["boot_high"] = np.quantile(boot_diff, [alpha / 2, 1 - alpha / 2])
            row.update(_relative(e, c, z))
        rows.append(row)
    out = pd.DataFrame(rows)
    for col in ("diff", "diff_low", "diff_high", "boot_low", "boot_high", "rel_lift",
                "rel_low", "rel_high", "p_value"):
        if col not in out:
            out[col] = np.nan
    treated = ~out["is_control"]
    pvals = out.loc[treated, "p_value"].to_numpy()
    if treated.sum() > 1:
        out.loc[treated, "p_adjusted"] = multipletests(pvals, alpha=alpha, method="holm")[1]
    else:
        out.loc[treated, "p_adjusted"] = pvals
    out["significant"] = out["p_adjusted"] < alpha
    return out


def _compare(e: ArmEstimate, c: ArmEstimate, alpha: float) -> dict[str, float]:
    """Difference with a Welch–Satterthwaite t interval and two-sided p-value."""
    diff = e.estimate - c.estimate
    var_t, var_c = e.se**2, c.se**2
    se = np.sqrt(var_t + var_c)
    dof = (var_t + var_c) ** 2 / (var_t**2 / max(e.n - 1, 1) + var_c**2 / max(c.n - 1, 1))
    q = stats.t.ppf(1 - alpha / 2, dof)
    p = 2 * stats.t.sf(abs(diff) / se, dof) if se > 0 else float("nan")
    return {"diff": diff, "diff_low": diff - q * se, "diff_high": diff + q * se, "p_value": p}


def _relative(e: ArmEstimate, c: ArmEstimate, z: float) -> dict[str, float]:
    """Lift relative to control, mean_t/mean_c − 1, with a delta-method interval."""
    if c.estimate == 0:
        return {"rel_lift": np.nan, "rel_low": np.nan, "rel_high": np.nan}
    rel = e.estimate / c.estimate - 1
    se = np.sqrt(e.se**2 / c.estimate**2 + e.estimate**2 * c.se**2 / c.estimate**4)
    return {"rel_lift": rel, "rel_low": rel - z * se, "rel_high": rel + z * se}


def _cluster_ols(
    df: pd.DataFrame, arm_col: str, arm_order: list[object], metric: str,
    unit_col: str | None, alpha: float,
) -> dict[object, dict[str, float]]:
    """Row-level OLS of the metric on arm dummies, CR1 cluster-robust by unit."""
    data = pd.DataFrame({"y": coerce_metric(df[metric]), "arm": df[arm_col],
                         "unit": df[unit_col]}).dropna()
    others = arm_order[1:]
    x = np.column_stack([np.ones(len(data))] + [(data["arm"] == a).to_numpy(float)
                                                for a in others])
    groups = pd.factorize(data["unit"])[0]
    fit = sm.OLS(data["y"].to_numpy(), x).fit(cov_type="cluster", cov_kwds={"groups": groups},
                                              use_t=True)
    ci = fit.conf_int(alpha=alpha)
    return {a: {"diff": fit.params[i + 1], "diff_low": ci[i + 1, 0], "diff_high": ci[i + 1, 1],
                "p_value": fit.pvalues[i + 1]} for i, a in enumerate(others)}
