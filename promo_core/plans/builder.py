"""Build a plan forecast from a recipe: saved segments, each with a promotion (or none).

This is what the page's "New plan" form and the weekly job use; the Scenarios page
builds the same :class:`~promo_core.plans.payload.PlanForecast` through
:func:`~promo_core.plans.payload.from_scenario`. Customers are scored by the champion
uplift model (every bootstrap member, for the bands) as of ``as_of``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from promo_core import economics, profiles, scenarios, uplift
from promo_core.forecast import CustomerForecast, forecast_customers
from promo_core.plans.payload import PlanForecast, from_scenario, load_promotion, plan_context
from promo_core.plans.store import PlanError

# (features of the population, promotion dict) → forecast; the champion by default.
Forecaster = Callable[[pd.DataFrame, Mapping[str, Any]], CustomerForecast]


def segment_population(con: duckdb.DuckDBPyConnection, names: Sequence[str]
                       ) -> scenarios.Population:
    """The saved segments called ``names`` (their stored members) as a Population."""
    cur = con.cursor()
    frame = cur.execute(
        "SELECT s.name, m.customer_id FROM segments s JOIN segment_members m USING "
        "(segment_id) WHERE s.name IN (SELECT unnest(?)) ORDER BY m.customer_id",
        [list(names)]).df()
    missing = sorted(set(names) - set(frame["name"]))
    if missing:
        raise PlanError(f"saved segment(s) not found: {', '.join(missing)}; save them on the "
                        "Segments page first")
    ids = np.unique(frame["customer_id"].to_numpy())
    return scenarios.Population.from_members(ids, {
        n: g["customer_id"].to_numpy() for n, g in frame.groupby("name")})


def champion_forecaster(con: duckdb.DuckDBPyConnection) -> tuple[Forecaster, int]:
    """The champion's forecaster and model id, or a PlanError saying what to do."""
    model_id = uplift.champion_id(con)
    model = uplift.load_champion(con)
    if model is None or model_id is None:
        raise PlanError("no champion uplift model: train one on the Uplift models page")
    return (lambda feats, promo: forecast_customers(model, feats, dict(promo))), model_id


def build_from_recipe(con: duckdb.DuckDBPyConnection,
                      assignments: Sequence[tuple[str, int | None]], as_of: date, *,
                      name: str = "Plan", forecaster: Forecaster | None = None,
                      model_id: int | None = None, budget: float | None = None,
                      constraints: Mapping[str, Any] | None = None) -> PlanForecast:
    """Forecast a plan: ``assignments`` are (saved segment name, promo_id or None)."""
    if not any(pid is not None for _, pid in assignments):
        raise PlanError("give at least one segment a promotion")
    if forecaster is None:
        forecaster, model_id = champion_forecaster(con)
    population = segment_population(con, [s for s, _ in assignments])
    feats = profiles.compute_profiles(con, as_of)
    feats = feats[feats["customer_id"].isin(population.customer_ids)]
    population = scenarios.Population.from_members(
        feats["customer_id"].to_numpy(),
        {k: population.customer_ids[v] for k, v in population.segments.items()})
    keys = {pid: f"promo {pid}" for _, pid in assignments if pid is not None}
    promotions = {keys[pid]: load_promotion(con, pid) for pid in keys}
    forecasts = {k: forecaster(feats.reset_index(drop=True), promo)
                 for k, promo in promotions.items()}
    scenario = scenarios.Scenario(name, [(s, keys.get(pid) if pid is not None else None)
                                         for s, pid in assignments])
    return from_scenario(scenario, population, forecasts, promotions, as_of=as_of,
                         margin_rate=economics.estimate_margin_rate(con, as_of),
                         basket_sigma=economics.estimate_basket_sigma(con, as_of),
                         **plan_context(con, model_id, budget, constraints))


def rebuild(con: duckdb.DuckDBPyConnection, payload: Mapping[str, Any], as_of: date, *,
            forecaster: Forecaster | None = None, model_id: int | None = None) -> PlanForecast:
    """The same recipe (segments, promotions, budget) forecast again as of ``as_of``."""
    recipe = (payload.get("recipe") or {}).get("assignments")
    if not recipe:
        raise PlanError("this plan has no recipe to rebuild from (saved by an older version)")
    a = payload.get("assumptions", {})
    return build_from_recipe(con, [(s, p) for s, p in recipe], as_of,
                             name=str(payload.get("scenario") or "Plan"), forecaster=forecaster,
                             model_id=model_id, budget=a.get("budget"),
                             constraints=a.get("constraints"))
