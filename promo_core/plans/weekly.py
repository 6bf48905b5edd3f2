"""The unattended weekly job: refresh data → retrain → rebuild a plan → export.

Exit codes a scheduler can act on (:data:`EXIT_CODES`, the same as every CLI command):

- 0 done: a new plan version and its three export files exist;
- 1 model or plan problem after the data refresh: retraining failed, no champion, or
  the plan could not be rebuilt or exported (the refreshed data stays);
- 2 input problem, nothing changed: unknown database or plan, a data file failed
  validation (the importer wrote nothing);
- 3 the database is locked by another process (the app writing?): retry later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from promo_core import db, uplift
from promo_core.errors import DatabaseBusyError, PromoLabError, ValidationError
from promo_core.importers import import_dataset
from promo_core.plans.builder import Forecaster, rebuild
from promo_core.plans.export_csv import export_targets_csv
from promo_core.plans.export_html import export_report
from promo_core.plans.export_xlsx import export_workbook
from promo_core.plans.store import (
    EDITABLE,
    PlanError,
    create_plan,
    load_targets,
    load_version,
    save_version,
)

DONE, FAILED, BAD_INPUT, BUSY = 0, 1, 2, 3
EXIT_CODES = {DONE: "done", FAILED: "model or plan problem (data refreshed, no new plan version)",
              BAD_INPUT: "input problem (nothing changed)", BUSY: "database busy: retry later"}
WHO = "weekly job"


@dataclass
class JobResult:
    code: int
    messages: list[str] = field(default_factory=list)
    plan_id: int | None = None
    version: int | None = None
    files: list[Path] = field(default_factory=list)

    def say(self, text: str) -> None:
        self.messages.append(text)


def retrain_champion(con, result: JobResult, as_of: date) -> int:
    """Refit the champion's learner on every exposure now known; crown and return it."""
    champion = uplift.load_champion(con)
    if champion is None:
        raise PlanError("no champion uplift model to retrain: train one on the Uplift page")
    table = uplift.build_training_table(con)
    trained = uplift.train_uplift(table, arms=list(champion.arms), outcome=champion.outcome,
                                  learners=(champion.learner,),
                                  config=uplift.LearnerConfig(**{**champion.config,
                                                                 "num_threads": 1}))
    model_id = uplift.save_model(con, trained.models[champion.learner], as_of=str(as_of))
    uplift.set_champion(con, model_id)
    result.say(f"retrained {champion.learner}-learner on {len(table.frame):,} exposures: "
               f"model {model_id} is the champion")
    return model_id


def run_weekly_job(path: str | Path, plan_id: int, *,
                   sources: dict[str, Sequence[Path]] | None = None, retrain: bool = True,
                   export: bool = True, folder: str | Path | None = None,
                   forecaster: Forecaster | None = None,
                   log: Callable[[str], None] | None = None) -> JobResult:
    """Run the weekly job on the data set at ``path`` for saved plan ``plan_id``.

    ``sources`` are new files per table (appended through the validated importer);
    the rebuilt plan is forecast as of the day after the data's last order, for the
    week that starts then. A draft/approved plan gets a new version; a running or
    closed one is copied into a new plan for the new week.
    """
    result = JobResult(0)
    say = result.say if log is None else (lambda t: (result.say(t), log(t)))
    path = Path(path)
    if not path.exists():
        result.code = BAD_INPUT
        say(f"no database at {path}")
        return result
    try:
        if sources:
            name = None
            with db.connect(path) as con:
                name = db.get_meta(con, "dataset_name") or path.stem
            imported = import_dataset(path, {t: list(f) for t, f in sources.items()},
                                      dataset_name=name, if_exists="append")
            say(f"data refreshed: {imported.summary()}")
        con = db.connect(path)
    except DatabaseBusyError as e:
        result.code = BUSY
        say(str(e))
        return result
    except (ValidationError, PromoLabError, FileNotFoundError) as e:
        result.code = BAD_INPUT
        say(f"data refresh failed, nothing written: {e}")
        return result
    try:
        try:
            plan = load_version(con, plan_id)
        except PlanError as e:
            result.code = BAD_INPUT
            say(str(e))
            return result
        as_of = date.fromisoformat(str(db.get_meta(con, "as_of"))[:10]) + timedelta(days=1)
        try:
            model_id = retrain_champion(con, result, as_of) if retrain else uplift.champion_id(con)
            forecast = rebuild(con, plan.payload, as_of, forecaster=forecaster,
                               model_id=model_id,
                               targets=load_targets(con, plan.plan_id, plan.version))
            if plan.status in EDITABLE:
                version = save_version(con, plan.plan_id, forecast, who=WHO,
                                       note=f"weekly rebuild as of {as_of}")
                result.plan_id, result.version = plan.plan_id, version
                say(f"plan {plan.plan_id} '{plan.name}': version {version} saved (draft)")
            else:
                week = max(as_of, plan.week + timedelta(days=7))
                new_id, version = create_plan(con, plan.name, week, forecast, who=WHO,
                                              note=f"rebuilt from plan {plan.plan_id} "
                                                   f"v{plan.version}")
                result.plan_id, result.version = new_id, version
                say(f"plan {plan.plan_id} is {plan.status}: new plan {new_id} for the week "
                    f"of {week} saved (draft)")
            say(f"forecast net incremental profit {forecast.totals['net_profit']:,.0f} on "
                f"{len(forecast.targets):,} targets")
            if export:
                for fn in (export_targets_csv, export_workbook, export_report):
                    result.files.append(fn(con, result.plan_id, result.version, folder))
                say("exported: " + ", ".join(str(f) for f in result.files))
        except (PromoLabError, ValueError, KeyError) as e:
            result.code = FAILED
            say(f"{type(e).__name__}: {e}")
        return result
    finally:
        con.close()
