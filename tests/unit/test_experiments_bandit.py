"""Bandit simulator: learns the best arm, beats the fixed split, is seeded."""

from __future__ import annotations

import numpy as np
import pytest

from promo_core.experiments import (
    compare_policies,
    simulate_bandit,
    summarise_allocation,
    summarise_outcomes,
)

RATES = [0.040, 0.045, 0.050, 0.060]
SMALL = {"horizon": 40_000, "n_batches": 40, "runs": 200, "seed": 1}


@pytest.fixture(scope="module")
def comparison():
    return compare_policies(RATES, **SMALL)


def test_thompson_concentrates_on_the_best_arm(comparison):
    alloc, _ = comparison
    last = alloc[(alloc.policy == "Thompson sampling") & (alloc.batch == 40)].set_index("arm")
    assert last.loc["Arm 4", "share_mean"] > 0.8
    assert last["share_mean"].sum() == pytest.approx(1.0)
    first = alloc[(alloc.policy == "Thompson sampling") & (alloc.batch == 1)]
    assert first["share_mean"].to_numpy() == pytest.approx([0.25] * 4, abs=0.01)


def test_every_adaptive_policy_has_less_regret_than_the_fixed_split(comparison):
    _, outcomes = comparison
    final = outcomes.groupby("policy").last()
    fixed = final.loc["Fixed equal split"]
    # the fixed split's expected regret is exact: contacts × mean gap
    gap = np.mean(max(RATES) - np.asarray(RATES))
    assert fixed["regret_mean"] == pytest.approx(40_000 * gap, rel=0.02)
    for policy in ("Thompson sampling", "UCB1", "ε-greedy"):
        assert final.loc[policy, "regret_mean"] < fixed["regret_mean"]
        assert final.loc[policy, "conversions_mean"] > fixed["conversions_mean"]
    assert final.loc["Thompson sampling", "regret_mean"] < 0.4 * fixed["regret_mean"]
    assert (final["regret_p05"] <= final["regret_mean"]).all()
    assert (final["regret_mean"] <= final["regret_p95"]).all()


def test_runs_are_seeded():
    a = simulate_bandit(RATES, policy="thompson", horizon=5_000, n_batches=10, runs=50, seed=4)
    b = simulate_bandit(RATES, policy="thompson", horizon=5_000, n_batches=10, runs=50, seed=4)
    assert np.array_equal(a.allocation, b.allocation)
    assert a.allocation.shape == (10, 50, 4)
    assert a.allocation.sum(axis=(1, 2)).tolist() == [500 * 50] * 10


def test_gaussian_thompson_finds_the_best_revenue_arm():
    run = simulate_bandit([1.0, 1.2, 1.5], policy="thompson", reward="gaussian",
                          reward_sd=8.0, horizon=30_000, n_batches=30, runs=200, seed=2,
                          arm_names=["10 % off", "£5 off", "Free gift"])
    last = summarise_allocation(run).query("batch == 30").set_index("arm")
    assert last["share_mean"].idxmax() == "Free gift"
    out = summarise_outcomes(run).iloc[-1]
    assert out["conversions_mean"] == pytest.approx(30_000 * 1.5, rel=0.05)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="between 0 and 1"):
        simulate_bandit([0.5, 1.5])
    with pytest.raises(ValueError, match="at least 2 arms"):
        simulate_bandit([0.5])
    with pytest.raises(ValueError, match="unknown policy 'greedy'"):
        simulate_bandit([0.1, 0.2], policy="greedy")
