"""A self-contained HTML report of a plan for the review meeting.

One file that opens offline: the plotly library is inlined once (the first figure
carries it, ``include_plotlyjs=True``; the others reuse it), styles are inline, and
there is no script or font from the network. Print CSS keeps tables and charts whole
on a page, so "Print → Save as PDF" in the browser gives the handout.
"""

from __future__ import annotations

import html
from pathlib import Path

import duckdb
import pandas as pd

from promo_core.charts.plans import (
    build_forecast_chart,
    build_ledger_chart,
    build_plan_vs_actual_chart,
)
from promo_core.plans.export_csv import export_folder, export_name
from promo_core.plans.payload import FIGURES, figure_kind, figure_label
from promo_core.plans.review import forecast_ledger, review_plan
from promo_core.plans.store import decision_log, ensure_tables, load_version
from promo_core.promotions import describe

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem auto;
     max-width:1100px;color:#212529;line-height:1.4}
h1{margin-bottom:.2rem} .meta{color:#495057;margin-bottom:1.5rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.9rem}
th,td{border-bottom:1px solid #dee2e6;padding:.3rem .6rem;text-align:right}
th{background:#e8eef7} td:first-child,th:first-child{text-align:left}
.figure{page-break-inside:avoid;break-inside:avoid;margin-bottom:1rem}
.verdict{background:#f1f3f5;padding:.6rem 1rem;border-left:4px solid #d6336c}
@media print{body{margin:0;max-width:none} h2{page-break-after:avoid}
  table,.figure{page-break-inside:avoid} .plotly .modebar{display:none}}
"""


def _fmt(value, kind: str) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "–"
    if kind == "money":
        return f"{value:,.2f}"
    if kind == "count":
        return f"{value:,.0f}"
    if kind == "decimal":
        return f"{value:,.1f}"
    if kind in ("percent", "pp"):
        return f"{value:+.2%}" if kind == "pp" else f"{value:.1%}"
    return html.escape(str(value))


def _table(rows: list[dict], columns: list[tuple[str, str, str]]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label, _ in columns)
    body = "".join("<tr>" + "".join(f"<td>{_fmt(r.get(k), kind)}</td>" for k, _, kind in columns)
                   + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _id_order(key) -> tuple:
    """Promotion ids (JSON keys are text) in numeric order: 2 before 10."""
    return (0, int(key), "") if str(key).isdigit() else (1, 0, str(key))


def _figure(fig, first: bool) -> str:
    return ('<div class="figure">' + fig.to_html(full_html=False, include_plotlyjs=first,
                                                 config={"displaylogo": False}) + "</div>")


def build_report(con: duckdb.DuckDBPyConnection, plan_id: int, version: int | None = None
                 ) -> str:
    """The report's HTML text (see :func:`export_report` to write it)."""
    ensure_tables(con)
    plan = load_version(con, plan_id, version)
    p = plan.payload
    title = f"{plan.name} — version {plan.version}, week of {plan.week:%d %b %Y}"
    model = (p.get("model") or {}).get("name", "none recorded")
    parts = [f"<h1>{html.escape(title)}</h1>",
             f'<div class="meta">Status <b>{plan.status}</b> · built from '
             f"{html.escape(str(p.get('source')))} “{html.escape(str(p.get('scenario')))}” · "
             f"features as of {p.get('as_of')} · model {html.escape(str(model))} · data "
             f"fingerprint {p.get('data_fingerprint')} · {p['targets']['count']:,} targets</div>"]
    totals = [{"figure": FIGURES[k][0], "value": p["totals"].get(k),
               "low": p["totals"].get(f"{k}_low"), "high": p["totals"].get(f"{k}_high"),
               "kind": figure_kind(k)} for k in FIGURES]
    parts.append("<h2>Summary</h2><table><thead><tr><th>Figure</th><th>Forecast</th>"
                 "<th>Low (95 %)</th><th>High (95 %)</th></tr></thead><tbody>"
                 + "".join(f"<tr><td>{html.escape(t['figure'])}</td>"
                           + "".join(f"<td>{_fmt(t[c], t['kind'])}</td>"
                                     for c in ("value", "low", "high")) + "</tr>"
                           for t in totals) + "</tbody></table>")
    seg_cols = [("segment", "Segment", "text"), ("promotion", "Promotion", "text"),
                ("mechanic", "Mechanic", "text")] + [
        (k, figure_label(k), figure_kind(k)) for k in
        ("contacts", "inc_conversions", "inc_conversions_low", "inc_conversions_high",
         "inc_margin", "promotion_cost", "net_profit", "roi")]
    parts.append("<h2>Per segment</h2>" + _table(p["segments"], seg_cols))
    figures = [build_forecast_chart(pd.DataFrame(p["segments"]))] if p["segments"] else []
    review = review_plan(con, plan.plan_id, plan.version)
    if pd.notna(review.total["actual_lift"]):
        parts.append(f'<h2>Plan vs actual</h2><p class="verdict">'
                     f"{html.escape(review.verdict())}</p>")
        rev_cols = [("segment", "Segment", "text"), ("promotion", "Promotion", "text"),
                    ("treated", "Treated", "count"), ("control", "Control", "count"),
                    ("actual_lift", "Actual lift", "pp"), ("lift_low", "Low", "pp"),
                    ("lift_high", "High", "pp"), ("forecast_lift", "Forecast", "pp"),
                    ("error", "Error", "pp"), ("covered", "Band covered", "text")]
        parts.append(_table(review.table.to_dict("records"), rev_cols))
        figures.append(build_plan_vs_actual_chart(review.table))
    ledger = forecast_ledger(con)
    if len(ledger):
        figures.append(build_ledger_chart(ledger))
    parts.append("<h2>Charts</h2>" + "".join(_figure(f, i == 0) for i, f in enumerate(figures)))
    a = p["assumptions"]
    parts.append("<h2>Assumptions</h2>" + _table([
        {"k": "Gross margin rate", "v": _fmt(a.get("margin_rate"), "percent")},
        {"k": "Budget", "v": _fmt(a.get("budget"), "money")},
        {"k": "Basket values from", "v": a.get("basket_source")},
        *({"k": f"Constraint: {k.replace('_', ' ')}", "v": v}
          for k, v in (a.get("constraints") or {}).items() if v not in (None, {}, [], "")),
        *({"k": f"Promotion {pid}", "v": f"{pr.get('name')} ({describe(pr)}, "
                                          f"{pr.get('channel') or 'any channel'}, "
                                          f"{pr.get('duration_days')} days)"}
          for pid, pr in sorted((a.get("promotions") or {}).items(),
                                key=lambda item: _id_order(item[0])))],
        [("k", "Item", "text"), ("v", "Value", "text")]))
    log = decision_log(con, plan.plan_id)
    parts.append("<h2>Decision log</h2>" + _table(
        log.assign(changed_at=pd.to_datetime(log["changed_at"]).dt.strftime("%Y-%m-%d %H:%M"))
        .to_dict("records"),
        [("changed_at", "When", "text"), ("version", "Version", "count"),
         ("from_status", "From", "text"), ("to_status", "To", "text"), ("who", "Who", "text"),
         ("why", "Why", "text")]))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
            + "".join(parts) + "</body></html>")


def export_report(con: duckdb.DuckDBPyConnection, plan_id: int, version: int | None = None,
                  folder: str | Path | None = None) -> Path:
    """Write the self-contained HTML report; return its path."""
    plan = load_version(con, plan_id, version)
    path = export_folder(folder) / export_name(plan, "report", "html")
    path.write_text(build_report(con, plan_id, plan.version), encoding="utf-8")
    return path
