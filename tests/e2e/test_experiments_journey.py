"""Experiments in a real browser: read out a past promotion of the demo shop and an
uploaded fast-food test, size a test, and run the bandit simulator."""

from __future__ import annotations

import re

from tests.conftest import shared_file
from tests.e2e.conftest import screenshot, wait_for_app


def _choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox or multiselect labelled ``label``."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")  # a multiselect stays open after a pick
    wait_for_app(page)


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def test_experiments_journey(page, app_url):
    # Streamlit scrolls inside its own container, so a tall window is what puts the
    # charts into the screenshots
    page.set_viewport_size({"width": 1400, "height": 2600})
    page.goto(app_url)
    wait_for_app(page)
    # wait for app.py's own navigation (Streamlit first lists pages/ in lower case)
    page.get_by_text("Customers", exact=True).first.wait_for()
    page.get_by_role("link", name="Experiments", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="Experiments").wait_for()

    # Readout of the demo shop's newest promotion with a control group
    screenshot(page, "experiments_readout_past")
    page.get_by_text(re.compile(r"^Sample-ratio check: type the intended split")).wait_for()
    page.locator('[data-testid="stDataFrame"]').first.wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()
    _no_exception(page)
    screenshot(page, "experiments_readout_past")

    # Upload the fast-food test and analyse it per location
    data = shared_file("fast-food-marketing-ab-test", "WA_Marketing-Campaign.csv")
    page.get_by_text("Upload a test file").click()
    wait_for_app(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(data))
    wait_for_app(page)
    page.get_by_text("Arm column", exact=True).wait_for()
    _choose(page, "Arm column", "Promotion")
    _choose(page, "Unit of randomisation", "LocationID")
    _choose(page, "Metric columns", "SalesInThousands")
    _choose(page, "Date / week column (for lift over time)", "week")
    page.get_by_text("Split looks as intended: 43 / 47 / 47 units").wait_for()
    page.get_by_text("unit means by 'LocationID'", exact=False).wait_for()
    page.get_by_text("Cumulative lift over time").wait_for()
    _no_exception(page)
    screenshot(page, "experiments_readout_upload")

    # Test design: defaults are 5 % → 6 %, α 0.05, power 0.8
    page.get_by_role("tab", name="Test design").click()
    wait_for_app(page)
    design = page.locator('[data-testid="stMetric"]').filter(has_text="Control arm")
    assert design.locator('[data-testid="stMetricValue"]').inner_text() == "8,143"
    page.get_by_text("Power curve").first.wait_for()
    screenshot(page, "experiments_design")

    # Bandit simulator with a lighter horizon so the journey stays quick
    page.get_by_role("tab", name="Bandit simulator").click()
    wait_for_app(page)
    runs = page.get_by_label("Simulated runs")
    runs.fill("200")
    page.get_by_role("button", name="Run simulation").click()
    wait_for_app(page)
    fixed = page.locator('[data-testid="stMetric"]').filter(has_text="Fixed equal split")
    fixed.wait_for()
    # 100,000 contacts × mean gap 0.967 pp to the best 6 % arm
    assert fixed.locator('[data-testid="stMetricValue"]').inner_text() == "967 regret"
    thompson = page.locator('[data-testid="stMetric"]').filter(has_text="Thompson sampling")
    assert "conversions vs fixed split" in thompson.inner_text()
    page.get_by_text("Allocation — Thompson sampling").wait_for()
    _no_exception(page)
    screenshot(page, "experiments_bandit")
