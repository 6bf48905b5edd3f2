"""A small demo shop with two saved segments and a candidate, for the plan tests."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from promo_core import db, promotions
from promo_core.demo import build_demo, true_uplift
from promo_core.forecast import CustomerForecast, forecast_from_truth
from promo_core.segments import store as segments

WEEK = date(2025, 1, 6)  # the demo history ends on 31 Dec 2024
CANDIDATE = {"name": "Win-back 15 %", "promo_type": "percent_off", "value": 15,
             "channel": "email", "duration_days": 14, "cost_per_contact": 0.1,
             "fixed_cost": 200}


def build_plan_shop(path: Path, customers: int = 3000, seed: int = 4) -> int:
    """Demo shop + segments 'Odd ids' / 'Even ids' + the candidate; returns its promo_id."""
    build_demo(path, customers=customers, seed=seed)
    con = db.connect(path)
    try:
        ids = con.execute("SELECT customer_id FROM customers ORDER BY 1").df()["customer_id"]
        for name, part in (("Odd ids", ids[ids % 2 == 1]), ("Even ids", ids[ids % 2 == 0])):
            segments.save_segment(con, name, "rule", {"test": name}, WEEK, part)
        return promotions.save_candidate(con, CANDIDATE)
    finally:
        con.close()


def truth_forecaster(con, as_of: date, members: int = 5, seed: int = 0):
    """Forecasts from the demo truth, with bootstrap-like members so bands exist."""
    def forecast(feats, promo) -> CustomerForecast:
        base = forecast_from_truth(true_uplift(con, promo, feats["customer_id"].to_numpy(),
                                               as_of), promo)
        rng = np.random.default_rng(seed)
        noise = [np.clip(base.p1[0] + 0.01 * rng.standard_normal(base.p1.shape[1]), 0, 1)
                 for _ in range(members)]
        rep = np.repeat
        return CustomerForecast(base.customer_ids, rep(base.p0, members + 1, 0),
                                np.vstack([base.p1[0], *noise]), rep(base.b0, members + 1, 0),
                                rep(base.b1, members + 1, 0), base.promotion,
                                basket_source="truth")
    return forecast
