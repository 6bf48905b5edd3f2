"""Was assignment random? Balance, a cross-fitted propensity model, IPW and DR effects.

- **Standardised mean differences** of pre-exposure features between treated and
  control: ``(mean_t − mean_c) / sqrt((var_t + var_c) / 2)``; |SMD| > 0.1 is the
  usual sign of imbalance.
- **Propensity** ``e(x) = P(treated | x)`` by LightGBM, *cross-fitted* (each row is
  scored by a model that did not see it), with its AUC: ≈ 0.5 means the features
  cannot tell treated from control, as in a randomised test.
- **Overlap**: rows with ``e`` outside [``TRIM``, 1 − ``TRIM``] have (almost) no
  comparable customers in the other group; if they are more than ``MAX_OUTSIDE`` of
  the rows, no effect is shown at all.
- **Effects**: naive difference, IPW (Hájek, normalised weights) and doubly-robust
  AIPW with cross-fitted outcome models; 95 % intervals from the influence function.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from promo_core.uplift.outcomes import LearnerConfig, OutcomeModel, fit_booster, outcome_kind

SMD_LIMIT = 0.1
AUC_LIMIT = 0.6
TRIM = 0.05
MAX_OUTSIDE = 0.10
FOLDS = 3
Z95 = 1.959964


@dataclass
class BalanceReport:
    smd: pd.DataFrame  # feature, smd (sorted by |smd| descending)
    propensity_auc: float
    share_outside: float  # rows with e outside [TRIM, 1 - TRIM]
    estimates: pd.DataFrame  # method, estimate, low, high
    randomised: bool
    overlap_ok: bool
    message: str
    propensity: pd.DataFrame  # treated, propensity (for the overlap chart)


def standardised_mean_differences(X: pd.DataFrame, treated: np.ndarray) -> pd.DataFrame:
    """SMD per numeric feature and per level of each categorical one."""
    t = np.asarray(treated).astype(bool)
    cols = {}
    for col in X.columns:
        s = X[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            for level in s.cat.categories[:10]:
                cols[f"{col} = {level}"] = (s == level).astype(float).to_numpy()
        elif pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            cols[col] = s.astype(float).to_numpy()
    M = np.column_stack(list(cols.values())) if cols else np.empty((len(t), 0))
    # A feature empty on one side (never ordered: no recency) has no SMD; it is dropped
    # below, so numpy's "mean of empty slice" warning says nothing useful.
    with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mt, mc = np.nanmean(M[t], axis=0), np.nanmean(M[~t], axis=0)
        vt, vc = np.nanvar(M[t], axis=0, ddof=1), np.nanvar(M[~t], axis=0, ddof=1)
        smd = (mt - mc) / np.sqrt((vt + vc) / 2)
    df = pd.DataFrame({"feature": list(cols), "smd": smd, "mean_treated": mt,
                       "mean_control": mc})
    df = df[np.isfinite(df.smd)]
    return df.reindex(df.smd.abs().sort_values(ascending=False).index).reset_index(drop=True)


def cross_fitted_propensity(X: pd.DataFrame, treated: np.ndarray, config: LearnerConfig,
                            folds: int = FOLDS) -> np.ndarray:
    """Out-of-fold P(treated | x) from LightGBM classifiers."""
    t = np.asarray(treated).astype(float)
    fold = np.random.default_rng(config.seed).integers(0, folds, len(t))
    e = np.empty(len(t))
    for k in range(folds):
        out = fold == k
        valid = np.random.default_rng(config.seed + k).random((~out).sum()) < 0.2
        if np.unique(t[~out][~valid]).size < 2:  # one group only: nothing to separate
            e[out] = t[~out].mean()
            continue
        booster = fit_booster(X[~out], t[~out], "binary", config, valid, seed_offset=k)
        e[out] = booster.predict(X[out])
    return e


def _cross_fitted_outcomes(X, y, t, kind, config, folds: int = FOLDS):
    fold = np.random.default_rng(config.seed + 99).integers(0, folds, len(y))
    mu0, mu1 = np.empty(len(y)), np.empty(len(y))
    for k in range(folds):
        out = fold == k
        for group, target in ((0, mu0), (1, mu1)):
            idx = ~out & (t == group)
            valid = np.random.default_rng(config.seed + k).random(idx.sum()) < 0.2
            if np.unique(y[idx][~valid] > 0).size < 2:  # nobody (or all) bought: a constant
                target[out] = y[idx].mean()
                continue
            model = OutcomeModel(kind).fit(X[idx], y[idx], config, valid, seed_offset=k)
            target[out] = model.predict(X[out])[2]
    return mu0, mu1


def check_assignment(X: pd.DataFrame, treated: np.ndarray, y: np.ndarray, outcome: str,
                     config: LearnerConfig | None = None) -> BalanceReport:
    """Balance, propensity, overlap and the three effect estimates for one arm."""
    config = config or LearnerConfig(n_estimators=100)
    t = np.asarray(treated).astype(int)
    y = np.asarray(y, dtype=float)
    if t.sum() == 0 or t.sum() == len(t):
        raise ValueError("the balance check needs treated and control rows")
    X = X.reset_index(drop=True)
    smd = standardised_mean_differences(X, t)
    e = cross_fitted_propensity(X, t, config)
    auc = float(roc_auc_score(t, e))
    outside = float(np.mean((e < TRIM) | (e > 1 - TRIM)))
    ec = np.clip(e, TRIM, 1 - TRIM)
    naive = y[t == 1].mean() - y[t == 0].mean()
    se_naive = np.sqrt(y[t == 1].var(ddof=1) / t.sum() + y[t == 0].var(ddof=1) / (1 - t).sum())
    w1, w0 = t / ec, (1 - t) / (1 - ec)
    ipw = (w1 @ y) / w1.sum() - (w0 @ y) / w0.sum()
    psi_ipw = w1 / w1.mean() * (y - (w1 @ y) / w1.sum()) - w0 / w0.mean() * (
        y - (w0 @ y) / w0.sum())
    mu0, mu1 = _cross_fitted_outcomes(X, y, t, outcome_kind(outcome), config)
    psi = mu1 - mu0 + t * (y - mu1) / ec - (1 - t) * (y - mu0) / (1 - ec)
    dr = psi.mean()
    n = len(y)
    rows = [("Naive treated − control", naive, se_naive),
            ("Inverse-propensity weighted", ipw, psi_ipw.std(ddof=1) / np.sqrt(n)),
            ("Doubly robust (AIPW)", dr, psi.std(ddof=1) / np.sqrt(n))]
    estimates = pd.DataFrame([{"method": m, "estimate": v, "low": v - Z95 * s,
                               "high": v + Z95 * s} for m, v, s in rows])
    max_smd = float(smd.smd.abs().max()) if len(smd) else 0.0
    randomised = max_smd <= SMD_LIMIT and auc <= AUC_LIMIT
    overlap_ok = outside <= MAX_OUTSIDE
    message = _message(randomised, overlap_ok, max_smd, auc, outside)
    if not overlap_ok:
        estimates = estimates.iloc[:1]  # only the naive figure, labelled as not the uplift
    sample = np.random.default_rng(0).permutation(n)[:20_000]
    prop = pd.DataFrame({"treated": t[sample], "propensity": e[sample]})
    return BalanceReport(smd, auc, outside, estimates, randomised, overlap_ok, message, prop)


def _message(randomised: bool, overlap_ok: bool, max_smd: float, auc: float,
             outside: float) -> str:
    if randomised:
        return (f"Assignment looks random: every feature is balanced (largest |SMD| "
                f"{max_smd:.2f} ≤ {SMD_LIMIT}) and the features cannot predict who was "
                f"treated (propensity AUC {auc:.2f}). Treated minus control is the uplift.")
    text = (f"Assignment was NOT random: treated and control differ before the promotion "
            f"(largest |SMD| {max_smd:.2f}, propensity AUC {auc:.2f}). The naive treated "
            "minus control difference is not the uplift. ")
    if not overlap_ok:
        return text + (f"{outside:.0%} of customers had almost no chance of being in the "
                       "other group (no overlap), so no effect can be estimated from this "
                       "history; the models below should not be trusted for them.")
    return text + ("The weighted (IPW) and doubly-robust estimates correct for the "
                   "features we see; they cannot correct for what was targeted on but not "
                   "recorded.")
