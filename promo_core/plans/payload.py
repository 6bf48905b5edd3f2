"""A plan's content: the JSON payload of one ``plan_versions`` row, and its target list.

A plan is a saved scenario (or optimiser result). Its payload (``PAYLOAD_VERSION``)::

    {"payload_version": 1, "source": "scenario" | "optimiser", "scenario": name,
     "as_of": "2025-01-01",                 # features as of this day
     "uplift_metric": "conversion",         # what targets.uplift measures (p1 − p0)
     "segments": [ {segment, promotion, promo_id, mechanic, contacts, inc_conversions,
                    inc_conversions_low, inc_conversions_high, inc_revenue, inc_margin,
                    …_low/_high, redemption_cost, sure_thing_cost, contact_cost,
                    fixed_cost, promotion_cost, net_profit, roi, break_even_contact_cost} ],
     "totals": {the same figures for the whole plan},
     "targets": {"count": n, "storage": "plan_targets", "by_promotion": {name: n}},
     "assumptions": {"margin_rate", "basket_sigma", "budget", "constraints": {…},
                     "promotions": {promo_id: promotions row}, "basket_source"},
     "model": {"model_id", "name", "created_at", "fingerprint", "metrics"} | null,
     "data_fingerprint": db.fingerprint(con),
     "recipe": {"assignments": [[segment, promo_id], …]}   # what the weekly job rebuilds
    }

Targets never go into JSON (a plan may reach 1M customers): they travel beside the
payload as a frame with :data:`TARGET_COLUMNS` and are stored in ``plan_targets``.
Figures are the scenario module's own (:func:`promo_core.scenarios.evaluate_scenario`),
so a plan shows exactly what the Scenarios page showed when it was saved.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from promo_core import db, scenarios
from promo_core import promotions as promo_lib
from promo_core.forecast import CustomerForecast

PAYLOAD_VERSION = 1
TARGET_COLUMNS = ("customer_id", "promo_id", "segment", "uplift", "lower", "upper")
Z95 = scenarios.Z95


@dataclass
class PlanForecast:
    """What one save writes: the JSON-able payload and the target list."""

    payload: dict[str, Any]
    targets: pd.DataFrame  # TARGET_COLUMNS

    @property
    def totals(self) -> dict[str, Any]:
        return self.payload["totals"]


def _clean(value: Any) -> Any:
    """JSON-safe: numpy scalars to Python, NaN/inf to None, dates to ISO text."""
    if isinstance(value, Mapping):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def to_json(payload: Mapping[str, Any]) -> str:
    return json.dumps(_clean(payload), sort_keys=True)


def load_promotion(con: duckdb.DuckDBPyConnection, promo_id: int) -> dict[str, Any]:
    """A ``promotions`` row as a plain dict (NULL → None), read without pandas."""
    cur = con.cursor().execute("SELECT * FROM promotions WHERE promo_id = ?", [int(promo_id)])
    row = cur.fetchone()
    if row is None:
        raise ValueError(f"no promotion with id {promo_id}")
    return _clean(dict(zip([d[0] for d in cur.description], row, strict=True)))


def _plain(promo: Mapping[str, Any]) -> dict[str, Any]:
    """A promotion mapping as JSON-safe values (pandas NA and NaN become None)."""
    return {str(k): (None if v is None or v is pd.NA or (isinstance(v, float) and v != v)
                     else _clean(v)) for k, v in promo.items() if k != "is_candidate"}


def model_card(con: duckdb.DuckDBPyConnection, model_id: int | None) -> dict[str, Any] | None:
    """The ``models`` row behind a forecast, as the model card sheet shows it."""
    if model_id is None:
        return None
    row = con.cursor().execute(
        "SELECT model_id, name, kind, created_at, fingerprint, metrics FROM models "
        "WHERE model_id = ?", [int(model_id)]).fetchone()
    if row is None:
        return {"model_id": int(model_id), "name": "(model not found)"}
    try:
        metrics = json.loads(row[5]) if row[5] else {}
    except json.JSONDecodeError:
        metrics = {"raw": row[5]}
    return {"model_id": row[0], "name": row[1], "kind": row[2], "created_at": row[3],
            "fingerprint": row[4], "metrics": metrics}


def _member_band(members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point (member 0) and ±1.96 sd over bootstrap members, as the scenario bands."""
    point = members[0]
    if members.shape[0] < 3:
        return point, point.copy(), point.copy()
    sd = members[1:].std(axis=0, ddof=1)
    return point, point - Z95 * sd, point + Z95 * sd


