"""Test design against statsmodels' textbook formulas and a seeded simulation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower, zt_ind_solve_power
from statsmodels.stats.proportion import proportion_effectsize

from promo_core.experiments import (
    compute_power_curve,
    mde_means,
    mde_proportions,
    sample_size_means,
    sample_size_proportions,
    simulate_power_proportions,
)


def test_proportions_n_matches_statsmodels():
    res = sample_size_proportions(0.05, 0.01, alpha=0.05, power=0.8)
    ref = NormalIndPower().solve_power(proportion_effectsize(0.06, 0.05), alpha=0.05,
                                       power=0.8, ratio=1.0)
    assert res.n_control == int(np.ceil(ref)) == 8_143
    assert res.n_total == 16_286
    assert res.mde_relative == pytest.approx(0.2)


def test_unequal_allocation_and_several_arms_adjust_alpha():
    res = sample_size_means(10.0, 20.0, 1.0, ratio=2.0, arms=4, power=0.9)
    ref = zt_ind_solve_power(effect_size=0.05, alpha=0.05 / 3, power=0.9, ratio=2.0)
    assert res.n_control == int(np.ceil(ref))
    assert res.n_treatment == int(np.ceil(res.n_control * 2.0))
    assert res.n_total == res.n_control + 3 * res.n_treatment
    assert res.alpha_per_comparison == pytest.approx(0.05 / 3)
    assert "Bonferroni-adjusted to 0.05/3 = 0.01667" in res.note


def test_mde_is_the_inverse_of_n():
    n = sample_size_proportions(0.03, 0.005).n_control
    back = mde_proportions(0.03, n)
    assert back.mde_absolute == pytest.approx(0.005, rel=2e-3)
    # statsmodels' power at our effect is the target exactly; its own solver stops at
    # power 0.79997, hence the looser match to solve_power
    assert NormalIndPower().power(back.effect_size, n, 0.05, ratio=1.0) == pytest.approx(0.8)
    ref_h = NormalIndPower().solve_power(nobs1=n, alpha=0.05, power=0.8, ratio=1.0)
    assert back.effect_size == pytest.approx(ref_h, rel=1e-4)
    means = mde_means(50.0, 30.0, 2_000)
    assert means.mde_absolute == pytest.approx(
        30.0 * zt_ind_solve_power(nobs1=2_000, alpha=0.05, power=0.8, ratio=1.0), rel=1e-4)


def test_simulated_power_reaches_the_target():
    res = sample_size_proportions(0.05, 0.01, power=0.8)
    achieved = simulate_power_proportions(0.05, 0.01, res.n_control,
                                          alpha_per_comparison=0.05, runs=4_000, seed=3)
    assert achieved == pytest.approx(0.8, abs=0.025)
    # means: 2,000 seeded tests with normal outcomes
    m = sample_size_means(100.0, 40.0, 5.0)
    rng = np.random.default_rng(5)
    c = rng.normal(100, 40, (2_000, m.n_control)).mean(axis=1)
    t = rng.normal(105, 40, (2_000, m.n_treatment)).mean(axis=1)
    z = (t - c) / (40 * np.sqrt(1 / m.n_control + 1 / m.n_treatment))
    assert np.mean(np.abs(z) > stats.norm.ppf(0.975)) == pytest.approx(0.8, abs=0.03)


def test_power_curve_passes_through_the_design_point():
    res = sample_size_proportions(0.1, 0.02)
    curve = compute_power_curve(res)
    assert curve["power"].is_monotonic_increasing
    at_n = np.interp(res.n_control, curve["n_control"], curve["power"])
    assert at_n == pytest.approx(0.8, abs=0.01)


def test_impossible_inputs_say_what_to_change():
    with pytest.raises(ValueError, match="baseline rate must be between 0 and 1"):
        sample_size_proportions(5.0, 0.01)
    with pytest.raises(ValueError, match="at least 2 arms"):
        sample_size_means(1.0, 1.0, 0.1, arms=1)
    with pytest.raises(ValueError, match="standard deviation must be positive"):
        mde_means(1.0, 0.0, 100)
