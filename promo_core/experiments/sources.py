"""Where a readout's rows come from: an uploaded test file, or a past promotion with a
hold-out in the active data set.

Outcomes of a past promotion come from the exposure's own outcome columns when the
data set recorded them (Hillstrom: converted / revenue / visited), else from ``orders``
in the response window ``[exposed_at, exposed_at + duration_days)``.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import duckdb
import pandas as pd

from promo_core.errors import ValidationError, ValidationProblem

OUTCOME_COLUMNS = ("converted", "revenue", "visited")
TREATED, CONTROL = "treated", "control"
# Response window when a promotion has no duration recorded: two weeks, the length of
# the Hillstrom follow-up and a common e-mail attribution window.
DEFAULT_WINDOW_DAYS = 14


def read_uploaded_table(data: bytes, filename: str) -> pd.DataFrame:
    """An uploaded CSV or XLSX as a frame; anything else is refused with a message."""
    suffix = Path(filename).suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(io.BytesIO(data))
        elif suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(io.BytesIO(data))
        else:
            raise ValidationError(filename, [ValidationProblem(
                f"'{suffix or 'no extension'}' is not supported; upload a .csv or .xlsx file")])
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ValidationError(filename, [ValidationProblem(f"could not be read: {e}")]) from e
    if frame.empty:
        raise ValidationError(filename, [ValidationProblem("has no data rows")])
    return frame


def list_promotions_with_control(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Past promotions that held out a control group, newest first.

    Columns: promo_id, name, promo_type, first_exposed, treated, control,
    has_outcomes (the exposures carry outcome columns).
    """
    return con.cursor().execute(
        """
        SELECT e.promo_id, p.name, p.promo_type,
               min(e.exposed_at)::DATE AS first_exposed,
               count(*) FILTER (WHERE NOT e.is_control) AS treated,
               count(*) FILTER (WHERE e.is_control) AS control,
               count(e.converted) > 0 OR count(e.revenue) > 0 OR count(e.visited) > 0
                   AS has_outcomes
        FROM exposures e LEFT JOIN promotions p USING (promo_id)
        GROUP BY e.promo_id, p.name, p.promo_type
        HAVING count(*) FILTER (WHERE e.is_control) > 0
           AND count(*) FILTER (WHERE NOT e.is_control) > 0
        ORDER BY first_exposed DESC, e.promo_id
        """
    ).df()


def load_promotion_outcomes(
    con: duckdb.DuckDBPyConnection, promo_id: int, *,
    default_window_days: int = DEFAULT_WINDOW_DAYS,
) -> pd.DataFrame:
    """One row per exposure of ``promo_id``: customer_id, arm ('treated'/'control'),
    exposed_at, converted (0/1), revenue, visited (0/1, NaN when not recorded).

    Revenue from ``orders`` is the basket at list price (``orders.revenue``), the same
    measure the uplift models forecast.
    """
    cur = con.cursor()
    has_outcomes = cur.execute(
        "SELECT count(converted) + count(revenue) + count(visited) > 0 "
        "FROM exposures WHERE promo_id = ?", [promo_id]).fetchone()[0]
    if has_outcomes:
        sql = """
            SELECT customer_id,
                   CASE WHEN is_control THEN 'control' ELSE 'treated' END AS arm,
                   exposed_at,
                   converted::DOUBLE AS converted,
                   revenue::DOUBLE AS revenue,
                   visited::DOUBLE AS visited
            FROM exposures WHERE promo_id = $promo
            ORDER BY customer_id, exposed_at
        """
    else:
        # Each exposure gets the orders of its customer inside its own window; the row
        # number keeps repeated exposures of one customer apart.
        sql = """
            WITH e AS (
                SELECT row_number() OVER () AS exposure_row, x.customer_id, x.exposed_at,
                       x.is_control,
                       x.exposed_at + to_days(coalesce(p.duration_days, $days)) AS window_end
                FROM exposures x LEFT JOIN promotions p USING (promo_id)
                WHERE x.promo_id = $promo
            )
            SELECT e.customer_id,
                   CASE WHEN e.is_control THEN 'control' ELSE 'treated' END AS arm,
                   e.exposed_at,
                   (count(o.order_id) > 0)::DOUBLE AS converted,
                   coalesce(sum(o.revenue), 0)::DOUBLE AS revenue,
                   NULL::DOUBLE AS visited
            FROM e LEFT JOIN orders o
              ON o.customer_id = e.customer_id
             AND o.order_ts >= e.exposed_at AND o.order_ts < e.window_end
            GROUP BY e.exposure_row, e.customer_id, e.is_control, e.exposed_at
            ORDER BY e.customer_id, e.exposed_at
        """
    params = {"promo": promo_id} if has_outcomes else {"promo": promo_id,
                                                        "days": default_window_days}
    return cur.execute(sql, params).df()


def available_metrics(frame: pd.DataFrame) -> list[str]:
    """Outcome columns that have at least one value (``visited`` is often absent)."""
    return [c for c in OUTCOME_COLUMNS if c in frame and frame[c].notna().any()]


_ID_NAME = re.compile(r"(^|[_\s])(id|ID|Id)$|[a-z](ID|Id)$")  # user_id, LocationID (not paid)
ARM_NAMES = ("arm", "variant", "group", "treatment", "bucket", "cell", "segment", "promotion")
CONTROL_NAMES = ("control", "ctrl", "holdout", "hold-out", "no e-mail", "none", "no", "0", "a")


def guess_arm_column(frame: pd.DataFrame) -> str:
    """The column that most likely names the arm: a known name, else the column with
    the fewest distinct values (at least two) that is not numeric-continuous."""
    by_name = {c.lower(): c for c in frame.columns}
    for name in ARM_NAMES:
        if name in by_name:
            return by_name[name]
    counts = frame.nunique(dropna=True)
    few = counts[(counts >= 2) & (counts <= 20)]
    return str(few.idxmin()) if len(few) else str(frame.columns[0])


def guess_control(arms: list) -> object:
    """The arm that most likely is the control (by its name), else the first."""
    for name in CONTROL_NAMES:
        for arm in arms:
            if str(arm).strip().lower() == name:
                return arm
    return arms[0] if arms else None


def metric_candidates(frame: pd.DataFrame, exclude: list[str]) -> list[str]:
    """Columns a readout may use: not the design columns, not row ids (named like an
    id, or a different integer on every row). Text columns stay, so that picking one
    gets its own clear message rather than vanishing from the list."""
    out = []
    for c in frame.columns:
        if c in exclude:
            continue
        if _ID_NAME.search(str(c)) or (
                frame[c].nunique() == len(frame) and len(frame) > 20
                and pd.api.types.is_integer_dtype(frame[c])):
            continue
        out.append(c)
    return out
