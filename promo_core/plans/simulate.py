"""Demo shop only: "run" an approved plan and write its results like a real import.

For every target the true expected outcome with and without the plan's promotion is
taken from :func:`promo_core.demo.true_uplift` (features as of the plan's week). A
random ``holdout_share`` of the targets is held out as control. Each customer buys
in the response window with probability p₁ (treated) or p₀ (control); a buyer places
one order whose basket is lognormal with mean revenue / p, so expected conversion
and revenue equal the truth exactly (simplification: several orders of one buyer are
drawn as one basket). Customers outside the plan get their no-promotion orders too,
so the new week is complete data for retraining.

Results go in as ``exposures`` (with ``is_control``) and ``orders`` through the
validated importer (:func:`promo_core.importers.import_dataset`, append), exactly the
path a shop's own campaign results take. Redeeming treated baskets carry the
promotion's reward in ``orders.discount`` and its ``promo_id``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

from promo_core import db, economics
from promo_core.demo import true_uplift
from promo_core.importers import import_dataset
from promo_core.plans.payload import load_promotion
from promo_core.plans.store import PlanError, PlanVersion, load_targets, load_version, set_status

BASKET_SIGMA = 0.5


@dataclass
class SimulationResult:
    plan: PlanVersion
    start: date
    treated: int
    control: int
    orders: int
    truth: pd.DataFrame  # per segment/promotion: true conversion and revenue lift per contact

    def summary(self) -> str:
        return (f"Simulated the week of {self.start:%d %b %Y}: {self.treated:,} customers "
                f"contacted, {self.control:,} held out, {self.orders:,} orders imported.")


def _promotion(con: duckdb.DuckDBPyConnection, plan: PlanVersion, promo_id: int) -> dict:
    stored = (plan.payload.get("assumptions", {}).get("promotions") or {}).get(str(promo_id))
    return dict(stored) if stored else load_promotion(con, promo_id)


def true_lift(con: duckdb.DuckDBPyConnection, plan: PlanVersion,
              targets: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per-target truth, per segment/promotion mean true lift) as of the plan's week."""
    targets = load_targets(con, plan.plan_id, plan.version) if targets is None else targets
    parts = []
    for promo_id, part in targets.groupby("promo_id", sort=True):
        promo = _promotion(con, plan, int(promo_id))
        truth = true_uplift(con, promo, part["customer_id"].to_numpy(), as_of=plan.week)
        parts.append(part[["customer_id", "promo_id", "segment"]].reset_index(drop=True)
                     .assign(**{c: truth[c].to_numpy() for c in truth.columns[1:]},
                             duration=int(promo.get("duration_days") or 14)))
    per_target = pd.concat(parts, ignore_index=True)
    per_target["conv_lift"] = per_target["p_buy_treated"] - per_target["p_buy_control"]
    per_target["revenue_lift"] = per_target["revenue_treated"] - per_target["revenue_control"]
    summary = per_target.groupby(["segment", "promo_id"], as_index=False).agg(
        true_conversion_lift=("conv_lift", "mean"), true_revenue_lift=("revenue_lift", "mean"))
    total = pd.DataFrame({"segment": ["Total"], "promo_id": [pd.NA],
                          "true_conversion_lift": [per_target["conv_lift"].mean()],
                          "true_revenue_lift": [per_target["revenue_lift"].mean()]})
    return per_target, pd.concat([summary, total], ignore_index=True)


