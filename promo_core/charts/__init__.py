"""Plotly figures built from frames; no Streamlit here."""

from __future__ import annotations

import plotly.graph_objects as go


def fit_labels(fig: go.Figure) -> go.Figure:
    """Let every axis widen the margins to fit its tick labels and title.

    The figures keep tight margins (they sit in narrow columns); without this, an axis
    title or a rotated tick label below a small bottom margin is cut off.
    """
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig
