"""Figures of the Uplift page, drawn from frames computed in promo_core.uplift."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from promo_core.charts import fit_labels

COLORS = {"S": "#d6336c", "T": "#1c7ed6", "X": "#2b8a3e", "Response model": "#868e96"}
RANDOM = "#adb5bd"


def build_curve_chart(curves: pd.DataFrame, kind: str = "qini",
                      band: tuple[float, float] | None = None) -> go.Figure:
    """Qini (or uplift) curves of every learner, with the random line and perfect curve.

    ``curves``: long frame from ``TrainingResult.curves()`` (per-customer units).
    ``band``: the random-ranking Qini coefficient band, written in the legend.
    """
    if kind not in ("qini", "uplift"):
        raise ValueError(f"kind must be 'qini' or 'uplift', got {kind!r}")
    fig = go.Figure()
    first = curves[curves.learner == curves.learner.iloc[0]]
    end = first[kind].iloc[-1]
    fig.add_scatter(x=first.fraction, y=first[f"{kind}_perfect"], name="Perfect ranking",
                    line={"color": "#212529", "dash": "dot", "width": 1})
    random_name = "Random targeting"
    if band is not None:
        random_name += f" (random Qini band {band[0]:.3f} to {band[1]:.3f})"
    fig.add_scatter(x=[0, 1], y=[0, end], name=random_name,
                    line={"color": RANDOM, "dash": "dash"})
    for learner, df in curves.groupby("learner", sort=False):
        fig.add_scatter(x=df.fraction, y=df[kind], name=str(learner),
                        line={"color": COLORS.get(str(learner)),
                              "width": 1.5 if learner == "Response model" else 2.5})
    label = ("Incremental outcome per customer (Qini)" if kind == "qini"
             else "Uplift × share targeted")
    fig.update_layout(height=380, margin={"t": 30, "b": 10}, legend={"orientation": "h",
                      "y": -0.2}, xaxis_title="Share of customers targeted (highest "
                      "predicted uplift first)", yaxis_title=label)
    fig.update_xaxes(tickformat=".0%", range=[0, 1])
    return fit_labels(fig)


def build_calibration_chart(deciles: pd.DataFrame) -> go.Figure:
    """Predicted vs observed uplift per decile of predicted uplift, with 95 % intervals."""
    fig = go.Figure()
    for learner, df in deciles.groupby("learner", sort=False):
        color = COLORS.get(str(learner))
        fig.add_scatter(x=df.bin, y=df.observed, mode="markers", name=f"{learner}: observed",
                        marker={"color": color, "size": 9},
                        error_y={"type": "data", "symmetric": False,
                                 "array": df.observed_high - df.observed,
                                 "arrayminus": df.observed - df.observed_low})
        fig.add_scatter(x=df.bin, y=df.predicted, mode="lines", name=f"{learner}: predicted",
                        line={"color": color, "dash": "dash"})
    fig.add_hline(y=0, line={"color": RANDOM, "width": 1})
    fig.update_layout(height=380, margin={"t": 30, "b": 10}, legend={"orientation": "h",
                      "y": -0.2}, xaxis_title="Decile of predicted uplift (1 = highest)",
                      yaxis_title="Uplift (treated − control)")
    fig.update_xaxes(dtick=1)
    return fit_labels(fig)


def build_smd_chart(smd: pd.DataFrame, limit: float = 0.1, top: int = 15) -> go.Figure:
    """Standardised mean differences, largest first, with the ±limit band."""
    df = smd.head(top).iloc[::-1]
    colors = ["#d6336c" if abs(v) > limit else "#1c7ed6" for v in df.smd]
    fig = go.Figure(go.Bar(x=df.smd, y=df.feature, orientation="h", marker_color=colors))
    fig.add_vrect(x0=-limit, x1=limit, fillcolor="#e9ecef", opacity=0.5, line_width=0)
    fig.update_layout(height=max(260, 24 * len(df) + 80), margin={"t": 20, "b": 10},
                      xaxis_title="Standardised mean difference (treated − control)")
    return fit_labels(fig)


def build_overlap_chart(propensity: pd.DataFrame) -> go.Figure:
    """Histograms of the propensity score for treated and control customers."""
    fig = go.Figure()
    for flag, name, color in ((1, "Treated", "#d6336c"), (0, "Control", "#1c7ed6")):
        fig.add_histogram(x=propensity.loc[propensity.treated == flag, "propensity"],
                          name=name, marker_color=color, opacity=0.6, nbinsx=40,
                          histnorm="probability")
    fig.update_layout(barmode="overlay", height=300, margin={"t": 20, "b": 10},
                      xaxis_title="P(treated | features)", yaxis_title="Share")
    fig.update_xaxes(range=[0, 1])
    return fit_labels(fig)
