"""Browser journey: build two scenarios, compare them, run the optimiser, read the frontier.

Runs its own server on a data folder with a small demo shop and a quick S-learner
champion (trained in-process, so the journey does not depend on the Uplift page's
defaults).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import screenshot, serve_app, wait_for_app
from tests.unit.test_scenarios_demo import build_shop_with_champion

pytestmark = pytest.mark.e2e
PAGE = "pages/scenarios.py"


@pytest.fixture(scope="module")
def scenarios_url(tmp_path_factory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("scen_e2e")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROMO_LAB_DATA_DIR", str(data))
        build_shop_with_champion(data / "demo.duckdb", customers=2000, seed=11)
    with serve_app(data) as url:
        yield url


@pytest.fixture
def tab(browser, scenarios_url):
    context = browser.new_context(viewport={"width": 1400, "height": 2600})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


def _choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")
    wait_for_app(page)


def _no_exception(page) -> None:
    assert page.locator('[data-testid="stException"]').count() == 0


def _add_scenario(page, name: str, promotion: str) -> None:
    page.get_by_label("Scenario name").fill(name)
    _choose(page, "Promotion for All customers", promotion)
    page.get_by_role("button", name="Add scenario").click()
    wait_for_app(page)


def test_two_scenarios_compared_then_optimised(tab, scenarios_url):
    page = tab
    page.goto(scenarios_url)
    wait_for_app(page)
    page.get_by_text("Customers", exact=True).first.wait_for()
    page.get_by_role("link", name="Scenarios", exact=True).click()
    wait_for_app(page)
    page.get_by_role("heading", name="Scenarios").wait_for()
    page.get_by_text("Champion:").wait_for()

    page.get_by_role("tab", name="Compare scenarios").click()
    _choose(page, "Segments (earlier ones take precedence)", "All customers")
    _add_scenario(page, "Ten for all", "Jan 2024 · 10% off")
    _add_scenario(page, "Free shipping for all", "Feb 2024 · Free shipping")
    page.get_by_text("Economics recomputed in").wait_for()
    page.locator(".js-plotly-plot").nth(1).wait_for()
    _no_exception(page)
    screenshot(page, "scenarios_compare")

    page.get_by_role("tab", name="Optimiser").click()
    _choose(page, "Candidate promotions", "Jan 2024 · 10% off")
    _choose(page, "Candidate promotions", "Feb 2024 · Free shipping")
    page.get_by_role("spinbutton", name="Budget", exact=True).fill("400")
    page.get_by_role("button", name="Optimise").click()
    wait_for_app(page)
    page.get_by_text("Optimality gap").wait_for()
    page.get_by_text(re.compile(r"^(The optimised plan earns|Personalisation adds nothing "
                                r"demonstrable|The model has no bootstrap)")).wait_for()
    page.get_by_text("Upper bound (LP relaxation)").first.wait_for()
    _no_exception(page)
    screenshot(page, "scenarios_optimiser")
