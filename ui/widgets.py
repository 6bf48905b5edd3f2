"""Shared render helpers: the sidebar, error display, number formats."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from promo_core import datasets, paths
from promo_core.errors import PromoLabError, ValidationError
from ui import cache, state


def init_session() -> None:
    """Session defaults; the active data set is the demo shop unless chosen otherwise."""
    if state.ACTIVE_DATASET not in st.session_state or not Path(
        st.session_state[state.ACTIVE_DATASET]
    ).exists():
        available = datasets.list_datasets()
        st.session_state[state.ACTIVE_DATASET] = str(available[0] if available else paths.DEMO_DB)
        st.session_state.pop(state.AS_OF, None)
    if state.AS_OF not in st.session_state:
        # Back on a data set seen before: keep the date chosen for it then.
        chosen = st.session_state.get(_as_of_key(st.session_state[state.ACTIVE_DATASET]))
        st.session_state[state.AS_OF] = chosen or datasets.default_as_of(cache.active_connection())


def _as_of_key(path: str) -> str:
    # One date widget per data set, so a switch shows the new data set's own date.
    return f"app.as_of_picker:{path}"


def _on_dataset_change() -> None:
    st.session_state[state.ACTIVE_DATASET] = st.session_state["app.dataset_picker"]
    st.session_state.pop(state.AS_OF, None)


def _on_as_of_change(key: str) -> None:
    st.session_state[state.AS_OF] = st.session_state[key]


def render_sidebar() -> None:
    """Active data set picker, the analysis as-of date and the data set's size."""
    active = st.session_state[state.ACTIVE_DATASET]
    options = [str(p) for p in datasets.list_datasets()]
    if active not in options:
        options.insert(0, active)
    # A page may switch the data set (e.g. after an import): make the picker follow.
    if st.session_state.get("app.dataset_picker") != active:
        st.session_state["app.dataset_picker"] = active
    with st.sidebar:
        st.selectbox(
            "Data set", options, format_func=datasets.label,
            key="app.dataset_picker", on_change=_on_dataset_change,
            help="The demo shop, or a data set you imported on the Import data page.",
        )
        con = cache.active_connection()
        first, last = datasets.date_bounds(con)
        as_of = st.session_state[state.AS_OF]
        if first is not None and as_of is not None:
            st.date_input(
                "Analysis as of", value=as_of, min_value=first, max_value=last,
                key=_as_of_key(active), on_change=_on_as_of_change, args=(_as_of_key(active),),
                help="Profiles, segments and models use only data from before this day; "
                "the default is the day after the last order.",
            )
        kpis = cache.load_kpis(cache.active_path(), cache.active_version())
        st.caption(
            f"{kpis['customers']:,} customers · {kpis['orders']:,} orders · "
            f"{kpis['promotions']:,} promotions"
        )


def flash_and_rerun(text: str) -> None:
    """Rerun the page and show ``text`` once it has redrawn (see :func:`render_flash`)."""
    st.session_state[state.FLASH] = text
    st.rerun()


def render_flash() -> None:
    """Show (once) the message a page left before a rerun."""
    message = st.session_state.pop(state.FLASH, None)
    if message:
        st.success(message)


def render_error(error: Exception) -> None:
    """One clear message for a PromoLabError; every validation problem on its own line."""
    if isinstance(error, ValidationError):
        lines = "\n".join(f"- {p.describe()}" for p in error.problems)
        st.error(f"**{error.source}** could not be used:\n{lines}\n\nNothing was changed.")
    elif isinstance(error, PromoLabError):
        st.error(str(error))
    else:
        raise error


def money(x: float | None, symbol: str = "£") -> str:
    if x is None:
        return "–"
    sign = "−" if x < 0 else ""
    x = abs(x)
    if x >= 1e6:
        return f"{sign}{symbol}{x / 1e6:,.2f}M"
    if x >= 1e4:
        return f"{sign}{symbol}{x / 1e3:,.1f}k"
    return f"{sign}{symbol}{x:,.2f}"


