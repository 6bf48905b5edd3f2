"""Build the demo shop data set file: customers, products, orders, campaigns, truth."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from promo_core import db, rollups
from promo_core.demo import calendar as cal
from promo_core.demo.campaigns import promotion_rows, run_campaign
from promo_core.demo.catalogue import build_catalogue, draw_lines
from promo_core.demo.effect import AGE_BANDS
from promo_core.demo.features import FeatureState
from promo_core.demo.population import (
    CHANNELS,
    ORDER_CHANNELS,
    REGIONS,
    TIERS,
    Orders,
    draw_baseline_orders,
    draw_population,
)

Progress = Callable[[float, str], None]
CUSTOMER_COLUMNS = {
    "region": "VARCHAR",
    "age_band": "VARCHAR",
    "acquisition_channel": "VARCHAR",
    "loyalty_tier": "VARCHAR",
}
TRAITS_DDL = """
CREATE TABLE demo_traits (
    customer_id BIGINT, rate DOUBLE, basket_mu DOUBLE, sale_boost DOUBLE,
    active_from INTEGER, active_until INTEGER, favourite_category VARCHAR, web_share DOUBLE
)
"""
EPOCH_US = int((cal.HISTORY_START - datetime(1970, 1, 1).date()).days) * 86400 * 1_000_000


def build_demo(
    path: str | Path,
    *,
    customers: int = 20_000,
    seed: int = 7,
    targeted_campaigns: bool = False,
    progress: Progress | None = None,
) -> dict[str, int]:
    """Build the demo shop at ``path`` (replaced atomically) and return rows per table."""
    if customers < 100:
        raise ValueError("the demo shop needs at least 100 customers")
    report = progress or (lambda _f, _m: None)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.building-{os.getpid()}")
    _remove(tmp)
    rng = np.random.default_rng(seed)
    try:
        con = db.connect(tmp)
        try:
            con.execute("SET preserve_insertion_order = false")
            counts = _build(con, customers, seed, targeted_campaigns, rng, report)
        finally:
            con.close()
        os.replace(tmp, path)
    finally:
        _remove(tmp)
    report(1.0, f"Demo shop ready: {counts['orders']:,} orders")
    return counts


def _remove(file: Path) -> None:
    for p in (file, file.with_name(file.name + ".wal")):
        with contextlib.suppress(FileNotFoundError):
            p.unlink()


def _build(
    con: duckdb.DuckDBPyConnection, n: int, seed: int, targeted: bool,
    rng: np.random.Generator, report: Progress,
) -> dict[str, int]:
    report(0.0, f"Drawing {n:,} customers")
    pop = draw_population(n, rng)
    catalogue = build_catalogue(rng)
    report(0.08, "Simulating two years of orders")
    parts = [draw_baseline_orders(pop, rng)]
    promos = promotion_rows(targeted)
    state = FeatureState(pop)
    exposures = []
    for i, promo in enumerate(promos):
        step = f"Running campaign {i + 1} of {len(promos)}: {promo['name']}"
        report(0.25 + 0.25 * i / len(promos), step)
        exposures.append((promo["promo_id"], run_campaign(pop, parts, state, promo, rng)))
    orders = Orders.concat(parts)

    report(0.5, "Writing order lines")
    keep = np.flatnonzero(orders.keep)
    keep = keep[np.lexsort((orders.cust[keep], orders.ts[keep]))]  # order_id follows time
    favourite = pop.favourite[orders.cust[keep]]
    lines, cogs = draw_lines(catalogue, orders.revenue[keep], orders.discount[keep], favourite, rng)
    order_id = np.arange(1, len(keep) + 1, dtype=np.int64)
    _write_lines(con, lines, order_id, catalogue.frame)
    report(0.7, "Writing orders")
    _insert(con, "orders", """
        SELECT order_id, customer_id, make_timestamp(ts_us) AS order_ts, revenue, discount,
               cost_of_goods, CASE WHEN web THEN 'web' ELSE 'app' END AS channel,
               nullif(promo_id, -1) AS promo_id
        FROM src""", {
        "order_id": order_id, "customer_id": orders.cust[keep] + 1,
        "ts_us": orders.ts[keep] * 1_000_000 + EPOCH_US, "revenue": orders.revenue[keep],
        "discount": orders.discount[keep], "cost_of_goods": cogs, "web": orders.web[keep],
        "promo_id": orders.promo[keep],
    })
    report(0.85, "Writing customers, campaigns and ground truth")
    _write_customers(con, pop)
    _write_campaigns(con, promos, exposures)
    last_order = con.execute("SELECT max(order_ts)::DATE FROM orders").fetchone()[0]
    for key, value in {
        "dataset_name": "Demo shop", "dataset_kind": "demo", "seed": str(seed),
        "customers": str(n), "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "as_of": last_order.isoformat(), "targeted_campaigns": str(targeted).lower(),
        "order_channels": ",".join(ORDER_CHANNELS),
    }.items():
        db.set_meta(con, key, value)
    db.bump_data_version(con)
    rollups.refresh(con)
    counts = db.row_counts(con)
    counts["demo_traits"] = con.execute("SELECT count(*) FROM demo_traits").fetchone()[0]
    return counts


def _insert(con: duckdb.DuckDBPyConnection, table: str, select: str, columns: dict) -> None:
    """Bulk insert numpy columns through Arrow (zero-copy), shaped by ``select`` over src."""
    cur = con.cursor()
    cur.register("src", pa.table(columns))
    try:
        names = f" ({', '.join(db.TABLES[table])})" if table in db.TABLES else ""
        if table == "customers":
            names = f" ({', '.join([*db.TABLES[table], *CUSTOMER_COLUMNS])})"
        cur.execute(f"INSERT INTO {table}{names} {select}")
    finally:
        cur.unregister("src")
        cur.close()


def _write_lines(con, lines, order_id: np.ndarray, products: pd.DataFrame) -> None:
    _insert(con, "products", "SELECT * FROM src", {c: products[c].to_numpy() for c in products})
    product_ids = tuple(products["product_id"])
    _insert(con, "order_lines", """
        SELECT order_id, product::VARCHAR, quantity, unit_price, discount FROM src""", {
        "order_id": order_id[lines.order_pos], "product": _labels(lines.product, product_ids),
        "quantity": lines.quantity, "unit_price": lines.unit_price, "discount": lines.discount,
    })


def _labels(values: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(values.astype(np.int32)), pa.array(names))


def _write_customers(con: duckdb.DuckDBPyConnection, pop) -> None:
    for col, type_ in CUSTOMER_COLUMNS.items():
        con.execute(f"ALTER TABLE customers ADD COLUMN {col} {type_}")
    ids = np.arange(1, pop.n + 1, dtype=np.int64)
    signup_us = pop.signup_day.astype(np.int64) * 86_400_000_000 + EPOCH_US
    _insert(con, "customers", """
        SELECT customer_id, make_timestamp(signup_us)::DATE, region::VARCHAR, age_band::VARCHAR,
               acquisition_channel::VARCHAR, loyalty_tier::VARCHAR FROM src""", {
        "customer_id": ids, "signup_us": signup_us,
        "region": _labels(pop.region, REGIONS), "age_band": _labels(pop.age, AGE_BANDS),
        "acquisition_channel": _labels(pop.acquisition, CHANNELS),
        "loyalty_tier": _labels(pop.tier, TIERS),
    })
    con.execute(TRAITS_DDL)
    from promo_core.demo.catalogue import CATEGORIES

    _insert(con, "demo_traits", """
        SELECT customer_id, rate, basket_mu, sale_boost, active_from, active_until,
               favourite::VARCHAR, web_share FROM src""", {
        "customer_id": ids, "rate": pop.rate, "basket_mu": pop.basket_mu,
        "sale_boost": pop.sale_boost, "active_from": pop.active_from.astype(np.int32),
        "active_until": np.minimum(pop.active_until, 2**31 - 1).astype(np.int32),
        "favourite": _labels(pop.favourite, tuple(c[0] for c in CATEGORIES)),
        "web_share": pop.web_share,
    })


def _write_campaigns(con: duckdb.DuckDBPyConnection, promos: list[dict], exposures: list) -> None:
    frame = pd.DataFrame(promos)
    cur = con.cursor()
    cur.register("promo_src", frame)
    columns = ", ".join(db.TABLES["promotions"])
    cur.execute(f"INSERT INTO promotions SELECT {columns} FROM promo_src")
    cur.unregister("promo_src")
    start = {p["promo_id"]: cal.day_index(p["start_date"]) for p in promos}
    promo_id = np.concatenate([np.full(len(e.cust), pid) for pid, e in exposures])
    cust = np.concatenate([e.cust for _, e in exposures]) + 1
    day = np.concatenate([np.full(len(e.cust), start[pid]) for pid, e in exposures])
    _insert(con, "exposures", """
        SELECT promo_id, customer_id, make_timestamp(ts_us), is_control,
               NULL::BOOLEAN, NULL::DOUBLE, NULL::BOOLEAN FROM src""", {
        "promo_id": promo_id, "customer_id": cust,
        "ts_us": day.astype(np.int64) * 86_400_000_000 + EPOCH_US,
        "is_control": np.concatenate([e.is_control for _, e in exposures]),
    })
    truth = {
        k: np.concatenate([e.truth[k] for _, e in exposures])
        for k in db.TABLES["demo_truth"]
        if k not in ("promo_id", "customer_id")
    }
    columns = {"promo_id": promo_id, "customer_id": cust, **truth}
    _insert(con, "demo_truth", "SELECT * FROM src", columns)
