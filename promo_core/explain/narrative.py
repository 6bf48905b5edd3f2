"""Two to four plain sentences per view, generated from the SHAP numbers (no language model).

Every figure in a sentence is computed here from an :class:`UpliftExplanation`, so a
reader can check it against the charts next to it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from promo_core.explain.shap_uplift import UpliftExplanation
from promo_core.explain.text import fmt_number, format_uplift, format_value, label_of

OUTCOME_WORDS = {"converted": "conversion", "visited": "visits", "revenue": "revenue",
                 "margin": "margin"}
N_BINS = 5


def feature_groups(values: pd.Series, shap: pd.Series) -> pd.DataFrame:
    """Mean SHAP per value group: quintile ranges for numbers, categories for text.

    Columns ``group`` (words), ``mean_shap``, ``customers``; empty values are a group.
    """
    s = pd.Series(np.asarray(shap, dtype=float))
    v = values.reset_index(drop=True)
    if pd.api.types.is_numeric_dtype(v) and v.nunique(dropna=True) > N_BINS:
        bins = pd.qcut(v.astype(float), N_BINS, duplicates="drop")
        words = [_interval_words(iv, first=i == 0, last=i == len(bins.cat.categories) - 1)
                 for i, iv in enumerate(bins.cat.categories)]
        key = bins.cat.rename_categories(words).astype("object")
    else:
        key = v.astype("object")
    key = key.where(v.notna(), "empty")
    df = pd.DataFrame({"group": key.astype(str), "shap": s})
    out = df.groupby("group", sort=False).shap.agg(mean_shap="mean", customers="size")
    return out.reset_index().sort_values("mean_shap", ascending=False, ignore_index=True)


def _interval_words(iv: pd.Interval, first: bool, last: bool) -> str:
    if first:
        return f"≤ {fmt_number(iv.right)}"
    if last:
        return f"> {fmt_number(iv.left)}"
    return f"{fmt_number(iv.left)}–{fmt_number(iv.right)}"


def _direction(values: pd.Series, shap: pd.Series) -> float:
    """Rank correlation of a numeric feature with its SHAP (sign = direction)."""
    v = pd.Series(values).reset_index(drop=True).astype(float)
    ok = v.notna().to_numpy()
    if ok.sum() < 3 or v[ok].nunique() < 2:
        return 0.0
    r = pd.Series(v[ok].rank().to_numpy()).corr(
        pd.Series(pd.Series(np.asarray(shap)[ok]).rank().to_numpy()))
    return 0.0 if np.isnan(r) else float(r)


def _group_phrase(label: str, group: str, numeric: bool) -> str:
    if group == "empty":
        return f"customers with {label.lower()} empty"
    return (f"customers with {label.lower()} {group}" if numeric
            else f"customers whose {label.lower()} is {group}")


def describe_global(exp: UpliftExplanation, labels: Mapping[str, str] | None = None
                    ) -> list[str]:
    """What drives the uplift across the explained customers, in 2–4 sentences."""
    kind = exp.kind
    outcome = OUTCOME_WORDS.get(exp.outcome, exp.outcome)
    mean = float(np.mean(exp.uplift))
    out = [f"For {exp.promotion}, the model predicts an average uplift in {outcome} of "
           f"{format_uplift(mean, kind)} per customer across {len(exp):,} customers."]
    if exp.is_flat:
        out.append("It predicts that same uplift for every customer: no feature moves it, so "
                   "there is nothing to explain customer by customer. The model found no "
                   "difference between customers; retrain it on more data or other arms.")
        return out
    imp = exp.importance()
    top = imp.feature.iloc[0]
    numeric = pd.api.types.is_numeric_dtype(exp.values[top])
    groups = feature_groups(exp.values[top], exp.shap[top])
    best, worst = groups.iloc[0], groups.iloc[-1]
    label = label_of(top, labels)
    out.append(f"{label} moves it most: uplift is highest for "
               f"{_group_phrase(label, best.group, numeric)} "
               f"({format_uplift(best.mean_shap, kind)} against the average) and lowest for "
               f"{_group_phrase(label, worst.group, numeric)} "
               f"({format_uplift(worst.mean_shap, kind)}).")
    if len(imp) > 1:
        out.append(_second_driver(exp, imp.feature.iloc[1], labels))
    negative = float(np.mean(exp.uplift < 0))
    if negative >= 0.01:
        out.append(f"{negative:.0%} of customers have a negative predicted uplift: "
                   f"contacting them is predicted to lower their {outcome}.")
    return out


def _second_driver(exp: UpliftExplanation, feature: str,
                   labels: Mapping[str, str] | None) -> str:
    label = label_of(feature, labels)
    values = exp.values[feature]
    if pd.api.types.is_numeric_dtype(values):
        r = _direction(values, exp.shap[feature])
        if abs(r) >= 0.3:
            verb = "raise" if r > 0 else "lower"
            return f"{label} comes next: higher values {verb} the uplift."
        groups = feature_groups(values, exp.shap[feature])
        return (f"{label} comes next, without a straight trend: uplift is highest for "
                f"{_group_phrase(label, groups.group.iloc[0], True)}.")
    groups = feature_groups(values, exp.shap[feature])
    return (f"{label} comes next: {_group_phrase(label, groups.group.iloc[0], False)} "
            f"respond most, {_group_phrase(label, groups.group.iloc[-1], False)} least.")


def segment_differences(segment: UpliftExplanation, everyone: UpliftExplanation
                        ) -> pd.DataFrame:
    """Per feature: mean SHAP in the segment, in everyone, and the gap (segment − all).

    With one base value the gaps add up to the gap in mean explained uplift.
    """
    seg = segment.shap.mean(axis=0)
    all_ = everyone.shap.mean(axis=0)
    out = pd.DataFrame({"feature": seg.index, "segment": seg.to_numpy(),
                        "everyone": all_.reindex(seg.index).to_numpy()})
    out["difference"] = out.segment - out.everyone
    return out.reindex(out.difference.abs().sort_values(ascending=False).index).reset_index(
        drop=True)


def describe_segment(segment: UpliftExplanation, everyone: UpliftExplanation, name: str,
                     labels: Mapping[str, str] | None = None) -> list[str]:
    """How a segment's uplift differs from everyone's, and why, in 2–3 sentences."""
    kind = segment.kind
    seg_mean, all_mean = float(np.mean(segment.uplift)), float(np.mean(everyone.uplift))
    gap = seg_mean - all_mean
    side = "above" if gap >= 0 else "below"
    out = [f"{name} ({len(segment):,} customers) has an average predicted uplift of "
           f"{format_uplift(seg_mean, kind)}, {format_uplift(abs(gap), kind, signed=False)} "
           f"{side} everyone's {format_uplift(all_mean, kind)}."]
    diffs = segment_differences(segment, everyone).head(2)
    parts = [f"{label_of(r.feature, labels)} ({format_uplift(r.difference, kind)})"
             for r in diffs.itertuples()]
    out.append(f"The gap comes mostly from {' and '.join(parts)}.")
    top = segment.importance().feature.iloc[0]
    out.append(f"Within the segment, {label_of(top, labels)} matters most.")
    return out


def describe_customer(exp: UpliftExplanation, customer_id: int,
                      labels: Mapping[str, str] | None = None) -> list[str]:
    """Why one customer's uplift is what it is, from the base value, in 2–3 sentences."""
    kind = exp.kind
    i = int(np.flatnonzero(exp.customer_ids == customer_id)[0])
    row = exp.row(customer_id)
    explained = float(exp.explained[i])
    gap = explained - exp.base_value
    # Half a point (or 5p) apart: enough for a reader to notice on the chart.
    approximate = exp.method == "surrogate" and abs(explained - exp.uplift[i]) >= (
        0.005 if kind == "binary" else 0.05)
    out = [f"Customer {customer_id}'s predicted uplift is {format_uplift(exp.uplift[i], kind)}"
           f"; the explanation starts from the model's baseline of "
           f"{format_uplift(exp.base_value, kind)} and its steps move it "
           f"{format_uplift(abs(gap), kind, signed=False)} {'up' if gap >= 0 else 'down'}, to "
           f"{format_uplift(explained, kind)}"
           f"{' (the surrogate’s reading)' if approximate else ''}."]
    up, down = row[row.shap > 0], row[row.shap < 0]
    bits = []
    if len(up):
        r = up.iloc[0]
        bits.append(f"the biggest push up comes from {label_of(r.feature, labels)} = "
                    f"{format_value(r.value)} ({format_uplift(r.shap, kind)})")
    if len(down):
        r = down.iloc[0]
        bits.append(f"the biggest pull down from {label_of(r.feature, labels)} = "
                    f"{format_value(r.value)} ({format_uplift(r.shap, kind)})")
    if bits:
        text = "; ".join(bits)
        out.append(text[0].upper() + text[1:] + ".")
    if approximate:
        out.append(f"The surrogate puts this customer at {format_uplift(explained, kind)}, "
                   f"the model at {format_uplift(exp.uplift[i], kind)}: read the bars as "
                   "approximate.")
    return out
