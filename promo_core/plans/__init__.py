"""Promotion plans: save scenarios as versioned plans, export them, review them.

Typical use::

    from promo_core import plans
    forecast = plans.from_scenario(scenario, population, forecasts, promotions,
                                   as_of=as_of, margin_rate=m, basket_sigma=s,
                                   **plans.plan_context(con, model_id, budget=5000))
    plan_id, version = plans.create_plan(con, "Win-back", week, forecast, who="Ana")
    plans.set_status(con, plan_id, "approved", who="Ana", why="ROI above target")
    plans.export_targets_csv(con, plan_id, version)   # → Path under paths.EXPORTS_DIR
    plans.export_workbook(con, plan_id, version)
    plans.export_report(con, plan_id, version)
    plans.simulate_run(con, path, plan_id)             # demo shop only
    review = plans.review_plan(con, plan_id)           # plan vs actual
"""

from promo_core.plans.builder import build_from_recipe, rebuild
from promo_core.plans.diff import PlanDiff, diff_versions
from promo_core.plans.export_csv import export_targets_csv
from promo_core.plans.export_html import build_report, export_report
from promo_core.plans.export_xlsx import export_workbook
from promo_core.plans.payload import (
    PlanForecast,
    build_payload,
    from_choice,
    from_scenario,
    load_promotion,
    model_card,
    plan_context,
)
from promo_core.plans.review import PlanReview, forecast_ledger, review_plan
from promo_core.plans.simulate import SimulationResult, simulate_run, true_lift
from promo_core.plans.store import (
    STATUSES,
    PlanError,
    PlanVersion,
    create_plan,
    decision_log,
    find_plan,
    list_plans,
    list_versions,
    load_targets,
    load_version,
    save_plan,
    save_version,
    set_status,
)
from promo_core.plans.weekly import EXIT_CODES, JobResult, run_weekly_job

__all__ = [
    "EXIT_CODES", "STATUSES", "JobResult", "PlanDiff", "PlanError", "PlanForecast",
    "find_plan", "save_plan",
    "PlanReview", "PlanVersion", "SimulationResult", "build_from_recipe", "build_payload",
    "build_report", "create_plan", "decision_log", "diff_versions", "export_report",
    "export_targets_csv", "export_workbook", "forecast_ledger", "from_choice",
    "from_scenario", "list_plans", "list_versions", "load_promotion", "load_targets",
    "load_version", "model_card", "plan_context", "rebuild", "review_plan", "run_weekly_job",
    "save_version", "set_status", "simulate_run", "true_lift",
]
