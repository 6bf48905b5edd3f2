"""Browser journey: open Uplift models, train, see the curves, pick a champion."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import screenshot, wait_for_app

pytestmark = pytest.mark.e2e


def test_train_see_curves_and_pick_champion(page, app_url):
    page.goto(f"{app_url}/uplift")
    wait_for_app(page)
    page.get_by_text("Choose arms, an outcome and learners").wait_for()
    page.get_by_role("button", name="Train models").click()
    # Case-sensitive, at the start: the page's intro also says "trained on past campaigns".
    page.get_by_text(re.compile(r"^Trained on ")).first.wait_for(timeout=240_000)
    wait_for_app(page, timeout=240_000)
    screenshot(page, "uplift_trained")
    # Charts draw one after another in the browser: wait for the second, not the first.
    page.wait_for_function("document.querySelectorAll('.js-plotly-plot').length >= 2",
                           timeout=60_000)
    assert page.get_by_text("Metrics on held-out customers").count() == 1
    page.get_by_text("X", exact=True).last.click()
    wait_for_app(page)
    page.get_by_role("button", name="Save and use as champion").click()
    page.get_by_text("as champion.").first.wait_for(timeout=60_000)
    wait_for_app(page)
    screenshot(page, "uplift_champion")
