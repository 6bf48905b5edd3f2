"""Speed of customer profiles, live rule counts and k-means on a large demo shop.

    .venv/bin/python benchmarks/bench_profiles.py [--customers 1000000] [--db /tmp/x.duckdb]

Builds the demo shop once (reused when the file exists; its rollups are built if missing,
as the importers and the demo build do), then prints:
- profile features for all customers, cold (DuckDB, one statement), and the same core
  features built in pandas from the same orders, with the ratio;
- a rule segment's live count after an edit (median of 20 edits, on the materialised table);
- k-means on all customers × 8 features (k = 6, seeded) and the k-choice sample.
Targets (issue 4): profiles ≤ 5 s, live count ≤ 150 ms, k-means ≤ 20 s, DuckDB ≥ 3× pandas.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from promo_core import datasets, db, profiles, rollups  # noqa: E402
from promo_core.segments import clusters, rules  # noqa: E402


def timed(label: str, fn, *args, **kwargs):
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    took = time.perf_counter() - t
    print(f"{label:<58} {took:8.3f} s", flush=True)
    return out, took


def pandas_profiles(orders: pd.DataFrame, customers: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """The order-based features of profiles.py, the pandas way (for the ratio)."""
    cut = pd.Timestamp(as_of)
    o = orders[orders["order_ts"] < cut].copy()
    o["disc"] = o["discount"].fillna(0)
    o["promo"] = o["promo_id"].notna() | (o["disc"] > 0)
    for d in (30, 90, 365):
        recent = o["order_ts"] >= cut - pd.Timedelta(days=d)
        o[f"o{d}"] = recent
        o[f"r{d}"] = o["revenue"].where(recent, 0.0)
    g = o.groupby("customer_id").agg(
        frequency=("order_id", "size"), monetary=("revenue", "sum"), disc=("disc", "sum"),
        last_ts=("order_ts", "max"), first_ts=("order_ts", "min"),
        orders_30d=("o30", "sum"), orders_90d=("o90", "sum"), orders_365d=("o365", "sum"),
        revenue_30d=("r30", "sum"), revenue_90d=("r90", "sum"), revenue_365d=("r365", "sum"),
        promo_orders=("promo", "sum"))
    ch = o.groupby(["customer_id", "channel"]).size().unstack(fill_value=0)
    ch = ch.div(ch.sum(axis=1), axis=0).add_prefix("chan_")
    g = g.join(ch)
    df = customers.set_index("customer_id").join(g, how="left")
    df["recency_days"] = (cut.normalize() - df["last_ts"].dt.normalize()).dt.days
    df["aov"] = df["monetary"] / df["frequency"]
    df["discount_share"] = df["disc"] / df["monetary"]
    df["promo_order_share"] = df["promo_orders"] / df["frequency"]
    start = df["signup_date"].fillna(df["first_ts"].dt.normalize())
    df["tenure_days"] = (cut.normalize() - pd.to_datetime(start)).dt.days
    known = pd.to_datetime(start) <= cut
    return df[known].fillna({"frequency": 0, "monetary": 0.0}).reset_index()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--db", default="/tmp/seg_bench_1m.duckdb")
    args = ap.parse_args()
    path = Path(args.db)
    if not path.exists():
        from promo_core.demo import build_demo

        timed(f"build demo shop ({args.customers:,} customers, once)", build_demo, path,
              customers=args.customers, seed=3)
    con = db.connect(path)
    counts = db.row_counts(con)
    as_of = datasets.default_as_of(con) or date.today()
    print(f"data: {counts['customers']:,} customers, {counts['orders']:,} orders, "
          f"{counts['order_lines']:,} order lines; as of {as_of}")
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at start\n")

    fields = profiles.discover_fields(con)
    if db.get_meta(con, rollups.META_KEY) != db.data_version(con):
        with db.transaction(con) as tx:
            timed("rollups (what importers and the demo build write)", rollups.refresh, tx)
    table, t_table = timed("profiles, cold: materialised table (the Segments page)",
                           profiles.materialise_profiles, con, as_of)
    prof, t_duck = timed("profiles, cold: all features into pandas (one statement)",
                         profiles.compute_profiles, con, as_of, fields)
    core = profiles.DynamicFields({}, fields.channels, {})
    _, t_duck_core = timed("profiles, DuckDB (order features only, as pandas below)",
                           profiles.compute_profiles, con, as_of, core)
    orders, t_read = timed("  pandas: read orders + customers into frames",
                           lambda: (con.cursor().execute(
                               "SELECT order_id, customer_id, order_ts, revenue, discount, "
                               "channel, promo_id FROM orders").df(),
                               con.cursor().execute("SELECT * FROM customers").df()))
    _, t_pandas = timed("  pandas: same order features (excl. reading)", pandas_profiles,
                        orders[0], orders[1], as_of)
    print(f"ratio pandas / DuckDB (order features): {t_pandas / t_duck_core:.1f}x "
          f"(with reading: {(t_pandas + t_read) / t_duck_core:.1f}x)\n")

    reg = profiles.feature_registry(con, fields)
    lat = []
    for i in range(20):  # an analyst editing the threshold and adding a condition
        rule = {"combine": "and", "rules": [
            {"field": "recency_days", "op": ">", "value": 30 + 10 * i},
            {"combine": "or", "rules": [
                {"field": "monetary", "op": "top %", "value": 20},
                {"field": "discount_share", "op": "between", "value": [0.05, 0.2 + i / 100]}]}]}
        t = time.perf_counter()
        size = rules.rule_size(con, table, rule, reg)
        lat.append(time.perf_counter() - t)
    print(f"{'live rule count (median of 20 edits; top % + between)':<58} "
          f"{statistics.median(lat) * 1000:8.1f} ms   (max {max(lat) * 1000:.1f} ms, "
          f"last size {size.size:,})")
    simple = {"field": "frequency", "op": ">=", "value": 3}
    t = time.perf_counter()
    rules.rule_size(con, table, simple, reg)
    print(f"{'live rule count (one comparison)':<58} {(time.perf_counter() - t) * 1000:8.1f} ms")

    df, _ = timed("load profile table into pandas", profiles.load_profiles, con, table)
    feats = clusters.default_features(reg)[:8]
    res, _ = timed(f"k-means k=6 on {len(df):,} x {len(feats)} (fit ≤200k sample, assign all)",
                   clusters.fit_clusters, df, feats, reg, 6)
    timed("k choice: k=2..8 on a 5,000 sample (inertia + silhouette)", clusters.choose_k,
          df, feats, reg, range(2, 9))
    print("cluster sizes:", list(res.profile["size"]))
    print("descriptions:", res.descriptions)
    later = as_of - timedelta(days=90)
    timed(f"profiles again at another as-of ({later})", profiles.compute_profiles, con, later,
          fields)
    print(f"\nsummary: profiles {t_table:.2f} s as a table, {t_duck:.2f} s as a frame "
          f"(target ≤ 5), live count "
          f"{statistics.median(lat) * 1000:.0f} ms (≤ 150), "
          f"DuckDB/pandas ratio {t_pandas / t_duck_core:.1f}x (≥ 3)")


if __name__ == "__main__":
    main()
