"""RFM: recency, frequency and monetary quintile scores (1–5) and named groups.

Scores come from ``NTILE(5)`` in SQL over customers who have ordered. Customers with the
same value share one score (the lowest their value received), so that two people with
identical behaviour never land in different groups just because of scan order — this
matters for frequency, where most customers have one or two orders.

Groups come from an editable, ordered mapping: the first entry whose R, F and M ranges
contain a customer's scores names the group. The default covers all 125 score cells.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import duckdb
import pandas as pd

from promo_core.errors import ValidationError, ValidationProblem
from promo_core.profiles import check_profile_table

NO_ORDERS = "No orders yet"
UNMAPPED = "Other"


@dataclass(frozen=True)
class RfmGroup:
    """Score ranges (inclusive) → group name."""

    name: str
    r: tuple[int, int] = (1, 5)
    f: tuple[int, int] = (1, 5)
    m: tuple[int, int] = (1, 5)


DEFAULT_GROUPS: tuple[RfmGroup, ...] = (
    RfmGroup("Champions", r=(4, 5), f=(4, 5)),
    RfmGroup("Loyal", r=(3, 5), f=(3, 5)),
    RfmGroup("New", r=(4, 5), f=(1, 1)),
    RfmGroup("Potential loyalist", r=(3, 5), f=(1, 2)),
    RfmGroup("Can't lose them", r=(1, 2), f=(4, 5), m=(4, 5)),
    RfmGroup("At risk", r=(1, 2), f=(3, 5)),
    RfmGroup("Hibernating", r=(2, 2), f=(1, 2)),
    RfmGroup("Lost", r=(1, 1), f=(1, 2)),
)


def groups_to_frame(groups: Sequence[RfmGroup]) -> pd.DataFrame:
    """The mapping as an editable table (one row per group, min/max per score)."""
    return pd.DataFrame([{"name": g.name, "r_min": g.r[0], "r_max": g.r[1], "f_min": g.f[0],
                          "f_max": g.f[1], "m_min": g.m[0], "m_max": g.m[1]} for g in groups])


def groups_from_frame(df: pd.DataFrame) -> list[RfmGroup]:
    """Validate an edited mapping table; scores are whole numbers 1–5, min ≤ max."""
    problems = []
    groups = []
    for i, row in enumerate(df.to_dict("records"), start=1):
        name = str(row.get("name") or "").strip()
        if not name:
            problems.append(ValidationProblem("group name is empty", "name", 1, [i]))
            continue
        ranges = []
        for s in ("r", "f", "m"):
            lo, hi = row.get(f"{s}_min"), row.get(f"{s}_max")
            ok = all(isinstance(v, int | float) and not pd.isna(v) and float(v).is_integer()
                     and 1 <= v <= 5 for v in (lo, hi)) and lo <= hi
            if not ok:
                problems.append(ValidationProblem(
                    f"{s.upper()} range of '{name}' must be whole scores 1–5 with min ≤ max",
                    f"{s}_min", 1, [i]))
            ranges.append((int(lo), int(hi)) if ok else (1, 5))
        groups.append(RfmGroup(name, *ranges))
    if problems:
        raise ValidationError("RFM groups", problems)
    return groups


def groups_to_json(groups: Sequence[RfmGroup]) -> str:
    return json.dumps([asdict(g) for g in groups])


def compute_rfm(con: duckdb.DuckDBPyConnection, table: str,
                groups: Sequence[RfmGroup] = DEFAULT_GROUPS) -> pd.DataFrame:
    """``customer_id, r, f, m, rfm_group`` for every customer of a profile table.

    Customers with no orders get scores 0 and the group ``NO_ORDERS``.
    """
    check_profile_table(table)
    scores = con.cursor().execute(f"""
        WITH buyers AS (
            SELECT customer_id, recency_days, frequency, monetary,
                   NTILE(5) OVER (ORDER BY recency_days DESC, customer_id) AS r0,
                   NTILE(5) OVER (ORDER BY frequency, customer_id) AS f0,
                   NTILE(5) OVER (ORDER BY monetary, customer_id) AS m0
            FROM {table} WHERE frequency > 0
        )
        SELECT p.customer_id,
               coalesce(min(b.r0) OVER (PARTITION BY b.recency_days), 0) AS r,
               coalesce(min(b.f0) OVER (PARTITION BY b.frequency), 0) AS f,
               coalesce(min(b.m0) OVER (PARTITION BY b.monetary), 0) AS m
        FROM {table} p LEFT JOIN buyers b USING (customer_id)
        ORDER BY p.customer_id""").df()
    scores[["r", "f", "m"]] = scores[["r", "f", "m"]].astype("int64")
    scores["rfm_group"] = assign_groups(scores, groups)
    return scores


def assign_groups(scores: pd.DataFrame, groups: Sequence[RfmGroup]) -> pd.Series:
    """First matching group per row (vectorised: one mask per group, not per row)."""
    out = pd.Series(UNMAPPED, index=scores.index, dtype="object")
    done = pd.Series(False, index=scores.index)
    for g in groups:
        hit = (~done & scores["r"].between(*g.r) & scores["f"].between(*g.f)
               & scores["m"].between(*g.m))
        out[hit] = g.name
        done |= hit
    out[scores["r"] == 0] = NO_ORDERS
    return out


def summarise_rfm(rfm: pd.DataFrame, profile: pd.DataFrame) -> pd.DataFrame:
    """Per group: customers, share, revenue share, mean recency, frequency and AOV."""
    df = rfm[["customer_id", "rfm_group"]].merge(
        profile[["customer_id", "recency_days", "frequency", "monetary"]], on="customer_id")
    g = df.groupby("rfm_group", sort=False).agg(
        customers=("customer_id", "size"), revenue=("monetary", "sum"),
        recency_days=("recency_days", "mean"), frequency=("frequency", "mean"))
    g["share"] = g["customers"] / g["customers"].sum()
    total = g["revenue"].sum()
    g["revenue_share"] = g["revenue"] / total if total else 0.0
    g["aov"] = g["revenue"] / (g["frequency"] * g["customers"]).where(g["frequency"] > 0)
    return g.sort_values("revenue", ascending=False).reset_index()
