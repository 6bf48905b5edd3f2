"""Preset: the Hillstrom MineThatData e-mail experiment (64,000 customers, 2008).

How the file becomes canonical tables (choices a reader should know):
- ``customer_id`` = the data row number (1..64,000): the file has no id.
- The campaign date is not published; exposures are dated ``EXPOSED_AT``
  (2008-03-01, the challenge's month) and the response window is 14 days, so the
  data set's ``as_of`` is 2008-03-15.
- ``signup_date``: the file says only whether a customer is new in the past twelve
  months (``newbie``). Newbies get ``EXPOSED_AT − 12 months`` (the latest date
  consistent with any ``recency``), others ``EXPOSED_AT − 24 months``. Tenure is thus
  a coarse two-valued feature, exactly as informative as ``newbie``.
- Extra attributes: recency, history, history_segment, mens, womens, zip_code
  (``Surburban`` kept as spelt), newbie, channel.
- Two promotions, 1 = Mens E-Mail and 2 = Womens E-Mail (``informational``, channel
  ``email``, 14 days, no known costs, so 0). The No E-Mail group is the control of
  **both**: each of its customers has one control exposure per promotion, so a
  readout or T-learner of either e-mail compares it with the same hold-out. Summing
  exposures across promotions therefore counts control customers twice.
- Outcomes: ``converted`` = conversion, ``visited`` = visit, ``revenue`` = spend.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pyarrow as pa

from promo_core.errors import ValidationError, ValidationProblem
from promo_core.importers.mapping import normalise
from promo_core.importers.validate import ROW, _problem, _typed_expr
from promo_core.importers.writer import Payload

EXPOSED_AT = date(2008, 3, 1)
RESPONSE_DAYS = 14
SEGMENTS = {"Mens E-Mail": 1, "Womens E-Mail": 2}
CONTROL = "No E-Mail"
COLUMNS = {
    "recency": "BIGINT", "history_segment": "VARCHAR", "history": "DOUBLE", "mens": "BIGINT",
    "womens": "BIGINT", "zip_code": "VARCHAR", "newbie": "BIGINT", "channel": "VARCHAR",
    "segment": "VARCHAR", "visit": "BIGINT", "conversion": "BIGINT", "spend": "DOUBLE",
}
EXTRAS = ("recency", "history", "history_segment", "mens", "womens", "zip_code", "newbie",
          "channel")


def _stage(cur: duckdb.DuckDBPyConnection, name: str, data: pa.Table) -> None:
    by_norm = {normalise(c): c for c in data.column_names}
    missing = [c for c in COLUMNS if normalise(c) not in by_norm]
    if missing:
        raise ValidationError(name, [ValidationProblem(
            "not a Hillstrom file: missing column(s) " + ", ".join(missing))])
    keys = list(COLUMNS)
    arrow = pa.table([data.column(by_norm[normalise(k)]) for k in keys]
                     + [pa.array(range(1, data.num_rows + 1), pa.int64())], names=keys + [ROW])
    cur.register("hs_raw", arrow)
    typed = {k: _typed_expr(k, t, "") for k, t in COLUMNS.items()}
    problems = []
    for k, t in COLUMNS.items():
        problems += _problem(cur, "hs_raw", f"({typed[k]}) IS NULL", "is empty" if t == "VARCHAR"
                             else "is empty or not a number", by_norm[normalise(k)])
    cur.execute(f"CREATE TABLE hs AS SELECT {ROW}, "
                + ", ".join(f'{typed[k]} AS "{k}"' for k in keys) + " FROM hs_raw")
    cur.unregister("hs_raw")
    col = {k: by_norm[normalise(k)] for k in keys}
    checks = [
        ("segment NOT IN (SELECT unnest(?))",
         f"unknown group; expected {', '.join([*SEGMENTS, CONTROL])}", "segment",
         [[*SEGMENTS, CONTROL]]),
        ("visit NOT IN (0, 1) OR conversion NOT IN (0, 1) OR mens NOT IN (0, 1) "
         "OR womens NOT IN (0, 1) OR newbie NOT IN (0, 1)", "a 0/1 flag has another value",
         None, []),
        ("spend < 0 OR history < 0", "is negative", "spend", []),
        ("recency < 1 OR recency > 12", "months since last purchase outside 1–12", "recency",
         []),
    ]
    if not problems:
        for where, message, column, params in checks:
            problems += _problem(cur, "hs", where, message, col.get(column), params)
    if problems:
        raise ValidationError(name, problems)


def build_hillstrom(
    stage: duckdb.DuckDBPyConnection, files: list[tuple[str, pa.Table]], progress,
) -> Payload:
    """Stage the Hillstrom file as ``out_customers``, ``out_promotions``, ``out_exposures``."""
    if len(files) != 1:
        raise ValidationError("hillstrom", [ValidationProblem(
            f"the Hillstrom preset takes exactly one file, got {len(files)}")])
    name, data = files[0]
    cur = stage.cursor()
    progress(0.2, f"Checking {name}…")
    _stage(cur, name, data)
    progress(0.4, "Building customers, promotions and exposures…")
    extras = ", ".join(f'"{k}"' for k in EXTRAS)
    cur.execute(
        f"""CREATE TABLE out_customers AS SELECT {ROW}::BIGINT AS customer_id,
            (?::DATE - CASE WHEN newbie = 1 THEN INTERVAL 12 MONTH ELSE INTERVAL 24 MONTH END
            )::DATE AS signup_date, {extras} FROM hs ORDER BY customer_id""", [EXPOSED_AT])
    cur.execute(
        """CREATE TABLE out_promotions AS SELECT * FROM (VALUES
            (1::BIGINT, 'Mens E-Mail', 'mens'), (2::BIGINT, 'Womens E-Mail', 'womens'))
            AS p(promo_id, name, category)""")
    cur.execute(
        """ALTER TABLE out_promotions ADD COLUMN promo_type VARCHAR DEFAULT 'informational';
           ALTER TABLE out_promotions ADD COLUMN value DOUBLE DEFAULT 0;
           ALTER TABLE out_promotions ADD COLUMN min_spend DOUBLE DEFAULT 0;
           ALTER TABLE out_promotions ADD COLUMN channel VARCHAR DEFAULT 'email';
           ALTER TABLE out_promotions ADD COLUMN duration_days INTEGER DEFAULT 14;
           ALTER TABLE out_promotions ADD COLUMN cost_per_contact DOUBLE DEFAULT 0;
           ALTER TABLE out_promotions ADD COLUMN fixed_cost DOUBLE DEFAULT 0;
           ALTER TABLE out_promotions ADD COLUMN is_targeted BOOLEAN DEFAULT false;""")
    cur.execute("ALTER TABLE out_promotions ADD COLUMN start_date DATE")
    cur.execute("UPDATE out_promotions SET start_date = ?", [EXPOSED_AT])
    # Treated rows of each e-mail, then the No E-Mail rows once per promotion as control.
    cur.execute(
        """CREATE TABLE out_exposures AS
        SELECT p.promo_id, h.__row::BIGINT AS customer_id, ?::TIMESTAMP AS exposed_at,
               h.segment = ? AS is_control, h.conversion = 1 AS converted,
               h.spend AS revenue, h.visit = 1 AS visited
        FROM hs h JOIN out_promotions p ON h.segment = p.name OR h.segment = ?
        ORDER BY p.promo_id, customer_id""", [EXPOSED_AT, CONTROL, CONTROL])
    as_of = EXPOSED_AT.replace(day=EXPOSED_AT.day + RESPONSE_DAYS)
    return Payload(["customers", "promotions", "exposures"], {k: COLUMNS[k] for k in EXTRAS},
                   [], name, as_of.isoformat())
