"""Uplift metrics as pure functions, argument order ``(y_true, uplift, treatment, …)``.

Conventions (they match scikit-uplift's, so figures can be compared):
- customers are sorted by predicted uplift, descending; customers with *tied* scores
  enter the curve together (one point per distinct score), so a model's score does
  not depend on the order of ties;
- x is the number of customers targeted (``curve_fraction`` turns it into a share);
- **Qini curve** ``Q(k) = Y_t(k) − Y_c(k) · N_t(k) / N_c(k)``;
  **uplift curve** ``U(k) = (Y_t(k)/N_t(k) − Y_c(k)/N_c(k)) · k``;
- **normalised Qini coefficient** (``qini_auc_score``): area between the model's Qini
  curve and the random line, divided by the same area for the perfect ranking, which
  puts responders-if-treated first and responders-if-control last (scikit-uplift's
  ``negative_effect=True`` variant). 1 is perfect, 0 random, < 0 worse than random.
  **AUUC** (``uplift_auc_score``) is the same normalisation on the uplift curve;
- **uplift at k**: treated minus control mean outcome among the top ``k`` share.

Inputs are validated: equal lengths, no NaN, treatment 0/1 with both groups present.
"""

from __future__ import annotations

import numpy as np

_STRATEGIES = ("overall", "by_group")


