"""Plans: versions, status workflow, diffs, and the contents of the three export files."""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser

import openpyxl
import pytest

from promo_core import db, plans
from promo_core.plans import builder
from tests.unit.test_plans_shop import WEEK, build_plan_shop, truth_forecaster


@pytest.fixture(scope="module")
def shop(tmp_path_factory):
    path = tmp_path_factory.mktemp("plans") / "demo.duckdb"
    promo_id = build_plan_shop(path)
    con = db.connect(path)
    fc = truth_forecaster(con, WEEK)
    v1 = builder.build_from_recipe(con, [("Odd ids", promo_id), ("Even ids", None)], WEEK,
                                   name="Odd only", forecaster=fc, budget=1000)
    plan_id, _ = plans.create_plan(con, "Win-back", WEEK, v1, who="Ana", note="odd ids")
    v2 = builder.build_from_recipe(con, [("Odd ids", promo_id), ("Even ids", promo_id)], WEEK,
                                   name="Everyone", forecaster=fc, budget=2500)
    plans.save_version(con, plan_id, v2, who="Ana", note="everyone")
    yield {"con": con, "plan_id": plan_id, "v1": v1, "v2": v2, "path": path,
           "promo_id": promo_id, "out": tmp_path_factory.mktemp("exports")}
    con.close()


def test_every_save_is_a_new_version_and_the_diff_names_the_changes(shop):
    con, plan_id = shop["con"], shop["plan_id"]
    versions = plans.list_versions(con, plan_id)
    assert list(versions["version"]) == [2, 1]
    assert list(versions["note"]) == ["everyone", "odd ids"]
    assert versions["targets"].tolist() == [3000, 1500]
    d = plans.diff_versions(con, plan_id, 1, 2)
    assert d.targets == {"added": 1500, "removed": 0, "changed_promotion": 0,
                         "changed_segment": 0, "unchanged": 1500}
    assert d.budget == (1000, 2500)
    net = d.forecast.set_index("figure")
    assert net.loc["net_profit", "old"] == pytest.approx(shop["v1"].totals["net_profit"])
    assert net.loc["net_profit", "new"] == pytest.approx(shop["v2"].totals["net_profit"])
    assert d.summary().startswith("v1 → v2: 1,500 targets added, 0 removed")
    # Version 1 is still there, unchanged (append-only).
    assert plans.load_version(con, plan_id, 1).payload["targets"]["count"] == 1500


def test_status_workflow_logs_who_and_why_and_freezes_running_plans(shop, tmp_path):
    con = db.connect(tmp_path / "w.duckdb")
    plan_id, _ = plans.create_plan(con, "Flow", WEEK, shop["v1"], who="Ana")
    with pytest.raises(plans.PlanError, match="a draft plan can move to approved, not running"):
        plans.set_status(con, plan_id, "running", who="Ana", why="go")
    with pytest.raises(plans.PlanError, match="why"):
        plans.set_status(con, plan_id, "approved", who="Ana", why=" ")
    plans.set_status(con, plan_id, "approved", who="Ben", why="ROI above target")
    plans.set_status(con, plan_id, "running", who="Ben", why="sent Monday")
    with pytest.raises(plans.PlanError, match="frozen"):
        plans.save_version(con, plan_id, shop["v2"])
    log = plans.decision_log(con, plan_id)
    assert log[["to_status", "who", "why"]].values.tolist() == [
        ["draft", "Ana", "plan saved"], ["approved", "Ben", "ROI above target"],
        ["running", "Ben", "sent Monday"]]
    with pytest.raises(plans.PlanError, match="exists for the week"):
        plans.create_plan(con, "flow", WEEK, shop["v1"])
    con.close()


def test_workbook_numbers_equal_the_forecast_and_are_formatted_numbers(shop):
    con, plan_id = shop["con"], shop["plan_id"]
    path = plans.export_workbook(con, plan_id, 2, shop["out"])
    assert path.name == "win-back_v2_week-2025-01-06_plan.xlsx"
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Summary", "Segments", "Targets", "Assumptions", "Model card"]
    summary = {r[0].value: r for r in wb["Summary"].iter_rows() if r[0].value}
    assert summary["Promotion plan — Win-back v2, week of 06 Jan 2025"]
    totals = shop["v2"].totals
    for label, key in (("Net incremental profit", "net_profit"),
                       ("Incremental conversions", "inc_conversions"),
                       ("Promotion cost", "promotion_cost"), ("ROI", "roi")):
        cell = summary[label][1]
        assert cell.data_type == "n" and cell.value == pytest.approx(totals[key])
        assert cell.number_format != "General"
    assert summary["Net incremental profit"][2].value == pytest.approx(totals["net_profit_low"])
    seg = wb["Segments"]
    header = [c.value for c in seg[2]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in seg.iter_rows(min_row=3,
                                                                          values_only=True)}
    for s in shop["v2"].payload["segments"]:
        assert rows[s["segment"]]["Net incremental profit"] == pytest.approx(s["net_profit"])
        assert rows[s["segment"]]["Contacts"] == s["contacts"]
    targets = wb["Targets"]
    assert [c.value for c in targets[2]] == ["Customer ID", "Promotion", "Promo ID", "Segment",
                                             "Expected uplift", "Uplift low", "Uplift high"]
    assert targets.max_row == 2 + 3000
    expected = plans.load_targets(con, plan_id, 2)
    first = targets[3]
    assert first[0].value == expected.customer_id[0] and first[0].data_type == "n"
    assert first[1].value == "Win-back 15 %"
    assert first[4].value == pytest.approx(expected.uplift[0])
    assert first[4].number_format == "0.00%"
    uplift = [r[0] for r in targets.iter_rows(min_row=3, min_col=5, max_col=5,
                                              values_only=True)]
    assert sum(uplift) == pytest.approx(totals["inc_conversions"])
    card = {r[0]: r[1] for r in wb["Model card"].iter_rows(min_row=3, values_only=True)}
    assert card["Data fingerprint at save"] == shop["v2"].payload["data_fingerprint"]


