"""Scenario economics, slider recompute and optimiser speed; optimiser vs naive on TRUE profit.

    .venv/bin/python benchmarks/bench_scenarios.py [--customers 1000000] [--demo 20000]

Speed parts use synthetic per-customer forecasts (5 model members) so they measure the
economics and the solver, not the model; the quality part builds a demo shop, trains a
small S-learner champion (num_threads=1) and scores every plan with the shop's TRUE
uplift (``promo_core.demo.true_uplift``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from promo_core import economics as eco  # noqa: E402
from promo_core import forecast as fc  # noqa: E402
from promo_core import optimise as op  # noqa: E402
from promo_core import scenarios as sc  # noqa: E402

C = {"channel": "email", "duration_days": 14, "cost_per_contact": 0.05, "fixed_cost": 250.0}
PROMOS = {
    "10% off": {"promo_type": "percent_off", "value": 10, **C},
    "20% off": {"promo_type": "percent_off", "value": 20, **C},
    "5 off over 30": {"promo_type": "amount_off", "value": 5, "min_spend": 30, **C},
    "Spend 75 save 15": {"promo_type": "spend_threshold", "value": 15, "min_spend": 75, **C},
    "Free shipping": {"promo_type": "free_shipping", "shipping_cost": 4.95, **C},
    "BOGO Beauty": {"promo_type": "bogo", "category": "Beauty", "unit_cost": 6.0, **C},
}


def synthetic(n: int, members: int = 5, seed: int = 0) -> dict[str, fc.CustomerForecast]:
    rng = np.random.default_rng(seed)
    ids = np.arange(1, n + 1)
    p0 = rng.beta(1.2, 6.0, n)
    b0 = rng.lognormal(3.8, 0.4, n)
    out = {}
    for j, (k, p) in enumerate(PROMOS.items()):
        lift = rng.normal(0.01 + 0.004 * j, 0.02, n)
        noise = rng.normal(0, 0.004, (members, n))
        p1 = np.clip(p0 + lift + noise, 0, 1)
        out[k] = fc.CustomerForecast(ids, np.broadcast_to(p0, (members, n)), p1,
                                     np.broadcast_to(b0, (members, n)),
                                     np.broadcast_to(b0 * 1.02, (members, n)), p)
    return out


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def speed(n: int) -> None:
    fcs = synthetic(n)
    ids = next(iter(fcs.values())).customer_ids
    rng = np.random.default_rng(1)
    seg_of = rng.integers(0, 6, n)
    pop = sc.Population(ids, {f"S{s}": np.nonzero(seg_of == s)[0] for s in range(6)})
    scen = sc.Scenario("six", [(f"S{s}", k) for s, k in enumerate(PROMOS)])
    secs, _ = timed(lambda: sc.evaluate_scenario(scen, pop, fcs, PROMOS, 0.48, 0.5))
    print(f"economics, one scenario, {n:,} customers x 6 promotions x 5 members: {secs:.2f} s "
          "(bar 2 s)")
    t = time.perf_counter()
    opts = op.build_options(fcs, PROMOS, 0.48, 0.5, seg_of, [f"S{s}" for s in range(6)])
    build = time.perf_counter() - t
    budget = 0.05 * float(opts.cost.sum(axis=0).min())
    plan = op.optimise(opts, op.Constraints(budget=budget, max_contact_share=0.3,
                                            promo_caps={"20% off": n // 20},
                                            segment_max={"S0": n // 50}))
    print(f"optimiser, {n:,} customers x 6 promotions (budget {budget:,.0f}, share cap, "
          f"promotion cap, segment max): {build + plan.seconds:.2f} s incl. {build:.2f} s "
          f"options (bar 15 s); {plan.iterations} dual iterations; profit "
          f"{plan.net_profit:,.0f}, bound {plan.bound:,.0f}, gap {plan.gap_share:.3%}")
    small = 100_000
    sub = {k: f.take(np.arange(small)) for k, f in fcs.items()}
    pop_s = sc.Population(ids[:small], {f"S{s}": np.nonzero(seg_of[:small] == s)[0]
                                        for s in range(6)})
    two = [scen, sc.Scenario("blanket", [("S0", "10% off"), ("S1", "10% off")])]
    secs, _ = timed(lambda: [sc.evaluate_scenario(s, pop_s, sub, PROMOS, 0.48, 0.5,
                                                  {"cost_per_contact": 0.07}) for s in two], 5)
    print(f"slider update (cost per contact), 2 scenarios, {small:,} customers: "
          f"{secs * 1000:.0f} ms (bar 150 ms)")


def quality(customers: int, seed: int) -> None:
    from promo_core import db, profiles, uplift
    from promo_core.demo import build_demo, true_uplift

    folder = Path(tempfile.mkdtemp(prefix="bench_scen_"))
    import os

    os.environ["PROMO_LAB_DATA_DIR"] = str(folder)
    path = folder / "demo.duckdb"
    t = time.perf_counter()
    build_demo(path, customers=customers, seed=seed)
    con = db.connect(path)
    table = uplift.build_training_table(con)
    model = uplift.fit_learners(table, table.frame, "revenue", ("S",), uplift.LearnerConfig(
        n_estimators=150, num_leaves=15, n_bags=4, num_threads=1))["S"]
    print(f"\ndemo shop {customers:,} customers, seed {seed}: built and trained in "
          f"{time.perf_counter() - t:.0f} s")
    as_of = date.fromisoformat(db.get_meta(con, "as_of")) + timedelta(days=1)
    feats = profiles.compute_profiles(con, as_of)
    ids = feats.customer_id.to_numpy()
    promos = {k: {**p, "fixed_cost": 100.0} for k, p in PROMOS.items()}
    truth = {k: fc.forecast_from_truth(true_uplift(con, p, ids, as_of), p)
             for k, p in promos.items()}
    model_fc = {k: fc.forecast_customers(model, feats, p) for k, p in promos.items()}
    m, s = eco.estimate_margin_rate(con), eco.estimate_basket_sigma(con)
    seg = np.zeros(len(ids), dtype=np.int64)
    opts_model = op.build_options(model_fc, promos, m, s, seg, ["All"])
    opts_true = op.build_options(truth, promos, m, s, seg, ["All"])
    rfm = (feats["monetary"].rank() + feats["frequency"].rank()
           - feats["recency_days"].fillna(1e6).rank()).to_numpy()
    for budget in (500.0, 1500.0, 5000.0):
        rows = {}
        plan = op.optimise(opts_model, op.Constraints(budget=budget))
        rows["optimised (model)"] = sc.plan_members(plan.choice, opts_model.keys, truth, promos,
                                                    m, s)[0]
        oracle = op.optimise(opts_true, op.Constraints(budget=budget))
        rows["optimised (true p/b: ceiling)"] = oracle.net_profit
        naive = {}
        for j, k in enumerate(opts_model.keys):
            naive[f"everyone: {k}"] = sc.blanket_members(truth[k], promos[k], budget, 1.0,
                                                         m, s)[0]
            for label, score in (("top RFM", rfm), ("top response", model_fc[k].p1[0])):
                order = np.argsort(-score)
                take = order[np.cumsum(opts_model.cost[order, j]) <= budget - 100.0]
                choice = np.full(len(ids), -1)
                choice[take] = j
                naive[f"{label}: {k}"] = sc.plan_members(choice, opts_model.keys, truth,
                                                         promos, m, s)[0]
        best = max(naive, key=naive.get)
        print(f"budget {budget:,.0f}: TRUE net profit — optimised (model) "
              f"{rows['optimised (model)']:,.0f} [model expected {plan.net_profit:,.0f}, "
              f"{plan.contacts:,} contacts]; oracle {oracle.net_profit:,.0f}; best naive "
              f"'{best}' {naive[best]:,.0f}")
        for group in ("everyone", "top RFM", "top response"):
            k = max((x for x in naive if x.startswith(group)), key=naive.get)
            print(f"    best {group:13s} {naive[k]:>10,.0f}  ({k})")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--demo", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    speed(args.customers)
    if args.demo:
        quality(args.demo, args.seed)


if __name__ == "__main__":
    main()
