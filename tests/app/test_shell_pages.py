from tests.app.conftest import frame_with_column
from tests.app.conftest import run_app as _run


def test_overview_shows_the_shop_figures(tiny_app):
    at = _run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Customers"] == "3"
    assert metrics["Orders"] == "5"
    assert metrics["Revenue"] == "£390.00"
    assert metrics["Average order value"] == "£78.00"
    assert metrics["Discount given"] == "£20.00"
    assert metrics["Past promotions"] == "1"
    assert "3 customers · 5 orders · 1 promotions" in at.sidebar.caption[0].value


def test_data_page_shows_tables_and_quality(tiny_app):
    at = _run("pages/data.py")
    assert at.title[0].value == "Data"
    tables = frame_with_column(at, "table").set_index("table")
    assert tables.loc["orders", "rows"] == 5
    quality = frame_with_column(at, "check").set_index("check")
    assert quality.loc["Customers with no orders", "rows"] == 1
    assert at.success[0].value.startswith("No blocking problems found")


def test_as_of_defaults_to_the_data_sets_date(tiny_app):
    at = _run()
    assert str(at.sidebar.date_input[0].value) == "2024-03-02"  # the day after the data

