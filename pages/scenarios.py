"""Scenarios: candidate promotions, scenarios side by side, depth curve, budget optimiser."""

from __future__ import annotations

import time
from dataclasses import asdict

import numpy as np
import pandas as pd
import streamlit as st

from promo_core import depth_curve as dc
from promo_core import forecast as fc
from promo_core import optimise as op
from promo_core import plans, promotions, uplift
from promo_core import scenarios as sc
from promo_core.charts import scenarios as charts
from promo_core.errors import PromoLabError, ValidationError
from ui import cache, state, widgets

KEY = "scenarios."
EVERYONE = sc.EVERYONE
NONE = "No promotion"


def money_columns(frame: pd.DataFrame) -> dict:
    """Figures labelled and formatted as on every page; other decimals in whole units."""
    config = widgets.figure_columns(frame)
    for col in frame.columns:
        formatted = "type_config" in config.get(col, {})
        if not formatted and pd.api.types.is_float_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(str(col).replace("_", " ").capitalize(),
                                                        format="%,.0f")
    return config


def fail(error: Exception) -> None:
    problems = getattr(error, "problems", None)
    st.error("\n".join(f"- {p.describe()}" for p in problems) if problems else str(error))


path, version = cache.active_path(), cache.active_version()
con = cache.active_connection()
as_of = st.session_state.get(state.AS_OF)
st.title("Scenarios")
st.caption("Which promotion, to whom, for how much — and what comes back. Net incremental "
           "profit = incremental gross margin − promotion cost; the discount is counted "
           "once, as a cost, including on customers who would have bought anyway.")

model_id = uplift.champion_id(con)
if model_id is None:
    st.warning("No champion uplift model yet: forecasts need one. Train a model and make it "
               "the champion on the Uplift models page.")
    st.page_link("pages/uplift.py", label="Go to Uplift models", icon=":material/trending_up:")
    st.stop()
try:
    model = cache.load_model(path, version, model_id)
    features = cache.load_features(path, version, as_of)
except (PromoLabError, ValueError, OSError) as e:
    fail(e)
    st.stop()
margin_rate, sigma = cache.load_shop_rates(path, version, as_of)
ids = features["customer_id"].to_numpy()
population = sc.Population.from_members(ids, {EVERYONE: ids, **cache.load_segment_members(path,
                                                                                   version)})
promo_rows = promotions.list_promotions(con)
promos = {r["name"]: promotions.promotion_dict(r) for _, r in promo_rows.iterrows()}
st.caption(f"Champion: **{model.learner}-learner · {model.outcome}** · {len(ids):,} customers "
           f"as of {as_of} · gross margin rate {margin_rate:.1%} · basket log-sd {sigma:.2f}")
if model.learner != "S":
    # T- and X-learners score only the promotions they were trained on.
    promos = {n: p for n, p in promos.items() if p.get("promo_id") in model.arms}
    st.warning(f"The champion is a {model.learner}-learner: it can only forecast the "
               f"promotions it was trained on ({', '.join(promos) or 'none'}). To plan new "
               "promotions or depths, make an S-learner trained on several promotions the "
               "champion on the Uplift models page.")
elif len(model.arms) < 2:
    st.warning("The champion S-learner was trained on a single past promotion, so it cannot "
               "tell depths or mechanics apart: every candidate gets the same uplift. Train "
               "it on several promotions on the Uplift models page before comparing offers.")


def forecast_of(name: str) -> fc.CustomerForecast:
    p = promos[name]
    key = fc.forecast_key(model_id, as_of, p)
    return cache.load_forecast(path, version, model_id, as_of, key, p)


# Keyed: a message shown above the page (after a save) must not reset the open tab.
tab_cand, tab_scen, tab_depth, tab_opt = st.tabs(
    ["Candidate promotions", "Compare scenarios", "Depth curve", "Optimiser"],
    key=KEY + "tabs")

