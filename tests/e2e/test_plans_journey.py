"""Browser journey: save a plan, approve it, download its three files, simulate the
week in the demo shop and review plan vs actual.

Runs its own server on a data folder with a small demo shop, a quick champion, two
saved segments and a candidate promotion (prepared in-process before the server
starts, since a running server holds the database file).
"""

from __future__ import annotations

from collections.abc import Iterator

import openpyxl
import pytest

from promo_core import db, promotions
from promo_core.segments import store as segments
from tests.e2e.conftest import screenshot, serve_app, wait_for_app
from tests.unit.test_plans_shop import CANDIDATE, WEEK
from tests.unit.test_scenarios_demo import build_shop_with_champion

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def plans_url(tmp_path_factory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("plans_e2e")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROMO_LAB_DATA_DIR", str(data))
        build_shop_with_champion(data / "demo.duckdb", customers=2000, seed=11)
        con = db.connect(data / "demo.duckdb")
        ids = con.execute("SELECT customer_id FROM customers ORDER BY 1").df()["customer_id"]
        segments.save_segment(con, "Odd ids", "rule", {}, WEEK, ids[ids % 2 == 1])
        segments.save_segment(con, "Even ids", "rule", {}, WEEK, ids[ids % 2 == 0])
        promotions.save_candidate(con, CANDIDATE)
        con.close()
    with serve_app(data) as url:
        yield url


@pytest.fixture
def tab(browser, plans_url):
    context = browser.new_context(viewport={"width": 1400, "height": 2200},
                                  accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(120_000)
    yield pg
    context.close()


def _click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_for_app(page)


def test_save_export_simulate_review(tab, plans_url, tmp_path):
    page = tab
    page.goto(f"{plans_url}/plans")
    wait_for_app(page)
    page.get_by_role("tab", name="New plan").click()
    page.get_by_label("Plan name").fill("Weekly win-back")
    page.get_by_label("Your name").fill("Ana")
    page.locator('[data-testid="stMultiSelect"]').click()
    page.get_by_role("option", name="Odd ids").click()
    page.keyboard.press("Escape")
    screenshot(page, "plans_01_new_plan")
    _click(page, "Save plan")
    page.get_by_text("Saved plan 'Weekly win-back' version 1: 1,000 targets").wait_for()

    page.get_by_role("tab", name="Plans", exact=True).click()
    page.get_by_label("Who decides").fill("Ben")
    page.get_by_label("Why").fill("ROI above target")
    _click(page, "Change status")
    page.get_by_text("Plan is now approved.").wait_for()
    _click(page, "Prepare exports")
    files = {}
    for label in ("CSV", "XLSX", "HTML"):
        with page.expect_download() as info:
            page.get_by_role("button", name=f"Download {label}").click()
        download = info.value
        files[label] = tmp_path / download.suggested_filename
        download.save_as(files[label])
    assert sorted(f.name for f in files.values()) == [
        "weekly-win-back_v1_week-2025-01-06_plan.xlsx",
        "weekly-win-back_v1_week-2025-01-06_report.html",
        "weekly-win-back_v1_week-2025-01-06_targets.csv"]
    assert len(files["CSV"].read_text().splitlines()) == 1 + 1000
    wb = openpyxl.load_workbook(files["XLSX"], read_only=True)
    assert wb["Targets"]["A2"].value == "Customer ID"
    html = files["HTML"].read_text()
    assert "Weekly win-back — version 1" in html and "src=\"http" not in html
    screenshot(page, "plans_02_approved_and_exported")

    page.get_by_role("tab", name="Review").click()
    _click(page, "Simulate the week (demo shop)")
    page.get_by_text("Simulated the week of 06 Jan 2025").wait_for()
    page.get_by_role("tab", name="Review").click()
    page.get_by_text("Actual conversion lift").first.wait_for()
    page.get_by_text("Forecast-error ledger").first.wait_for()
    screenshot(page, "plans_03_review")

    # The downloaded report (made before the run) opens from disk with its chart drawn.
    page.goto(files["HTML"].as_uri())
    page.get_by_text("Per segment").first.wait_for()
    page.wait_for_selector(".plotly-graph-div .main-svg")
    screenshot(page, "plans_04_report")
