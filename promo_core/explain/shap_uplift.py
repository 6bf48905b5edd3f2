"""SHAP values of the predicted *uplift* (not of who buys), one sound method per learner.

What is explained is ``u(x) = E[y | x, promotion] − E[y | x, no promotion]`` as the
champion model predicts it. SHAP values are only meaningful in the output space they
add up in, so the method depends on the learner:

- **X-learner — exact TreeSHAP** (:data:`EXACT`). Its uplift *is* the output of two
  L2 regressors on the uplift scale, ``τ = g·τ0(x) + (1 − g)·τ1(x)``. LightGBM's
  ``pred_contrib`` of a regressor is in that same scale, and SHAP is linear in the
  model, so ``g·φ(τ0) + (1 − g)·φ(τ1)`` are the exact SHAP values of the uplift.
- **T- and S-learners — surrogate TreeSHAP** (:data:`SURROGATE`). Their uplift is a
  difference of two classifier probabilities (or of hurdle products p·b), while
  ``pred_contrib`` of a classifier is in log-odds, where differences do not add up to
  a probability difference. shap 0.51's ``TreeExplainer(model_output="probability")``
  would do it (interventional, linear in the model), but it refuses LightGBM models
  with categorical splits, which ours have. So a small LightGBM regressor (depth ≤ 3,
  ≤ 100 trees, 1 thread) is fitted to the model's predicted uplift, and its exact
  TreeSHAP is shown, with its fidelity R² on held-out customers. The S-learner's
  promotion attributes are constant for one promotion, so only customer features can
  carry its uplift, which the surrogate sees.

Additivity, per row: ``base_value + Σ shap = explained`` within :data:`TOLERANCE`,
where ``explained`` is the model's uplift (exact) or the surrogate's (surrogate).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import lightgbm as lgb
import numpy as np
import pandas as pd

from promo_core.explain.sampling import MAX_ROWS, sample_frame, sample_positions
from promo_core.uplift import UpliftModel

EXACT = "exact"
SURROGATE = "surrogate"
METHODS = ("auto", EXACT, SURROGATE)
TOLERANCE = 1e-6  # |base + Σ SHAP − explained| per row, in uplift units (× (1 + |u|))
SURROGATE_FIT_ROWS = 5_000
# Depth drives TreeSHAP's cost (O(trees · leaves · depth²) per row), so the surrogate
# stays shallow: 10k customers then take ~1 s, where a 31-leaf leaf-wise tree takes 10×.
SURROGATE_PARAMS = {
    "objective": "regression", "num_leaves": 8, "max_depth": 3, "learning_rate": 0.3,
    "min_data_in_leaf": 20, "lambda_l2": 1.0, "max_bin": 63, "num_threads": 1,
    "seed": 0, "deterministic": True, "force_col_wise": True, "verbosity": -1,
}
SURROGATE_TREES = 100

METHOD_TEXT = {
    EXACT: ("exact TreeSHAP of the X-learner's effect models, which predict the uplift "
            "directly, so the values add up to the model's uplift exactly"),
    SURROGATE: ("TreeSHAP of a small surrogate model fitted to this model's predicted "
                "uplift (the {learner}-learner's uplift is a difference of two "
                "probabilities, which SHAP on its own models cannot split exactly); "
                "the surrogate reproduces {r2:.0%} of the variation in the model's "
                "uplift on customers it was not fitted on (R² {r2:.2f})"),
}


@dataclass
class UpliftExplanation:
    """SHAP values of the predicted uplift for some customers (rows in the same order).

    ``shap``: customers × features, in uplift units (a probability difference for
    conversion outcomes, money for amounts); ``values``: the features' values;
    ``explained = base_value + shap.sum(axis=1)``; ``uplift``: the model's own uplift.
    """

    shap: pd.DataFrame
    values: pd.DataFrame
    customer_ids: np.ndarray
    base_value: float
    explained: np.ndarray
    uplift: np.ndarray
    method: str
    method_text: str
    learner: str
    outcome: str
    kind: str
    promotion: str
    fidelity_r2: float | None = None
    n_population: int = 0
    sampled: bool = False
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.customer_ids)

    @property
    def features(self) -> list[str]:
        return list(self.shap.columns)

    @property
    def is_flat(self) -> bool:
        """The model gives everyone the same uplift here: no feature moves it."""
        return len(self) == 0 or float(np.abs(self.shap.to_numpy(dtype=float)).max()) < 1e-12

    def subset(self, mask: np.ndarray | pd.Series) -> UpliftExplanation:
        """The same explanation restricted to some of its customers (boolean mask)."""
        mask = np.asarray(mask, dtype=bool)
        return replace(self, shap=self.shap[mask].reset_index(drop=True),
                       values=self.values[mask].reset_index(drop=True),
                       customer_ids=self.customer_ids[mask], explained=self.explained[mask],
                       uplift=self.uplift[mask], n_population=int(mask.sum()), sampled=False)

    def row(self, customer_id: int) -> pd.DataFrame:
        """One customer: ``feature, value, shap`` sorted by |shap| descending."""
        hit = np.flatnonzero(self.customer_ids == customer_id)
        if not len(hit):
            raise KeyError(f"customer {customer_id} is not among the explained customers")
        i = hit[0]
        out = pd.DataFrame({"feature": self.features, "value": self.values.iloc[i].to_numpy(),
                            "shap": self.shap.iloc[i].to_numpy(dtype=float)})
        return out.reindex(out.shap.abs().sort_values(ascending=False).index).reset_index(
            drop=True)

    def importance(self) -> pd.DataFrame:
        """``feature, mean_abs, mean`` of the SHAP values, biggest mean |SHAP| first."""
        s = self.shap.to_numpy(dtype=float)
        out = pd.DataFrame({"feature": self.features, "mean_abs": np.abs(s).mean(axis=0),
                            "mean": s.mean(axis=0)})
        return out.sort_values(["mean_abs", "feature"], ascending=[False, True],
                               ignore_index=True)

    def additivity_error(self) -> np.ndarray:
        """Per row |base + Σ SHAP − explained| (0 up to float rounding)."""
        return np.abs(self.base_value + self.shap.to_numpy(dtype=float).sum(axis=1)
                      - self.explained)


class UpliftExplainer:
    """Explains one model's uplift for one promotion; reusable for any customers.

    Build with :func:`build_explainer` (fits the surrogate where one is needed).
    """

    def __init__(self, model: UpliftModel, promotion: int, method: str,
                 surrogate: lgb.Booster | None = None, fidelity_r2: float | None = None
                 ) -> None:
        self.model = model
        self.promotion = promotion
        self.method = method
        self.surrogate = surrogate
        self.fidelity_r2 = fidelity_r2

    @property
    def method_text(self) -> str:
        return METHOD_TEXT[self.method].format(learner=self.model.learner,
                                               r2=self.fidelity_r2 or 0.0)

    def contributions(self, matrix: pd.DataFrame) -> np.ndarray:
        """``pred_contrib`` of the uplift: features' SHAP, then the base value column."""
        if self.method == SURROGATE:
            return self.surrogate.predict(matrix, pred_contrib=True, num_threads=1)
        boosters, g = self.model.boosters, self.model.treated_share[self.promotion]
        c0 = boosters[f"x{self.promotion}.tau0"].predict(matrix, pred_contrib=True,
                                                         num_threads=1)
        c1 = boosters[f"x{self.promotion}.tau1"].predict(matrix, pred_contrib=True,
                                                         num_threads=1)
        return g * c0 + (1.0 - g) * c1

    def explain(self, features: pd.DataFrame, n_population: int | None = None,
                sampled: bool = False) -> UpliftExplanation:
        """SHAP of the uplift for every row of ``features`` (profiles with customer_id)."""
        features = features.reset_index(drop=True)
        model = self.model
        matrix = customer_matrix(model, features, self.promotion)
        contrib = self.contributions(matrix)
        uplift = model.predict_uplift(features, self.promotion).uplift
        shap = pd.DataFrame(contrib[:, :-1], columns=model.feature_columns)
        base = float(contrib[0, -1]) if len(contrib) else float("nan")
        return UpliftExplanation(
            shap=shap, values=features[model.feature_columns].reset_index(drop=True),
            customer_ids=_ids(features), base_value=base,
            explained=contrib.sum(axis=1), uplift=np.asarray(uplift, dtype=float),
            method=self.method, method_text=self.method_text, learner=model.learner,
            outcome=model.outcome, kind=model.kind,
            promotion=str(model.arms[self.promotion].get("name") or self.promotion),
            fidelity_r2=self.fidelity_r2, n_population=n_population or len(features),
            sampled=sampled, meta={"model_id": model.info.get("model_id"),
                                   "promo_id": self.promotion})


