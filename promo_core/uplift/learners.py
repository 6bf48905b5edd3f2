"""S-, T- and X-learners on LightGBM, fitted together so the X-learner reuses the T's.

- **S**: one outcome model on customer features + promotion attributes + ``treated``,
  parametrised so the treatment cannot be lost among the customer features::

      P(buy | x, promotion, treated) = σ(base(x) + treated · effect(x, promotion))

  ``base`` (booster ``s.base``) is fitted on the control rows; ``effect`` (``s.p``)
  on the treated rows, boosted *from* base's log-odds (starting at the average
  treated-minus-base shift, not at 0, which early stopping would leave shrunk), so its
  coarse trees learn only what the promotion adds (a plain S-learner rarely split on
  ``treated``: its uplift ranked customers no better than chance on the demo shop).
  ``effect`` is monotone non-decreasing in depth. For money outcomes ``s.b`` (basket
  given a purchase) is one regressor on features + promotion attributes + ``treated``.
  Uplift = f(x, promotion) − f(x, no promotion), so it scores *any* promotion dict,
  including depths history never ran. Trees are step functions of depth, so for a
  depth between two that were run, the S-learner blends its predictions at those two
  depths linearly (and clamps outside the range run, flagged in ``extrapolated``).
- **T**: one outcome model per arm and one on the shared control group.
- **X**: the T's models are its first stage; the imputed effects
  ``D1 = y − μ0(x)`` (treated) and ``D0 = μa(x) − y`` (control) are regressed, and
  blended as ``τ = g·τ0 + (1 − g)·τ1`` with ``g`` the arm's treated share.

**Campaigns at different dates.** Where each arm has its own control group (the demo
shop's campaigns ran months apart), the arms' baselines differ by season: a control
pooled across them would mistake December's busier weeks for uplift. Every
P(y > 0) model is therefore fitted with a per-campaign log-odds offset (``init_score``:
logit of the campaign's control rate minus logit of the pooled control rate; 0 where
the arms share one control group, as Hillstrom's e-mails do), and predicts at offset 0,
a typical campaign. The X-learner imputes each row with its own campaign's offset.

Each fit is repeated on ``n_bags`` Poisson-bootstrap weightings; the spread of those
members' predictions gives each prediction's band (point ± 1.96 sd).

Boosters live in a flat dict per member, named ``s.base``, ``s.p``, ``s.b``, ``t0.p``,
``t<promo_id>.p``, ``x<promo_id>.tau1`` … (``.p``: P(y > 0); ``.b``: E[y | y > 0]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import lightgbm as lgb
import numpy as np
import pandas as pd
from scipy.special import expit

from promo_core.uplift.model import UpliftModel
from promo_core.uplift.outcomes import (
    LearnerConfig,
    OutcomeModel,
    fit_basket,
    fit_booster,
    fit_regressor,
    outcome_kind,
)
from promo_core.uplift.training_table import (
    CONTROL_ARM,
    DEPTH_COLUMNS,
    TrainingTable,
)

LEARNERS = ("S", "T", "X")
OFFER_COLUMNS = frozenset((*DEPTH_COLUMNS, "promo_min_spend"))  # plus promo_type_* below
CAMPAIGN_GAIN = 0.2
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
    offset = campaign_offsets(rows.promo_id.to_numpy(), rows.treated.to_numpy() == 1, y > 0)
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
        for lr in sorted(learners, key=lambda k: k == "S"):  # T's models first: S reuses one
            if progress:
                progress(done / steps, f"{lr}-learner, fit {m + 1} of {n_members}")
            if lr == "S":
                # S's base (control rows, same offsets, seed and weights) is T's control
                # model: the same booster, so it is fitted once.
                base = None if t_boosters is None else t_boosters[f"t{CONTROL_ARM}.p"]
                members["S"].append(_fit_s(X, rows, y, table, kind, config, valid, weight, m,
                                           offset, base))
            else:
                if t_boosters is None:
                    t_boosters = _fit_t(X, arm, arms, y, kind, config, valid, weight, m,
                                        offset)
                if lr == "T":
                    members["T"].append(t_boosters)
                else:
                    members["X"].append(_fit_x(X, arm, arms, y, kind, config, valid, weight,
                                               m, t_boosters, offset))
            done += 1
    if progress:
        progress(1.0, "done")
    return {lr: UpliftModel(learner=lr, members=members[lr], **spec) for lr in learners}


def campaign_offsets(promo_id: np.ndarray, treated: np.ndarray, bought: np.ndarray
                     ) -> np.ndarray:
    """Per-row log-odds offset of its campaign's baseline against the pooled control.

    0 for campaigns without control rows of their own (a shared control group).
    """
    ctrl = ~treated
    pooled = _logit(bought[ctrl].mean()) if ctrl.any() else 0.0
    out = np.zeros(len(promo_id))
    for pid in np.unique(promo_id):
        own = ctrl & (promo_id == pid)
        if own.sum() >= 30 and (promo_id[treated] == pid).any():
            out[promo_id == pid] = _logit(bought[own].mean()) - pooled
    return out


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-4), 1 - 1e-4)
    return float(np.log(p / (1 - p)))


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


def _fit_s(X, rows, y, table, kind, config, valid, weight, m, offset, base=None
           ) -> dict[str, lgb.Booster]:
    treated = rows.treated.to_numpy() == 1
    Xs = s_matrix(X, rows[table.promotion_columns], treated)
    bought = (y > 0).astype(float)
    w0, w1 = (None, None) if weight is None else (weight[~treated], weight[treated])
    if base is None:
        base = fit_booster(X[~treated], bought[~treated], "binary", config, valid[~treated],
                           w0, seed_offset=m, init_score=offset[~treated], offset_only=True)
    init = base.predict(X[treated], raw_score=True) + offset[treated]
    monotone = [1 if c in DEPTH_COLUMNS else 0 for c in Xs.columns]
    # A campaign-level attribute that does not describe the offer (channel, duration,
    # contact cost, category) takes as many values as campaigns were run: a split on it
    # fits one campaign's noise. Its split gain counts for less.
    contri = [1.0 if c in OFFER_COLUMNS or c.startswith("promo_type_")
              or c not in table.promotion_columns
              else CAMPAIGN_GAIN for c in Xs.columns]
    effect = fit_booster(Xs[treated].reset_index(drop=True), bought[treated], "binary",
                         config, valid[treated], w1, monotone, m, init_score=init,
                         effect=True, offset_only=True, extra={"feature_contri": contri})
    boosters = {"s.base": base, "s.p": effect}
    if kind == "amount":
        boosters["s.b"] = fit_basket(Xs, y, config, valid, weight, m)
    return boosters


def _fit_t(X, arm, arms, y, kind, config, valid, weight, m, offset
           ) -> dict[str, lgb.Booster]:
    boosters = {}
    for a in [CONTROL_ARM, *arms]:
        idx = arm == a
        model = OutcomeModel(kind).fit(X[idx], y[idx], config, valid[idx],
                                       None if weight is None else weight[idx], seed_offset=m,
                                       init_score=offset[idx])
        boosters.update({f"t{a}.{k}": b for k, b in model.boosters.items()})
    return boosters


def predict_group(boosters: dict[str, lgb.Booster], prefix: str, X: pd.DataFrame,
                  offset: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p, b, y)`` of the outcome model stored under ``prefix`` (e.g. ``t0``).

    With a ``<prefix>.base`` booster (the S-learner), P(y > 0) is
    σ(base(x) + treated · effect(x, promotion)), ``X`` being the S matrix.
    """
    base = boosters.get(f"{prefix}.base")
    if base is None and offset is None:
        p = boosters[f"{prefix}.p"].predict(X)
    elif base is None:
        p = expit(boosters[f"{prefix}.p"].predict(X, raw_score=True) + offset)
    else:
        raw = base.predict(X[base.feature_name()], raw_score=True)
        treated = X["treated"].to_numpy() == 1
        if treated.all():  # scoring one side at a time: no row-subset copy
            raw += boosters[f"{prefix}.p"].predict(X, raw_score=True)
        elif treated.any():
            raw[treated] += boosters[f"{prefix}.p"].predict(X[treated], raw_score=True)
        p = expit(raw)
    if f"{prefix}.b" not in boosters:
        return p, np.full_like(p, np.nan), p
    b = boosters[f"{prefix}.b"].predict(X)
    return p, b, p * b


def _fit_x(X, arm, arms, y, kind, config, valid, weight, m, t_boosters, offset
           ) -> dict[str, lgb.Booster]:
    boosters = dict(t_boosters)  # the first stage is the T-learner, shared, not refitted
    ctrl = arm == CONTROL_ARM
    # Imputed at each row's own campaign baseline (its offset), predicted at offset 0.
    mu0_all = predict_group(t_boosters, f"t{CONTROL_ARM}", X, offset)[2]
    for a in arms:
        trt = arm == a
        d1 = y[trt] - mu0_all[trt]
        d0 = predict_group(t_boosters, f"t{a}", X[ctrl], offset[ctrl])[2] - y[ctrl]
        w1 = None if weight is None else weight[trt]
        w0 = None if weight is None else weight[ctrl]
        boosters[f"x{a}.tau1"] = fit_regressor(X[trt], d1, config, valid[trt], w1, m)
        boosters[f"x{a}.tau0"] = fit_regressor(X[ctrl], d0, config, valid[ctrl], w0, m)
    return boosters
