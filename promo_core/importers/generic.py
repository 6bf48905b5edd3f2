"""Generic import: the user's files, mapped onto canonical tables, become ``out_<table>``.

Rules a user may not guess (shown on the Import page too):
- unmapped optional columns are empty, except ``discount`` (0) and ``is_control``
  (false);
- customers that appear only in orders or exposures are added, with the first order
  day as ``signup_date``; products that appear only in order lines are added with
  their median line price as ``list_price`` and category ``other``;
- order lines must belong to an order, and exposures to a promotion, of this import
  or of the data set appended to; otherwise the import is refused.
"""

from __future__ import annotations

import duckdb

from promo_core import db
from promo_core.errors import ValidationProblem
from promo_core.importers.validate import Staged, _problem, raise_if_any
from promo_core.importers.writer import Payload

_DEFAULTS = {("orders", "discount"): "0.0", ("order_lines", "discount"): "0.0",
             ("exposures", "is_control"): "false"}


def _union(cur: duckdb.DuckDBPyConnection, table: str, files: list[Staged]) -> None:
    parts = " UNION ALL BY NAME ".join(
        f"SELECT {i} AS __file, * FROM stg_{table}_{i}" for i in range(len(files)))
    cur.execute(f"CREATE TABLE all_{table} AS {parts}")
    have = {r[0] for r in cur.execute(f"DESCRIBE all_{table}").fetchall()}
    cols = []
    for col, type_ in db.TABLES[table].items():
        if col in have:
            cols.append(f'"{col}"')
        else:
            cols.append(f'CAST({_DEFAULTS.get((table, col), "NULL")} AS {type_}) AS "{col}"')
    if table == "customers":
        extras = {e for f in files for e in f.extras}
        cols += [f'"{e}"' for e in sorted(extras)]
    cur.execute(f"CREATE TABLE out_{table} AS SELECT {', '.join(cols)} FROM all_{table}")


def _existing_ids(cur, existing, table: str, column: str) -> None:
    """Register the ids already in the target (none for a new data set) as ``have_*``."""
    name = f"have_{table}"
    if existing is None:
        cur.execute(f'CREATE TABLE {name} AS SELECT CAST(NULL AS {db.TABLES[table][column]}) '
                    f'AS "{column}" WHERE false')
        return
    ids = existing.cursor().sql(f'SELECT DISTINCT "{column}" FROM {table}').to_arrow_table()
    cur.register(f"{name}_arrow", ids)
    cur.execute(f"CREATE TABLE {name} AS SELECT * FROM {name}_arrow")
    cur.unregister(f"{name}_arrow")


def _check_references(cur, staged: dict[str, list[Staged]]) -> None:
    problems: dict[str, list[ValidationProblem]] = {}
    checks = [("order_lines", "order_id", "orders", "order_id"),
              ("exposures", "promo_id", "promotions", "promo_id")]
    for child, col, parent, pcol in checks:
        for i, f in enumerate(staged.get(child, [])):
            known = f"SELECT {pcol} FROM have_{parent}"
            if parent in staged:
                known += f" UNION ALL SELECT {pcol} FROM out_{parent}"
            problems.setdefault(f.name, []).extend(_problem(
                cur, f"stg_{child}_{i}", f'"{col}" NOT IN ({known})',
                f"not found in {parent} (neither in this import nor in the data set)", col))
    raise_if_any(problems)


def build_generic(
    stage: duckdb.DuckDBPyConnection, staged: dict[str, list[Staged]],
    existing: duckdb.DuckDBPyConnection | None, source: str,
) -> tuple[Payload, list[str]]:
    """Stack each table's files, add implied customers/products; returns notes too."""
    cur = stage.cursor()
    for table, files in staged.items():
        _union(cur, table, files)
    for table, col in (("customers", "customer_id"), ("orders", "order_id"),
                       ("products", "product_id"), ("promotions", "promo_id")):
        _existing_ids(cur, existing, table, col)
    _check_references(cur, staged)
    notes: list[str] = []
    tables = [t for t in db.DATA_TABLES if t in staged]
    extras = {e: t for files in staged.get("customers", []) for e, t in files.extras.items()}

    # Customers implied by orders/exposures but missing from the customers file.
    implied = [f"SELECT customer_id, order_ts FROM out_{t}" if t == "orders"
               else f"SELECT customer_id, NULL::TIMESTAMP FROM out_{t}"
               for t in ("orders", "exposures") if t in staged]
    if implied:
        known = "SELECT customer_id FROM have_customers"
        if "customers" in staged:
            known += " UNION ALL SELECT customer_id FROM out_customers"
        cur.execute(
            "CREATE TABLE implied AS SELECT customer_id, min(order_ts)::DATE AS signup_date "
            f"FROM ({' UNION ALL '.join(implied)}) AS u(customer_id, order_ts) "
            f"WHERE customer_id NOT IN ({known}) GROUP BY 1")
        n = cur.execute("SELECT count(*) FROM implied").fetchall()[0][0]
        if n:
            if "customers" in staged:
                cur.execute("INSERT INTO out_customers BY NAME SELECT * FROM implied")
            else:
                cur.execute("ALTER TABLE implied RENAME TO out_customers")
                tables.insert(0, "customers")
            notes.append(f"{n:,} customers appear only in orders/exposures and were added "
                         "(signup date = first order day)")
    if "order_lines" in staged:
        known = "SELECT product_id FROM have_products"
        if "products" in staged:
            known += " UNION ALL SELECT product_id FROM out_products"
        cur.execute(
            "CREATE TABLE implied_products AS SELECT product_id, 'other' AS category, "
            "median(unit_price) AS list_price FROM out_order_lines "
            f"WHERE product_id NOT IN ({known}) GROUP BY 1")
        n = cur.execute("SELECT count(*) FROM implied_products").fetchall()[0][0]
        if n:
            if "products" not in staged:
                cur.execute("CREATE TABLE out_products AS SELECT "
                            + ", ".join(f'CAST(NULL AS {t}) AS "{c}"'
                                        for c, t in db.TABLES["products"].items())
                            + " WHERE false")
                tables.append("products")
            cur.execute("INSERT INTO out_products BY NAME SELECT * FROM implied_products")
            notes.append(f"{n:,} products appear only in order lines and were added "
                         "(list price = median line price, category 'other')")
    tables = [t for t in db.DATA_TABLES if t in tables]
    return Payload(tables, extras, [], source), notes
