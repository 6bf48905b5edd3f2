"""Open the app in a real browser: overview, then the Data page."""

from tests.e2e.conftest import screenshot, wait_for_app


def test_overview_and_data_pages_render(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("Customers", exact=True).first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    assert page.locator('[data-testid="stMetric"]').count() >= 6
    page.locator(".js-plotly-plot").first.wait_for()
    screenshot(page, "overview")

    page.get_by_role("link", name="Data", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Data quality").wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "data")
