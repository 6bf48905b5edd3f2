"""Uplift models: train S/T/X learners, compare them on held-out customers, pick a champion."""

from __future__ import annotations

import streamlit as st

from promo_core import datasets, uplift
from promo_core.charts import uplift as charts
from promo_core.errors import PromoLabError
from ui import cache, state

KEY = "uplift."
LEARNER_HELP = ("S: one model with the promotion as a feature (can score new promotions). "
                "T: one model per arm and one for control. X: corrects the T-learner's "
                "differences; often best when effects are small.")


# Page-local caches (to move into ui/cache.py): the training table is a frame; trained
# results hold LightGBM boosters, so they are resources, keyed by every input.
@st.cache_data(max_entries=8, ttl=3600, show_spinner="Building the training table…")
def load_training_table(path: str, version: str, as_of) -> uplift.TrainingTable:
    return uplift.build_training_table(cache.get_connection(path), as_of=as_of)


@st.cache_resource(max_entries=1)
def trained_results() -> dict:
    """Training results by their inputs (bounded below to the last 6)."""
    return {}


path, version = cache.active_path(), cache.active_version()
as_of = st.session_state.get(state.AS_OF)
st.title("Uplift models")
st.caption("Who buys *because we asked*: models of the difference a promotion makes per "
           f"customer, trained on past campaigns of **{datasets.label(path)}** with a "
           "control group, and tested on customers they never saw.")
saved = uplift.list_models(cache.get_connection(path))
champion = saved[saved["is_champion"]]
if champion.empty:
    st.caption(":material/emoji_events: No champion yet: train below and save one model as "
               "the champion; forecasts, ROI and plans use it.")
else:
    top = champion.iloc[0]
    st.caption(f":material/emoji_events: Champion now: model #{top.model_id}, {top['name']} "
               f"(saved {top.created_at:%d %b %Y %H:%M}). Forecasts, ROI and plans use it.")

try:
    table = load_training_table(path, version, as_of)
except (ValueError, PromoLabError) as e:
    st.warning(f"No training data: {e}. Uplift needs past promotions with a control group "
               "(load them on the Import data page).")
    st.stop()

promos = table.promotions.set_index("promo_id")
names = {int(p): f"{promos.loc[p, 'name']} (#{p})" for p in table.arms()}
with st.form(KEY + "form"):
    cols = st.columns([3, 1, 2])
    arms = cols[0].multiselect("Promotion arm(s)", list(names), default=list(names)[:1],
                               format_func=names.get, key=KEY + "arms",
                               help="Several arms share one control group.")
    outcome = cols[1].selectbox("Outcome", table.outcomes, key=KEY + "outcome")
    learners = cols[2].multiselect("Learners", list(uplift.LEARNERS),
                                   default=list(uplift.LEARNERS), key=KEY + "learners",
                                   help=LEARNER_HELP)
    with st.expander("Settings"):
        c = st.columns(4)
        trees = c[0].number_input("Trees (max)", 20, 2000, 200, step=20, key=KEY + "trees")
        leaves = c[1].number_input("Leaves", 4, 255, 15, key=KEY + "leaves")
        bags = c[2].number_input("Bootstrap refits (bands)", 0, 20, 4, key=KEY + "bags")
        split_seed = c[3].number_input("Split seed", 0, 10_000, 0, key=KEY + "seed")
    submitted = st.form_submit_button("Train models", type="primary")

params = (path, version, str(as_of), tuple(arms), outcome, tuple(learners), int(trees),
          int(leaves), int(bags), int(split_seed))
if submitted:
    st.session_state[KEY + "params"] = params
if st.session_state.get(KEY + "params") != params:
    st.info("Choose arms, an outcome and learners, then **Train models**.")
    st.stop()
if not arms or not learners:
    st.error("Choose at least one promotion arm and one learner.")
    st.stop()

store = trained_results()
if params not in store:
    bar = st.progress(0.0, text="Queued…")
    config = uplift.LearnerConfig(n_estimators=int(trees), num_leaves=int(leaves),
                                  n_bags=int(bags), seed=int(split_seed))
    try:
        result = uplift.run_training_job(
            uplift.train_uplift, table, arms, outcome, learners, config,
            split_seed=int(split_seed),
            progress=lambda f, m: bar.progress(min(f, 1.0), text=m),
            on_wait=lambda ahead: bar.progress(
                0.0, text=f"Waiting: another training job is running ({ahead} ahead)…"))
    except (ValueError, PromoLabError) as e:
        bar.empty()
        st.error(f"Training failed: {e}")
        st.stop()
    bar.empty()
    while len(store) >= 6:
        store.pop(next(iter(store)))
    store[params] = result
result: uplift.TrainingResult = store[params]

st.caption(f"Trained on {result.n_train:,} exposures; every figure below is measured on "
           f"{result.n_test:,} held-out exposures of other customers, with 95 % bootstrap "
           "intervals.")
if result.champion_candidate is None:
    st.warning(result.verdict, icon=":material/do_not_disturb_on:")
else:
    st.success(result.verdict)

