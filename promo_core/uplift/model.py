"""The fitted uplift model every later page uses: predict, explain, save.

An :class:`UpliftModel` is one learner (S, T or X) for one outcome and one set of
arms. It holds ``members``: member 0 is the plain fit, members 1… are bootstrap refits
whose spread gives the band around each prediction.
"""

from __future__ import annotations

from typing import NamedTuple

import lightgbm as lgb
import numpy as np
import pandas as pd

from promo_core.errors import PromoLabError
from promo_core.uplift.training_table import (
    DEPTH_COLUMNS,
    FEATURE_DECIMALS,
    promotion_attributes,
)

Z95 = 1.959964
PREPARED = "promo_lab.uplift_features"  # DataFrame.attrs flag set by UpliftModel._features


class FeatureMismatchError(PromoLabError):
    """The data given to a model lacks features it was trained on (or types differ)."""


class UpliftPrediction(NamedTuple):
    uplift: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


class UpliftModel:
    """One fitted meta-learner. Build it with :func:`promo_core.uplift.fit_learners`."""

    def __init__(self, learner: str, outcome: str, kind: str, feature_columns: list[str],
                 promotion_columns: list[str], categories: dict[str, list[str]],
                 arms: dict[int, dict], treated_share: dict[int, float],
                 seen_depths: dict[str, list[float]], config: dict,
                 members: list[dict[str, lgb.Booster]], metrics: dict | None = None,
                 info: dict | None = None) -> None:
        self.learner = learner
        self.outcome = outcome
        self.kind = kind
        self.feature_columns = feature_columns
        self.promotion_columns = promotion_columns
        self.categories = categories
        self.arms = {int(k): v for k, v in arms.items()}
        self.treated_share = {int(k): float(v) for k, v in treated_share.items()}
        self.seen_depths = seen_depths
        self.config = config
        self.members = members
        self.metrics = metrics or {}
        self.info = info or {}  # registry fields: model_id, fingerprint, as_of, …

    def __repr__(self) -> str:
        return (f"UpliftModel({self.learner}-learner, outcome={self.outcome!r}, "
                f"arms={list(self.arms)}, members={len(self.members)})")

    @property
    def name(self) -> str:
        arms = "+".join(str(self.arms[a].get("name") or a) for a in self.arms)
        return f"{self.learner}-learner · {self.outcome} · {arms}"

    @property
    def boosters(self) -> dict[str, lgb.Booster]:
        """Member 0's LightGBM boosters by name (for ``pred_contrib`` / SHAP)."""
        return self.members[0]

    # ---- inputs -------------------------------------------------------------------
    def feature_matrix(self, features: pd.DataFrame, promotion: dict | int | None = None,
                       treated: bool = True) -> pd.DataFrame:
        """The exact frame the boosters see for these customers.

        T/X boosters take the customer features only; the S boosters also take the
        promotion's attributes and ``treated`` (pass ``treated=False`` for the
        no-promotion side).
        """
        X = self._features(features)
        if self.learner != "S":
            return X
        promo = self._promotion(promotion)
        attrs = promotion_attributes([promo], self.promotion_columns)
        if not treated:
            attrs.loc[:, :] = 0.0
        rep = pd.DataFrame(np.repeat(attrs.to_numpy(), len(X), axis=0),
                           columns=self.promotion_columns)
        out = pd.concat([X, rep], axis=1)
        out["treated"] = 1.0 if treated else 0.0
        return out

    def _features(self, features: pd.DataFrame) -> pd.DataFrame:
        if features.attrs.get(PREPARED) and list(features.columns) == self.feature_columns:
            return features  # already converted by this method: no second copy
        missing = [c for c in self.feature_columns if c not in features.columns]
        if missing:
            raise FeatureMismatchError(
                f"the data lacks {len(missing)} feature(s) this model was trained on: "
                f"{', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}. Retrain the "
                "model on this data set, or choose a model trained on it.")
        X = features[self.feature_columns].reset_index(drop=True).copy()
        for col in self.feature_columns:
            if col in self.categories:
                X[col] = pd.Categorical(X[col].astype("object"),
                                        categories=self.categories[col])
            elif not (pd.api.types.is_numeric_dtype(X[col]) or pd.api.types.is_bool_dtype(
                    X[col])):
                raise FeatureMismatchError(
                    f"feature '{col}' was numeric when the model was trained but is "
                    f"{X[col].dtype} here; retrain the model on this data set.")
            else:
                X[col] = X[col].astype(float).round(FEATURE_DECIMALS)
        X.attrs[PREPARED] = True
        return X

    def _promotion(self, promotion: dict | int | None) -> dict:
        if promotion is None:
            if len(self.arms) == 1 or self.learner == "S":
                return next(iter(self.arms.values()))
            raise ValueError(f"this model has several arms; pass one of {list(self.arms)}")
        if isinstance(promotion, int | np.integer):
            if int(promotion) not in self.arms:
                raise ValueError(f"promotion {promotion} is not an arm of this model; "
                                 f"arms: {list(self.arms)}")
            return self.arms[int(promotion)]
        if self.learner != "S":
            pid = promotion.get("promo_id")
            if pid is None or int(pid) not in self.arms:
                raise ValueError(
                    f"the {self.learner}-learner scores only the promotions it was trained "
                    f"on ({', '.join(str(a) for a in self.arms)}); use the S-learner for a "
                    "new promotion")
            return self.arms[int(pid)]
        return promotion

    # ---- predictions --------------------------------------------------------------
    def predict_outcomes(self, features: pd.DataFrame, promotion: dict | int | None = None,
                         member: int = 0) -> pd.DataFrame:
        """Expected outcome per customer without (``y0``) and with (``y1``) the promotion.

        Columns ``y0, y1, uplift, p0, p1, b0, b1``: p = P(outcome > 0), b = E[outcome |
        outcome > 0] (empty for binary outcomes, where y = p). For the X-learner,
        ``y1 = y0 + τ(x)`` while p1/b1 come from its first stage. Also ``extrapolated``
        (S only): the depth lay outside the depths in the training data.
        """
        from promo_core.uplift import predict

        return predict.predict_outcomes(self, features, promotion, member)

    def predict_uplift_members(self, features: pd.DataFrame,
                               promotion: dict | int | None = None) -> np.ndarray:
        """Uplift per member (rows) and customer (columns): sum these per segment to get
        a segment band that respects correlation between customers."""
        X = self._features(features)
        return np.vstack([self.predict_outcomes(X, promotion, m)["uplift"].to_numpy()
                          for m in range(len(self.members))])

    def predict_uplift(self, features: pd.DataFrame, promotion: dict | int | None = None
                       ) -> UpliftPrediction:
        """Uplift per customer with a 95 % band from the bootstrap members.

        Without bootstrap members (``n_bags=0``) the band is NaN.
        """
        all_ = self.predict_uplift_members(features, promotion)
        point = all_[0]
        if len(all_) < 3:
            nan = np.full_like(point, np.nan)
            return UpliftPrediction(point, nan, nan)
        sd = all_[1:].std(axis=0, ddof=1)
        return UpliftPrediction(point, point - Z95 * sd, point + Z95 * sd)

    def depth_is_seen(self, promotion: dict) -> bool:
        """Did the training data run this promotion's depth (S-learner only matters)?"""
        attrs = promotion_attributes([promotion], self.promotion_columns)
        return all(round(float(attrs[c].iloc[0]), 6) in self.seen_depths.get(c, [])
                   or float(attrs[c].iloc[0]) == 0.0 for c in DEPTH_COLUMNS)
