"""Customers, their latent traits, and the baseline order stream (before promotions).

Latent traits (rate, basket size, sale sensitivity, churn, category taste) go to
``demo_traits`` only; ``customers`` gets the observable profile columns.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from promo_core.demo import calendar as cal
from promo_core.demo.effect import AGE_BANDS, BASKET_SIGMA

REGIONS = ("London", "South East", "South West", "Midlands", "North", "Scotland", "Wales")
REGION_P = (0.18, 0.17, 0.12, 0.17, 0.22, 0.09, 0.05)
AGE_P = (0.12, 0.24, 0.22, 0.18, 0.14, 0.10)
CHANNELS = ("organic_search", "paid_search", "social", "email", "referral", "affiliate")
CHANNEL_P = (0.30, 0.20, 0.20, 0.10, 0.10, 0.10)
CHANNEL_RATE = np.array([1.0, 0.9, 0.8, 1.15, 1.25, 0.85])  # referrals buy most often
TIERS = ("none", "bronze", "silver", "gold")
TIER_QUANTILES = (0.50, 0.75, 0.90)
ORDER_CHANNELS = ("web", "app")

MEDIAN_RATE = 6.8  # orders a year while active; tuned to ~10 orders per customer in 2 years
RATE_SIGMA = 0.8
MEDIAN_BASKET = 40.0
SALE_BOOST_MAX = 4.0  # a fully sale-driven customer buys 5x as often on sale days
CHURNED_BEFORE = 0.2  # share of pre-history sign-ups already gone when the history starts
MEAN_LIFETIME_DAYS = 900.0
N_CATEGORIES = 8
FAVOURITE_SHARE = 0.55  # share of lines from a customer's favourite category


@dataclass
class Population:
    """Arrays indexed by customer position 0..n-1 (customer_id = position + 1)."""

    signup_day: np.ndarray
    region: np.ndarray
    age: np.ndarray
    acquisition: np.ndarray
    tier: np.ndarray
    rate: np.ndarray
    basket_mu: np.ndarray
    sale_boost: np.ndarray
    active_from: np.ndarray
    active_until: np.ndarray
    favourite: np.ndarray
    web_share: np.ndarray

    @property
    def n(self) -> int:
        return len(self.rate)


def draw_population(n: int, rng: np.random.Generator) -> Population:
    first_signup = cal.day_index(cal.HISTORY_START.replace(year=2018))
    last_signup = cal.day_index(cal.HISTORY_END) - 30
    early = rng.random(n) < 0.6
    signup = np.where(
        early,
        rng.integers(first_signup, 0, n),
        rng.integers(0, last_signup, n),
    )
    region = rng.choice(len(REGIONS), n, p=REGION_P)
    age = rng.choice(len(AGE_BANDS), n, p=AGE_P)
    acquisition = rng.choice(len(CHANNELS), n, p=CHANNEL_P)
    log_rate = np.log(MEDIAN_RATE * CHANNEL_RATE[acquisition]) + RATE_SIGMA * rng.standard_normal(n)
    rate = np.exp(log_rate)
    # The loyalty tier is a noisy, observable reflection of the latent rate.
    score = log_rate + 0.5 * rng.standard_normal(n)
    tier = np.searchsorted(np.quantile(score, TIER_QUANTILES), score)
    basket_mu = (
        np.log(MEDIAN_BASKET) + 0.06 * (age - 2) + 0.25 * rng.standard_normal(n)
    ) - BASKET_SIGMA**2 / 2
    sale_boost = SALE_BOOST_MAX * rng.beta(1.2, 2.0, n)
    active_from = np.maximum(signup, 0)
    lifetime = rng.exponential(MEAN_LIFETIME_DAYS, n).astype(np.int64) + 1
    gone = early & (rng.random(n) < CHURNED_BEFORE)
    active_until = np.where(gone, 0, active_from + lifetime)
    # Category taste shifts with age: younger customers lean to the first categories.
    base = np.array([1.6, 1.0, 1.2, 1.3, 1.1, 0.9, 0.7, 0.8])
    tilt = np.linspace(-1.0, 1.0, N_CATEGORIES)
    age_pos = np.arange(len(AGE_BANDS))[:, None] - 2.5
    probs = base[None, :] * np.exp(0.25 * tilt[None, :] * age_pos)
    cdf = np.cumsum(probs / probs.sum(1, keepdims=True), axis=1)
    favourite = (rng.random(n)[:, None] > cdf[age]).sum(1)
    web_share = rng.beta(2.0, 1.5, n)
    return Population(
        signup_day=signup, region=region, age=age, acquisition=acquisition, tier=tier,
        rate=rate, basket_mu=basket_mu, sale_boost=sale_boost, active_from=active_from,
        active_until=active_until, favourite=np.minimum(favourite, N_CATEGORIES - 1),
        web_share=web_share,
    )


def draw_baskets(basket_mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Basket values at list price, rounded to cents."""
    b = np.exp(basket_mu + BASKET_SIGMA * rng.standard_normal(len(basket_mu)))
    return np.maximum(np.round(b, 2), 0.01)


