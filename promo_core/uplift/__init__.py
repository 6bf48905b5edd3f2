"""Uplift models: what a promotion *adds* per customer, by LightGBM meta-learners.

Typical use (everything the Uplift page shows comes from these calls)::

    from promo_core import db
    from promo_core import uplift

    con = db.connect(path)
    table = uplift.build_training_table(con)            # one row per past exposure
    result = uplift.train_uplift(table, arms=[2], outcome="visited")
    result.metrics_table()    # Qini, AUUC, uplift@k, calibration — 95 % bootstrap CIs
    result.verdict            # "No signal: …" when every Qini interval includes 0
    model = result.models["X"]
    model_id = uplift.save_model(con, model, as_of="2008-03-15")
    uplift.set_champion(con, model_id)

    champion = uplift.load_champion(con)                # later: forecasts, ROI, SHAP
    feats = profiles.compute_profiles(con, as_of)       # customer features as of a date
    pred = champion.predict_uplift(feats, promotion)    # (uplift, lower, upper) arrays
    out = champion.predict_outcomes(feats, promotion)   # y0, y1, uplift, p0, p1, b0, b1

Public API
- ``build_training_table(con, promo_ids=None) -> TrainingTable``; ``select_arms``,
  ``stratified_split``.
- ``train_uplift(table, arms, outcome, learners=("S","T","X"), config=LearnerConfig(),
  test_size=0.3, split_seed=0, n_boot=200, check_balance=True, progress=None)
  -> TrainingResult`` (models, evaluations, verdict, random band, balance, policy).
- ``fit_learners(table, rows, outcome, learners, config, progress) -> {name: UpliftModel}``
  for callers that split data themselves.
- ``UpliftModel``:
  ``predict_uplift(features, promotion=None) -> UpliftPrediction(uplift, lower, upper)``
  (band = ±1.96 sd over ``config.n_bags`` bootstrap refits, NaN when ``n_bags`` < 2);
  ``predict_uplift_members(features, promotion) -> ndarray`` (members × customers: sum
  per segment, then take the spread, for a segment band);
  ``predict_outcomes(features, promotion=None) -> DataFrame`` (y0, y1, uplift, p0, p1,
  b0, b1, extrapolated); ``feature_matrix(features, promotion, treated=True)`` — the
  exact frame the boosters see; ``boosters`` — member 0's ``lightgbm.Booster`` by name
  (``s.p``/``s.b`` for S; ``t0.p``, ``t<id>.p`` for T; plus ``x<id>.tau0/.tau1`` for X),
  ready for ``booster.predict(matrix, pred_contrib=True)``.
  ``promotion``: a dict with ``promotions`` columns (the S-learner scores ANY dict,
  including unseen depths, blending linearly between depths that were run), or a
  promo id (T/X: only the arms they were trained on; ``model.arms``).
- Registry: ``save_model``, ``load_model(con, model_id)``, ``list_models``,
  ``set_champion``, ``champion_id``, ``load_champion(con) -> UpliftModel | None``.
  Loading a model whose features the data lack raises ``FeatureMismatchError``.
- Balance: ``check_assignment(X, treated, y, outcome) -> BalanceReport`` (SMDs,
  cross-fitted propensity, overlap, naive / IPW / doubly-robust effects).
- Metrics (pure, ``(y_true, uplift, treatment, …)``): see :mod:`.metrics`.
- Jobs: ``run_training_job(fn, *args, on_wait=callback)`` — one training at a time.

Outcomes: ``converted`` / ``visited`` are classifiers; ``revenue`` / ``margin`` are a
hurdle: P(y > 0) × E[y | y > 0] (p and b of the ROI formula). ``discount_paid`` is a
column of the training table, not a modelled outcome: the economics count it once.

Schema note: ``models`` has no champion flag column; the champion id is kept in
``meta`` under ``uplift.champion`` until the schema gains ``is_champion``.
"""

from promo_core.uplift.balance import BalanceReport, check_assignment
from promo_core.uplift.evaluation import Evaluation, evaluate_scores, random_qini_band
from promo_core.uplift.jobs import TRAINING_QUEUE, run_training_job
from promo_core.uplift.learners import LEARNERS, fit_learners
from promo_core.uplift.model import FeatureMismatchError, UpliftModel, UpliftPrediction
from promo_core.uplift.outcomes import LearnerConfig
from promo_core.uplift.registry import (
    champion_id,
    list_models,
    load_champion,
    load_model,
    save_model,
    set_champion,
)
from promo_core.uplift.train import RESPONSE, TrainingResult, train_uplift
from promo_core.uplift.training_table import (
    TrainingTable,
    build_training_table,
    select_arms,
    stratified_split,
)

__all__ = [
    "LEARNERS", "RESPONSE", "TRAINING_QUEUE", "BalanceReport", "Evaluation",
    "FeatureMismatchError", "LearnerConfig", "TrainingResult", "TrainingTable",
    "UpliftModel", "UpliftPrediction", "build_training_table", "champion_id",
    "check_assignment", "evaluate_scores", "fit_learners", "list_models", "load_champion",
    "load_model", "random_qini_band", "run_training_job", "save_model", "select_arms",
    "set_champion", "stratified_split", "train_uplift",
]
