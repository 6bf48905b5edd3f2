"""Figures of the Explanations page, drawn from an ``UpliftExplanation`` (no Streamlit).

Every axis is in uplift units: percentage points of conversion for binary outcomes,
£ per customer for amounts (``kind``).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from promo_core.charts import fit_labels
from promo_core.explain.shap_uplift import UpliftExplanation
from promo_core.explain.text import format_value, label_of, uplift_axis_title, uplift_scale

UP = "#2b8a3e"
DOWN = "#c92a2a"
NEUTRAL = "#1c7ed6"
GREY = "#adb5bd"
SCALE = "RdBu_r"  # low values blue, high values red, as in shap's own plots


def _layout(fig: go.Figure, height: int, **kw) -> go.Figure:
    fig.update_layout(height=height, margin={"t": 30, "b": 10, "l": 10, "r": 10}, **kw)
    return fit_labels(fig)


def build_importance_chart(importance: pd.DataFrame, kind: str, top: int = 12,
                           labels: Mapping[str, str] | None = None) -> go.Figure:
    """Mean |SHAP of the uplift| per feature, biggest at the top."""
    df = importance.head(top).iloc[::-1]
    k = uplift_scale(kind)
    fig = go.Figure(go.Bar(x=df.mean_abs * k, y=[label_of(f, labels) for f in df.feature],
                           orientation="h", marker_color=NEUTRAL,
                           hovertemplate="%{y}: %{x:.3f}<extra></extra>"))
    return _layout(fig, 40 + 26 * len(df),
                   xaxis_title="Mean |SHAP| — average size of its effect on the uplift "
                   f"({'pts' if kind == 'binary' else '£'})")


def _colour_values(values: pd.Series) -> np.ndarray:
    """Feature values as 0..1 within the feature (quantile ranks; categories by code)."""
    if pd.api.types.is_numeric_dtype(values):
        v = values.astype(float)
        return v.rank(pct=True).fillna(0.5).to_numpy()
    codes = values.astype("category").cat.codes.to_numpy().astype(float)
    top = codes.max() if len(codes) and codes.max() > 0 else 1.0
    return np.where(codes < 0, 0.5, codes / top)


def build_beeswarm_chart(exp: UpliftExplanation, top: int = 10,
                         labels: Mapping[str, str] | None = None,
                         max_points: int = 2_000, seed: int = 0) -> go.Figure:
    """One dot per customer and feature: SHAP of the uplift, coloured by the value."""
    features = exp.importance().feature.head(top).tolist()[::-1]
    rng = np.random.default_rng(seed)
    pos = np.arange(len(exp))
    if len(pos) > max_points:  # a readable cloud; the bars use every customer
        pos = np.sort(rng.choice(pos, max_points, replace=False))
    k = uplift_scale(exp.kind)
    xs, ys, cs, texts = [], [], [], []
    for i, f in enumerate(features):
        s = exp.shap[f].to_numpy(dtype=float)[pos] * k
        vals = exp.values[f].iloc[pos]
        xs.append(s)
        ys.append(i + rng.uniform(-0.3, 0.3, len(pos)))
        cs.append(_colour_values(vals))
        texts.append([f"{label_of(f, labels)} = {format_value(v)}" for v in vals.to_numpy()])
    fig = go.Figure(go.Scattergl(
        x=np.concatenate(xs) if xs else [], y=np.concatenate(ys) if ys else [], mode="markers",
        text=sum(texts, []), hovertemplate="%{text}<br>SHAP %{x:.2f}<extra></extra>",
        marker={"size": 4, "opacity": 0.6, "color": np.concatenate(cs) if cs else [],
                "colorscale": SCALE, "showscale": True,
                "colorbar": {"title": "Feature value", "tickvals": [0, 1],
                             "ticktext": ["low", "high"]}}))
    fig.add_vline(x=0, line={"color": GREY, "width": 1})
    fig.update_yaxes(tickvals=list(range(len(features))),
                     ticktext=[label_of(f, labels) for f in features])
    return _layout(fig, 60 + 34 * len(features),
                   xaxis_title=f"SHAP of the uplift ({'pts' if exp.kind == 'binary' else '£'}"
                   "): right of 0 raises this customer's uplift")


def build_waterfall_chart(row: pd.DataFrame, base_value: float, kind: str, top: int = 10,
                          labels: Mapping[str, str] | None = None,
                          predicted: float | None = None) -> go.Figure:
    """From the baseline uplift to this customer's, one step per feature (rest merged).

    ``row``: ``feature, value, shap`` from :meth:`UpliftExplanation.row`. ``predicted``:
    the model's own uplift, drawn as a line where a surrogate explains the model (its
    steps end at the surrogate's value, which may differ a little).
    """
    k = uplift_scale(kind)
    head, rest = row.head(top), row.iloc[top:]
    names = ["Baseline (average)"]
    names += [f"{label_of(r.feature, labels)} = {format_value(r.value)}"
              for r in head.itertuples()]
    steps = [base_value * k, *(head.shap.to_numpy() * k)]
    measures = ["absolute", *(["relative"] * len(head))]
    if len(rest):
        names.append(f"{len(rest)} other features")
        steps.append(float(rest.shap.sum()) * k)
        measures.append("relative")
    explained = base_value + float(row.shap.sum())
    apart = predicted is not None and abs(predicted - explained) * k >= 0.005
    names.append("This customer (surrogate)" if apart else "This customer")
    steps.append(0.0)
    measures.append("total")
    fig = go.Figure(go.Waterfall(
        orientation="h", y=names, x=steps, measure=measures,
        increasing={"marker": {"color": UP}}, decreasing={"marker": {"color": DOWN}},
        totals={"marker": {"color": NEUTRAL}}, texttemplate="%{delta:+.2f}",
        connector={"line": {"color": GREY}}))
    if apart:
        fig.add_vline(x=predicted * k, line={"color": GREY, "dash": "dash"},
                      annotation_text=f"model: {predicted * k:+.2f}",
                      annotation_position="top")
    # Steps accumulate in data order, so the baseline comes first and the axis is flipped.
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, 80 + 30 * len(names), xaxis_title=uplift_axis_title(kind),
                   showlegend=False)


def build_dependence_chart(exp: UpliftExplanation, feature: str, color_by: str | None = None,
                           labels: Mapping[str, str] | None = None,
                           max_points: int = 4_000, seed: int = 0) -> go.Figure:
    """SHAP of the uplift against the feature's value, coloured by a second feature."""
    pos = np.arange(len(exp))
    if len(pos) > max_points:
        pos = np.sort(np.random.default_rng(seed).choice(pos, max_points, replace=False))
    k = uplift_scale(exp.kind)
    x = exp.values[feature].iloc[pos]
    y = exp.shap[feature].to_numpy(dtype=float)[pos] * k
    marker: dict = {"size": 5, "opacity": 0.6, "color": NEUTRAL}
    if color_by:
        c = exp.values[color_by].iloc[pos]
        if pd.api.types.is_numeric_dtype(c):
            marker.update(color=c.astype(float).to_numpy(), colorscale=SCALE, showscale=True,
                          colorbar={"title": label_of(color_by, labels)})
        else:
            fig = go.Figure()
            for value in pd.unique(c.astype("object").fillna("empty")):
                m = (c.astype("object").fillna("empty") == value).to_numpy()
                fig.add_scattergl(x=x[m], y=y[m], mode="markers", name=str(value),
                                  marker={"size": 5, "opacity": 0.6})
            return _dependence_layout(fig, exp.kind, feature, labels, color_by)
    fig = go.Figure(go.Scattergl(x=x, y=y, mode="markers", marker=marker, showlegend=False))
    return _dependence_layout(fig, exp.kind, feature, labels, color_by)


