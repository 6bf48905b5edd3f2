"""What is in a data set: headline figures, table facts, sales over time, data quality.

Every function is one or a few DuckDB queries over the whole table; nothing is read
row by row into Python. These back the Overview and Data pages and ``info`` in the CLI.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from promo_core import db

# Which column dates each table, for the "date range" of the table summary.
DATE_COLUMNS = {
    "customers": "signup_date",
    "orders": "order_ts",
    "promotions": "start_date",
    "exposures": "exposed_at",
}

SHOWN_TABLES = ("customers", "orders", "order_lines", "products", "promotions", "exposures")


def table_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Row count, column count and date range of each data table."""
    cur = con.cursor()
    rows = []
    for table in SHOWN_TABLES:
        n = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        first = last = None
        date_col = DATE_COLUMNS.get(table)
        if date_col and n:
            first, last = cur.execute(
                f'SELECT min("{date_col}")::DATE, max("{date_col}")::DATE FROM {table}'
            ).fetchone()
        rows.append(
            {
                "table": table,
                "rows": n,
                "columns": len(db.table_columns(con, table)),
                "from": first,
                "to": last,
            }
        )
    return pd.DataFrame(rows)


def headline_kpis(con: duckdb.DuckDBPyConnection) -> dict:
    """The figures the overview leads with, in one pass over orders."""
    cur = con.cursor()
    row = cur.execute(
        """
        SELECT count(*) AS orders,
               count(DISTINCT customer_id) AS buyers,
               coalesce(sum(revenue), 0) AS revenue,
               coalesce(sum(discount), 0) AS discount,
               coalesce(sum(revenue - cost_of_goods), 0) AS gross_margin,
               count(cost_of_goods) AS orders_with_cost,
               min(order_ts) AS first_order,
               max(order_ts) AS last_order
        FROM orders
        """
    ).fetchone()
    names = [d[0] for d in cur.description]
    kpis = dict(zip(names, row, strict=True))
    kpis["customers"] = cur.execute("SELECT count(*) FROM customers").fetchone()[0]
    kpis["promotions"] = cur.execute("SELECT count(*) FROM promotions").fetchone()[0]
    kpis["exposures"] = cur.execute("SELECT count(*) FROM exposures").fetchone()[0]
    kpis["aov"] = kpis["revenue"] / kpis["orders"] if kpis["orders"] else 0.0
    kpis["orders_per_buyer"] = kpis["orders"] / kpis["buyers"] if kpis["buyers"] else 0.0
    if kpis["last_order"] is not None:
        # As a profile counts it at the default as-of date (the day after the last
        # order): "days since last order" ≤ 90, so the figure matches that rule segment.
        kpis["active_90d"] = cur.execute(
            "SELECT count(DISTINCT customer_id) FROM orders "
            "WHERE order_ts::DATE >= ?::DATE + 1 - 90",
            [kpis["last_order"]],
        ).fetchone()[0]
    else:
        kpis["active_90d"] = 0
    return kpis


