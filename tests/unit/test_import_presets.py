"""The presets on the real files in ../shared/data (skipped when absent).

Reference figures were computed by hand in a separate pandas session (read as text,
2009-10 rows kept ``< 2010-12-01``, ``drop_duplicates()``, then dropping C/A invoices,
service codes, quantity ≤ 0, price ≤ 0 and missing customers; revenue = Σ quantity ×
price, rounded per invoice to pence):

| | invoices | customers | revenue |
| --- | --- | --- | --- |
| 2009-10 (to 2010-11-30) | 18,192 | 4,239 | 8,331,355.08 |
| 2010-11 | 18,402 | 4,334 | 8,737,227.64 |
| stacked | 36,594 | 5,852 | 17,068,582.72 |

The READMEs count every invoice and customer, cancellations included: 25,900 invoices
and 4,372 customers in 2010-11; in 2009-10 28,816 / 4,383 for the whole sheet, 27,728 /
4,336 before 2010-12-01. Kept figures are lower because cancellations, adjustments and
invoices without a customer are not orders.
"""

from __future__ import annotations

import duckdb
import pytest

from promo_core import db, importers
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata

OR_2010 = ("online-retail", "online_retail.csv.gz")
OR_2009 = ("online-retail-ii-2009-2010", "online_retail_ii_2009_2010.csv.gz")


@pytest.fixture(scope="module")
def stacked(tmp_path_factory):
    files = [shared_file(*OR_2009), shared_file(*OR_2010)]
    target = tmp_path_factory.mktemp("or") / "retail.duckdb"
    result = importers.import_dataset(target, preset="online_retail", files=files,
                                      dataset_name="UCI Online Retail")
    con = db.connect(target, read_only=True)
    yield result, con
    con.close()


@pytest.fixture(scope="module")
def year_2010(tmp_path_factory):
    target = tmp_path_factory.mktemp("or1") / "retail.duckdb"
    result = importers.import_dataset(target, preset="online_retail",
                                      files=[shared_file(*OR_2010)], dataset_name="2010-11")
    return result


@pytest.fixture(scope="module")
def hillstrom(tmp_path_factory):
    target = tmp_path_factory.mktemp("hs") / "hillstrom.duckdb"
    result = importers.import_dataset(
        target, preset="hillstrom", files=[shared_file("hillstrom-email-analytics",
                                                       "hillstrom.csv")],
        dataset_name="Hillstrom")
    con = db.connect(target, read_only=True)
    yield result, con
    con.close()


def _per_year(con: duckdb.DuckDBPyConnection):
    return con.execute(
        "SELECT order_ts >= '2010-12-01' AS second, count(*), count(DISTINCT customer_id), "
        "round(sum(revenue), 2) FROM orders GROUP BY 1 ORDER BY 1").fetchall()


def test_stacked_years_match_the_hand_computed_figures(stacked):
    result, con = stacked
    assert _per_year(con) == [(False, 18_192, 4_239, 8_331_355.08),
                              (True, 18_402, 4_334, 8_737_227.64)]
    assert con.execute("SELECT count(*), count(DISTINCT customer_id), round(sum(revenue), 2) "
                       "FROM orders").fetchall() == [(36_594, 5_852, 17_068_582.72)]
    assert result.row_counts == {"customers": 5_852, "products": 4_620, "orders": 36_594,
                                 "order_lines": 776_579}
    assert result.as_of == "2011-12-09"
    assert db.get_meta(con, "as_of") == "2011-12-09"
    assert db.get_meta(con, "dataset_kind") == "import"


def test_every_dropped_line_is_reported_with_its_reason(stacked):
    result, con = stacked
    dropped = {reason: n for _, reason, n in result.dropped}
    assert dropped == {
        "no customer id": 226_637,
        "overlap: the same days are in online_retail.csv.gz": 22_523,  # README: 22,523
        "cancellation (invoice C…)": 19_104,
        "exact duplicate row": 11_812,
        "non-product code (postage, fees, manual, vouchers, DCGS…)": 4_780,
        "stock adjustment (quantity ≤ 0, no customer)": 3_363,
        "zero price": 2_566,
        "bad-debt adjustment (invoice A…)": 6,
    }
    # every input line is either loaded or reported: 525,461 + 541,909 lines
    assert sum(dropped.values()) + result.row_counts["order_lines"] == 525_461 + 541_909
    stored = con.execute("SELECT sum(rows) FROM import_report").fetchall()[0][0]
    assert stored == sum(dropped.values())


def test_one_year_alone_matches_its_readme(year_2010):
    dropped = {reason: n for _, reason, n in year_2010.dropped}
    assert dropped["exact duplicate row"] == 5_268  # README: 5,268 exact duplicates
    assert sum(dropped.values()) + year_2010.row_counts["order_lines"] == 541_909
    assert year_2010.row_counts["orders"] == 18_402
    assert year_2010.row_counts["customers"] == 4_334


def test_products_and_customers_are_cleaned(stacked):
    _, con = stacked
    assert con.execute("SELECT count(*) FROM products WHERE product_id <> upper(trim("
                       "product_id))").fetchall()[0][0] == 0
    assert con.execute("SELECT category FROM products WHERE product_id = '85123A'"
                       ).fetchall()[0][0] == "lighting"  # WHITE HANGING HEART T-LIGHT HOLDER
    assert con.execute("SELECT count(*) FROM products WHERE product_id IN ('POST', 'DOT', 'M')"
                       ).fetchall()[0][0] == 0
    # signup = first purchase day; country kept as an extra attribute
    assert con.execute("SELECT signup_date::VARCHAR, country FROM customers "
                       "WHERE customer_id = 13085").fetchall() == [("2009-12-01",
                                                                     "United Kingdom")]
    assert con.execute("SELECT count(*) FROM orders o ANTI JOIN customers USING (customer_id)"
                       ).fetchall()[0][0] == 0


def test_hillstrom_groups_match_the_readme(hillstrom):
    result, con = hillstrom
    assert result.row_counts == {"customers": 64_000, "promotions": 2, "exposures": 85_306}
    rows = con.execute(
        "SELECT p.name, e.is_control, count(*), round(avg(visited::INT), 3), "
        "round(avg(converted::INT), 4), round(avg(e.revenue), 2) "
        "FROM exposures e JOIN promotions p USING (promo_id) GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    assert rows == [
        ("Mens E-Mail", False, 21_307, 0.183, 0.0125, 1.42),
        ("Mens E-Mail", True, 21_306, 0.106, 0.0057, 0.65),
        ("Womens E-Mail", False, 21_387, 0.151, 0.0088, 1.08),
        ("Womens E-Mail", True, 21_306, 0.106, 0.0057, 0.65),
    ]
    assert con.execute("SELECT DISTINCT promo_type, channel, duration_days FROM promotions"
                       ).fetchall() == [("informational", "email", 14)]
    # spend > 0 exactly when converted (README: 578 rows)
    assert con.execute("SELECT count(DISTINCT customer_id) FROM exposures WHERE revenue > 0"
                       ).fetchall()[0][0] == 578
    assert con.execute("SELECT zip_code, count(*) FROM customers WHERE customer_id = 1 "
                       "GROUP BY 1").fetchall() == [("Surburban", 1)]
