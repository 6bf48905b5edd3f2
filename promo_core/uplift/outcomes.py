"""Outcome models: one LightGBM booster per probability, and a hurdle for amounts.

Binary outcomes (converted, visited) are one classifier. Amounts (revenue, margin) are
zero-inflated — most customers spend nothing — so they are modelled as a *hurdle*:
``E[y] = P(y > 0) · E[y | y > 0]``, a classifier times a regressor fitted on the
buyers only. The two parts are exactly the p and b of the ROI formula (DESIGN.md).

Every fit: ``num_threads`` from the config (1 by default: these 2-core machines stall
with more), seeded, ``deterministic=True``, early stopping on a validation split.

*Effect* models (the S-learner's treated-side term, the X-learner's τ regressors) fit a
few points of uplift under Bernoulli noise twenty times larger, so they get much
coarser trees than outcome models: ``effect_num_leaves`` leaves and at least
``effect_min_leaf_share`` of their rows per leaf. Finer trees fit the noise and rank
customers worse (measured on the demo shop, where the true uplift is known).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import lightgbm as lgb
import numpy as np
import pandas as pd

from promo_core.uplift.training_table import BINARY_OUTCOMES


@dataclass(frozen=True)
class LearnerConfig:
    """LightGBM settings shared by every base model of a training run."""

    n_estimators: int = 200
    num_leaves: int = 15
    learning_rate: float = 0.05
    min_data_in_leaf: int = 100
    max_bin: int = 63
    feature_fraction: float = 0.9
    lambda_l2: float = 1.0
    early_stopping_rounds: int = 20
    validation_fraction: float = 0.2
    n_bags: int = 0  # extra bootstrap fits for per-prediction intervals (0: none)
    effect_num_leaves: int = 4
    effect_min_leaf_share: float = 0.01
    seed: int = 0
    num_threads: int = 1

    def lgb_params(self, objective: str, seed_offset: int = 0) -> dict:
        return {
            "objective": objective, "num_leaves": self.num_leaves,
            "learning_rate": self.learning_rate, "min_data_in_leaf": self.min_data_in_leaf,
            "max_bin": self.max_bin, "feature_fraction": self.feature_fraction,
            "lambda_l2": self.lambda_l2, "num_threads": self.num_threads,
            "seed": self.seed + seed_offset, "deterministic": True,
            "force_col_wise": True, "verbosity": -1,
        }

    def effect_params(self, n_rows: int) -> dict:
        """Overrides for an effect model fitted on ``n_rows`` rows (coarse trees)."""
        return {"num_leaves": self.effect_num_leaves,
                "min_data_in_leaf": max(self.min_data_in_leaf,
                                        int(self.effect_min_leaf_share * n_rows))}

    def to_dict(self) -> dict:
        return asdict(self)


def outcome_kind(outcome: str) -> str:
    """``binary`` for conversion-type outcomes, ``amount`` for money."""
    return "binary" if outcome in BINARY_OUTCOMES else "amount"


def fit_booster(X: pd.DataFrame, y: np.ndarray, objective: str, config: LearnerConfig,
                valid: np.ndarray, weight: np.ndarray | None = None,
                monotone: list[int] | None = None, seed_offset: int = 0,
                init_score: np.ndarray | None = None, effect: bool = False,
                offset_only: bool = False, extra: dict | None = None) -> lgb.Booster:
    """One early-stopped LightGBM fit; returns a booster trimmed to its best iteration.

    ``init_score`` (raw scores, e.g. a baseline's log-odds) makes the booster learn
    only what it adds to them. With ``offset_only`` (binary) boosting starts from them
    plus the mean log-odds shift the data ask for, which is baked into the booster: a
    model fitted on nuisance offsets (a campaign's season) then predicts at offset 0 on
    its own, and an effect model on a baseline starts at the average effect.
    ``effect`` uses the coarse effect-model trees; ``extra`` adds LightGBM parameters.
    """
    params = config.lgb_params(objective, seed_offset)
    if effect:
        params.update(config.effect_params(len(y)))
    params.update(extra or {})
    if monotone is not None and any(monotone):
        params["monotone_constraints"] = monotone
        params["monotone_constraints_method"] = "intermediate"
    y = np.asarray(y, dtype=float)
    if objective == "binary" and (np.unique(y[~valid]).size < 2):
        raise ValueError("the outcome has one value only in these rows: nothing to learn "
                         "(is the outcome right for this promotion?)")
    w_train = None if weight is None else weight[~valid]
    w_valid = None if weight is None else weight[valid]
    intercept = 0.0
    if init_score is not None and offset_only:
        # LightGBM does not boost from the average when given init scores: start from
        # the mean log-odds ourselves, and bake it into the first tree so the saved
        # booster predicts at offset 0 on its own.
        mean = np.average(y[~valid], weights=w_train)
        mean = min(max(mean, 1e-4), 1 - 1e-4)
        intercept = float(np.log(mean / (1 - mean)) - np.mean(init_score[~valid]))
        init_score = init_score + intercept
    i_train = None if init_score is None else init_score[~valid]
    i_valid = None if init_score is None else init_score[valid]
    train = lgb.Dataset(X[~valid], y[~valid], weight=w_train, init_score=i_train,
                        free_raw_data=True)
    callbacks = []
    valid_sets = []
    if valid.any():
        valid_sets = [lgb.Dataset(X[valid], y[valid], weight=w_valid, init_score=i_valid,
                                  reference=train)]
        callbacks = [lgb.early_stopping(config.early_stopping_rounds, verbose=False)]
    booster = lgb.train(params, train, num_boost_round=config.n_estimators,
                        valid_sets=valid_sets, callbacks=callbacks)
    best = booster.best_iteration or booster.current_iteration()
    if intercept:
        _shift_first_tree(booster, intercept)
    # A string round-trip drops the datasets and the trees after the best iteration, so
    # the in-memory booster is exactly what the registry saves and loads.
    return lgb.Booster(model_str=booster.model_to_string(num_iteration=best))


def _shift_first_tree(booster: lgb.Booster, value: float) -> None:
    """Add ``value`` to every leaf of tree 0: every raw prediction moves by ``value``."""
    n_leaves = booster.dump_model(num_iteration=1)["tree_info"][0]["num_leaves"]
    for leaf in range(n_leaves):
        booster.set_leaf_output(0, leaf, booster.get_leaf_output(0, leaf) + value)


class OutcomeModel:
    """E[y | X] for one group of rows: a classifier, or a hurdle for amounts."""

    def __init__(self, kind: str) -> None:
        if kind not in ("binary", "amount"):
            raise ValueError(f"kind must be 'binary' or 'amount', got {kind!r}")
        self.kind = kind
        self.boosters: dict[str, lgb.Booster] = {}

    def fit(self, X: pd.DataFrame, y: np.ndarray, config: LearnerConfig, valid: np.ndarray,
            weight: np.ndarray | None = None, monotone: list[int] | None = None,
            seed_offset: int = 0, init_score: np.ndarray | None = None) -> OutcomeModel:
        y = np.asarray(y, dtype=float)
        bought = (y > 0).astype(float)
        self.boosters["p"] = fit_booster(X, bought, "binary", config, valid, weight,
                                         monotone, seed_offset, init_score,
                                         offset_only=init_score is not None)
        if self.kind == "amount":
            self.boosters["b"] = fit_basket(X, y, config, valid, weight, seed_offset)
        return self

    def predict(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(p, b, y)``: P(y > 0), E[y | y > 0] (NaN for binary) and E[y]."""
        p = self.boosters["p"].predict(X)
        if self.kind == "binary":
            return p, np.full_like(p, np.nan), p
        b = self.boosters["b"].predict(X)
        return p, b, p * b


def fit_basket(X: pd.DataFrame, y: np.ndarray, config: LearnerConfig, valid: np.ndarray,
               weight: np.ndarray | None = None, seed_offset: int = 0) -> lgb.Booster:
    """E[y | y > 0, X]: a regressor on the buyers (the b of the ROI formula)."""
    pos = np.asarray(y, dtype=float) > 0
    if pos.sum() < 2 * config.min_data_in_leaf:
        # Too few buyers for trees: their mean basket is the honest estimate.
        return _constant_booster(X, y, pos, config)
    return fit_booster(X[pos], y[pos], "regression", config, valid[pos],
                       None if weight is None else weight[pos], None, seed_offset)


def _constant_booster(X: pd.DataFrame, y: np.ndarray, pos: np.ndarray,
                      config: LearnerConfig) -> lgb.Booster:
    mean = float(y[pos].mean()) if pos.any() else 0.0
    params = {**config.lgb_params("regression"), "min_data_in_leaf": len(X) + 1}
    train = lgb.Dataset(X.iloc[:50], np.full(min(50, len(X)), mean))
    booster = lgb.train({**params, "boost_from_average": True}, train, num_boost_round=1)
    return lgb.Booster(model_str=booster.model_to_string())


def fit_regressor(X: pd.DataFrame, y: np.ndarray, config: LearnerConfig, valid: np.ndarray,
                  weight: np.ndarray | None = None, seed_offset: int = 0) -> lgb.Booster:
    """An L2 effect regressor with coarse trees (the X-learner's τ models)."""
    return fit_booster(X, y, "regression", config, valid, weight, None, seed_offset,
                       effect=True)
