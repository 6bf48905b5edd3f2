"""Validated imports of a shop's own data (the Import page and the CLI share this code).

Typical use::

    from promo_core import importers
    result = importers.import_dataset(
        paths.dataset_path("retail"), preset="online_retail",
        files=[Path("online_retail.csv.gz")], dataset_name="UCI Online Retail")
    result.row_counts   # {'customers': 4339, …}
    result.dropped      # [('order_lines', 'no customer id', 133626), …]

Generic imports pass ``sources={"orders": [file, …], "customers": [file]}`` and
optionally ``mappings={"orders": {"InvoiceNo": "order_id", …}}`` (missing mappings
are proposed by :func:`propose_mapping`). A file is a ``Path`` or ``(name, bytes)``.

Everything is read and checked in a private in-memory DuckDB first; the target is
written only when every check has passed (see ``writer`` for how a failure leaves
the file untouched).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa

from promo_core import db
from promo_core.errors import ValidationError, ValidationProblem
from promo_core.importers.files import FileSource, read_file, read_table, source_bytes, source_name
from promo_core.importers.generic import build_generic
from promo_core.importers.hillstrom import build_hillstrom
from promo_core.importers.mapping import IMPORTABLE, SPECS, propose_mapping, sanitise_name
from promo_core.importers.online_retail import build_online_retail
from promo_core.importers.validate import validate
from promo_core.importers.writer import Payload, write_dataset

__all__ = [
    "IMPORTABLE", "PRESETS", "ImportResult", "import_dataset", "propose_mapping",
    "read_file", "read_table", "sanitise_name", "validate",
]

PRESETS: dict[str, str] = {
    "online_retail": "UCI Online Retail: the 2010-11 file, the 2009-10 file (Online Retail "
                     "II), or both stacked. Cancellations, returns, adjustments, service "
                     "codes and lines without a customer are reported, not loaded.",
    "hillstrom": "Hillstrom e-mail experiment (64,000 customers): Mens and Womens e-mails "
                 "as two promotions with the No E-Mail group as control of both.",
}

Progress = Callable[[float, str], None]


@dataclass
class ImportResult:
    """What an import wrote: rows per table, and what was dropped and why."""

    path: Path
    row_counts: dict[str, int]
    dropped: list[tuple[str, str, int]] = field(default_factory=list)  # (table, reason, rows)
    notes: list[str] = field(default_factory=list)
    as_of: str | None = None

    def summary(self) -> str:
        parts = [f"{n:,} {t.replace('_', ' ')}" for t, n in self.row_counts.items()]
        return ", ".join(parts)


def _noop(fraction: float, text: str) -> None:
    return None


def _read(files: list[FileSource], limit_mb: float | None) -> list[tuple[str, pa.Table]]:
    return [(source_name(f), read_table(source_name(f), source_bytes(f), limit_mb=limit_mb))
            for f in files]


def _check_existing_keys(
    stage: duckdb.DuckDBPyConnection, payload: Payload, existing: duckdb.DuckDBPyConnection,
) -> None:
    """A preset appended to a data set must not repeat its keys."""
    problems = []
    for table in payload.tables:
        key = SPECS[table].key
        if not key:
            continue
        cols = ", ".join(f'"{k}"' for k in key)
        have = existing.cursor().sql(f"SELECT DISTINCT {cols} FROM {table}").to_arrow_table()
        if not have.num_rows:
            continue
        stage.register("have_keys", have)
        n = stage.execute(f"SELECT count(*) FROM out_{table} WHERE ({cols}) IN "
                          f"(SELECT ({cols}) FROM have_keys)").fetchall()[0][0]
        stage.unregister("have_keys")
        if n:
            problems.append(ValidationProblem(
                f"{table}: {' + '.join(key)} already in the data set", None, n))
    if problems:
        raise ValidationError(payload.source, problems)


def import_dataset(
    target: Path,
    sources: dict[str, list[FileSource]] | None = None,
    *,
    preset: str | None = None,
    files: list[FileSource] | None = None,
    mappings: dict[str, dict[str, str]] | None = None,
    dataset_name: str,
    progress: Progress | None = None,
    if_exists: Literal["append", "replace", "error"] = "append",
    limit_mb: float | None = None,
) -> ImportResult:
    """Validate and write one import; raise ``ValidationError`` with nothing written.

    Either ``preset`` (a key of ``PRESETS``) with ``files``, or ``sources`` per
    canonical table with optional ``mappings`` ({source column: canonical column}).
    A missing ``target`` is created; an existing one is appended to in one
    transaction (``if_exists="append"``), rebuilt (``"replace"``: close every
    connection to it first) or refused (``"error"``). ``progress(fraction, text)``
    is called as work advances; ``limit_mb`` overrides the per-file size limit.
    """
    progress = progress or _noop
    target = Path(target)
    if preset is not None and preset not in PRESETS:
        raise ValueError(f"unknown preset '{preset}'; allowed: {', '.join(PRESETS)}")
    if (preset is None) == (sources is None):
        raise ValueError("pass either preset= with files=, or sources= (generic import)")
    append = target.exists() and if_exists == "append"
    if target.exists() and if_exists == "error":
        raise ValidationError(dataset_name, [ValidationProblem(
            f"a data set named '{target.stem}' exists already; choose another name")])
    progress(0.02, "Reading files…")
    existing = db.connect(target) if append else None
    try:
        if preset is not None:
            if not files:
                raise ValidationError(preset, [ValidationProblem("no file given")])
            tables = _read(files, limit_mb)
            stage = duckdb.connect()
            builder = build_online_retail if preset == "online_retail" else build_hillstrom
            payload = builder(stage, tables, progress)
            notes: list[str] = []
            if existing is not None:
                _check_existing_keys(stage, payload, existing)
        else:
            read = {t: _read(fs, limit_mb) for t, fs in (sources or {}).items() if fs}
            if not read:
                raise ValidationError(dataset_name, [ValidationProblem("no file given")])
            chosen = {
                t: (mappings or {}).get(t) or propose_mapping(fs[0][1].slice(0, 200).to_pandas(), t)
                for t, fs in read.items() if t in SPECS
            }
            progress(0.2, "Checking values…")
            stage, staged = validate(read, chosen, existing)
            label = ", ".join(name for fs in read.values() for name, _ in fs)
            payload, notes = build_generic(stage, staged, existing, label)
    finally:
        if existing is not None:
            existing.close()
    progress(0.55, "Writing…")
    counts = write_dataset(target, stage, payload, dataset_name=dataset_name, append=append,
                           progress=progress)
    stage.close()
    progress(1.0, "Done")
    return ImportResult(target, counts, payload.dropped, notes, payload.as_of)
