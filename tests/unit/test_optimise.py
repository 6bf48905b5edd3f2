"""The optimiser against an exact MILP (HiGHS) on small instances, and its messages."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from promo_core import optimise as op
from promo_core import promotions
from promo_core.errors import ValidationError


def _options(n=300, K=3, seed=0, fixed=0.0, segments=2):
    rng = np.random.default_rng(seed)
    cost = rng.gamma(2.0, 1.0, (n, K))
    value = rng.normal(0.2, 1.0, (n, K))
    seg = rng.integers(0, segments, n)
    return op.Options([f"P{k}" for k in range(K)], value, cost, np.ones((n, K), bool),
                      np.full(K, fixed), seg, [f"S{s}" for s in range(segments)])


def _exact(o: op.Options, budget: float, max_contacts: float, caps: dict[int, int],
           seg_max: dict[int, int]) -> float:
    n, K = o.value.shape
    N = n * K
    cols = np.arange(N)
    rows = [sp.csr_array((np.ones(N), (np.repeat(np.arange(n), K), cols)), shape=(n, N)),
            sp.csr_array(o.cost.reshape(1, -1)), sp.csr_array(np.ones((1, N)))]
    ub = [np.ones(n), [budget], [max_contacts]]
    for k, cap in caps.items():
        a = np.zeros((n, K))
        a[:, k] = 1
        rows.append(sp.csr_array(a.reshape(1, -1)))
        ub.append([cap])
    for s, mx in seg_max.items():
        a = np.zeros((n, K))
        a[o.segment == s] = 1
        rows.append(sp.csr_array(a.reshape(1, -1)))
        ub.append([mx])
    res = milp(-o.value.ravel(), constraints=LinearConstraint(sp.vstack(rows), -np.inf,
                                                              np.concatenate(ub)),
               bounds=Bounds(0, 1), integrality=np.ones(N))
    assert res.status == 0
    return -res.fun


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_exact_milp_within_its_reported_gap(seed):
    o = _options(seed=seed)
    budget = 60.0
    plan = op.optimise(o, op.Constraints(budget=budget, max_contact_share=0.2,
                                         promo_caps={"P0": 15}, segment_max={"S1": 25}))
    exact = _exact(o, budget, 60, {0: 15}, {1: 25})
    assert plan.net_profit <= exact + 1e-6 <= plan.bound + 1e-5
    assert plan.gap <= 0.02 * exact
    on = plan.choice >= 0
    assert o.cost[on, plan.choice[on]].sum() <= budget + 1e-9
    assert (plan.choice == 0).sum() <= 15
    assert (on & (o.segment == 1)).sum() <= 25


def test_fixed_cost_drops_a_promotion_that_does_not_pay_for_itself():
    o = _options(n=200, seed=3)
    o = op.Options(o.keys, o.value, o.cost, o.allowed, np.array([0.0, 0.0, 1e6]), o.segment,
                   o.segment_names)
    plan = op.optimise(o, op.Constraints(budget=1e7))
    assert "P2" not in plan.used
    assert not (plan.choice == 2).any()


def test_minimum_roi_holds():
    o = _options(n=400, seed=4)
    plan = op.optimise(o, op.Constraints(budget=200.0, min_roi=1.5))
    assert plan.net_profit / plan.promotion_cost >= 1.5 - 1e-9


def test_segment_minimum_is_met():
    o = _options(n=300, seed=5)
    plan = op.optimise(o, op.Constraints(budget=500.0, segment_min={"S0": 100}))
    assert ((plan.choice >= 0) & (o.segment == 0)).sum() >= 100


@pytest.mark.parametrize(("constraints", "message"), [
    (op.Constraints(budget=0.0), "budget must be more than 0"),
    (op.Constraints(budget=100.0, segment_min={"S0": 10_000}), "segment minimum: 'S0' has"),
    (op.Constraints(budget=0.5, segment_min={"S0": 50}), "more than the budget"),
    (op.Constraints(budget=1e4, max_contact_share=0.1, segment_min={"S0": 40, "S1": 40}),
     "segment minimums add up to 80"),
])
def test_infeasible_constraints_are_named(constraints, message):
    with pytest.raises(op.InfeasibleError, match=message):
        op.optimise(_options(), constraints)


def test_large_instance_is_fast_and_tight():
    o = _options(n=100_000, K=6, seed=6, fixed=100.0, segments=4)
    plan = op.optimise(o, op.Constraints(budget=20_000.0, max_contact_share=0.3,
                                         promo_caps={"P1": 5_000}))
    assert plan.gap_share < 0.005
    assert plan.seconds < 15


@pytest.mark.parametrize(("promo", "message"), [
    ({"promo_type": "percent_off", "value": 120}, "at most 100"),
    ({"promo_type": "percent_off", "value": -5}, "more than 0"),
    ({"promo_type": "spend_threshold", "value": 20, "min_spend": 10}, "spend X must be more"),
    ({"promo_type": "bogo", "unit_cost": 3}, "category of the free item"),
    ({"promo_type": "free_shipping"}, "shipping cost is required"),
])
def test_candidate_validation_names_the_problem(promo, message):
    base = {"name": "X", "channel": "email", "duration_days": 14, "cost_per_contact": 0.05,
            "fixed_cost": 0}
    with pytest.raises(ValidationError, match=message):
        promotions.validate_promotion({**base, **promo})


def test_negative_cost_is_rejected():
    with pytest.raises(ValidationError, match="cost per contact must be at least 0"):
        promotions.validate_promotion({"name": "X", "promo_type": "informational",
                                       "duration_days": 7, "cost_per_contact": -1,
                                       "fixed_cost": 0})


def test_per_segment_table_adds_fixed_costs_and_totals_to_the_plan():
    o = _options(n=300, K=3, seed=4, fixed=40.0)
    plan = op.optimise(o, op.Constraints(budget=400.0))
    table = op.plan_by_segment(o, plan)
    fixed = table[table.segment == op.FIXED_COST_ROW]
    assert sorted(fixed.promotion) == sorted(plan.used)
    assert (fixed.net_profit == -40.0).all() and (fixed.promotion_cost == 40.0).all()
    body = table[~table.segment.isin([op.FIXED_COST_ROW, op.TOTAL_ROW])]
    total = table[table.segment == op.TOTAL_ROW].iloc[0]
    assert total.net_profit == pytest.approx(plan.net_profit)
    assert total.promotion_cost == pytest.approx(plan.promotion_cost)
    assert body.net_profit.sum() + fixed.net_profit.sum() == pytest.approx(plan.net_profit)
    assert body.contacts.sum() == total.contacts == plan.contacts
