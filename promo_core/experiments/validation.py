"""Checks an experiment frame before any statistic is computed.

Every problem is collected first and raised together as one ``ValidationError``, so a
page can list them all and the analyst fixes the file once, not once per rerun.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from promo_core.errors import ValidationError, ValidationProblem


def _row_numbers(mask: pd.Series) -> list[int]:
    """1-based data row numbers of the first few rows where ``mask`` holds."""
    return [int(i) + 1 for i in np.flatnonzero(mask.to_numpy())[:5]]


def coerce_metric(values: pd.Series) -> pd.Series:
    """A metric column as float: booleans become 0/1, numeric text is parsed."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    return pd.to_numeric(values, errors="coerce").astype("float64")


def validate_experiment(
    df: pd.DataFrame,
    *,
    arm_col: str,
    control: object,
    metrics: Sequence[str],
    unit_col: str | None = None,
    arms: Sequence[object] | None = None,
    source: str = "experiment",
) -> None:
    """Raise ``ValidationError`` listing everything that makes a readout impossible.

    Catches: missing columns, fewer than 2 arms, a control arm that is not in the data,
    an expected arm (``arms``) with no rows, a metric that is not numeric, a metric
    with no values in an arm, zero variance (nothing to compare), and a unit that sits
    in more than one arm (then it is not the unit of randomisation).
    """
    needed = [arm_col, *metrics] + ([unit_col] if unit_col else [])
    missing = [c for c in dict.fromkeys(needed) if c not in df.columns]
    if missing:
        raise ValidationError(
            source,
            [ValidationProblem(f"column not found; the file has: {', '.join(map(str, df.columns))}",
                               column=c) for c in missing],
        )
    if not metrics:
        raise ValidationError(source, [ValidationProblem("pick at least one metric column")])

    problems: list[ValidationProblem] = []
    arm_values = df[arm_col]
    present = list(pd.unique(arm_values.dropna()))
    expected = list(arms) if arms is not None else present
    for arm in expected:
        if arm not in present:
            problems.append(ValidationProblem(f"arm '{arm}' has no rows", column=arm_col))
    if len(present) < 2:
        problems.append(ValidationProblem(
            f"needs at least 2 arms to compare, found {len(present)}"
            + (f" ('{present[0]}')" if present else ""), column=arm_col))
    if control not in present:
        shown = ", ".join(f"'{a}'" for a in present[:10])
        problems.append(ValidationProblem(
            f"control arm '{control}' not found; arms in the data: {shown}", column=arm_col))

    for metric in metrics:
        problems.extend(_metric_problems(df, arm_col, control, metric, present))

    if unit_col:
        arms_per_unit = df.groupby(unit_col, sort=False)[arm_col].nunique()
        mixed = arms_per_unit[arms_per_unit > 1]
        if len(mixed):
            shown = ", ".join(map(str, mixed.index[:5]))
            problems.append(ValidationProblem(
                f"{len(mixed):,} unit(s) appear in more than one arm (e.g. {shown}); "
                "the unit column must be what was randomised", column=unit_col))
    if problems:
        raise ValidationError(source, problems)


def _metric_problems(
    df: pd.DataFrame, arm_col: str, control: object, metric: str, present: list[object]
) -> list[ValidationProblem]:
    raw = df[metric]
    values = coerce_metric(raw)
    bad = values.isna() & raw.notna()
    if bad.any():
        return [ValidationProblem("is not numeric (e.g. '"
                                  + str(raw[bad].iloc[0]) + "'); pick a numeric column",
                                  column=metric, count=int(bad.sum()), examples=_row_numbers(bad))]
    stats = values.groupby(df[arm_col], sort=False).agg(["count", "var"])
    problems = []
    empty = [a for a in present if stats["count"].get(a, 0) == 0]
    for arm in empty:
        problems.append(ValidationProblem(f"arm '{arm}' has no rows with a value", column=metric))
    if values.notna().sum() and np.nanvar(values.to_numpy()) == 0:
        problems.append(ValidationProblem(
            f"has the same value ({values.dropna().iloc[0]:g}) in every row: zero variance, "
            "nothing to compare", column=metric))
    elif control in stats.index and not empty:
        flat = stats.index[(stats["var"].fillna(0) == 0)].tolist()
        if control in flat:
            for arm in flat:
                if arm != control:
                    problems.append(ValidationProblem(
                        f"arm '{arm}' and control '{control}' are both constant "
                        "(zero variance): no interval can be computed", column=metric))
    return problems
