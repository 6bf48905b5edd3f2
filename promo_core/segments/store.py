"""Saved segments: the ``segments`` and ``segment_members`` tables.

Every write validates first and runs in one transaction, so a bad request leaves the
tables exactly as they were. Messages name what to fix; the page shows them as given.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from promo_core import db
from promo_core.errors import ValidationError, ValidationProblem
from promo_core.profiles import check_profile_table

KINDS = ("rule", "rfm", "cluster")
MAX_NAME = 80
SOURCE = "segment"


def _fail(message: str, field: str | None = None) -> ValidationError:
    return ValidationError(SOURCE, [ValidationProblem(message, column=field)])


def _clean_name(con: duckdb.DuckDBPyConnection, name: str,
                exclude_id: int | None = None) -> str:
    clean = " ".join(str(name or "").split())
    if not clean:
        raise _fail("give the segment a name", "name")
    if len(clean) > MAX_NAME:
        raise _fail(f"a name has at most {MAX_NAME} characters", "name")
    taken = con.cursor().execute(
        "SELECT count(*) FROM segments WHERE lower(name) = lower(?) "
        "AND segment_id IS DISTINCT FROM ?", [clean, exclude_id]).fetchone()[0]
    if taken:
        raise _fail(f"the name '{clean}' is already taken; choose another", "name")
    return clean


def save_segment(con: duckdb.DuckDBPyConnection, name: str, kind: str,
                 definition: dict[str, Any], as_of: date,
                 customer_ids: Sequence[int] | np.ndarray | pd.Series) -> int:
    """Save a segment and its members; return its id. Nothing is written on error."""
    if kind not in KINDS:
        raise _fail(f"kind must be one of {', '.join(KINDS)}", "kind")
    clean = _clean_name(con, name)
    ids = pd.unique(pd.Series(customer_ids, dtype="int64"))
    if len(ids) == 0:
        raise _fail("the segment is empty: no customer matches it, so there is nothing to "
                    "save; loosen the conditions", "size")
    try:
        text = json.dumps(definition, sort_keys=True, default=str)
    except (TypeError, ValueError) as e:
        raise _fail(f"the definition cannot be stored: {e}", "definition") from e
    members = pd.DataFrame({"customer_id": ids})
    with db.transaction(con) as cur:
        seg_id = cur.execute("SELECT coalesce(max(segment_id), 0) + 1 FROM segments").fetchone()[0]
        cur.execute("INSERT INTO segments VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                    [seg_id, clean, kind, text, as_of, len(ids)])
        cur.register("segment_new_members", members)
        cur.execute("INSERT INTO segment_members SELECT ?, customer_id FROM segment_new_members",
                    [seg_id])
        cur.unregister("segment_new_members")
    return int(seg_id)


def _check_exists(con: duckdb.DuckDBPyConnection, segment_id: int) -> None:
    n = con.cursor().execute("SELECT count(*) FROM segments WHERE segment_id = ?",
                             [segment_id]).fetchone()[0]
    if not n:
        raise _fail(f"there is no segment {segment_id}; it may have been deleted", "segment_id")


def rename_segment(con: duckdb.DuckDBPyConnection, segment_id: int, new_name: str) -> None:
    _check_exists(con, segment_id)
    clean = _clean_name(con, new_name, exclude_id=segment_id)
    con.cursor().execute("UPDATE segments SET name = ? WHERE segment_id = ?", [clean, segment_id])


def delete_segment(con: duckdb.DuckDBPyConnection, segment_id: int) -> None:
    _check_exists(con, segment_id)
    with db.transaction(con) as cur:
        cur.execute("DELETE FROM segment_members WHERE segment_id = ?", [segment_id])
        cur.execute("DELETE FROM segments WHERE segment_id = ?", [segment_id])


def list_segments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """``segment_id, name, kind, definition, as_of, size, created_at``, newest first."""
    return con.cursor().execute(
        "SELECT * FROM segments ORDER BY created_at DESC, segment_id DESC").df()


def get_definition(con: duckdb.DuckDBPyConnection, segment_id: int) -> dict[str, Any]:
    _check_exists(con, segment_id)
    text = con.cursor().execute("SELECT definition FROM segments WHERE segment_id = ?",
                                [segment_id]).fetchone()[0]
    return json.loads(text)


def segment_members(con: duckdb.DuckDBPyConnection, segment_id: int) -> pd.Series:
    _check_exists(con, segment_id)
    return con.cursor().execute(
        "SELECT customer_id FROM segment_members WHERE segment_id = ? ORDER BY customer_id",
        [segment_id]).df()["customer_id"]


def overlap(con: duckdb.DuckDBPyConnection, segment_ids: Sequence[int]) -> pd.DataFrame:
    """Pairwise shared members: ``seg_a, seg_b, name_a, name_b, shared, share_of_a``."""
    return con.cursor().execute("""
        WITH m AS (SELECT * FROM segment_members WHERE list_contains(?, segment_id))
        SELECT a.segment_id AS seg_a, b.segment_id AS seg_b, sa.name AS name_a,
               sb.name AS name_b, count(*) AS shared, count(*) / any_value(sa.size) AS share_of_a
        FROM m a JOIN m b USING (customer_id)
        JOIN segments sa ON sa.segment_id = a.segment_id
        JOIN segments sb ON sb.segment_id = b.segment_id
        GROUP BY ALL ORDER BY seg_a, seg_b""", [[int(s) for s in segment_ids]]).df()


def segment_cards(con: duckdb.DuckDBPyConnection, segment_ids: Sequence[int],
                  profile_table: str) -> pd.DataFrame:
    """One row per segment: size, revenue share, AOV, recency quartiles, promo response.

    Computed on the given profile table (the current as-of date); members who are not
    in it (not known yet at that date) are left out, hence ``size_now``.
    """
    check_profile_table(profile_table)
    return con.cursor().execute(f"""
        WITH tot AS (SELECT sum(monetary) AS rev FROM {profile_table})
        SELECT s.segment_id, s.name, s.kind, s.as_of, s.size, count(p.customer_id) AS size_now,
               sum(p.monetary) / nullif(any_value(tot.rev), 0) AS revenue_share,
               sum(p.monetary) / nullif(sum(p.frequency), 0) AS aov,
               avg(p.frequency) AS orders_per_customer,
               quantile_cont(p.recency_days, 0.25) AS recency_p25,
               median(p.recency_days) AS recency_median,
               quantile_cont(p.recency_days, 0.75) AS recency_p75,
               avg(p.discount_share) AS discount_share,
               avg(p.past_promo_response) AS past_promo_response
        FROM segments s JOIN segment_members m USING (segment_id)
        LEFT JOIN {profile_table} p ON p.customer_id = m.customer_id, tot
        WHERE list_contains(?, s.segment_id)
        GROUP BY s.segment_id, s.name, s.kind, s.as_of, s.size
        ORDER BY s.segment_id""", [[int(s) for s in segment_ids]]).df()


def segment_profile_values(con: duckdb.DuckDBPyConnection, segment_ids: Sequence[int],
                           profile_table: str, columns: Sequence[str]) -> pd.DataFrame:
    """Members' profile columns with ``segment_id``, for distributions and category mix."""
    check_profile_table(profile_table)
    from promo_core.profiles import table_fields

    have = set(table_fields(con, profile_table))
    bad = [c for c in columns if c not in have]
    if bad:
        raise _fail(f"unknown profile columns {bad}")
    cols = "".join(f', p."{c}"' for c in columns)
    return con.cursor().execute(
        f"SELECT m.segment_id, m.customer_id{cols} FROM segment_members m "
        f"JOIN {profile_table} p USING (customer_id) WHERE list_contains(?, m.segment_id)",
        [[int(s) for s in segment_ids]]).df()


def members_csv(con: duckdb.DuckDBPyConnection, segment_id: int,
                profile_table: str | None = None) -> bytes:
    """The segment's members as CSV bytes (with their profile when a table is given)."""
    _check_exists(con, segment_id)
    if profile_table is None:
        df = segment_members(con, segment_id).to_frame()
    else:
        check_profile_table(profile_table)
        df = con.cursor().execute(
            f"SELECT p.* FROM segment_members m JOIN {profile_table} p USING (customer_id) "
            "WHERE m.segment_id = ? ORDER BY p.customer_id", [segment_id]).df()
    return df.to_csv(index=False).encode("utf-8")