def monthly_sales(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Orders, revenue, discount and buyers per calendar month."""
    return (
        con.cursor()
        .execute(
            """
            SELECT date_trunc('month', order_ts)::DATE AS month,
                   count(*) AS orders,
                   sum(revenue) AS revenue,
                   sum(discount) AS discount,
                   count(DISTINCT customer_id) AS buyers,
                   count(promo_id) AS promo_orders
            FROM orders
            GROUP BY ALL
            ORDER BY month
            """
        )
        .df()
    )


ORDER_BUCKETS = ("0", "1", "2", "3", "4–5", "6–10", "11–20", "21–50", "51+")


def orders_per_customer(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """How many customers placed 0, 1, 2 … orders, in readable buckets."""
    df = (
        con.cursor()
        .execute(
            """
            WITH n AS (
                SELECT c.customer_id, count(o.customer_id) AS orders
                FROM customers c LEFT JOIN orders o USING (customer_id)
                GROUP BY c.customer_id
            )
            SELECT CASE
                     WHEN orders <= 3 THEN orders::VARCHAR
                     WHEN orders <= 5 THEN '4–5'
                     WHEN orders <= 10 THEN '6–10'
                     WHEN orders <= 20 THEN '11–20'
                     WHEN orders <= 50 THEN '21–50'
                     ELSE '51+' END AS orders,
                   count(*) AS customers
            FROM n GROUP BY ALL
            """
        )
        .df()
    )
    order = {b: i for i, b in enumerate(ORDER_BUCKETS)}
    df = df.sort_values("orders", key=lambda s: s.map(order)).reset_index(drop=True)
    total = df["customers"].sum()
    df["share"] = df["customers"] / total if total else 0.0
    return df


# Each check: (name, table, severity, SQL counting the offending rows, what it means).
QUALITY_CHECKS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "Duplicate customer ids",
        "customers",
        "error",
        "SELECT coalesce(sum(n - 1), 0) FROM "
        "(SELECT count(*) n FROM customers GROUP BY customer_id HAVING n > 1)",
        "customer_id must be unique",
    ),
    (
        "Duplicate order ids",
        "orders",
        "error",
        "SELECT coalesce(sum(n - 1), 0) FROM "
        "(SELECT count(*) n FROM orders GROUP BY order_id HAVING n > 1)",
        "order_id must be unique",
    ),
    (
        "Orders of unknown customers",
        "orders",
        "error",
        "SELECT count(*) FROM orders o ANTI JOIN customers c USING (customer_id)",
        "orders whose customer_id is not in customers",
    ),
    (
        "Orders without a customer id",
        "orders",
        "warning",
        "SELECT count(*) FROM orders WHERE customer_id IS NULL",
        "cannot be attributed to anyone",
    ),
    (
        "Negative revenue",
        "orders",
        "error",
        "SELECT count(*) FROM orders WHERE revenue < 0",
        "revenue is the basket at list price and cannot be negative",
    ),
    (
        "Discount larger than revenue",
        "orders",
        "warning",
        "SELECT count(*) FROM orders WHERE discount > revenue",
        "expected only for gifts or free shipping on small baskets",
    ),
    (
        "Orders without cost of goods",
        "orders",
        "info",
        "SELECT count(*) FROM orders WHERE cost_of_goods IS NULL",
        "gross margin needs an assumed margin rate for these",
    ),
    (
        "Revenue outliers",
        "orders",
        "warning",
        "SELECT count(*) FROM orders, "
        "(SELECT quantile_cont(revenue, 0.5) med, quantile_cont(revenue, 0.99) p99 FROM orders) q "
        "WHERE revenue > greatest(20 * q.med, 3 * q.p99)",
        "baskets above 20× the median and 3× the 99th percentile",
    ),
    (
        "Customers with no orders",
        "customers",
        "info",
        "SELECT count(*) FROM customers c ANTI JOIN orders o USING (customer_id)",
        "known customers who never bought",
    ),
    (
        "Exposures of unknown customers",
        "exposures",
        "error",
        "SELECT count(*) FROM exposures e ANTI JOIN customers c USING (customer_id)",
        "exposures whose customer_id is not in customers",
    ),
    (
        "Exposures of unknown promotions",
        "exposures",
        "error",
        "SELECT count(*) FROM exposures e ANTI JOIN promotions p USING (promo_id)",
        "exposures whose promo_id is not in promotions",
    ),
)


def quality_report(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Checks over the loaded tables plus what the import dropped and why.

    Columns: check, table, severity ('error', 'warning', 'info'), rows, detail.
    Rows with zero offenders are kept, so the report shows what was checked.
    """
    cur = con.cursor()
    rows = [
        {
            "check": name,
            "table": table,
            "severity": severity,
            "rows": int(cur.execute(sql).fetchone()[0]),
            "detail": detail,
        }
        for name, table, severity, sql, detail in QUALITY_CHECKS
    ]
    dropped = cur.execute(
        "SELECT 'Dropped on import: ' || reason, table_name, 'info', sum(rows)::BIGINT, source "
        "FROM import_report GROUP BY ALL ORDER BY 4 DESC"
    ).fetchall()
    rows += [
        {"check": c, "table": t, "severity": s, "rows": int(n), "detail": d}
        for c, t, s, n, d in dropped
    ]
    return pd.DataFrame(rows, columns=["check", "table", "severity", "rows", "detail"])
