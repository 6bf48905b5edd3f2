r"""The demo shop's true promotion effect: the one place the ground truth is defined.

Everything here is a vectorised function of numpy arrays, so the generator, the
stored ``demo_truth`` and :func:`promo_core.demo.true_uplift` all use the same code.

Observable features (``UPLIFT_DRIVERS``), computed as of the exposure date ``t``
from ``orders`` with ``order_ts < t`` and from ``customers``:

- ``recency_days`` *R*: days from the last order to ``t`` (to ``signup_date`` if none);
- ``discount_share`` *DS*: sum(discount) / sum(revenue) over past orders (0 if none);
- ``avg_order_value`` *AOV*: sum(revenue) / count(orders) (``DEFAULT_AOV`` if none);
- ``tenure_days`` *T*: days from ``signup_date`` to ``t``;
- ``age_band`` *A*: a ``customers`` column.

Promotion attributes: ``promo_type``, ``value`` (percent_off: percentage points,
20 means 20 % off; amount_off / spend_threshold: money off), ``min_spend`` (the
"spend X" of thresholds), ``unit_cost`` (bogo / free_gift item cost),
``shipping_cost`` (free_shipping). ``channel`` and ``category`` have no effect.

**Conversion.** A customer who would buy anyway is put off with probability *n*;
one who would not buy is persuaded with probability *u*::

    h      = DS / (DS + 0.05)                                  saturating, non-linear
    bump   = exp(-0.5 * ((ln(1 + R) - ln 121) / 0.7)**2)       win-back hump at ~4 months
    g(e)   = 1 - exp(-e / 0.15)                                diminishing returns in depth
    u      = min(0.6, a_m * g(e) * (0.004 + 0.5 * h**3 * w_age[A] + 0.03 * bump))
    n      = 0.40 * max(0, 1 - DS / 0.05)**2 * sigmoid((T - 900) / 120) * [A in 55-64, 65+]
    w_age  = 1.6, 1.3, 0.9, 0.6, 0.35, 0.2   for 18-24, 25-34, 35-44, 45-54, 55-64, 65+

``h**3 * w_age`` is the interaction, and it concentrates the persuadables: at 20 %
off, customers aged 18-34 with DS above 0.06 (about a tenth of an audience) gain
6-20 points of conversion, while half of all customers gain under 2. *n* makes
long-standing older full-price customers sleeping dogs. The effective depth *e* and
mechanic appeal *a_m* are::

    percent_off      e = value / 100                          a = 1.0
    amount_off       e = value / max(AOV, min_spend)          a = 1.0
    spend_threshold  e = value / max(AOV, min_spend)          a = 0.9
    bogo             e = 0.25                                 a = 0.8
    free_gift        e = 2 * unit_cost / max(AOV, min_spend)  a = 0.7
    free_shipping    e = shipping_cost / AOV                  a = 1.1
    informational    e = 0                                    a = 0   (only n acts)

**Baseline** (what the models must *not* confuse with uplift) comes from latent
traits in ``demo_traits``: orders arrive as a Poisson process at ``rate`` orders a
year times the calendar's seasonality (sale days times ``1 + sale_boost``), while
the customer is active (``active_from`` ≤ day < ``active_until``). Over the response
window Λ is the expected number of orders and::

    p0 = 1 - exp(-Λ)                 p1 = (1 - n) * p0 + u * (1 - p0)

**Revenue** (sum of ``orders.revenue`` at list price over the window). Baskets are
lognormal(μ = ``basket_mu``, σ = ``BASKET_SIGMA``), mean m = exp(μ + σ²/2). With a
spend threshold X (spend_threshold, and amount_off / free_gift with min_spend > 0),
a treated basket in [0.6 X, X) is topped up to X·(1 + 0.1·V), V ~ U(0, 1), with
probability ρ = 0.15 + 0.35 * h, adding G = ρ·E[(1.05 X − B)·1{0.6 X ≤ B < X}]::

    revenue_control = Λ * m
    revenue_treated = ((1 - n) * Λ + u * (1 - p0)) * (m + G)

A persuaded customer places exactly one extra order; a put-off one places none in
the window. The shop's redemption cost (``orders.discount``) follows DESIGN.md and
is charged on the first eligible order of each treated buyer in the window, capped
at that order's revenue.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy.special import ndtr

UPLIFT_DRIVERS = ("recency_days", "discount_share", "avg_order_value", "tenure_days", "age_band")
# Observable, but the effect ignores them (they may still predict the baseline).
NON_DRIVERS = ("region", "acquisition_channel", "loyalty_tier", "frequency_365", "monetary_365")

AGE_BANDS = ("18-24", "25-34", "35-44", "45-54", "55-64", "65+")
AGE_WEIGHT = dict(zip(AGE_BANDS, (1.6, 1.3, 0.9, 0.6, 0.35, 0.2), strict=True))
SLEEPING_AGES = ("55-64", "65+")
MECHANIC_APPEAL = {
    "percent_off": 1.0,
    "amount_off": 1.0,
    "spend_threshold": 0.9,
    "bogo": 0.8,
    "free_gift": 0.7,
    "free_shipping": 1.1,
    "informational": 0.0,
}
DEFAULT_AOV = 45.0
BASKET_SIGMA = 0.5
DEPTH_SCALE = 0.15
U_MAX = 0.6
U_BASE, U_HUNTER, U_WINBACK = 0.004, 0.5, 0.03  # the three terms of u
TOPUP_REACH = 0.6  # baskets from 60 % of the threshold upwards may be topped up
TOPUP_OVERSHOOT = 0.1  # topped-up baskets land uniformly in [X, 1.1 X]


def _num(promo: Mapping[str, Any], key: str) -> float:
    value = promo.get(key)
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return 0.0
    return float(value)


def effective_depth(promo: Mapping[str, Any], aov: np.ndarray) -> np.ndarray:
    """The promotion's perceived depth e per customer (a fraction of a basket)."""
    kind = promo["promo_type"]
    value, min_spend = _num(promo, "value"), _num(promo, "min_spend")
    aov = np.asarray(aov, dtype=float)
    spend = np.maximum(aov, min_spend)
    if kind == "percent_off":
        return np.full(aov.shape, value / 100.0)
    if kind in ("amount_off", "spend_threshold"):
        return value / spend
    if kind == "bogo":
        return np.full(aov.shape, 0.25)
    if kind == "free_gift":
        return 2.0 * _num(promo, "unit_cost") / spend
    if kind == "free_shipping":
        return _num(promo, "shipping_cost") / aov
    if kind == "informational":
        return np.zeros(aov.shape)
    raise ValueError(f"unknown promo_type '{kind}'; allowed: {', '.join(MECHANIC_APPEAL)}")


