"""The plan workbook: Summary, Segments, Targets, Assumptions and Model card sheets.

Numbers are written as numbers with number formats (money, counts, percentages).
XlsxWriter builds the workbook. Its per-cell Python calls cost about 10 µs each, so a
1M-target sheet (7M cells) would take over a minute; the Targets sheets are therefore
written by XlsxWriter with their title, header, column formats and filter only, and
their rows are generated in DuckDB as SpreadsheetML (the ``<row>/<c>`` elements
XlsxWriter's own constant_memory mode writes: numbers with a style index, inline
strings) and streamed into the package when it is zipped. A sheet holds at most
``MAX_SHEET_ROWS`` targets (Excel's row limit); larger lists continue on "Targets 2"…
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import xlsxwriter

from promo_core.plans.export_csv import TARGETS_ORDER, TARGETS_SQL, export_folder, export_name
from promo_core.plans.payload import FIGURES, figure_columns, figure_kind, figure_label
from promo_core.plans.store import PlanVersion, ensure_tables, load_version

MAX_SHEET_ROWS = 1_048_576 - 2  # Excel's limit minus the title and header rows
CHUNK_ROWS = 50_000
NUM_FORMATS = {"money": "#,##0.00", "count": "#,##0", "decimal": "#,##0.0",
               "percent": "0.0%", "uplift": "0.00%", "id": "0", "rate": "0.000"}
TARGET_HEADER = ("Customer ID", "Promotion", "Promo ID", "Segment", "Expected uplift",
                 "Uplift low", "Uplift high")


def _formats(wb: xlsxwriter.Workbook) -> dict[str, Any]:
    out = {k: wb.add_format({"num_format": v}) for k, v in NUM_FORMATS.items()}
    out["title"] = wb.add_format({"bold": True, "font_size": 14})
    out["header"] = wb.add_format({"bold": True, "bg_color": "#E8EEF7", "bottom": 1,
                                   "text_wrap": True, "valign": "top"})
    out["bold"] = wb.add_format({"bold": True})
    out["text"] = None
    return out


def _title(ws, fmt, plan: PlanVersion, what: str) -> None:
    ws.write_string(0, 0, f"{what} — {plan.name} v{plan.version}, week of "
                          f"{plan.week:%d %b %Y}", fmt["title"])


def _value(ws, row: int, col: int, value: Any, kind: str, fmt) -> None:
    if value is None or (isinstance(value, float) and value != value):
        ws.write_blank(row, col, None)
    elif isinstance(value, bool) or kind == "text" or not isinstance(value, int | float):
        ws.write_string(row, col, str(value))
    else:
        ws.write_number(row, col, float(value), fmt[kind] if kind in NUM_FORMATS else None)


def _summary(wb, fmt, plan: PlanVersion) -> None:
    ws = wb.add_worksheet("Summary")
    p = plan.payload
    _title(ws, fmt, plan, "Promotion plan")
    facts = [("Plan", plan.name), ("Version", plan.version),
             ("Week", plan.week.isoformat()), ("Status", plan.status),
             ("Saved", str(plan.created_at)[:19]), ("Note", plan.note),
             ("Built from", f"{p.get('source')}: {p.get('scenario')}"),
             ("Features as of", p.get("as_of")),
             ("Model", (p.get("model") or {}).get("name", "none")),
             ("Data fingerprint", p.get("data_fingerprint")),
             ("Targets", p["targets"]["count"])]
    for i, (label, value) in enumerate(facts, start=2):
        ws.write_string(i, 0, label, fmt["bold"])
        _value(ws, i, 1, value, "count" if label in ("Targets", "Version") else "text", fmt)
    row = len(facts) + 3
    ws.write_row(row, 0, ["Figure", "Forecast", "Low (95 %)", "High (95 %)"], fmt["header"])
    totals = p["totals"]
    for key in FIGURES:
        row += 1
        kind = figure_kind(key)
        ws.write_string(row, 0, FIGURES[key][0])
        _value(ws, row, 1, totals.get(key), kind, fmt)
        _value(ws, row, 2, totals.get(f"{key}_low"), kind, fmt)
        _value(ws, row, 3, totals.get(f"{key}_high"), kind, fmt)
    ws.set_column(0, 0, 32)
    ws.set_column(1, 3, 18)


def _segments(wb, fmt, plan: PlanVersion) -> None:
    ws = wb.add_worksheet("Segments")
    _title(ws, fmt, plan, "Economics per segment")
    cols = ["segment", "promotion", "mechanic", *figure_columns()]
    ws.write_row(1, 0, [figure_label(c) if c in figure_columns() else c.capitalize()
                        for c in cols], fmt["header"])
    rows = [*plan.payload["segments"], {"segment": "Total", **plan.payload["totals"]}]
    for r, rec in enumerate(rows, start=2):
        for c, col in enumerate(cols):
            kind = figure_kind(col) if c >= 3 else "text"
            _value(ws, r, c, rec.get(col), kind, fmt if r else None)
    ws.set_row(1, 45)
    ws.set_column(0, 2, 22)
    ws.set_column(3, len(cols) - 1, 14)
    ws.freeze_panes(2, 1)


def _flat(value: Any) -> Any:
    return json.dumps(value, default=str) if isinstance(value, dict | list) else value


def _key_values(wb, fmt, plan: PlanVersion, name: str, what: str,
                items: list[tuple[str, Any, str]]) -> Any:
    ws = wb.add_worksheet(name)
    _title(ws, fmt, plan, what)
    ws.write_row(1, 0, ["Item", "Value"], fmt["header"])
    for r, (label, value, kind) in enumerate(items, start=2):
        ws.write_string(r, 0, label)
        _value(ws, r, 1, _flat(value), kind, fmt)
    ws.set_column(0, 0, 34)
    ws.set_column(1, 1, 40)
    return ws


def _assumptions(wb, fmt, plan: PlanVersion) -> None:
    a = plan.payload["assumptions"]
    items = [("Gross margin rate", a.get("margin_rate"), "percent"),
             ("Basket log-sd (threshold spread)", a.get("basket_sigma"), "rate"),
             ("Budget", a.get("budget"), "money"),
             ("Basket values from", a.get("basket_source"), "text")]
    items += [(f"Constraint: {k}", v, "text" if not isinstance(v, int | float) else "decimal")
              for k, v in (a.get("constraints") or {}).items()]
    ws = _key_values(wb, fmt, plan, "Assumptions", "Assumptions", items)
    promos = list((a.get("promotions") or {}).values())
    if promos:
        keys = ["promo_id", "name", "promo_type", "value", "min_spend", "channel",
                "duration_days", "cost_per_contact", "fixed_cost", "unit_cost", "shipping_cost"]
        start = len(items) + 4
        ws.write_string(start - 1, 0, "Promotions in the plan", fmt["bold"])
        ws.write_row(start, 0, keys, fmt["header"])
        for r, promo in enumerate(promos, start=start + 1):
            for c, k in enumerate(keys):
                kind = "money" if "cost" in k or k in ("value", "min_spend") else "count"
                _value(ws, r, c, promo.get(k), "text" if k in ("name", "promo_type",
                                                                "channel") else kind, fmt)


def _model_card(wb, fmt, plan: PlanVersion) -> None:
    model = plan.payload.get("model") or {}
    items = [(k, v, "text" if k != "model_id" else "id")
             for k, v in model.items() if k != "metrics"]
    items += [(f"metric: {k}", v, "rate" if isinstance(v, float) else "text")
              for k, v in (model.get("metrics") or {}).items()]
    items.append(("Data fingerprint at save", plan.payload.get("data_fingerprint"), "text"))
    if not model:
        items.insert(0, ("Model", "none recorded", "text"))
    _key_values(wb, fmt, plan, "Model card", "Model card", items)


def _targets_sheets(wb, fmt, plan: PlanVersion, n: int) -> list[tuple[str, int]]:
    """Empty Targets sheets (title, header, formats); return (sheet name, rows) each."""
    sheets = []
    for k in range(max(1, -(-n // MAX_SHEET_ROWS))):
        rows = min(MAX_SHEET_ROWS, n - k * MAX_SHEET_ROWS)
        name = "Targets" if k == 0 else f"Targets {k + 1}"
        ws = wb.add_worksheet(name)
        _title(ws, fmt, plan, "Targets" if k == 0 else f"Targets (part {k + 1})")
        ws.write_row(1, 0, TARGET_HEADER, fmt["header"])
        ws.set_column(0, 0, 13, fmt["id"])
        ws.set_column(1, 1, 30)
        ws.set_column(2, 2, 9, fmt["id"])
        ws.set_column(3, 3, 24)
        ws.set_column(4, 6, 14, fmt["uplift"])
        ws.freeze_panes(2, 0)
        ws.autofilter(1, 0, 1 + max(rows, 1), len(TARGET_HEADER) - 1)
        sheets.append((name, max(rows, 0)))
    return sheets


def _row_xml_sql(styles: dict[str, int]) -> str:
    """SpreadsheetML rows for the targets, numbered per sheet, aggregated in chunks."""
    def esc(col: str) -> str:
        return (f"replace(replace(replace({col}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')")

    def num(col: str, letter: str, style: int) -> str:
        return (f"CASE WHEN isfinite({col}) THEN '<c r=\"{letter}' || r || '\" s=\"{style}\">"
                f"<v>' || CAST({col} AS VARCHAR) || '</v></c>' ELSE '' END")

    def whole(col: str, letter: str, style: int) -> str:
        return (f"CASE WHEN {col} IS NOT NULL THEN '<c r=\"{letter}' || r || '\" s=\"{style}\">"
                f"<v>' || CAST({col} AS VARCHAR) || '</v></c>' ELSE '' END")

    def text(col: str, letter: str) -> str:
        return (f"'<c r=\"{letter}' || r || '\" t=\"inlineStr\"><is><t>' || "
                f"coalesce({esc(col)}, '') || '</t></is></c>'")

    cells = " || ".join([
        whole("customer_id", "A", styles["id"]), text("promotion", "B"),
        whole("promo_id", "C", styles["id"]), text("segment", "D"),
        num("expected_uplift", "E", styles["uplift"]), num("uplift_low", "F", styles["uplift"]),
        num("uplift_high", "G", styles["uplift"])])
    # Row numbers restart on each sheet (r = 3 … after the title and header rows).
    return f"""
        WITH t AS (SELECT *, row_number() OVER (ORDER BY {TARGETS_ORDER}) - 1 AS i
                   FROM ({TARGETS_SQL}))
        SELECT '<row r="' || r || '">' || {cells} || '</row>' AS xml
        FROM (SELECT *, i - $first + 3 AS r FROM t WHERE i >= $first AND i < $stop)
        ORDER BY i"""


def export_workbook(con: duckdb.DuckDBPyConnection, plan_id: int, version: int | None = None,
                    folder: str | Path | None = None) -> Path:
    """Write the plan workbook (XLSX); return its path."""
    ensure_tables(con)
    plan = load_version(con, plan_id, version)
    path = export_folder(folder) / export_name(plan, "plan", "xlsx")
    n = int(con.cursor().execute(
        "SELECT count(*) FROM plan_targets WHERE plan_id = ? AND version = ?",
        [plan.plan_id, plan.version]).fetchone()[0])
    skeleton = io.BytesIO()
    wb = xlsxwriter.Workbook(skeleton, {"in_memory": True})
    wb.set_properties({"title": f"{plan.name} v{plan.version} week {plan.week}",
                       "subject": "Promotion plan", "comments": "Exported by Promo Lab"})
    fmt = _formats(wb)
    _summary(wb, fmt, plan)
    _segments(wb, fmt, plan)
    sheets = _targets_sheets(wb, fmt, plan, n)
    _assumptions(wb, fmt, plan)
    _model_card(wb, fmt, plan)
    wb.close()
    styles = {k: fmt[k]._get_xf_index() for k in ("id", "uplift")}
    first = 3  # Summary, Segments, then the Targets sheets (sheet<k>.xml, 1-based)
    files = {f"xl/worksheets/sheet{first + k}.xml": rows for k, (_, rows) in enumerate(sheets)}
    sql = _row_xml_sql(styles)

    def rows_of(sheet: int):
        """Arrow batches of one sheet's row XML, read lazily while the zip is written."""
        first = sheet * MAX_SHEET_ROWS
        return con.cursor().sql(sql, params={
            "plan": plan.plan_id, "version": plan.version, "first": first,
            "stop": first + MAX_SHEET_ROWS}).to_arrow_reader(CHUNK_ROWS)

    tmp = path.with_name(path.name + ".part")
    _assemble(skeleton, tmp, files, rows_of)
    tmp.replace(path)
    return path


