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
from promo_core.plans.payload import (
    PlanForecast,
    from_choice,
    from_scenario,
    load_promotion,
    plan_context,
)
from promo_core.plans.store import PlanError

# (features of the population, promotion dict) → forecast; the champion by default.
Forecaster = Callable[[pd.DataFrame, Mapping[str, Any]], CustomerForecast]


def segment_population(con: duckdb.DuckDBPyConnection, names: Sequence[str],
                       known: np.ndarray | None = None) -> scenarios.Population:
    """The groups called ``names`` as a Population: saved segments (their stored
    members), and the two groups that are not saved segments: ``scenarios.EVERYONE``
    (every customer in ``known``) and ``scenarios.OTHERS`` (those in ``known`` outside
    every named segment)."""
    special = {scenarios.EVERYONE, scenarios.OTHERS}
    saved = [n for n in names if n not in special]
    frame = con.cursor().execute(
        "SELECT s.name, m.customer_id FROM segments s JOIN segment_members m USING "
        "(segment_id) WHERE s.name IN (SELECT unnest(?)) ORDER BY m.customer_id",
        [saved]).df()
    missing = sorted(set(saved) - set(frame["name"]))
    if missing:
        raise PlanError(f"saved segment(s) not found: {', '.join(missing)}; save them on the "
                        "Segments page first")
    groups = {n: g["customer_id"].to_numpy() for n, g in frame.groupby("name")}
    if special & set(names):
        if known is None:
            raise ValueError("known customers are needed for everyone / other customers")
        if scenarios.EVERYONE in names:
            groups[scenarios.EVERYONE] = np.asarray(known)
        if scenarios.OTHERS in names:
            inside = np.concatenate([*groups.values(), np.empty(0, dtype=np.int64)])
            groups[scenarios.OTHERS] = np.setdiff1d(known, inside)
    ids = np.unique(np.concatenate([*groups.values(), np.empty(0, dtype=np.int64)]))
    return scenarios.Population.from_members(ids, groups)


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
    feats = profiles.compute_profiles(con, as_of)
    population = segment_population(con, [s for s, _ in assignments],
                                    feats["customer_id"].to_numpy())
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


def check_within_budget(forecast: PlanForecast, budget: float | None) -> None:
    """Refuse (PlanError) a plan whose promotion cost is over its budget (None: no budget)."""
    cost = forecast.totals["promotion_cost"]
    if budget and cost > budget:
        raise PlanError(f"the plan would cost {cost:,.0f}, over its budget of {budget:,.0f}; "
                        "choose fewer segments or a cheaper promotion, or raise the budget")


def rebuild(con: duckdb.DuckDBPyConnection, payload: Mapping[str, Any], as_of: date, *,
            forecaster: Forecaster | None = None, model_id: int | None = None,
            targets: pd.DataFrame | None = None) -> PlanForecast:
    """The same plan forecast again as of ``as_of``.

    A plan built from segments is rebuilt from its recipe (segments, promotions,
    budget). An optimiser plan chose customer by customer, which no recipe repeats: it
    is rebuilt from its own ``targets`` (the same customers, the same promotions).
    """
    a = payload.get("assumptions", {})
    if payload.get("source") == "optimiser":
        if targets is None:
            raise PlanError("an optimiser plan is rebuilt from its targets; none were given")
        return _rebuild_choice(con, payload, targets, as_of, forecaster, model_id)
    recipe = (payload.get("recipe") or {}).get("assignments")
    if not recipe:
        raise PlanError("this plan has no recipe to rebuild from (saved by an older version)")
    return build_from_recipe(con, [(s, p) for s, p in recipe], as_of,
                             name=str(payload.get("scenario") or "Plan"), forecaster=forecaster,
                             model_id=model_id, budget=a.get("budget"),
                             constraints=a.get("constraints"))


def _rebuild_choice(con: duckdb.DuckDBPyConnection, payload: Mapping[str, Any],
                    targets: pd.DataFrame, as_of: date, forecaster: Forecaster | None,
                    model_id: int | None) -> PlanForecast:
    if targets.empty:
        raise PlanError("this plan has no targets to forecast again")
    if forecaster is None:
        forecaster, model_id = champion_forecaster(con)
    feats = profiles.compute_profiles(con, as_of)
    feats = feats[feats["customer_id"].isin(targets["customer_id"])].reset_index(drop=True)
    if feats.empty:
        raise PlanError(f"none of this plan's customers have features as of {as_of}")
    pids = sorted(int(p) for p in targets["promo_id"].unique())
    keys = [f"promo {pid}" for pid in pids]
    promotions = {k: load_promotion(con, pid) for k, pid in zip(keys, pids, strict=True)}
    forecasts = {k: forecaster(feats, promo) for k, promo in promotions.items()}
    names = sorted(targets["segment"].astype(str).unique())
    by_id = targets.drop_duplicates("customer_id").set_index("customer_id")
    picked = by_id.reindex(feats["customer_id"])
    choice = picked["promo_id"].map({pid: i for i, pid in enumerate(pids)}).to_numpy(int)
    segment = picked["segment"].astype(str).map({n: i for i, n in enumerate(names)})
    a = payload.get("assumptions", {})
    return from_choice(choice, keys, segment.to_numpy(int), names,
                       feats["customer_id"].to_numpy(), forecasts, promotions,
                       name=str(payload.get("scenario") or "Plan"), as_of=as_of,
                       margin_rate=economics.estimate_margin_rate(con, as_of),
                       basket_sigma=economics.estimate_basket_sigma(con, as_of),
                       **plan_context(con, model_id, a.get("budget"), a.get("constraints")))
