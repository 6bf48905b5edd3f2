"""Bad input is refused with a message naming file, column, rows and count, and the
database is byte-for-byte what it was (sha256 of the file and db.fingerprint)."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from promo_core import db, importers, paths
from promo_core.errors import ValidationError

TEMPLATES = paths.REPO_ROOT / "data" / "templates"
ORDERS_HEAD = b"order_id,customer_id,order_ts,revenue,discount\n"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def template_shop(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("shop") / "shop.duckdb"
    importers.import_dataset(
        target, {t: [TEMPLATES / f"{t}.csv"] for t in importers.IMPORTABLE}, dataset_name="Shop")
    return target


@pytest.fixture
def shop(template_shop: Path, tmp_path: Path) -> Path:
    """A small data set built from the template CSVs (all six tables), one copy per test."""
    target = tmp_path / "shop.duckdb"
    shutil.copy(template_shop, target)
    return target


def _fingerprint(path: Path) -> str:
    con = db.connect(path, read_only=True)
    try:
        return db.fingerprint(con)
    finally:
        con.close()


BAD = {
    "empty": ({"orders": [("o.csv", b"")]}, "the file is empty (0 bytes)"),
    "header only": ({"orders": [("o.csv", ORDERS_HEAD)]}, "a header but no data rows"),
    "latin-1": ({"customers": [("c.csv", "customer_id,city\n1,Köln\n2,Zürich\n"
                                .encode("latin-1"))]},
                "not UTF-8 encoded (byte b'\\xf6'; probably Latin-1/Windows-1252): save it as "
                "CSV UTF-8 (1 row, first at row 1)"),
    "xlsx named csv": ({"orders": [("o.csv", b"PK\x03\x04rest")]},
                       "the file is named .csv but its content is zip/xlsx, not text"),
    "csv named parquet": ({"orders": [("o.parquet", ORDERS_HEAD + b"9,1,2024-01-01,5,0\n")]},
                          "named .parquet but its content is text, not parquet"),
    "missing column": ({"orders": [("o.csv", b"order_id,customer_id,order_ts\n9,1,2024-01-01\n")]},
                       "column 'revenue': required by orders but no file column is mapped"),
    "bad values": ({"orders": [("o.csv", ORDERS_HEAD + b"9,1,2024-01-01,5,0\n"
                                b"10,x,2024-13-45,-3,0\n11,1,2024-02-01,4,9\n")]},
                   "column 'customer_id': cannot be read as a whole number (e.g. 'x') "
                   "(1 row, first at row 2)"),
    "duplicate key": ({"orders": [("o.csv", ORDERS_HEAD + b"9,1,2024-01-01,5,0\n"
                                   b"9,2,2024-01-02,6,0\n")]},
                      "column 'order_id': duplicate order_id (the same key appears on an "
                      "earlier row) (1 row, first at row 2)"),
    "key in data set": ({"orders": [("o.csv", ORDERS_HEAD + b"50001,1001,2024-01-01,5,0\n")]},
                        "column 'order_id': order_id already in the data set (1 row, "
                        "first at row 1)"),
    "unknown order": ({"order_lines": [("l.csv", b"order_id,product_id,quantity,unit_price\n"
                                        b"777,SKU-1,1,2.5\n")]},
                      "column 'order_id': not found in orders"),
    "promo type": ({"promotions": [("p.csv", b"promo_id,name,promo_type\n9,Big sale,mega\n")]},
                   "unknown promotion type; allowed: percent_off"),
    "future date": ({"orders": [("o.csv", ORDERS_HEAD + b"9,1,2999-01-01,5,0\n")]},
                    "column 'order_ts': date before 1900 or in the future (1 row"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_leaves_the_data_set_unchanged(shop: Path, case: str) -> None:
    sources, expected = BAD[case]
    before = (_sha(shop), _fingerprint(shop))
    with pytest.raises(ValidationError) as err:
        importers.import_dataset(shop, sources, dataset_name="Shop")
    assert expected in str(err.value)
    assert err.value.source == next(iter(sources.values()))[0][0]
    assert (_sha(shop), _fingerprint(shop)) == before


def test_all_problems_of_a_file_are_listed_with_rows(shop: Path) -> None:
    with pytest.raises(ValidationError) as err:
        importers.import_dataset(shop, BAD["bad values"][0], dataset_name="Shop")
    described = [p.describe() for p in err.value.problems]
    assert described == [
        "column 'customer_id': cannot be read as a whole number (e.g. 'x') "
        "(1 row, first at row 2)",
        "column 'order_ts': cannot be read as a date/time (e.g. '2024-13-45') "
        "(1 row, first at row 2)",
        # each bad cell once: not again as "is empty" after the failed conversion
        "column 'revenue': is negative (1 row, first at row 2)",
        "column 'discount': discount larger than the order's revenue at list price "
        "(1 row, first at row 3)",
    ]


def test_too_large_file_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "new.duckdb"
    with pytest.raises(ValidationError, match=r"the limit is 0 MB"):
        importers.import_dataset(target, {"customers": [TEMPLATES / "customers.csv"]},
                                 dataset_name="x", limit_mb=0.0001)
    assert list(tmp_path.iterdir()) == []


def test_failure_while_writing_rolls_back(shop: Path, tmp_path: Path, monkeypatch) -> None:
    def boom(con):
        raise RuntimeError("disk full")

    monkeypatch.setattr(db, "bump_data_version", boom)
    before = (_sha(shop), _fingerprint(shop))
    orders = {"orders": [("o.csv", ORDERS_HEAD + b"9,1001,2024-01-01,5,0\n")]}
    with pytest.raises(RuntimeError):
        importers.import_dataset(shop, orders, dataset_name="Shop")
    assert (_sha(shop), _fingerprint(shop)) == before
    new = tmp_path / "fresh" / "new.duckdb"
    with pytest.raises(RuntimeError):
        importers.import_dataset(new, orders, dataset_name="New")
    assert list(new.parent.iterdir()) == []  # no file, no temp file left


def test_append_adds_rows_and_implied_customers(shop: Path) -> None:
    orders = ORDERS_HEAD + b"9,1001,31/07/2024 10:00,5,0\n10,2000,01/08/2024 09:30,7.5,1\n"
    result = importers.import_dataset(shop, {"orders": [("o.csv", orders)]}, dataset_name="Shop")
    assert result.row_counts == {"customers": 1, "orders": 2}
    assert result.notes == ["1 customers appear only in orders/exposures and were added "
                            "(signup date = first order day)"]
    con = db.connect(shop, read_only=True)
    assert con.execute("SELECT order_ts::VARCHAR FROM orders WHERE order_id = 10"
                       ).fetchall() == [("2024-08-01 09:30:00",)]  # day-first read
    assert con.execute("SELECT signup_date::VARCHAR FROM customers WHERE customer_id = 2000"
                       ).fetchall() == [("2024-08-01",)]
    assert db.get_meta(con, "as_of") == "2024-08-01"
    con.close()


def test_extra_customer_columns_are_sanitised_and_typed(tmp_path: Path) -> None:
    text = 'Customer ID,Loyalty Tier!,x"; DROP TABLE orders; --,Age\n1,gold,a,41\n2,,b,35\n'
    target = tmp_path / "c.duckdb"
    importers.import_dataset(target, {"customers": [("c.csv", text.encode())]},
                             dataset_name="c")
    con = db.connect(target, read_only=True)
    cols = con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_name = 'customers'").fetchall()
    assert cols == [("customer_id", "BIGINT"), ("signup_date", "DATE"),
                    ("loyalty_tier", "VARCHAR"), ("x_drop_table_orders", "VARCHAR"),
                    ("age", "BIGINT")]
    assert db.row_counts(con)["orders"] == 0  # the table is still there
    con.close()


def test_read_file_formats(tmp_path: Path) -> None:
    frame = pd.DataFrame({"customer_id": [1, 2], "city": ["Köln", "Paris"]})
    parquet, xlsx = io.BytesIO(), io.BytesIO()
    frame.to_parquet(parquet)
    frame.to_excel(xlsx, index=False)
    gz = importers.files.gzip_bytes("customer_id;city\n1;Köln\n2;Paris\n")
    for name, data in [("c.parquet", parquet.getvalue()), ("c.xlsx", xlsx.getvalue()),
                       ("c.csv.gz", gz)]:
        got = importers.read_file(name, data)
        assert list(got.columns) == ["customer_id", "city"], name
        assert got["city"].tolist() == ["Köln", "Paris"], name


@pytest.mark.parametrize(("columns", "table", "expected"), [
    (["InvoiceNo", "CustomerID", "InvoiceDate", "Amount"], "orders",
     {"InvoiceNo": "order_id", "CustomerID": "customer_id", "InvoiceDate": "order_ts",
      "Amount": "revenue"}),
    (["Invoice", "Customer ID", "StockCode", "Quantity", "Price"], "order_lines",
     {"Invoice": "order_id", "StockCode": "product_id", "Quantity": "quantity",
      "Price": "unit_price"}),
    (["order id", "client_id", "when", "Total"], "orders",
     {"order id": "order_id", "client_id": "customer_id", "when": "order_ts",
      "Total": "revenue"}),
    (["Customer ID", "Country", "Signup"], "customers",
     {"Customer ID": "customer_id", "Signup": "signup_date", "Country": "country"}),
])
def test_mapping_is_proposed_from_names_and_values(columns, table, expected) -> None:
    values = {"when": "2024-03-01 10:00", "InvoiceDate": "2010-12-01 08:26"}
    df = pd.DataFrame({c: [values.get(c, "1")] * 3 for c in columns})
    assert importers.propose_mapping(df, table) == expected


def test_an_empty_required_cell_is_reported_as_empty(shop: Path) -> None:
    csv = ORDERS_HEAD + b"9,1,2024-01-01,5,0\n10,,2024-01-02,6,0\n"
    with pytest.raises(ValidationError) as err:
        importers.import_dataset(shop, {"orders": [("o.csv", csv)]}, dataset_name="Shop")
    assert [p.describe() for p in err.value.problems] == [
        "column 'customer_id': is empty (1 row, first at row 2)"]
