"""Saved plans: versions (append-only), status workflow with a decision log, diffs.

Tables: ``plans`` and ``plan_versions`` are the schema's (promo_core.db). This module
also uses (declared in db.py; ``ensure_tables`` creates them in databases made before):

- ``plan_targets(plan_id, version, customer_id, promo_id, segment, uplift, lower,
  upper)`` — the target list of every version (1M rows stay out of JSON);
- ``plan_events(plan_id, version, changed_at, from_status, to_status, who, why)`` — the
  decision log: every status change, who made it and why.

Status workflow: draft → approved → running → closed; an approved plan may be sent
back to draft. A new version of a draft or approved plan puts it back to draft (what
was approved is not what is saved now); running and closed plans are frozen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from promo_core import db
from promo_core.errors import PromoLabError
from promo_core.plans.payload import TARGET_COLUMNS, PlanForecast, to_json

STATUSES = ("draft", "approved", "running", "closed")
TRANSITIONS = {"draft": ("approved",), "approved": ("running", "draft"),
               "running": ("closed",), "closed": ()}
EDITABLE = ("draft", "approved")

_DDL = (
    "CREATE TABLE IF NOT EXISTS plan_targets (plan_id BIGINT, version INTEGER, "
    "customer_id BIGINT, promo_id BIGINT, segment VARCHAR, uplift DOUBLE, lower DOUBLE, "
    "upper DOUBLE)",
    "CREATE TABLE IF NOT EXISTS plan_events (plan_id BIGINT, version INTEGER, "
    "changed_at TIMESTAMP, from_status VARCHAR, to_status VARCHAR, who VARCHAR, why VARCHAR)",
)


class PlanError(PromoLabError):
    """A plan operation that cannot be done (unknown plan, frozen status, bad input)."""


@dataclass
class PlanVersion:
    """One saved version as read back: the plan row, the version and its payload."""

    plan_id: int
    name: str
    week: date
    status: str
    version: int
    created_at: Any
    note: str
    payload: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version} (week of {self.week:%d %b %Y})"


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    cur = con.cursor()
    for ddl in _DDL:
        cur.execute(ddl)


def _text(value: str | None, what: str) -> str:
    text = " ".join(str(value or "").split())
    if not text:
        raise PlanError(f"{what} is required")
    return text


def _insert_version(tx: duckdb.DuckDBPyConnection, plan_id: int, forecast: PlanForecast,
                    note: str) -> int:
    version = int(tx.execute("SELECT coalesce(max(version), 0) + 1 FROM plan_versions "
                             "WHERE plan_id = ?", [plan_id]).fetchone()[0])
    tx.execute("INSERT INTO plan_versions VALUES (?, ?, now()::TIMESTAMP, ?, ?)",
               [plan_id, version, note, to_json(forecast.payload)])
    targets = forecast.targets[list(TARGET_COLUMNS)]
    tx.register("incoming_targets", targets)
    tx.execute("INSERT INTO plan_targets SELECT ?::BIGINT, ?::INTEGER, customer_id, promo_id, "
               "segment, uplift, lower, upper FROM incoming_targets", [plan_id, version])
    tx.unregister("incoming_targets")
    return version


def create_plan(con: duckdb.DuckDBPyConnection, name: str, week: date,
                forecast: PlanForecast, *, note: str = "", who: str = "") -> tuple[int, int]:
    """Save a new plan (status draft, version 1); return (plan_id, version)."""
    ensure_tables(con)
    name = _text(name, "a plan name")
    with db.transaction(con) as tx:
        if tx.execute("SELECT count(*) FROM plans WHERE lower(name) = lower(?) AND week = ?",
                      [name, week]).fetchone()[0]:
            raise PlanError(f"a plan named '{name}' exists for the week of {week}; "
                            "give another name, or save a new version of it")
        plan_id = int(tx.execute("SELECT coalesce(max(plan_id), 0) + 1 FROM plans")
                      .fetchone()[0])
        tx.execute("INSERT INTO plans VALUES (?, ?, ?, 'draft', now()::TIMESTAMP)",
                   [plan_id, name, week])
        version = _insert_version(tx, plan_id, forecast, note)
        tx.execute("INSERT INTO plan_events VALUES (?, ?, now()::TIMESTAMP, NULL, 'draft', ?, ?)",
                   [plan_id, version, who or "", "plan saved"])
    return plan_id, version


def find_plan(con: duckdb.DuckDBPyConnection, name: str, week: date) -> int | None:
    """The id of the plan called ``name`` (any case) for ``week``, if there is one."""
    ensure_tables(con)
    row = con.cursor().execute("SELECT plan_id FROM plans WHERE lower(name) = lower(?) "
                               "AND week = ?", [str(name).strip(), week]).fetchone()
    return None if row is None else int(row[0])


def save_plan(con: duckdb.DuckDBPyConnection, name: str, week: date, forecast: PlanForecast,
              *, note: str = "", who: str = "", add_version: bool = False) -> tuple[int, int]:
    """A new plan, or with ``add_version`` a new version of the plan of that name and week
    when one exists; return (plan_id, version)."""
    existing = find_plan(con, name, week) if add_version else None
    if existing is None:
        return create_plan(con, name, week, forecast, note=note, who=who)
    return existing, save_version(con, existing, forecast, note=note, who=who)


def save_version(con: duckdb.DuckDBPyConnection, plan_id: int, forecast: PlanForecast, *,
                 note: str = "", who: str = "") -> int:
    """Append a new version of a draft or approved plan (it goes back to draft)."""
    ensure_tables(con)
    with db.transaction(con) as tx:
        status = _status(tx, plan_id)
        if status not in EDITABLE:
            raise PlanError(f"plan {plan_id} is {status}: its versions are frozen; "
                            "save the new forecast as a new plan")
        version = _insert_version(tx, plan_id, forecast, note)
        if status != "draft":
            tx.execute("UPDATE plans SET status = 'draft' WHERE plan_id = ?", [plan_id])
        tx.execute("INSERT INTO plan_events VALUES (?, ?, now()::TIMESTAMP, ?, 'draft', ?, ?)",
                   [plan_id, version, status, who or "", f"version {version} saved"
                    + (f": {note}" if note else "")])
    return version


def _status(cur: duckdb.DuckDBPyConnection, plan_id: int) -> str:
    row = cur.execute("SELECT status FROM plans WHERE plan_id = ?", [int(plan_id)]).fetchone()
    if row is None:
        raise PlanError(f"no plan with id {plan_id}")
    return str(row[0])


def set_status(con: duckdb.DuckDBPyConnection, plan_id: int, to_status: str, *, who: str,
               why: str) -> None:
    """Move a plan along the workflow; who and why go into the decision log."""
    ensure_tables(con)
    if to_status not in STATUSES:
        raise PlanError(f"status must be one of {', '.join(STATUSES)}")
    who, why = _text(who, "who made the decision"), _text(why, "why (the reason)")
    with db.transaction(con) as tx:
        current = _status(tx, plan_id)
        if to_status not in TRANSITIONS[current]:
            allowed = " or ".join(TRANSITIONS[current]) or "nothing (closed plans stay closed)"
            raise PlanError(f"a {current} plan can move to {allowed}, not {to_status}")
        version = tx.execute("SELECT max(version) FROM plan_versions WHERE plan_id = ?",
                             [plan_id]).fetchone()[0]
        tx.execute("UPDATE plans SET status = ? WHERE plan_id = ?", [to_status, plan_id])
        tx.execute("INSERT INTO plan_events VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?)",
                   [plan_id, version, current, to_status, who, why])


def list_plans(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every plan, newest week first, with its latest version and headline figures."""
    ensure_tables(con)
    frame = con.cursor().execute("""
        SELECT p.plan_id, p.name, p.week, p.status, p.created_at, v.version AS latest_version,
               CAST(json_extract(v.payload, '$.targets.count') AS BIGINT) AS targets,
               CAST(json_extract(v.payload, '$.totals.net_profit') AS DOUBLE) AS net_profit
        FROM plans p JOIN plan_versions v USING (plan_id)
        WHERE v.version = (SELECT max(version) FROM plan_versions w WHERE w.plan_id = p.plan_id)
        ORDER BY p.week DESC, p.plan_id DESC""").df()
    return frame


