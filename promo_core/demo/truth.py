"""The true effect of any promotion on any demo customers, as of any date."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from promo_core import db
from promo_core.demo import calendar as cal
from promo_core.demo.effect import MECHANIC_APPEAL, expected_outcomes, kind_probabilities
from promo_core.demo.features import features_sql

TRUTH_COLUMNS = ("p_buy_control", "p_buy_treated", "revenue_control", "revenue_treated")


def true_uplift(
    con: duckdb.DuckDBPyConnection,
    promotion: Mapping[str, Any],
    customer_ids: np.ndarray | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """True expected conversion and revenue over the promotion's window, without and with it.

    ``promotion`` has the ``promotions`` columns that matter (promo_type, value,
    min_spend, duration_days, unit_cost, shipping_cost; the rest are ignored). The
    promotion is sent at midnight starting ``as_of`` (default: the day after the last
    order); features use orders before that instant, and the window is
    ``[as_of, as_of + duration_days)``. Rows follow ``customer_ids`` (all customers,
    by id, when None). Revenue is at list price, as in ``orders.revenue``.
    """
    t, duration = _check(con, promotion, as_of)
    frame, lam = _features_and_lambda(con, customer_ids, t, duration)
    truth = expected_outcomes(lam, frame["basket_mu"].to_numpy(), frame, promotion)
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy()})
    for col in TRUTH_COLUMNS:
        out[col] = truth[col]
    return out


def customer_kinds(
    con: duckdb.DuckDBPyConnection,
    promotion: Mapping[str, Any],
    customer_ids: np.ndarray | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """Per customer, the probability of being a persuadable, sure thing, lost cause or
    sleeping dog for ``promotion`` (same arguments as :func:`true_uplift`)."""
    t, duration = _check(con, promotion, as_of)
    frame, lam = _features_and_lambda(con, customer_ids, t, duration)
    out = pd.DataFrame({"customer_id": frame["customer_id"].to_numpy()})
    for kind, prob in kind_probabilities(lam, frame, promotion).items():
        out[kind] = prob
    return out


def _check(
    con: duckdb.DuckDBPyConnection, promotion: Mapping[str, Any], as_of: date | None
) -> tuple[int, int]:
    """Validate the arguments; return (exposure day index, duration in days)."""
    if db.get_meta(con, "dataset_kind") != "demo":
        raise ValueError("true_uplift needs the demo shop: only there is the truth known")
    kind = promotion.get("promo_type")
    if kind not in MECHANIC_APPEAL:
        raise ValueError(f"unknown promo_type '{kind}'; allowed: {', '.join(MECHANIC_APPEAL)}")
    duration = int(promotion.get("duration_days") or 0)
    if duration <= 0:
        raise ValueError("promotion duration_days must be a positive number of days")
    if as_of is None:
        last = date.fromisoformat(db.get_meta(con, "as_of") or cal.HISTORY_END.isoformat())
        as_of = last + timedelta(days=1)
    if isinstance(as_of, datetime):
        as_of = as_of.date()
    t = cal.day_index(as_of)
    if t + duration > cal.GRID.n_days:
        raise ValueError(f"as_of must be before {cal.GRID_END} minus the promotion's duration")
    return t, duration


def _features_and_lambda(
    con: duckdb.DuckDBPyConnection, customer_ids: np.ndarray | None, t: int, duration: int
) -> tuple[pd.DataFrame, np.ndarray]:
    frame = features_sql(con, customer_ids, t)
    lam = cal.expected_orders(
        frame["rate"].to_numpy(), frame["sale_boost"].to_numpy(),
        np.maximum(frame["active_from"].to_numpy(), t),
        np.minimum(frame["active_until"].to_numpy(), t + duration),
    )
    return frame, lam
