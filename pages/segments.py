"""Segments: build (rules, RFM groups, clusters), saved segments, category affinity."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import streamlit as st

from promo_core import profiles
from promo_core.charts import segments as charts
from promo_core.errors import ValidationError
from promo_core.segments import clusters, rfm, rules, store
from ui import cache, state
from ui.widgets import money, render_error

K = "segments."  # session-key prefix of this page
MAX_CONDITIONS = 8
GROUPS = [1, 2, 3]


# --- page frame -----------------------------------------------------------------------
con = cache.active_connection()
path, version = cache.active_path(), cache.active_version()
as_of: date | None = st.session_state.get(state.AS_OF)

st.title("Segments")
if as_of is None:
    st.warning("This data set has no orders yet, so there are no profiles to segment. "
               "Load data on the Import data page.")
    st.stop()
with st.spinner(f"Computing customer profiles as of {as_of:%d %b %Y}…"):
    table = profiles.materialise_profiles(con, as_of)
reg = cache.load_feature_registry(path, version)
st.caption(f"Profiles as of {as_of:%d %b %Y} (only data before that day). "
           "Revenue is at list price.")


def _save(name: str, kind: str, definition: dict, ids: pd.Series, key: str) -> None:
    """Save and rerun the whole page (saved list changes), or show why not, in place."""
    try:
        seg_id = store.save_segment(con, name, kind, definition, as_of, ids)
    except ValidationError as e:
        st.session_state[key] = e
        return
    # what was just saved is what the analyst wants to compare next
    compare = st.session_state.get(f"{K}saved.compare")
    if compare is not None:
        st.session_state[f"{K}saved.compare"] = [*compare, seg_id][-4:]
    st.session_state[state.FLASH] = f"Saved segment '{' '.join(name.split())}' " \
                                    f"({len(pd.unique(ids)):,} customers, id {seg_id})."
    st.rerun()


def _show_save_error(key: str) -> None:
    err = st.session_state.pop(key, None)
    if err is not None:
        render_error(err)


# --- rules ----------------------------------------------------------------------------
def _condition_row(i: int) -> dict:
    cols = st.columns([1, 3, 2, 3])
    group = cols[0].selectbox("Group", GROUPS, key=f"{K}rule.{i}.group")
    field = cols[1].selectbox("Field", list(reg), key=f"{K}rule.{i}.field",
                              format_func=lambda f: reg[f].label)
    ops = rules.CATEGORICAL_OPS if reg[field].dtype == profiles.CATEGORICAL else rules.NUMERIC_OPS
    op = cols[2].selectbox("Operator", ops, key=f"{K}rule.{i}.op")
    hint = {"between": "low, high", "in": "a, b, c", "not in": "a, b, c",
            "top %": "e.g. 20", "bottom %": "e.g. 20"}.get(op, "value")
    text = cols[3].text_input("Value", key=f"{K}rule.{i}.value", placeholder=hint,
                              help=reg[field].description)
    return {"group": group, "field": field, "op": op, "text": text}


def _build_rule(rows: list[dict], within: str, between: str) -> dict:
    grouped: dict[int, list] = {}
    for r in rows:
        value = rules.parse_value(r["text"], reg[r["field"]], r["op"])
        grouped.setdefault(r["group"], []).append(
            {"field": r["field"], "op": r["op"], "value": value})
    parts = [{"combine": within, "rules": conds} for _, conds in sorted(grouped.items())]
    return parts[0] if len(parts) == 1 else {"combine": between, "rules": parts}


@st.fragment
def rule_builder() -> None:
    """Conditions and the live size: reruns alone on each edit (one query on the table)."""
    n = st.session_state.setdefault(f"{K}rule.n", 1)
    c = st.columns([2, 2, 1, 1])
    within = c[0].selectbox("Inside a group, combine with", ["and", "or"], key=f"{K}rule.within")
    between = c[1].selectbox("Between groups, combine with", ["or", "and"],
                             key=f"{K}rule.between")
    if c[2].button("Add condition", key=f"{K}rule.add", disabled=n >= MAX_CONDITIONS):
        st.session_state[f"{K}rule.n"] = n = n + 1
    if c[3].button("Remove last", key=f"{K}rule.remove", disabled=n <= 1):
        st.session_state[f"{K}rule.n"] = n = n - 1
    rows = [_condition_row(i) for i in range(n)]
    if any(not r["text"].strip() for r in rows):
        st.info("Enter a value for each condition to see the segment's size.")
        return
    try:
        rule = _build_rule(rows, within, between)
        size = rules.rule_size(con, table, rule, reg)
    except ValidationError as e:
        render_error(e)
        return
    m = st.columns(3)
    m[0].metric("Customers in segment", f"{size.size:,}")
    m[1].metric("Share of customers", f"{size.share_customers:.1%}")
    m[2].metric("Share of revenue", f"{size.share_revenue:.1%}")
    with st.expander("Rule as stored (JSON)"):
        st.code(json.dumps(rule, indent=2), language="json")
    name = st.text_input("Segment name", key=f"{K}rule.name")
    if st.button("Save segment", key=f"{K}rule.save", type="primary"):
        _save(name, "rule", rule, rules.rule_members(con, table, rule, reg), f"{K}rule.error")
    _show_save_error(f"{K}rule.error")


# --- RFM ------------------------------------------------------------------------------
def rfm_section() -> None:
    st.write("Quintile scores 1–5 for recency, frequency and monetary value, among "
             "customers who have ordered. The first group whose ranges fit names a customer.")
    edited = st.data_editor(rfm.groups_to_frame(rfm.DEFAULT_GROUPS), key=f"{K}rfm.map",
                            num_rows="dynamic", hide_index=True)
    try:
        groups = rfm.groups_from_frame(edited)
    except ValidationError as e:
        render_error(e)
        return
    scores = cache.load_rfm(path, version, as_of, table, rfm.groups_to_json(groups))
    prof = cache.load_profile_frame(path, version, as_of, table)
    summary = rfm.summarise_rfm(scores, prof)
    st.plotly_chart(charts.build_rfm_chart(summary), key=f"{K}rfm.chart")
    st.dataframe(summary, hide_index=True, key=f"{K}rfm.table", column_config={
        "customers": st.column_config.NumberColumn(format="localized"),
        "revenue": st.column_config.NumberColumn(format="£%.0f"),
        "recency_days": st.column_config.NumberColumn("mean recency (days)", format="%.0f"),
        "frequency": st.column_config.NumberColumn("mean orders", format="%.1f"),
        "aov": st.column_config.NumberColumn(format="£%.2f"),
        "share": st.column_config.NumberColumn(format="percent"),
        "revenue_share": st.column_config.NumberColumn(format="percent")})
    c = st.columns([2, 3, 1])
    group = c[0].selectbox("Group", list(summary["rfm_group"]), key=f"{K}rfm.group")
    name = c[1].text_input("Segment name", value=f"RFM {group} ({as_of:%Y-%m-%d})",
                           key=f"{K}rfm.name.{group}")
    if c[2].button("Save group", key=f"{K}rfm.save"):
        ids = scores.loc[scores["rfm_group"] == group, "customer_id"]
        _save(name, "rfm", {"group": group, "groups": json.loads(rfm.groups_to_json(groups))},
              ids, f"{K}rfm.error")
    _show_save_error(f"{K}rfm.error")


# --- clusters -------------------------------------------------------------------------
def cluster_section() -> None:
    numeric = [f for f, v in reg.items() if v.dtype == profiles.NUMERIC]
    prof = cache.load_profile_frame(path, version, as_of, table)
    with st.form(f"{K}cl.form"):
        feats = st.multiselect("Features", numeric, default=clusters.default_features(reg, prof),
                               format_func=lambda f: reg[f].label, key=f"{K}cl.features")
        k = st.slider("Number of clusters (k)", 2, 10, 4, key=f"{K}cl.k")
        c = st.columns(2)
        suggest = c[0].form_submit_button("Suggest k (sample of 5,000)")
        run = c[1].form_submit_button("Run k-means", type="primary")
    if suggest:
        st.session_state[f"{K}cl.suggest"] = tuple(feats)
    if run:
        st.session_state[f"{K}cl.run"] = (tuple(feats), k)
    try:
        if f"{K}cl.suggest" in st.session_state:
            suggest = st.session_state[f"{K}cl.suggest"]
            ks = cache.load_k_choice(path, version, as_of, table, suggest)
            st.plotly_chart(charts.build_k_choice_chart(ks), key=f"{K}cl.kchart")
        if f"{K}cl.run" not in st.session_state:
            return
        run_feats, run_k = st.session_state[f"{K}cl.run"]
        with st.spinner("Running k-means…"):
            res = cache.load_clusters(path, version, as_of, table, run_feats, run_k)
    except ValidationError as e:
        render_error(e)
        return
    labels = {f: reg[f].label for f in run_feats}
    st.plotly_chart(charts.build_cluster_heatmap(res.differences, labels, res.descriptions),
                    key=f"{K}cl.heatmap")
    table_view = res.profile.rename(columns=labels)
    table_view.insert(0, "description", pd.Series(res.descriptions))
    st.caption("Means of the members' values. Customers who never ordered have no recency "
               "or order value, so a cluster of only such customers shows none: see "
               "“Never ordered”.")
    st.dataframe(table_view, key=f"{K}cl.table", column_config={
        "size": st.column_config.NumberColumn("Customers", format="localized"),
        "no_orders_share": st.column_config.NumberColumn("Never ordered", format="percent"),
        **{label: st.column_config.NumberColumn(format="%.2f") for label in labels.values()}})
    c = st.columns([2, 3, 1])
    cl = c[0].selectbox("Cluster", list(res.descriptions), key=f"{K}cl.pick",
                        format_func=lambda i: f"{i}: {res.descriptions[i]}")
    name = c[1].text_input("Segment name", value=f"Cluster {cl} of {run_k}",
                           key=f"{K}cl.name.{cl}")
    if c[2].button("Save cluster", key=f"{K}cl.save"):
        ids = res.labels.loc[res.labels["cluster"] == cl, "customer_id"]
        _save(name, "cluster", {"features": list(run_feats), "k": run_k, "seed": 0,
                                "cluster": int(cl), "description": res.descriptions[cl]},
              ids, f"{K}cl.error")
    _show_save_error(f"{K}cl.error")


# --- saved segments -------------------------------------------------------------------
def saved_section() -> None:
    segs = store.list_segments(con)
    if segs.empty:
        st.info("No saved segments yet: build one on the Build tab and save it.")
        return
    names = dict(zip(segs["segment_id"], segs["name"], strict=True))
    st.dataframe(segs.drop(columns="definition"), hide_index=True, key=f"{K}saved.list")
    compare = st.session_state.get(f"{K}saved.compare")
    # A default only the first time; afterwards keep the choice, minus deleted segments.
    st.session_state[f"{K}saved.compare"] = (list(names)[:2] if compare is None else
                                            [i for i in compare if i in names])
    picked = st.multiselect("Compare segments", list(names),
                            format_func=lambda i: names[i], key=f"{K}saved.compare")
    if picked:
        cards = store.segment_cards(con, picked, table)
        cols = st.columns(min(len(cards), 4))
        for col, card in zip(cols, cards.itertuples(), strict=False):
            with col.container(border=True):
                st.markdown(f"**{card.name}** · {card.kind}")
                st.metric("Customers", f"{card.size_now:,}")
                st.metric("Revenue share", f"{(card.revenue_share or 0):.1%}")
                st.metric("AOV", money(card.aov if pd.notna(card.aov) else None))
                resp = card.past_promo_response
                st.metric("Past promo response", "–" if pd.isna(resp) else f"{resp:.1%}")
        # one column per segment, one row per figure, each in its own format
        st.dataframe(_card_table(cards), key=f"{K}saved.cards")
        cat_cols = [f for f in reg if f.startswith("cat_")]
        vals = store.segment_profile_values(con, picked, table, ["recency_days", *cat_cols])
        st.plotly_chart(charts.build_recency_chart(vals, names), key=f"{K}saved.recency")
        if cat_cols:
            mix = vals.groupby("segment_id")[cat_cols].mean()
            mix = mix.rename(columns={c: reg[c].label.removeprefix("Share: ") for c in cat_cols})
            mix.insert(0, "segment", [names[i] for i in mix.index])
            st.plotly_chart(charts.build_category_mix_chart(mix), key=f"{K}saved.mix")
        if len(picked) > 1:
            st.plotly_chart(charts.build_overlap_heatmap(store.overlap(con, picked)),
                            key=f"{K}saved.overlap")
    manage_segment(names)


_CARD_ROWS = {  # column → (label, format)
    "kind": ("Made by", "{}"), "as_of": ("As of", "{}"),
    "size": ("Customers when saved", "{:,.0f}"),
    "size_now": ("Customers now", "{:,.0f}"), "revenue_share": ("Share of revenue", "{:.1%}"),
    "aov": ("Average order value", "£{:,.2f}"), "orders_per_customer": ("Orders per customer",
                                                                       "{:.1f}"),
    "recency_p25": ("Days since last order, 25th pct", "{:.0f}"),
    "recency_median": ("Days since last order, median", "{:.0f}"),
    "recency_p75": ("Days since last order, 75th pct", "{:.0f}"),
    "discount_share": ("Discount share of spend", "{:.1%}"),
    "past_promo_response": ("Past promotion response", "{:.1%}"),
}


def _card_table(cards: pd.DataFrame) -> pd.DataFrame:
    """Segments side by side as text: every figure in its format, "–" where empty."""
    rows = {}
    for col, (label, fmt) in _CARD_ROWS.items():
        if col in cards:
            rows[label] = ["–" if v is None or (isinstance(v, float) and v != v) else
                           fmt.format(v) for v in cards[col]]
    return pd.DataFrame(rows, index=cards["name"]).T


def manage_segment(names: dict[int, str]) -> None:
    st.subheader("Manage")
    seg = st.selectbox("Segment", list(names), format_func=lambda i: names[i],
                       key=f"{K}manage.pick")
    c = st.columns([3, 1, 1, 1])
    new = c[0].text_input("New name", key=f"{K}manage.name")
    try:
        if c[1].button("Rename", key=f"{K}manage.rename"):
            store.rename_segment(con, seg, new)
            st.session_state[state.FLASH] = f"Renamed to '{' '.join(new.split())}'."
            st.rerun()
        if c[2].button("Delete", key=f"{K}manage.delete"):
            store.delete_segment(con, seg)
            st.session_state[state.FLASH] = f"Deleted '{names[seg]}'."
            st.rerun()
    except ValidationError as e:
        render_error(e)
    c[3].download_button("Export CSV", store.members_csv(con, seg, table),
                         file_name=f"segment_{seg}_members.csv", mime="text/csv",
                         key=f"{K}manage.export")


# --- affinity -------------------------------------------------------------------------
def affinity_section() -> None:
    summary, pairs = cache.load_affinity(path, version, as_of)
    if summary.empty:
        st.info("This data set has no order lines with product categories, "
                "so there is no category affinity to show.")
        return
    st.write("Affinity = a customer's share of spend in a category ÷ the shop's share. "
             "High affinity: at least 1.5×.")
    st.dataframe(summary, hide_index=True, key=f"{K}aff.summary", column_config={
        "spend_share": st.column_config.NumberColumn(format="percent")})
    st.subheader("Bought together")
    metric = st.selectbox("Heat map of", ["lift", "confidence", "support"], key=f"{K}aff.metric")
    if pairs.empty:
        st.info("No basket has two categories.")
        return
    st.plotly_chart(charts.build_pairs_heatmap(pairs, metric), key=f"{K}aff.heatmap")
    st.dataframe(pairs, hide_index=True, key=f"{K}aff.pairs")


build, saved, aff = st.tabs(["Build", "Saved segments", "Affinity"], key=f"{K}tabs")
with build:
    method = st.radio("Build with", ["Rules", "RFM groups", "Clusters"], horizontal=True,
                      key=f"{K}method")
    {"Rules": rule_builder, "RFM groups": rfm_section, "Clusters": cluster_section}[method]()
with saved:
    saved_section()
with aff:
    affinity_section()
