"""The data sets on this machine: the demo shop and every import, one file each."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import duckdb

from promo_core import db, paths

_SLUG = re.compile(r"[^a-z0-9_]+")


def slugify(name: str) -> str:
    """A file-safe name for a data set: lower case, digits and underscores only."""
    slug = _SLUG.sub("_", name.strip().lower()).strip("_")
    if not slug:
        raise ValueError("a data set name needs at least one letter or digit")
    return slug[:60]


def list_datasets() -> list[Path]:
    """The demo shop first (if built), then imported data sets by name."""
    found = [paths.DEMO_DB] if paths.DEMO_DB.exists() else []
    if paths.DATASETS_DIR.exists():
        found += sorted(paths.DATASETS_DIR.glob("*.duckdb"))
    return found


def label(path: str | Path) -> str:
    path = Path(path)
    return "Demo shop" if path == paths.DEMO_DB else path.stem.replace("_", " ")


def default_as_of(con: duckdb.DuckDBPyConnection) -> date | None:
    """The data set's analysis date: the day after its recorded as-of (else after the
    last order day). Profiles use what happened *before* the as-of day, so this default
    includes the last day of data."""
    recorded = db.get_meta(con, "as_of")
    if recorded:
        return date.fromisoformat(recorded[:10]) + timedelta(days=1)
    last = con.cursor().execute("SELECT max(order_ts)::DATE FROM orders").fetchone()[0]
    return None if last is None else last + timedelta(days=1)


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """The range the as-of date may take: the first order day to the day after the last."""
    first, last = con.cursor().execute(
        "SELECT min(order_ts)::DATE, max(order_ts)::DATE FROM orders"
    ).fetchone()
    return first, None if last is None else last + timedelta(days=1)
