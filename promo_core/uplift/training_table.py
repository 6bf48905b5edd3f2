"""Training tables: one row per past exposure, features as of the exposure moment.

Each row carries
- the customer's profile features from :func:`promo_core.profiles.compute_profiles_for_pairs`
  with ``as_of = exposed_at`` (orders strictly before that moment; nothing later);
- the promotion's attributes (:data:`PROMO_NUMERIC` plus one-hot type / channel /
  category columns), all zero on control rows, and ``treated`` (1/0);
- outcomes in the response window ``[exposed_at, exposed_at + duration_days)``:
  ``converted``, ``revenue`` (list price), ``margin`` (revenue − cost of goods),
  ``discount_paid`` (kept apart so the scenario economics count it once) and
  ``visited``. Where the exposure row carries observed outcomes (Hillstrom), those
  are used as they are and ``margin`` / ``discount_paid`` stay empty.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from promo_core import db, profiles

RESPONSE_WINDOW_DAYS = profiles.RESPONSE_WINDOW_DAYS
OUTCOMES = ("converted", "visited", "revenue", "margin", "discount_paid")
BINARY_OUTCOMES = ("converted", "visited")
# Depth columns: the S-learner is monotone (+1) in these for conversion outcomes.
DEPTH_COLUMNS = ("promo_pct_off", "promo_amount_off")
PROMO_NUMERIC = (*DEPTH_COLUMNS, "promo_min_spend", "promo_duration_days",
                 "promo_cost_per_contact")
FEATURE_DECIMALS = 9  # float features are rounded so that retraining is reproducible
CONTROL_ARM = 0  # value of ``arm`` on control rows; promo ids are the arms otherwise
KEY_COLUMNS = ("promo_id", "customer_id", "exposed_at", "arm", "treated")

_EXPOSURE_SQL = f"""
WITH e AS (
    SELECT e.promo_id, e.customer_id, e.exposed_at, coalesce(e.is_control, false) AS is_control,
           e.converted AS obs_converted, e.revenue AS obs_revenue, e.visited AS obs_visited,
           e.exposed_at + to_days(coalesce(p.duration_days, {RESPONSE_WINDOW_DAYS})) AS window_end
    FROM exposures e JOIN promotions p USING (promo_id)
    WHERE ($all_promos OR list_contains($promo_ids, e.promo_id))
      -- only exposures whose response window had closed by the as-of moment
      AND ($as_of IS NULL OR e.exposed_at + to_days(coalesce(p.duration_days,
           {RESPONSE_WINDOW_DAYS})) <= CAST($as_of AS TIMESTAMP))
),
o AS (
    -- a range join; DuckDB plans it as one pass over orders, no per-exposure query
    SELECT e.promo_id, e.customer_id, e.exposed_at, count(*) AS n_orders,
           sum(o.revenue) AS revenue, sum(o.revenue - o.cost_of_goods) AS margin,
           sum(coalesce(o.discount, 0)) AS discount_paid
    FROM e JOIN orders o ON o.customer_id = e.customer_id
      AND o.order_ts >= e.exposed_at AND o.order_ts < e.window_end
    GROUP BY ALL
)
SELECT e.promo_id, e.customer_id, e.exposed_at, e.is_control,
    CASE WHEN e.obs_converted IS NOT NULL OR e.obs_revenue IS NOT NULL
              OR e.obs_visited IS NOT NULL THEN true ELSE false END AS observed,
    coalesce(e.obs_converted::INT, (coalesce(o.n_orders, 0) > 0)::INT) AS converted,
    coalesce(e.obs_visited::INT, e.obs_converted::INT,
             (coalesce(o.n_orders, 0) > 0)::INT) AS visited,
    coalesce(e.obs_revenue, o.revenue, 0.0) AS revenue,
    CASE WHEN e.obs_revenue IS NULL AND e.obs_converted IS NULL
         THEN coalesce(o.margin, 0.0) END AS margin,
    CASE WHEN e.obs_revenue IS NULL AND e.obs_converted IS NULL
         THEN coalesce(o.discount_paid, 0.0) END AS discount_paid
