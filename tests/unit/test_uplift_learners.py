"""Learners, registry and queue on a small demo shop; the training table on the tiny shop."""

from __future__ import annotations

import threading
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from promo_core import db, profiles
from promo_core import uplift as up
from promo_core.uplift.training_table import select_arms, stratified_split
from tests.conftest import make_tiny_shop

SMALL = up.LearnerConfig(n_estimators=60, num_leaves=7, min_data_in_leaf=40, n_bags=2)
PCT_ARMS = [1, 4, 7]  # 10 %, 20 %, 30 % off in the demo shop


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from promo_core.demo import build_demo

    folder = tmp_path_factory.mktemp("demo")
    build_demo(folder / "demo.duckdb", customers=3000, seed=5)
    con = db.connect(folder / "demo.duckdb")
    yield con
    con.close()


@pytest.fixture(scope="module")
def table(demo):
    return up.build_training_table(demo)


@pytest.fixture(scope="module")
def fitted(table):
    rows = select_arms(table, PCT_ARMS)
    test = stratified_split(rows, "converted", 0.3, 0)
    return up.fit_learners(table, rows[~test], "converted", config=SMALL), rows[test]


def test_training_table_outcomes_by_hand(tmp_path):
    con = db.connect(make_tiny_shop(tmp_path / "tiny.duckdb"))
    f = up.build_training_table(con).frame.set_index("customer_id")
    # customer 2 (treated) bought 200 at list price, 20 discount, 120 cost, in the window
    c2, c3 = f.loc[2], f.loc[3]
    assert (c2.treated, c2.converted, c2.revenue, c2.margin, c2.discount_paid) == (
        1, 1, 200.0, 80.0, 20.0)
    assert (c3.treated, c3.converted, c3.revenue, c3.margin) == (0, 0, 0.0, 0.0)
    assert c2.promo_pct_off == pytest.approx(0.10) and c3.promo_pct_off == 0.0
    assert c2.frequency == 0  # the order came after the exposure


def test_no_information_after_the_exposure_leaks_into_features(tmp_path):
    con = db.connect(make_tiny_shop(tmp_path / "tiny.duckdb"))
    before = up.build_training_table(con).frame
    con.execute("INSERT INTO orders VALUES (99, 3, TIMESTAMP '2024-02-01 08:00', 500, 0, 1, "
                "'web', NULL), (98, 2, TIMESTAMP '2024-02-28 10:00', 70, 0, 1, 'web', NULL)")
    db.bump_data_version(con)  # as every writer does: rollups and caches follow it
    after = up.build_training_table(con).frame
    feats = [c for c in before.columns if c in profiles.FEATURES]
    pd.testing.assert_frame_equal(before[feats], after[feats])
    # the order at the exposure moment is an outcome (control converted), not a feature
    assert after.set_index("customer_id").loc[3, "converted"] == 1
    # and one a minute before the exposure is a feature (the test can fail)
    con.execute("INSERT INTO orders VALUES (97, 3, TIMESTAMP '2024-02-01 07:59', 5, 0, 1, "
                "'web', NULL)")
    db.bump_data_version(con)
    later = up.build_training_table(con).frame.set_index("customer_id")
    assert later.loc[3, "frequency"] == 1


def test_predictions_have_bands_and_outcomes(fitted, table):
    models, test = fitted
    for name, model in models.items():
        pred = model.predict_uplift(test, 4)
        assert pred.uplift.shape == (len(test),)
        assert np.all(pred.lower <= pred.uplift + 1e-12) and np.all(pred.upper >= pred.uplift)
        out = model.predict_outcomes(test, 4)
        assert list(out.columns) == ["y0", "y1", "uplift", "p0", "p1", "b0", "b1",
                                     "extrapolated"]
        assert np.allclose(out.uplift, out.y1 - out.y0)
        assert out.y0.between(0, 1).all(), name


def test_s_learner_scores_unseen_depths_by_blending_seen_ones(fitted, table):
    s = fitted[0]["S"]
    test = fitted[1]
    promo = table.promotion(4)  # 20 % off
    at = {d: s.predict_outcomes(test, {**promo, "value": d}).y1.mean() for d in (10, 15, 20)}
    assert at[15] == pytest.approx((at[10] + at[20]) / 2)
    assert not s.predict_outcomes(test, {**promo, "value": 15}).extrapolated.iloc[0]
    assert s.predict_outcomes(test, {**promo, "value": 50}).extrapolated.iloc[0]


