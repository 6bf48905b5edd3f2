"""Uplift metrics on hand-worked cases, and against scikit-uplift where it imports."""

from __future__ import annotations

import numpy as np
import pytest

from promo_core.uplift import evaluation as ev
from promo_core.uplift import metrics as m

# Six customers, sorted by score: T1 buys, C0 doesn't, T1, C1, T0, C1.
Y = np.array([1, 0, 1, 1, 0, 1])
T = np.array([1, 0, 1, 0, 1, 0])
U = np.array([0.6, 0.5, 0.4, 0.3, 0.2, 0.1])


def test_qini_curve_hand_worked():
    x, q = m.qini_curve(Y, U, T)
    # k=1: Yt=1,Nt=1,Yc=0 → 1; k=2: 1-0 → 1; k=3: Yt=2,Nt=2,Nc=1,Yc=0 → 2;
    # k=4: Yt=2, Yc=1, Nt=2, Nc=2 → 1; k=5: 2 - 1*3/2 = 0.5; k=6: 2 - 2*3/3 = 0
    assert x.tolist() == [0, 1, 2, 3, 4, 5, 6]
    assert q.tolist() == pytest.approx([0, 1, 1, 2, 1, 0.5, 0])


def test_uplift_curve_hand_worked():
    _, u = m.uplift_curve(Y, U, T)
    # k=4: (2/2 - 1/2) * 4 = 2; k=6: (2/3 - 2/3) * 6 = 0
    assert u[4] == pytest.approx(2.0) and u[6] == pytest.approx(0.0)


def test_ties_enter_together_and_order_of_ties_does_not_matter():
    u = np.array([1.0, 1.0, 0.0, 0.0])
    y, t = np.array([1, 0, 0, 1]), np.array([1, 0, 1, 0])
    x, q = m.qini_curve(y, u, t)
    assert x.tolist() == [0, 2, 4]
    swapped = [1, 0, 3, 2]
    assert m.qini_auc_score(y, u, t) == m.qini_auc_score(y[swapped], u[swapped], t[swapped])


def test_perfect_model_scores_one_and_reversed_scores_negative():
    rng = np.random.default_rng(0)
    t = rng.integers(0, 2, 500)
    y = rng.integers(0, 2, 500)
    perfect = m.perfect_scores(y, t)
    assert m.qini_auc_score(y, perfect, t) == pytest.approx(1.0)
    assert m.qini_auc_score(y, -perfect, t) < 0


def test_uplift_at_k_hand_worked():
    # top 50 % = first three: treated 1, 1 → 1.0; control 0 → 0.0
    assert m.uplift_at_k(Y, U, T, 0.5) == pytest.approx(1.0)
    # by group: top half of treated (2 of 3: 1, 1) and of control (1 of 3: 0)
    assert m.uplift_at_k(Y, U, T, 0.5, strategy="by_group") == pytest.approx(1.0)
    assert m.average_effect(Y, T) == pytest.approx(2 / 3 - 2 / 3)


@pytest.mark.parametrize("t, message", [
    (np.ones(6), "no control rows (all treated)"),
    (np.zeros(6), "no treated rows (all control)"),
    (np.array([0, 1, 2, 0, 1, 0]), "treatment must be 0 (control) or 1 (treated)"),
])
def test_bad_treatment_is_a_clear_error(t, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        m.qini_auc_score(Y, U, t)


def test_lengths_nan_and_strategy_are_checked():
    with pytest.raises(ValueError, match="same length; got 6, 5 and 6"):
        m.qini_curve(Y, U[:5], T)
    with pytest.raises(ValueError, match="must not contain NaN"):
        m.uplift_curve(Y, np.r_[U[:5], np.nan], T)
    with pytest.raises(ValueError, match="strategy must be one of overall, by_group"):
        m.uplift_at_k(Y, U, T, 0.5, strategy="top")
    with pytest.raises(ValueError, match="k must be a share between 0 and 1"):
        m.uplift_at_k(Y, U, T, 30)


def test_no_outcome_difference_gives_error_not_nan():
    with pytest.raises(ValueError, match="coefficient is undefined"):
        m.qini_auc_score(np.zeros(6), U, T)


def test_bins_and_bootstrap_match_point_estimates():
    rng = np.random.default_rng(1)
    n = 2000
    t = rng.integers(0, 2, n)
    u = rng.random(n)
    y = (rng.random(n) < 0.1 + 0.2 * u * t).astype(float)
    res = ev.evaluate_scores(y, u, t, n_boot=100, seed=0)
    assert res.metrics["qini_low"] < res.metrics["qini"] < res.metrics["qini_high"]
    assert res.metrics["qini"] == pytest.approx(m.qini_auc_score(y, u, t))
    # the vectorised weighted Qini equals the plain one with unit weights
    assert ev.qini_coefficients(y, u, t.astype(float), np.ones((1, n)))[0] == pytest.approx(
        res.metrics["qini"])
    bins = m.uplift_by_bins(y, u, t, 10)
    assert bins["n_treated"].sum() + bins["n_control"].sum() == n
    assert res.deciles.observed.tolist() == pytest.approx(bins["observed"].tolist())


def test_matches_scikit_uplift_when_installed():
    sklift = pytest.importorskip("sklift.metrics")
    rng = np.random.default_rng(2)
    t = rng.integers(0, 2, 1000)
    y = rng.integers(0, 2, 1000)
    u = np.round(rng.random(1000), 2)  # with ties
    assert m.qini_auc_score(y, u, t) == pytest.approx(sklift.qini_auc_score(y, u, t))
    assert m.uplift_at_k(y, u, t, 0.3) == pytest.approx(
        sklift.uplift_at_k(y, u, t, strategy="overall", k=0.3))
