"""Observable customer features as of a date, in numpy (build) and SQL (any time later).

The two must agree: the build scores past campaigns from its in-memory orders, and
``true_uplift`` re-derives the same features from the database. A unit test checks
that ``demo_truth`` equals ``true_uplift`` for past exposures.
"""

from __future__ import annotations

from datetime import date, datetime

import duckdb
import numpy as np
import pandas as pd

from promo_core.demo import calendar as cal
from promo_core.demo.effect import AGE_BANDS, DEFAULT_AOV
from promo_core.demo.population import Orders, Population

DAY = 86400
# DuckDB's epoch() counts naive timestamps from 1970-01-01; the build from HISTORY_START.
EPOCH_OFFSET = (cal.HISTORY_START - date(1970, 1, 1)).days * DAY


def _finish(
    n: np.ndarray, last_ts: np.ndarray, rev: np.ndarray, disc: np.ndarray,
    signup_day: np.ndarray, t_sec: int, age: np.ndarray,
) -> dict[str, np.ndarray]:
    has = n > 0
    safe_n = np.where(has, n, 1)
    safe_rev = np.where(rev > 0, rev, 1.0)
    return {
        "recency_days": np.where(has, (t_sec - last_ts) / DAY, (t_sec - signup_day * DAY) / DAY),
        "discount_share": np.where(has, disc / safe_rev, 0.0),
        "avg_order_value": np.where(has, rev / safe_n, DEFAULT_AOV),
        "tenure_days": t_sec / DAY - signup_day,
        "age_band": age,
    }


class FeatureState:
    """Running per-customer aggregates of kept orders placed before a moving instant.

    Campaigns are simulated in date order and only ever change orders at or after
    their own start, so each order is final by the time the state moves past it:
    adding the new slice is enough, instead of rescanning ten million orders.
    """

    def __init__(self, pop: Population):
        self.pop = pop
        n = pop.n
        self.count = np.zeros(n, dtype=np.int64)
        self.revenue = np.zeros(n)
        self.discount = np.zeros(n)
        self.last = np.full(n, np.iinfo(np.int64).min)
        self.frequency_365 = np.zeros(n, dtype=np.int64)
        self.monetary_365 = np.zeros(n)
        self.t_sec = 0

    def advance(self, parts: list[Orders], t_day: int) -> dict[str, np.ndarray]:
        """Move to the start of ``t_day`` (orders sorted by ts) and return the features."""
        t_sec, year = t_day * DAY, 365 * DAY
        n = self.pop.n
        for o in parts:
            lo, hi = np.searchsorted(o.ts, [self.t_sec, t_sec])
            keep = o.keep[lo:hi]
            cust, ts, rev = o.cust[lo:hi][keep], o.ts[lo:hi][keep], o.revenue[lo:hi][keep]
            self.count += np.bincount(cust, minlength=n)
            self.revenue += np.bincount(cust, weights=rev, minlength=n)
            self.discount += np.bincount(cust, weights=o.discount[lo:hi][keep], minlength=n)
            np.maximum.at(self.last, cust, ts)
            self.frequency_365 += np.bincount(cust, minlength=n)
            self.monetary_365 += np.bincount(cust, weights=rev, minlength=n)
            lo, hi = np.searchsorted(o.ts, [self.t_sec - year, t_sec - year])
            keep = o.keep[lo:hi]
            cust = o.cust[lo:hi][keep]
            self.frequency_365 -= np.bincount(cust, minlength=n)
            self.monetary_365 -= np.bincount(cust, weights=o.revenue[lo:hi][keep], minlength=n)
        self.t_sec = t_sec
        pop = self.pop
        feats = _finish(
            self.count, self.last, self.revenue, self.discount, pop.signup_day, t_sec,
            np.asarray(AGE_BANDS)[pop.age],
        )
        feats["frequency_365"] = self.frequency_365.copy()
        feats["monetary_365"] = self.monetary_365.copy()
        return feats


_SQL = """
WITH ids AS (SELECT customer_id, row_number() OVER () AS pos FROM ids_src),
past AS (
    SELECT o.customer_id, count(*) AS n, max(epoch(o.order_ts)) AS last_s,
           sum(o.revenue) AS rev, sum(o.discount) AS disc
    FROM orders o SEMI JOIN ids ON o.customer_id = ids.customer_id
    WHERE o.order_ts < $t
    GROUP BY o.customer_id
)
SELECT ids.customer_id, date_diff('day', DATE '{start}', c.signup_date) AS signup_day,
       c.age_band, coalesce(p.n, 0) AS n, coalesce(p.last_s, 0) AS last_s,
       coalesce(p.rev, 0) AS rev, coalesce(p.disc, 0) AS disc,
       tr.rate, tr.basket_mu, tr.sale_boost, tr.active_from, tr.active_until
FROM ids
JOIN customers c ON c.customer_id = ids.customer_id
JOIN demo_traits tr ON tr.customer_id = ids.customer_id
LEFT JOIN past p ON p.customer_id = ids.customer_id
ORDER BY ids.pos
"""


def features_sql(
    con: duckdb.DuckDBPyConnection, customer_ids: np.ndarray | None, t_day: int
) -> pd.DataFrame:
    """Features plus latent traits of ``customer_ids`` (all when None) as of ``t_day``."""
    cur = con.cursor()
    if customer_ids is None:
        customer_ids = cur.execute("SELECT customer_id FROM customers ORDER BY customer_id").df()[
            "customer_id"
        ].to_numpy()
    ids = pd.DataFrame({"customer_id": np.asarray(customer_ids, dtype=np.int64)})
    cur.register("ids_src", ids)
    t = datetime.combine(cal.index_date(t_day), datetime.min.time())
    frame = cur.execute(_SQL.format(start=cal.HISTORY_START.isoformat()), {"t": t}).df()
    cur.unregister("ids_src")
    if len(frame) != len(ids):
        raise ValueError("some customer_ids are not customers of this demo shop")
    # epoch() is seconds since 1970 in UTC; the build counts from HISTORY_START.
    last = frame["last_s"].to_numpy(dtype=float) - EPOCH_OFFSET
    feats = _finish(
        frame["n"].to_numpy(), last, frame["rev"].to_numpy(dtype=float),
        frame["disc"].to_numpy(dtype=float), frame["signup_day"].to_numpy(),
        t_day * DAY, frame["age_band"].to_numpy(dtype=object),
    )
    for key, value in feats.items():
        frame[key] = value
    return frame