def test_target_csv_has_one_row_per_target_with_plan_version_and_week(shop):
    path = plans.export_targets_csv(shop["con"], shop["plan_id"], 1, shop["out"])
    assert path.name == "win-back_v1_week-2025-01-06_targets.csv"
    with path.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1500
    assert set(rows[0]) == {"customer_id", "promotion", "promo_id", "segment",
                            "expected_uplift", "uplift_low", "uplift_high", "plan", "version",
                            "week"}
    assert {(r["plan"], r["version"], r["week"], r["segment"]) for r in rows} == {
        ("Win-back", "1", "2025-01-06", "Odd ids")}
    assert all(int(r["customer_id"]) % 2 == 1 for r in rows)
    assert sum(float(r["expected_uplift"]) for r in rows) == pytest.approx(
        shop["v1"].totals["inc_conversions"])


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sources: list[str] = []
        self.inline = 0

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            src = dict(attrs).get("src")
            if src:
                self.sources.append(src)
            else:
                self.inline += 1


def test_html_report_is_self_contained_and_names_the_plan(shop):
    path = plans.export_report(shop["con"], shop["plan_id"], 2, shop["out"])
    assert path.name == "win-back_v2_week-2025-01-06_report.html"
    text = path.read_text()
    parser = _Scripts()
    parser.feed(text)
    assert parser.sources == []  # nothing loaded from the network
    assert parser.inline >= 2  # the plotly library itself, then the figure
    assert "<title>Win-back — version 2, week of 06 Jan 2025</title>" in text
    assert len(re.findall(r'class="plotly-graph-div"', text)) == 1  # forecast chart
    assert "@media print" in text
    assert f"{shop['v2'].totals['net_profit']:,.2f}" in text


def test_html_report_lists_promotions_readably_and_dates_to_the_minute(shop):
    text = plans.build_report(shop["con"], shop["plan_id"], 2)
    promos = re.findall(r"<td>Promotion (\d+)</td><td>([^<]*)</td>", text)
    assert [int(p) for p, _ in promos] == [shop["promo_id"]]  # only the ones the plan uses
    assert all(" days)" in v and "value " not in v for _, v in promos), promos
    log = text.split("<h2>Decision log</h2>", 1)[1]
    when = re.findall(r"<td>(\d{4}-\d\d-\d\d[^<]*)</td>", log)
    assert when and all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", w) for w in when)


def test_recipes_with_everyone_or_other_customers_rebuild(shop):
    """'All customers' and 'Other customers' are groups, not saved segments."""
    from promo_core import scenarios

    con, pid = shop["con"], shop["promo_id"]
    fc = truth_forecaster(con, WEEK)
    every = builder.build_from_recipe(con, [(scenarios.EVERYONE, pid)], WEEK, forecaster=fc)
    assert every.payload["targets"]["count"] == 3000
    rest = builder.build_from_recipe(con, [("Odd ids", None), (scenarios.OTHERS, pid)], WEEK,
                                     forecaster=fc)
    assert rest.payload["targets"]["count"] == 1500
    assert set(rest.targets.customer_id % 2) == {0}  # the even ids: outside "Odd ids"
    again = builder.rebuild(con, rest.payload, WEEK, forecaster=fc)
    assert again.payload["totals"]["net_profit"] == pytest.approx(
        rest.payload["totals"]["net_profit"])


def test_an_optimiser_plan_is_rebuilt_from_its_own_targets(shop):
    import numpy as np

    from promo_core import scenarios
    from promo_core.plans.payload import from_choice

    con, pid = shop["con"], shop["promo_id"]
    fc = truth_forecaster(con, WEEK)
    feats = builder.profiles.compute_profiles(con, WEEK)
    ids = feats["customer_id"].to_numpy()
    promo = plans.load_promotion(con, pid)
    forecasts = {"promo": fc(feats, promo)}
    choice = np.where(ids % 3 == 0, 0, -1)  # a customer-by-customer choice
    segment = np.where(ids % 2 == 1, 0, 1)
    plan = from_choice(choice, ["promo"], segment, ["Odd ids", scenarios.OTHERS], ids,
                       forecasts, {"promo": promo}, name="Optimised", as_of=WEEK,
                       margin_rate=0.4, basket_sigma=0.5, budget=500.0)
    with pytest.raises(plans.PlanError, match="rebuilt from its targets"):
        builder.rebuild(con, plan.payload, WEEK, forecaster=fc)
    again = builder.rebuild(con, plan.payload, WEEK, forecaster=fc, targets=plan.targets)
    assert sorted(again.targets.customer_id) == sorted(ids[ids % 3 == 0])
    assert again.targets.set_index("customer_id").segment.to_dict() == \
        plan.targets.set_index("customer_id").segment.to_dict()
    assert again.payload["source"] == "optimiser"


def test_save_plan_adds_a_version_only_when_asked(shop, tmp_path):
    con = db.connect(tmp_path / "s.duckdb")
    plan_id, v = plans.save_plan(con, "Spring", WEEK, shop["v1"])
    assert (plan_id, v) == (1, 1)
    with pytest.raises(plans.PlanError, match="or save a new version of it"):
        plans.save_plan(con, "spring", WEEK, shop["v2"])
    assert plans.save_plan(con, " SPRING ", WEEK, shop["v2"], add_version=True) == (1, 2)
    assert plans.find_plan(con, "Autumn", WEEK) is None
    con.close()
