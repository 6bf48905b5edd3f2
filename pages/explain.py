"""Explanations: why the champion model predicts the uplift it does (SHAP of the uplift)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from promo_core import explain, uplift
from promo_core.charts import explain as charts
from promo_core.errors import PromoLabError
from promo_core.segments import store
from ui import cache, state

KEY = "explain."
VIEWS = ("Everyone", "A segment", "One customer")
SIZES = {2_000: "2,000", 5_000: "5,000", 10_000: "10,000 (recommended)", 50_000: "50,000"}
TOP_LIST = 20


def show_sentences(sentences: list[str]) -> None:
    st.markdown("\n".join(f"- {s}" for s in sentences))


path, version = cache.active_path(), cache.active_version()
con = cache.active_connection()
as_of = st.session_state.get(state.AS_OF)
st.title("Explanations")
st.caption("Why the model predicts the uplift it does: what a promotion *adds* for each "
           "customer (who buys **because** we asked), not who buys anyway.")

model_id = uplift.champion_id(con)
if model_id is None:
    st.info("There is no champion uplift model yet, so there is nothing to explain. Train "
            "models and pick a champion on the Uplift models page.",
            icon=":material/info:")
    st.page_link("pages/uplift.py", label="Go to Uplift models", icon=":material/trending_up:")
    st.stop()
try:
    model = cache.load_model(path, version, model_id)
    feats = cache.load_features(path, version, as_of)
except (PromoLabError, FileNotFoundError, ValueError) as e:
    st.error(f"The champion model cannot be explained on this data: {e}")
    st.page_link("pages/uplift.py", label="Go to Uplift models", icon=":material/trending_up:")
    st.stop()
labels = cache.load_labels(path, version)

arms = {int(a): str(p.get("name") or a) for a, p in model.arms.items()}
top = st.columns([2, 1, 1])
arm = top[0].selectbox("Promotion", list(arms), format_func=arms.get, key=KEY + "arm")
max_rows = top[1].selectbox("Customers to explain", list(SIZES), index=2,
                            format_func=SIZES.get, key=KEY + "rows")
view = top[2].radio("View", VIEWS, horizontal=True, key=KEY + "view")

method = explain.choose_method(model)
with st.spinner("Computing SHAP values of the uplift…"):
    everyone = cache.load_explanation(path, version, model_id, arm, as_of, max_rows)
outcome = explain.narrative.OUTCOME_WORDS.get(model.outcome, model.outcome)
st.info(f"**What is explained:** the champion's predicted *uplift* in {outcome} from "
        f"**{arms[arm]}** — its prediction with the promotion minus without it "
        f"({model.name}, model #{model_id}). Every bar and dot below is in "
        f"{'percentage points' if model.kind == 'binary' else '£ per customer'} of that "
        f"difference.\n\n**Method:** {everyone.method_text}.", icon=":material/help:")
if method == explain.SURROGATE and not everyone.is_flat and (everyone.fidelity_r2 or 0) < 0.7:
    st.warning(f"The surrogate captures only R² {everyone.fidelity_r2:.2f} of the model's "
               "uplift: read the explanation as a rough guide.")
if everyone.sampled:
    st.caption(f"Explaining a random sample of {len(everyone):,} of "
               f"{everyone.n_population:,} customers (seeded, the same each time) to keep "
               "this page fast; choose a size above.")
else:
    st.caption(f"Explaining all {len(everyone):,} customers as of {as_of}.")

if view == "Everyone":
    show_sentences(explain.describe_global(everyone, labels))
    if everyone.is_flat:
        st.warning("This model predicts the same uplift for every customer, so there are no "
                   "drivers to show. Train a model that separates customers on the Uplift "
                   "models page.", icon=":material/horizontal_rule:")
        st.page_link("pages/uplift.py", label="Go to Uplift models",
                     icon=":material/trending_up:")
        st.stop()
    left, right = st.columns(2)
    left.subheader("What drives the uplift")
    left.plotly_chart(charts.build_importance_chart(everyone.importance(), everyone.kind,
                                                    labels=labels), key=KEY + "importance")
    right.subheader("Direction, customer by customer")
    right.plotly_chart(charts.build_beeswarm_chart(everyone, labels=labels),
                       key=KEY + "beeswarm")
    right.caption("Each dot is a customer; red means a high value of the feature. Dots to "
                  "the right of 0: that value raises the uplift.")
    st.subheader("How one feature shapes the uplift")
    ranked = everyone.importance().feature.tolist()
    c = st.columns(2)
    feature = c[0].selectbox("Feature", ranked, format_func=lambda f: explain.label_of(
        f, labels), key=KEY + "dep_feature")
    colour = c[1].selectbox("Colour by", [f for f in ranked if f != feature],
                            format_func=lambda f: explain.label_of(f, labels),
                            key=KEY + "dep_colour")
    st.plotly_chart(charts.build_dependence_chart(everyone, feature, colour, labels),
                    key=KEY + "dependence")
    st.subheader("Rules of thumb")
    rules = explain.fit_rules(everyone.values, everyone.uplift, kind=everyone.kind,
                              labels=labels)
    st.dataframe(rules.table.rename(columns={"rule": "Customers with", "uplift_text":
                                             "Predicted uplift", "customers": "Customers"})
                 [["Customers with", "Predicted uplift", "Customers"]], hide_index=True,
                 key=KEY + "rules")
    st.caption(f"A {rules.depth}-level decision tree fitted to the predicted uplift; it "
               f"reproduces R² {rules.r2:.2f} of it. A summary to talk about, not the model.")

elif view == "A segment":
    segs = store.list_segments(con)
    if segs.empty:
        st.info("No saved segments yet. Save one on the Segments page to compare it with "
                "everyone.")
        st.page_link("pages/segments.py", label="Go to Segments", icon=":material/groups:")
        st.stop()
    names = dict(zip(segs.segment_id.astype(int), segs.name, strict=True))
    seg_id = st.selectbox("Segment", list(names), format_func=names.get, key=KEY + "segment")
    with st.spinner("Computing SHAP values of the uplift for the segment…"):
        seg = cache.load_explanation(path, version, model_id, arm, as_of, max_rows, int(seg_id))
    if len(seg) == 0:
        st.warning("None of this segment's customers have features as of this date.")
        st.stop()
    if seg.sampled:
        st.caption(f"Segment: a random sample of {len(seg):,} of its {seg.n_population:,} "
                   "customers.")
    show_sentences(explain.describe_segment(seg, everyone, names[seg_id], labels))
    diffs = explain.segment_differences(seg, everyone)
    left, right = st.columns(2)
    left.subheader(f"{names[seg_id]} vs everyone")
    left.plotly_chart(charts.build_segment_chart(diffs, seg.kind, names[seg_id],
                                                 labels=labels), key=KEY + "segment_chart")
    left.caption("Bars: how much each feature moves the average uplift. Where the blue bar "
                 "differs from the grey one, that feature explains the segment's gap.")
    right.subheader("Direction within the segment")
    right.plotly_chart(charts.build_beeswarm_chart(seg, labels=labels),
                       key=KEY + "segment_beeswarm")

else:
    # Stable, so that ties (trees give many equal uplifts) keep customer order.
    order = np.argsort(-everyone.uplift, kind="stable")[:TOP_LIST]
    top_ids = [int(everyone.customer_ids[i]) for i in order]
    c = st.columns(2)
    picked = c[0].selectbox(
        f"Pick from the {TOP_LIST} highest predicted uplifts", top_ids,
        format_func=lambda cid: f"Customer {cid} · " + explain.format_uplift(
            everyone.uplift[everyone.customer_ids == cid][0], everyone.kind),
        key=KEY + "top_customer")
    typed = c[1].text_input("…or type a customer id", key=KEY + "customer_id").strip()
    customer_id = picked
    if typed:
        if not typed.isdigit() or not (feats.customer_id == int(typed)).any():
            st.error(f"There is no customer with id {typed!r} as of {as_of}.")
            st.stop()
        customer_id = int(typed)
        c[0].caption(f"Showing the customer typed, {customer_id}: clear the box on the "
                     "right to go back to this list.")
    one = cache.get_explainer(path, version, model_id, arm, as_of).explain(
        feats[feats.customer_id == customer_id])
    show_sentences(explain.describe_customer(one, customer_id, labels))
    row = one.row(customer_id)
    left, right = st.columns([3, 2])
    left.subheader(f"From the baseline to customer {customer_id}")
    predicted = float(one.uplift[np.flatnonzero(one.customer_ids == customer_id)[0]])
    left.plotly_chart(charts.build_waterfall_chart(row, one.base_value, one.kind,
                                                   labels=labels, predicted=predicted),
                      key=KEY + "waterfall")
    right.subheader("This customer's features")
    right.dataframe(pd.DataFrame({
        "Feature": [explain.label_of(f, labels) for f in row.feature],
        "Value": [explain.format_value(v) for v in row.value],
        "Effect on uplift": [explain.format_uplift(s, one.kind) for s in row.shap]}),
        hide_index=True, key=KEY + "customer_table")
