"""Simulated run → import → readout against the known truth; the weekly job's exit codes."""

from __future__ import annotations

import pytest

from promo_core import db, plans
from promo_core.plans import builder
from tests.unit.test_plans_shop import WEEK, build_plan_shop, truth_forecaster


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    """A plan for everyone, approved, then run in the demo shop with a 50 % hold-out."""
    path = tmp_path_factory.mktemp("review") / "demo.duckdb"
    promo_id = build_plan_shop(path, customers=8000, seed=6)
    con = db.connect(path)
    forecast = builder.build_from_recipe(con, [("Odd ids", promo_id), ("Even ids", promo_id)],
                                         WEEK, forecaster=truth_forecaster(con, WEEK))
    plan_id, _ = plans.create_plan(con, "Everyone 15 %", WEEK, forecast, who="Ana")
    with pytest.raises(plans.PlanError, match="only an approved plan can run; this one is draft"):
        plans.simulate_run(con, path, plan_id)
    plans.set_status(con, plan_id, "approved", who="Ana", why="test")
    result = plans.simulate_run(con, path, plan_id, holdout_share=0.5, seed=3)
    yield {"con": con, "path": path, "plan_id": plan_id, "result": result,
           "promo_id": promo_id}
    con.close()


def test_simulated_results_went_in_through_the_importer(ran):
    con, r = ran["con"], ran["result"]
    assert r.treated + r.control == 8000
    assert r.summary().startswith("Simulated the week of 06 Jan 2025: ")
    exp = con.execute("SELECT count(*), count(*) FILTER (WHERE is_control) FROM exposures "
                      "WHERE promo_id = ?", [ran["promo_id"]]).fetchone()
    assert exp == (8000, r.control)
    assert db.get_meta(con, "dataset_kind") == "demo"  # truth still available
    assert db.get_meta(con, "as_of") >= "2025-01-06"
    assert plans.load_version(con, ran["plan_id"]).status == "running"


def test_actual_lift_interval_covers_the_true_lift(ran):
    review = plans.review_plan(ran["con"], ran["plan_id"])
    truth = ran["result"].truth.set_index("segment")
    table = review.table.set_index("segment")
    for seg in ("Odd ids", "Even ids", "Total"):
        row, true = table.loc[seg], truth.loc[seg, "true_conversion_lift"]
        assert row["lift_low"] < true < row["lift_high"], (seg, row.to_dict(), true)
        # the forecast came from the truth, so it is the true mean lift of the targets
        assert row["forecast_lift"] == pytest.approx(true, rel=1e-9)
    assert table.loc["Total", "treated"] + table.loc["Total", "control"] == 8000
    assert review.unmatched == 0
    assert "per contact (95 %" in review.verdict()


def test_ledger_has_the_week(ran):
    ledger = plans.forecast_ledger(ran["con"])
    assert ledger[["plan", "week"]].astype(str).values.tolist() == [["Everyone 15 %",
                                                                      "2025-01-06"]]


def test_weekly_job_exit_codes(ran, tmp_path):
    missing = plans.run_weekly_job(tmp_path / "none.duckdb", 1)
    assert (missing.code, missing.messages[0][:11]) == (2, "no database")
    con, path = ran["con"], ran["path"]
    unknown = plans.run_weekly_job(path, 99, retrain=False)
    assert unknown.code == 2 and unknown.messages == ["no plan with id 99"]
    bad = tmp_path / "orders.csv"
    bad.write_text("order_id,customer_id,order_ts,revenue\n1,1,not a date,-5\n")
    refused = plans.run_weekly_job(path, ran["plan_id"], sources={"orders": [bad]})
    assert refused.code == 2 and "nothing written" in refused.messages[0]
    no_model = plans.run_weekly_job(path, ran["plan_id"], retrain=True)
    assert no_model.code == 1 and "no champion" in no_model.messages[-1]
    as_of = plans.load_version(con, ran["plan_id"]).week
    done = plans.run_weekly_job(path, ran["plan_id"], retrain=False, folder=tmp_path / "out",
                                forecaster=truth_forecaster(con, as_of.replace(day=20)))
    assert done.code == 0, done.messages
    # the plan is running (frozen), so the job made a new plan for the next week
    assert done.plan_id != ran["plan_id"] and done.version == 1
    assert sorted(f.suffix for f in done.files) == [".csv", ".html", ".xlsx"]
    assert all(f.exists() and "_v1_week-2025-01-20_" in f.name for f in done.files)


def test_a_plan_reusing_a_past_promotion_can_run(tmp_path):
    """The same promotion sent again in a later week is a new exposure, not a duplicate."""
    path = tmp_path / "demo.duckdb"
    build_plan_shop(path, customers=1500, seed=8)
    con = db.connect(path)
    past = int(con.execute("SELECT min(promo_id) FROM exposures").fetchone()[0])
    already = con.execute("SELECT count(*) FROM exposures WHERE promo_id = ?", [past]).fetchone()
    forecast = builder.build_from_recipe(con, [("Odd ids", past)], WEEK,
                                         forecaster=truth_forecaster(con, WEEK))
    plan_id, _ = plans.create_plan(con, "Rerun", WEEK, forecast, who="Ana")
    plans.set_status(con, plan_id, "approved", who="Ana", why="rerun test")
    result = plans.simulate_run(con, path, plan_id, holdout_share=0.5, seed=1)
    now = con.execute("SELECT count(*) FROM exposures WHERE promo_id = ?", [past]).fetchone()
    assert now[0] == already[0] + result.treated + result.control
    con.close()
