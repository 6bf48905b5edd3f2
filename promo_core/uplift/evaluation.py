"""Held-out evaluation with 95 % bootstrap intervals, vectorised over resamples.

The test rows are resampled ``n_boot`` times as multinomial *weights* (no copies):
every curve is a cumulative sum along the fixed score order, so all resamples of a
metric are a few matrix operations. Learners evaluated with the same seed on the
same rows share their resamples, so differences between them are *paired*.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from promo_core.uplift import metrics as m

CHUNK = 50  # resamples per matrix, to bound memory on large test sets


def bootstrap_weights(n: int, n_boot: int, seed: int) -> np.ndarray:
    """``n_boot × n`` multinomial counts (each row one bootstrap resample)."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n, np.full(n, 1.0 / n), size=n_boot).astype(np.float32)


def _interval(values: np.ndarray) -> tuple[float, float]:
    lo, hi = np.nanpercentile(values, [2.5, 97.5])
    return float(lo), float(hi)


def _weighted_qini_areas(y, s, t, W) -> np.ndarray:
    """Area under the Qini curve ordered by ``s`` for every weight row of ``W``."""
    order = np.argsort(s, kind="mergesort")[::-1]
    idx = m._thresholds(s[order])
    y, t, W = y[order], t[order], W[:, order]
    n = np.cumsum(W, axis=1)[:, idx]
    n_t = np.cumsum(W * t, axis=1)[:, idx]
    y_t = np.cumsum(W * (y * t), axis=1)[:, idx]
    y_c = np.cumsum(W * (y * (1 - t)), axis=1)[:, idx]
    n_c = n - n_t
    q = y_t - y_c * np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c > 0)
    zeros = np.zeros((len(W), 1))
    x, q = np.hstack([zeros, n]), np.hstack([zeros, q])
    return np.trapezoid(q, x, axis=1), q[:, -1], x[:, -1]


def qini_coefficients(y, s, t, W) -> np.ndarray:
    """Normalised Qini coefficient for each resample in ``W`` (chunked)."""
    out = []
    for start in range(0, len(W), CHUNK):
        w = W[start:start + CHUNK].astype(float)
        area, end, total = _weighted_qini_areas(y, s, t, w)
        p_area, _, _ = _weighted_qini_areas(y, m.perfect_scores(y, t), t, w)
        base = end * total / 2
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append((area - base) / (p_area - base))
    return np.concatenate(out)


def _uplift_at_k_boot(y, s, t, W, k: float) -> np.ndarray:
    order = np.argsort(s, kind="mergesort")[::-1]
    y, t = y[order], t[order]
    top = (np.arange(len(y)) < int(len(y) * k)).astype(float)
    w = W[:, order] * top
    with np.errstate(invalid="ignore", divide="ignore"):
        return (w @ (y * t)) / (w @ t) - (w @ (y * (1 - t))) / (w @ (1 - t))


@dataclass
class Evaluation:
    """Metrics of one set of scores on held-out rows, with intervals and curves."""

    metrics: dict[str, float]
    curves: pd.DataFrame  # fraction, qini, uplift, qini_perfect, uplift_perfect
    deciles: pd.DataFrame  # bin, predicted, observed, observed_low, observed_high
    qini_boot: np.ndarray

    def row(self) -> dict[str, float]:
        return dict(self.metrics)


def evaluate_scores(y_true, uplift, treatment, n_boot: int = 200, seed: int = 0,
                    ks: Sequence[float] = (0.1, 0.3, 0.5), bins: int = 10,
                    curve_points: int = 200) -> Evaluation:
    """Qini/AUUC/uplift@k/calibration of ``uplift`` on held-out rows, with 95 % CIs."""
    y, u, t = m.check_inputs(y_true, uplift, treatment)
    tf = t.astype(float)
    W = bootstrap_weights(len(y), n_boot, seed)
    qb = qini_coefficients(y, u, tf, W)
    out: dict[str, float] = {"qini": m.qini_auc_score(y, u, t), "auuc": m.uplift_auc_score(
        y, u, t)}
    out["qini_low"], out["qini_high"] = _interval(qb)
    for k in ks:
        key = f"uplift_at_{round(k * 100)}"
        try:
            out[key] = m.uplift_at_k(y, u, t, k)
        except ValueError:  # a small test set's top k may hold one group only: undefined
            out[key] = float("nan")
        out[key + "_low"], out[key + "_high"] = _interval(_uplift_at_k_boot(y, u, tf, W, k))
    ate_boot = _uplift_at_k_boot(y, u, tf, W, 1.0)
    out["average_effect"] = m.average_effect(y, t)
    out["average_effect_low"], out["average_effect_high"] = _interval(ate_boot)
    out["mean_predicted"] = float(u.mean())
    out["n_test"] = float(len(y))
    curves = _curves(y, u, t, curve_points)
    return Evaluation(out, curves, _deciles(y, u, tf, W, bins), qb)


