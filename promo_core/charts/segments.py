"""Figures of the Segments page (built from frames promo_core.segments returns)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from promo_core.charts import fit_labels

ACCENT = "#d6336c"
MUTED = "#868e96"
BLUE = "#1c7ed6"


def build_k_choice_chart(k_scores: pd.DataFrame) -> go.Figure:
    """Elbow (inertia) and silhouette per k, on the sample they were computed on."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_scatter(x=k_scores["k"], y=k_scores["inertia"], name="Inertia (elbow)",
                    mode="lines+markers", line={"color": MUTED})
    fig.add_scatter(x=k_scores["k"], y=k_scores["silhouette"], name="Silhouette (higher=better)",
                    mode="lines+markers", line={"color": ACCENT}, secondary_y=True)
    fig.update_layout(height=300, margin={"t": 30, "b": 10}, xaxis_title="k (clusters)",
                      legend={"orientation": "h", "y": 1.15})
    fig.update_yaxes(title_text="Inertia", secondary_y=False)
    fig.update_yaxes(title_text="Silhouette", secondary_y=True, showgrid=False,
                     tickformat=".2f")
    fig.update_yaxes(tickformat=",.0f", secondary_y=False)
    fig.update_xaxes(dtick=1)  # k is a whole number
    return fit_labels(fig)


def build_cluster_heatmap(differences: pd.DataFrame, labels: dict[str, str],
                          descriptions: dict[int, str]) -> go.Figure:
    """Standardised difference of each cluster from everyone, per feature."""
    z = differences.to_numpy()
    fig = go.Figure(go.Heatmap(
        z=z, x=[labels.get(c, c) for c in differences.columns],
        y=[f"Cluster {i}: {descriptions.get(i, '')}" for i in differences.index],
        zmid=0, colorscale="RdBu_r", text=[[f"{v:+.1f}" for v in row] for row in z],
        texttemplate="%{text}", colorbar={"title": "SD from all"}))
    fig.update_layout(height=120 + 40 * len(differences), margin={"t": 20, "b": 10},
                      yaxis={"autorange": "reversed"})
    return fit_labels(fig)


def build_rfm_chart(summary: pd.DataFrame) -> go.Figure:
    """Customers and revenue share per RFM group."""
    fig = go.Figure()
    fig.add_bar(y=summary["rfm_group"], x=summary["share"], name="Share of customers",
                orientation="h", marker_color=MUTED)
    fig.add_bar(y=summary["rfm_group"], x=summary["revenue_share"], name="Share of revenue",
                orientation="h", marker_color=ACCENT)
    fig.update_layout(barmode="group", height=80 + 34 * len(summary), margin={"t": 30, "b": 10},
                      xaxis_tickformat=".0%", yaxis={"autorange": "reversed"},
                      legend={"orientation": "h", "y": 1.1})
    return fit_labels(fig)


def build_pairs_heatmap(pairs: pd.DataFrame, value: str = "lift") -> go.Figure:
    """Category × category heat map of lift (or support / confidence) of co-purchase."""
    grid = pairs.pivot(index="cat_a", columns="cat_b", values=value)
    cats = sorted(set(grid.index) | set(grid.columns))
    grid = grid.reindex(index=cats, columns=cats)
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=cats, y=cats, colorscale="Viridis",
        zmid=1 if value == "lift" else None, hoverongaps=False,
        colorbar={"title": value}))
    fig.update_layout(height=200 + 24 * len(cats), margin={"t": 20, "b": 10},
                      xaxis_title="then also bought (b)", yaxis_title="basket has (a)")
    return fit_labels(fig)


def build_overlap_heatmap(overlap: pd.DataFrame) -> go.Figure:
    """Share of segment A (row) that is also in segment B (column)."""
    grid = overlap.pivot(index="name_a", columns="name_b", values="share_of_a")
    names = list(dict.fromkeys(overlap["name_a"]))
    grid = grid.reindex(index=names, columns=names).fillna(0.0)
    fig = go.Figure(go.Heatmap(
        z=grid.to_numpy(), x=names, y=names, zmin=0, zmax=1, colorscale="Blues",
        text=[[f"{v:.0%}" for v in row] for row in grid.to_numpy()], texttemplate="%{text}",
        colorbar={"title": "share of row"}))
    fig.update_layout(height=160 + 40 * len(names), margin={"t": 20, "b": 10},
                      yaxis={"autorange": "reversed"})
    return fit_labels(fig)


def build_recency_chart(values: pd.DataFrame, names: dict[int, str]) -> go.Figure:
    """Box plot of days since last order per segment."""
    fig = go.Figure()
    for seg_id, part in values.groupby("segment_id"):
        fig.add_box(x=part["recency_days"], name=names.get(seg_id, str(seg_id)),
                    boxpoints=False)
    fig.update_layout(height=120 + 40 * len(names), margin={"t": 20, "b": 10},
                      xaxis_title="Days since last order", showlegend=False)
    return fit_labels(fig)


def build_category_mix_chart(mix: pd.DataFrame) -> go.Figure:
    """Stacked share of spend by category, one bar per segment (columns: segment, cat…)."""
    fig = go.Figure()
    for cat in mix.columns.drop("segment"):
        fig.add_bar(y=mix["segment"], x=mix[cat], name=cat, orientation="h")
    fig.update_layout(barmode="stack", height=120 + 40 * len(mix), margin={"t": 30, "b": 10},
                      xaxis_tickformat=".0%", legend={"orientation": "h", "y": 1.15})
    return fit_labels(fig)
