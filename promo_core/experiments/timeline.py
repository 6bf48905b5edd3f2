"""Cumulative lift over time: after each period (day, week), the arm means of
everything observed so far and the difference to control with a 95 % interval.

Watching this curve is how analysts spot novelty effects and early peeking; it is not
a stopping rule (the intervals are not corrected for looking every period).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from promo_core.experiments.validation import coerce_metric, validate_experiment


def compute_cumulative_lift(
    df: pd.DataFrame,
    *,
    arm_col: str,
    control: object,
    metric: str,
    time_col: str,
    unit_col: str | None = None,
    alpha: float = 0.05,
    source: str = "experiment",
) -> pd.DataFrame:
    """Per (period, arm): n, cumulative mean, and diff/relative lift vs control.

    With ``unit_col`` a unit's cumulative value is the mean of its rows up to the
    period, and units are the observations (so 4 weekly rows of a store count once).
    """
    validate_experiment(df, arm_col=arm_col, control=control, metrics=[metric],
                        unit_col=unit_col, source=source)
    if time_col not in df.columns:
        raise ValueError(f"time column '{time_col}' not found")
    data = pd.DataFrame({"arm": df[arm_col], "period": df[time_col],
                         "y": coerce_metric(df[metric]),
                         "unit": df[unit_col] if unit_col else np.arange(len(df))}).dropna()
    stats_frame = _unit_cumulative(data) if unit_col else _row_cumulative(data)
    ctrl = stats_frame[stats_frame["arm"] == control].set_index("period")
    out = stats_frame.join(ctrl[["mean", "se"]].add_prefix("control_"), on="period")
    z = stats.norm.ppf(1 - alpha / 2)
    se = np.sqrt(out["se"] ** 2 + out["control_se"] ** 2)
    out["diff"] = out["mean"] - out["control_mean"]
    out["diff_low"] = out["diff"] - z * se
    out["diff_high"] = out["diff"] + z * se
    base = out["control_mean"].replace(0, np.nan)
    out["rel_lift"] = out["diff"] / base
    out.loc[out["arm"] == control, ["diff", "diff_low", "diff_high", "rel_lift"]] = np.nan
    return out.drop(columns=["control_mean", "control_se"]).sort_values(
        ["period", "arm"], key=lambda s: s.astype(str) if s.name == "arm" else s
    ).reset_index(drop=True)


def _row_cumulative(data: pd.DataFrame) -> pd.DataFrame:
    """Rows are independent: cumulative sums and sums of squares per arm."""
    data = data.assign(y2=data["y"] ** 2)
    g = data.groupby(["arm", "period"]).agg(s=("y", "sum"), ss=("y2", "sum"), n=("y", "size"))
    cum = g.groupby(level="arm").cumsum()
    mean = cum["s"] / cum["n"]
    var = (cum["ss"] - cum["n"] * mean**2) / (cum["n"] - 1)
    return pd.DataFrame({"n": cum["n"], "mean": mean,
                         "se": np.sqrt(var.clip(lower=0) / cum["n"])}).reset_index()


def _unit_cumulative(data: pd.DataFrame) -> pd.DataFrame:
    """Each unit's running mean up to each period, then arm stats across units."""
    g = data.groupby(["arm", "unit", "period"])["y"].agg(["sum", "size"])
    sums = g["sum"].unstack("period", fill_value=0).cumsum(axis=1)
    counts = g["size"].unstack("period", fill_value=0).cumsum(axis=1)
    unit_mean = (sums / counts.where(counts > 0)).stack().rename("y").reset_index()
    a = unit_mean.groupby(["arm", "period"])["y"].agg(["size", "mean", "std"])
    return pd.DataFrame({"n": a["size"], "mean": a["mean"],
                         "se": a["std"] / np.sqrt(a["size"])}).reset_index()