@dataclass
class Orders:
    """The order stream as parallel arrays; ``keep`` drops orders a promotion put off."""

    cust: np.ndarray  # customer position
    ts: np.ndarray  # seconds since HISTORY_START
    revenue: np.ndarray
    discount: np.ndarray
    promo: np.ndarray  # promo_id or -1
    web: np.ndarray  # bool: web (else app)
    keep: np.ndarray

    @property
    def day(self) -> np.ndarray:
        return self.ts // 86400

    FIELDS = ("cust", "ts", "revenue", "discount", "promo", "web", "keep")

    def take(self, idx: np.ndarray) -> Orders:
        return Orders(*(getattr(self, f)[idx] for f in self.FIELDS))

    @classmethod
    def concat(cls, parts: list[Orders]) -> Orders:
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in cls.FIELDS))


def make_orders(
    pop: Population, cust: np.ndarray, day: np.ndarray, rng: np.random.Generator
) -> Orders:
    """Orders of customers ``cust`` on days ``day``, sorted by time: basket, channel."""
    m = len(cust)
    ts = day.astype(np.int64) * 86400 + cal.draw_seconds(m, rng)
    by_time = np.argsort(ts, kind="stable")
    cust, day, ts = cust[by_time], day[by_time], ts[by_time]
    revenue = draw_baskets(pop.basket_mu[cust], rng)
    on_sale = cal.GRID.sale[day]
    discount = np.where(on_sale, np.round(revenue * cal.SALE_DISCOUNT, 2), 0.0)
    return Orders(
        cust=cust, ts=ts, revenue=revenue, discount=discount,
        promo=np.full(m, -1, dtype=np.int64), web=rng.random(m) < pop.web_share[cust],
        keep=np.ones(m, dtype=bool),
    )


def draw_baseline_orders(pop: Population, rng: np.random.Generator) -> Orders:
    """Every order the customers would place over the history without promotions."""
    start = np.clip(pop.active_from, 0, None)
    end = np.clip(pop.active_until, 0, cal.day_index(cal.HISTORY_END) + 1)
    end = np.maximum(end, start)
    g = cal.GRID
    lam_regular = pop.rate * (g.cum_regular[end] - g.cum_regular[start])
    lam_sale = pop.rate * pop.sale_boost * (g.cum_sale[end] - g.cum_sale[start])
    parts = []
    for lam, cum in ((lam_regular, g.cum_regular), (lam_sale, g.cum_sale)):
        count = rng.poisson(lam)
        cust = np.repeat(np.arange(pop.n), count)
        parts.append((cust, cal.draw_days(cum, start[cust], end[cust], rng)))
    cust = np.concatenate([p[0] for p in parts])
    day = np.concatenate([p[1] for p in parts])
    return make_orders(pop, cust, day, rng)
