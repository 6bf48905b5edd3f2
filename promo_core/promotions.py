"""Candidate promotions: validated per mechanic, saved to and listed from ``promotions``.

A *candidate* is a promotion that has not been run: it has no ``exposures`` rows. The
schema has no flag column for this, so that is the definition used (a past campaign
always has exposures); if the schema gains ``promotions.is_candidate`` this module is
the one place to change.

Each mechanic has its own parameters (:data:`MECHANIC_FIELDS`); every one also has a
channel, a duration, a cost per contact and a fixed cost. Validation collects every
problem, then raises one :class:`~promo_core.errors.ValidationError`; nothing is
written unless all is well.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from promo_core import db
from promo_core.errors import ValidationError, ValidationProblem

SOURCE = "promotion"
CHANNELS = ("email", "sms", "app", "web", "post")
MAX_DURATION = 90
# Parameters each mechanic needs beyond the common ones, with what they mean.
MECHANIC_FIELDS: dict[str, dict[str, str]] = {
    "percent_off": {"value": "Discount depth (% off every basket)"},
    "amount_off": {"value": "Money off", "min_spend": "Minimum spend (0: none)"},
    "spend_threshold": {"min_spend": "Spend at least X", "value": "Save Y"},
    "bogo": {"category": "Category of the free item", "unit_cost": "Unit cost of the free item"},
    "free_gift": {"unit_cost": "Gift unit cost", "min_spend": "Threshold (0: none)"},
    "free_shipping": {"shipping_cost": "Shipping cost per order"},
    "informational": {},
}
COMMON_FIELDS = ("name", "promo_type", "channel", "duration_days", "cost_per_contact",
                 "fixed_cost")


def _is_missing(value: Any) -> bool:
    if value is None or (isinstance(value, str) and not value.strip()):
        return True
    return bool(np.ndim(value) == 0 and pd.isna(value))


def _number(promo: Mapping[str, Any], key: str, problems: list[ValidationProblem],
            *, low: float | None = 0.0, high: float | None = None, strict: bool = False,
            label: str | None = None) -> float:
    label = label or key
    raw = promo.get(key)
    if _is_missing(raw):
        problems.append(ValidationProblem(f"{label} is required", column=key))
        return float("nan")
    try:
        value = float(raw)
    except (TypeError, ValueError):
        problems.append(ValidationProblem(f"{label} must be a number, got {raw!r}", column=key))
        return float("nan")
    if low is not None and (value < low or (strict and value == low)):
        word = "more than" if strict else "at least"
        problems.append(ValidationProblem(f"{label} must be {word} {low:g}", column=key))
    if high is not None and value > high:
        problems.append(ValidationProblem(f"{label} must be at most {high:g}", column=key))
    return value


def validate_promotion(promo: Mapping[str, Any]) -> dict[str, Any]:
    """A clean promotion dict (``promotions`` columns) or a ValidationError naming each problem."""
    problems: list[ValidationProblem] = []
    kind = promo.get("promo_type")
    if kind not in MECHANIC_FIELDS:
        raise ValidationError(SOURCE, [ValidationProblem(
            f"mechanic must be one of {', '.join(MECHANIC_FIELDS)}", column="promo_type")])
    name = " ".join(str(promo.get("name") or "").split())
    if not name:
        problems.append(ValidationProblem("give the promotion a name", column="name"))
    channel = promo.get("channel") or "email"
    if channel not in CHANNELS:
        problems.append(ValidationProblem(f"channel must be one of {', '.join(CHANNELS)}",
                                          column="channel"))
    out: dict[str, Any] = {
        "name": name, "promo_type": kind, "channel": channel,
        "duration_days": _number(promo, "duration_days", problems, low=1, high=MAX_DURATION,
                                 label="duration (days)"),
        "cost_per_contact": _number(promo, "cost_per_contact", problems,
                                    label="cost per contact"),
        "fixed_cost": _number(promo, "fixed_cost", problems, label="fixed cost"),
        "value": 0.0, "min_spend": 0.0, "category": None, "unit_cost": None,
        "shipping_cost": None,
    }
    if kind == "percent_off":
        out["value"] = _number(promo, "value", problems, low=0, high=100, strict=True,
                               label="discount depth (%)")
    elif kind in ("amount_off", "spend_threshold"):
        out["value"] = _number(promo, "value", problems, strict=True,
                               label="money off" if kind == "amount_off" else "save Y")
        out["min_spend"] = _number(promo, "min_spend", problems, strict=kind != "amount_off",
                                   label="minimum spend" if kind == "amount_off" else "spend X")
        if kind == "spend_threshold" and out["min_spend"] <= out["value"]:
            problems.append(ValidationProblem("spend X must be more than save Y",
                                              column="min_spend"))
    elif kind == "bogo":
        out["category"] = " ".join(str(promo.get("category") or "").split()) or None
        if out["category"] is None:
            problems.append(ValidationProblem("choose the category of the free item",
                                              column="category"))
        out["unit_cost"] = _number(promo, "unit_cost", problems, strict=True, label="unit cost")
    elif kind == "free_gift":
        out["unit_cost"] = _number(promo, "unit_cost", problems, strict=True,
                                   label="gift unit cost")
        out["min_spend"] = _number(promo, "min_spend", problems, label="threshold")
    elif kind == "free_shipping":
        out["shipping_cost"] = _number(promo, "shipping_cost", problems, strict=True,
                                       label="shipping cost")
    if problems:
        raise ValidationError(SOURCE, problems)
    out["duration_days"] = int(out["duration_days"])
    return out


def save_candidate(con: duckdb.DuckDBPyConnection, promo: Mapping[str, Any]) -> int:
    """Validate and insert a candidate promotion; return its new ``promo_id``."""
    clean = validate_promotion(promo)
    cur = con.cursor()
    taken = cur.execute("SELECT count(*) FROM promotions WHERE lower(name) = lower(?)",
                        [clean["name"]]).fetchone()[0]
    if taken:
        raise ValidationError(SOURCE, [ValidationProblem(
            f"the name '{clean['name']}' is already taken; choose another", column="name")])
    with db.transaction(con) as tx:
        promo_id = int(tx.execute("SELECT coalesce(max(promo_id), 0) + 1 FROM promotions")
                       .fetchone()[0])
        cols = ["promo_id", *clean]
        tx.execute(f"INSERT INTO promotions ({', '.join(cols)}) "
                   f"VALUES ({', '.join('?' * len(cols))})", [promo_id, *clean.values()])
    return promo_id


def list_promotions(con: duckdb.DuckDBPyConnection, *, candidates_only: bool = False
                    ) -> pd.DataFrame:
    """Every promotion with ``is_candidate`` (no exposures yet), candidates first."""
    frame = con.cursor().execute("""
        SELECT p.*, NOT EXISTS (SELECT 1 FROM exposures e WHERE e.promo_id = p.promo_id)
               AS is_candidate
        FROM promotions p ORDER BY is_candidate DESC, promo_id""").df()
    return frame[frame.is_candidate].reset_index(drop=True) if candidates_only else frame


def promotion_dict(row: Mapping[str, Any]) -> dict[str, Any]:
    """A promotions row as a plain dict (NaN → None) for models and economics."""
    return {k: (None if _is_missing(v) else (v.item() if hasattr(v, "item") else v))
            for k, v in dict(row).items() if k != "is_candidate"}


def describe(promo: Mapping[str, Any]) -> str:
    """A short human label of the mechanic, e.g. "15 % off" or "Spend 75, save 15"."""
    kind, value = promo.get("promo_type"), float(promo.get("value") or 0)
    spend = float(promo.get("min_spend") or 0)
    return {
        "percent_off": f"{value:g} % off",
        "amount_off": f"{value:g} off" + (f" over {spend:g}" if spend else ""),
        "spend_threshold": f"Spend {spend:g}, save {value:g}",
        "bogo": f"BOGO {promo.get('category') or ''}".strip(),
        "free_gift": "Free gift" + (f" over {spend:g}" if spend else ""),
        "free_shipping": "Free shipping",
        "informational": "Message only",
    }.get(str(kind), str(kind))
