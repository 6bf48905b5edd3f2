"""Scenarios: promotions assigned to segments, evaluated per segment and in total.

A :class:`Population` is the customers being planned for (positions 0…n−1) and the
segments as position arrays. A :class:`Scenario` lists ``(segment, promotion key or
None)`` pairs; a customer in several segments gets the promotion of the *first* pair
that lists one of them (the order is the precedence), so nobody is contacted twice.

Evaluation is vectorised: for each promotion the economics of
:mod:`promo_core.economics` are computed once over (members × customers) and summed
per segment with one sparse product. Every figure has a 95 % band from the model's
bootstrap members (point ± 1.96 sd, as the uplift model's own band); the fixed cost
of a promotion is paid once per scenario and shared among its segments by contacts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from promo_core import economics as eco
from promo_core.forecast import CustomerForecast

Z95 = 1.959964
TOTAL = "Total"
# Groups that are not saved segments: everyone known at the as-of date, and the
# customers in none of the segments chosen (the optimiser's leftover group).
EVERYONE = "All customers"
OTHERS = "Other customers"
FIGURES = ("inc_conversions", "inc_revenue", "inc_margin", "redemption_cost",
           "sure_thing_cost", "contact_cost", "fixed_cost", "promotion_cost", "net_profit")
BANDED = ("inc_conversions", "inc_margin", "promotion_cost", "net_profit")


@dataclass(frozen=True)
class Population:
    """Customers (by position) and named segments as arrays of positions."""

    customer_ids: np.ndarray
    segments: dict[str, np.ndarray]

    @property
    def size(self) -> int:
        return len(self.customer_ids)

    @classmethod
    def from_members(cls, customer_ids: np.ndarray, members: Mapping[str, Sequence[int]]
                     ) -> Population:
        """Segments given as customer ids; ids not in ``customer_ids`` are ignored."""
        ids = np.asarray(customer_ids)
        order = np.argsort(ids)
        segs = {}
        for name, member_ids in members.items():
            m = np.asarray(member_ids)
            pos = np.searchsorted(ids, m, sorter=order)
            pos = np.clip(pos, 0, len(ids) - 1)
            found = ids[order[pos]] == m
            segs[name] = np.unique(order[pos[found]])
        return cls(ids, segs)


@dataclass
class Scenario:
    name: str
    assignments: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class ScenarioResult:
    name: str
    by_segment: pd.DataFrame  # one row per assignment plus TOTAL, with *_low / *_high
    assignment: np.ndarray  # per customer: index into assignments, −1 for nobody

    @property
    def total(self) -> pd.Series:
        return self.by_segment.set_index("segment").loc[TOTAL]


def assign_customers(population: Population, scenario: Scenario) -> np.ndarray:
    """Per customer, the index of the assignment that reaches them (−1: none).

    Earlier assignments take precedence, "no promotion" included: a segment given no
    promotion holds its customers out of the segments listed after it.
    """
    held = -2
    out = np.full(population.size, -1, dtype=np.int64)
    for i, (segment, promo) in enumerate(scenario.assignments):
        if segment not in population.segments:
            raise ValueError(f"scenario '{scenario.name}': unknown segment '{segment}'")
        pos = population.segments[segment]
        free = pos[out[pos] == -1]
        out[free] = held if promo is None else i
    out[out == held] = -1
    return out


def _band(members: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    point = members[0]
    if members.shape[0] < 3:
        nan = np.full_like(point, np.nan, dtype=float)
        return point, nan, nan
    sd = members[1:].std(axis=0, ddof=1)
    return point, point - Z95 * sd, point + Z95 * sd


def economics_by_group(forecast: CustomerForecast, promotion: Mapping, groups: np.ndarray,
                       n_groups: int, margin_rate: float, basket_sigma: float,
                       cost_override: Mapping[str, float] | None = None) -> dict[str, np.ndarray]:
    """Per-customer economics summed per group: arrays (members, n_groups).

    ``groups`` gives each customer's group (−1: not targeted). ``cost_override`` lets a
    slider change e.g. ``cost_per_contact`` without a new forecast.
    """
    promo = {**promotion, **(cost_override or {})}
    keep = groups >= 0
    m = 1.0 if forecast.value_is_margin else margin_rate
    econ = eco.customer_economics(forecast.p0[:, keep], forecast.p1[:, keep],
                                  forecast.b0[:, keep], forecast.b1[:, keep], promo, m,
                                  basket_sigma)
    g = groups[keep]
    ind = sp.csr_array((np.ones(len(g)), (np.arange(len(g)), g)), shape=(len(g), n_groups))
    sums = {k: np.asarray(v @ ind) for k, v in econ.items() if k in FIGURES}
    sums["contacts"] = np.broadcast_to(np.bincount(g, minlength=n_groups).astype(float),
                                       sums["net_profit"].shape)
    return sums


def evaluate_scenario(scenario: Scenario, population: Population,
                      forecasts: Mapping[str, CustomerForecast],
                      promotions: Mapping[str, Mapping], margin_rate: float,
                      basket_sigma: float = eco.DEFAULT_BASKET_SIGMA,
                      cost_override: Mapping[str, float] | None = None) -> ScenarioResult:
    """The economics table of a scenario: one row per assignment and a total, with bands."""
    assignment = assign_customers(population, scenario)
    n_rows = len(scenario.assignments)
    n_members = min((forecasts[p].n_members for _, p in scenario.assignments if p), default=1)
    totals = {k: np.zeros((n_members, n_rows)) for k in (*FIGURES, "contacts")}
    for key in {p for _, p in scenario.assignments if p is not None}:
        rows = np.array([i for i, (_, p) in enumerate(scenario.assignments) if p == key])
        groups = np.where(np.isin(assignment, rows), assignment, -1)
        sums = economics_by_group(forecasts[key], promotions[key], groups, n_rows,
                                  margin_rate, basket_sigma, cost_override)
        fixed = float((cost_override or {}).get("fixed_cost",
                                                promotions[key].get("fixed_cost") or 0.0))
        contacts = sums["contacts"][0]
        share = contacts / contacts.sum() if contacts.sum() > 0 else contacts
        sums["fixed_cost"] = np.broadcast_to(fixed * share, sums["contacts"].shape)
        sums["promotion_cost"] = sums["promotion_cost"] + sums["fixed_cost"]
        sums["net_profit"] = sums["net_profit"] - sums["fixed_cost"]
        for k in totals:
            totals[k] += sums[k][:n_members]
    frame = _table(scenario, totals)
    return ScenarioResult(scenario.name, frame, assignment)


def _table(scenario: Scenario, totals: dict[str, np.ndarray]) -> pd.DataFrame:
    labels = [s for s, _ in scenario.assignments] + [TOTAL]
    promos = [p or "—" for _, p in scenario.assignments] + [""]
    data: dict[str, object] = {"segment": labels, "promotion": promos}
    full = {k: np.column_stack([v, v.sum(axis=1)]) for k, v in totals.items()}
    for k in ("contacts", *FIGURES):
        point, low, high = _band(full[k])
        data[k] = point
        if k in BANDED:
            data[f"{k}_low"], data[f"{k}_high"] = low, high
    cost = full["promotion_cost"]
    with np.errstate(divide="ignore", invalid="ignore"):
        roi_members = np.where(cost > 0, full["net_profit"] / cost, np.nan)
        data["roi"] = roi_members[0]
        contacts = full["contacts"][0]
        data["break_even_contact_cost"] = np.where(
            contacts > 0, (full["contact_cost"][0] + full["net_profit"][0]) / contacts, np.nan)
    return pd.DataFrame(data)


def compare_scenarios(results: Sequence[ScenarioResult]) -> pd.DataFrame:
    """One row per scenario: the totals with their bands, best net profit first marked."""
    rows = [{"scenario": r.name, **r.total.drop(["promotion"]).to_dict()} for r in results]
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame["best"] = frame["net_profit"] == frame["net_profit"].max()
    return frame


def waterfall_steps(result: ScenarioResult) -> pd.DataFrame:
    """Incremental margin, then each cost taken off, ending at net profit (for charts)."""
    t = result.total
    steps = [("Incremental gross margin", t["inc_margin"]),
             ("Discounts & rewards", -t["redemption_cost"]),
             ("Contact cost", -t["contact_cost"]), ("Fixed cost", -t["fixed_cost"])]
    return pd.DataFrame({"step": [s for s, _ in steps] + ["Net incremental profit"],
                         "amount": [float(v) for _, v in steps] + [float(t["net_profit"])],
                         "measure": ["relative"] * len(steps) + ["total"]})


def plan_members(choice: np.ndarray, keys: Sequence[str],
                 forecasts: Mapping[str, CustomerForecast], promotions: Mapping[str, Mapping],
                 margin_rate: float, basket_sigma: float) -> np.ndarray:
    """Net incremental profit of a per-customer plan, per model member (fixed costs in)."""
    n_members = min(forecasts[k].n_members for k in keys)
    total = np.zeros(n_members)
    for i, key in enumerate(keys):
        groups = np.where(choice == i, 0, -1)
        if not (groups == 0).any():
            continue
        sums = economics_by_group(forecasts[key], promotions[key], groups, 1, margin_rate,
                                  basket_sigma)
        total += sums["net_profit"][:n_members, 0] - float(promotions[key].get("fixed_cost")
                                                           or 0.0)
    return total


def blanket_members(forecast: CustomerForecast, promotion: Mapping, budget: float,
                    max_share: float, margin_rate: float, basket_sigma: float) -> np.ndarray:
    """Everyone gets the same promotion; if the budget (or share) does not reach everyone,
    a random share of customers does, so the expected profit scales by that share."""
    groups = np.zeros(len(forecast.customer_ids), dtype=np.int64)
    sums = economics_by_group(forecast, promotion, groups, 1, margin_rate, basket_sigma)
    fixed = float(promotion.get("fixed_cost") or 0.0)
    cost = sums["promotion_cost"][0, 0]
    share = min(1.0, max_share, max(0.0, budget - fixed) / cost if cost > 0 else 1.0)
    return share * sums["net_profit"][:, 0] - (fixed if share > 0 else 0.0)


def compare_with_blanket(plan_net: np.ndarray, blankets: Mapping[str, np.ndarray]
                         ) -> tuple[pd.DataFrame, str]:
    """The plan against the best blanket plan (or nobody), with the difference's band.

    Returns the table and a verdict; where the difference's band includes 0 the verdict
    says personalisation adds nothing demonstrable.
    """
    options = {"Nobody": np.zeros_like(plan_net), **blankets}
    best = max(options, key=lambda k: options[k][0])
    diff = plan_net - options[best]
    rows = []
    for label, arr in (("Optimised plan", plan_net), (f"Best blanket: {best}", options[best]),
                       ("Difference", diff)):
        point, low, high = _band(arr[:, None])
        rows.append({"plan": label, "net_profit": float(point[0]), "low": float(low[0]),
                     "high": float(high[0])})
    table = pd.DataFrame(rows)
    low, high = table.iloc[2][["low", "high"]]
    if np.isnan(low):
        verdict = ("The model has no bootstrap members, so the difference has no band; "
                   "treat it as unproven.")
    elif low <= 0 <= high:
        verdict = (f"Personalisation adds nothing demonstrable here: the difference from "
                   f"'{best}' could be 0 (95 % band {low:,.0f} to {high:,.0f}).")
    else:
        word = "more" if low > 0 else "less"
        verdict = (f"The optimised plan earns {word} than '{best}' (difference "
                   f"{diff[0]:,.0f}, 95 % band {low:,.0f} to {high:,.0f}).")
    return table, verdict
