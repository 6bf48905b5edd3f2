"""Turning mapped files into typed staging tables, and every check before a write.

Work happens in a private in-memory DuckDB connection (the *stage*): each file is
registered as Arrow with its 1-based data row number, cast column by column with
``TRY_CAST`` so a bad value is counted and located instead of aborting, checked, and
stacked into ``stg_<table>``. Nothing touches the target database until every check
has passed. Identifiers in SQL text come only from ``db.TABLES``, the whitelisted
extra-column names, or positional aliases (``c0``, ``c1`` …); values are bound.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from promo_core import db
from promo_core.errors import ValidationError, ValidationProblem
from promo_core.importers.mapping import SPECS, is_safe_identifier

ROW = "__row"
EXAMPLES = 5

# Dates: ISO first, then day-first (UK/EU) and month-first (US) layouts; each column
# uses the family that reads the most of its values, so 03/04 is read one way throughout.
_DAY_FIRST = ["%d/%m/%Y %H:%M:%S", "%d/%m/%Y %H:%M", "%d/%m/%Y", "%d.%m.%Y %H:%M", "%d.%m.%Y"]
_MONTH_FIRST = ["%m/%d/%Y %H:%M:%S", "%m/%d/%Y %H:%M", "%m/%d/%Y"]
_TRUE = ["1", "true", "t", "yes", "y"]
_FALSE = ["0", "false", "f", "no", "n"]
_TYPE_WORDS = {
    "BIGINT": "a whole number", "INTEGER": "a whole number", "DOUBLE": "a number",
    "DATE": "a date", "TIMESTAMP": "a date/time", "BOOLEAN": "yes/no (1/0, true/false)",
}


@dataclass
class Staged:
    """One file's mapped columns: its name and the typed extra customer columns."""

    name: str
    table: str
    extras: dict[str, str] = field(default_factory=dict)


def _text(alias: str) -> str:
    return f"nullif(trim(CAST({alias} AS VARCHAR)), '')"


def _typed_expr(alias: str, type_: str, date_family: str) -> str:
    t = _text(alias)
    if type_ in ("BIGINT", "INTEGER"):
        # '17850.0' (a float export of an id) is fine; '17850.5' is not a whole number.
        return (f"CASE WHEN TRY_CAST({t} AS DOUBLE) = floor(TRY_CAST({t} AS DOUBLE)) "
                f"THEN TRY_CAST(TRY_CAST({t} AS DOUBLE) AS {type_}) END")
    if type_ == "DOUBLE":
        return f"TRY_CAST({t} AS DOUBLE)"
    if type_ in ("DATE", "TIMESTAMP"):
        if date_family == "iso":
            ts = f"TRY_CAST({t} AS TIMESTAMP)"
        else:
            fmts = _DAY_FIRST if date_family == "day" else _MONTH_FIRST
            ts = f"try_strptime({t}, [{', '.join(repr(f) for f in fmts)}])"
        return f"CAST({ts} AS {type_})"
    if type_ == "BOOLEAN":
        yes = ", ".join(repr(v) for v in _TRUE)
        no = ", ".join(repr(v) for v in _FALSE)
        return (f"CASE WHEN lower({t}) IN ({yes}) THEN true "
                f"WHEN lower({t}) IN ({no}) THEN false END")
    return t


def _date_family(cur: duckdb.DuckDBPyConnection, view: str, alias: str) -> str:
    counts = cur.execute(
        f"SELECT count({_typed_expr(alias, 'TIMESTAMP', 'iso')}), "
        f"count({_typed_expr(alias, 'TIMESTAMP', 'day')}), "
        f"count({_typed_expr(alias, 'TIMESTAMP', 'month')}) FROM {view}"
    ).fetchall()[0]
    best = max(range(3), key=lambda i: (counts[i], -i))
    return ("iso", "day", "month")[best]


def _extra_type(cur: duckdb.DuckDBPyConnection, view: str, alias: str) -> str:
    """Extra attributes become numbers when every value is one, else text."""
    t = _text(alias)
    n, num, whole = cur.execute(
        f"SELECT count({t}), count(TRY_CAST({t} AS DOUBLE)), "
        f"count(CASE WHEN TRY_CAST({t} AS DOUBLE) = floor(TRY_CAST({t} AS DOUBLE)) THEN 1 END) "
        f"FROM {view}"
    ).fetchall()[0]
    if n and num == n:
        return "BIGINT" if whole == n else "DOUBLE"
    return "VARCHAR"


def _problem(cur, view: str, where: str, message: str, column: str | None, params=()) -> list:
    return _problems(cur, view, [(where, message, column, list(params))])


