"""The Uplift models page: train on a small demo shop, read the results, pick a champion."""

from __future__ import annotations

import shutil

import pytest

from tests.app.conftest import frame_with_column, run_app

PCT_ARMS = [1, 4, 7, 10, 13, 16]  # the demo shop's percent-off campaigns


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory):
    from promo_core.demo import build_demo

    path = tmp_path_factory.mktemp("uplift_demo") / "demo.duckdb"
    build_demo(path, customers=2000, seed=11)
    return path


@pytest.fixture
def demo_app(data_dir, demo_file):
    shutil.copy(demo_file, data_dir / "demo.duckdb")
    return data_dir


def _button(at, label):
    return next(b for b in at.button if b.label == label)


def test_train_compare_and_pick_a_champion(demo_app):
    at = run_app("pages/uplift.py", timeout=240)
    assert at.title[0].value == "Uplift models"
    assert at.info[0].value.startswith("Choose arms, an outcome and learners")
    assert any("No champion yet" in c.value for c in at.caption)
    at.multiselect(key="uplift.arms").set_value(PCT_ARMS)
    at.selectbox(key="uplift.outcome").set_value("converted")
    at.number_input(key="uplift.trees").set_value(60)
    at.number_input(key="uplift.bags").set_value(2)
    _button(at, "Train models").click().run()
    assert not at.exception, at.exception
    assert any(c.value.startswith("Trained on ") for c in at.caption)
    metrics = frame_with_column(at, "qini").set_index("learner")
    assert list(metrics.index) == ["S", "T", "X", "Response model"]
    assert (metrics.qini_low <= metrics.qini).all() and (metrics.qini <= metrics.qini_high).all()
    verdicts = [w.value for w in at.warning] + [s.value for s in at.success]
    assert any(v.startswith(("No signal", "The ")) for v in verdicts)
    assert {"uplift.qini", "uplift.calibration"} <= {c.key for c in at.get("plotly_chart")
                                                    if hasattr(c, "key")} or len(
        at.get("plotly_chart")) >= 3

    # an unrelated rerun does not retrain: the same result object is shown at once
    at.run()
    assert frame_with_column(at, "qini").set_index("learner").qini.equals(metrics.qini)

    at.radio(key="uplift.champion_pick").set_value("X").run()
    # an X champion cannot price new offers: the page says so before saving
    assert any("scores only the promotions it was trained on" in i.value for i in at.info)
    if any(v.startswith("No signal") for v in verdicts):
        assert any("no better than at random" in w.value for w in at.warning)
    _button(at, "Save and use as champion").click().run()
    assert any(s.value.startswith("Saved model #1 (X-learner · converted") for s in at.success)
    saved = frame_with_column(at, "is_champion")
    assert saved.is_champion.tolist() == [True]
    at.run()  # coming back to the page: the champion is named at the top
    assert any("Champion now: model #1, X-learner · converted" in c.value for c in at.caption)