with tab_cand:
    st.subheader("New candidate promotion")
    kind = st.selectbox("Mechanic", list(promotions.MECHANIC_FIELDS), key=KEY + "kind",
                        format_func=lambda k: k.replace("_", " "))
    with st.form(KEY + "candidate"):
        c = st.columns(3)
        draft = {"promo_type": kind, "name": c[0].text_input("Name", key=KEY + "name")}
        draft["channel"] = c[1].selectbox("Channel", promotions.CHANNELS, key=KEY + "channel")
        draft["duration_days"] = c[2].number_input("Duration (days)", value=14, step=1,
                                                   key=KEY + "duration")
        c = st.columns(3)
        draft["cost_per_contact"] = c[0].number_input("Cost per contact", value=0.05,
                                                      step=0.01, key=KEY + "contact")
        draft["fixed_cost"] = c[1].number_input("Fixed cost", value=250.0, step=50.0,
                                                key=KEY + "fixed")
        fields = promotions.MECHANIC_FIELDS[kind]
        cols = st.columns(max(1, len(fields)))
        for col, (field, label) in zip(cols, fields.items(), strict=False):
            if field == "category":
                draft[field] = col.text_input(label, key=KEY + field)
            else:
                draft[field] = col.number_input(label, value=None, step=1.0,
                                                key=f"{KEY}{kind}.{field}")
        if st.form_submit_button("Save candidate", type="primary"):
            try:
                new_id = promotions.save_candidate(con, draft)
                widgets.flash_and_rerun(f"Saved candidate #{new_id}: {draft['name']} "
                                        f"({promotions.describe(draft)}), at the top of the "
                                        "list below and in every promotion picker.")
            except ValidationError as e:
                fail(e)
    shown = promo_rows.assign(mechanic=[promotions.describe(promotions.promotion_dict(r))
                                        for _, r in promo_rows.iterrows()])
    shown = shown.sort_values(["is_candidate", "promo_id"], ascending=False)  # newest first
    st.dataframe(shown[["promo_id", "name", "mechanic", "channel", "duration_days",
                        "cost_per_contact", "fixed_cost", "is_candidate"]],
                 hide_index=True, key=KEY + "promotions")

scenarios_ = st.session_state.setdefault(KEY + "list", [])

with tab_scen:
    st.subheader("Build a scenario")
    chosen = st.multiselect("Segments (earlier ones take precedence)", list(population.segments),
                            key=KEY + "segs")
    with st.form(KEY + "scenario"):
        name = st.text_input("Scenario name", key=KEY + "scen_name")
        picks = [st.selectbox(f"Promotion for {s}", [NONE, *promos], key=f"{KEY}pick.{s}")
                 for s in chosen]
        if st.form_submit_button("Add scenario", type="primary"):
            if not chosen:
                st.error("Choose at least one segment for the scenario.")
            elif not name.strip():
                st.error("Give the scenario a name.")
            elif name.strip() in [s.name for s in scenarios_]:
                st.error(f"A scenario named '{name.strip()}' exists already.")
            else:
                scenarios_.append(sc.Scenario(name.strip(), [
                    (s, None if p == NONE else p) for s, p in zip(chosen, picks, strict=True)]))
                st.rerun()
    if not scenarios_:
        st.info("Add two or more scenarios to compare them side by side.")

    @st.fragment
    def compare() -> None:
        what_if = st.toggle("What-if: one cost per contact for every promotion",
                            key=KEY + "what_if")
        contact = st.slider("Cost per contact", 0.0, 1.0, 0.05, 0.01,
                            key=KEY + "contact_override", disabled=not what_if)
        override = {"cost_per_contact": contact} if what_if else None
        try:
            fcs = {p: forecast_of(p) for s in scenarios_ for _, p in s.assignments if p}
        except (ValueError, PromoLabError) as e:
            fail(e)
            return
        start = time.perf_counter()  # economics only: forecasts come from the cache
        results = [sc.evaluate_scenario(s, population, fcs, promos, margin_rate, sigma,
                                        override) for s in scenarios_]
        table = sc.compare_scenarios(results)[
            ["scenario", "contacts", "inc_conversions", "inc_margin", "promotion_cost",
             "net_profit", "net_profit_low", "net_profit_high", "roi",
             "break_even_contact_cost", "best"]]
        st.dataframe(table, hide_index=True, key=KEY + "comparison",
                     column_config=money_columns(table))
        st.caption(f"Economics recomputed in {(time.perf_counter() - start) * 1000:,.0f} ms "
                   "from cached forecasts.")
        st.plotly_chart(charts.build_waterfall_chart(
            {r.name: sc.waterfall_steps(r) for r in results}), key=KEY + "waterfall")
        segs = pd.concat([r.by_segment[r.by_segment.segment != sc.TOTAL].assign(scenario=r.name)
                          for r in results], ignore_index=True)
        st.plotly_chart(charts.build_profit_vs_cost_chart(segs), key=KEY + "profit_cost")
        with st.expander("Per segment"):
            st.dataframe(segs, hide_index=True, key=KEY + "per_segment",
                         column_config=money_columns(segs))

    if scenarios_:
        compare()
        by_name = {s.name: s for s in scenarios_}
        to_save = st.selectbox("Scenario to save", list(by_name), key=KEY + "to_save")

        def scenario_plan() -> plans.PlanForecast:
            scen = by_name[to_save]
            fcs = {p: forecast_of(p) for _, p in scen.assignments if p}
            return plans.from_scenario(scen, population, fcs, promos, as_of=as_of,
                                       margin_rate=margin_rate, basket_sigma=sigma,
                                       **plans.plan_context(con, model_id))

        widgets.render_save_plan(KEY + "save_scenario", to_save, scenario_plan)
        if st.button("Clear scenarios", key=KEY + "clear"):
            scenarios_.clear()
            st.rerun()