# Display formats of figure kinds (promo_core.plans.payload.FIGURES) in tables.
_FORMATS = {"money": "£%,.0f", "count": "%,d", "decimal": "%,.1f", "percent": "percent",
            "pp": "%.2f pp"}


def figure_columns(frame: pd.DataFrame, **overrides) -> dict:
    """Column config for a table of plan / scenario figures: the figures' labels and
    number formats, so every page shows ``net_profit`` as "Net incremental profit" in
    whole pounds. ``overrides``: column → config, for columns that are not figures."""
    from promo_core.plans.payload import figure_kind, figure_label

    config: dict = {}
    for col in frame.columns:
        kind = figure_kind(col)
        if kind in _FORMATS and pd.api.types.is_numeric_dtype(frame[col]):
            fmt = "£%.2f" if col == "break_even_contact_cost" else _FORMATS[kind]  # per contact
            config[col] = st.column_config.NumberColumn(figure_label(col), format=fmt)
        elif isinstance(col, str) and col.islower():
            config[col] = st.column_config.Column(col.replace("_", " ").capitalize())
    return {**config, **overrides}


def ensure_demo_built() -> None:
    """First start on a fresh machine: build the demo shop, with a progress bar."""
    if paths.DEMO_DB.exists() or datasets.list_datasets():
        return
    from promo_core.demo import build_demo

    st.title("Promo Lab")
    st.info("First start: building the demo shop (about 20,000 customers). "
            "This takes a few seconds.")
    bar = st.progress(0.0, text="Starting…")
    build_demo(paths.DEMO_DB, progress=lambda f, msg: bar.progress(min(max(f, 0.0), 1.0), text=msg))
    bar.empty()
    st.rerun()


def next_monday(day):
    """The Monday on or after ``day``: plans run by the week."""
    from datetime import timedelta

    return day + timedelta(days=(7 - day.weekday()) % 7)


def render_save_plan(key: str, default_name: str, build) -> None:
    """A small form: plan name, week and note; on submit ``build()`` makes the plan
    forecast and it is saved as a new draft plan (or, when asked, a new version of the
    plan of that name and week). Errors are shown here."""
    from datetime import date

    from promo_core import plans

    # Enter in a text box does not submit: the plan is saved by the button only.
    with st.form(key, enter_to_submit=False):
        st.markdown("**Save as a plan** for the weekly review")
        c = st.columns([2, 1, 2])
        # Keyed by the default, so choosing another scenario offers its own name.
        name = c[0].text_input("Plan name", value=default_name, key=f"{key}.name.{default_name}")
        as_of = st.session_state.get(state.AS_OF) or date.today()
        week = c[1].date_input("Week", value=next_monday(as_of), key=f"{key}.week")
        note = c[2].text_input("Note (who, why)", key=f"{key}.note")
        add = st.checkbox("If a plan of this name exists for the week, save a new version of it",
                          key=f"{key}.add_version")
        if st.form_submit_button("Save as plan", icon=":material/save:"):
            try:
                plan_id, version = plans.save_plan(
                    cache.active_connection(), name, week, build(), note=note, who="analyst",
                    add_version=add)
            except PromoLabError as e:
                render_error(e)
                return
            st.success(f"Saved plan #{plan_id} '{name.strip()}', version {version}, week of "
                       f"{week}. Export and review it on the Plans & review page.")
            st.page_link("pages/plans.py", label="Open Plans & review",
                         icon=":material/event_note:")


def render_sales_charts(path: str, version: str, key: str) -> None:
    """Revenue and orders per month beside the orders-per-customer distribution."""
    from promo_core.charts import overview as charts

    left, right = st.columns([3, 2])
    with left:
        st.subheader("Revenue and orders per month")
        st.plotly_chart(charts.build_monthly_sales_chart(cache.load_monthly_sales(path, version)),
                        key=f"{key}.monthly")
    with right:
        st.subheader("Orders per customer")
        st.plotly_chart(
            charts.build_orders_per_customer_chart(cache.load_orders_per_customer(path, version)),
            key=f"{key}.orders_per_customer",
        )
