"""Figures of the Experiments page, drawn from the frames promo_core.experiments
returns (compute first, then draw; no Streamlit here)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from promo_core.charts import fit_labels
from promo_core.experiments.design import DesignResult

ACCENT = "#d6336c"
CONTROL = "#868e96"
PALETTE = ["#d6336c", "#1c7ed6", "#37b24d", "#f59f00", "#7048e8", "#0ca678", "#e8590c"]


def _rgba(hex_color: str, alpha: float) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def build_arm_means_chart(readout: pd.DataFrame, metric: str) -> go.Figure:
    """Each arm's mean with its 95 % interval; the control in grey."""
    part = readout[readout["metric"] == metric]
    colors = [CONTROL if c else ACCENT for c in part["is_control"]]
    fig = go.Figure(go.Bar(
        x=part["arm"].astype(str), y=part["mean"], marker_color=colors,
        error_y={"type": "data", "symmetric": False,
                 "array": part["ci_high"] - part["mean"],
                 "arrayminus": part["mean"] - part["ci_low"], "color": "#343a40"},
        text=[f"{m:.4g}" for m in part["mean"]], textposition="inside",
        hovertemplate="%{x}: %{y:.4g}<extra></extra>",
    ))
    fig.update_layout(height=340, margin={"t": 40, "b": 10}, xaxis_type="category",
                      title=f"{metric}: mean per arm (95 % interval)", yaxis_title=metric)
    return fit_labels(fig)


def build_forest_chart(readout: pd.DataFrame, metric: str) -> go.Figure:
    """Difference to control per arm: Welch interval (bar) and bootstrap (diamonds)."""
    part = readout[(readout["metric"] == metric) & ~readout["is_control"]]
    arms = part["arm"].astype(str)
    fig = go.Figure()
    fig.add_scatter(
        x=part["diff"], y=arms, mode="markers", name="Normal approx. (Welch) 95 %",
        marker={"color": ACCENT, "size": 11},
        error_x={"type": "data", "symmetric": False, "array": part["diff_high"] - part["diff"],
                 "arrayminus": part["diff"] - part["diff_low"], "color": ACCENT, "thickness": 2},
    )
    fig.add_scatter(
        x=pd.concat([part["boot_low"], part["boot_high"]]), y=pd.concat([arms, arms]),
        mode="markers", name="Bootstrap 95 % ends",
        marker={"symbol": "diamond-open", "color": "#1c7ed6", "size": 10},
    )
    fig.add_vline(x=0, line_dash="dash", line_color=CONTROL)
    # The key sits in the title: a legend does not fit beside it or below the axis in
    # a chart this short (one row per arm).
    fig.update_layout(height=170 + 50 * len(part), margin={"t": 60, "b": 10},
                      title=f"{metric}: difference to control<br><sup>● with bar: normal "
                            "(Welch) 95 % · ◇ bootstrap 95 % ends</sup>",
                      xaxis_title="difference", yaxis_type="category", showlegend=False)
    return fit_labels(fig)


def build_cumulative_lift_chart(lift: pd.DataFrame, period_label: str) -> go.Figure:
    """Cumulative difference to control per arm over time, with its 95 % band."""
    fig = go.Figure()
    treated = lift[lift["diff"].notna()]
    for i, (arm, part) in enumerate(treated.groupby("arm", sort=True)):
        color = PALETTE[i % len(PALETTE)]
        x = part["period"].astype(str) if not pd.api.types.is_datetime64_any_dtype(
            part["period"]) else part["period"]
        fig.add_scatter(x=x, y=part["diff_high"], mode="lines", line={"width": 0},
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=part["diff_low"], mode="lines", line={"width": 0},
                        fill="tonexty", fillcolor=_rgba(color, 0.15), showlegend=False,
                        hoverinfo="skip")
        fig.add_scatter(x=x, y=part["diff"], mode="lines+markers", name=str(arm),
                        line={"color": color})
    fig.add_hline(y=0, line_dash="dash", line_color=CONTROL)
    if not pd.api.types.is_datetime64_any_dtype(lift["period"]):
        fig.update_xaxes(type="category")  # weeks 1–4, not a continuous 1.0–4.0 axis
    fig.update_layout(height=340, margin={"t": 40, "b": 10}, xaxis_title=period_label,
                      yaxis_title="difference to control", title="Cumulative lift over time")
    return fit_labels(fig)


def build_power_curve_chart(curve: pd.DataFrame, design: DesignResult) -> go.Figure:
    """Power against the control arm's size, with the design point marked."""
    fig = go.Figure()
    fig.add_scatter(x=curve["n_control"], y=curve["power"], mode="lines", name="power",
                    line={"color": ACCENT})
    fig.add_scatter(x=[design.n_control], y=[design.power], mode="markers+text",
                    marker={"size": 11, "color": "#1c7ed6"},
                    text=[f"n = {design.n_control:,}"], textposition="middle right",
                    name="this design")
    fig.add_hline(y=design.power, line_dash="dot", line_color=CONTROL)
    # Log axis ticked at whole decades only (1,000, 10,000 …), not at 2, 3, 5 between.
    fig.update_layout(height=340, margin={"t": 40, "b": 10},
                      xaxis={"type": "log", "dtick": 1, "tickformat": ","},
                      xaxis_title="units in the control arm (log scale)",
                      yaxis={"title": "power", "tickformat": ".0%", "range": [0, 1.02]},
                      title="Power curve", showlegend=False)
    return fit_labels(fig)


def build_allocation_chart(allocation: pd.DataFrame) -> go.Figure:
    """Mean share of each batch's contacts per arm (one policy), as stacked areas."""
    fig = go.Figure()
    for i, (arm, part) in enumerate(allocation.groupby("arm", sort=False)):
        fig.add_scatter(x=part["contacts"], y=part["share_mean"], mode="lines", name=str(arm),
                        stackgroup="share", line={"width": 0.5, "color": PALETTE[i % 7]})
    policy = allocation["policy"].iloc[0] if len(allocation) else ""
    fig.update_layout(height=340, margin={"t": 40, "b": 10}, title=f"Allocation — {policy}",
                      xaxis_title="contacts sent", yaxis={"title": "share of the send",
                                                         "tickformat": ".0%", "range": [0, 1]})
    return fit_labels(fig)


def build_outcome_bands_chart(outcomes: pd.DataFrame, value: str = "regret") -> go.Figure:
    """Cumulative regret (or conversions) per policy: mean line and 5–95 % band."""
    fig = go.Figure()
    for i, (policy, part) in enumerate(outcomes.groupby("policy", sort=False)):
        color = PALETTE[i % len(PALETTE)]
        fig.add_scatter(x=part["contacts"], y=part[f"{value}_p95"], mode="lines",
                        line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=part["contacts"], y=part[f"{value}_p05"], mode="lines",
                        line={"width": 0}, fill="tonexty", fillcolor=_rgba(color, 0.15),
                        showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=part["contacts"], y=part[f"{value}_mean"], mode="lines", name=policy,
                        line={"color": color, "width": 2})
    title = {"regret": "Cumulative regret",
             "conversions": "Cumulative conversions"}[value]
    fig.update_layout(height=340, margin={"t": 40, "b": 10}, title=title,
                      xaxis_title="contacts sent", yaxis_title=value,
                      legend={"orientation": "h", "y": -0.25})
    return fit_labels(fig)
