"""Rules, narrative, segment gaps and charts on hand-made explanations (exact figures)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from promo_core import explain
from promo_core.charts import explain as charts

LABELS = {"recency_days": "Days since last order", "aov": "Average order value",
          "age_band": "Age band"}


def hand_made() -> explain.UpliftExplanation:
    """1,000 customers: uplift 6 pts when recency > 90 and AOV > 40, else 1 pt; SHAP
    split by hand so that base (2 pts) + Σ SHAP = uplift."""
    rng = np.random.default_rng(0)
    n = 1000
    recency = rng.integers(1, 400, n).astype(float)
    aov = rng.uniform(10, 80, n)
    age = rng.choice(["18-24", "65+"], n)
    hot = (recency > 90) & (aov > 40)
    uplift = np.where(hot, 0.06, 0.01)
    shap = pd.DataFrame({"recency_days": (uplift - 0.02) * 0.75,
                         "aov": (uplift - 0.02) * 0.25, "age_band": 0.0})
    return explain.UpliftExplanation(
        shap=shap, values=pd.DataFrame({"recency_days": recency, "aov": aov, "age_band": age}),
        customer_ids=np.arange(1, n + 1), base_value=0.02,
        explained=0.02 + shap.sum(axis=1).to_numpy(), uplift=uplift, method=explain.EXACT,
        method_text="exact", learner="X", outcome="converted", kind="binary",
        promotion="20% off", n_population=n)


def test_rules_recover_the_rule_with_its_uplift_and_size():
    exp = hand_made()
    rules = explain.fit_rules(exp.values, exp.uplift, kind="binary", labels=LABELS)
    best = rules.table.iloc[0]
    hot = int(((exp.values.recency_days > 90) & (exp.values.aov > 40)).sum())
    assert best.customers == hot and best.uplift_text == "+6.0 pts"
    assert "Days since last order > " in best.rule and "Average order value > " in best.rule
    assert rules.r2 == pytest.approx(1.0)
    assert rules.table.customers.sum() == 1000


def test_rules_name_categories_in_words():
    values = pd.DataFrame({"age_band": ["18-24"] * 60 + ["65+"] * 60})
    rules = explain.fit_rules(values, np.r_[np.full(60, 0.05), np.full(60, -0.01)],
                              labels=LABELS)
    assert rules.table.rule.tolist() == ["Age band is 18-24", "Age band is not 18-24"]
    assert rules.table.uplift_text.tolist() == ["+5.0 pts", "−1.0 pts"]


def test_global_narrative_states_the_numbers():
    exp = hand_made()
    text = explain.describe_global(exp, LABELS)
    mean = exp.uplift.mean() * 100
    assert text[0] == (f"For 20% off, the model predicts an average uplift in conversion of "
                       f"+{mean:.1f} pts per customer across 1,000 customers.")
    assert text[1].startswith("Days since last order moves it most: uplift is highest for "
                              "customers with days since last order")
    assert text[2] == "Average order value comes next: higher values raise the uplift."
    assert 2 <= len(text) <= 4


def test_segment_gap_is_split_across_features_exactly():
    exp = hand_made()
    seg = exp.subset(exp.values.recency_days.to_numpy() > 90)
    diffs = explain.segment_differences(seg, exp)
    gap = seg.explained.mean() - exp.explained.mean()
    assert diffs.difference.sum() == pytest.approx(gap)
    assert diffs.feature.iloc[0] == "recency_days"
    text = explain.describe_segment(seg, exp, "Lapsed", LABELS)
    assert text[0].startswith(f"Lapsed ({len(seg):,} customers) has an average predicted "
                              "uplift of +")
    assert text[1].startswith("The gap comes mostly from Days since last order (+")


def test_customer_narrative_and_waterfall_go_from_base_to_the_customer():
    exp = hand_made()
    cid = int(exp.customer_ids[np.argmax(exp.uplift)])
    text = explain.describe_customer(exp, cid, LABELS)
    assert text[0] == (f"Customer {cid}'s predicted uplift is +6.0 pts; the explanation starts "
                       "from the model's baseline of +2.0 pts and its steps move it 4.0 pts "
                       "up, to +6.0 pts.")
    assert text[1].startswith("The biggest push up comes from Days since last order = ")
    fig = charts.build_waterfall_chart(exp.row(cid), exp.base_value, exp.kind, labels=LABELS)
    wf = fig.data[0]
    assert wf.y[0] == "Baseline (average)" and wf.y[-1] == "This customer"
    assert sum(wf.x[:-1]) == pytest.approx(6.0)  # in points


def test_charts_draw_every_feature_in_uplift_units():
    exp = hand_made()
    imp = charts.build_importance_chart(exp.importance(), "binary", labels=LABELS)
    assert list(imp.data[0].y) == ["Age band", "Average order value", "Days since last order"]
    assert imp.data[0].x[-1] == pytest.approx(exp.shap.recency_days.abs().mean() * 100)
    bees = charts.build_beeswarm_chart(exp, labels=LABELS)
    assert len(bees.data[0].x) == 3 * 1000
    dep = charts.build_dependence_chart(exp, "recency_days", "age_band", labels=LABELS)
    assert sorted(t.name for t in dep.data) == ["18-24", "65+"]
    seg = exp.subset(exp.values.recency_days.to_numpy() > 90)
    comp = charts.build_segment_chart(explain.segment_differences(seg, exp), "binary", "Lapsed",
                                      labels=LABELS)
    assert [t.name for t in comp.data] == ["Everyone", "Lapsed"]


def test_formats():
    assert explain.format_uplift(0.0314, "binary") == "+3.1 pts"
    assert explain.format_uplift(-1.5, "amount") == "−£1.50"
    assert explain.label_of("loyalty_tier", {"loyalty_tier": "loyalty_tier"}) == "Loyalty tier"
    assert explain.sample_positions(10, 4, 1).tolist() == sorted(
        explain.sample_positions(10, 4, 1).tolist())
    with pytest.raises(ValueError, match="max_rows must be at least 1"):
        explain.sample_positions(10, 0)


def test_a_model_that_gives_everyone_the_same_uplift_is_said_to_be_flat():
    exp = hand_made()
    flat = explain.UpliftExplanation(
        **{**exp.__dict__, "shap": exp.shap * 0.0, "uplift": np.full(len(exp), 0.028),
           "explained": np.full(len(exp), 0.02)})
    assert flat.is_flat and not exp.is_flat
    text = explain.describe_global(flat, LABELS)
    assert text[1].startswith("It predicts that same uplift for every customer")
    rules = explain.fit_rules(flat.values, flat.uplift)
    assert rules.table.rule.tolist() == ["Everyone"] and rules.r2 == 1.0
    assert explain.format_value(pd.NA) == "empty"


def test_waterfall_shows_the_models_uplift_where_a_surrogate_explains_it():
    build_waterfall_chart = charts.build_waterfall_chart
    row = pd.DataFrame({"feature": ["recency_days", "frequency"], "value": [12, 3],
                        "shap": [0.02, -0.01]})
    exact = build_waterfall_chart(row, 0.05, "binary", predicted=0.06)
    assert exact.data[0].y[-1] == "This customer" and not exact.layout.shapes
    apart = build_waterfall_chart(row, 0.05, "binary", predicted=0.08)
    assert apart.data[0].y[-1] == "This customer (surrogate)"
    assert apart.layout.shapes[0].x0 == pytest.approx(8.0)  # percentage points
    assert apart.layout.annotations[0].text == "model: +8.00"
