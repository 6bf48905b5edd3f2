"""The demo shop build: sizes, determinism, consistency of orders, lines and campaigns."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from promo_core import db
from promo_core.demo import build_demo

CUSTOMERS = 3_000


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    build_demo(path, customers=CUSTOMERS, seed=11)
    return path


@pytest.fixture(scope="module")
def con(demo_path: Path) -> duckdb.DuckDBPyConnection:
    connection = db.connect(demo_path, read_only=True)
    yield connection
    connection.close()


def one(con: duckdb.DuckDBPyConnection, sql: str):
    return con.execute(sql).fetchone()[0]


def test_sizes_and_meta(con: duckdb.DuckDBPyConnection) -> None:
    counts = db.row_counts(con)
    assert counts["customers"] == CUSTOMERS
    assert counts["products"] == 240
    assert counts["promotions"] == 16
    assert 8 * CUSTOMERS <= counts["orders"] <= 14 * CUSTOMERS
    assert counts["order_lines"] > counts["orders"]
    assert counts["exposures"] == counts["demo_truth"] > 0
    assert db.get_meta(con, "dataset_name") == "Demo shop"
    assert db.get_meta(con, "dataset_kind") == "demo"
    assert db.get_meta(con, "seed") == "11"
    assert db.get_meta(con, "customers") == str(CUSTOMERS)
    assert db.get_meta(con, "data_version") not in (None, "0")
    assert db.get_meta(con, "built_at")


def test_customer_profile_columns_and_hidden_traits(con: duckdb.DuckDBPyConnection) -> None:
    columns = db.table_columns(con, "customers")
    assert columns == [
        "customer_id", "signup_date", "region", "age_band", "acquisition_channel", "loyalty_tier",
    ]
    assert one(con, "SELECT count(*) FROM demo_traits") == CUSTOMERS
    assert one(con, "SELECT count(*) FROM customers WHERE region IS NULL OR age_band IS NULL") == 0
    assert one(con, "SELECT count(DISTINCT loyalty_tier) FROM customers") == 4


def test_no_order_outside_history_or_before_signup(con: duckdb.DuckDBPyConnection) -> None:
    as_of = date.fromisoformat(db.get_meta(con, "as_of"))
    assert one(con, "SELECT max(order_ts)::DATE FROM orders") == as_of == date(2024, 12, 31)
    assert one(con, "SELECT min(order_ts)::DATE FROM orders") >= date(2023, 1, 1)
    assert one(con, """SELECT count(*) FROM orders o JOIN customers c USING (customer_id)
                       WHERE o.order_ts::DATE < c.signup_date""") == 0


def test_order_lines_add_up_to_orders(con: duckdb.DuckDBPyConnection) -> None:
    worst_revenue, worst_discount, missing = con.execute("""
        WITH l AS (SELECT order_id, sum(quantity * unit_price) AS rev, sum(discount) AS disc
                   FROM order_lines GROUP BY order_id)
        SELECT max(abs(o.revenue - l.rev)), max(abs(o.discount - l.disc)),
               count(*) FILTER (WHERE l.order_id IS NULL)
        FROM orders o LEFT JOIN l USING (order_id)""").fetchone()
    assert worst_revenue < 0.005
    assert worst_discount < 0.005
    assert missing == 0
    assert one(con, "SELECT count(*) FROM order_lines WHERE quantity < 1 OR unit_price <= 0") == 0
    orphans = "SELECT count(*) FROM order_lines l ANTI JOIN products p USING (product_id)"
    assert one(con, orphans) == 0
    # Unit prices stay near today's list prices (prices drift, they don't jump).
    drift = one(con, """SELECT quantile_cont(abs(l.unit_price / p.list_price - 1), 0.9)
                        FROM order_lines l JOIN products p USING (product_id)""")
    assert drift < 0.1


def test_orders_are_plausible(con: duckdb.DuckDBPyConnection) -> None:
    bad = one(con, """SELECT count(*) FROM orders WHERE revenue <= 0 OR discount < 0
                      OR discount > revenue OR cost_of_goods <= 0 OR cost_of_goods >= revenue * 1.5
                      OR channel NOT IN ('web', 'app')""")
    assert bad == 0
    december, february = con.execute("""
        SELECT count(*) FILTER (WHERE month(order_ts) = 12),
               count(*) FILTER (WHERE month(order_ts) = 2) FROM orders""").fetchone()
    assert december > 1.5 * february  # the Christmas peak


def test_same_seed_same_tables_other_seed_differs(tmp_path: Path, demo_path: Path) -> None:
    again, other = tmp_path / "again.duckdb", tmp_path / "other.duckdb"
    build_demo(again, customers=CUSTOMERS, seed=11)
    build_demo(other, customers=CUSTOMERS, seed=12)
    prints = []
    for path in (demo_path, again, other):
        with duckdb.connect(str(path), read_only=True) as c:
            truth = c.execute(
                "SELECT count(*), sum(hash(demo_truth::VARCHAR)) FROM demo_truth"
            ).fetchone()
            prints.append((db.fingerprint(c), truth))
    assert prints[0] == prints[1]
    assert prints[0][0] != prints[2][0]


def test_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "broken.duckdb"

    def fail_halfway(fraction: float, message: str) -> None:
        if fraction >= 0.5:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        build_demo(path, customers=500, progress=fail_halfway)
    assert list(tmp_path.iterdir()) == []


def test_progress_is_reported_in_order(tmp_path: Path) -> None:
    seen: list[float] = []
    build_demo(tmp_path / "p.duckdb", customers=500, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert seen == sorted(seen) and len(seen) >= 10
