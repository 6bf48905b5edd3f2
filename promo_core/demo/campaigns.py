"""Past campaigns of the demo shop: schedule, audiences, and simulated responses.

Campaigns run one after another (windows never overlap each other or a site-wide
sale), so each one's features see the responses to the ones before it, exactly as
``true_uplift`` will when it reads them back from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np

from promo_core.demo import calendar as cal
from promo_core.demo.effect import (
    TOPUP_OVERSHOOT,
    TOPUP_REACH,
    expected_outcomes,
    redemption_cost,
    response_probabilities,
    threshold,
)
from promo_core.demo.features import DAY, FeatureState
from promo_core.demo.population import Orders, Population, make_orders

# (start, days, promo_type, value, min_spend, category, unit_cost, shipping_cost, channel)
SCHEDULE: tuple[tuple[Any, ...], ...] = (
    (date(2024, 1, 15), 14, "percent_off", 10.0, 0.0, None, None, None, "email"),
    (date(2024, 2, 1), 14, "free_shipping", 0.0, 0.0, None, None, 4.95, "email"),
    (date(2024, 2, 19), 14, "amount_off", 10.0, 50.0, None, None, None, "email"),
    (date(2024, 3, 7), 14, "percent_off", 20.0, 0.0, None, None, None, "email"),
    (date(2024, 3, 25), 14, "spend_threshold", 15.0, 75.0, None, None, None, "email"),
    (date(2024, 4, 11), 14, "bogo", 0.0, 0.0, "Beauty", 6.0, None, "email"),
    (date(2024, 4, 29), 21, "percent_off", 30.0, 0.0, None, None, None, "email"),
    (date(2024, 5, 23), 14, "free_gift", 0.0, 40.0, None, 5.0, None, "email"),
    (date(2024, 6, 10), 14, "amount_off", 5.0, 30.0, None, None, None, "sms"),
    (date(2024, 7, 18), 14, "percent_off", 15.0, 0.0, None, None, None, "sms"),
    (date(2024, 8, 5), 21, "spend_threshold", 25.0, 120.0, None, None, None, "email"),
    (date(2024, 8, 29), 14, "free_shipping", 0.0, 0.0, None, None, 4.95, "sms"),
    (date(2024, 9, 16), 14, "percent_off", 20.0, 0.0, None, None, None, "sms"),
    (date(2024, 10, 3), 14, "bogo", 0.0, 0.0, "Home", 9.0, None, "email"),
    (date(2024, 10, 21), 14, "spend_threshold", 10.0, 60.0, None, None, None, "email"),
    (date(2024, 12, 10), 14, "percent_off", 10.0, 0.0, None, None, None, "email"),
)
# Which campaigns become targeted (audience = best past customers) under the switch.
TARGETED = frozenset({2, 6, 10, 13})
CONTACT_COST = {"email": 0.02, "sms": 0.06}
# Per campaign, uniform in these ranges: the audience as a share of active customers,
# and its random control hold-out. Hold-outs this large are what make a per-customer
# uplift learnable from a shop of 20,000 (with 10-20 % the controls were a few hundred).
AUDIENCE_SHARE = (0.45, 0.60)
HOLD_OUT = (0.35, 0.45)


def promotion_rows(targeted_campaigns: bool) -> list[dict[str, Any]]:
    """The ``promotions`` rows of the schedule (promo_id = position + 1)."""
    rows = []
    for i, (start, days, kind, value, min_spend, category, unit_cost, ship, channel) in enumerate(
        SCHEDULE
    ):
        label = {
            "percent_off": f"{value:g}% off",
            "amount_off": f"£{value:g} off over £{min_spend:g}",
            "spend_threshold": f"Spend £{min_spend:g}, save £{value:g}",
            "bogo": f"BOGO {category}",
            "free_gift": f"Free gift over £{min_spend:g}",
            "free_shipping": "Free shipping",
        }[kind]
        rows.append({
            "promo_id": i + 1, "name": f"{start:%b %Y} · {label}", "promo_type": kind,
            "value": value, "min_spend": min_spend, "channel": channel, "duration_days": days,
            "cost_per_contact": CONTACT_COST[channel],
            "fixed_cost": 500.0 if kind == "bogo" else 250.0,
            "category": category, "unit_cost": unit_cost, "shipping_cost": ship,
            "start_date": start, "is_targeted": targeted_campaigns and i in TARGETED,
        })
    for (start, days, *_), next_row in zip(SCHEDULE, SCHEDULE[1:], strict=False):
        if cal.day_index(start) + days > cal.day_index(next_row[0]):
            raise AssertionError("campaign windows overlap")
    return rows


@dataclass
class Exposed:
    cust: np.ndarray
    is_control: np.ndarray
    truth: dict[str, np.ndarray]


def choose_audience(
    feats: dict[str, np.ndarray], signup_day: np.ndarray, t: int, targeted: bool,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """(customer positions, is_control) of one campaign, sorted by customer."""
    active = np.flatnonzero((feats["frequency_365"] > 0) & (signup_day < t))
    share, hold_out = rng.uniform(*AUDIENCE_SHARE), rng.uniform(*HOLD_OUT)
    if not targeted:
        chosen = active[rng.random(len(active)) < share]
        return chosen, rng.random(len(chosen)) < hold_out
    # Targeted: the best recent customers get it; the control is a random draw from
    # all active customers, as a shop without an experiment culture would compare.
    score = (
        np.log1p(feats["frequency_365"][active])
        + 0.3 * np.log1p(feats["monetary_365"][active])
        + 0.3 * rng.standard_normal(len(active))
    )
    n_treat = int(share * (1 - hold_out) * len(active))
    order = np.argsort(-score, kind="stable")
    treated, rest = active[order[:n_treat]], active[order[n_treat:]]
    control = rest[rng.random(len(rest)) < share * hold_out * len(active) / max(len(rest), 1)]
    cust = np.concatenate([treated, control])
    is_control = np.concatenate([np.zeros(len(treated), bool), np.ones(len(control), bool)])
    sort = np.argsort(cust, kind="stable")
    return cust[sort], is_control[sort]


def run_campaign(
    pop: Population, parts: list[Orders], state: FeatureState, promo: dict[str, Any],
    rng: np.random.Generator,
) -> Exposed:
    """Expose an audience to ``promo``, compute its truth, and apply responses.

    ``parts`` are order arrays sorted by time (baseline first, then one per earlier
    campaign); they are changed in place and the campaign's response orders appended.
    """
    t = cal.day_index(promo["start_date"])
    end = t + int(promo["duration_days"])
    feats = state.advance(parts, t)
    cust, is_control = choose_audience(feats, pop.signup_day, t, promo["is_targeted"], rng)
    sub = {k: v[cust] for k, v in feats.items()}
    lam = cal.expected_orders(
        pop.rate[cust], pop.sale_boost[cust],
        np.maximum(pop.active_from[cust], t), np.minimum(pop.active_until[cust], end),
    )
    truth = expected_outcomes(lam, pop.basket_mu[cust], sub, promo)

    u_sub, n_sub, rho_sub = response_probabilities(sub, promo)
    u, n, rho = (np.zeros(pop.n) for _ in range(3))
    u[cust], n[cust], rho[cust] = u_sub, n_sub, rho_sub
    is_treated = np.zeros(pop.n, dtype=bool)
    is_treated[cust[~is_control]] = True

    windows = [_window(o, t, end, is_treated) for o in parts]
    had_order = np.zeros(pop.n, dtype=bool)
    for o, idx in zip(parts, windows, strict=True):
        had_order[o.cust[idx]] = True
    put_off = is_treated & (rng.random(pop.n) < n)
    for o, idx in zip(parts, windows, strict=True):
        o.keep[idx[put_off[o.cust[idx]]]] = False
    persuaded = np.flatnonzero(is_treated & ~had_order & (rng.random(pop.n) < u))
    # Responses come early in the window, as after a real e-mail.
    resp_day = t + np.floor((end - t) * rng.random(len(persuaded)) ** 1.5).astype(np.int64)
    response = make_orders(pop, persuaded, resp_day, rng)
    parts.append(response)
    windows = [_window(o, t, end, is_treated) for o in parts]

    # Top-ups and redemptions act on all of the treated customers' window orders at once.
    cat = Orders.concat([o.take(idx) for o, idx in zip(parts, windows, strict=True)])
    x = threshold(promo)
    if x > 0:
        reach = (cat.revenue >= TOPUP_REACH * x) & (cat.revenue < x)
        topped = reach & (rng.random(len(cat.revenue)) < rho[cat.cust])
        new = np.round(x * (1 + TOPUP_OVERSHOOT * rng.random(len(cat.revenue))), 2)
        cat.revenue[topped] = np.maximum(new[topped], x)
    eligible = np.flatnonzero(cat.revenue >= x)
    # One redemption per customer: the first eligible order in the window.
    eligible = eligible[np.lexsort((cat.ts[eligible], cat.cust[eligible]))]
    starts = np.r_[True, cat.cust[eligible][1:] != cat.cust[eligible][:-1]]
    first = eligible[starts[: len(eligible)]]
    cat.promo[first] = promo["promo_id"]
    # A reward never exceeds the basket it is given on (a £9 free item on an £8 basket).
    cat.discount[first] = np.minimum(redemption_cost(promo, cat.revenue[first]),
                                     cat.revenue[first])
    offset = 0
    for o, idx in zip(parts, windows, strict=True):
        piece = slice(offset, offset + len(idx))
        o.revenue[idx], o.discount[idx], o.promo[idx] = (
            cat.revenue[piece], cat.discount[piece], cat.promo[piece]
        )
        offset += len(idx)
    return Exposed(cust=cust, is_control=is_control, truth=truth)


def _window(o: Orders, t: int, end: int, is_treated: np.ndarray) -> np.ndarray:
    """Positions of kept orders of treated customers in days [t, end)."""
    lo, hi = np.searchsorted(o.ts, [t * DAY, end * DAY])
    idx = np.arange(lo, hi)
    return idx[o.keep[lo:hi] & is_treated[o.cust[lo:hi]]]
