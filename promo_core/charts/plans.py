"""Figures of the Plans & review page and the HTML report (compute first, then draw)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from promo_core.charts import fit_labels

FORECAST = "#1c7ed6"
ACTUAL = "#d6336c"


def _err(frame: pd.DataFrame, mid: str, low: str, high: str) -> dict:
    return {"type": "data", "symmetric": False, "array": (frame[high] - frame[mid]) * 100,
            "arrayminus": (frame[mid] - frame[low]) * 100}


def build_forecast_chart(segments: pd.DataFrame) -> go.Figure:
    """Per segment: forecast incremental conversions with the 95 % band, net profit."""
    labels = segments["segment"] + " · " + segments["promotion"]
    fig = go.Figure(go.Bar(
        x=labels, y=segments["inc_conversions"], name="Incremental conversions",
        marker_color=FORECAST,
        error_y={"type": "data", "symmetric": False,
                 "array": segments["inc_conversions_high"] - segments["inc_conversions"],
                 "arrayminus": segments["inc_conversions"] - segments["inc_conversions_low"]},
        hovertemplate="%{x}: %{y:,.1f} incremental conversions<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=labels, y=segments["net_profit"], name="Net incremental profit", yaxis="y2",
        mode="markers", marker={"size": 12, "symbol": "diamond", "color": ACTUAL},
        hovertemplate="%{x}: net profit %{y:,.0f}<extra></extra>"))
    fig.update_layout(height=360, margin={"t": 50, "b": 10},
                      title="Forecast per segment (bars: conversions with 95 % band)",
                      yaxis_title="Incremental conversions",
                      # From zero, whole pounds: one segment must not get a 0.4-wide axis.
                      yaxis={"rangemode": "tozero"},
                      yaxis2={"title": "Net incremental profit", "overlaying": "y",
                              "side": "right", "showgrid": False, "rangemode": "tozero",
                              "tickformat": ",.0f"},
                      legend={"orientation": "h", "y": -0.2})
    return fit_labels(fig)


def build_plan_vs_actual_chart(review: pd.DataFrame) -> go.Figure:
    """Per segment and in total: forecast lift (band) beside the actual lift (95 % CI)."""
    labels = review["segment"] + review["promotion"].map(lambda p: f" · {p}" if p else "")
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=review["forecast_lift"] * 100, y=labels, mode="markers", name="Forecast (band)",
        marker={"color": FORECAST, "size": 11, "symbol": "diamond"},
        error_x=_err(review, "forecast_lift", "forecast_low", "forecast_high"),
        hovertemplate="%{y}: forecast %{x:.2f} pp<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=review["actual_lift"] * 100, y=labels, mode="markers", name="Actual (95 % CI)",
        marker={"color": ACTUAL, "size": 11},
        error_x=_err(review, "actual_lift", "lift_low", "lift_high"),
        hovertemplate="%{y}: actual %{x:.2f} pp<extra></extra>"))
    fig.add_vline(x=0, line_color="#868e96", line_dash="dot")
    fig.update_layout(height=120 + 50 * len(review), margin={"t": 50, "b": 10},
                      title="Plan vs actual: conversion lift per contact",
                      xaxis_title="Lift (percentage points)", yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": -0.25})
    return fit_labels(fig)


def build_ledger_chart(ledger: pd.DataFrame) -> go.Figure:
    """Forecast vs actual total lift week by week, and the forecast error as bars."""
    # Weeks as labels: a category axis keeps one bar per review, even with a single week.
    weeks = pd.to_datetime(ledger["week"]).dt.strftime("%d %b %Y")
    fig = go.Figure()
    fig.add_trace(go.Bar(x=weeks, y=ledger["error"] * 100,
                         name="Forecast error (forecast − actual)",
                         marker_color="#adb5bd", opacity=0.7,
                         hovertemplate="%{x}: error %{y:.2f} pp<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=weeks, y=ledger["forecast_lift"] * 100, name="Forecast", mode="lines+markers",
        line={"color": FORECAST}, error_y=_err(ledger, "forecast_lift", "forecast_low",
                                               "forecast_high")))
    fig.add_trace(go.Scatter(
        x=weeks, y=ledger["actual_lift"] * 100, name="Actual (95 % CI)", mode="lines+markers",
        line={"color": ACTUAL}, error_y=_err(ledger, "actual_lift", "lift_low", "lift_high")))
    fig.update_layout(height=380, margin={"t": 50, "b": 10},
                      title="Forecast-error ledger: total conversion lift per week",
                      xaxis={"type": "category", "title": "Week"},
                      yaxis_title="Lift per contact (percentage points)",
                      legend={"orientation": "h", "y": -0.2})
    return fit_labels(fig)