def _dependence_layout(fig, kind, feature, labels, color_by) -> go.Figure:
    fig.add_hline(y=0, line={"color": GREY, "width": 1})
    return _layout(fig, 380, xaxis_title=label_of(feature, labels),
                   yaxis_title=f"SHAP of the uplift ({'pts' if kind == 'binary' else '£'})",
                   legend={"title": label_of(color_by, labels) if color_by else None})


def build_segment_chart(differences: pd.DataFrame, kind: str, segment_name: str,
                        top: int = 10, labels: Mapping[str, str] | None = None) -> go.Figure:
    """Mean SHAP of the uplift per feature: the segment next to everyone.

    ``differences``: from :func:`promo_core.explain.segment_differences`.
    """
    df = differences.head(top).iloc[::-1]
    k = uplift_scale(kind)
    names = [label_of(f, labels) for f in df.feature]
    fig = go.Figure()
    fig.add_bar(x=df.everyone * k, y=names, orientation="h", name="Everyone",
                marker_color=GREY)
    fig.add_bar(x=df.segment * k, y=names, orientation="h", name=segment_name,
                marker_color=NEUTRAL)
    fig.add_vline(x=0, line={"color": "#212529", "width": 1})
    return _layout(fig, 80 + 40 * len(df), barmode="group",
                   legend={"orientation": "h", "y": 1.02, "yanchor": "bottom"},
                   xaxis_title="Moves the average uplift "
                   f"({'pts' if kind == 'binary' else '£'}, mean SHAP)")
