"""The DuckDB data layer: connection, schema, transactions, table facts.

One DuckDB file is one data set (the demo shop, or an import). The schema below is
the contract between importers, the demo generator and every page; column names are
defined here once.

Conventions
- ``orders.revenue`` is the basket value at **list price**; ``orders.discount`` is
  what the shop gave off it (so the customer paid ``revenue - discount``), and
  ``cost_of_goods`` is what the goods cost the shop. Gross margin is
  ``revenue - cost_of_goods``; the discount is a promotion cost, counted once.
- ``orders.discount`` is the shop's redemption cost on that order: the price reduction
  for ``percent_off``/``amount_off``/``spend_threshold``, the unit cost of the free item
  for ``bogo``/``free_gift``, the shipping cost for ``free_shipping`` (so it can exceed
  a small basket).
- ``promotions.value`` by mechanic: ``percent_off`` depth in percentage points (20 =
  20 % off); ``amount_off`` and ``spend_threshold`` the money off (with ``min_spend``
  the threshold X); ``bogo``/``free_gift``/``free_shipping`` carry their cost in
  ``unit_cost``/``shipping_cost``.
- ``exposures.is_control`` marks the hold-out of a past promotion. Optional outcome
  columns (``converted``, ``revenue``, ``visited``) are filled by data sets that carry
  them (Hillstrom); otherwise outcomes come from ``orders`` after ``exposed_at``.
- ``demo_truth`` exists only in the demo shop: the true expected outcome of every
  past exposure with and without its promotion.

Derived tables (``orders_by_customer``, ``order_categories``, ``exposure_next_order``)
are not part of this contract: :mod:`promo_core.rollups` rebuilds them from these tables
whenever the data version changes, so anything that writes data tables must call
:func:`bump_data_version` in the same transaction.

No constraints are declared: importers check keys before writing (with messages a
person can act on), and bulk loads of millions of rows stay fast.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from pathlib import Path

import duckdb

from promo_core.errors import DatabaseBusyError, SchemaError

SCHEMA_VERSION = 1

PROMO_TYPES = (
    "percent_off",
    "amount_off",
    "spend_threshold",
    "bogo",
    "free_gift",
    "free_shipping",
    "informational",
)

# Canonical columns per table, in order, with their DuckDB types.
TABLES: dict[str, dict[str, str]] = {
    "meta": {"key": "VARCHAR", "value": "VARCHAR"},
    "customers": {
        "customer_id": "BIGINT",
        "signup_date": "DATE",
    },
    "products": {
        "product_id": "VARCHAR",
        "name": "VARCHAR",
        "category": "VARCHAR",
        "brand": "VARCHAR",
        "list_price": "DOUBLE",
        "unit_cost": "DOUBLE",
    },
    "orders": {
        "order_id": "BIGINT",
        "customer_id": "BIGINT",
        "order_ts": "TIMESTAMP",
        "revenue": "DOUBLE",
        "discount": "DOUBLE",
        "cost_of_goods": "DOUBLE",
        "channel": "VARCHAR",
        "promo_id": "BIGINT",
    },
    "order_lines": {
        "order_id": "BIGINT",
        "product_id": "VARCHAR",
        "quantity": "INTEGER",
        "unit_price": "DOUBLE",
        "discount": "DOUBLE",
    },
    "promotions": {
        "promo_id": "BIGINT",
        "name": "VARCHAR",
        "promo_type": "VARCHAR",
        "value": "DOUBLE",
        "min_spend": "DOUBLE",
        "channel": "VARCHAR",
        "duration_days": "INTEGER",
        "cost_per_contact": "DOUBLE",
        "fixed_cost": "DOUBLE",
        "category": "VARCHAR",
        "unit_cost": "DOUBLE",
        "shipping_cost": "DOUBLE",
        "start_date": "DATE",
        "is_targeted": "BOOLEAN",
    },
    "exposures": {
        "promo_id": "BIGINT",
        "customer_id": "BIGINT",
        "exposed_at": "TIMESTAMP",
        "is_control": "BOOLEAN",
        "converted": "BOOLEAN",
        "revenue": "DOUBLE",
        "visited": "BOOLEAN",
    },
    "demo_truth": {
        "promo_id": "BIGINT",
        "customer_id": "BIGINT",
        "p_buy_control": "DOUBLE",
        "p_buy_treated": "DOUBLE",
        "revenue_control": "DOUBLE",
        "revenue_treated": "DOUBLE",
    },
    "import_report": {
        "import_id": "BIGINT",
        "imported_at": "TIMESTAMP",
        "source": "VARCHAR",
        "table_name": "VARCHAR",
        "reason": "VARCHAR",
        "rows": "BIGINT",
    },
    "segments": {
        "segment_id": "BIGINT",
        "name": "VARCHAR",
        "kind": "VARCHAR",
        "definition": "VARCHAR",
        "as_of": "DATE",
        "size": "BIGINT",
        "created_at": "TIMESTAMP",
    },
    "segment_members": {"segment_id": "BIGINT", "customer_id": "BIGINT"},
    "models": {
        "model_id": "BIGINT",
        "name": "VARCHAR",
        "kind": "VARCHAR",
        "created_at": "TIMESTAMP",
        "params": "VARCHAR",
        "metrics": "VARCHAR",
        "fingerprint": "VARCHAR",
        "path": "VARCHAR",
    },
    "plans": {
        "plan_id": "BIGINT",
        "name": "VARCHAR",
        "week": "DATE",
        "status": "VARCHAR",
        "created_at": "TIMESTAMP",
    },
    "plan_versions": {
        "plan_id": "BIGINT",
        "version": "INTEGER",
        "created_at": "TIMESTAMP",
        "note": "VARCHAR",
        "payload": "VARCHAR",
    },
    "plan_targets": {
        "plan_id": "BIGINT",
        "version": "INTEGER",
        "customer_id": "BIGINT",
        "promo_id": "BIGINT",
        "segment": "VARCHAR",
        "uplift": "DOUBLE",
        "lower": "DOUBLE",
        "upper": "DOUBLE",
    },
    "plan_events": {
        "plan_id": "BIGINT",
        "version": "INTEGER",
        "changed_at": "TIMESTAMP",
        "from_status": "VARCHAR",
        "to_status": "VARCHAR",
        "who": "VARCHAR",
        "why": "VARCHAR",
    },
}

# Tables an import or the demo build fills; the rest belong to the product.
DATA_TABLES = ("customers", "products", "orders", "order_lines", "promotions", "exposures")


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table that is missing and record the schema version (idempotent)."""
    for table, columns in TABLES.items():
        cols = ", ".join(f'"{name}" {type_}' for name, type_ in columns.items())
        con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({cols})")
    current = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    if current is None:
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
    elif int(current[0]) != SCHEMA_VERSION:
        raise SchemaError(
            f"database schema version {current[0]}, this code expects {SCHEMA_VERSION}"
        )


