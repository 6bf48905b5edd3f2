"""Several arms: does picking the best arm per customer beat one arm for everyone?

On randomised test rows the value of a policy π (expected outcome per customer if
everyone got what π says) is estimated by inverse-probability weighting:
``V(π) = Σ y·1[a = π(x)]/P(a) / Σ 1[a = π(x)]/P(a)`` (Hájek), where ``a`` is the arm
the customer actually got. The per-customer policy is compared *paired* (same
bootstrap resamples) with the best single arm for everyone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from promo_core.uplift.evaluation import _interval, bootstrap_weights


def _values(W: np.ndarray, y: np.ndarray, match: np.ndarray, inv_p: np.ndarray) -> np.ndarray:
    w = match * inv_p
    with np.errstate(invalid="ignore", divide="ignore"):
        return (W @ (w * y)) / (W @ w)


def compare_policies(y: np.ndarray, arm: np.ndarray, predicted: np.ndarray,
                     arm_labels: list[int], names: dict[int, str] | None = None,
                     n_boot: int = 200, seed: int = 0) -> pd.DataFrame:
    """Value of each single arm, of the per-customer policy, and its paired gain.

    ``predicted`` is n × len(arm_labels): expected outcome under each arm (column 0
    usually the control, ``0``). Returns rows ``policy, value, low, high``; the last row
    is the gain of the per-customer policy over the best single arm.
    """
    y = np.asarray(y, dtype=float)
    arm = np.asarray(arm)
    labels = np.asarray(arm_labels)
    if predicted.shape != (len(y), len(labels)):
        raise ValueError(f"predicted must be {len(y)} × {len(labels)}; got {predicted.shape}")
    missing = [a for a in labels if not (arm == a).any()]
    if missing:
        raise ValueError(f"arms {missing} have no test rows: their value cannot be estimated")
    names = names or {}
    share = {a: float((arm == a).mean()) for a in labels}
    inv_p = np.array([1.0 / share[a] for a in arm])
    W = bootstrap_weights(len(y), n_boot, seed).astype(float)
    rows = []
    boots = {}
    for a in labels:
        match = (arm == a).astype(float)
        boots[a] = _values(W, y, match, inv_p)
        point = float(y[arm == a].mean())
        rows.append((f"Everyone: {names.get(a, a)}", point, *_interval(boots[a])))
    best = max(labels, key=lambda a: y[arm == a].mean())
    choice = labels[np.argmax(predicted, axis=1)]
    match = (arm == choice).astype(float)
    pol_boot = _values(W, y, match, inv_p)
    pol = float(_values(np.ones((1, len(y))), y, match, inv_p)[0])
    rows.append(("Best arm per customer (model)", pol, *_interval(pol_boot)))
    gain = pol - float(y[arm == best].mean())
    rows.append((f"Gain over everyone: {names.get(best, best)}", gain,
                 *_interval(pol_boot - boots[best])))
    out = pd.DataFrame(rows, columns=["policy", "value", "low", "high"])
    out.attrs["shares"] = {names.get(a, a): float((choice == a).mean()) for a in labels}
    return out


def gain_is_shown(table: pd.DataFrame) -> bool:
    """Claim a gain only when its whole interval is above 0."""
    return bool(table.iloc[-1]["low"] > 0)
