"""Category affinity per customer and category co-purchase across baskets (SQL).

Both read ``order_lines ⋈ products`` for orders strictly before the as-of date, and
return empty frames when a data set has no order lines.

- Affinity of customer c for category k = (c's share of spend in k) / (everyone's
  share of spend in k): 1 is average, 2 is twice as drawn to k as the shop as a whole.
- Pairs: over baskets (orders), support(a,b) = baskets with both / all baskets,
  confidence(a→b) = baskets with both / baskets with a, lift = confidence / P(b).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import duckdb
import pandas as pd

_BASKET_CATEGORIES = """
    SELECT DISTINCT o.order_id, p.category
    FROM orders o JOIN order_lines l ON l.order_id = o.order_id
    JOIN products p ON p.product_id = l.product_id
    WHERE o.order_ts < CAST(? AS TIMESTAMP) AND p.category IS NOT NULL
"""


def has_categories(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(con.cursor().execute(
        "SELECT EXISTS (SELECT 1 FROM order_lines l JOIN products p USING (product_id) "
        "WHERE p.category IS NOT NULL)").fetchone()[0])


def category_affinity(con: duckdb.DuckDBPyConnection, as_of: date,
                      customer_ids: Sequence[int] | None = None) -> pd.DataFrame:
    """``customer_id, category, spend, share, affinity`` (long form), optionally filtered."""
    cur = con.cursor()
    params: list = [as_of]
    where = ""
    if customer_ids is not None:
        where = "WHERE list_contains(?, customer_id)"
        params.append([int(c) for c in customer_ids])
    return cur.execute(f"""
        WITH spend AS (
            SELECT o.customer_id, p.category, sum(l.quantity * l.unit_price) AS spend
            FROM orders o JOIN order_lines l ON l.order_id = o.order_id
            JOIN products p ON p.product_id = l.product_id
            WHERE o.order_ts < CAST(? AS TIMESTAMP) AND p.category IS NOT NULL
            GROUP BY ALL
        ),
        shares AS (
            SELECT *, spend / nullif(sum(spend) OVER (PARTITION BY customer_id), 0) AS share
            FROM spend
        ),
        overall AS (
            SELECT category, sum(spend) / nullif((SELECT sum(spend) FROM spend), 0) AS base
            FROM spend GROUP BY category
        )
        SELECT s.customer_id, s.category, s.spend, s.share, s.share / o.base AS affinity
        FROM shares s JOIN overall o USING (category)
        {where}
        ORDER BY s.customer_id, affinity DESC""", params).df()


def affinity_summary(con: duckdb.DuckDBPyConnection, as_of: date,
                     threshold: float = 1.5) -> pd.DataFrame:
    """Per category: buyers, spend share, and customers with affinity ≥ ``threshold``."""
    aff = category_affinity(con, as_of)
    if aff.empty:
        return pd.DataFrame(columns=["category", "buyers", "spend_share", "high_affinity"])
    aff["high"] = aff["affinity"] >= threshold
    g = aff.groupby("category").agg(buyers=("customer_id", "size"), spend=("spend", "sum"),
                                    high_affinity=("high", "sum"))
    g["spend_share"] = g["spend"] / g["spend"].sum()
    return g.drop(columns="spend").sort_values("spend_share", ascending=False).reset_index()


def category_pairs(con: duckdb.DuckDBPyConnection, as_of: date,
                   min_support: float = 0.0) -> pd.DataFrame:
    """Directed pairs a→b with baskets, support, confidence and lift (a ≠ b)."""
    return con.cursor().execute(f"""
        WITH bc AS ({_BASKET_CATEGORIES}),
        n AS (SELECT count(DISTINCT order_id) AS baskets FROM bc),
        single AS (SELECT category, count(*) AS baskets FROM bc GROUP BY category),
        pair AS (
            SELECT a.category AS cat_a, b.category AS cat_b, count(*) AS baskets_ab
            FROM bc a JOIN bc b ON a.order_id = b.order_id AND a.category <> b.category
            GROUP BY ALL
        )
        SELECT p.cat_a, p.cat_b, sa.baskets AS baskets_a, sb.baskets AS baskets_b,
               p.baskets_ab,
               p.baskets_ab / n.baskets AS support,
               p.baskets_ab / sa.baskets AS confidence,
               (p.baskets_ab / sa.baskets) / (sb.baskets / n.baskets) AS lift
        FROM pair p, n
        JOIN single sa ON sa.category = p.cat_a
        JOIN single sb ON sb.category = p.cat_b
        WHERE p.baskets_ab / n.baskets >= ?
        ORDER BY lift DESC, p.cat_a, p.cat_b""", [as_of, min_support]).df()
