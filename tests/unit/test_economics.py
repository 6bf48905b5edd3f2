"""Hand-worked cases of the per-customer promotion economics (DESIGN.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from promo_core import economics as eco


def _one(p0, p1, b0, b1, promo, m=0.4, sigma=0.5):
    out = eco.customer_economics(np.array([p0]), np.array([p1]), np.array([b0]),
                                 np.array([b1]), promo, m, sigma)
    return {k: float(v[0]) for k, v in out.items()}


def _phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def test_zero_cost_promotion_has_no_roi_and_profit_equals_margin():
    promo = {"promo_type": "informational", "cost_per_contact": 0.0}
    e = _one(0.10, 0.12, 50.0, 50.0, promo)
    # 0.12·50 − 0.10·50 = 1.00 of revenue, 40 % margin → 0.40; nothing paid out.
    assert e["inc_revenue"] == pytest.approx(1.0)
    assert e["inc_margin"] == pytest.approx(0.4)
    assert e["promotion_cost"] == 0.0
    assert e["net_profit"] == pytest.approx(0.4)
    totals = eco.plan_totals({k: v for k, v in e.items()}, fixed_cost=0.0, contacts=1)
    assert math.isnan(totals["roi"])


def test_nobody_responds_the_discount_is_pure_cost():
    promo = {"promo_type": "percent_off", "value": 10, "cost_per_contact": 0.05}
    e = _one(0.20, 0.20, 50.0, 50.0, promo)
    # 20 % buy anyway, each gets 10 % of 50 = 5 off → 1.00 per target, plus 0.05.
    assert e["inc_conversions"] == 0.0
    assert e["inc_margin"] == 0.0
    assert e["redemption_cost"] == pytest.approx(1.0)
    assert e["sure_thing_cost"] == pytest.approx(1.0)
    assert e["net_profit"] == pytest.approx(-1.05)
    totals = eco.plan_totals(e, fixed_cost=0.0, contacts=1)
    assert totals["roi"] == pytest.approx(-1.0)


def test_everyone_would_have_bought_anyway():
    promo = {"promo_type": "percent_off", "value": 20, "cost_per_contact": 0.10}
    e = _one(1.0, 1.0, 100.0, 100.0, promo)
    assert e["inc_margin"] == 0.0
    assert e["sure_thing_cost"] == pytest.approx(20.0)
    assert e["net_profit"] == pytest.approx(-20.10)


def test_discount_counted_once_not_inside_margin():
    promo = {"promo_type": "percent_off", "value": 10, "cost_per_contact": 0.0}
    e = _one(0.0, 0.5, 80.0, 80.0, promo, m=0.5)
    # Margin on list price: 0.5·0.5·80 = 20; discount 0.5·8 = 4 once → 16.
    assert e["inc_margin"] == pytest.approx(20.0)
    assert e["promotion_cost"] == pytest.approx(4.0)
    assert e["net_profit"] == pytest.approx(16.0)


def test_threshold_basket_shift_and_subsidy_to_baskets_already_above():
    promo = {"promo_type": "spend_threshold", "value": 15, "min_spend": 75,
             "cost_per_contact": 0.02}
    e = _one(0.30, 0.32, 60.0, 70.0, promo, m=0.4, sigma=0.5)
    q0 = 1 - _phi((math.log(75) - math.log(60) + 0.125) / 0.5)
    q1 = 1 - _phi((math.log(75) - math.log(70) + 0.125) / 0.5)
    assert e["basket_shift"] == pytest.approx(10.0)
    assert e["inc_margin"] == pytest.approx(0.4 * (0.32 * 70 - 0.30 * 60))
    assert e["redemption_cost"] == pytest.approx(0.32 * q1 * 15)
    assert e["sure_thing_cost"] == pytest.approx(0.30 * q0 * 15)
    assert e["pushed_over"] == pytest.approx(0.30 * (q1 - q0))
    assert e["net_profit"] == pytest.approx(0.4 * 4.4 - 0.32 * q1 * 15 - 0.02)


def test_bogo_costs_the_unit_cost_not_the_list_price():
    promo = {"promo_type": "bogo", "unit_cost": 6.0, "cost_per_contact": 0.0}
    e = _one(0.1, 0.2, 40.0, 40.0, promo)
    assert e["redemption_cost"] == pytest.approx(0.2 * 6.0)


def test_free_shipping_and_amount_off_below_threshold():
    ship = _one(0.1, 0.15, 40.0, 40.0, {"promo_type": "free_shipping", "shipping_cost": 4.95})
    assert ship["redemption_cost"] == pytest.approx(0.15 * 4.95)
    # £10 off over £500 on £40 baskets: almost nobody qualifies, so it costs almost nothing.
    far = _one(0.1, 0.1, 40.0, 40.0, {"promo_type": "amount_off", "value": 10,
                                     "min_spend": 500})
    assert far["redemption_cost"] < 1e-6


def test_plan_totals_fixed_cost_roi_and_break_even():
    sums = {"inc_margin": 1000.0, "promotion_cost": 600.0, "contact_cost": 100.0,
            "inc_conversions": 20.0}
    t = eco.plan_totals(sums, fixed_cost=250.0, contacts=1000)
    assert t["promotion_cost"] == 850.0
    assert t["net_profit"] == 150.0
    assert t["roi"] == pytest.approx(150 / 850)
    # Contact cost could rise from 0.10 to 0.25 before the plan stops paying.
    assert t["break_even_contact_cost"] == pytest.approx(0.25)


def test_vectorised_over_members_and_customers():
    p0 = np.array([[0.1, 0.2], [0.1, 0.3]])
    out = eco.customer_economics(p0, p0 + 0.05, 50.0 * np.ones((2, 2)), 50.0 * np.ones((2, 2)),
                                 {"promo_type": "percent_off", "value": 10}, 0.4)
    assert out["net_profit"].shape == (2, 2)


def test_unknown_mechanic_is_named():
    with pytest.raises(ValueError, match="unknown promo_type 'loyalty'"):
        eco.reward_per_basket({"promo_type": "loyalty"}, np.ones(1))
