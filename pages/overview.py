"""Overview: what the active shop looks like at a glance."""

import streamlit as st

from promo_core import datasets
from ui import cache, widgets
from ui.widgets import money

path, version = cache.active_path(), cache.active_version()
kpis = cache.load_kpis(path, version)

st.title(datasets.label(path))
if kpis["orders"] == 0:
    st.warning("This data set has no orders yet. Load some on the Import data page.")
    st.stop()

st.caption(
    f"Orders from {kpis['first_order']:%d %b %Y} to {kpis['last_order']:%d %b %Y}. "
    "Revenue is at list price; the discount given is shown beside it."
)
cols = st.columns(6)
cols[0].metric("Customers", f"{kpis['customers']:,}")
cols[1].metric("Active in last 90 days", f"{kpis['active_90d']:,}")
cols[2].metric("Orders", f"{kpis['orders']:,}")
cols[3].metric("Revenue", money(kpis["revenue"]))
cols[4].metric("Average order value", money(kpis["aov"]))
cols[5].metric("Discount given", money(kpis["discount"]),
               help="Total discount across all orders, at the shop's cost.")

widgets.render_sales_charts(path, version, "overview")

cols = st.columns(3)
cols[0].metric("Past promotions", f"{kpis['promotions']:,}")
cols[1].metric("Exposures (incl. control)", f"{kpis['exposures']:,}")
cols[2].metric("Orders per buyer", f"{kpis['orders_per_buyer']:.1f}")