def list_versions(con: duckdb.DuckDBPyConnection, plan_id: int) -> pd.DataFrame:
    """The version history of a plan, newest first (version, saved at, note, figures)."""
    return con.cursor().execute("""
        SELECT version, created_at AS saved_at, note,
               CAST(json_extract(payload, '$.targets.count') AS BIGINT) AS targets,
               CAST(json_extract(payload, '$.totals.promotion_cost') AS DOUBLE) AS cost,
               CAST(json_extract(payload, '$.totals.net_profit') AS DOUBLE) AS net_profit,
               CAST(json_extract(payload, '$.model.model_id') AS BIGINT) AS model_id
        FROM plan_versions WHERE plan_id = ? ORDER BY version DESC""", [plan_id]).df()


def load_version(con: duckdb.DuckDBPyConnection, plan_id: int,
                 version: int | None = None) -> PlanVersion:
    """A plan version with its payload (the latest when ``version`` is None)."""
    row = con.cursor().execute("""
        SELECT p.plan_id, p.name, p.week, p.status, v.version, v.created_at, v.note, v.payload
        FROM plans p JOIN plan_versions v USING (plan_id)
        WHERE p.plan_id = ? AND v.version = coalesce(?, (SELECT max(version)
              FROM plan_versions WHERE plan_id = ?))""",
        [int(plan_id), version, int(plan_id)]).fetchone()
    if row is None:
        raise PlanError(f"no plan with id {plan_id}" if version is None
                        else f"plan {plan_id} has no version {version}")
    return PlanVersion(int(row[0]), row[1], row[2], row[3], int(row[4]), row[5], row[6] or "",
                       json.loads(row[7]))


def load_targets(con: duckdb.DuckDBPyConnection, plan_id: int, version: int) -> pd.DataFrame:
    """The target list of one version, in export order (promotion, segment, uplift)."""
    ensure_tables(con)
    return con.cursor().execute(
        "SELECT customer_id, promo_id, segment, uplift, lower, upper FROM plan_targets "
        "WHERE plan_id = ? AND version = ? ORDER BY promo_id, segment, uplift DESC, "
        "customer_id", [plan_id, version]).df()


def decision_log(con: duckdb.DuckDBPyConnection, plan_id: int) -> pd.DataFrame:
    """Status changes of a plan, oldest first: when, version, from → to, who, why."""
    ensure_tables(con)
    return con.cursor().execute(
        "SELECT changed_at, version, from_status, to_status, who, why FROM plan_events "
        "WHERE plan_id = ? ORDER BY changed_at, rowid", [plan_id]).df()
