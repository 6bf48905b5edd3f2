"""S-, T- and X-learners on LightGBM, fitted together so the X-learner reuses the T's.

- **S**: one outcome model on customer features + promotion attributes + ``treated``.
  Uplift = f(x, promotion) − f(x, no promotion), so it scores *any* promotion dict,
  including depths history never ran. Trees are step functions of depth, so for a
  depth between two that were run, the S-learner blends its predictions at those two
  depths linearly (and clamps outside the range run, flagged in ``extrapolated``).
  The buy-probability model is monotone non-decreasing in depth.
- **T**: one outcome model per arm and one on the shared control group.
- **X**: the T's models are its first stage; the imputed effects
  ``D1 = y − μ0(x)`` (treated) and ``D0 = μa(x) − y`` (control) are regressed, and
  blended as ``τ = g·τ0 + (1 − g)·τ1`` with ``g`` the arm's treated share.

Each fit is repeated on ``n_bags`` Poisson-bootstrap weightings; the spread of those
members' predictions gives each prediction's band (point ± 1.96 sd).

Boosters live in a flat dict per member, named ``s.p``, ``s.b``, ``t0.p``,
``t<promo_id>.p``, ``x<promo_id>.tau1`` … (``.p``: P(y > 0); ``.b``: E[y | y > 0]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd

from promo_core.uplift.model import UpliftModel
from promo_core.uplift.outcomes import LearnerConfig, OutcomeModel, fit_regressor, outcome_kind
from promo_core.uplift.training_table import (
    CONTROL_ARM,
    DEPTH_COLUMNS,
    TrainingTable,
)

LEARNERS = ("S", "T", "X")
Progress = Callable[[float, str], None]


def fit_learners(table: TrainingTable, rows: pd.DataFrame, outcome: str,
                 learners: Sequence[str] = LEARNERS, config: LearnerConfig | None = None,
                 progress: Progress | None = None) -> dict[str, UpliftModel]:
    """Fit the chosen learners for the arms in ``rows`` (from :func:`select_arms`).

    ``rows`` holds the *training* customers only; evaluate on the others.
    Returns ``{"S": model, "T": model, "X": model}`` for the learners asked for.
    """
    config = config or LearnerConfig()
    learners = [lr.upper() for lr in learners]
    bad = [lr for lr in learners if lr not in LEARNERS]
    if bad or not learners:
        raise ValueError(f"learners must be some of {', '.join(LEARNERS)}; got {bad or 'none'}")
    if outcome not in table.outcomes:
        raise ValueError(f"outcome {outcome!r} is not available here; choose one of "
                         f"{', '.join(table.outcomes)}")
    kind = outcome_kind(outcome)
    arm = rows.arm.to_numpy()
    arms = sorted(int(a) for a in np.unique(arm) if a != CONTROL_ARM)
    if not arms or not (arm == CONTROL_ARM).any():
        raise ValueError("training needs treated and control rows")
    y = rows[outcome].fillna(0.0).to_numpy(dtype=float)
    X = rows[table.feature_columns].reset_index(drop=True)
    rng = np.random.default_rng(config.seed)
    valid = rng.random(len(rows)) < config.validation_fraction
    spec = {
        "outcome": outcome, "kind": kind, "feature_columns": list(table.feature_columns),
        "promotion_columns": list(table.promotion_columns),
        "categories": dict(table.categories),
        "arms": {a: _clean(table.promotion(a)) for a in arms},
        "treated_share": {a: float((arm == a).sum() / ((arm == a) | (arm == CONTROL_ARM)).sum())
                          for a in arms},
        "seen_depths": {c: sorted(set(rows.loc[rows.treated == 1, c].round(6)))
                        for c in DEPTH_COLUMNS},
        "config": config.to_dict(),
    }
    members: dict[str, list[dict[str, lgb.Booster]]] = {lr: [] for lr in learners}
    n_members = 1 + config.n_bags
    steps = n_members * len(learners)
    done = 0
    for m in range(n_members):
        # Member 0 is the plain fit; the others reweight rows by Poisson(1) counts.
        weight = None if m == 0 else rng.poisson(1.0, len(rows)).astype(float)
        t_boosters: dict[str, lgb.Booster] | None = None
        for lr in learners:
            if progress:
                progress(done / steps, f"{lr}-learner, fit {m + 1} of {n_members}")
            if lr == "S":
                members["S"].append(_fit_s(X, rows, y, table, kind, config, valid, weight, m))
            else:
                if t_boosters is None:
                    t_boosters = _fit_t(X, arm, arms, y, kind, config, valid, weight, m)
                if lr == "T":
                    members["T"].append(t_boosters)
                else:
                    members["X"].append(_fit_x(X, arm, arms, y, kind, config, valid, weight,
                                               m, t_boosters, spec["treated_share"]))
            done += 1
    if progress:
        progress(1.0, "done")
    return {lr: UpliftModel(learner=lr, members=members[lr], **spec) for lr in learners}


def _clean(promo: dict) -> dict:
    """A promotion dict with JSON-friendly values (dates as ISO text, NaN as None)."""
    out = {}
    for k, v in promo.items():
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT:
            out[k] = None
        elif hasattr(v, "isoformat"):
            out[k] = v.isoformat()
        elif isinstance(v, np.generic):
            out[k] = v.item()
        else:
            out[k] = v
    return out


def s_matrix(X: pd.DataFrame, promo_attrs: pd.DataFrame, treated: np.ndarray) -> pd.DataFrame:
    """The S-learner's input: features, promotion attributes and the treated flag."""
    out = pd.concat([X.reset_index(drop=True), promo_attrs.reset_index(drop=True)], axis=1)
    out["treated"] = np.asarray(treated, dtype=float)
    return out


