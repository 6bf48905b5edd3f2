"""Issue 6 bar on the real Hillstrom file: the optimised plan, paired against the best
blanket plan, shows no demonstrable gain ("everyone gets the Mens e-mail" is that
hard-to-beat plan).

A quick S-learner on outcome ``visited`` for the two e-mail arms (100 trees, 8
bootstrap refits for the band) is trained on 70 % of the customers; the optimiser
chooses per held-out customer between the two e-mails (or none), with a budget that
covers everyone and no cost but 0.05 per contact; a visit is valued at the customer's
past average order value × the default margin rate (0.4: Hillstrom has no cost of
goods). Features are the training table's, as of the campaign date.
"""

from __future__ import annotations

import numpy as np
import pytest

from promo_core import db, uplift
from promo_core import economics as eco
from promo_core import forecast as fc
from promo_core import optimise as op
from promo_core import scenarios as sc
from tests.conftest import shared_file

pytestmark = pytest.mark.realdata
MENS, WOMENS = 1, 2
CONTACT = 0.05


def test_optimised_plan_adds_nothing_demonstrable_over_everyone_gets_mens(tmp_path):
    from promo_core import importers

    csv = shared_file("hillstrom-email-analytics", "hillstrom.csv")
    path = tmp_path / "hillstrom.duckdb"
    importers.import_dataset(path, preset="hillstrom", files=[csv], dataset_name="Hillstrom")
    con = db.connect(path, read_only=True)
    try:
        table = uplift.build_training_table(con)
        margin, sigma = eco.estimate_margin_rate(con), eco.estimate_basket_sigma(con)
    finally:
        con.close()
    rows = uplift.select_arms(table, [MENS, WOMENS])
    test = uplift.stratified_split(rows, "visited", test_size=0.3, seed=0)
    model = uplift.fit_learners(table, rows[~test], "visited", ("S",), uplift.LearnerConfig(
        n_estimators=100, num_leaves=15, n_bags=8, num_threads=1))["S"]
    feats = rows[test].drop_duplicates("customer_id").reset_index(drop=True)
    promos = {p["name"]: {**p, "cost_per_contact": CONTACT, "fixed_cost": 0.0}
              for p in (table.promotion(MENS), table.promotion(WOMENS))}
    fcs = {k: fc.forecast_customers(model, feats, p) for k, p in promos.items()}
    n = len(feats)
    budget = 1.01 * CONTACT * n  # reaches everyone
    opts = op.build_options(fcs, promos, margin, sigma, np.zeros(n, dtype=np.int64), ["All"])
    plan = op.optimise(opts, op.Constraints(budget=budget))
    chosen = {k: int((plan.choice == i).sum()) for i, k in enumerate(opts.keys)}
    assert plan.promotion_cost <= budget + 1e-6
    assert chosen["Mens E-Mail"] > 0 and chosen["Womens E-Mail"] > 0  # it does personalise

    plan_net = sc.plan_members(plan.choice, opts.keys, fcs, promos, margin, sigma)
    blankets = {k: sc.blanket_members(fcs[k], promos[k], budget, 1.0, margin, sigma)
                for k in promos}
    table_, verdict = sc.compare_with_blanket(plan_net, blankets)
    rows_ = table_.set_index("plan")
    diff = rows_.loc["Difference"]
    detail = (f"{n} held-out customers, chosen {chosen}; "
              + "; ".join(f"{p}: {r.net_profit:,.0f} [{r.low:,.0f}, {r.high:,.0f}]"
                          for p, r in rows_.iterrows()) + f"; verdict: {verdict}")
    assert "Best blanket: Mens E-Mail" in rows_.index, detail
    assert diff.low <= 0 <= diff.high, detail
    assert verdict.startswith("Personalisation adds nothing demonstrable here"), detail
    print("\n" + detail)
