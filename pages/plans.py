"""Plans & review: save a plan, move it through approval, export it, review it."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from promo_core import db, plans
from promo_core.charts import plans as charts
from promo_core.errors import PromoLabError
from promo_core.plans import builder, review, simulate, weekly
from promo_core.plans.store import TRANSITIONS
from ui import cache, state, widgets

KEY = "plans."
EXPORTS = KEY + "exports"  # {(plan_id, version, status): [paths]} prepared this session
PCT = st.column_config.NumberColumn(format="percent")
MONEY = st.column_config.NumberColumn(format="£%,.0f")
WEEK = st.column_config.DateColumn(format="YYYY-MM-DD")


def _segment_table(payload: dict) -> pd.DataFrame:
    cols = ["segment", "promotion", "mechanic", "contacts", "inc_conversions",
            "inc_conversions_low", "inc_conversions_high", "inc_margin", "promotion_cost",
            "net_profit", "roi"]
    return pd.DataFrame(payload["segments"]).reindex(columns=cols)


def _diff_table(forecast: pd.DataFrame) -> pd.DataFrame:
    """Figures by their labels, old / new / change as text in each figure's format."""
    fmt = {"money": "£{:,.0f}", "count": "{:,.0f}", "decimal": "{:,.1f}", "percent": "{:.1%}"}
    rows = []
    for r in forecast.itertuples():
        f = fmt.get(plans.payload.figure_kind(r.figure), "{:,.2f}")
        show = [("–" if v is None or v != v else f.format(0.0 if abs(v) < 1e-9 else v))
                for v in (r.old, r.new, r.change)]
        rows.append([plans.payload.figure_label(r.figure), *show])
    return pd.DataFrame(rows, columns=["Figure", "Old", "New", "Change"])


con = cache.active_connection()
path = cache.active_path()
st.title("Plans & review")
widgets.render_flash()  # app.py shows it first in the browser; AppTest runs the page alone
last_day = date.fromisoformat(str(db.get_meta(con, "as_of") or date.today())[:10])
as_of = st.session_state.get(state.AS_OF) or last_day + timedelta(days=1)
tab_plans, tab_new, tab_review = st.tabs(["Plans", "New plan", "Review"], key=KEY + "tabs")

with tab_new:
    st.caption("A plan gives saved segments a promotion; the champion uplift model "
               f"forecasts every customer as of {as_of:%d %b %Y}. Each save is a version.")
    seg_names = con.cursor().execute("SELECT name FROM segments ORDER BY name").df()["name"]
    promos = con.cursor().execute("SELECT promo_id, name FROM promotions ORDER BY promo_id "
                                  "DESC").df()
    with st.form(KEY + "new"):
        name = st.text_input("Plan name", key=KEY + "name")
        week = st.date_input("Week the plan runs", key=KEY + "week",
                             value=widgets.next_monday(last_day + timedelta(1)))
        chosen = st.multiselect("Segments", list(seg_names), key=KEY + "segments")
        promo_names = {int(i): str(n) for i, n in zip(promos["promo_id"], promos["name"],
                                                       strict=True)}
        promo = st.selectbox("Promotion for these segments", list(promo_names),
                             format_func=promo_names.get, key=KEY + "promo")
        budget = st.number_input("Budget", min_value=0.0, value=5000.0, step=500.0,
                                 key=KEY + "budget")
        who = st.text_input("Your name", key=KEY + "who")
        note = st.text_input("Note", key=KEY + "note")
        if st.form_submit_button("Save plan", type="primary"):
            try:
                with st.spinner("Forecasting the targets…"):
                    forecast = builder.build_from_recipe(
                        con, [(s, int(promo)) for s in chosen], as_of, name=name or "Plan",
                        budget=budget)
                    builder.check_within_budget(forecast, budget)
                    plan_id, version = plans.create_plan(con, name, week, forecast, note=note,
                                                         who=who)
                st.session_state[KEY + "selected"] = plan_id
                widgets.flash_and_rerun(f"Saved plan '{name}' version {version}: "
                                 f"{len(forecast.targets):,} targets, net incremental profit "
                                 f"{forecast.totals['net_profit']:,.0f}.")
            except PromoLabError as e:
                st.error(f"Not saved: {e}")

