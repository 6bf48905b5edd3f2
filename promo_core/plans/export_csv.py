"""Target list CSV: one row per targeted customer, streamed from DuckDB in batches.

Columns: customer_id, promotion, promo_id, segment, expected_uplift, uplift_low,
uplift_high, plan, version, week. The plan name, version and week are in the file
name and in every row, so a forwarded file still says which plan it is.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pyarrow.csv as pcsv

from promo_core import paths
from promo_core.plans.store import PlanVersion, ensure_tables, load_version

BATCH_ROWS = 200_000
TARGETS_SQL = """
    SELECT t.customer_id, coalesce(p.name, 'promotion ' || t.promo_id) AS promotion,
           t.promo_id, t.segment, t.uplift AS expected_uplift, t.lower AS uplift_low,
           t.upper AS uplift_high
    FROM plan_targets t LEFT JOIN promotions p USING (promo_id)
    WHERE t.plan_id = $plan AND t.version = $version
"""
# One order for every export and the page: promotion, segment, best uplift first.
TARGETS_ORDER = "promo_id, segment, expected_uplift DESC, customer_id"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60] or "plan"


def export_name(plan: PlanVersion, kind: str, suffix: str) -> str:
    """``<plan>_v<version>_week-<yyyy-mm-dd>_<kind>.<suffix>``."""
    return f"{slug(plan.name)}_v{plan.version}_week-{plan.week:%Y-%m-%d}_{kind}.{suffix}"


def export_folder(folder: str | Path | None) -> Path:
    out = Path(folder) if folder is not None else paths.EXPORTS_DIR
    out.mkdir(parents=True, exist_ok=True)
    return out


def export_targets_csv(con: duckdb.DuckDBPyConnection, plan_id: int,
                       version: int | None = None, folder: str | Path | None = None) -> Path:
    """Write the target list of a plan version as CSV; return the file's path."""
    ensure_tables(con)
    plan = load_version(con, plan_id, version)
    path = export_folder(folder) / export_name(plan, "targets", "csv")
    cur = con.cursor()
    sql = (f"SELECT *, $name AS plan, {plan.version}::INTEGER AS version, "
           f"$week::DATE AS week FROM ({TARGETS_SQL}) ORDER BY {TARGETS_ORDER}")
    reader = cur.sql(sql, params={"plan": plan.plan_id, "version": plan.version,
                                  "name": plan.name, "week": plan.week}
                     ).to_arrow_reader(BATCH_ROWS)
    tmp = path.with_name(path.name + ".part")
    with pcsv.CSVWriter(tmp, reader.schema) as writer:
        for batch in reader:
            writer.write_batch(batch)
    tmp.replace(path)  # a half-written file never carries the final name
    return path
