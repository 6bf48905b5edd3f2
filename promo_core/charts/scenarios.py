"""Figures of the Scenarios page, drawn from frames computed in promo_core.scenarios,
promo_core.depth_curve and promo_core.optimise."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from promo_core.charts import fit_labels

POSITIVE, NEGATIVE, TOTAL = "#2b8a3e", "#c92a2a", "#1c7ed6"
PALETTE = ("#1c7ed6", "#d6336c", "#2b8a3e", "#f08c00", "#7048e8", "#0c8599")


def build_waterfall_chart(steps: dict[str, pd.DataFrame]) -> go.Figure:
    """One profit waterfall per scenario: incremental margin, minus each cost, = net."""
    names = list(steps)
    fig = make_subplots(rows=1, cols=max(1, len(names)), shared_yaxes=True,
                        subplot_titles=names)
    for i, name in enumerate(names, start=1):
        df = steps[name]
        fig.add_trace(go.Waterfall(
            x=df["step"], y=df["amount"], measure=df["measure"], name=name,
            increasing={"marker": {"color": POSITIVE}},
            decreasing={"marker": {"color": NEGATIVE}},
            totals={"marker": {"color": TOTAL}}, showlegend=False,
            texttemplate="%{y:,.0f}", textposition="outside"), row=1, col=i)
    fig.update_layout(height=420, margin={"t": 40, "b": 10}, yaxis_title="Money")
    fig.update_xaxes(tickangle=-35)
    return fit_labels(fig)


def build_profit_vs_cost_chart(by_segment: pd.DataFrame) -> go.Figure:
    """Net incremental profit against promotion cost, one point per scenario × segment.

    ``by_segment``: rows with ``scenario, segment, promotion, promotion_cost,
    net_profit, net_profit_low, net_profit_high``; the band is an error bar.
    """
    fig = go.Figure()
    for i, (scenario, df) in enumerate(by_segment.groupby("scenario", sort=False)):
        err = None
        if df["net_profit_low"].notna().any():
            err = {"type": "data", "symmetric": False,
                   "array": df["net_profit_high"] - df["net_profit"],
                   "arrayminus": df["net_profit"] - df["net_profit_low"]}
        fig.add_scatter(x=df["promotion_cost"], y=df["net_profit"], mode="markers+text",
                        name=str(scenario), text=df["segment"], textposition="top center",
                        error_y=err, marker={"size": 11, "color": PALETTE[i % len(PALETTE)]},
                        customdata=df[["promotion"]],
                        hovertemplate="%{text} · %{customdata[0]}<br>cost %{x:,.0f}"
                                      "<br>net profit %{y:,.0f}<extra></extra>")
    fig.add_hline(y=0, line={"color": "#868e96", "dash": "dash"})
    fig.update_layout(height=400, margin={"t": 30, "b": 10},
                      xaxis_title="Promotion cost (discounts, rewards, contacts, fixed)",
                      yaxis_title="Net incremental profit", legend={"orientation": "h",
                                                                    "y": -0.2})
    return fit_labels(fig)


def build_depth_curve_chart(curve: pd.DataFrame, best: pd.DataFrame) -> go.Figure:
    """Net incremental profit vs depth per segment with its band; the optimum marked."""
    fig = go.Figure()
    for i, (segment, df) in enumerate(curve.groupby("segment", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        df = df.sort_values("depth")
        if df["low"].notna().any():
            fig.add_scatter(x=np.r_[df["depth"], df["depth"][::-1]],
                            y=np.r_[df["high"], df["low"][::-1]], fill="toself",
                            fillcolor=color, opacity=0.15, line={"width": 0},
                            hoverinfo="skip", showlegend=False)
        fig.add_scatter(x=df["depth"], y=df["net_profit"], mode="lines+markers",
                        name=str(segment), line={"color": color})
        row = best[best["segment"] == segment]
        if len(row):
            r = row.iloc[0]
            fig.add_scatter(x=[r["best_depth"]], y=[r["net_profit"]], mode="markers",
                            marker={"symbol": "star", "size": 16, "color": color},
                            name=f"{segment}: best {r['best_depth']:g} %", showlegend=True)
    fig.add_hline(y=0, line={"color": "#868e96", "dash": "dash"})
    fig.update_layout(height=400, margin={"t": 30, "b": 10}, xaxis_title="Discount depth (% off)",
                      yaxis_title="Net incremental profit (fixed cost excluded)",
                      legend={"orientation": "h", "y": -0.2})
    return fit_labels(fig)


def build_frontier_chart(frontier: pd.DataFrame, chosen_budget: float,
                         chosen_profit: float) -> go.Figure:
    """Budget → best expected net profit (with the bound), the chosen budget marked."""
    fig = go.Figure()
    fig.add_scatter(x=frontier["budget"], y=frontier["bound"], mode="lines",
                    name="Upper bound (LP relaxation)",
                    line={"color": "#adb5bd", "dash": "dot"})
    fig.add_scatter(x=frontier["budget"], y=frontier["net_profit"], mode="lines+markers",
                    name="Optimised plan", line={"color": TOTAL, "width": 3})
    fig.add_scatter(x=[chosen_budget], y=[chosen_profit], mode="markers+text",
                    marker={"size": 16, "color": NEGATIVE, "symbol": "diamond"},
                    text=["chosen budget"], textposition="top center", name="Chosen budget")
    fig.update_layout(height=380, margin={"t": 30, "b": 10}, xaxis_title="Budget",
                      yaxis_title="Expected net incremental profit",
                      legend={"orientation": "h", "y": -0.2})
    return fit_labels(fig)