FROM e LEFT JOIN o USING (promo_id, customer_id, exposed_at)
"""


@dataclass
class TrainingTable:
    """A training table and what its columns are.

    ``frame`` has :data:`KEY_COLUMNS`, ``feature_columns``, ``promotion_columns`` and the
    outcome columns; ``promotions`` is the ``promotions`` table rows used.
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    promotion_columns: list[str]
    outcomes: list[str]
    promotions: pd.DataFrame
    categories: dict[str, list[str]] = field(default_factory=dict)

    def arms(self) -> list[int]:
        """Promo ids that have treated rows."""
        return sorted(int(a) for a in self.frame.loc[self.frame.treated == 1, "arm"].unique())

    def promotion(self, promo_id: int) -> dict:
        """A promotion's row as a dict (the shape ``predict_uplift`` takes)."""
        row = self.promotions.loc[self.promotions.promo_id == promo_id]
        if row.empty:
            raise ValueError(f"promotion {promo_id} is not in this training table")
        return row.iloc[0].to_dict()


def build_training_table(con: duckdb.DuckDBPyConnection,
                         promo_ids: Sequence[int] | None = None,
                         as_of: date | None = None) -> TrainingTable:
    """One row per exposure of ``promo_ids`` (all promotions when None).

    With ``as_of``, only exposures whose response window had closed by then.
    """
    cur = con.cursor()
    ids = [int(p) for p in promo_ids] if promo_ids else []
    expo = cur.execute(_EXPOSURE_SQL, {"all_promos": not ids, "promo_ids": ids,
                                       "as_of": as_of}).df()
    if expo.empty:
        raise ValueError("no exposures for the chosen promotions (with a response window "
                         "closed by the as-of date): nothing to train on")
    promos = cur.execute("SELECT * FROM promotions WHERE list_contains(?, promo_id) "
                         "ORDER BY promo_id", [sorted(expo.promo_id.unique().tolist())]).df()
    pairs = expo[["customer_id", "exposed_at"]].drop_duplicates().rename(
        columns={"exposed_at": "as_of"})
    feats = profiles.compute_profiles_for_pairs(con, pairs)
    feats = feats.rename(columns={"as_of": "exposed_at"})
    # Customers unknown at the exposure moment get no profile row: they are dropped here.
    frame = expo.merge(feats, on=["customer_id", "exposed_at"], how="inner")
    # SQL results come back in no fixed order; sort so a retrain gives the same numbers.
    frame = frame.sort_values(["promo_id", "customer_id", "exposed_at"], kind="mergesort")
    if frame.empty:
        raise ValueError("no exposure has a customer profile as of its date (are signup "
                         "dates or earlier orders missing?)")
    feature_columns = [c for c in feats.columns if c not in ("customer_id", "exposed_at")]
    promo_frame, promo_cols = promotion_features(frame.promo_id, promos)
    frame = pd.concat([frame.reset_index(drop=True), promo_frame.reset_index(drop=True)], axis=1)
    frame["treated"] = (~frame.is_control).astype(np.int8)
    frame["arm"] = np.where(frame.treated == 1, frame.promo_id, CONTROL_ARM).astype(np.int64)
    frame.loc[frame.treated == 0, promo_cols] = 0.0
    categories = {}
    for col in feature_columns:
        if pd.api.types.is_float_dtype(frame[col]):
            # DuckDB's parallel sums differ in the last bits from run to run; LightGBM's
            # bin edges would follow them and a retrain would give other numbers.
            frame[col] = frame[col].round(FEATURE_DECIMALS)
        if frame[col].dtype == object or isinstance(frame[col].dtype, pd.StringDtype):
            cats = sorted(frame[col].dropna().astype(str).unique().tolist())
            frame[col] = pd.Categorical(frame[col], categories=cats)
            categories[col] = cats
    outcomes = [o for o in OUTCOMES if frame[o].notna().any()]
    if frame.observed.all() and frame.visited.equals(frame.converted):
        outcomes.remove("visited")  # nothing observed about visits beyond conversion
    frame = frame.drop(columns=["is_control", "observed"])
    return TrainingTable(frame, feature_columns, promo_cols, outcomes, promos, categories)


