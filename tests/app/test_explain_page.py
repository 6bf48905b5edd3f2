"""Explanations page in AppTest on a small demo shop with a trained champion: what is
explained and by which method, the three views, and the page without a champion."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.app.conftest import frame_with_column, run_app

PAGE = "pages/explain.py"
CONFIG = dict(n_estimators=40, num_leaves=7, min_data_in_leaf=40)


@pytest.fixture(scope="module")
def shop(tmp_path_factory) -> Path:
    """A 2,000-customer demo shop, an X champion on 10/20/30 % off, a T model, and a
    saved segment 'Lapsed' (last order 90–365 days ago)."""
    from promo_core import datasets, db, profiles
    from promo_core import uplift as up
    from promo_core.demo import build_demo
    from promo_core.segments import store
    from promo_core.uplift.training_table import select_arms

    folder = tmp_path_factory.mktemp("explain_app") / "data"
    folder.mkdir()
    old = os.environ.get("PROMO_LAB_DATA_DIR")
    os.environ["PROMO_LAB_DATA_DIR"] = str(folder)  # models are saved under it
    try:
        build_demo(folder / "demo.duckdb", customers=2000, seed=3)
        con = db.connect(folder / "demo.duckdb")
        table = up.build_training_table(con)
        models = up.fit_learners(table, select_arms(table, [1, 4, 7]), "converted",
                                 learners=("T", "X"), config=up.LearnerConfig(**CONFIG))
        x_id = up.save_model(con, models["X"], as_of="2024-12-31")
        up.save_model(con, models["T"], as_of="2024-12-31")
        up.set_champion(con, x_id)
        feats = profiles.compute_profiles(con, datasets.default_as_of(con))
        lapsed = feats[feats.recency_days.between(90, 365)].customer_id
        store.save_segment(con, "Lapsed", "rule", {"recency_days": [90, 365]},
                           datasets.default_as_of(con), lapsed)
        con.close()
    finally:
        if old is None:
            os.environ.pop("PROMO_LAB_DATA_DIR", None)
        else:
            os.environ["PROMO_LAB_DATA_DIR"] = old
    return folder


@pytest.fixture
def app_dir(shop: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("PROMO_LAB_DATA_DIR", str(shop))
    return shop


def champion_explanation(folder: Path, champion: int | None = None):
    """The same numbers from promo_core, as a Python session would compute them."""
    from promo_core import datasets, db, explain, profiles
    from promo_core import uplift as up

    con = db.connect(folder / "demo.duckdb")
    model = up.load_model(con, champion or up.champion_id(con))
    feats = profiles.compute_profiles(con, datasets.default_as_of(con))
    exp = explain.explain_uplift(model, feats, 1)
    labels = {k: f.label for k, f in profiles.feature_registry(con).items()}
    con.close()
    return exp, labels


def test_everyone_view_says_what_is_explained_and_how(app_dir):
    at = run_app(PAGE, timeout=120)
    info = at.info[0].value
    assert "**What is explained:** the champion's predicted *uplift* in conversion from " \
           "**Jan 2024 · 10% off**" in info
    assert "exact TreeSHAP of the X-learner's effect models" in info
    assert at.caption[1].value == "Explaining all 2,000 customers as of 2025-01-01."
    exp, labels = champion_explanation(app_dir)
    from promo_core import explain

    bullets = at.markdown[0].value
    assert bullets.startswith(f"- {explain.describe_global(exp, labels)[0]}")
    rules = frame_with_column(at, "Customers with")
    assert rules.Customers.sum() == 2000
    assert [c.value for c in at.caption if c.value.startswith("A 3-level decision tree")]
    assert len(at.get("plotly_chart")) == 3  # importance, beeswarm, dependence


def test_segment_view_compares_with_everyone(app_dir):
    at = run_app(PAGE, timeout=120)
    at.radio(key="explain.view").set_value("A segment").run()
    assert not at.exception
    text = at.markdown[0].value
    assert text.startswith("- Lapsed (") and "everyone's" in text
    assert "The gap comes mostly from" in text


def test_one_customer_by_list_and_by_id(app_dir):
    at = run_app(PAGE, timeout=120)
    at.radio(key="explain.view").set_value("One customer").run()
    exp, _ = champion_explanation(app_dir)
    best = int(exp.customer_ids[np.argmax(exp.uplift)])
    assert at.selectbox(key="explain.top_customer").value == best
    assert at.markdown[0].value.startswith(f"- Customer {best}'s predicted uplift is ")
    table = frame_with_column(at, "Effect on uplift")
    assert len(table) == len(exp.features)
    at.text_input(key="explain.customer_id").input("17").run()
    assert at.markdown[0].value.startswith("- Customer 17's predicted uplift is ")
    at.text_input(key="explain.customer_id").input("999999").run()
    assert at.error[0].value == "There is no customer with id '999999' as of 2025-01-01."


def test_a_t_learner_champion_is_explained_by_a_surrogate_with_its_fidelity(app_dir, tmp_path,
                                                                          monkeypatch):
    from promo_core import db
    from promo_core import uplift as up

    folder = tmp_path / "data"
    shutil.copytree(app_dir, folder)
    monkeypatch.setenv("PROMO_LAB_DATA_DIR", str(folder))
    con = db.connect(folder / "demo.duckdb")
    t_id = int(up.list_models(con).query("name.str.startswith('T-')").model_id.iloc[0])
    up.set_champion(con, t_id)
    con.close()
    at = run_app(PAGE, timeout=120)
    exp, _ = champion_explanation(folder, t_id)
    assert (f"the surrogate reproduces {exp.fidelity_r2:.0%} of the variation in the model's "
            f"uplift on customers it was not fitted on (R² {exp.fidelity_r2:.2f})"
            in at.info[0].value)


def test_without_a_champion_the_page_says_so_and_links_to_uplift(tiny_app):
    at = run_app(PAGE)
    assert at.info[0].value.startswith("There is no champion uplift model yet")
    links = at.get("page_link")
    assert [link.proto.label for link in links] == ["Go to Uplift models"]
    assert not at.get("plotly_chart")
