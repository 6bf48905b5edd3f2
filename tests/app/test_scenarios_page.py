"""The Scenarios page in AppTest: no-champion state, candidates, scenarios, optimiser."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.app.conftest import frame_with_column
from tests.unit.test_scenarios_demo import build_shop_with_champion

ROOT = Path(__file__).resolve().parents[2]
PAGE = "pages/scenarios.py"


@pytest.fixture(scope="module")
def entry(tmp_path_factory) -> str:
    """app.py with the Scenarios page registered (until the lead registers it there):
    a copy next to a link to pages/, so st.page_link finds the other pages."""
    text = (ROOT / "app.py").read_text()
    if PAGE in text:
        return str(ROOT / "app.py")
    folder = tmp_path_factory.mktemp("entry")
    (folder / "pages").symlink_to(ROOT / "pages")
    text = text.replace('    ("Analyse", "pages/experiments.py"',
                        '    ("Plan", "pages/scenarios.py", "Scenarios", ":material/calculate:"),'
                        '\n    ("Analyse", "pages/experiments.py"')
    (folder / "app.py").write_text(text)
    return str(folder / "app.py")


def _run(entry: str, timeout: float = 120):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(entry, default_timeout=timeout)
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def shop_folder(tmp_path_factory) -> Path:
    """A data folder: demo shop plus its champion's files under models/."""
    folder = tmp_path_factory.mktemp("scen_app")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROMO_LAB_DATA_DIR", str(folder))
        build_shop_with_champion(folder / "demo.duckdb", customers=1500, seed=9)
    return folder


@pytest.fixture
def shop_app(data_dir: Path, shop_folder: Path) -> Path:
    shutil.copytree(shop_folder, data_dir, dirs_exist_ok=True)
    return data_dir


def test_without_a_champion_the_page_says_so_and_links_to_uplift(tiny_app, entry):
    at = _run(entry)
    assert any("No champion uplift model yet" in w.value for w in at.warning)
    assert not at.dataframe


def test_bad_candidate_shows_a_message_and_saves_nothing(shop_app, entry):
    at = _run(entry)
    before = len(frame_with_column(at, "mechanic"))
    at.text_input(key="scenarios.name").input("Too deep")
    at.number_input(key="scenarios.contact").set_value(-1.0)
    at.number_input(key="scenarios.percent_off.value").set_value(120.0)
    at.button[0].click()  # the form's submit button
    at.run()
    text = " ".join(e.value for e in at.error)
    assert "cost per contact must be at least 0" in text
    assert "discount depth (%) must be at most 100" in text
    assert len(frame_with_column(at, "mechanic")) == before


def test_two_scenarios_compared_then_optimised(shop_app, entry):
    at = _run(entry)
    at.text_input(key="scenarios.name").input("15 % test")
    at.number_input(key="scenarios.percent_off.value").set_value(15.0)
    _submit(at, "Save candidate")
    assert any("Saved candidate" in s.value for s in at.success) or "15 % test" in list(
        frame_with_column(at, "mechanic").name)
    for name, promo in (("Ten for all", "Jan 2024 · 10% off"), ("New 15", "15 % test")):
        at.multiselect(key="scenarios.segs").set_value(["All customers"])
        at.run()
        at.text_input(key="scenarios.scen_name").input(name)
        at.selectbox(key="scenarios.pick.All customers").set_value(promo)
        _submit(at, "Add scenario")
    table = frame_with_column(at, "break_even_contact_cost")
    assert list(table.scenario) == ["Ten for all", "New 15"]
    assert (table.contacts == 1500).all() or (table.contacts > 0).all()
    assert table.net_profit.notna().all()
    # Save the second scenario as a plan: the plan carries the figures just compared.
    at.selectbox(key="scenarios.to_save").set_value("New 15")
    at.run()
    at.text_input(key="scenarios.save_scenario.name.New 15").input("Week 12 test plan")
    _submit(at, "Save as plan")
    assert any("Saved plan #1 'Week 12 test plan', version 1" in s.value for s in at.success)
    from promo_core import db, plans

    con = db.connect(shop_app / "demo.duckdb")  # same configuration as the app's
    saved = plans.load_version(con, 1)
    assert saved.name == "Week 12 test plan" and saved.status == "draft"
    expected = float(table.set_index("scenario").loc["New 15", "net_profit"])
    assert saved.payload["totals"]["net_profit"] == pytest.approx(expected, rel=1e-6)
    # The optimiser: nothing chosen → message; then two candidates.
    _submit(at, "Optimise")
    assert any("Choose at least one candidate promotion" in e.value for e in at.error)
    at.multiselect(key="scenarios.opt_promos").set_value(["Jan 2024 · 10% off", "15 % test"])
    at.number_input(key="scenarios.budget").set_value(300.0)
    _submit(at, "Optimise")
    labels = {m.label: m.value for m in at.metric}
    assert "Optimality gap" in labels
    cost = float(labels["Promotion cost"].replace(",", "").replace("£", "").replace("k", "e3"))
    assert cost <= 300.0
    vs = frame_with_column(at, "plan")
    assert vs.plan.iloc[0] == "Optimised plan" and vs.plan.iloc[2] == "Difference"
    assert at.info  # the verdict against the best blanket plan


def test_bad_budget_is_refused(shop_app, entry):
    at = _run(entry)
    at.multiselect(key="scenarios.opt_promos").set_value(["Jan 2024 · 10% off"])
    at.number_input(key="scenarios.budget").set_value(0.0)
    _submit(at, "Optimise")
    assert any("budget must be more than 0" in e.value for e in at.error)


def _submit(at, label: str) -> None:
    for b in at.button:
        if b.label == label:
            b.click()
            at.run()
            assert not at.exception, at.exception
            return
    raise AssertionError(f"no button '{label}'")


def test_a_t_learner_champion_is_explained_not_a_crash(shop_app, entry):
    """A T-learner scores only its own arm: the page says so and offers only that arm."""
    from promo_core import db, uplift

    con = db.connect(shop_app / "demo.duckdb")
    table = uplift.build_training_table(con)
    first_arm = int(table.frame["promo_id"].min())
    rows = uplift.select_arms(table, [first_arm])
    model = uplift.fit_learners(table, rows, "revenue", ("T",), uplift.LearnerConfig(
        n_estimators=20, num_leaves=7, num_threads=1))["T"]
    uplift.set_champion(con, uplift.save_model(con, model, as_of=db.get_meta(con, "as_of")))
    at = _run(entry)
    text = " ".join(w.value for w in at.warning)
    assert "The champion is a T-learner: it can only forecast the promotions it was trained" \
        in text
    assert any("needs an S-learner champion" in i.value for i in at.info)
