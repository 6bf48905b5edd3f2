"""Experiments page in AppTest: readout of a past promotion and of an upload, test
design and the bandit simulator, with the numbers and messages a user sees."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.app.conftest import frame_with_column, run_app
from tests.conftest import shared_file

PAGE = "pages/experiments.py"


@pytest.fixture
def experiment_app(tiny_app: Path) -> Path:
    """The tiny shop plus two e-mail tests that carry their own outcomes:
    #2 'Spring mail', 300 treated (60 converted) vs 300 control (30 converted);
    #3 'Skewed mail', 400 treated vs 250 control (a broken split)."""
    con = duckdb.connect(str(tiny_app / "demo.duckdb"))
    con.execute("""
        INSERT INTO promotions (promo_id, name, promo_type, duration_days, start_date)
        VALUES (2, 'Spring mail', 'informational', 14, DATE '2024-03-01'),
               (3, 'Skewed mail', 'informational', 14, DATE '2024-02-15');
        INSERT INTO exposures
        SELECT 2, i, TIMESTAMP '2024-03-01 08:00', i > 300,
               CASE WHEN i <= 300 THEN i <= 60 ELSE i <= 330 END,
               CASE WHEN i <= 300 THEN (i <= 60)::INT * 50.0 ELSE (i <= 330)::INT * 40.0 END,
               i % 4 = 0
        FROM range(1, 601) t(i);
        INSERT INTO exposures
        SELECT 3, i, TIMESTAMP '2024-02-15 08:00', i > 400, i % 7 = 0, 0.0, i % 3 = 0
        FROM range(1, 651) t(i);
        UPDATE meta SET value = 'v2' WHERE key = 'data_version';
    """)
    con.close()
    return tiny_app


def _open() -> object:
    return run_app(PAGE)


def test_past_promotion_readout_shows_lift_and_a_clean_split(experiment_app):
    at = _open()
    assert at.title[0].value == "Experiments"
    at.selectbox(key="experiments.promo").set_value(2).run()
    assert not at.exception
    # a past promotion's intended split is not recorded: the check waits for it
    assert "Observed: control 300 / treated 300." in at.info[0].value
    at.text_input(key="experiments.split").set_value("1:1").run()
    assert at.success[0].value.startswith("Split looks as intended: 300 / 300 units")
    table = frame_with_column(at, "relative lift").set_index(["metric", "arm"])
    conv = table.loc[("converted", "treated")]
    assert conv["n"] == 300
    assert conv["mean"] == "0.2"
    assert conv["diff to control"] == "0.1"
    assert conv["relative lift"] == "+100.0%"
    assert conv["significant"] == "yes"
    assert table.loc[("converted", "control"), "mean"] == "0.1"
    assert table.loc[("revenue", "treated"), "diff to control"] == "6"  # 10.00 − 4.00


def test_a_skewed_split_is_flagged_loudly(experiment_app):
    at = _open()
    at.selectbox(key="experiments.promo").set_value(3).run()
    at.text_input(key="experiments.split").set_value("1:1").run()
    errors = [e.value for e in at.error]
    assert errors[0].startswith("SAMPLE RATIO MISMATCH: arms got 250 / 400 units")
    # revenue is 0 for everyone in this test: said plainly, the split verdict still shows
    assert "column 'revenue': has the same value (0) in every row: zero variance" in errors[1]


def test_uploaded_fast_food_file_is_read_per_location(experiment_app):
    data = shared_file("fast-food-marketing-ab-test", "WA_Marketing-Campaign.csv").read_bytes()
    at = _open()
    at.radio(key="experiments.source").set_value("Upload a test file").run()
    at.file_uploader(key="experiments.file").upload("fastfood.csv", data, "text/csv").run()
    # The arm column and its control are guessed from the file: Promotion, arm 1.
    assert at.selectbox(key="experiments.arm_col.fastfood.csv").value == "Promotion"
    assert at.selectbox(key="experiments.control.fastfood.csv.Promotion").value == 1
    assert "LocationID" not in at.multiselect(key="experiments.metrics").options
    at.selectbox(key="experiments.unit").set_value("LocationID")
    at.multiselect(key="experiments.metrics").set_value(["SalesInThousands"])
    at.selectbox(key="experiments.time").set_value("week").run()
    assert not at.exception, at.exception
    table = frame_with_column(at, "relative lift")
    assert table["n"].tolist() == [43, 47, 47]
    assert table["diff to control"].tolist()[1:] == ["-10.77", "-2.735"]
    assert table["relative lift"].tolist()[1:] == ["-18.5%", "-4.7%"]
    assert at.success[0].value.startswith("Split looks as intended: 43 / 47 / 47 units")
    assert any("unit means by 'LocationID'" in c.value for c in at.caption)


def test_a_text_metric_gets_a_clear_error(experiment_app):
    at = _open()
    at.radio(key="experiments.source").set_value("Upload a test file").run()
    csv = b"arm,outcome\nA,1\nA,2\nB,x\nB,4\n"
    at.file_uploader(key="experiments.file").upload("bad.csv", csv, "text/csv").run()
    at.multiselect(key="experiments.metrics").set_value(["outcome"]).run()
    assert not at.exception
    assert "column 'outcome': is not numeric (e.g. 'x'); pick a numeric column" in at.error[0].value
    at.text_input(key="experiments.split").set_value("1:1:1").run()
    assert at.error[0].value.startswith("Intended split: give 2 positive numbers like 1:1")


def test_design_tab_sizes_a_test_and_adjusts_for_arms(experiment_app):
    at = _open()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Control arm"] == "8,143"  # 5 % → 6 %, α 0.05, power 0.8
    assert metrics["Total audience"] == "16,286"
    at.number_input(key="experiments.arms").set_value(3).run()
    assert any("Bonferroni-adjusted to 0.05/2 = 0.025" in c.value for c in at.caption)
    at.radio(key="experiments.design_goal").set_value("Detectable effect from audience").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Control arm"] == "10,000"
    assert metrics["Detectable change"] == "0.993 pp"  # 3 arms: α 0.025 per comparison


def test_bandit_tab_runs_and_beats_the_fixed_split(experiment_app):
    at = _open()
    assert any("press **Run simulation**" in i.value for i in at.info)
    at.number_input(key="experiments.horizon").set_value(20_000)
    at.number_input(key="experiments.batches").set_value(20)
    at.number_input(key="experiments.runs").set_value(100)
    at.button[0].click().run()
    assert not at.exception, at.exception
    metrics = {m.label: m for m in at.metric}
    # the fixed split's expected regret: 20,000 × mean gap to the best 6 % (0.967 pp)
    assert metrics["Fixed equal split"].value == "193 regret"
    assert metrics["Thompson sampling"].delta.endswith("conversions vs fixed split")
    assert metrics["Thompson sampling"].delta.startswith("+")
    at.text_input(key="experiments.rates").set_value("4, five")
    at.button[0].click().run()
    assert at.error[0].value.startswith("True values: type numbers separated by commas")