def _curves(y, u, t, points: int) -> pd.DataFrame:
    x, q = m.qini_curve(y, u, t)
    _, up = m.uplift_curve(y, u, t)
    xp, qp = m.perfect_qini_curve(y, t)
    _, upp = m.perfect_uplift_curve(y, t)
    grid = np.linspace(0, 1, points + 1)
    f, fp = m.curve_fraction(x), m.curve_fraction(xp)
    n = len(y)
    return pd.DataFrame({
        "fraction": grid,
        # per-customer units so curves of different test sizes compare
        "qini": np.interp(grid, f, q) / n, "uplift": np.interp(grid, f, up) / n,
        "qini_perfect": np.interp(grid, fp, qp) / n,
        "uplift_perfect": np.interp(grid, fp, upp) / n,
    })


def _deciles(y, u, t, W, bins: int) -> pd.DataFrame:
    b = m.bin_index(u, bins)
    onehot = np.zeros((len(y), bins))
    onehot[np.arange(len(y)), b] = 1.0
    point = m.uplift_by_bins(y, u, t, bins)
    w = W.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        obs = (w @ (onehot * (y * t)[:, None])) / (w @ (onehot * t[:, None])) - (
            w @ (onehot * (y * (1 - t))[:, None])) / (w @ (onehot * (1 - t)[:, None]))
    lo, hi = np.nanpercentile(obs, [2.5, 97.5], axis=0)
    return pd.DataFrame({"bin": point["bin"], "predicted": point["predicted"],
                         "observed": point["observed"], "observed_low": lo,
                         "observed_high": hi})


def random_qini_band(y_true, treatment, n: int = 200, seed: int = 0) -> tuple[float, float]:
    """2.5–97.5 % range of the Qini coefficient of *random* rankings of these rows.

    A model whose lower bound is inside this band has not shown it ranks better than
    chance.
    """
    y, _, t = m.check_inputs(y_true, np.zeros(len(np.asarray(y_true))), treatment)
    rng = np.random.default_rng(seed)
    scores = rng.random((n, len(y)))
    ones = np.ones((1, len(y)))
    vals = np.array([qini_coefficients(y, s, t.astype(float), ones)[0] for s in scores])
    return _interval(vals)


def signal_verdict(evals: dict[str, Evaluation]) -> tuple[str | None, str]:
    """The learner to crown, or None with the sentence the page shows.

    A learner is crowned only when its Qini interval excludes 0; among those, the
    highest Qini wins.
    """
    with_signal = {k: e for k, e in evals.items() if e.metrics["qini_low"] > 0}
    if not with_signal:
        return None, ("No signal: every learner's Qini interval includes 0, so targeting "
                      "by these models adds nothing demonstrable over sending the promotion "
                      "to everyone (or to no one).")
    best = max(with_signal, key=lambda k: with_signal[k].metrics["qini"])
    e = with_signal[best].metrics
    return best, (f"The {best}-learner ranks best: normalised Qini {e['qini']:.3f} "
                  f"(95 % CI {e['qini_low']:.3f} to {e['qini_high']:.3f}).")


def paired_difference(a: Evaluation, b: Evaluation) -> tuple[float, float, float]:
    """Qini of ``a`` minus ``b`` with a paired 95 % interval (same resamples)."""
    d = a.qini_boot - b.qini_boot
    lo, hi = _interval(d)
    return a.metrics["qini"] - b.metrics["qini"], lo, hi
