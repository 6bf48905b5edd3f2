"""Per-customer forecasts of a promotion from the champion uplift model.

A :class:`CustomerForecast` holds p0, p1, b0, b1 (DESIGN.md's symbols) for every
customer and every model member (member 0 is the point fit; members 1… are bootstrap
refits whose spread is the band). It is the expensive step — the economics on top of
it are cheap — so callers cache it per :func:`forecast_key` (model, as-of date,
promotion) and never recompute it when only a cost or a budget changes.

When the champion models a binary outcome (conversion), it has no basket model:
``b0 = b1 =`` the customer's past average order value (the median where a customer
has none), and the forecast says so in ``basket_source``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

FALLBACK_BASKET = 50.0


@dataclass(frozen=True)
class CustomerForecast:
    """p/b without (0) and with (1) the promotion: arrays shaped (members, customers)."""

    customer_ids: np.ndarray
    p0: np.ndarray
    p1: np.ndarray
    b0: np.ndarray
    b1: np.ndarray
    promotion: dict
    extrapolated: bool = False
    basket_source: str = "model"  # "model", "past AOV" or "truth"
    value_is_margin: bool = False  # the model's amounts are margin, not revenue

    @property
    def n_members(self) -> int:
        return int(self.p0.shape[0])

    def take(self, index: np.ndarray) -> CustomerForecast:
        """The same forecast for a subset of customers (positions)."""
        return CustomerForecast(self.customer_ids[index], self.p0[:, index], self.p1[:, index],
                                self.b0[:, index], self.b1[:, index], self.promotion,
                                self.extrapolated, self.basket_source, self.value_is_margin)


def forecast_key(model_id: int | str, as_of: date | str, promotion: Mapping[str, Any]) -> str:
    """A small hashable key for caches: same model, date and promotion → same forecast."""
    promo = {k: (None if v is None or (isinstance(v, float) and np.isnan(v)) else v)
             for k, v in promotion.items() if k not in ("name", "promo_id", "is_candidate")}
    return json.dumps([str(model_id), str(as_of), promo], sort_keys=True, default=str)


def _basket_fallback(features: pd.DataFrame) -> np.ndarray:
    if "aov" not in features:
        return np.full(len(features), FALLBACK_BASKET)
    aov = pd.to_numeric(features["aov"], errors="coerce").to_numpy(dtype=float)
    fill = np.nanmedian(aov) if np.isfinite(aov).any() else FALLBACK_BASKET
    return np.where(np.isfinite(aov) & (aov > 0), aov, fill)


def forecast_customers(model: Any, features: pd.DataFrame, promotion: Mapping[str, Any] | int,
                       *, max_members: int | None = None) -> CustomerForecast:
    """Score every customer in ``features`` with every member of ``model``.

    ``model`` is an :class:`promo_core.uplift.UpliftModel`; ``promotion`` a promotions
    dict (the S-learner scores any; T/X learners only their arms) or a promo id.
    """
    n_members = len(model.members) if max_members is None else min(max_members,
                                                                   len(model.members))
    feats = features.reset_index(drop=True)
    outs = [model.predict_outcomes(feats, promotion, member=m) for m in range(n_members)]
    stack = {c: np.vstack([o[c].to_numpy(dtype=float) for o in outs])
             for c in ("p0", "p1", "b0", "b1")}
    source = "model"
    if not np.isfinite(stack["b0"]).all():
        basket = np.broadcast_to(_basket_fallback(feats), stack["p0"].shape)
        stack["b0"] = np.where(np.isfinite(stack["b0"]), stack["b0"], basket)
        stack["b1"] = np.where(np.isfinite(stack["b1"]), stack["b1"], basket)
        source = "past AOV"
    promo = dict(promotion) if isinstance(promotion, Mapping) else dict(
        model.arms.get(int(promotion), {"promo_id": int(promotion)}))
    return CustomerForecast(
        feats["customer_id"].to_numpy(), stack["p0"], stack["p1"], stack["b0"], stack["b1"],
        promo, extrapolated=bool(outs[0]["extrapolated"].any()), basket_source=source,
        value_is_margin=getattr(model, "outcome", "revenue") == "margin")


def forecast_from_truth(truth: pd.DataFrame, promotion: Mapping[str, Any]) -> CustomerForecast:
    """The demo shop's true p/b (from :func:`promo_core.demo.true_uplift`) as a forecast.

    ``revenue_*`` are expected revenue over the window, so b = revenue / p (the basket
    given a purchase); where p is 0 the basket does not matter and is set to 0.
    """
    p0 = truth["p_buy_control"].to_numpy(dtype=float)
    p1 = truth["p_buy_treated"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        b0 = np.where(p0 > 0, truth["revenue_control"].to_numpy(dtype=float) / p0, 0.0)
        b1 = np.where(p1 > 0, truth["revenue_treated"].to_numpy(dtype=float) / p1, 0.0)
    return CustomerForecast(truth["customer_id"].to_numpy(), p0[None], p1[None], b0[None],
                            b1[None], dict(promotion), basket_source="truth")