def _problems(cur, view: str, checks: list[tuple[str, str, str | None, list]]) -> list:
    """Count every check's offending rows in one scan; fetch examples only where needed."""
    if not checks:
        return []
    params = [p for c in checks for p in c[3]]
    counts = cur.execute(
        f"SELECT {', '.join(f'count_if({c[0]})' for c in checks)} FROM {view}", params
    ).fetchall()[0]
    found = []
    for (where, message, column, p), n in zip(checks, counts, strict=True):
        if n:
            rows = cur.execute(
                f"SELECT list({ROW} ORDER BY {ROW})[1:{EXAMPLES}] FROM "
                f"(SELECT {ROW} FROM {view} WHERE {where} ORDER BY {ROW} LIMIT {EXAMPLES})", p
            ).fetchall()[0][0]
            found.append(ValidationProblem(message, column, int(n), list(rows or [])))
    return found


def check_mapping(table: str, columns: Sequence[str], mapping: dict[str, str]) -> list:
    """Problems with the mapping itself: unknown names, missing required columns."""
    canon = db.TABLES[table]
    problems = []
    missing_src = [s for s in mapping if s not in columns]
    if missing_src:
        problems.append(ValidationProblem(
            f"mapped column(s) not in the file: {', '.join(missing_src)}"))
    targets = list(mapping.values())
    for dup in sorted({t for t in targets if targets.count(t) > 1}):
        problems.append(ValidationProblem("two file columns are mapped to it", dup))
    for target in targets:
        if target not in canon and (table != "customers" or not is_safe_identifier(target)):
            problems.append(ValidationProblem(
                "not a column of " + table + (" (extra customer attributes need a name of "
                "lower-case letters, digits and _)" if table == "customers" else ""), target))
    for req in SPECS[table].required:
        if req not in targets:
            problems.append(ValidationProblem(
                f"required by {table} but no file column is mapped to it", req))
    return problems


def stage_file(
    cur: duckdb.DuckDBPyConnection, name: str, data: pa.Table, table: str,
    mapping: dict[str, str], index: int,
) -> tuple[Staged, list[ValidationProblem]]:
    """Cast one file's mapped columns into ``stg_<table>_<index>`` and check its values."""
    problems = check_mapping(table, data.column_names, mapping)
    staged = Staged(name, table)
    if problems:
        return staged, problems
    sources = list(mapping)
    # Positional aliases: user column names never appear in SQL text.
    arrow = pa.table(
        [data.column(s) for s in sources] + [pa.array(range(1, data.num_rows + 1), pa.int64())],
        names=[f"c{i}" for i in range(len(sources))] + [ROW],
    )
    raw = f"raw_{table}_{index}"
    cur.register(raw, arrow)
    canon = db.TABLES[table]
    selects = [ROW]
    checked_empty: set[str] = set()
    for i, src in enumerate(sources):
        target, alias = mapping[src], f"c{i}"
        if target in SPECS[table].required:
            # Empty in the file, not "empty after a failed conversion": an unreadable
            # value is reported once, below, with an example.
            problems += _problem(cur, raw, f"{_text(alias)} IS NULL", "is empty", src)
            checked_empty.add(target)
        if target in canon:
            type_ = canon[target]
            family = _date_family(cur, raw, alias) if type_ in ("DATE", "TIMESTAMP") else ""
            expr = _typed_expr(alias, type_, family)
            bad = f"{_text(alias)} IS NOT NULL AND ({expr}) IS NULL"
            example = cur.execute(
                f"SELECT {_text(alias)} FROM {raw} WHERE {bad} LIMIT 1").fetchall()
            if example:
                problems += _problem(
                    cur, raw, bad, f"cannot be read as {_TYPE_WORDS.get(type_, type_)} "
                    f"(e.g. {example[0][0]!r})", src)
        else:
            type_ = _extra_type(cur, raw, alias)
            staged.extras[target] = type_
            expr = _typed_expr(alias, type_, "")
        selects.append(f'{expr} AS "{target}"')
    view = f"stg_{table}_{index}"
    cur.execute(f"CREATE TABLE {view} AS SELECT {', '.join(selects)} FROM {raw}")
    cur.unregister(raw)
    problems += _value_checks(cur, view, table, {v: k for k, v in mapping.items()},
                              checked_empty)
    return staged, problems


