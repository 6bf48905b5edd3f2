"""The demo shop's ground truth: it matches the simulated responses, and true_uplift agrees."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from promo_core import db
from promo_core.demo import (
    NON_DRIVERS,
    UPLIFT_DRIVERS,
    build_demo,
    customer_kinds,
    effect,
    true_uplift,
)

CUSTOMERS = 5_000

# Per exposure: the observed outcome in the window (from orders) next to the stored truth.
OUTCOMES = """
SELECT e.promo_id, e.customer_id, e.is_control, p.promo_type, p.is_targeted,
       count(o.order_id) > 0 AS converted, coalesce(sum(o.revenue), 0) AS revenue,
       any_value(t.p_buy_control) AS p0, any_value(t.p_buy_treated) AS p1,
       any_value(t.revenue_control) AS r0, any_value(t.revenue_treated) AS r1,
       (SELECT count(*) FROM orders f WHERE f.customer_id = e.customer_id
          AND f.order_ts < e.exposed_at AND f.order_ts >= e.exposed_at - INTERVAL 365 DAY) AS freq
FROM exposures e
JOIN promotions p USING (promo_id)
JOIN demo_truth t USING (promo_id, customer_id)
LEFT JOIN orders o ON o.customer_id = e.customer_id AND o.order_ts >= e.exposed_at
     AND o.order_ts < e.exposed_at + to_days(p.duration_days)