if result.balance:
    with st.expander("Was the assignment random?", expanded=any(
            not b.randomised for b in result.balance.values())):
        for arm, report in result.balance.items():
            st.markdown(f"**{names.get(arm, arm)}**")
            (st.success if report.randomised else st.error)(report.message)
            left, right = st.columns(2)
            left.plotly_chart(charts.build_smd_chart(report.smd), key=f"{KEY}smd{arm}")
            left.caption("Each bar is how far treated and control customers differed "
                         "*before* the promotion, in standard deviations. Bars outside the "
                         "grey ±0.1 band mean the groups were not comparable.")
            right.plotly_chart(charts.build_overlap_chart(report.propensity),
                               key=f"{KEY}overlap{arm}")
            right.caption("How likely each customer was to be treated, judged from their "
                          "features. In a fair test both colours pile up at the same value.")
            st.dataframe(report.estimates, hide_index=True, key=f"{KEY}effects{arm}",
                         column_config={c: st.column_config.NumberColumn(format="%.4f")
                                        for c in ("estimate", "low", "high")})

curves = result.curves()
tab_q, tab_u = st.tabs(["Qini curve", "Uplift curve"])
with tab_q:
    st.plotly_chart(charts.build_curve_chart(curves, "qini", result.random_band),
                    key=KEY + "qini")
    st.caption("Target customers from the left (highest predicted uplift first): the curve "
               "is the extra outcome gained per customer so far. Above the dashed random "
               "line means the model ranks better than chance; a Qini coefficient of 1 "
               "would be the perfect ranking, 0 random, below 0 worse than random.")
with tab_u:
    st.plotly_chart(charts.build_curve_chart(curves, "uplift"), key=KEY + "uplift_curve")
    st.caption("Uplift of the targeted group times its share. AUUC below 0 does not mean "
               "the promotion hurts: it means the ranking is worse than random.")

st.subheader("Metrics on held-out customers")
metrics = result.metrics_table()
shown = metrics[["learner", "qini", "qini_low", "qini_high", "auuc", "uplift_at_30",
                 "uplift_at_30_low", "uplift_at_30_high", "mean_predicted", "average_effect",
                 "average_effect_low", "average_effect_high"]]
st.dataframe(shown, hide_index=True, key=KEY + "metrics",
             column_config={c: st.column_config.NumberColumn(format="%.4f")
                            for c in shown.columns if c != "learner"})
st.caption("Qini: normalised Qini coefficient (area over random ÷ the perfect model's). "
           "Uplift@30 %: treated minus control outcome among the 30 % with the highest "
           "predicted uplift; compare with the average effect of sending to everyone. The "
           "response model ranks by who buys when treated — the uplift models must beat it.")

st.subheader("Predicted vs observed uplift by decile")
st.plotly_chart(charts.build_calibration_chart(result.deciles()), key=KEY + "calibration")
st.caption("Customers split into ten equal groups by predicted uplift. Dots are the uplift "
           "actually observed in each group (with 95 % intervals), dashed lines what the "
           "model predicted: a good model's dots fall from left to right along its line.")

if result.policy is not None:
    st.subheader("Best arm per customer vs one arm for everyone")
    st.dataframe(result.policy, hide_index=True, key=KEY + "policy",
                 column_config={c: st.column_config.NumberColumn(format="%.4f")
                                for c in ("value", "low", "high")})
    gain = result.policy.iloc[-1]
    st.caption("Expected outcome per customer under each plan, estimated on the held-out "
               "test. " + ("The per-customer choice beats the best single arm."
                           if gain.low > 0 else "The per-customer choice shows no gain "
                           "whose interval excludes 0: sending the best arm to everyone is "
                           "as good."))

st.subheader("Champion")
st.caption("The champion is the model forecasts, ROI and plans use.")
champion_pick = st.radio("Model to save", list(result.models), horizontal=True,
                         key=KEY + "champion_pick",
                         index=list(result.models).index(result.champion_candidate)
                         if result.champion_candidate in result.models else None)
if champion_pick is not None and result.champion_candidate is None:
    st.warning("No learner showed a targeting effect beyond chance here: forecasts made "
               "with this model will rank customers no better than at random. Plans built "
               "on it deserve a caveat in the review.", icon=":material/warning:")
if champion_pick is not None and champion_pick != "S":
    st.info(f"A {champion_pick}-learner scores only the promotions it was trained on; the "
            "Scenarios page needs an S-learner to price new offers or depths.")
if st.button("Save and use as champion", key=KEY + "save", disabled=champion_pick is None):
    con = cache.get_connection(path)
    model_id = uplift.save_model(con, result.models[champion_pick], as_of=str(as_of))
    uplift.set_champion(con, model_id)
    st.success(f"Saved model #{model_id} ({result.models[champion_pick].name}) as champion.")

saved = uplift.list_models(cache.get_connection(path))  # again: a save above changes it
if not saved.empty:
    st.dataframe(saved[["model_id", "name", "created_at", "is_champion"]], hide_index=True,
                 key=KEY + "saved")