def promotion_features(promo_id: pd.Series, promos: pd.DataFrame,
                       columns: list[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """The S-learner's promotion attributes for each row's ``promo_id``.

    ``columns`` fixes the one-hot columns (a fitted model's); otherwise they come from
    the promotions present.
    """
    p = promos.set_index("promo_id")
    attrs = promotion_attributes(p.reset_index().to_dict("records"), columns)
    attrs.index = p.index
    out = attrs.reindex(promo_id.to_numpy())
    return out.reset_index(drop=True), list(attrs.columns)


def promotion_attributes(promotions: list[dict], columns: list[str] | None = None
                         ) -> pd.DataFrame:
    """Attributes of promotion dicts (keys as in the ``promotions`` table).

    Depth is split by mechanic: ``promo_pct_off`` (fraction, percent_off) and
    ``promo_amount_off`` (currency, amount_off and spend_threshold), so that one
    monotone constraint means "deeper never lowers buying" for both.
    """
    df = pd.DataFrame(promotions)
    for col in ("promo_type", "value", "min_spend", "duration_days", "cost_per_contact",
                "channel", "category"):
        if col not in df:
            df[col] = None
    ptype = df.promo_type.astype(str)
    unknown = set(ptype) - set(db.PROMO_TYPES)
    if unknown:
        raise ValueError(f"unknown promo_type {sorted(unknown)}; allowed: "
                         f"{', '.join(db.PROMO_TYPES)}")
    value = pd.to_numeric(df.value, errors="coerce").fillna(0.0)
    out = pd.DataFrame({
        "promo_pct_off": np.where(ptype == "percent_off", value, 0.0),
        "promo_amount_off": np.where(ptype.isin(["amount_off", "spend_threshold"]), value, 0.0),
        "promo_min_spend": pd.to_numeric(df.min_spend, errors="coerce").fillna(0.0),
        "promo_duration_days": pd.to_numeric(df.duration_days, errors="coerce")
        .fillna(RESPONSE_WINDOW_DAYS),
        "promo_cost_per_contact": pd.to_numeric(df.cost_per_contact, errors="coerce")
        .fillna(0.0),
    })
    for prefix, col in (("promo_type_", ptype), ("promo_channel_", df.channel),
                        ("promo_category_", df.category)):
        for value_ in sorted(col.dropna().astype(str).unique()):
            out[profiles.slug(value_, prefix)] = (col.astype(str) == value_).astype(float)
    out = out.astype(float)
    if columns is not None:
        out = out.reindex(columns=columns, fill_value=0.0)
    return out


def select_arms(table: TrainingTable, arms: Sequence[int]) -> pd.DataFrame:
    """Treated rows of ``arms`` and their shared control group.

    The control group is the control rows of those promotions; where they have none
    (a data set that files its hold-out under its own promotion, as Hillstrom's
    "No E-Mail" can be), control rows exposed on the same dates are used.
    """
    f = table.frame
    arms = [int(a) for a in arms]
    missing = sorted(set(arms) - set(table.arms()))
    if missing:
        raise ValueError(f"promotions {missing} have no treated exposures; "
                         f"arms available: {table.arms()}")
    treated = f[(f.treated == 1) & f.arm.isin(arms)]
    control = f[(f.treated == 0) & f.promo_id.isin(arms)]
    if control.empty:
        dates = treated.exposed_at.dt.normalize().unique()
        control = f[(f.treated == 0) & f.exposed_at.dt.normalize().isin(dates)]
    if control.empty:
        raise ValueError("these promotions have no control group: a treated-minus-control "
                         "uplift cannot be estimated")
    control = control.drop_duplicates(["customer_id", "exposed_at"])
    return pd.concat([treated, control], ignore_index=True)


def stratified_split(rows: pd.DataFrame, outcome: str, test_size: float = 0.3,
                     seed: int = 0) -> np.ndarray:
    """Boolean mask of test rows: held-out *customers*, stratified on arm × (outcome > 0).

    A customer's exposures all land on the same side, so no customer is scored on
    rows the model saw.
    """
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    cust = rows.groupby("customer_id", sort=True).agg(
        arm=("arm", "first"), y=(outcome, lambda s: bool((s.fillna(0) > 0).any())))
    rng = np.random.default_rng(seed)
    cust["u"] = rng.random(len(cust))
    rank = cust.groupby(["arm", "y"])["u"].rank(pct=True, method="first")
    test_customers = cust.index[rank <= test_size]
    return rows.customer_id.isin(test_customers).to_numpy()