listing = plans.list_plans(con)
with tab_plans:
    if listing.empty:
        st.info("No plans yet: save one under **New plan** (or from the Scenarios page).")
    else:
        st.dataframe(listing.drop(columns=["created_at"]), hide_index=True,
                     column_config=widgets.figure_columns(listing, week=WEEK),
                     key=KEY + "list")
        ids = [int(i) for i in listing["plan_id"]]
        if st.session_state.get(KEY + "selected") not in ids:
            st.session_state[KEY + "selected"] = ids[0]
        labels = dict(zip(ids, listing["name"] + " · week of " + listing["week"].astype(str),
                          strict=True))
        plan_id = st.selectbox("Plan", ids, format_func=labels.get, key=KEY + "selected")
        plan = plans.load_version(con, plan_id)
        st.subheader(plan.label)
        st.markdown(f"Status **{plan.status}** · model "
                    f"{(plan.payload.get('model') or {}).get('name', 'none')} · "
                    f"{plan.payload['targets']['count']:,} targets")
        segments = _segment_table(plan.payload)
        st.dataframe(segments, hide_index=True, key=KEY + "segtable",
                     column_config=widgets.figure_columns(segments))
        if plan.payload["segments"]:
            st.plotly_chart(charts.build_forecast_chart(pd.DataFrame(plan.payload["segments"])),
                            key=KEY + "forecast_chart")

        st.markdown("#### Status and decision log")
        with st.form(KEY + "status_form"):
            options = list(TRANSITIONS[plan.status])
            to = st.selectbox("Move to", options, key=KEY + "to_status",
                              disabled=not options)
            # Keyed per plan: a name and reason typed for one plan do not follow to another.
            who = st.text_input("Who decides", key=f"{KEY}status_who.{plan_id}")
            why = st.text_input("Why", key=f"{KEY}status_why.{plan_id}")
            if st.form_submit_button("Change status", disabled=not options):
                try:
                    plans.set_status(con, plan_id, to, who=who, why=why)
                    widgets.flash_and_rerun(f"Plan is now {to}.")
                except PromoLabError as e:
                    st.error(str(e))
        st.dataframe(plans.decision_log(con, plan_id).fillna({"from_status": "–"}),
                     hide_index=True, key=KEY + "log")

        st.markdown("#### Versions")
        versions = plans.list_versions(con, plan_id)
        st.dataframe(versions, hide_index=True, key=KEY + "versions",
                     column_config=widgets.figure_columns(versions, cost=MONEY))
        if plan.status in plans.store.EDITABLE and st.button(
                "Re-forecast with the current champion (new version)", key=KEY + "reforecast"):
            try:
                with st.spinner("Forecasting…"):
                    targets = plans.load_targets(con, plan_id, plan.version)
                    forecast = builder.rebuild(con, plan.payload, as_of, targets=targets)
                    v = plans.save_version(con, plan_id, forecast, note=f"re-forecast {as_of}")
                widgets.flash_and_rerun(f"Saved version {v}.")
            except PromoLabError as e:
                st.error(str(e))
        if len(versions) > 1:
            c1, c2 = st.columns(2)
            numbers = [int(v) for v in versions["version"]]
            old = c1.selectbox("Compare version", numbers[1:], key=KEY + "old")
            new = c2.selectbox("with version", numbers, key=KEY + "new")
            d = plans.diff_versions(con, plan_id, int(old), int(new))
            st.info(d.summary())
            st.dataframe(_diff_table(d.forecast), hide_index=True, key=KEY + "diff")

        st.markdown("#### Exports")
        st.caption("Target list (CSV), workbook (XLSX) and a report that opens offline "
                   "(HTML, print it to PDF). File names carry plan, version and week.")
        prepared = st.session_state.setdefault(EXPORTS, {})
        if st.button("Prepare exports", key=KEY + "prepare"):
            with st.spinner("Writing the files…"):
                # Keyed by status too: files prepared before a status change say the old one.
                prepared[(plan_id, plan.version, plan.status)] = [
                    fn(con, plan_id, plan.version) for fn in
                    (plans.export_targets_csv, plans.export_workbook, plans.export_report)]
        files = prepared.get((plan_id, plan.version, plan.status))
        if files:
            cols = st.columns(3)
            mimes = ("text/csv", "application/vnd.openxmlformats-officedocument."
                     "spreadsheetml.sheet", "text/html")
            for col, file, mime, label in zip(cols, files, mimes, ("CSV", "XLSX", "HTML"),
                                              strict=True):
                col.download_button(f"Download {label}", file.read_bytes(), file_name=file.name,
                                    mime=mime, key=KEY + "dl_" + label)