def check_inputs(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Arrays as float/int, or a ValueError that says what is wrong."""
    y = np.asarray(y_true, dtype=float).ravel()
    u = np.asarray(uplift, dtype=float).ravel()
    t = np.asarray(treatment).ravel()
    if not (len(y) == len(u) == len(t)):
        raise ValueError(f"y_true, uplift and treatment must have the same length; got "
                         f"{len(y)}, {len(u)} and {len(t)}")
    if len(y) == 0:
        raise ValueError("no rows: metrics need at least one treated and one control row")
    if np.isnan(y).any() or np.isnan(u).any():
        raise ValueError("y_true and uplift must not contain NaN")
    values = set(np.unique(t).tolist())
    if not values <= {0, 1}:
        raise ValueError(f"treatment must be 0 (control) or 1 (treated); got values "
                         f"{sorted(values)[:5]}")
    t = t.astype(int)
    if t.sum() == 0:
        raise ValueError("treatment has no treated rows (all control): uplift needs both")
    if t.sum() == len(t):
        raise ValueError("treatment has no control rows (all treated): uplift needs both")
    return y, u, t


def _thresholds(u_sorted: np.ndarray) -> np.ndarray:
    """Index of the last row of each block of tied scores."""
    return np.r_[np.flatnonzero(np.diff(u_sorted)), len(u_sorted) - 1]


def _cumulative(y, u, t):
    order = np.argsort(u, kind="mergesort")[::-1]
    y, u, t = y[order], u[order], t[order]
    idx = _thresholds(u)
    n_t = np.cumsum(t)[idx].astype(float)
    y_t = np.cumsum(y * t)[idx]
    y_c = np.cumsum(y * (1 - t))[idx]
    n = (idx + 1).astype(float)
    return n, n_t, n - n_t, y_t, y_c


def qini_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(k, Q(k))`` of the Qini curve, starting at (0, 0)."""
    n, n_t, n_c, y_t, y_c = _cumulative(*check_inputs(y_true, uplift, treatment))
    q = y_t - y_c * np.divide(n_t, n_c, out=np.zeros_like(n_t), where=n_c != 0)
    return np.r_[0.0, n], np.r_[0.0, q]


def uplift_curve(y_true, uplift, treatment) -> tuple[np.ndarray, np.ndarray]:
    """Points ``(k, U(k))`` of the uplift curve, starting at (0, 0)."""
    n, n_t, n_c, y_t, y_c = _cumulative(*check_inputs(y_true, uplift, treatment))
    mean_t = np.divide(y_t, n_t, out=np.zeros_like(y_t), where=n_t != 0)
    mean_c = np.divide(y_c, n_c, out=np.zeros_like(y_c), where=n_c != 0)
    return np.r_[0.0, n], np.r_[0.0, (mean_t - mean_c) * n]


def perfect_scores(y_true, treatment) -> np.ndarray:
    """The ranking of the perfect model: treated responders first, control ones last."""
    y, t = np.asarray(y_true, dtype=float), np.asarray(treatment).astype(int)
    return y * t - y * (1 - t)


def perfect_qini_curve(y_true, treatment) -> tuple[np.ndarray, np.ndarray]:
    return qini_curve(y_true, perfect_scores(y_true, treatment), treatment)


def perfect_uplift_curve(y_true, treatment) -> tuple[np.ndarray, np.ndarray]:
    return uplift_curve(y_true, perfect_scores(y_true, treatment), treatment)


def curve_fraction(k: np.ndarray) -> np.ndarray:
    """Curve x as a share of customers targeted (0…1)."""
    k = np.asarray(k, dtype=float)
    return k / k[-1]


def _normalised_area(x, y, x_p, y_p) -> float:
    baseline = np.trapezoid([0.0, y_p[-1]], [0.0, x_p[-1]])
    perfect = np.trapezoid(y_p, x_p) - baseline
    if perfect == 0:
        raise ValueError("the perfect curve has no area above random (no outcome "
                         "difference in these rows): the coefficient is undefined")
    return float((np.trapezoid(y, x) - baseline) / perfect)


def qini_auc_score(y_true, uplift, treatment) -> float:
    """Normalised Qini coefficient (see module docstring for the variant)."""
    x, q = qini_curve(y_true, uplift, treatment)
    return _normalised_area(x, q, *perfect_qini_curve(y_true, treatment))


def uplift_auc_score(y_true, uplift, treatment) -> float:
    """Normalised area under the uplift curve (AUUC), same normalisation as Qini."""
    x, u = uplift_curve(y_true, uplift, treatment)
    return _normalised_area(x, u, *perfect_uplift_curve(y_true, treatment))


def uplift_at_k(y_true, uplift, treatment, k: float = 0.3, strategy: str = "overall"
                ) -> float:
    """Treated minus control mean outcome among the top ``k`` (a share, 0 < k ≤ 1).

    ``overall``: the top k of everyone; ``by_group``: the top k of the treated and of
    the control group separately.
    """
    y, u, t = check_inputs(y_true, uplift, treatment)
    if strategy not in _STRATEGIES:
        raise ValueError(f"strategy must be one of {', '.join(_STRATEGIES)}; got {strategy!r}")
    if not 0 < k <= 1:
        raise ValueError(f"k must be a share between 0 and 1; got {k}")
    order = np.argsort(u, kind="mergesort")[::-1]
    y, t = y[order], t[order]
    if strategy == "overall":
        top = slice(0, int(len(y) * k))
        yt, tt = y[top], t[top]
        if tt.sum() == 0 or tt.sum() == len(tt):
            raise ValueError(f"the top {k:.0%} holds only one group; choose a larger k")
        return float(yt[tt == 1].mean() - yt[tt == 0].mean())
    y1, y0 = y[t == 1], y[t == 0]
    n1, n0 = int(len(y1) * k), int(len(y0) * k)
    if n1 == 0 or n0 == 0:
        raise ValueError(f"the top {k:.0%} of a group is empty; choose a larger k")
    return float(y1[:n1].mean() - y0[:n0].mean())


def average_effect(y_true, treatment) -> float:
    """Treated minus control mean outcome (the effect of sending to everyone)."""
    y, _, t = check_inputs(y_true, np.zeros(len(np.asarray(y_true))), treatment)
    return float(y[t == 1].mean() - y[t == 0].mean())


def uplift_by_bins(y_true, uplift, treatment, bins: int = 10) -> dict[str, np.ndarray]:
    """Mean predicted vs observed uplift per bin of predicted uplift (bin 1 = highest).

    Bins are equal-sized by rank; ``observed`` is NaN in a bin lacking a group.
    """
    y, u, t = check_inputs(y_true, uplift, treatment)
    if bins < 1 or bins > len(y):
        raise ValueError(f"bins must be between 1 and the number of rows ({len(y)}); "
                         f"got {bins}")
    b = bin_index(u, bins)
    n_t = np.bincount(b, t, bins)
    n_c = np.bincount(b, 1 - t, bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        obs = np.bincount(b, y * t, bins) / n_t - np.bincount(b, y * (1 - t), bins) / n_c
    pred = np.bincount(b, u, bins) / np.bincount(b, minlength=bins)
    return {"bin": np.arange(1, bins + 1), "predicted": pred, "observed": obs,
            "n_treated": n_t, "n_control": n_c}


def bin_index(uplift: np.ndarray, bins: int) -> np.ndarray:
    """0-based bin of each row, 0 holding the highest predicted uplift."""
    order = np.argsort(-np.asarray(uplift, dtype=float), kind="mergesort")
    b = np.empty(len(order), dtype=int)
    b[order] = np.arange(len(order)) * bins // len(order)
    return b