def targets_frame(assignment: np.ndarray, rows: Sequence[tuple[str, str | None]],
                  forecasts: Mapping[str, CustomerForecast],
                  promotions: Mapping[str, Mapping[str, Any]]) -> pd.DataFrame:
    """Per targeted customer: id, promotion, segment and conversion uplift with band.

    ``assignment`` gives each customer (position in the forecasts) the index of its row
    in ``rows`` ((segment, promotion key)), −1 for nobody.
    """
    parts = []
    for key in {k for _, k in rows if k is not None}:
        idx = np.array([i for i, (_, k) in enumerate(rows) if k == key])
        pos = np.flatnonzero(np.isin(assignment, idx))
        if not len(pos):
            continue
        fc = forecasts[key]
        point, low, high = _member_band(fc.p1[:, pos] - fc.p0[:, pos])
        labels = np.array([s for s, _ in rows], dtype=object)[assignment[pos]]
        parts.append(pd.DataFrame({
            "customer_id": fc.customer_ids[pos].astype("int64"),
            "promo_id": np.full(len(pos), int(promotions[key]["promo_id"]), dtype="int64"),
            "segment": labels.astype(str), "uplift": point, "lower": low, "upper": high}))
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype="int64" if c.endswith("id") else
                                          ("str" if c == "segment" else "float64"))
                             for c in TARGET_COLUMNS})
    return pd.concat(parts, ignore_index=True)


def _segments(by_segment: pd.DataFrame, promotions: Mapping[str, Mapping[str, Any]]
              ) -> tuple[list[dict], dict]:
    table = by_segment[by_segment["segment"] != scenarios.TOTAL]
    table = table[table["promotion"].isin(list(promotions))]
    rows = []
    for rec in table.to_dict("records"):
        promo = promotions[rec["promotion"]]
        rec.update(promotion=str(promo.get("name") or rec["promotion"]),
                   promo_id=int(promo["promo_id"]), mechanic=promo_lib.describe(promo))
        rows.append(rec)
    total = by_segment[by_segment["segment"] == scenarios.TOTAL].iloc[0].to_dict()
    total.pop("promotion", None)
    return rows, total


def build_payload(result: scenarios.ScenarioResult, rows: Sequence[tuple[str, str | None]],
                  forecasts: Mapping[str, CustomerForecast],
                  promotions: Mapping[str, Mapping[str, Any]], *, source: str,
                  as_of: date | str, margin_rate: float, basket_sigma: float,
                  budget: float | None = None, constraints: Mapping[str, Any] | None = None,
                  model: Mapping[str, Any] | None = None, fingerprint: str | None = None
                  ) -> PlanForecast:
    """A plan from an evaluated scenario (``result``) and the forecasts behind it."""
    targets = targets_frame(result.assignment, rows, forecasts, promotions)
    seg_rows, total = _segments(result.by_segment, promotions)
    counts = targets.groupby("promo_id").size().to_dict() if len(targets) else {}
    names = {int(p["promo_id"]): str(p.get("name")) for p in promotions.values()}
    sources = {fc.basket_source for fc in forecasts.values()}
    payload = {
        "payload_version": PAYLOAD_VERSION, "source": source, "scenario": result.name,
        "as_of": str(as_of), "uplift_metric": "conversion",
        "segments": seg_rows, "totals": total,
        "targets": {"count": int(len(targets)), "storage": "plan_targets",
                    "by_promotion": {names[int(k)]: int(v) for k, v in counts.items()}},
        "assumptions": {
            "margin_rate": margin_rate, "basket_sigma": basket_sigma, "budget": budget,
            "constraints": dict(constraints or {}), "basket_source": ", ".join(sorted(sources)),
            "promotions": {str(int(promotions[k]["promo_id"])): _plain(promotions[k])
                           for k in dict.fromkeys(k for _, k in rows if k)}},
        "model": dict(model) if model else None,
        "data_fingerprint": fingerprint,
        "recipe": {"assignments": [[s, int(promotions[k]["promo_id"]) if k else None]
                                   for s, k in rows]},
    }
    return PlanForecast(_clean(payload), targets)


