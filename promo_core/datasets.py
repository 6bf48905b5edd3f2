"""The data sets on this machine: the demo shop and every import, one file each."""

from __future__ import annotations

import re
from datetime import date
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
    """The data set's analysis date: its recorded as-of, else the last order day."""
    recorded = db.get_meta(con, "as_of")
    if recorded:
        return date.fromisoformat(recorded[:10])
    last = con.cursor().execute("SELECT max(order_ts)::DATE FROM orders").fetchone()[0]
    return last


def date_bounds(con: duckdb.DuckDBPyConnection) -> tuple[date | None, date | None]:
    """First and last order day, the range the as-of date may take."""
    return con.cursor().execute(
        "SELECT min(order_ts)::DATE, max(order_ts)::DATE FROM orders"
    ).fetchone()