def test_t_and_x_refuse_promotions_they_were_not_trained_on(fitted, table):
    with pytest.raises(ValueError, match="use the S-learner for a new promotion"):
        fitted[0]["T"].predict_uplift(fitted[1], {**table.promotion(4), "promo_id": 99})


def test_training_twice_gives_the_same_numbers(table):
    rows = select_arms(table, [4])
    a = up.fit_learners(table, rows, "revenue", ["S", "X"], SMALL)
    b = up.fit_learners(table, rows, "revenue", ["S", "X"], SMALL)
    for k in a:
        np.testing.assert_array_equal(a[k].predict_uplift(rows).uplift,
                                      b[k].predict_uplift(rows).uplift)
    out = a["S"].predict_outcomes(rows)
    assert (out.b1 > 0).all() and np.allclose(out.y1, out.p1 * out.b1)


def test_save_load_champion_round_trip(demo, fitted, monkeypatch, tmp_path):
    monkeypatch.setenv("PROMO_LAB_DATA_DIR", str(tmp_path))
    models, test = fitted
    assert up.load_champion(demo) is None
    model_id = up.save_model(demo, models["X"], as_of="2024-12-31")
    up.set_champion(demo, model_id)
    loaded = up.load_champion(demo)
    assert loaded.info["model_id"] == model_id and not loaded.info["stale"]
    np.testing.assert_allclose(loaded.predict_uplift(test, 4).uplift,
                               models["X"].predict_uplift(test, 4).uplift)
    files = sorted(p.name for p in (tmp_path / "models").rglob("*"))
    assert "card.json" in files and all(f.endswith((".txt", ".json")) or "-" in f
                                        for f in files)
    listed = up.list_models(demo)
    assert listed.loc[listed.model_id == model_id, "is_champion"].item()


def test_missing_features_give_a_clear_message(fitted):
    model, test = fitted[0]["T"], fitted[1]
    with pytest.raises(up.FeatureMismatchError, match="lacks 1 feature.*recency_days"):
        model.predict_uplift(test.drop(columns="recency_days"), 4)


def test_queue_runs_one_job_at_a_time_and_says_who_waits():
    queue = up.jobs.TrainingQueue()
    release, waits, order = threading.Event(), [], []

    def first():
        with queue.slot():
            order.append("first")
            release.wait(5)

    th = threading.Thread(target=first)
    th.start()
    while queue.waiting == 0:
        pass

    def on_wait(ahead):
        waits.append(ahead)
        release.set()

    with queue.slot(on_wait, poll=0.01):
        order.append("second")
    th.join()
    assert order == ["first", "second"] and waits[0] == 1


def test_balance_catches_targeted_campaigns(tmp_path):
    from promo_core.demo import build_demo

    build_demo(tmp_path / "t.duckdb", customers=3000, seed=6, targeted_campaigns=True)
    con = db.connect(tmp_path / "t.duckdb", read_only=True)
    targeted = con.execute("SELECT promo_id FROM promotions WHERE is_targeted "
                           "ORDER BY 1").fetchall()
    assert targeted, "the demo switch made no targeted campaign"
    table = up.build_training_table(con)
    rows = select_arms(table, [targeted[0][0]])
    report = up.check_assignment(rows[table.feature_columns], rows.treated, rows.converted,
                                 "converted")
    assert not report.randomised
    assert "NOT random" in report.message
    assert report.smd.smd.abs().max() > 0.1
    con.close()


def test_wrong_inputs_are_clear(table):
    with pytest.raises(ValueError, match="learners must be some of S, T, X"):
        up.fit_learners(table, select_arms(table, [4]), "converted", ["Q"])
    with pytest.raises(ValueError, match="outcome 'clicks' is not available"):
        up.fit_learners(table, select_arms(table, [4]), "clicks")
    with pytest.raises(ValueError, match=r"promotions \[999\] have no treated exposures"):
        select_arms(table, [999])


def test_exposed_at_is_a_timestamp(table):
    assert isinstance(table.frame.exposed_at.iloc[0], pd.Timestamp | datetime)