with tab_depth:
    st.subheader("Discount depth curve")
    segs_d = st.multiselect("Segments", list(population.segments), default=[EVERYONE],
                            key=KEY + "depth_segs")
    if model.learner != "S":
        st.info("The depth curve scores depths that were never run: it needs an S-learner "
                "champion.")
    elif len(model.arms) < 2:
        st.info("The champion S-learner saw a single promotion, so every depth would get the "
                "same uplift and no depth could be called best. Train it on several "
                "promotions on the Uplift models page.")
    elif not segs_d:
        st.error("Choose at least one segment.")
    else:
        template = {"promo_type": "percent_off", "channel": "email", "duration_days": 14,
                    "cost_per_contact": 0.05, "fixed_cost": 0.0}
        fcs = cache.load_depth_forecasts(path, version, model_id, as_of,
                                   fc.forecast_key(model_id, as_of, template), template)
        curve = dc.compute_depth_curve(fcs, population, segs_d, template, margin_rate, sigma)
        best = dc.optimal_depths(curve)
        st.plotly_chart(charts.build_depth_curve_chart(curve, best), key=KEY + "depth_chart")
        st.dataframe(best, hide_index=True, key=KEY + "best_depth",
                     column_config=money_columns(best))

        @st.fragment
        def at_depth() -> None:
            depth = st.select_slider("Depth (% off)", sorted(fcs), value=10.0,
                                     key=KEY + "depth")
            cost = st.slider("Cost per contact", 0.0, 1.0, 0.05, 0.01, key=KEY + "depth_cost")
            start = time.perf_counter()
            promo = {**template, "value": depth, "cost_per_contact": cost}
            label = f"{depth:g} % off"
            scen = sc.Scenario(label, [(s, label) for s in segs_d])
            res = sc.evaluate_scenario(scen, population, {label: fcs[depth]},
                                       {label: promo}, margin_rate, sigma)
            st.dataframe(res.by_segment, hide_index=True, key=KEY + "depth_table",
                         column_config=money_columns(res.by_segment))
            st.caption(f"Recomputed in {(time.perf_counter() - start) * 1000:,.0f} ms.")

        at_depth()

