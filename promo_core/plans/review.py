"""Plan vs actual: the lift a plan really had, against what it forecast.

The actual lift is measured on the plan's own exposures (treated vs its hold-out) with
the Experiments readout (:func:`promo_core.experiments.compute_readout`: Welch 95 %
intervals), per segment and promotion and in total. Exposures of the plan's
promotions count when they were sent in the plan's week (``[week, week + 7 days)``)
to a customer on the plan's target list; outcomes come from the exposure's own columns
or from ``orders`` in the promotion's window (:func:`load_promotion_outcomes`).

Forecast per contact = incremental conversions (revenue) / contacts of the saved
version; its band is the saved 95 % band. ``error`` = forecast − actual (positive:
the plan promised more than it delivered); ``covered``: the forecast band contains
the actual lift.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import duckdb
import numpy as np
import pandas as pd

from promo_core.errors import ValidationError
from promo_core.experiments import compute_readout, load_promotion_outcomes
from promo_core.plans.store import PlanVersion, list_plans, load_targets, load_version

TOTAL = "Total"
N_BOOT = 200  # the readout's bootstrap is shown beside Welch; a small count keeps it quick
REVIEW_COLUMNS = (
    "segment", "promotion", "treated", "control", "treated_rate", "control_rate",
    "actual_lift", "lift_low", "lift_high", "forecast_lift", "forecast_low",
    "forecast_high", "error", "covered", "actual_revenue_lift", "revenue_low",
    "revenue_high", "forecast_revenue_lift", "revenue_error")


@dataclass
class PlanReview:
    plan: PlanVersion
    table: pd.DataFrame  # REVIEW_COLUMNS, one row per segment/promotion and a Total row
    unmatched: int  # exposures in the week of customers not on the target list

    @property
    def total(self) -> pd.Series:
        return self.table.set_index("segment").loc[TOTAL]

    def verdict(self) -> str:
        t = self.total
        if not np.isfinite(t["actual_lift"]):
            return "No results yet: import the campaign's exposures and orders, or simulate it."
        covered = ("inside" if t["covered"] else "outside") if not pd.isna(t["covered"]) \
            else "not comparable with (the forecast has no band)"
        return (f"Actual conversion lift {t['actual_lift']:+.2%} per contact (95 % "
                f"{t['lift_low']:+.2%} to {t['lift_high']:+.2%}) against a forecast of "
                f"{t['forecast_lift']:+.2%} (band {t['forecast_low']:+.2%} to "
                f"{t['forecast_high']:+.2%}): the actual is {covered} the forecast band.")


def plan_outcomes(con: duckdb.DuckDBPyConnection, plan: PlanVersion,
                  targets: pd.DataFrame | None = None) -> tuple[pd.DataFrame, int]:
    """One row per exposure of the plan (customer, segment, promo, arm, outcomes)."""
    targets = load_targets(con, plan.plan_id, plan.version) if targets is None else targets
    start = pd.Timestamp(plan.week)
    parts, unmatched = [], 0
    for promo_id in sorted(targets["promo_id"].unique()):
        out = load_promotion_outcomes(con, int(promo_id))
        out = out[(out["exposed_at"] >= start) & (out["exposed_at"] < start + timedelta(days=7))]
        mine = targets.loc[targets["promo_id"] == promo_id, ["customer_id", "segment"]]
        merged = out.merge(mine, on="customer_id", how="left")
        unmatched += int(merged["segment"].isna().sum())
        parts.append(merged.dropna(subset=["segment"]).assign(promo_id=int(promo_id)))
    if not parts:
        return pd.DataFrame(columns=["customer_id", "arm", "converted", "revenue", "segment",
                                     "promo_id"]), unmatched
    return pd.concat(parts, ignore_index=True), unmatched


def _readout(rows: pd.DataFrame) -> dict[str, float]:
    """Treated vs control on conversion and revenue; NaN where an arm is too small."""
    out = {"treated": int((rows["arm"] == "treated").sum()),
           "control": int((rows["arm"] == "control").sum())}
    try:
        r = compute_readout(rows, arm_col="arm", control="control",
                            metrics=["converted", "revenue"], n_boot=N_BOOT, seed=0,
                            source="plan review").set_index(["metric", "is_control"])
    except (ValidationError, ValueError, KeyError):
        return out
    conv, rev = r.loc[("converted", False)], r.loc[("revenue", False)]
    out.update(treated_rate=conv["mean"], control_rate=r.loc[("converted", True)]["mean"],
               actual_lift=conv["diff"], lift_low=conv["diff_low"], lift_high=conv["diff_high"],
               actual_revenue_lift=rev["diff"], revenue_low=rev["diff_low"],
               revenue_high=rev["diff_high"])
    return out


def _forecast(fig: dict) -> dict[str, float]:
    n = fig.get("contacts") or np.nan

    def per(key: str) -> float:
        value = fig.get(key)
        return float(value) / n if value is not None and n else np.nan

    return {"forecast_lift": per("inc_conversions"), "forecast_low": per("inc_conversions_low"),
            "forecast_high": per("inc_conversions_high"),
            "forecast_revenue_lift": per("inc_revenue")}


def review_plan(con: duckdb.DuckDBPyConnection, plan_id: int, version: int | None = None
                ) -> PlanReview:
    """The plan-vs-actual table of a plan version (the latest by default)."""
    plan = load_version(con, plan_id, version)
    rows, unmatched = plan_outcomes(con, plan)
    records = []
    for seg in plan.payload["segments"]:
        part = rows[(rows["segment"] == seg["segment"]) & (rows["promo_id"] == seg["promo_id"])]
        records.append({"segment": seg["segment"], "promotion": seg["promotion"],
                        **_readout(part), **_forecast(seg)})
    records.append({"segment": TOTAL, "promotion": "", **_readout(rows),
                    **_forecast(plan.payload["totals"])})
    table = pd.DataFrame(records).reindex(columns=list(REVIEW_COLUMNS))
    table["error"] = table["forecast_lift"] - table["actual_lift"]
    table["revenue_error"] = table["forecast_revenue_lift"] - table["actual_revenue_lift"]
    inside = ((table["forecast_low"] <= table["actual_lift"])
              & (table["actual_lift"] <= table["forecast_high"]))
    known = table[["forecast_low", "forecast_high", "actual_lift"]].notna().all(axis=1)
    # Unknown (no band, or no result yet) is not "missed": keep it NA.
    table["covered"] = pd.array(np.where(known, inside, pd.NA), dtype="boolean")
    return PlanReview(plan, table, unmatched)


def forecast_ledger(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """One row per plan that has run: week, forecast vs actual total lift, error, coverage.

    The chart a review meeting opens first: is the forecast drifting, week after week?
    """
    plans = list_plans(con)
    rows = []
    for rec in plans[plans["status"].isin(["running", "closed"])].itertuples():
        review = review_plan(con, int(rec.plan_id))
        t = review.total
        if not np.isfinite(t["actual_lift"]):
            continue
        rows.append({"week": rec.week, "plan": rec.name, "plan_id": int(rec.plan_id),
                     "version": review.plan.version, "status": rec.status,
                     **{k: t[k] for k in ("treated", "control", "forecast_lift", "forecast_low",
                                          "forecast_high", "actual_lift", "lift_low",
                                          "lift_high", "error", "covered")}})
    cols = ["week", "plan", "plan_id", "version", "status", "treated", "control",
            "forecast_lift", "forecast_low", "forecast_high", "actual_lift", "lift_low",
            "lift_high", "error", "covered"]
    return pd.DataFrame(rows, columns=cols).sort_values(["week", "plan_id"], ignore_index=True)
