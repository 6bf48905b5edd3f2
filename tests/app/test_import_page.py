"""The Import data page: mapping, import, report, switching data set, and errors.

AppTest cannot drive st.file_uploader, so uploads are put where the page keeps them
(``import_data.files``); the real upload is covered by the browser test.
"""

from __future__ import annotations

from pathlib import Path

from promo_core import db, paths
from tests.app.conftest import frame_with_column, run_app

PAGE = "pages/import_data.py"
TEMPLATES = paths.REPO_ROOT / "data" / "templates"


def _with_files(files: dict[str, list[tuple[str, bytes]]], name: str):
    at = run_app(PAGE)
    at.session_state["import_data.files"] = files
    at.run()
    at.text_input(key="import_data.name").set_value(name).run()
    return at


def test_page_offers_templates_and_maps_columns(tiny_app: Path) -> None:
    orders = b"InvoiceNo,CustomerID,InvoiceDate,Amount\n1,7,2024-01-02,10.5\n"
    at = _with_files({"orders": [("orders.csv", orders)]}, "Shop")
    labels = {b.label for b in at.get("download_button")}
    assert {"customers.csv", "orders.csv", "exposures.csv"} <= labels
    assert at.selectbox(key="import_data.map.orders.InvoiceNo").value == "order_id"
    assert at.selectbox(key="import_data.map.orders.CustomerID").value == "customer_id"
    assert at.selectbox(key="import_data.map.orders.Amount").value == "revenue"


def test_import_reports_rows_and_switches_data_set(tiny_app: Path) -> None:
    files = {t: [(f"{t}.csv", (TEMPLATES / f"{t}.csv").read_bytes())]
             for t in ("customers", "orders", "order_lines", "products")}
    at = _with_files(files, "My Shop")
    at.button(key="import_data.go").click().run()
    assert not at.exception, at.exception
    target = paths.dataset_path("my_shop")
    assert at.session_state["app.active_dataset"] == str(target)
    # app.py shows the flash on the next run of the frame (AppTest runs only the page).
    assert at.session_state["app.flash"] == (
        "Imported My Shop: 3 customers, 3 products, 3 orders, 5 order lines.")
    assert at.subheader[0].value == "Last import: My Shop"
    loaded = frame_with_column(at, "rows loaded")
    assert dict(zip(loaded["table"], loaded["rows loaded"], strict=True)) == {
        "customers": 3, "products": 3, "orders": 3, "order_lines": 5}
    con = db.connect(target, read_only=True)
    assert db.get_meta(con, "dataset_name") == "My Shop"
    con.close()


def test_bad_file_shows_every_problem_and_writes_nothing(tiny_app: Path) -> None:
    orders = (b"order_id,customer_id,order_ts,revenue\n1,7,2024-01-02,10\n"
              b"2,7,not a date,-5\n2,8,2024-01-03,4\n")
    at = _with_files({"orders": [("orders.csv", orders)]}, "Broken")
    at.button(key="import_data.go").click().run()
    assert not at.exception, at.exception
    text = at.error[0].value
    assert "**orders.csv** could not be used" in text
    assert "column 'order_ts': cannot be read as a date/time (e.g. 'not a date') " \
           "(1 row, first at row 2)" in text
    assert "column 'revenue': is negative (1 row, first at row 2)" in text
    assert "Nothing was changed." in text
    assert not paths.dataset_path("broken").exists()


def test_file_with_wrong_content_is_refused_before_import(tiny_app: Path) -> None:
    at = _with_files({"orders": [("orders.csv", b"PK\x03\x04 not really a csv")]}, "X")
    assert "its content is zip/xlsx, not text" in at.error[0].value
    assert at.button(key="import_data.go").disabled
