"""Readout: intervals by hand and against scipy/statsmodels on the real files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.multitest import multipletests

from promo_core.errors import ValidationError
from promo_core.experiments import (
    check_sample_ratio,
    compute_cumulative_lift,
    compute_readout,
    count_units,
)
from tests.conftest import shared_file


@pytest.fixture(scope="module")
def hillstrom() -> pd.DataFrame:
    return pd.read_csv(shared_file("hillstrom-email-analytics", "hillstrom.csv"))


@pytest.fixture(scope="module")
def fastfood() -> pd.DataFrame:
    return pd.read_csv(shared_file("fast-food-marketing-ab-test", "WA_Marketing-Campaign.csv"))


def _row(readout: pd.DataFrame, metric: str, arm: object) -> pd.Series:
    return readout.set_index(["metric", "arm"]).loc[(metric, arm)]


def test_welch_interval_matches_a_hand_computed_case():
    # control 1,2,3,4: mean 2.5, s² 5/3; treated 3,5,7: mean 5, s² 4.
    # se² = 5/12 + 4/3 = 1.75; Welch df = 1.75² / ((5/12)²/3 + (4/3)²/2) = 3.2347;
    # t(0.975, 3.2347) = 3.0557, so the interval is 2.5 ± 3.0557·√1.75 = [-1.5423, 6.5423].
    df = pd.DataFrame({"arm": ["c"] * 4 + ["t"] * 3, "y": [1, 2, 3, 4, 3, 5, 7]})
    row = _row(compute_readout(df, arm_col="arm", control="c", metrics=["y"]), "y", "t")
    assert row["diff"] == pytest.approx(2.5)
    assert row["diff_low"] == pytest.approx(-1.5423, abs=1e-4)
    assert row["diff_high"] == pytest.approx(6.5423, abs=1e-4)
    assert row["p_value"] == pytest.approx(0.14847, abs=1e-5)
    assert row["rel_lift"] == pytest.approx(1.0)  # 5 / 2.5 − 1


def test_hillstrom_womens_vs_no_email_matches_the_readme(hillstrom):
    out = compute_readout(hillstrom, arm_col="segment", control="No E-Mail",
                          metrics=["visit", "conversion", "spend"], n_boot=1000)
    visit = _row(out, "visit", "Womens E-Mail")
    control = _row(out, "visit", "No E-Mail")
    assert (visit["n"], control["n"]) == (21_387, 21_306)
    assert round(visit["mean"], 3) == 0.151 and round(control["mean"], 3) == 0.106
    assert visit["diff"] == pytest.approx(0.151400 - 0.106167, abs=1e-5)
    conv = _row(out, "conversion", "Womens E-Mail")
    assert round(conv["mean"], 4) == 0.0088
    assert round(_row(out, "conversion", "No E-Mail")["mean"], 4) == 0.0057
    assert round(_row(out, "spend", "Mens E-Mail")["mean"], 2) == 1.42
    # Welch interval = scipy's on the real rows
    t = hillstrom.loc[hillstrom.segment == "Womens E-Mail", "visit"]
    c = hillstrom.loc[hillstrom.segment == "No E-Mail", "visit"]
    ref = stats.ttest_ind(t, c, equal_var=False)
    ci = ref.confidence_interval()
    assert (visit["diff_low"], visit["diff_high"]) == pytest.approx((ci.low, ci.high), rel=1e-9)
    # two treatment arms: Holm-corrected exactly as statsmodels does it
    spend = out[(out.metric == "spend") & ~out.is_control]
    holm = multipletests(spend["p_value"], method="holm")[1]
    assert spend["p_adjusted"].to_numpy() == pytest.approx(holm)
    # bootstrap agrees with the normal approximation at this size
    assert visit["boot_low"] == pytest.approx(visit["diff_low"], abs=0.0015)
    assert visit["boot_high"] == pytest.approx(visit["diff_high"], abs=0.0015)


def test_bootstrap_is_seeded_and_reproducible(hillstrom):
    kw = {"arm_col": "segment", "control": "No E-Mail", "metrics": ["spend"], "n_boot": 500}
    a = compute_readout(hillstrom, seed=7, **kw)
    b = compute_readout(hillstrom, seed=7, **kw)
    c = compute_readout(hillstrom, seed=8, **kw)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["boot_low"].dropna(), c["boot_low"].dropna())


def test_ratio_metric_uses_the_delta_method(hillstrom):
    out = compute_readout(hillstrom, arm_col="segment", control="No E-Mail",
                          ratios=[("spend", "visit")], n_boot=1000)
    row = _row(out, "spend per visit", "Womens E-Mail")
    part = hillstrom[hillstrom.segment == "Womens E-Mail"]
    r = part.spend.sum() / part.visit.sum()
    assert row["mean"] == pytest.approx(r)
    # delta method: Var(R) = (s_yy − 2R s_yx + R² s_xx) / (n · x̄²)
    cov = np.cov(part.spend, part.visit, ddof=1)
    se = np.sqrt((cov[0, 0] - 2 * r * cov[0, 1] + r * r * cov[1, 1])
                 / (len(part) * part.visit.mean() ** 2))
    assert row["se"] == pytest.approx(se)
    assert row["method"] == "ratio of sums, delta method"
    # the bootstrap of Σspend/Σvisit agrees with the delta interval
    assert row["boot_high"] - row["boot_low"] == pytest.approx(
        row["diff_high"] - row["diff_low"], rel=0.15)


def test_fast_food_is_analysed_at_the_location(fastfood):
    out = compute_readout(fastfood, arm_col="Promotion", control=1,
                          metrics=["SalesInThousands"], unit_col="LocationID", n_boot=1000)
    assert out["n"].tolist() == [43, 47, 47] and out["n"].sum() == 137
    assert out["n_rows"].sum() == 548
    units = fastfood.groupby(["LocationID", "Promotion"], as_index=False).SalesInThousands.mean()
    ref = stats.ttest_ind(units.loc[units.Promotion == 2, "SalesInThousands"],
                          units.loc[units.Promotion == 1, "SalesInThousands"], equal_var=False)
    row = _row(out, "SalesInThousands", 2)
    assert row["diff"] == pytest.approx(-10.7696, abs=1e-4)
    assert (row["diff_low"], row["diff_high"]) == pytest.approx(
        tuple(ref.confidence_interval()), rel=1e-9)
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert "unit means by 'LocationID'" in row["method"]


def test_fast_food_cluster_robust_agrees_with_unit_means(fastfood):
    out = compute_readout(fastfood, arm_col="Promotion", control=1,
                          metrics=["SalesInThousands"], unit_col="LocationID",
                          unit_method="cluster", n_boot=500)
    row = _row(out, "SalesInThousands", 2)
    assert row["method"] == "OLS with cluster-robust SE by 'LocationID'"
    # four weeks per store: the row-weighted difference equals the unit-mean one
    assert row["diff"] == pytest.approx(-10.7696, abs=1e-4)
    assert row["diff_high"] - row["diff_low"] == pytest.approx(12.71, abs=0.05)
    # treating the 548 rows as independent would claim a much narrower interval
    naive = _row(compute_readout(fastfood, arm_col="Promotion", control=1,
                                 metrics=["SalesInThousands"], n_boot=200),
                 "SalesInThousands", 2)
    assert naive["n"] == 188
    assert naive["diff_high"] - naive["diff_low"] < 0.6 * (row["diff_high"] - row["diff_low"])


def test_cumulative_lift_by_week_ends_at_the_readout(fastfood):
    lift = compute_cumulative_lift(fastfood, arm_col="Promotion", control=1,
                                   metric="SalesInThousands", time_col="week",
                                   unit_col="LocationID")
    assert sorted(lift["period"].unique()) == [1, 2, 3, 4]
    last = lift[(lift.period == 4) & (lift.arm == 2)].iloc[0]
    assert last["n"] == 47
    assert last["diff"] == pytest.approx(-10.7696, abs=1e-4)
    first = lift[(lift.period == 1) & (lift.arm == 1)].iloc[0]
    week1 = fastfood[(fastfood.week == 1) & (fastfood.Promotion == 1)].SalesInThousands.mean()
    assert first["mean"] == pytest.approx(week1)


def test_srm_fires_on_a_skewed_split_and_not_on_hillstrom(hillstrom, fastfood):
    skewed = check_sample_ratio({"control": 5_000, "treated": 4_600})
    assert skewed.mismatch and skewed.p_value < 0.001
    assert skewed.message.startswith("SAMPLE RATIO MISMATCH: arms got 5,000 / 4,600 units")
    ok = check_sample_ratio(count_units(hillstrom, "segment"))
    assert not ok.mismatch and ok.p_value == pytest.approx(0.9037, abs=1e-4)
    assert check_sample_ratio({"control": 1_000, "treated": 2_010},
                              {"control": 1, "treated": 2}).mismatch is False
    assert count_units(fastfood, "Promotion", "LocationID").tolist() == [43, 47, 47]


def _messages(excinfo: pytest.ExceptionInfo) -> str:
    return " | ".join(p.describe() for p in excinfo.value.problems)


def test_bad_inputs_get_clear_messages():
    df = pd.DataFrame({"arm": ["A", "A", "B", "B"], "y": ["1", "x", "3", "4"],
                       "flat": [1, 1, 1, 1], "unit": [1, 2, 2, 3], "ok": [1, 2, 3, 5]})
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="A", metrics=["y"])
    assert "column 'y': is not numeric (e.g. 'x'); pick a numeric column (1 row, first at row 2)" \
        in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="A", metrics=["flat"])
    assert "has the same value (1) in every row: zero variance" in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="Z", metrics=["ok"])
    assert "control arm 'Z' not found; arms in the data: 'A', 'B'" in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df[df.arm == "A"], arm_col="arm", control="A", metrics=["ok"])
    assert "needs at least 2 arms to compare, found 1 ('A')" in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="A", metrics=["ok"], arms=["A", "B", "C"])
    assert "arm 'C' has no rows" in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="A", metrics=["ok"], unit_col="unit")
    assert "1 unit(s) appear in more than one arm (e.g. 2)" in _messages(e)
    with pytest.raises(ValidationError) as e:
        compute_readout(df, arm_col="arm", control="A", metrics=["nope"])
    assert "column 'nope': column not found" in _messages(e)