with tab_review:
    if listing.empty:
        st.info("Nothing to review yet.")
    else:
        ids = [int(i) for i in listing["plan_id"]]
        names = dict(zip(ids, listing["name"] + " · week of " + listing["week"].astype(str),
                         strict=True))
        rid = st.selectbox("Plan to review", ids, key=KEY + "review_plan", format_func=names.get)
        plan = plans.load_version(con, rid)
        if db.get_meta(con, "dataset_kind") == "demo" and plan.status == "approved":
            share = st.slider("Hold-out share", 0.05, 0.5, 0.2, 0.05, key=KEY + "holdout")
            if st.button("Simulate the week (demo shop)", key=KEY + "simulate"):
                try:
                    with st.spinner("Drawing outcomes from the true effect and importing…"):
                        res = simulate.simulate_run(con, path, rid, holdout_share=share)
                    widgets.flash_and_rerun(res.summary())
                except PromoLabError as e:
                    st.error(str(e))
        elif db.get_meta(con, "dataset_kind") == "demo" and plan.status == "draft":
            st.info("A plan runs once it is approved: approve it on the Plans tab, then "
                    "simulate its week here.")
        result = review.review_plan(con, rid)
        st.markdown(f"**{result.verdict()}**")
        if pd.notna(result.total["actual_lift"]):
            st.dataframe(result.table, hide_index=True, key=KEY + "review_table",
                         column_config={c: PCT for c in ("treated_rate", "control_rate",
                                                         "actual_lift", "lift_low", "lift_high",
                                                         "forecast_lift", "forecast_low",
                                                         "forecast_high", "error")})
            st.plotly_chart(charts.build_plan_vs_actual_chart(result.table),
                            key=KEY + "pva_chart")
            if result.unmatched:
                st.warning(f"{result.unmatched:,} exposures of that week are of customers not "
                           "on the plan's target list; they are left out.")
            if st.button("Retrain the champion on the new weeks", key=KEY + "retrain"):
                try:
                    with st.spinner("Retraining (one model at a time)…"):
                        job = weekly.JobResult(0)
                        weekly.retrain_champion(con, job, as_of)
                    widgets.flash_and_rerun(" ".join(job.messages))
                except PromoLabError as e:
                    st.error(str(e))
        ledger = review.forecast_ledger(con)
        if len(ledger):
            st.markdown("#### Forecast-error ledger")
            st.plotly_chart(charts.build_ledger_chart(ledger), key=KEY + "ledger_chart")
            st.dataframe(ledger, hide_index=True, key=KEY + "ledger",
                         column_config={"week": WEEK, **{c: PCT for c in (
                             "forecast_lift", "forecast_low", "forecast_high", "actual_lift",
                             "lift_low", "lift_high", "error")}})