with tab_opt:
    st.subheader("Budget optimiser")
    with st.form(KEY + "optimiser"):
        options_ = st.multiselect("Candidate promotions", list(promos), key=KEY + "opt_promos")
        segs_o = st.multiselect("Segments for the per-segment view and limits",
                                [s for s in population.segments if s != EVERYONE],
                                key=KEY + "opt_segs")
        c = st.columns(4)
        budget = c[0].number_input("Budget", value=1000.0, step=100.0, key=KEY + "budget")
        share = c[1].slider("Max share contacted", 0.0, 1.0, 1.0, 0.05, key=KEY + "share")
        min_roi = c[2].number_input("Minimum ROI (empty: none)", value=None,
                                    key=KEY + "min_roi")
        floor = c[3].number_input("Margin floor after reward (empty: none)", value=None,
                                  key=KEY + "floor")
        caps = st.number_input("Cap per promotion (contacts; 0: none)", value=0, step=100,
                               key=KEY + "cap")
        run = st.form_submit_button("Optimise", type="primary")
    if run:
        # Messages belong to the click that caused them; a valid run stays shown.
        problem = ("Choose at least one candidate promotion." if not options_ else
                   "The budget must be more than 0." if budget <= 0 else None)
        if problem:
            st.error(problem)
        st.session_state[KEY + "opt_run"] = problem is None
    if st.session_state.get(KEY + "opt_run") and options_ and budget > 0:
        labels = np.full(population.size, -1)
        for i, s in enumerate(segs_o):
            pos = population.segments[s]
            labels[pos[labels[pos] == -1]] = i
        try:
            fcs = {p: forecast_of(p) for p in options_}
        except (ValueError, PromoLabError) as e:
            fail(e)
            st.stop()
        cons = op.Constraints(budget=float(budget), max_contact_share=float(share),
                              promo_caps={p: int(caps) for p in options_} if caps else {},
                              min_roi=min_roi, margin_floor=floor)
        try:
            opts = op.build_options(fcs, promos, margin_rate, sigma, labels, segs_o, floor)
            plan = op.optimise(opts, cons)
        except op.InfeasibleError as e:
            st.error(f"Infeasible — {e}")
            st.stop()
        m = st.columns(4)
        m[0].metric("Expected net profit", widgets.money(plan.net_profit))
        m[1].metric("Promotion cost", widgets.money(plan.promotion_cost))
        m[2].metric("Customers contacted", f"{plan.contacts:,}")
        m[3].metric("Optimality gap", f"{plan.gap:,.0f} ({plan.gap_share:.2%})",
                    help="Upper bound (Lagrangian/LP relaxation) minus the plan's profit.")
        if plan.contacts == 0:
            st.warning("Nobody is worth contacting at these costs: no option's expected "
                       "net profit is positive, or none covers its fixed cost.")
        plan_net = sc.plan_members(plan.choice, opts.keys, fcs, promos, margin_rate, sigma)
        blankets = {p: sc.blanket_members(fcs[p], promos[p], budget, share, margin_rate,
                                          sigma) for p in options_}
        table, verdict = sc.compare_with_blanket(plan_net, blankets)
        st.dataframe(table, hide_index=True, key=KEY + "vs_blanket",
                     column_config=money_columns(table))
        st.info(verdict)
        by_segment = op.plan_by_segment(opts, plan)
        st.dataframe(by_segment, hide_index=True, key=KEY + "plan",
                     column_config=money_columns(by_segment))
        st.caption("Per segment and promotion; each promotion's fixed cost is a row of "
                   "its own, and the total row equals the figures above.")
        budgets = np.linspace(0.1, 2.0, 8) * budget
        frontier = op.efficient_frontier(opts, cons, budgets)
        st.plotly_chart(charts.build_frontier_chart(frontier, budget, plan.net_profit),
                        key=KEY + "frontier")
        if plan.contacts:
            others = len(segs_o)  # customers in none of the chosen segments

            def optimiser_plan() -> plans.PlanForecast:
                return plans.from_choice(
                    plan.choice, opts.keys, np.where(labels < 0, others, labels),
                    [*segs_o, sc.OTHERS], ids, fcs, promos,
                    name=f"Optimised, budget {budget:,.0f}", as_of=as_of,
                    margin_rate=margin_rate, basket_sigma=sigma,
                    **plans.plan_context(con, model_id, budget, asdict(cons)))

            widgets.render_save_plan(KEY + "save_optimised",
                                     f"Optimised plan, budget {budget:,.0f}", optimiser_plan)
