"""Overview: what the active shop looks like at a glance."""

import streamlit as st

from promo_core import datasets
from promo_core.charts import overview as charts
from ui import cache
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

left, right = st.columns([3, 2])
with left:
    st.subheader("Revenue and orders per month")
    st.plotly_chart(charts.build_monthly_sales_chart(cache.load_monthly_sales(path, version)),
                    key="overview.monthly")
with right:
    st.subheader("Orders per customer")
    st.plotly_chart(
        charts.build_orders_per_customer_chart(cache.load_orders_per_customer(path, version)),
        key="overview.orders_per_customer",
    )

cols = st.columns(3)
cols[0].metric("Past promotions", f"{kpis['promotions']:,}")
cols[1].metric("Exposures (incl. control)", f"{kpis['exposures']:,}")
cols[2].metric("Orders per buyer", f"{kpis['orders_per_buyer']:.1f}")
