"""Rollups the loaders keep next to the data, so profiles never re-join big tables.

Three derived tables, rebuilt by every writer (importers, demo build) in the same
transaction that changed the data, and stamped with the data version they belong to:

- ``orders_by_customer``: the order columns profiles read, stored in (customer, time)
  order. The same rows as ``orders``; grouping them per customer runs about twice as
  fast when a customer's orders sit together (1.9 s → 0.8 s for 10M orders here).
- ``order_categories``: one row per (order, product category) with the customer, the
  order time and the lines' revenue at list price. The profile's category mix scans
  this (about 0.85 rows per order line) instead of joining order lines to products and
  orders — the join was most of the profile's time on a large shop.
- ``exposure_next_order``: each exposure with the time of the customer's first order at
  or after it (NULL: none). "Did the customer buy in the response window" is then a
  comparison, not a range join over all orders.

All are pure functions of the data tables, so a rollup can never say something the
data does not; nothing in them depends on an as-of date (callers filter by time).
A data set written before rollups existed gets them built on first use by
:func:`ensure`; a file opened read-only reads the same SQL inline (slower, same answer).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import duckdb

from promo_core import db

META_KEY = "rollups_version"
_lock = threading.Lock()

ORDERS_BY_CUSTOMER_SQL = """
SELECT customer_id, order_ts, revenue, discount, channel, promo_id
FROM orders ORDER BY customer_id, order_ts
"""

ORDER_CATEGORIES_SQL = """
SELECT o.customer_id, o.order_ts, p.category, sum(l.quantity * l.unit_price) AS revenue
FROM order_lines l
JOIN orders o ON o.order_id = l.order_id
JOIN products p ON p.product_id = l.product_id
GROUP BY o.order_id, o.customer_id, o.order_ts, p.category
ORDER BY o.customer_id, o.order_ts  -- a customer's rows together: grouping is ~2x faster
"""

EXPOSURE_NEXT_ORDER_SQL = """
SELECT e.promo_id, e.customer_id, e.exposed_at, e.is_control, e.converted,
       o.order_ts AS next_order_ts
FROM exposures e
ASOF LEFT JOIN (SELECT customer_id, order_ts FROM orders) o
    ON o.customer_id = e.customer_id AND o.order_ts >= e.exposed_at
"""


@dataclass(frozen=True)
class Rollups:
    """What to read the rollups from: table names, or inline subqueries."""

    orders_by_customer: str
    order_categories: str
    exposure_next_order: str


TABLES = Rollups("orders_by_customer", "order_categories", "exposure_next_order")


def refresh(con: duckdb.DuckDBPyConnection) -> Rollups:
    """Rebuild the rollups on ``con`` (call inside the writer's transaction, after
    :func:`promo_core.db.bump_data_version`)."""
    # Only this module's constant SQL goes into these statements: no user value.
    con.execute(f"CREATE OR REPLACE TABLE orders_by_customer AS {ORDERS_BY_CUSTOMER_SQL}")
    con.execute(f"CREATE OR REPLACE TABLE order_categories AS {ORDER_CATEGORIES_SQL}")
    con.execute(f"CREATE OR REPLACE TABLE exposure_next_order AS {EXPOSURE_NEXT_ORDER_SQL}")
    db.set_meta(con, META_KEY, db.data_version(con))
    return TABLES


def _read_only(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute("SELECT readonly FROM duckdb_databases() "
                      "WHERE database_name = current_database()").fetchone()
    return bool(row and row[0])


def ensure(con: duckdb.DuckDBPyConnection) -> Rollups:
    """Names of up-to-date rollups for this data set, building them if needed."""
    version = db.data_version(con)
    with _lock:
        cur = con.cursor()
        if db.get_meta(cur, META_KEY) == version:
            return TABLES
        if not _read_only(cur):
            with db.transaction(con) as tx:
                return refresh(tx)
    # A read-only file cannot store them (nor attach memory): read the same SQL inline.
    return Rollups(f"({ORDERS_BY_CUSTOMER_SQL})", f"({ORDER_CATEGORIES_SQL})",
                   f"({EXPOSURE_NEXT_ORDER_SQL})")
