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


def depth_blend(model: UpliftModel, promo: dict) -> tuple[list[tuple[float, float]], bool] | None:
    """How the S-learner scores this promotion's depth from the depths history ran.

    ``None``: score the promotion as it is (a depth that was run, or a mechanic without
    a depth). Otherwise ``([(depth run, weight), …], extrapolated)``: between two depths
    that were run, a linear blend of the two; outside the range run, the nearest one
    (clamped, and flagged as an extrapolation).
    """
    column = _DEPTH_OF_TYPE.get(str(promo.get("promo_type")))
    depth = float(promo.get("value") or 0.0)
    seen = [d for d in model.seen_depths.get(column, []) if d > 0] if column else []
    if not column or not seen or round(depth, 6) in seen:
        return None
    lo_depths = [d for d in seen if d < depth]
    hi_depths = [d for d in seen if d > depth]
    if not lo_depths or not hi_depths:
        return [((hi_depths or seen)[0] if not lo_depths else lo_depths[-1], 1.0)], True
    lo, hi = lo_depths[-1], hi_depths[0]
    w = (depth - lo) / (hi - lo)
    return [(lo, 1 - w), (hi, w)], False


def _s_treated(model: UpliftModel, boosters, X: pd.DataFrame, promo: dict):
    """S-learner treated side, at the depth :func:`depth_blend` says."""
    blend = depth_blend(model, promo)
    if blend is None:
        column = _DEPTH_OF_TYPE.get(str(promo.get("promo_type")))
        seen = model.seen_depths.get(column, []) if column else []
        return (*predict_group(boosters, "s", model.feature_matrix(X, promo, True)),
                bool(column) and not any(d > 0 for d in seen))
    weights, extrapolated = blend
    p = basket = y = 0.0
    for depth, w in weights:
        a = predict_group(boosters, "s", model.feature_matrix(X, {**promo, "value": depth}, True))
        p, basket, y = p + w * a[0], basket + w * a[1], y + w * a[2]
    return p, basket, y, extrapolated


def predict_arm_outcomes(model: UpliftModel, features: pd.DataFrame) -> np.ndarray:
    """Expected outcome under each arm (columns: control, then ``model.arms`` in order)."""
    X = model._features(features)
    cols = [model.predict_outcomes(X, next(iter(model.arms)))["y0"].to_numpy()]
    cols += [model.predict_outcomes(X, a)["y1"].to_numpy() for a in model.arms]
    return np.column_stack(cols)
