"""Upload files in a real browser, import them, see the quality report, switch back."""

from pathlib import Path

from tests.e2e.conftest import screenshot, wait_for_app


def _upload(page, section: str, file: Path) -> None:
    page.get_by_text(section, exact=True).click()
    expander = page.locator('[data-testid="stExpander"]').filter(has_text=section)
    expander.locator('input[type="file"]').set_input_files(str(file))
    wait_for_app(page)


def _as_of(sidebar) -> str:
    return "".join(sidebar.get_by_role("group", name="Analysis as of").inner_text().split())


def test_upload_generic_tables_and_see_quality_report(page, app_url, tmp_path):
    orders = tmp_path / "my_orders.csv"
    orders.write_text(
        "Order ID,Customer,Date,Revenue,discount,cost_of_goods,channel\n"
        "1,101,2024-05-01 10:00:00,80.00,0,40.00,web\n"
        "2,102,2024-05-02 11:00:00,20.00,0,9.00,web\n"
        "3,101,2024-06-01 12:00:00,35.50,3.50,16.00,app\n"
    )
    customers = tmp_path / "my_customers.csv"
    customers.write_text("customer_id,signup_date,region\n101,2023-01-01,North\n"
                         "102,2023-02-01,South\n103,2023-03-01,South\n")
    page.goto(f"{app_url}/import_data")
    wait_for_app(page)
    _upload(page, "Customers", customers)
    _upload(page, "Orders", orders)
    page.get_by_label("Data set name").fill("Browser shop")
    page.get_by_label("Data set name").press("Enter")
    wait_for_app(page)
    page.get_by_role("button", name="Import").click()
    wait_for_app(page)
    page.get_by_text("Imported Browser shop: 3 customers, 3 orders").wait_for()
    page.get_by_text("Last import: Browser shop").wait_for()
    screenshot(page, "import_done")

    page.get_by_role("link", name="See the data-quality report of this data set").click()
    wait_for_app(page)
    page.get_by_text("Data set: Browser shop").wait_for()
    page.get_by_text("No blocking problems found").wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    sidebar = page.locator('[data-testid="stSidebar"]')
    # The analysis date follows the imported data set (the day after its last order).
    assert _as_of(sidebar) == "2024/06/02"
    assert "3 customers · 3 orders" in sidebar.inner_text()
    screenshot(page, "import_quality_report")

    # Switch back to the demo shop from the sidebar: its own date and figures return.
    sidebar.get_by_role("combobox", name="Data set").click()
    page.get_by_role("option", name="Demo shop").click()
    wait_for_app(page)
    page.get_by_text("Data set: Demo shop").wait_for()
    assert _as_of(sidebar) == "2025/01/01"


def test_broken_upload_is_refused_with_a_message(page, app_url, tmp_path):
    broken = tmp_path / "orders.parquet"
    broken.write_text("this is not parquet")
    page.goto(f"{app_url}/import_data")
    wait_for_app(page)
    _upload(page, "Orders", broken)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="orders.parquet")
    alert.wait_for()
    assert "Nothing was changed" in alert.inner_text()
    screenshot(page, "import_refused")
