"""Plans & review in AppTest: save a plan, approve it, export, simulate the week, review."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from promo_core import db, promotions
from promo_core.segments import store as segments
from tests.app.conftest import frame_with_column, run_app
from tests.unit.test_plans_shop import CANDIDATE, WEEK
from tests.unit.test_scenarios_demo import build_shop_with_champion

PAGE = "pages/plans.py"


@pytest.fixture(scope="module")
def shop_folder(tmp_path_factory) -> Path:
    """Demo shop with a quick champion, two saved segments and a candidate promotion."""
    folder = tmp_path_factory.mktemp("plans_app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROMO_LAB_DATA_DIR", str(folder))
        build_shop_with_champion(folder / "demo.duckdb", customers=1500, seed=9)
        con = db.connect(folder / "demo.duckdb")
        ids = con.execute("SELECT customer_id FROM customers ORDER BY 1").df()["customer_id"]
        segments.save_segment(con, "Odd ids", "rule", {}, WEEK, ids[ids % 2 == 1])
        segments.save_segment(con, "Even ids", "rule", {}, WEEK, ids[ids % 2 == 0])
        promotions.save_candidate(con, CANDIDATE)
        con.close()
    return folder


@pytest.fixture
def shop_app(data_dir: Path, shop_folder: Path) -> Path:
    shutil.copytree(shop_folder, data_dir, dirs_exist_ok=True)
    return data_dir


def _button(at, key: str):
    return next(b for b in at.button if b.key == key)


def test_empty_state_says_how_to_start(tiny_app):
    at = run_app(PAGE)
    assert "No plans yet" in at.info[0].value


def test_save_approve_export_simulate_review(shop_app):
    at = run_app(PAGE, timeout=120)
    at.text_input(key="plans.name").input("Weekly win-back")
    at.multiselect(key="plans.segments").select("Odd ids")
    at.text_input(key="plans.who").input("Ana")
    next(b for b in at.button if b.label == "Save plan").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Saved plan 'Weekly win-back' version 1: 750 targets")
    listing = frame_with_column(at, "latest_version")
    assert listing[["name", "status", "targets"]].values.tolist() == [
        ["Weekly win-back", "draft", 750]]

    # A save without a reason is refused with a message; with one it is logged.
    next(b for b in at.button if b.label == "Change status").click().run()
    assert "who made the decision is required" in at.error[0].value
    at.text_input(key="plans.status_who.1").input("Ben")
    at.text_input(key="plans.status_why.1").input("ROI above target")
    next(b for b in at.button if b.label == "Change status").click().run()
    assert at.success[0].value == "Plan is now approved."
    log = frame_with_column(at, "why")
    assert log["why"].tolist() == ["plan saved", "ROI above target"]

    _button(at, "plans.prepare").click().run()
    exports = sorted(p.name for p in (shop_app / "exports").iterdir())
    assert exports == ["weekly-win-back_v1_week-2025-01-06_plan.xlsx",
                       "weekly-win-back_v1_week-2025-01-06_report.html",
                       "weekly-win-back_v1_week-2025-01-06_targets.csv"]

    _button(at, "plans.simulate").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value.startswith("Simulated the week of 06 Jan 2025: ")
    verdict = [m.value for m in at.markdown if "Actual conversion lift" in m.value]
    assert verdict, [m.value for m in at.markdown]
    review = frame_with_column(at, "actual_lift")
    assert review["segment"].tolist() == ["Odd ids", "Total"]
    assert review["treated"].sum() + review["control"].sum() == 2 * 750
    ledger = frame_with_column(at, "error")
    assert len(ledger) >= 1


def test_a_plan_over_its_budget_is_refused_and_nothing_saved(shop_app):
    at = run_app(PAGE, timeout=120)
    at.text_input(key="plans.name").input("Too dear")
    at.multiselect(key="plans.segments").select("Odd ids")
    at.number_input(key="plans.budget").set_value(1.0)
    next(b for b in at.button if b.label == "Save plan").click().run()
    assert not at.exception, at.exception
    assert any("over its budget of 1" in e.value for e in at.error)
    assert "No plans yet" in at.info[0].value
