"""Discount depth curve: predicted net incremental profit per segment at 0–40 % off.

Two steps, so the expensive one is cached: :func:`depth_forecasts` scores every
customer at each depth once (the model, all members), :func:`compute_depth_curve`
turns those into profit per segment and depth (cheap; re-run when a cost changes).
The profit-optimal depth comes with a band: the depths that members of the model
(bootstrap refits) find optimal, 2.5th to 97.5th percentile.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from promo_core.forecast import CustomerForecast, forecast_customers
from promo_core.scenarios import Population, _band, economics_by_group
from promo_core.uplift.predict import depth_blend

DEFAULT_DEPTHS = tuple(float(d) for d in range(0, 45, 5))


def depth_forecasts(model: Any, features: pd.DataFrame, template: Mapping[str, Any],
                    depths: Sequence[float] = DEFAULT_DEPTHS) -> dict[float, CustomerForecast]:
    """A percent-off forecast per depth (depth 0 is "no discount": p1 = p0, b1 = b0).

    An S-learner scores a depth history never ran as a blend of the depths it did run
    (:func:`promo_core.uplift.predict.depth_blend`), so the customers are scored once per
    depth *run* and every other depth is blended from those: 9 depths cost 3-4 scorings.
    """
    scored: dict[float, CustomerForecast] = {}

    def at(promo: dict) -> CustomerForecast:
        d = float(promo["value"])
        if d not in scored:
            scored[d] = forecast_customers(model, features, promo)
        return scored[d]

    out: dict[float, CustomerForecast] = {}
    positive = [float(d) for d in depths if d > 0] or [5.0]
    for d in depths:
        promo = {**template, "promo_type": "percent_off", "value": float(d)}
        blend = (depth_blend(model, {**promo, "value": max(float(d), positive[0])})
                 if getattr(model, "learner", None) == "S" else None)
        if blend is None:
            f = at({**promo, "value": max(float(d), positive[0])})
        else:
            weights, extrapolated = blend
            parts = [(at({**promo, "value": depth}), w) for depth, w in weights]
            first = parts[0][0]
            f = CustomerForecast(first.customer_ids, first.p0,
                                 sum(w * part.p1 for part, w in parts),
                                 first.b0, sum(w * part.b1 for part, w in parts), promo,
                                 extrapolated or first.extrapolated, first.basket_source,
                                 first.value_is_margin)
        if d <= 0:
            f = CustomerForecast(f.customer_ids, f.p0, f.p0, f.b0, f.b0, promo,
                                 f.extrapolated, f.basket_source, f.value_is_margin)
        out[float(d)] = replace(f, promotion=promo)
    return out


def compute_depth_curve(forecasts: Mapping[float, CustomerForecast], population: Population,
                        segments: Sequence[str], template: Mapping[str, Any],
                        margin_rate: float, basket_sigma: float) -> pd.DataFrame:
    """``segment, depth, net_profit, low, high, inc_conversions, promotion_cost`` per pair.

    Everyone in a segment gets the depth; the fixed cost is left out (it does not
    depend on depth, so it cannot move the optimum).
    """
    groups = np.full(population.size, -1, dtype=np.int64)
    for i, name in enumerate(segments):
        pos = population.segments[name]
        groups[pos[groups[pos] == -1]] = i
    rows = []
    for depth, f in sorted(forecasts.items()):
        promo = {**template, "promo_type": "percent_off", "value": depth}
        sums = economics_by_group(f, promo, groups, len(segments), margin_rate, basket_sigma)
        point, low, high = _band(sums["net_profit"])
        for i, name in enumerate(segments):
            rows.append({"segment": name, "depth": depth, "net_profit": point[i],
                         "low": low[i], "high": high[i],
                         "inc_conversions": sums["inc_conversions"][0, i],
                         "promotion_cost": sums["promotion_cost"][0, i],
                         "members": sums["net_profit"][:, i]})
    return pd.DataFrame(rows)


def optimal_depths(curve: pd.DataFrame) -> pd.DataFrame:
    """Per segment: the profit-optimal depth, its profit, and the members' depth band."""
    out = []
    for name, g in curve.groupby("segment", sort=False):
        g = g.sort_values("depth")
        members = np.vstack(g["members"].to_numpy())  # depths × members
        best = g.iloc[int(np.argmax(g["net_profit"].to_numpy()))]
        per_member = g["depth"].to_numpy()[np.argmax(members, axis=0)]
        has_band = members.shape[1] >= 3
        out.append({"segment": name, "best_depth": best["depth"],
                    "net_profit": best["net_profit"], "low": best["low"], "high": best["high"],
                    "depth_low": np.percentile(per_member[1:], 2.5) if has_band else np.nan,
                    "depth_high": np.percentile(per_member[1:], 97.5) if has_band else np.nan})
    return pd.DataFrame(out)
