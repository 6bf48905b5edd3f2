"""Rule segments: a JSON-serialisable condition tree compiled to parameterised SQL.

A rule is a dict (what the ``segments.definition`` column stores)::

    {"combine": "and", "rules": [
        {"field": "recency_days", "op": ">", "value": 180},
        {"combine": "or", "rules": [
            {"field": "monetary", "op": "top %", "value": 20},
            {"field": "tier", "op": "in", "value": ["gold", "platinum"]}]}]}

Field names are checked against the profile registry and only then quoted into the SQL
text; every value is bound as a parameter. Problems raise ``ValidationError`` whose
problems name the field, so a page can show them next to the widget.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import pandas as pd

from promo_core.errors import ValidationError, ValidationProblem
from promo_core.profiles import CATEGORICAL, Feature, check_profile_table

COMPARE_OPS = ("=", "!=", "<", "<=", ">", ">=")
NUMERIC_OPS = (*COMPARE_OPS, "between", "in", "not in", "top %", "bottom %")
CATEGORICAL_OPS = ("=", "!=", "in", "not in")
COMBINERS = ("and", "or")
MAX_DEPTH = 4
SOURCE = "rule"


@dataclass(frozen=True)
class RuleSize:
    """Live size of a rule segment on one profile table."""

    size: int
    customers: int
    revenue: float
    total_revenue: float

    @property
    def share_customers(self) -> float:
        return self.size / self.customers if self.customers else 0.0

    @property
    def share_revenue(self) -> float:
        return self.revenue / self.total_revenue if self.total_revenue else 0.0


def _fail(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(SOURCE, [ValidationProblem(message, column=field)])


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _check_value(field: str, feature: Feature, op: str, value: Any) -> list:
    """The values to bind for one condition, or a ValidationError saying what is wrong."""
    numeric = feature.dtype != CATEGORICAL
    allowed = NUMERIC_OPS if numeric else CATEGORICAL_OPS
    if op not in allowed:
        raise _fail(f"operator '{op}' cannot be used on {feature.label}; "
                    f"use one of {', '.join(allowed)}", field)

    def scalar(v: Any) -> Any:
        if numeric and not _is_number(v):
            raise _fail(f"{feature.label} needs a number, got {v!r}", field)
        if not numeric and not isinstance(v, str):
            raise _fail(f"{feature.label} needs text, got {v!r}", field)
        return v

    if op == "between":
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise _fail(f"'between' on {feature.label} needs two numbers (low, high)", field)
        lo, hi = scalar(value[0]), scalar(value[1])
        if lo > hi:
            raise _fail(f"'between' on {feature.label}: low {lo} is above high {hi}", field)
        return [lo, hi]
    if op in ("in", "not in"):
        if not isinstance(value, list | tuple) or not value:
            raise _fail(f"'{op}' on {feature.label} needs a non-empty list of values", field)
        return [[scalar(v) for v in value]]
    if op in ("top %", "bottom %"):
        if not _is_number(value) or not 0 < value <= 100:
            raise _fail(f"'{op}' on {feature.label} needs a percentage in (0, 100]", field)
        return [value / 100]
    return [scalar(value)]


def _quote(field: str) -> str:
    return '"' + field.replace('"', '""') + '"'


def compile_rule(rule: Mapping[str, Any], fields: Mapping[str, Feature],
                 table: str) -> tuple[str, list]:
    """A WHERE clause (text with ``?``) and its parameters, for rows of ``table``.

    ``fields`` is the whitelist (the profile registry). ``table`` is only used inside
    percentile sub-queries; it must be a validated profile table name.
    """
    check_profile_table(table)
    params: list = []
    sql = _compile(rule, fields, table, params, depth=0)
    return sql, params


def _compile(node: Any, fields: Mapping[str, Feature], table: str, params: list,
             depth: int) -> str:
    if not isinstance(node, Mapping):
        raise _fail(f"a rule must be an object, got {type(node).__name__}")
    if "rules" in node:
        combine = str(node.get("combine", "and")).lower()
        if combine not in COMBINERS:
            raise _fail(f"groups combine with 'and' or 'or', not {combine!r}")
        if depth >= MAX_DEPTH:
            raise _fail(f"groups nest at most {MAX_DEPTH} deep")
        children = node["rules"]
        if not isinstance(children, list) or not children:
            raise _fail("a group needs at least one condition")
        parts = [_compile(c, fields, table, params, depth + 1) for c in children]
        return "(" + f" {combine.upper()} ".join(parts) + ")"
    field, op, value = node.get("field"), node.get("op"), node.get("value")
    if not isinstance(field, str) or field not in fields:
        raise _fail(f"unknown field {field!r}: it is not in this data set's profile",
                    field if isinstance(field, str) else None)
    if not isinstance(op, str):
        raise _fail(f"missing operator for {field}", field)
    bound = _check_value(field, fields[field], op, value)
    col = _quote(field)
    params.extend(bound)
    if op in COMPARE_OPS:
        return f"({col} {op} ?)"
    if op == "between":
        return f"({col} BETWEEN ? AND ?)"
    if op == "in":
        return f"list_contains(?, {col})"
    if op == "not in":
        return f"(NOT list_contains(?, {col}))"
    # top N %: customers whose cume_dist (ties share the largest) is within N % of those
    # with a value, so ties at the edge stay out together. Found from one quantile plus a
    # tie check (O(n)); a cume_dist window would sort the table on every edit (~7x slower).
    pct = params.pop() * 100  # the count limit uses N·n/100: exact for whole percentages
    if op == "bottom %":  # mirror: bottom N % of x is top N % of -x
        col = f"(-{col})"
    params.extend([pct, pct, 1 - pct / 100])
    th = (f"(SELECT CASE WHEN floor(? * count({col}) / 100) < 1 THEN NULL "
          f"WHEN count(*) FILTER (WHERE {col} >= q.v) <= floor(? * count({col}) / 100) "
          f"THEN q.v ELSE min({col}) FILTER (WHERE {col} > q.v) END "
          f"FROM {table}, (SELECT quantile_disc({col}, ?) AS v FROM {table}) q GROUP BY q.v)")
    return f"({col} >= {th})"


def rule_size(con: duckdb.DuckDBPyConnection, table: str, rule: Mapping[str, Any],
              fields: Mapping[str, Feature]) -> RuleSize:
    """Size, and the customer and revenue totals to turn it into shares (one query)."""
    where, params = compile_rule(rule, fields, table)
    row = con.cursor().execute(
        f"SELECT s.n, s.rev, t.n, t.rev FROM "
        f"(SELECT count(*) AS n, coalesce(sum(monetary), 0) AS rev FROM {table} WHERE {where}) s,"
        f" (SELECT count(*) AS n, coalesce(sum(monetary), 0) AS rev FROM {table}) t",
        params).fetchone()
    return RuleSize(int(row[0]), int(row[2]), float(row[1]), float(row[3]))


def rule_members(con: duckdb.DuckDBPyConnection, table: str, rule: Mapping[str, Any],
                 fields: Mapping[str, Feature]) -> pd.Series:
    """Customer ids matching the rule, ascending."""
    where, params = compile_rule(rule, fields, table)
    df = con.cursor().execute(
        f"SELECT customer_id FROM {table} WHERE {where} ORDER BY customer_id", params).df()
    return df["customer_id"]


def parse_value(text: str, feature: Feature, op: str) -> Any:
    """Turn what a person typed into the value a rule stores ("10, 50" for between)."""
    text = text.strip()
    numeric = feature.dtype != CATEGORICAL
    multi = op in ("between", "in", "not in")
    parts = [p.strip() for p in text.split(",")] if multi else [text]
    if any(p == "" for p in parts):
        raise _fail(f"enter a value for {feature.label}")
    if not numeric:
        return parts if multi else parts[0]
    out = []
    for p in parts:
        try:
            out.append(float(p) if any(c in p for c in ".eE") else int(p))
        except ValueError:
            raise _fail(f"{feature.label} needs a number, got {p!r}") from None
    return out if multi else out[0]