GROUP BY ALL
"""


def build(tmp_path_factory: pytest.TempPathFactory, name: str, **kwargs) -> Path:
    path = tmp_path_factory.mktemp(name) / "demo.duckdb"
    build_demo(path, customers=CUSTOMERS, seed=3, **kwargs)
    return path


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory, "truth")


@pytest.fixture(scope="module")
def outcomes(demo_path: Path) -> pd.DataFrame:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        return con.execute(OUTCOMES).df()


def test_every_mechanic_has_campaigns_redemptions_and_controls(demo_path: Path) -> None:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        per_promo = con.execute("""
            SELECT p.promo_id, p.promo_type, p.value,
                   avg(e.is_control::INT) AS control_share, count(*) AS exposed,
                   (SELECT count(*) FROM orders o WHERE o.promo_id = p.promo_id) AS redeemed,
                   count(e.converted) + count(e.revenue) + count(e.visited) AS outcome_values
            FROM promotions p JOIN exposures e USING (promo_id) GROUP BY ALL""").df()
    assert set(per_promo["promo_type"]) == set(db.PROMO_TYPES) - {"informational"}
    depths = per_promo.loc[per_promo["promo_type"] == "percent_off", "value"]
    assert {10.0, 20.0, 30.0} <= set(depths)
    assert (per_promo["control_share"].between(0.32, 0.48)).all()  # hold-outs of 35-45 %
    assert (per_promo["redeemed"] > 0).all()
    assert (per_promo["outcome_values"] == 0).all()  # outcomes come from orders


def test_observed_lift_matches_true_uplift_per_campaign(outcomes: pd.DataFrame) -> None:
    for promo_id, g in outcomes.groupby("promo_id"):
        t, c = g[~g["is_control"]], g[g["is_control"]]
        observed = t["converted"].mean() - c["converted"].mean()
        se = np.sqrt(t["converted"].var() / len(t) + c["converted"].var() / len(c))
        truth = (g["p1"] - g["p0"]).mean()
        assert abs(observed - truth) < 3 * se, (promo_id, observed, truth, se)


@pytest.mark.parametrize(
    ("arm", "outcome", "expected"),
    [(False, "converted", "p1"), (True, "converted", "p0"),
     (False, "revenue", "r1"), (True, "revenue", "r0")],
)
def test_truth_matches_simulation_per_arm(
    outcomes: pd.DataFrame, arm: bool, outcome: str, expected: str
) -> None:
    g = outcomes[outcomes["is_control"] == arm]
    # Pooled over campaigns: sum of (observed - expected) against its standard error,
    # using the truth's own variance for conversion (Bernoulli with p = expected).
    diff = (g[outcome].astype(float) - g[expected]).sum()
    if outcome == "converted":
        var = (g[expected] * (1 - g[expected])).sum()
    else:
        var = ((g[outcome] - g[expected]) ** 2).sum()
    assert abs(diff) < 3 * np.sqrt(var), (diff, np.sqrt(var))


def test_true_uplift_reproduces_stored_truth(demo_path: Path) -> None:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        promos = con.execute("SELECT * FROM promotions WHERE promo_id IN (1, 5, 8, 16)").df()
        for promo in promos.to_dict("records"):
            stored = con.execute(
                "SELECT * FROM demo_truth WHERE promo_id = ? ORDER BY customer_id",
                [promo["promo_id"]],
            ).df()
            again = true_uplift(
                con, promo, stored["customer_id"].to_numpy(), promo["start_date"].date()
            )
            assert list(again["customer_id"]) == list(stored["customer_id"])
            for col in ("p_buy_control", "p_buy_treated", "revenue_control", "revenue_treated"):
                np.testing.assert_allclose(again[col], stored[col], rtol=1e-9, atol=1e-9)


def test_candidate_promotions_deeper_helps_with_diminishing_returns(demo_path: Path) -> None:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        lifts = []
        for depth in (10, 20, 30):
            promo = {"promo_type": "percent_off", "value": depth, "duration_days": 14}
            truth = true_uplift(con, promo)
            assert len(truth) == CUSTOMERS
            lifts.append((truth["p_buy_treated"] - truth["p_buy_control"]).mean())
        ids = np.array([5, 1, 3])
        picked = true_uplift(con, {"promo_type": "free_shipping", "shipping_cost": 4.95,
                                   "duration_days": 7}, ids)
    assert 0 < lifts[0] < lifts[1] < lifts[2]
    assert lifts[2] - lifts[1] < lifts[1] - lifts[0]
    assert list(picked["customer_id"]) == [5, 1, 3]


def test_four_kinds_of_customer_in_believable_shares(
    demo_path: Path, outcomes: pd.DataFrame
) -> None:
    with duckdb.connect(str(demo_path), read_only=True) as con:
        promo = con.execute("SELECT * FROM promotions WHERE promo_id = 4").df().iloc[0].to_dict()
        ids = outcomes.loc[outcomes["promo_id"] == 4, "customer_id"].to_numpy()
        kinds = customer_kinds(con, promo, ids, promo["start_date"].date())
    shares = kinds.drop(columns="customer_id").mean()
    np.testing.assert_allclose(kinds.drop(columns="customer_id").sum(axis=1), 1.0)
    assert 0.02 < shares["persuadable"] < 0.08
    assert 0.10 < shares["sure_thing"] < 0.35
    assert 0.55 < shares["lost_cause"] < 0.85
    assert 0.0005 < shares["sleeping_dog"] < 0.02  # a few
    uplift = outcomes["p1"] - outcomes["p0"]
    assert 0.01 < uplift.mean() < 0.06  # a few percentage points, as in real campaigns
    assert 0.01 < (uplift < 0).mean() < 0.10  # customers a contact harms


def test_baseline_and_uplift_rank_customers_differently(outcomes: pd.DataFrame) -> None:
    g = outcomes[outcomes["promo_id"] == 4]
    uplift = g["p1"] - g["p0"]
    # A response model ranks by baseline; the truth says that is a poor uplift ranking.
    assert np.corrcoef(g["p0"].rank(), uplift.rank())[0, 1] < 0.2
    top_by_baseline = uplift[g["p0"] >= g["p0"].quantile(0.8)].mean()
    top_by_uplift = uplift[uplift >= uplift.quantile(0.8)].mean()
    assert top_by_uplift > 2 * top_by_baseline


def test_drivers_are_what_the_effect_reads() -> None:
    assert not set(UPLIFT_DRIVERS) & set(NON_DRIVERS)
    features = {
        "recency_days": np.array([10.0, 120.0, 400.0]),
        "discount_share": np.array([0.0, 0.0, 0.3]),
        "avg_order_value": np.array([30.0, 45.0, 90.0]),
        "tenure_days": np.array([100.0, 1500.0, 2000.0]),
        "age_band": np.array(["18-24", "65+", "35-44"]),
    }
    assert set(features) == set(UPLIFT_DRIVERS)  # nothing else is needed
    promo = {"promo_type": "amount_off", "value": 10.0, "min_spend": 50.0}
    u, n, rho = effect.response_probabilities(features, promo)
    assert (u > 0).all() and n[1] > 0 and n[0] == 0 and (rho > 0).all()
    with pytest.raises(ValueError, match="allowed: percent_off"):
        effect.effective_depth({"promo_type": "cashback"}, np.array([1.0]))


def test_targeted_campaigns_differ_from_their_controls(tmp_path_factory) -> None:
    path = build(tmp_path_factory, "targeted", targeted_campaigns=True)
    with duckdb.connect(str(path), read_only=True) as con:
        g = con.execute(OUTCOMES).df()
    ratio = g.groupby(["promo_id", "is_targeted", "is_control"])["freq"].mean().unstack()
    ratio = (ratio[False] / ratio[True]).reset_index(level="is_targeted", name="ratio")
    targeted = ratio[ratio["is_targeted"]]["ratio"]
    randomised = ratio[~ratio["is_targeted"]]["ratio"]
    assert len(targeted) == 4
    assert (targeted > 1.5).all()
    assert randomised.between(0.8, 1.25).all()
