"""The whole training run the page (and a weekly job) performs, in one call.

``train_uplift`` = select arms → split customers 70/30 (stratified on arm × outcome)
→ fit learners on the 70 % → score the 30 % → metrics with bootstrap intervals, a
random-ranking band, a response-model baseline, the "no signal" verdict and, with
several arms, the per-customer policy against the best single arm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from promo_core.uplift import evaluation as ev
from promo_core.uplift.balance import BalanceReport, check_assignment
from promo_core.uplift.learners import LEARNERS, Progress, fit_learners
from promo_core.uplift.model import UpliftModel
from promo_core.uplift.outcomes import LearnerConfig, OutcomeModel
from promo_core.uplift.policy import compare_policies
from promo_core.uplift.predict import predict_arm_outcomes
from promo_core.uplift.training_table import (
    CONTROL_ARM,
    TrainingTable,
    select_arms,
    stratified_split,
)

RESPONSE = "Response model"


@dataclass
class TrainingResult:
    """Fitted models and their held-out evaluation (all numbers the page shows)."""

    models: dict[str, UpliftModel]
    evaluations: dict[str, ev.Evaluation]  # learners plus RESPONSE (the baseline)
    champion_candidate: str | None
    verdict: str
    random_band: tuple[float, float]
    balance: dict[int, BalanceReport] = field(default_factory=dict)
    policy: pd.DataFrame | None = None
    n_train: int = 0
    n_test: int = 0

    def metrics_table(self) -> pd.DataFrame:
        """One row per learner (and the response baseline) with intervals."""
        rows = [{"learner": k, **e.metrics} for k, e in self.evaluations.items()]
        return pd.DataFrame(rows)

    def curves(self) -> pd.DataFrame:
        """Long frame of every learner's curves (for the charts)."""
        return pd.concat([e.curves.assign(learner=k) for k, e in self.evaluations.items()],
                         ignore_index=True)

    def deciles(self) -> pd.DataFrame:
        return pd.concat([e.deciles.assign(learner=k) for k, e in self.evaluations.items()
                          if k != RESPONSE], ignore_index=True)


def train_uplift(table: TrainingTable, arms: Sequence[int], outcome: str,
                 learners: Sequence[str] = LEARNERS, config: LearnerConfig | None = None,
                 test_size: float = 0.3, split_seed: int = 0, n_boot: int = 200,
                 check_balance: bool = True, progress: Progress | None = None
                 ) -> TrainingResult:
    """Train and evaluate; models carry their test metrics in ``model.metrics``."""
    config = config or LearnerConfig()
    say = progress or (lambda _f, _m: None)
    rows = select_arms(table, arms)
    test = stratified_split(rows, outcome, test_size, split_seed)
    train_rows, test_rows = rows[~test].reset_index(drop=True), rows[test].reset_index(drop=True)
    balance = {}
    if check_balance:
        for i, a in enumerate(arms):
            say(0.02 + 0.08 * i / len(arms), f"Checking assignment of promotion {a}…")
            sub = rows[rows.arm.isin([a, CONTROL_ARM])]
            balance[int(a)] = check_assignment(
                sub[table.feature_columns], sub.treated.to_numpy(),
                sub[outcome].fillna(0).to_numpy(), outcome,
                LearnerConfig(n_estimators=100, seed=config.seed))
    models = fit_learners(table, train_rows, outcome, learners, config,
                          progress=lambda f, m: say(0.1 + 0.75 * f, m))
    say(0.87, "Scoring held-out customers and bootstrapping intervals…")
    evaluations = {}
    # Each held-out row is scored with its own promotion (controls: the one they were
    # held out of), so several arms pool into one "promotion vs none" evaluation.
    arms_ = [int(a) for a in arms]
    score_with = np.where(test_rows.promo_id.isin(arms_), test_rows.promo_id, arms_[0])
    y = test_rows[outcome].fillna(0).to_numpy(dtype=float)
    t = test_rows.treated.to_numpy()
    for name, model in models.items():
        u = score_rows(model, test_rows, score_with)
        evaluations[name] = ev.evaluate_scores(y, u, t, n_boot=n_boot, seed=split_seed)
        model.metrics = {**evaluations[name].metrics, "split_seed": split_seed,
                         "test_size": test_size}
    evaluations[RESPONSE] = ev.evaluate_scores(
        y, _response_scores(table, train_rows, test_rows, outcome, config), t,
        n_boot=n_boot, seed=split_seed)
    band = ev.random_qini_band(y, t, n=n_boot, seed=split_seed)
    winner, verdict = ev.signal_verdict({k: v for k, v in evaluations.items() if k != RESPONSE})
    if winner is not None and evaluations[winner].metrics["qini_low"] <= band[1]:
        winner, verdict = None, (
            "No signal: the best learner's Qini interval reaches into the band of random "
            "rankings, so targeting adds nothing demonstrable over sending to everyone.")
    policy = None
    if len(arms) > 1:
        # Without a crowned learner the comparison still says whether a per-customer
        # choice beats one arm for everyone (usually: no demonstrable gain).
        model = models[winner or max(models, key=lambda k: evaluations[k].metrics["qini"])]
        pred = predict_arm_outcomes(model, test_rows)
        labels = [CONTROL_ARM, *model.arms]
        names = {CONTROL_ARM: "no promotion",
                 **{a: str(model.arms[a].get("name") or a) for a in model.arms}}
        policy = compare_policies(test_rows[outcome].fillna(0).to_numpy(),
                                  test_rows.arm.to_numpy(), pred, labels, names,
                                  n_boot=n_boot, seed=split_seed)
    say(1.0, "Done")
    return TrainingResult(models, evaluations, winner, verdict, band, balance, policy,
                          n_train=len(train_rows), n_test=len(test_rows))


def score_rows(model: UpliftModel, rows: pd.DataFrame, promo_ids: np.ndarray) -> np.ndarray:
    """Predicted uplift of each row for the promotion given per row (vectorised per arm)."""
    out = np.empty(len(rows))
    for pid in np.unique(promo_ids):
        idx = promo_ids == pid
        out[idx] = model.predict_uplift(rows[idx], int(pid)).uplift
    return out


def _response_scores(table, train_rows, test_rows, outcome, config) -> np.ndarray:
    """P(outcome | treated, x): the 'who buys' ranking an uplift model must beat."""
    trt = train_rows[train_rows.treated == 1]
    X = trt[table.feature_columns]
    y = trt[outcome].fillna(0).to_numpy(dtype=float)
    valid = np.random.default_rng(config.seed).random(len(trt)) < config.validation_fraction
    model = OutcomeModel("binary").fit(X, (y > 0).astype(float), config, valid)
    return model.predict(test_rows[table.feature_columns])[2]