def customer_matrix(model: UpliftModel, features: pd.DataFrame, promotion: int
                    ) -> pd.DataFrame:
    """The customer-feature columns of the frame the model's boosters see."""
    return model.feature_matrix(features, promotion)[model.feature_columns]


def choose_method(model: UpliftModel, method: str = "auto") -> str:
    """:data:`EXACT` for the X-learner, :data:`SURROGATE` otherwise (or as asked)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}; got {method!r}")
    if method == "auto":
        return EXACT if model.learner == "X" else SURROGATE
    if method == EXACT and model.learner != "X":
        raise ValueError(f"exact TreeSHAP of the uplift needs the X-learner; the "
                         f"{model.learner}-learner's uplift is a difference of probabilities: "
                         "use the surrogate")
    return method


def _arm(model: UpliftModel, promotion: int | None) -> int:
    if promotion is None:
        return next(iter(model.arms))
    if int(promotion) not in model.arms:
        raise ValueError(f"promotion {promotion} is not an arm of this model; arms: "
                         f"{', '.join(str(a) for a in model.arms)}")
    return int(promotion)


def _ids(features: pd.DataFrame) -> np.ndarray:
    if "customer_id" in features.columns:
        return features["customer_id"].to_numpy()
    return np.arange(len(features))


def r_squared(y: np.ndarray, pred: np.ndarray) -> float:
    """1 − SSE/SST (0 when the target is constant and matched, else can be negative)."""
    sst = float(((y - y.mean()) ** 2).sum())
    sse = float(((y - pred) ** 2).sum())
    tiny = 1e-20 * max(len(y), 1)  # a constant target up to float rounding
    if sst <= tiny:
        return float(sse <= tiny)
    return 1.0 - sse / sst


def fit_surrogate(matrix: pd.DataFrame, uplift: np.ndarray, seed: int = 0
                  ) -> tuple[lgb.Booster, float]:
    """A shallow LightGBM regressor of the uplift and its R² on 20 % held-out rows."""
    rng = np.random.default_rng(seed)
    held = rng.random(len(matrix)) < 0.2
    if held.sum() < 20 or (~held).sum() < 40:
        raise ValueError("too few customers to fit a surrogate of the uplift (need ≥ 60)")
    train = lgb.Dataset(matrix[~held], uplift[~held], free_raw_data=True)
    valid = lgb.Dataset(matrix[held], uplift[held], reference=train)
    booster = lgb.train({**SURROGATE_PARAMS, "seed": seed}, train,
                        num_boost_round=SURROGATE_TREES, valid_sets=[valid],
                        callbacks=[lgb.early_stopping(10, verbose=False)])
    best = booster.best_iteration or booster.current_iteration()
    booster = lgb.Booster(model_str=booster.model_to_string(num_iteration=best))
    return booster, r_squared(uplift[held], booster.predict(matrix[held], num_threads=1))


def build_explainer(model: UpliftModel, features: pd.DataFrame, promotion: int | None = None,
                    method: str = "auto", fit_rows: int = SURROGATE_FIT_ROWS, seed: int = 0
                    ) -> UpliftExplainer:
    """An explainer of ``model``'s uplift for ``promotion`` (an arm id; default: the first).

    For the surrogate, fits on a seeded sample of at most ``fit_rows`` of ``features``.
    """
    method = choose_method(model, method)
    arm = _arm(model, promotion)
    if method == EXACT:
        return UpliftExplainer(model, arm, EXACT)
    rows = features.iloc[sample_positions(len(features), fit_rows, seed)].reset_index(drop=True)
    uplift = model.predict_uplift(rows, arm).uplift
    surrogate, r2 = fit_surrogate(customer_matrix(model, rows, arm), uplift, seed)
    return UpliftExplainer(model, arm, SURROGATE, surrogate, r2)


def explain_uplift(model: UpliftModel, features: pd.DataFrame, promotion: int | None = None,
                   *, method: str = "auto", max_rows: int = MAX_ROWS, seed: int = 0
                   ) -> UpliftExplanation:
    """SHAP of the uplift for ``features`` (sampled to ``max_rows``, seeded, said so)."""
    rows, sampled = sample_frame(features, max_rows, seed)
    explainer = build_explainer(model, rows, promotion, method, seed=seed)
    return explainer.explain(rows, n_population=len(features), sampled=sampled)


def explain_scores(features: pd.DataFrame, scores: np.ndarray, feature_columns: list[str],
                   *, kind: str = "binary", label: str = "these scores", seed: int = 0
                   ) -> UpliftExplanation:
    """Surrogate SHAP of any per-customer uplift (e.g. the demo shop's true effect).

    The same surrogate as for T/S models, fitted to ``scores`` on ``features``'s
    ``feature_columns`` (text columns become categories), so a known truth can check
    that the method finds the features that drive it.
    """
    values = features[feature_columns].reset_index(drop=True)
    matrix = values.copy()
    for col in feature_columns:
        if not (pd.api.types.is_numeric_dtype(matrix[col])
                or pd.api.types.is_bool_dtype(matrix[col])):
            matrix[col] = matrix[col].astype("category")
        else:
            matrix[col] = matrix[col].astype(float)
    scores = np.asarray(scores, dtype=float)
    surrogate, r2 = fit_surrogate(matrix, scores, seed)
    contrib = surrogate.predict(matrix, pred_contrib=True, num_threads=1)
    return UpliftExplanation(
        shap=pd.DataFrame(contrib[:, :-1], columns=feature_columns), values=values,
        customer_ids=_ids(features), base_value=float(contrib[0, -1]),
        explained=contrib.sum(axis=1), uplift=scores, method=SURROGATE,
        method_text=f"TreeSHAP of a surrogate fitted to {label} (R² {r2:.2f})",
        learner="-", outcome="converted" if kind == "binary" else "revenue", kind=kind,
        promotion=label, fidelity_r2=r2, n_population=len(features))
