import pytest

from promo_core import db, overview


@pytest.fixture
def con(tiny_shop):
    return db.connect(tiny_shop, read_only=True)


def test_headline_kpis_match_hand_computed_figures(con):
    k = overview.headline_kpis(con)
    assert k["customers"] == 3
    assert k["orders"] == 5
    assert k["buyers"] == 2
    assert k["revenue"] == pytest.approx(390.0)
    assert k["discount"] == pytest.approx(20.0)
    assert k["aov"] == pytest.approx(78.0)
    assert k["orders_with_cost"] == 4
    assert k["active_90d"] == 2
    assert k["promotions"] == 1 and k["exposures"] == 2


def test_monthly_sales(con):
    m = overview.monthly_sales(con)
    assert m["revenue"].tolist() == [150.0, 230.0, 10.0]
    assert m["orders"].tolist() == [2, 2, 1]
    assert m["promo_orders"].tolist() == [0, 1, 0]


def test_orders_per_customer_counts_non_buyers(con):
    d = overview.orders_per_customer(con)
    assert dict(zip(d["orders"], d["customers"], strict=True)) == {"0": 1, "1": 1, "4–5": 1}


def test_table_summary_has_rows_and_dates(con):
    s = overview.table_summary(con).set_index("table")
    assert s.loc["orders", "rows"] == 5
    assert str(s.loc["orders", "from"]) == "2024-01-10"
    assert str(s.loc["orders", "to"]) == "2024-03-01"


def test_quality_report_flags_what_is_wrong(tiny_shop):
    con = db.connect(tiny_shop)
    con.execute("INSERT INTO orders VALUES (10, 99, TIMESTAMP '2024-03-02', -5, 0, 1, 'web', NULL)")
    con.execute("INSERT INTO import_report VALUES (1, now(), 'x.csv', 'orders', "
                "'cancellations', 7)")
    r = overview.quality_report(con).set_index("check")["rows"]
    assert r["Duplicate order ids"] == 1
    assert r["Orders of unknown customers"] == 1
    assert r["Negative revenue"] == 1
    assert r["Orders without cost of goods"] == 1
    assert r["Customers with no orders"] == 1
    assert r["Dropped on import: cancellations"] == 7
    assert r["Duplicate customer ids"] == 0


def test_active_90d_matches_the_recency_rule_at_the_default_as_of(tmp_path):
    from promo_core import datasets, profiles
    from promo_core.demo import build_demo

    build_demo(tmp_path / "d.duckdb", customers=1500, seed=2)
    shop = db.connect(tmp_path / "d.duckdb")
    try:
        feats = profiles.compute_profiles(shop, datasets.default_as_of(shop))
        expected = int((feats["recency_days"] <= 90).sum())
        assert overview.headline_kpis(shop)["active_90d"] == expected > 0
    finally:
        shop.close()
