"""Mechanic-aware promotion economics per customer (DESIGN.md, "Promotion economics").

Every formula is written once, here, as a vectorised function of numpy arrays. The
arrays may be 1-D (customers) or 2-D (model members × customers): numpy broadcasting
gives the band for free.

Inputs per targeted customer
- ``p0`` / ``p1``: probability of buying in the promotion window without / with it;
- ``b0`` / ``b1``: expected basket value (revenue at **list price**) given a purchase;
- ``m``: gross margin rate (revenue at list price − cost of goods) / revenue;
- the promotion's mechanic and costs (``promotions`` columns).

Per customer (all expectations)::

    incremental conversions  = p1 − p0
    incremental revenue      = p1·b1 − p0·b0
    incremental gross margin = m · (p1·b1 − p0·b0)         discount NOT subtracted here
    redemption cost          = p1 · q1 · R(b1)             paid on EVERY redeeming basket
    sure-thing subsidy       = min(p0, p1) · q0 · R(b0)    part of the above: paid to
                                                           buyers who would have bought
                                                           (and qualified) anyway
    promotion cost           = redemption cost + cost per contact
    net incremental profit   = incremental gross margin − promotion cost

and for a plan: totals over targets, minus the fixed cost once; ``ROI = net / cost``.

``R`` is what the shop gives on one redeeming basket and ``q`` the share of baskets
that qualify:

=================  =====================================  =========================
mechanic           R (per redeeming basket)               q (basket qualifies)
=================  =====================================  =========================
percent_off d      d × basket value                       1
amount_off v, s    v                                      P(basket ≥ s)
spend_threshold    Y ("spend X save Y": value, min_spend)  P(basket ≥ X)
bogo               unit cost of the free item             1
free_gift          gift unit cost                         P(basket ≥ threshold)
free_shipping      shipping cost per order                1
informational      0                                      —
=================  =====================================  =========================

Baskets are taken as lognormal with mean ``b`` and log-sd ``basket_sigma`` (estimated
from the shop's orders by :func:`estimate_basket_sigma`), so
``q = P(B ≥ X) = 1 − Φ((ln X − ln b + σ²/2) / σ)``. A threshold therefore costs Y on
baskets that were above X anyway (``q0``), and the basket shift ``b1 − b0`` pushes
some buyers over it (``pushed_over = min(p0, p1)·(q1 − q0)``).

Simplification, stated: one redeeming basket per buyer in the window (the demo shop
redeems on the first eligible order), and ``b`` is that basket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
from scipy.special import ndtr

from promo_core.db import PROMO_TYPES

DEFAULT_BASKET_SIGMA = 0.5
THRESHOLD_TYPES = ("amount_off", "spend_threshold", "free_gift")
CUSTOMER_COLUMNS = (
    "inc_conversions", "inc_revenue", "inc_margin", "redemption_cost", "sure_thing_cost",
    "contact_cost", "promotion_cost", "net_profit", "pushed_over", "basket_shift",
)


def _num(promotion: Mapping[str, Any], key: str) -> float:
    value = promotion.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0.0
    return float(value)


def qualify_share(basket: np.ndarray, threshold: float, sigma: float) -> np.ndarray:
    """P(B ≥ threshold) for B lognormal with mean ``basket`` and log-sd ``sigma``."""
    basket = np.asarray(basket, dtype=float)
    if threshold <= 0:
        return np.ones_like(basket)
    with np.errstate(divide="ignore", invalid="ignore"):
        z = (np.log(threshold) - np.log(np.maximum(basket, 1e-12)) + sigma**2 / 2) / sigma
    return 1.0 - ndtr(z)


def promotion_threshold(promotion: Mapping[str, Any]) -> float:
    """The basket value that must be reached to redeem (0: every basket redeems)."""
    if promotion.get("promo_type") in THRESHOLD_TYPES:
        return _num(promotion, "min_spend")
    return 0.0


def reward_per_basket(promotion: Mapping[str, Any], basket: np.ndarray) -> np.ndarray:
    """R: what the shop gives on one redeeming basket of value ``basket`` (list price)."""
    kind = promotion.get("promo_type")
    basket = np.asarray(basket, dtype=float)
    if kind == "percent_off":
        return basket * _num(promotion, "value") / 100.0
    if kind in ("amount_off", "spend_threshold"):
        return np.full_like(basket, _num(promotion, "value"))
    if kind in ("bogo", "free_gift"):
        return np.full_like(basket, _num(promotion, "unit_cost"))
    if kind == "free_shipping":
        return np.full_like(basket, _num(promotion, "shipping_cost"))
    if kind == "informational":
        return np.zeros_like(basket)
    raise ValueError(f"unknown promo_type '{kind}'; allowed: {', '.join(PROMO_TYPES)}")


def customer_economics(
    p0: np.ndarray, p1: np.ndarray, b0: np.ndarray, b1: np.ndarray,
    promotion: Mapping[str, Any], margin_rate: float | np.ndarray,
    basket_sigma: float = DEFAULT_BASKET_SIGMA,
) -> dict[str, np.ndarray]:
    """Expected economics of sending ``promotion`` to each customer (module docstring).

    Returns arrays named by :data:`CUSTOMER_COLUMNS`, shaped like the inputs. The
    fixed cost is a plan-level cost and is not spread over customers here.
    """
    p0, p1 = np.asarray(p0, dtype=float), np.asarray(p1, dtype=float)
    b0, b1 = np.asarray(b0, dtype=float), np.asarray(b1, dtype=float)
    x = promotion_threshold(promotion)
    q0, q1 = qualify_share(b0, x, basket_sigma), qualify_share(b1, x, basket_sigma)
    sure = np.minimum(p0, p1)
    inc_revenue = p1 * b1 - p0 * b0
    inc_margin = margin_rate * inc_revenue
    redemption = p1 * q1 * reward_per_basket(promotion, b1)
    contact = np.full_like(inc_margin, _num(promotion, "cost_per_contact"))
    cost = redemption + contact
    return {
        "inc_conversions": p1 - p0,
        "inc_revenue": inc_revenue,
        "inc_margin": inc_margin,
        "redemption_cost": redemption,
        "sure_thing_cost": sure * q0 * reward_per_basket(promotion, b0),
        "contact_cost": contact,
        "promotion_cost": cost,
        "net_profit": inc_margin - cost,
        "pushed_over": sure * np.clip(q1 - q0, 0.0, None) if x > 0 else np.zeros_like(p0),
        "basket_shift": b1 - b0,
    }


def margin_after_reward(b1: np.ndarray, promotion: Mapping[str, Any],
                        margin_rate: float | np.ndarray) -> np.ndarray:
    """Gross margin rate left on a redeeming basket once the reward is paid."""
    b1 = np.asarray(b1, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(b1 > 0, (margin_rate * b1 - reward_per_basket(promotion, b1)) / b1,
                        np.nan)


def plan_totals(sums: Mapping[str, float], fixed_cost: float, contacts: float) -> dict[str, float]:
    """Plan-level figures from per-customer sums: add the fixed cost once, ROI, break-even.

    ``break_even_contact_cost`` is the cost per contact at which net profit would be 0
    (net is linear in it); ``roi`` is NaN when the promotion costs nothing.
    """
    cost = float(sums["promotion_cost"]) + (fixed_cost if contacts > 0 else 0.0)
    net = float(sums["inc_margin"]) - cost
    contact_cost = float(sums["contact_cost"])
    out = {k: float(sums[k]) for k in CUSTOMER_COLUMNS if k in sums}
    out.update(contacts=float(contacts), fixed_cost=fixed_cost if contacts > 0 else 0.0,
               promotion_cost=cost, net_profit=net,
               roi=net / cost if cost > 0 else float("nan"))
    out["break_even_contact_cost"] = (
        (contact_cost + net) / contacts if contacts > 0 else float("nan"))
    return out


def estimate_margin_rate(con: duckdb.DuckDBPyConnection, as_of: Any = None) -> float:
    """Gross margin rate of past orders: (revenue − cost of goods) / revenue, list price.

    Orders without a cost of goods are left out (their margin is unknown); with none
    at all, 0.4 is assumed, which the page states.
    """
    row = con.cursor().execute(
        "SELECT sum(revenue - cost_of_goods) / nullif(sum(revenue), 0) FROM orders "
        "WHERE cost_of_goods IS NOT NULL AND revenue > 0 "
        "AND ($as_of IS NULL OR order_ts < CAST($as_of AS TIMESTAMP))", {"as_of": as_of},
    ).fetchone()
    return float(row[0]) if row and row[0] is not None else 0.4


def estimate_basket_sigma(con: duckdb.DuckDBPyConnection, as_of: Any = None) -> float:
    """Log-sd of a customer's basket around their own mean (pooled over customers).

    Measured within customers so that differences *between* customers (which the
    model's ``b`` already carries) do not widen the threshold spread.
    """
    row = con.cursor().execute("""
        WITH o AS (SELECT customer_id, ln(revenue) AS lr FROM orders
                   WHERE revenue > 0 AND ($as_of IS NULL
                         OR order_ts < CAST($as_of AS TIMESTAMP))),
        d AS (SELECT customer_id, lr - avg(lr) OVER (PARTITION BY customer_id) AS dev,
                     count(*) OVER (PARTITION BY customer_id) AS n FROM o)
        SELECT sqrt(sum(dev * dev) / nullif(count(*) - count(DISTINCT customer_id), 0)) FROM d
        WHERE n > 1""", {"as_of": as_of}).fetchone()
    value = row[0] if row else None
    if value is None or not np.isfinite(value) or value <= 0:
        return DEFAULT_BASKET_SIGMA
    return float(value)