def threshold(promo: Mapping[str, Any]) -> float:
    """The spend X a basket must reach to redeem (0 when the mechanic has none)."""
    if promo["promo_type"] in ("spend_threshold", "amount_off", "free_gift"):
        return _num(promo, "min_spend")
    return 0.0


def response_probabilities(
    features: Mapping[str, np.ndarray], promo: Mapping[str, Any]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(u, n, rho): persuade, put-off and top-up probabilities per customer."""
    ds = np.asarray(features["discount_share"], dtype=float)
    recency = np.asarray(features["recency_days"], dtype=float)
    tenure = np.asarray(features["tenure_days"], dtype=float)
    age = np.asarray(features["age_band"]).astype(str)
    h = ds / (ds + 0.05)
    w_age = np.select([age == a for a in AGE_BANDS], list(AGE_WEIGHT.values()), 1.0)
    bump = np.exp(-0.5 * ((np.log1p(np.maximum(recency, 0.0)) - np.log(121.0)) / 0.7) ** 2)
    depth = effective_depth(promo, features["avg_order_value"])
    g = 1.0 - np.exp(-depth / DEPTH_SCALE)
    appeal = MECHANIC_APPEAL[promo["promo_type"]]
    u = np.minimum(U_MAX, appeal * g * (U_BASE + U_HUNTER * h**3 * w_age + U_WINBACK * bump))
    older = np.isin(age, SLEEPING_AGES)
    full_price = np.maximum(0.0, 1.0 - ds / 0.05) ** 2
    n = 0.40 * full_price * older / (1.0 + np.exp(-(tenure - 900.0) / 120.0))
    rho = 0.15 + 0.35 * h
    return u, n, rho


def basket_mean(basket_mu: np.ndarray) -> np.ndarray:
    return np.exp(np.asarray(basket_mu, dtype=float) + BASKET_SIGMA**2 / 2)


def topup_gain(basket_mu: np.ndarray, x: float) -> np.ndarray:
    """E[(1.05 X − B) · 1{0.6 X ≤ B < X}] for B lognormal(basket_mu, BASKET_SIGMA)."""
    mu = np.asarray(basket_mu, dtype=float)
    if x <= 0:
        return np.zeros(mu.shape)
    s = BASKET_SIGMA
    za = (np.log(TOPUP_REACH * x) - mu) / s
    zb = (np.log(x) - mu) / s
    prob = ndtr(zb) - ndtr(za)
    partial = basket_mean(mu) * (ndtr(zb - s) - ndtr(za - s))
    return (1.0 + TOPUP_OVERSHOOT / 2) * x * prob - partial


def expected_outcomes(
    lam: np.ndarray,
    basket_mu: np.ndarray,
    features: Mapping[str, np.ndarray],
    promo: Mapping[str, Any],
) -> dict[str, np.ndarray]:
    """True expected conversion and revenue over the window, without and with ``promo``."""
    lam = np.asarray(lam, dtype=float)
    u, n, rho = response_probabilities(features, promo)
    p0 = -np.expm1(-lam)
    m = basket_mean(basket_mu)
    m_treated = m + rho * topup_gain(basket_mu, threshold(promo))
    return {
        "p_buy_control": p0,
        "p_buy_treated": (1.0 - n) * p0 + u * (1.0 - p0),
        "revenue_control": lam * m,
        "revenue_treated": ((1.0 - n) * lam + u * (1.0 - p0)) * m_treated,
    }


def kind_probabilities(
    lam: np.ndarray, features: Mapping[str, np.ndarray], promo: Mapping[str, Any]
) -> dict[str, np.ndarray]:
    """Probability that each customer is each of the four kinds for ``promo``.

    With p0 = 1 - exp(-Λ): persuadable u(1 - p0), sure thing (1 - n) p0, lost cause
    (1 - u)(1 - p0), sleeping dog n p0 (they sum to 1 per customer).
    """
    u, n, _ = response_probabilities(features, promo)
    p0 = -np.expm1(-np.asarray(lam, dtype=float))
    return {
        "persuadable": u * (1 - p0),
        "sure_thing": (1 - n) * p0,
        "lost_cause": (1 - u) * (1 - p0),
        "sleeping_dog": n * p0,
    }


def redemption_cost(promo: Mapping[str, Any], basket: np.ndarray) -> np.ndarray:
    """What the shop gives on a redeeming basket (DESIGN.md, promotion economics)."""
    kind = promo["promo_type"]
    basket = np.asarray(basket, dtype=float)
    value = _num(promo, "value")
    if kind == "percent_off":
        return np.round(basket * value / 100.0, 2)
    if kind in ("amount_off", "spend_threshold"):
        return np.full(basket.shape, value)
    if kind in ("bogo", "free_gift"):
        return np.full(basket.shape, _num(promo, "unit_cost"))
    if kind == "free_shipping":
        return np.full(basket.shape, _num(promo, "shipping_cost"))
    return np.zeros(basket.shape)