def _draw_orders(rng: np.random.Generator, p: np.ndarray, revenue: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Who buys, and their basket (mean revenue / p, lognormal)."""
    buys = rng.random(len(p)) < p
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(p > 0, revenue / p, 0.0)
    basket = mean * rng.lognormal(-BASKET_SIGMA**2 / 2, BASKET_SIGMA, len(p))
    return buys, np.round(np.maximum(basket, 0.01), 2)


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    pcsv.write_csv(pa.Table.from_pandas(frame, preserve_index=False), buf)
    return buf.getvalue()


def simulate_run(con: duckdb.DuckDBPyConnection, path: str | Path, plan_id: int, *,
                 holdout_share: float = 0.2, seed: int = 0, who: str = "simulator"
                 ) -> SimulationResult:
    """Run the latest version of an approved plan in the demo shop (module docstring)."""
    if db.get_meta(con, "dataset_kind") != "demo":
        raise PlanError("simulating a plan needs the demo shop, where the true effect is "
                        "known; import your campaign's results instead")
    if not 0 < holdout_share < 1:
        raise PlanError("the hold-out share must be between 0 and 1")
    plan = load_version(con, plan_id)
    if plan.status != "approved":
        raise PlanError(f"only an approved plan can run; this one is {plan.status}")
    last = date.fromisoformat(str(db.get_meta(con, "as_of"))[:10])
    if plan.week <= last:
        raise PlanError(f"the plan's week starts {plan.week:%d %b %Y}, but the data already "
                        f"runs to {last:%d %b %Y}; plan a later week")
    targets = load_targets(con, plan.plan_id, plan.version)
    rng = np.random.default_rng(seed)
    truth, summary = true_lift(con, plan, targets)
    control = rng.random(len(truth)) < holdout_share
    p = np.where(control, truth["p_buy_control"], truth["p_buy_treated"])
    rev = np.where(control, truth["revenue_control"], truth["revenue_treated"])
    buys, basket = _draw_orders(rng, p, rev)
    start = datetime.combine(plan.week, datetime.min.time())
    promo_ids = truth["promo_id"].to_numpy()
    discount = np.zeros(len(truth))
    for pid in np.unique(promo_ids):
        promo = _promotion(con, plan, int(pid))
        on = (promo_ids == pid) & ~control & buys
        qualifies = basket[on] >= economics.promotion_threshold(promo)
        discount[on] = np.where(qualifies, economics.reward_per_basket(promo, basket[on]), 0.0)
    duration = truth["duration"].to_numpy()
    orders = pd.DataFrame({"customer_id": truth["customer_id"], "revenue": basket,
                           "discount": np.round(discount, 2),
                           "promo_id": np.where(discount > 0, promo_ids, -1),
                           "days": duration})[buys]
    orders = pd.concat([orders, _bystanders(con, plan, targets, rng)], ignore_index=True)
    margin = float(plan.payload.get("assumptions", {}).get("margin_rate") or 0.4)
    first_id = int(con.cursor().execute("SELECT coalesce(max(order_id), 0) + 1 FROM orders")
                   .fetchone()[0])
    seconds = rng.random(len(orders)) * orders["days"].to_numpy(dtype=float) * 86400
    revenue = orders["revenue"].to_numpy(dtype=float)
    orders = pd.DataFrame({
        "order_id": np.arange(first_id, first_id + len(orders), dtype="int64"),
        "customer_id": orders["customer_id"].to_numpy(dtype="int64"),
        "order_ts": pd.Timestamp(start) + pd.to_timedelta(seconds.astype("int64"), unit="s"),
        "revenue": revenue, "discount": orders["discount"].to_numpy(dtype=float),
        "cost_of_goods": np.round(revenue * (1 - margin), 2),
        "channel": "web",
        "promo_id": pd.array(orders["promo_id"].to_numpy(dtype="int64"), dtype="Int64")})
    orders.loc[orders["promo_id"] == -1, "promo_id"] = pd.NA
    exposures = pd.DataFrame({"promo_id": promo_ids, "customer_id": truth["customer_id"],
                              "exposed_at": pd.Timestamp(start), "is_control": control})
    name = db.get_meta(con, "dataset_name") or "Demo shop"
    stem = f"plan-{plan.plan_id}-v{plan.version}-week-{plan.week:%Y-%m-%d}"
    import_dataset(Path(path), {"exposures": [(f"{stem}-exposures.csv", _csv(exposures))],
                                "orders": [(f"{stem}-orders.csv", _csv(orders))]},
                   mappings={"exposures": {c: c for c in exposures.columns},
                             "orders": {c: c for c in orders.columns}},
                   dataset_name=name, if_exists="append")
    # The importer marks an appended data set as "import"; this one is still the demo
    # shop (its truth still holds), so say so again.
    db.set_meta(con, "dataset_kind", "demo")
    set_status(con, plan.plan_id, "running", who=who,
               why=f"simulated run: {int((~control).sum()):,} contacted, "
                   f"{int(control.sum()):,} held out (seed {seed})")
    return SimulationResult(load_version(con, plan.plan_id), plan.week, int((~control).sum()),
                            int(control.sum()), len(orders), summary)


def _bystanders(con: duckdb.DuckDBPyConnection, plan: PlanVersion, targets: pd.DataFrame,
                rng: np.random.Generator) -> pd.DataFrame:
    """No-promotion orders of everyone outside the plan over the same window."""
    ids = con.cursor().execute("SELECT customer_id FROM customers ORDER BY 1").df()["customer_id"]
    ids = ids[~ids.isin(targets["customer_id"])].to_numpy()
    if not len(ids):
        return pd.DataFrame(columns=["customer_id", "revenue", "discount", "promo_id", "days"])
    promo = _promotion(con, plan, int(targets["promo_id"].iloc[0]))
    base = true_uplift(con, promo, ids, as_of=plan.week)
    buys, basket = _draw_orders(rng, base["p_buy_control"].to_numpy(),
                                base["revenue_control"].to_numpy())
    return pd.DataFrame({"customer_id": ids, "revenue": basket, "discount": 0.0,
                         "promo_id": -1, "days": int(promo.get("duration_days") or 14)})[buys]
