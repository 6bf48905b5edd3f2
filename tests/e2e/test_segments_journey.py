"""Browser journey: build a rule segment, see its size, save it, compare it with an RFM
group, export its members."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from tests.e2e.conftest import screenshot, wait_for_app


def _pick(page, key: str, option: str) -> None:
    page.locator(f".st-key-{key}").get_by_role("combobox").click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_for_app(page)


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def test_build_save_compare_export(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.get_by_text("Customers", exact=True).first.wait_for()  # the app's own navigation
    page.get_by_role("link", name="Segments", exact=True).click()
    wait_for_app(page)
    page.get_by_text("Enter a value for each condition").wait_for()

    _pick(page, "segments-rule-0-field", "Orders")
    _pick(page, "segments-rule-0-op", ">=")
    value = page.locator(".st-key-segments-rule-0-value input")
    value.fill("5")
    value.press("Enter")
    wait_for_app(page)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=stMetricValue]')]"
        ".some(e => e.innerText !== '0' && e.innerText.includes('%'))")
    size = int(_metric(page, "Customers in segment").replace(",", ""))
    assert size > 0
    assert re.fullmatch(r"\d+\.\d%", _metric(page, "Share of revenue"))
    screenshot(page, "segments_rule")

    name = page.locator(".st-key-segments-rule-name input")
    name.fill("Frequent buyers")
    name.press("Enter")
    wait_for_app(page)
    page.locator(".st-key-segments-rule-save button").click()
    wait_for_app(page)
    page.get_by_text("Saved segment 'Frequent buyers'").wait_for()

    page.get_by_text("RFM groups", exact=True).click()
    wait_for_app(page)
    page.locator(".st-key-segments-rfm-save button").click()
    wait_for_app(page)
    page.get_by_text("Saved segment 'RFM").wait_for()

    page.get_by_role("tab", name="Saved segments").click()
    # one card per compared segment, each ending in its past promotion response
    page.get_by_text("Past promo response").nth(1).wait_for()
    assert page.get_by_text("Past promo response").count() == 2
    assert page.locator('[data-testid="stException"]').count() == 0
    screenshot(page, "segments_compare")

    box = page.locator(".st-key-segments-manage-pick").get_by_role("combobox")
    box.click()
    box.type("Frequent")
    box.press("Enter")
    wait_for_app(page)
    with page.expect_download() as dl:
        page.locator(".st-key-segments-manage-export button").click()
    rows = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    assert len(rows) == size and "customer_id" in rows[0] and "recency_days" in rows[0]
    assert all(int(r["frequency"]) >= 5 for r in rows)
