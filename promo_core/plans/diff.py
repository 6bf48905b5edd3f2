"""What changed between two versions of a plan: targets, budget and forecast."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from promo_core.plans.store import load_version

COMPARED = ("contacts", "inc_conversions", "inc_margin", "promotion_cost", "net_profit", "roi")


@dataclass
class PlanDiff:
    old: int
    new: int
    targets: dict[str, int]  # added, removed, changed_promotion, changed_segment, unchanged
    budget: tuple[float | None, float | None]
    forecast: pd.DataFrame  # figure, old, new, change
    segments: pd.DataFrame  # segment, promotion, contacts/net profit old and new

    def summary(self) -> str:
        t = self.targets
        parts = [f"{t['added']:,} targets added", f"{t['removed']:,} removed",
                 f"{t['changed_promotion']:,} with another promotion"]
        if self.budget[0] != self.budget[1]:
            parts.append(f"budget {_money(self.budget[0])} → {_money(self.budget[1])}")
        net = self.forecast.set_index("figure").loc["net_profit"]
        parts.append(f"net profit {net['old']:,.0f} → {net['new']:,.0f}")
        return f"v{self.old} → v{self.new}: " + ", ".join(parts)


def _money(value: float | None) -> str:
    return "none" if value is None else f"{value:,.0f}"


def diff_versions(con: duckdb.DuckDBPyConnection, plan_id: int, old: int, new: int
                  ) -> PlanDiff:
    """Compare two versions: target membership in SQL (a full join), figures from payloads."""
    a, b = load_version(con, plan_id, old), load_version(con, plan_id, new)
    row = con.cursor().execute("""
        WITH o AS (SELECT customer_id, promo_id, segment FROM plan_targets
                   WHERE plan_id = $p AND version = $a),
             n AS (SELECT customer_id, promo_id, segment FROM plan_targets
                   WHERE plan_id = $p AND version = $b)
        SELECT count(*) FILTER (WHERE o.customer_id IS NULL),
               count(*) FILTER (WHERE n.customer_id IS NULL),
               count(*) FILTER (WHERE o.promo_id <> n.promo_id),
               count(*) FILTER (WHERE o.promo_id = n.promo_id AND o.segment <> n.segment),
               count(*) FILTER (WHERE o.promo_id = n.promo_id AND o.segment = n.segment)
        FROM o FULL JOIN n USING (customer_id)""", {"p": plan_id, "a": old, "b": new}
    ).fetchone()
    targets = dict(zip(("added", "removed", "changed_promotion", "changed_segment",
                        "unchanged"), (int(x) for x in row), strict=True))
    ta, tb = a.payload["totals"], b.payload["totals"]
    forecast = pd.DataFrame([{"figure": k, "old": ta.get(k), "new": tb.get(k)}
                             for k in COMPARED]).astype({"old": float, "new": float})
    forecast["change"] = forecast["new"] - forecast["old"]
    key = ["segment", "promotion"]
    seg = pd.merge(pd.DataFrame(a.payload["segments"], columns=[*key, "contacts", "net_profit"]),
                   pd.DataFrame(b.payload["segments"], columns=[*key, "contacts", "net_profit"]),
                   on=key, how="outer", suffixes=("_old", "_new"))
    budgets = (a.payload["assumptions"].get("budget"), b.payload["assumptions"].get("budget"))
    return PlanDiff(old, new, targets, budgets, forecast, seg)