def _joined(batch) -> memoryview:
    """All strings of an Arrow string column back to back, without copying: the
    column's data buffer already holds them contiguously between its first and last
    offsets."""
    arr = batch.column(0)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int32)[arr.offset:
                                                              arr.offset + len(arr) + 1]
    return memoryview(arr.buffers()[2])[offsets[0]:offsets[-1]]


def _assemble(skeleton: io.BytesIO, out: Path, sheets: dict[str, int], rows_of) -> None:
    """Copy the skeleton package, streaming the target rows into each Targets sheet."""
    with zipfile.ZipFile(skeleton) as src, zipfile.ZipFile(
            out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename not in sheets:
                dst.writestr(info, data)
                continue
            xml = data.decode("utf-8")
            rows = sheets[info.filename]
            xml = re.sub(r'<dimension ref="[^"]*"/>', f'<dimension ref="A1:G{rows + 2}"/>', xml)
            head, tail = xml.split("</sheetData>", 1)
            with dst.open(info.filename, "w", force_zip64=True) as f:
                f.write(head.encode("utf-8"))
                if rows:
                    for batch in rows_of(list(sheets).index(info.filename)):
                        if batch.num_rows:
                            f.write(_joined(batch))
                f.write(("</sheetData>" + tail).encode("utf-8"))
