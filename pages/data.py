"""Data: the tables of the active data set and their quality."""

import streamlit as st

from promo_core import datasets
from ui import cache

path, version = cache.active_path(), cache.active_version()
st.title("Data")
st.caption(f"Data set: **{datasets.label(path)}** · file `{path}`")

st.subheader("Tables")
summary = cache.load_table_summary(path, version)
# Tables without dates (products, order lines) show a dash, not "None".
dates = {c: [d.isoformat() if d is not None and d == d else "–" for d in summary[c]]
         for c in ("from", "to")}
st.dataframe(
    summary.assign(**dates), hide_index=True,
    column_config={"rows": st.column_config.NumberColumn("rows", format="localized")},
)

st.subheader("Data quality")
report = cache.load_quality_report(path, version)
problems = report[(report["rows"] > 0) & (report["severity"] == "error")]
if problems.empty:
    st.success("No blocking problems found: keys are unique and every order and exposure "
               "belongs to a known customer.")
else:
    st.error(f"{len(problems)} check(s) found problems: "
             + ", ".join(f"{r.check} ({r.rows:,})" for r in problems.itertuples()))
st.dataframe(
    report, hide_index=True,
    column_config={"rows": st.column_config.NumberColumn("rows", format="localized")},
)

st.caption("Sales over time and orders per customer are on the Overview page.")
