"""Explanations of the predicted *uplift* (who buys because of us), not of who buys.

Typical use (everything the Explanations page shows comes from these calls)::

    from promo_core import explain, profiles, uplift

    model = uplift.load_champion(con)
    feats = profiles.compute_profiles(con, as_of)
    explainer = explain.build_explainer(model, feats, promotion=4)   # method per learner
    exp = explainer.explain(feats.sample(10_000, random_state=0))   # or explain_uplift(...)
    exp.importance()            # feature, mean |SHAP|, mean SHAP (uplift units)
    exp.row(customer_id)        # one customer's waterfall
    explain.fit_rules(exp.values, exp.uplift, kind=exp.kind).table
    explain.describe_global(exp, labels)

Public API
- ``build_explainer(model, features, promotion=None, method="auto", fit_rows=5000, seed=0)
  -> UpliftExplainer`` (``.explain(features) -> UpliftExplanation``);
  ``explain_uplift(model, features, promotion=None, method="auto", max_rows=10_000,
  seed=0) -> UpliftExplanation`` (samples, and says so in ``sampled``);
  ``explain_scores(features, scores, feature_columns)`` — the surrogate on any uplift.
- Methods: :data:`EXACT` (X-learner: TreeSHAP of its uplift regressors) and
  :data:`SURROGATE` (T/S: TreeSHAP of a shallow regressor fitted to the predicted uplift,
  with fidelity R²); additivity within :data:`TOLERANCE` per row. See :mod:`.shap_uplift`.
- ``fit_rules(values, uplift, kind=, labels=) -> UpliftRules`` (table, r2).
- ``describe_global``, ``describe_segment``, ``describe_customer`` → sentences;
  ``segment_differences``, ``feature_groups``.
- ``sample_positions``, ``sample_frame``; text helpers ``format_uplift``, ``label_of``.

Callers cache by (model id, rows): nothing here caches.
"""

from promo_core.explain.narrative import (
    describe_customer,
    describe_global,
    describe_segment,
    feature_groups,
    segment_differences,
)
from promo_core.explain.rules import UpliftRules, fit_rules
from promo_core.explain.sampling import MAX_ROWS, sample_frame, sample_positions
from promo_core.explain.shap_uplift import (
    EXACT,
    METHODS,
    SURROGATE,
    TOLERANCE,
    UpliftExplainer,
    UpliftExplanation,
    build_explainer,
    choose_method,
    explain_scores,
    explain_uplift,
)
from promo_core.explain.text import format_uplift, format_value, label_of, uplift_axis_title

__all__ = [
    "EXACT", "MAX_ROWS", "METHODS", "SURROGATE", "TOLERANCE", "UpliftExplainer",
    "UpliftExplanation", "UpliftRules", "build_explainer", "choose_method",
    "describe_customer", "describe_global", "describe_segment", "explain_scores",
    "explain_uplift",
    "feature_groups", "fit_rules", "format_uplift", "format_value", "label_of",
    "sample_frame", "sample_positions", "segment_differences", "uplift_axis_title",
]
