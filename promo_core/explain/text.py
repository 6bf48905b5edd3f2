"""Numbers and names as a marketer reads them (shared by rules, narrative and charts)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

UNIT = {"binary": "pts", "amount": "£"}


def label_of(feature: str, labels: Mapping[str, str] | None = None) -> str:
    """The feature's label from the registry, else its column name in words."""
    label = labels.get(feature, feature) if labels else feature
    # Imported attributes are labelled with their raw column name: put that in words.
    if label == feature and "_" in feature or label.islower():
        return label.replace("_", " ").capitalize()
    return label


def fmt_number(x: float) -> str:
    """A feature value or threshold with sensible precision (90, 41.5, 0.07)."""
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "empty"
    x = float(x)
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}".rstrip("0").rstrip(".")
    if ax >= 1:
        return f"{x:.2f}".rstrip("0").rstrip(".")
    return f"{x:.3f}".rstrip("0").rstrip(".") if x else "0"


def format_value(value: object) -> str:
    """A customer's feature value for display (numbers rounded, text as it is)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "empty"
    if isinstance(value, (int, float, np.integer, np.floating)):
        return fmt_number(float(value))
    return str(value)


def uplift_scale(kind: str) -> float:
    """Multiply a probability difference by 100 to show percentage points."""
    return 100.0 if kind == "binary" else 1.0


def format_uplift(value: float, kind: str, signed: bool = True) -> str:
    """``+3.2 pts`` for conversion outcomes, ``+£1.40`` per customer for amounts."""
    if value is None or np.isnan(value):
        return "n/a"
    sign = ("+" if value >= 0 else "−") if signed else ("" if value >= 0 else "−")
    if kind == "binary":
        return f"{sign}{abs(value) * 100:.1f} pts"
    return f"{sign}£{abs(value):,.2f}"


def uplift_axis_title(kind: str) -> str:
    return ("Uplift (percentage points of conversion)" if kind == "binary"
            else "Uplift (£ per customer)")
