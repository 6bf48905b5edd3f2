"""Experiments: read out a past test, size the next one, and simulate a bandit."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from promo_core import experiments as ex
from promo_core.charts import experiments as charts
from promo_core.errors import PromoLabError
from ui import cache
from ui.widgets import render_error

PAST, UPLOAD = "Past promotion in this data set", "Upload a test file"
NO_UNIT, NO_TIME, NO_RATIO = "(none: each row is a unit)", "(none)", "(none)"
K = "experiments."  # session-key prefix of this page


def _fmt(x: float, pct: bool = False) -> str:
    if pd.isna(x):
        return ""
    return f"{x:+.1%}" if pct else f"{x:.4g}"


def _display(readout: pd.DataFrame) -> pd.DataFrame:
    """The readout as an analyst reads it: one row per arm, intervals in brackets."""
    def ci(lo: pd.Series, hi: pd.Series, pct: bool = False) -> list[str]:
        return ["" if pd.isna(a) else f"[{_fmt(a, pct)}, {_fmt(b, pct)}]"
                for a, b in zip(lo, hi, strict=True)]
    r = readout
    return pd.DataFrame({
        "metric": r["metric"],
        "arm": [f"{a} (control)" if c and str(a).lower() != "control" else str(a)
                for a, c in zip(r["arm"], r["is_control"], strict=True)],
        "n": r["n"], "mean": r["mean"].map(_fmt), "95% CI": ci(r["ci_low"], r["ci_high"]),
        "diff to control": r["diff"].map(_fmt),
        "95% CI (normal)": ci(r["diff_low"], r["diff_high"]),
        "95% CI (bootstrap)": ci(r["boot_low"], r["boot_high"]),
        "relative lift": r["rel_lift"].map(lambda x: _fmt(x, True)),
        "p-value": r["p_value"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}"),
        "p (Holm)": r["p_adjusted"].map(lambda p: "" if pd.isna(p) else f"{p:.3g}"),
        "significant": [("" if c else ("yes" if s else "no"))
                        for c, s in zip(r["is_control"], r["significant"], strict=True)],
    })


def _parse_split(text: str, arms: list) -> dict | None:
    if not text.strip():
        return None
    parts = [float(p) for p in text.replace("/", ":").split(":")]
    if len(parts) != len(arms) or min(parts) <= 0:
        order = ", ".join(map(str, arms))
        raise ValueError(f"give {len(arms)} positive numbers like "
                         f"{':'.join(['1'] * len(arms))} (arms in the order {order})")
    return dict(zip(arms, parts, strict=True))


def _past_promotion_inputs() -> tuple[pd.DataFrame, dict, str | None, str] | None:
    path, version = cache.active_path(), cache.active_version()
    promos = cache.load_promotions_with_control(path, version)
    if promos.empty:
        st.info("This data set has no past promotion with a control group. "
                "Upload a test file instead.")
        return None
    labels = {int(r.promo_id): f"{r.name} (#{r.promo_id}, {r.first_exposed:%d %b %Y}, "
              f"{r.treated:,} treated / {r.control:,} control)" for r in promos.itertuples()}
    promo_id = st.selectbox("Promotion", list(labels), format_func=labels.get, key=K + "promo")
    df = cache.load_promotion_outcomes(path, version, promo_id)
    metrics = st.multiselect("Metrics", ex.available_metrics(df),
                             default=ex.available_metrics(df), key=K + "past_metrics")
    spec = {"arm_col": "arm", "control": "control", "metrics": metrics,
            "arms": ["control", "treated"]}
    time_col = "exposed_at" if df["exposed_at"].dt.date.nunique() > 1 else None
    return df, spec, time_col, labels[promo_id]


def _upload_inputs() -> tuple[pd.DataFrame, dict, str | None, str] | None:
    file = st.file_uploader("Test file (CSV or XLSX): one row per unit or per unit and period",
                            type=["csv", "xlsx"], key=K + "file")
    if file is None:
        st.info("Upload a file with an arm column and one or more numeric outcome columns.")
        return None
    try:
        df = cache.load_uploaded_test(file.getvalue(), file.name)
    except PromoLabError as e:
        render_error(e)
        return None
    cols = list(df.columns)
    c1, c2, c3 = st.columns(3)
    # Keyed by the file, so a new upload starts from its own best guesses.
    arm_col = c1.selectbox("Arm column", cols, index=cols.index(ex.guess_arm_column(df)),
                           key=f"{K}arm_col.{file.name}")
    arms = sorted(pd.unique(df[arm_col].dropna()), key=str)
    control = c2.selectbox("Control arm", arms, index=arms.index(ex.guess_control(arms)),
                           key=f"{K}control.{file.name}.{arm_col}")
    unit = c3.selectbox("Unit of randomisation", [NO_UNIT, *[c for c in cols if c != arm_col]],
                        key=K + "unit", help="The column that was randomised (e.g. the store). "
                        "Rows of one unit are not independent, so the readout works per unit.")
    others = [c for c in cols if c not in (arm_col, unit)]
    metrics = st.multiselect("Metric columns", ex.metric_candidates(df, [arm_col, unit]),
                             key=K + "metrics", help="Row id columns are left out.")
    c4, c5, c6 = st.columns(3)
    time_col = c4.selectbox("Date / week column (for lift over time)", [NO_TIME, *others],
                            key=K + "time")
    num = c5.selectbox("Ratio metric: numerator", [NO_RATIO, *others], key=K + "ratio_num")
    den = c6.selectbox("… per (denominator)", [NO_RATIO, *others], key=K + "ratio_den")
    spec = {"arm_col": arm_col, "control": control, "metrics": metrics}
    if num != NO_RATIO and den != NO_RATIO:
        spec["ratios"] = [(num, den)]
    if unit != NO_UNIT:
        spec["unit_col"] = unit
        method = st.radio("Unit analysis", ["aggregate", "cluster"], horizontal=True,
                          key=K + "unit_method", format_func={
                              "aggregate": "Average rows per unit, compare unit means",
                              "cluster": "Keep rows, cluster-robust SEs by unit (OLS)"}.get)
        spec["unit_method"] = method
    return df, spec, None if time_col == NO_TIME else time_col, file.name


def _readout_tab() -> None:
    source = st.radio("Source", [PAST, UPLOAD], horizontal=True, key=K + "source")
    got = _past_promotion_inputs() if source == PAST else _upload_inputs()
    if got is None:
        return
    df, spec, time_col, label = got
    if not spec["metrics"] and not spec.get("ratios"):
        st.info("Pick at least one metric column to read out.")
        return
    arms_in_data = sorted(pd.unique(df[spec["arm_col"]].dropna()), key=str)
    split_label = ("Intended split (needed for the sample-ratio check)" if source == PAST
                   else "Intended split (blank = equal)")
    split_text = st.text_input(split_label, key=K + "split", placeholder="e.g. 1:1:1 or 90:10",
                               help=f"Weights in the order {', '.join(map(str, arms_in_data))}.")
    try:
        intended = _parse_split(split_text, arms_in_data)
    except ValueError as e:
        st.error(f"Intended split: {e}")
        return
    # The split is checked first and on its own: a broken split voids every number below.
    # A past promotion's hold-out share is not recorded, so equal is no default for it.
    unit_col = spec.get("unit_col")
    counts = ex.count_units(df, spec["arm_col"], unit_col)
    if intended is None and source == PAST:
        st.info("Sample-ratio check: type the intended split above (e.g. 80:20) to check it. "
                "Observed: " + " / ".join(f"{k} {v:,}" for k, v in counts.items()) + ".")
    else:
        srm = ex.check_sample_ratio(counts, intended)
        (st.error if srm.mismatch else st.success)(srm.message, icon=":material/balance:")
    try:
        readout = cache.compute_readout(df, {**spec, "source": label})
    except PromoLabError as e:
        render_error(e)
        return
    st.caption(f"Method: {readout['method'].iloc[0]}. Normal intervals are Welch t intervals; "
               "bootstrap intervals resample units 2,000 times (seed 0); p-values are "
               "Holm-corrected within a metric when several arms are compared with control.")
    st.dataframe(_display(readout), hide_index=True, key=K + "table")
    chosen = st.selectbox("Chart metric", list(pd.unique(readout["metric"])),
                          key=K + "chart_metric")
    left, right = st.columns(2)
    left.plotly_chart(charts.build_arm_means_chart(readout, chosen), key=K + "means_chart")
    right.plotly_chart(charts.build_forest_chart(readout, chosen), key=K + "forest_chart")
    if time_col and chosen in spec["metrics"]:
        lift = ex.compute_cumulative_lift(df, arm_col=spec["arm_col"], control=spec["control"],
                                          metric=chosen, time_col=time_col,
                                          unit_col=spec.get("unit_col"))
        st.plotly_chart(charts.build_cumulative_lift_chart(lift, time_col), key=K + "lift_chart")


def _design_tab() -> None:
    kind = st.radio("Outcome", ["Conversion rate", "Mean (e.g. revenue per customer)"],
                    horizontal=True, key=K + "design_kind")
    goal = st.radio("Solve for", ["Sample size from the effect", "Detectable effect from audience"],
                    horizontal=True, key=K + "design_goal")
    c1, c2, c3, c4 = st.columns(4)
    alpha = c1.number_input("Significance α", 0.001, 0.5, 0.05, 0.01, key=K + "alpha")
    power = c2.number_input("Power", 0.5, 0.99, 0.8, 0.05, key=K + "power")
    ratio = c3.number_input("Treatment : control size", 0.1, 20.0, 1.0, 0.5, key=K + "ratio")
    arms = int(c4.number_input("Arms (incl. control)", 2, 10, 2, 1, key=K + "arms"))
    common = {"alpha": alpha, "power": power, "ratio": ratio, "arms": arms}
    d1, d2 = st.columns(2)
    try:
        if kind == "Conversion rate":
            base = d1.number_input("Baseline rate (%)", 0.01, 99.0, 5.0, 0.5,
                                   key=K + "baseline") / 100
            if goal.startswith("Sample"):
                mde = d2.number_input("Detectable change (percentage points)", 0.01, 50.0, 1.0,
                                      0.1, key=K + "mde_pp") / 100
                res = ex.sample_size_proportions(base, mde, **common)
            else:
                n = d2.number_input("Audience in the control arm", 10, 10**8, 10_000, 1000,
                                    key=K + "n_control")
                res = ex.mde_proportions(base, int(n), **common)
        else:
            m1, m2 = st.columns(2)
            mean = m1.number_input("Baseline mean", value=50.0, key=K + "mean")
            sd = m2.number_input("Standard deviation", value=80.0, key=K + "sd")
            if goal.startswith("Sample"):
                mde = d1.number_input("Detectable change", value=5.0, key=K + "mde_abs")
                res = ex.sample_size_means(mean, sd, mde, **common)
            else:
                n = d1.number_input("Audience in the control arm", 10, 10**8, 10_000, 1000,
                                    key=K + "n_control_m")
                res = ex.mde_means(mean, sd, int(n), **common)
    except ValueError as e:
        st.error(f"{e}. Change the inputs above.")
        return
    pct = kind == "Conversion rate"
    cols = st.columns(4)
    cols[0].metric("Control arm", f"{res.n_control:,}")
    cols[1].metric("Per treatment arm", f"{res.n_treatment:,}")
    cols[2].metric("Total audience", f"{res.n_total:,}")
    mde_text = f"{res.mde_absolute * 100:.3g} pp" if pct else f"{res.mde_absolute:.4g}"
    cols[3].metric("Detectable change", mde_text, help="Absolute change; relative: "
                   f"{res.mde_relative:.1%}" if res.mde_relative == res.mde_relative else None)
    st.caption(res.note + (" Proportions use Cohen's h (arcsine)." if pct else
                           " Means use Cohen's d = change / sd."))
    st.plotly_chart(charts.build_power_curve_chart(ex.compute_power_curve(res, ratio=ratio), res),
                    key=K + "power_chart")


def _bandit_tab() -> None:
    reward = st.radio("Outcome", ["Conversion", "Revenue per contact"], horizontal=True,
                      key=K + "bandit_reward")
    conv = reward == "Conversion"
    default = "4.0, 4.5, 5.0, 5.2, 5.5, 6.0" if conv else "1.0, 1.2, 1.5"
    with st.form(K + "bandit_form"):
        rates_text = st.text_input("True conversion rates (%)" if conv else
                                   "True revenue per contact (£)", default, key=K + "rates")
        names_text = st.text_input("Variant names (optional, comma-separated)", key=K + "names")
        c1, c2, c3, c4 = st.columns(4)
        horizon = c1.number_input("Contacts", 1_000, 1_000_000, 100_000, 10_000, key=K + "horizon")
        batches = c2.number_input("Daily sends", 2, 365, 100, 10, key=K + "batches")
        runs = c3.number_input("Simulated runs", 10, 2_000, 1_000, 100, key=K + "runs")
        seed = c4.number_input("Seed", 0, 10**6, 0, 1, key=K + "seed")
        c5, c6 = st.columns(2)
        eps = c5.number_input("ε (ε-greedy)", 0.0, 1.0, 0.1, 0.05, key=K + "epsilon")
        sd = c6.number_input("Revenue sd per contact (£)", 0.01, 1e4, 8.0, 1.0, key=K + "rev_sd",
                             disabled=conv)
        submitted = st.form_submit_button("Run simulation", type="primary")
    try:
        rates = [float(x) for x in rates_text.replace(";", ",").split(",") if x.strip()]
    except ValueError:
        st.error("True values: type numbers separated by commas, e.g. 4.0, 4.5, 5.0.")
        return
    rates = [r / 100 for r in rates] if conv else rates
    names = [n.strip() for n in names_text.split(",") if n.strip()]
    if names and len(names) != len(rates):
        st.error(f"Variant names: give {len(rates)} names (one per value) or leave blank.")
        return
    names = names or [f"Arm {i + 1}" for i in range(len(rates))]
    if not submitted and K + "bandit_ran" not in st.session_state:
        st.info("Set the variants and press **Run simulation**.")
        return
    st.session_state[K + "bandit_ran"] = True
    settings = {"horizon": int(horizon), "n_batches": int(batches), "runs": int(runs),
                "seed": int(seed), "epsilon": float(eps),
                "reward": "bernoulli" if conv else "gaussian", "reward_sd": float(sd)}
    try:
        alloc, outcomes = cache.simulate_bandits(tuple(rates), tuple(names), ex.POLICIES, settings)
    except ValueError as e:
        st.error(f"{e}. Change the inputs above.")
        return
    final = outcomes.groupby("policy", sort=False).last()
    fixed = final.loc[ex.POLICY_LABELS["fixed"]]
    cols = st.columns(len(final))
    for col, (policy, row) in zip(cols, final.iterrows(), strict=True):
        gain = row["conversions_mean"] - fixed["conversions_mean"]
        unit = "conversions" if conv else "£"
        col.metric(policy, f"{row['regret_mean']:,.0f} regret",
                   delta=None if policy == fixed.name else f"{gain:+,.0f} {unit} vs fixed split")
    st.caption(f"Means over {int(runs):,} seeded runs; bands are the 5–95 % range. Regret = "
               "expected outcome lost against always sending the best variant.")
    policy = st.selectbox("Allocation of", list(final.index), key=K + "alloc_policy")
    st.plotly_chart(charts.build_allocation_chart(alloc[alloc["policy"] == policy]),
                    key=K + "alloc_chart")
    left, right = st.columns(2)
    left.plotly_chart(charts.build_outcome_bands_chart(outcomes, "regret"), key=K + "regret_chart")
    right.plotly_chart(charts.build_outcome_bands_chart(outcomes, "conversions"),
                       key=K + "conv_chart")


st.title("Experiments")
readout_tab, design_tab, bandit_tab = st.tabs(["Readout", "Test design", "Bandit simulator"],
                                              key=K + "tabs")
with readout_tab:
    _readout_tab()
with design_tab:
    _design_tab()
with bandit_tab:
    _bandit_tab()