def from_scenario(scenario: scenarios.Scenario, population: scenarios.Population,
                  forecasts: Mapping[str, CustomerForecast],
                  promotions: Mapping[str, Mapping[str, Any]], *, as_of: date | str,
                  margin_rate: float, basket_sigma: float, **context: Any) -> PlanForecast:
    """Adapter: evaluate ``scenario`` exactly as the Scenarios page does, then package it.

    ``context`` passes budget, constraints, model (a :func:`model_card`) and fingerprint.
    """
    result = scenarios.evaluate_scenario(scenario, population, forecasts, promotions,
                                         margin_rate, basket_sigma)
    return build_payload(result, scenario.assignments, forecasts, promotions,
                         source="scenario", as_of=as_of, margin_rate=margin_rate,
                         basket_sigma=basket_sigma, **context)


def from_choice(choice: np.ndarray, keys: Sequence[str], segment: np.ndarray,
                segment_names: Sequence[str], customer_ids: np.ndarray,
                forecasts: Mapping[str, CustomerForecast],
                promotions: Mapping[str, Mapping[str, Any]], *, name: str,
                as_of: date | str, margin_rate: float, basket_sigma: float,
                **context: Any) -> PlanForecast:
    """Adapter for an optimiser result: per customer a promotion index (−1: none).

    Each (segment, promotion) pair the optimiser used becomes a scenario row, so the
    figures are computed by the same scenario code.
    """
    segment = np.asarray(segment)
    pair = np.where(choice >= 0, segment * len(keys) + choice, -1)
    used = np.unique(pair[pair >= 0])
    rows = [(str(segment_names[u // len(keys)]), keys[u % len(keys)]) for u in used]
    groups = {f"{s}\x1f{k}": np.flatnonzero(pair == u) for (s, k), u in zip(rows, used,
                                                                            strict=True)}
    population = scenarios.Population(np.asarray(customer_ids), groups)
    scenario = scenarios.Scenario(name, [(f"{s}\x1f{k}", k) for s, k in rows])
    result = scenarios.evaluate_scenario(scenario, population, forecasts, promotions,
                                         margin_rate, basket_sigma)
    # Show the plain segment names again (the pair key only kept the rows apart).
    result.by_segment["segment"] = result.by_segment["segment"].str.split("\x1f").str[0]
    return build_payload(result, rows, forecasts, promotions, source="optimiser",
                         as_of=as_of, margin_rate=margin_rate, basket_sigma=basket_sigma,
                         **context)


def plan_context(con: duckdb.DuckDBPyConnection, model_id: int | None,
                 budget: float | None = None,
                 constraints: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The budget, constraints, model card and data fingerprint a save records."""
    return {"budget": budget, "constraints": dict(constraints or {}),
            "model": model_card(con, model_id), "fingerprint": db.fingerprint(con)}


# Figure → (label, kind); kind picks the number format in every export and on the page.
FIGURES: dict[str, tuple[str, str]] = {
    "contacts": ("Contacts", "count"),
    "inc_conversions": ("Incremental conversions", "decimal"),
    "inc_revenue": ("Incremental revenue", "money"),
    "inc_margin": ("Incremental gross margin", "money"),
    "redemption_cost": ("Discounts & rewards", "money"),
    "sure_thing_cost": ("…of which paid to sure things", "money"),
    "contact_cost": ("Contact cost", "money"),
    "fixed_cost": ("Fixed cost", "money"),
    "promotion_cost": ("Promotion cost", "money"),
    "net_profit": ("Net incremental profit", "money"),
    "roi": ("ROI", "percent"),
    "break_even_contact_cost": ("Break-even cost per contact", "money"),
}
BANDED = scenarios.BANDED


def figure_columns() -> list[str]:
    """Segment-table columns in display order, each banded figure followed by its band."""
    cols = []
    for key in FIGURES:
        cols.append(key)
        if key in BANDED:
            cols += [f"{key}_low", f"{key}_high"]
    return cols


def figure_label(column: str) -> str:
    for suffix, word in (("_low", " (low)"), ("_high", " (high)")):
        if column.endswith(suffix) and column[: -len(suffix)] in FIGURES:
            return FIGURES[column[: -len(suffix)]][0] + word
    return FIGURES.get(column, (column.replace("_", " ").capitalize(), ""))[0]


def figure_kind(column: str) -> str:
    base = column.removesuffix("_low").removesuffix("_high")
    return FIGURES.get(base, ("", "text"))[1]
