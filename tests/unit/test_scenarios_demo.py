"""Scenarios and the optimiser on a small demo shop, scored against the TRUE uplift."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from promo_core import db, profiles, promotions, uplift
from promo_core import economics as eco
from promo_core import forecast as fc
from promo_core import optimise as op
from promo_core import scenarios as sc
from promo_core.demo import build_demo, true_uplift

COMMON = {"channel": "email", "duration_days": 14, "cost_per_contact": 0.05,
          "fixed_cost": 50.0}
CANDIDATES = {
    "10% off": {"promo_type": "percent_off", "value": 10, **COMMON},
    "20% off": {"promo_type": "percent_off", "value": 20, **COMMON},
    "Free shipping": {"promo_type": "free_shipping", "shipping_cost": 4.95, **COMMON},
    "Spend 75 save 15": {"promo_type": "spend_threshold", "value": 15, "min_spend": 75,
                         **COMMON},
}


def build_shop_with_champion(path: Path, customers: int = 3000, seed: int = 5) -> int:
    """A small demo shop with a quick S-learner champion (revenue hurdle, 3 bootstrap refits)."""
    build_demo(path, customers=customers, seed=seed)
    con = db.connect(path)
    try:
        table = uplift.build_training_table(con)
        model = uplift.fit_learners(table, table.frame, "revenue", ("S",), uplift.LearnerConfig(
            n_estimators=30, num_leaves=7, n_bags=3, num_threads=1))["S"]
        model_id = uplift.save_model(con, model, as_of=db.get_meta(con, "as_of"))
        uplift.set_champion(con, model_id)
    finally:
        con.close()
    return model_id


@pytest.fixture(scope="module")
def shop(tmp_path_factory, monkeypatch_module):
    data = tmp_path_factory.mktemp("scen")
    monkeypatch_module.setenv("PROMO_LAB_DATA_DIR", str(data))
    path = data / "demo.duckdb"
    build_shop_with_champion(path)
    con = db.connect(path)
    as_of = date.fromisoformat(db.get_meta(con, "as_of")) + timedelta(days=1)
    feats = profiles.compute_profiles(con, as_of)
    ids = feats.customer_id.to_numpy()
    model = uplift.load_champion(con)
    truth = {k: fc.forecast_from_truth(true_uplift(con, p, ids, as_of), p)
             for k, p in CANDIDATES.items()}
    model_fc = {k: fc.forecast_customers(model, feats, p) for k, p in CANDIDATES.items()}
    yield {"con": con, "feats": feats, "ids": ids, "truth": truth, "model": model_fc,
           "margin": eco.estimate_margin_rate(con), "sigma": eco.estimate_basket_sigma(con)}
    con.close()


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_true_economics_match_a_hand_worked_customer(shop):
    f = shop["truth"]["10% off"]
    i = int(np.argmax(f.p0[0] > 0.3))
    p0, p1, b0, b1 = f.p0[0, i], f.p1[0, i], f.b0[0, i], f.b1[0, i]
    e = eco.customer_economics(f.p0[:, [i]], f.p1[:, [i]], f.b0[:, [i]], f.b1[:, [i]],
                               CANDIDATES["10% off"], 0.48, 0.5)
    assert e["inc_margin"][0, 0] == pytest.approx(0.48 * (p1 * b1 - p0 * b0))
    assert e["redemption_cost"][0, 0] == pytest.approx(p1 * 0.10 * b1)
    assert e["net_profit"][0, 0] == pytest.approx(
        0.48 * (p1 * b1 - p0 * b0) - p1 * 0.10 * b1 - 0.05)


def test_blanket_discounts_lose_money_on_true_uplift(shop):
    """The sure things' subsidy outweighs the persuadables' margin: the numbers show it."""
    for key in ("10% off", "20% off"):
        f = shop["truth"][key]
        net = sc.blanket_members(f, CANDIDATES[key], 1e9, 1.0, shop["margin"], shop["sigma"])
        assert net[0] < 0


def test_optimiser_beats_naive_plans_on_true_profit(shop):
    """Optimiser on true p/b vs the best naive plan at the same budget (true profit)."""
    keys = list(CANDIDATES)
    n = len(shop["ids"])
    seg = np.zeros(n, dtype=np.int64)
    opts = op.build_options(shop["truth"], CANDIDATES, shop["margin"], shop["sigma"], seg,
                            ["All"])
    budget = 400.0
    plan = op.optimise(opts, op.Constraints(budget=budget))
    assert plan.promotion_cost <= budget + 1e-6
    assert plan.gap <= 0.01 * plan.bound + 1.0
    true_plan = sc.plan_members(plan.choice, keys, shop["truth"], CANDIDATES, shop["margin"],
                                shop["sigma"])[0]
    naive = _naive_plans(shop, opts, budget)
    best_naive = max(naive.values())
    assert true_plan >= best_naive + 0.2 * abs(best_naive)
    assert true_plan > 0


def _naive_plans(shop, opts, budget) -> dict[str, float]:
    """Everyone / top-RFM / top predicted response get one promotion, within the budget."""
    out = {}
    feats = shop["feats"]
    rfm = (feats["monetary"].rank() + feats["frequency"].rank()
           - feats["recency_days"].fillna(1e6).rank()).to_numpy()
    for j, key in enumerate(opts.keys):
        out[f"everyone: {key}"] = sc.blanket_members(
            shop["truth"][key], CANDIDATES[key], budget, 1.0, shop["margin"], shop["sigma"])[0]
        response = shop["model"][key].p1[0]
        for label, score in (("top RFM", rfm), ("top response", response)):
            order = np.argsort(-score)
            cost = opts.cost[order, j]
            take = order[np.cumsum(cost) <= budget - CANDIDATES[key]["fixed_cost"]]
            choice = np.full(len(score), -1)
            choice[take] = j
            out[f"{label}: {key}"] = sc.plan_members(choice, opts.keys, shop["truth"],
                                                     CANDIDATES, shop["margin"],
                                                     shop["sigma"])[0]
    return out


def test_model_pipeline_scenarios_side_by_side_with_bands(shop):
    ids = shop["ids"]
    young = shop["feats"].age_band.isin(["18-24", "25-34"]).to_numpy()
    pop = sc.Population.from_members(ids, {"All": ids, "Young": ids[young]})
    scen = [sc.Scenario("10% to all", [("All", "10% off")]),
            sc.Scenario("20% to young", [("Young", "20% off")]),
            sc.Scenario("Threshold young, shipping rest", [("Young", "Spend 75 save 15"),
                                                           ("All", "Free shipping")]),
            sc.Scenario("Nobody", [("All", None)])]
    results = [sc.evaluate_scenario(s, pop, shop["model"], CANDIDATES, shop["margin"],
                                    shop["sigma"]) for s in scen]
    table = sc.compare_scenarios(results)
    assert list(table.scenario) == [s.name for s in scen]
    mixed = results[2].by_segment.set_index("segment")
    assert mixed.loc["Young", "contacts"] == young.sum()
    assert mixed.loc["All", "contacts"] == len(ids) - young.sum()  # precedence: no double send
    assert mixed.loc[sc.TOTAL, "fixed_cost"] == pytest.approx(100.0)  # two promotions, once
    assert mixed.loc[sc.TOTAL, "net_profit"] == pytest.approx(
        mixed.drop(sc.TOTAL)["net_profit"].sum())
    total = results[0].total
    assert total["net_profit_low"] <= total["net_profit"] <= total["net_profit_high"]
    assert results[3].total["contacts"] == 0 and results[3].total["net_profit"] == 0


def test_unknown_candidate_fails_cleanly_and_saves_nothing(shop):
    con = shop["con"]
    before = con.execute("SELECT count(*) FROM promotions").fetchone()[0]
    with pytest.raises(Exception, match="discount depth"):
        promotions.save_candidate(con, {"name": "Too deep", "promo_type": "percent_off",
                                        "value": 120, **COMMON})
    assert con.execute("SELECT count(*) FROM promotions").fetchone()[0] == before


def test_depth_forecasts_blend_scorings_of_the_depths_that_were_run(shop):
    """Scoring only the depths history ran, then blending, gives what scoring every
    depth on its own gives (the S-learner blends unseen depths the same way)."""
    from promo_core import depth_curve as dc

    model = uplift.load_champion(shop["con"])
    feats = shop["feats"]
    template = {"promo_type": "percent_off", "channel": "email", "duration_days": 14,
                "cost_per_contact": 0.05, "fixed_cost": 0.0}
    curve = dc.depth_forecasts(model, feats, template)
    assert sorted(curve) == list(dc.DEFAULT_DEPTHS)
    for depth, f in curve.items():
        alone = fc.forecast_customers(model, feats, {**template, "value": max(depth, 5.0)})
        p1, b1 = (alone.p0, alone.b0) if depth == 0 else (alone.p1, alone.b1)
        np.testing.assert_allclose(f.p1, p1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f.b1, b1, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(f.p0, alone.p0)
        assert f.extrapolated == alone.extrapolated and f.promotion["value"] == depth
    assert curve[40.0].extrapolated and not curve[15.0].extrapolated
