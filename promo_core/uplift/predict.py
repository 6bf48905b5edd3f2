"""Per-learner prediction of outcomes with and without a promotion (vectorised)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from promo_core.uplift.learners import predict_group
from promo_core.uplift.training_table import CONTROL_ARM

if TYPE_CHECKING:
    from promo_core.uplift.model import UpliftModel

_DEPTH_OF_TYPE = {"percent_off": "promo_pct_off", "amount_off": "promo_amount_off",
                  "spend_threshold": "promo_amount_off"}


def predict_outcomes(model: UpliftModel, features: pd.DataFrame,
                     promotion: dict | int | None, member: int = 0) -> pd.DataFrame:
    boosters = model.members[member]
    X = model._features(features)
    promo = model._promotion(promotion)
    extrapolated = False
    if model.learner == "S":
        p0, b0, y0 = predict_group(boosters, "s", model.feature_matrix(X, promo, False))
        p1, b1, y1, extrapolated = _s_treated(model, boosters, X, promo)
    else:
        arm = int(promo["promo_id"])
        p0, b0, y0 = predict_group(boosters, f"t{CONTROL_ARM}", X)
        p1, b1, y1 = predict_group(boosters, f"t{arm}", X)
        if model.learner == "X":
            g = model.treated_share[arm]
            tau = g * boosters[f"x{arm}.tau0"].predict(X) + (1 - g) * boosters[
                f"x{arm}.tau1"].predict(X)
            y1 = y0 + tau
    return pd.DataFrame({"y0": y0, "y1": y1, "uplift": y1 - y0, "p0": p0, "p1": p1,
                         "b0": b0, "b1": b1, "extrapolated": extrapolated})


def _s_treated(model: UpliftModel, boosters, X: pd.DataFrame, promo: dict):
    """S-learner treated side; between two depths that were run, blend linearly."""
    column = _DEPTH_OF_TYPE.get(str(promo.get("promo_type")))
    depth = float(promo.get("value") or 0.0)
    seen = [d for d in model.seen_depths.get(column, []) if d > 0] if column else []
    if not column or not seen or round(depth, 6) in seen:
        return (*predict_group(boosters, "s", model.feature_matrix(X, promo, True)),
                bool(column) and not seen)
    lo_depths = [d for d in seen if d < depth]
    hi_depths = [d for d in seen if d > depth]
    if not lo_depths or not hi_depths:  # outside the range run: clamp, and say so
        nearest = (hi_depths or seen)[0] if not lo_depths else lo_depths[-1]
        out = predict_group(boosters, "s", model.feature_matrix(
            X, {**promo, "value": nearest}, True))
        return (*out, True)
    lo, hi = lo_depths[-1], hi_depths[0]
    w = (depth - lo) / (hi - lo)
    a = predict_group(boosters, "s", model.feature_matrix(X, {**promo, "value": lo}, True))
    b = predict_group(boosters, "s", model.feature_matrix(X, {**promo, "value": hi}, True))
    p = (1 - w) * a[0] + w * b[0]
    y = (1 - w) * a[2] + w * b[2]
    basket = (1 - w) * a[1] + w * b[1]
    return p, basket, y, False


def predict_arm_outcomes(model: UpliftModel, features: pd.DataFrame) -> np.ndarray:
    """Expected outcome under each arm (columns: control, then ``model.arms`` in order)."""
    X = model._features(features)
    cols = [model.predict_outcomes(X, next(iter(model.arms)))["y0"].to_numpy()]
    cols += [model.predict_outcomes(X, a)["y1"].to_numpy() for a in model.arms]
    return np.column_stack(cols)