def _fit_s(X, rows, y, table, kind, config, valid, weight, m) -> dict[str, lgb.Booster]:
    Xs = s_matrix(X, rows[table.promotion_columns], rows.treated.to_numpy())
    monotone = [1 if c in DEPTH_COLUMNS else 0 for c in Xs.columns]
    model = OutcomeModel(kind).fit(Xs, y, config, valid, weight, monotone, seed_offset=m)
    return {f"s.{k}": b for k, b in model.boosters.items()}


def _fit_t(X, arm, arms, y, kind, config, valid, weight, m) -> dict[str, lgb.Booster]:
    boosters = {}
    for a in [CONTROL_ARM, *arms]:
        idx = arm == a
        model = OutcomeModel(kind).fit(X[idx], y[idx], config, valid[idx],
                                       None if weight is None else weight[idx], seed_offset=m)
        boosters.update({f"t{a}.{k}": b for k, b in model.boosters.items()})
    return boosters


def predict_group(boosters: dict[str, lgb.Booster], prefix: str, X: pd.DataFrame
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, b, y)`` of the outcome model stored under ``prefix`` (e.g. ``t0``)."""
    p = boosters[f"{prefix}.p"].predict(X)
    if f"{prefix}.b" not in boosters:
        return p, np.full_like(p, np.nan), p
    b = boosters[f"{prefix}.b"].predict(X)
    return p, b, p * b


def _fit_x(X, arm, arms, y, kind, config, valid, weight, m, t_boosters, share
           ) -> dict[str, lgb.Booster]:
    boosters = dict(t_boosters)  # the first stage is the T-learner, shared, not refitted
    ctrl = arm == CONTROL_ARM
    mu0_all = predict_group(t_boosters, f"t{CONTROL_ARM}", X)[2]
    for a in arms:
        trt = arm == a
        d1 = y[trt] - mu0_all[trt]
        d0 = predict_group(t_boosters, f"t{a}", X[ctrl])[2] - y[ctrl]
        w1 = None if weight is None else weight[trt]
        w0 = None if weight is None else weight[ctrl]
        boosters[f"x{a}.tau1"] = fit_regressor(X[trt], d1, config, valid[trt], w1, m)
        boosters[f"x{a}.tau0"] = fit_regressor(X[ctrl], d0, config, valid[ctrl], w0, m)
    return boosters
