"""Writing validated staging tables into a data set file, all or nothing.

- A new data set is built in a temporary file next to the target and moved over it
  with ``os.replace`` only when complete: a failure leaves no file behind.
- Appending to an existing data set runs inside one ``db.transaction``: a failure
  rolls back, and the file is byte-for-byte what it was.
The stage holds ``out_<table>`` for each table to load, with canonical column names
(plus whitelisted extra customer columns); rows travel as Arrow, never as SQL text.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from promo_core import db, rollups
from promo_core.importers.mapping import is_safe_identifier

_EXTRA_TYPES = {"BIGINT", "DOUBLE", "VARCHAR", "DATE", "TIMESTAMP", "BOOLEAN"}


@dataclass
class Payload:
    """What one import writes: tables staged as ``out_<table>``, and what it dropped."""

    tables: list[str]
    extras: dict[str, str]  # extra customer column → DuckDB type
    dropped: list[tuple[str, str, int]]  # (table, reason, rows)
    source: str
    as_of: str | None = None  # ISO date; default: the last order day


def _add_extra_columns(cur: duckdb.DuckDBPyConnection, extras: dict[str, str]) -> None:
    have = set(db.table_columns(cur, "customers"))
    for name, type_ in extras.items():
        if name in have:
            continue
        if not is_safe_identifier(name) or type_ not in _EXTRA_TYPES:
            raise ValueError(f"refusing unsafe extra column {name!r} {type_!r}")
        cur.execute(f'ALTER TABLE customers ADD COLUMN "{name}" {type_}')


def _write_all(
    cur: duckdb.DuckDBPyConnection, stage: duckdb.DuckDBPyConnection, payload: Payload,
    dataset_name: str, progress,
) -> dict[str, int]:
    _add_extra_columns(cur, payload.extras)
    counts: dict[str, int] = {}
    for i, table in enumerate(payload.tables):
        db.check_table(table)
        progress(0.6 + 0.3 * i / max(len(payload.tables), 1), f"Writing {table}…")
        arrow = stage.sql(f"SELECT * FROM out_{table}").to_arrow_table()
        cur.register("incoming", arrow)
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
        cur.unregister("incoming")
        counts[table] = arrow.num_rows
    import_id = cur.execute(
        "SELECT coalesce(max(import_id), 0) + 1 FROM import_report").fetchall()[0][0]
    for table, reason, rows in payload.dropped:
        cur.execute(
            "INSERT INTO import_report VALUES (?, now()::TIMESTAMP, ?, ?, ?, ?)",
            [import_id, payload.source, table, reason, int(rows)],
        )
    as_of = payload.as_of or cur.execute("SELECT max(order_ts)::DATE FROM orders").fetchall()[0][0]
    # Appending keeps what the data set is (e.g. the demo shop stays "demo", so its
    # ground truth keeps working); a new data set is an import.
    if db.get_meta(cur, "dataset_kind") is None:
        db.set_meta(cur, "dataset_kind", "import")
    if db.get_meta(cur, "dataset_name") is None:
        db.set_meta(cur, "dataset_name", dataset_name)
    if as_of is not None:
        payload.as_of = str(as_of)[:10]
        db.set_meta(cur, "as_of", payload.as_of)
    db.bump_data_version(cur)
    progress(0.95, "Updating rollups…")
    rollups.refresh(cur)
    return counts


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def write_dataset(
    target: Path, stage: duckdb.DuckDBPyConnection, payload: Payload, *,
    dataset_name: str, append: bool, progress,
) -> dict[str, int]:
    """Write the payload; returns rows written per table. See the module doc for safety."""
    target = Path(target)
    if append:
        con = db.connect(target)
        try:
            with db.transaction(con) as cur:
                return _write_all(cur, stage, payload, dataset_name, progress)
        finally:
            con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        con = db.connect(tmp)
        try:
            with db.transaction(con) as cur:
                counts = _write_all(cur, stage, payload, dataset_name, progress)
            con.execute("CHECKPOINT")  # everything in the main file before it moves
        finally:
            con.close()
        os.replace(tmp, target)
    finally:
        _remove(tmp)
    return counts