def connect(path: str | Path, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a data set file. Read-write opens create the schema if it is missing."""
    path = Path(path)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no database at {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as e:
        if "lock" in str(e).lower():
            raise DatabaseBusyError(
                f"{path.name} is in use by another process (is the app running?)"
            ) from e
        raise
    if not read_only:
        create_schema(con)
    return con


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing: commit when the block ends, roll back on any exception."""
    cur = con.cursor()
    cur.execute("BEGIN TRANSACTION")
    try:
        yield cur
    except BaseException:
        cur.execute("ROLLBACK")
        raise
    else:
        cur.execute("COMMIT")
    finally:
        cur.close()


def get_meta(con: duckdb.DuckDBPyConnection, key: str, default: str | None = None) -> str | None:
    """Read a meta value on ``con`` itself, so a transaction's cursor sees its own writes."""
    row = con.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
    return default if row is None else row[0]


def set_meta(con: duckdb.DuckDBPyConnection, key: str, value: str) -> None:
    """Write a meta value on ``con`` itself (not a new cursor): called with the cursor
    of ``transaction()``, the write belongs to that transaction."""
    con.execute("DELETE FROM meta WHERE key = ?", [key])
    con.execute("INSERT INTO meta VALUES (?, ?)", [key, value])


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns of a table as the database has them (canonical plus imported extras)."""
    check_table(table)
    rows = con.cursor().execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows]


def check_table(table: str) -> str:
    """Whitelist a table name before it goes into SQL text."""
    if table not in TABLES:
        raise ValueError(f"unknown table '{table}'; allowed: {', '.join(TABLES)}")
    return table


def row_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    cur = con.cursor()
    return {t: cur.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """A short hash of the data tables' contents, to key caches and stamp models.

    Uses row counts and order-independent sums of row hashes, so it is computed in
    one SQL pass per table, not by reading the data into Python.
    """
    cur = con.cursor()
    parts = []
    for table in DATA_TABLES:
        n, h = cur.execute(
            f"SELECT count(*), coalesce(sum(hash({table}::VARCHAR)), 0) FROM {table}"
        ).fetchone()
        parts.append(f"{table}:{n}:{h}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def bump_data_version(con: duckdb.DuckDBPyConnection) -> str:
    """Mark the data tables as changed; call inside the transaction that changed them.

    Caches key their results by (database path, data version), so this is what makes
    a page recompute after an import, and nothing else does.
    """
    import uuid

    version = uuid.uuid4().hex[:12]
    set_meta(con, "data_version", version)
    return version


def data_version(con: duckdb.DuckDBPyConnection) -> str:
    """The current data version (cheap: one row of ``meta``)."""
    return get_meta(con, "data_version", "0") or "0"