def _value_checks(cur, view: str, table: str, source_of: dict[str, str],
                  checked_empty: set[str] = frozenset()) -> list:
    spec, problems = SPECS[table], []
    for col in spec.required:
        if col not in checked_empty:
            problems += _problem(cur, view, f'"{col}" IS NULL', "is empty", source_of[col])
    for col in spec.non_negative:
        if col in source_of:
            problems += _problem(cur, view, f'"{col}" < 0', "is negative", source_of[col])
    for col, type_ in db.TABLES[table].items():
        if col in source_of and type_ in ("DATE", "TIMESTAMP"):
            problems += _problem(
                cur, view, f"\"{col}\" < DATE '1900-01-01' OR \"{col}\" > now() + INTERVAL 1 DAY",
                "date before 1900 or in the future", source_of[col])
    if table == "orders" and "discount" in source_of:
        problems += _problem(cur, view, "discount > revenue AND revenue >= 0",
                             "discount larger than the order's revenue at list price",
                             source_of["discount"])
    if table == "promotions":
        problems += _problem(
            cur, view, "promo_type NOT IN (SELECT unnest(?))",
            "unknown promotion type; allowed: " + ", ".join(db.PROMO_TYPES),
            source_of["promo_type"], [list(db.PROMO_TYPES)])
    return problems


def duplicate_keys(
    cur: duckdb.DuckDBPyConnection, table: str, staged: list[Staged],
    existing: duckdb.DuckDBPyConnection | None,
) -> dict[int, list[ValidationProblem]]:
    """Keys repeated across this import's files, or already in the target data set."""
    key = SPECS[table].key
    if not key:
        return {}
    cols = ", ".join(f'"{k}"' for k in key)
    union = " UNION ALL ".join(
        f"SELECT {i} AS __file, {ROW}, {cols} FROM stg_{table}_{i}" for i in range(len(staged))
    )
    found: dict[int, list[ValidationProblem]] = {}
    rows = cur.execute(
        f"SELECT __file, count(*), list({ROW} ORDER BY {ROW})[1:{EXAMPLES}] FROM ("
        f"SELECT *, row_number() OVER (PARTITION BY {cols} ORDER BY __file, {ROW}) AS k "
        f"FROM ({union})) WHERE k > 1 GROUP BY __file"
    ).fetchall()
    label = " + ".join(key)
    for i, n, examples in rows:
        found.setdefault(i, []).append(ValidationProblem(
            f"duplicate {label} (the same key appears on an earlier row)", label, n, examples))
    if existing is not None:
        keys = existing.cursor().sql(f"SELECT DISTINCT {cols} FROM {table}").to_arrow_table()
        if keys.num_rows:
            cur.register("existing_keys", keys)
            for i in range(len(staged)):
                hits = _problem(
                    cur, f"stg_{table}_{i}",
                    f"({cols}) IN (SELECT ({cols}) FROM existing_keys)",
                    f"{label} already in the data set", label)
                if hits:
                    found.setdefault(i, []).extend(hits)
            cur.unregister("existing_keys")
    return found


def raise_if_any(problems: dict[str, list[ValidationProblem]]) -> None:
    """One ValidationError naming every failing file and listing all their problems."""
    failing = {name: p for name, p in problems.items() if p}
    if not failing:
        return
    if len(failing) == 1:
        name, found = next(iter(failing.items()))
        raise ValidationError(name, found)
    merged = [
        ValidationProblem(f"[{name}] {p.message}", p.column, p.count, p.examples)
        for name, found in failing.items() for p in found
    ]
    raise ValidationError(", ".join(failing), merged)


def validate(
    sources: dict[str, list[tuple[str, pa.Table]]],
    mappings: dict[str, dict[str, str]],
    existing: duckdb.DuckDBPyConnection | None = None,
) -> tuple[duckdb.DuckDBPyConnection, dict[str, list[Staged]]]:
    """Stage and check every file; return the stage connection or raise ValidationError.

    ``sources`` maps a canonical table to its files (name, Arrow table); ``mappings``
    a table to ``{source column: canonical column}``. ``existing`` is the data set
    being appended to, whose keys must not be repeated.
    """
    stage = duckdb.connect()
    cur = stage.cursor()
    problems: dict[str, list[ValidationProblem]] = {}
    staged: dict[str, list[Staged]] = {}
    for table, files in sources.items():
        if table not in SPECS:
            raise ValidationError(table, [ValidationProblem(
                f"'{table}' is not a table that can be imported; use one of {', '.join(SPECS)}")])
        for i, (name, data) in enumerate(files):
            s, found = stage_file(cur, name, data, table, mappings.get(table, {}), i)
            staged.setdefault(table, []).append(s)
            problems.setdefault(name, []).extend(found)
    raise_if_any(problems)
    for table, files in staged.items():
        for i, found in duplicate_keys(cur, table, files, existing).items():
            problems[files[i].name].extend(found)
    raise_if_any(problems)
    return stage, staged
