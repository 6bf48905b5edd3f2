"""Figures of the Overview and Data pages."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from promo_core.charts import fit_labels

ACCENT = "#d6336c"
MUTED = "#868e96"


def build_monthly_sales_chart(monthly: pd.DataFrame) -> go.Figure:
    """Revenue bars (with the discount given) and orders as a line, per month."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_bar(x=monthly["month"], y=monthly["revenue"], name="Revenue (list price)",
                marker_color=ACCENT, opacity=0.85)
    fig.add_bar(x=monthly["month"], y=monthly["discount"], name="Discount given",
                marker_color=MUTED)
    fig.add_scatter(x=monthly["month"], y=monthly["orders"], name="Orders",
                    mode="lines+markers", line={"color": "#1c7ed6"}, secondary_y=True)
    fig.update_layout(barmode="overlay", height=360, margin={"t": 30, "b": 10},
                      legend={"orientation": "h", "y": 1.12})
    fig.update_yaxes(title_text="Revenue", secondary_y=False)
    # Round ticks of its own; plotly would otherwise align them to the revenue grid.
    fig.update_yaxes(title_text="Orders", secondary_y=True, showgrid=False,
                     tickformat=",d", rangemode="tozero", tickmode="auto", nticks=6)
    return fit_labels(fig)


def build_orders_per_customer_chart(dist: pd.DataFrame) -> go.Figure:
    """Customers by number of orders placed, as bars with their share."""
    fig = go.Figure(
        go.Bar(
            x=dist["orders"], y=dist["customers"], marker_color=ACCENT,
            text=[f"{s:.0%}" for s in dist["share"]], textposition="outside",
        )
    )
    fig.update_layout(height=320, margin={"t": 30, "b": 10},
                      xaxis_title="Orders per customer", yaxis_title="Customers",
                      xaxis_type="category")
    return fit_labels(fig)
