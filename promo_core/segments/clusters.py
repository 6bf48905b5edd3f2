"""Clusters: seeded k-means on chosen, scaled profile features, auto-described.

Skewed money and count features are ``log1p``-transformed before scaling, otherwise a
handful of big spenders would become clusters of their own. Missing values (e.g. the
recency of customers who never ordered) are filled before scaling: recency with the
largest value seen (they are as lapsed as anyone), everything else with the median.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler

from promo_core.errors import ValidationError, ValidationProblem
from promo_core.profiles import CATEGORICAL, Feature

N_INIT = 3
DESCRIBE_THRESHOLD = 0.4  # standardised difference worth putting into words
MAX_FIT_ROWS = 200_000  # fit on a seeded sample above this; assign everyone after


@dataclass
class ClusterResult:
    """Labels per customer, the per-cluster profile and a sentence per cluster."""

    labels: pd.DataFrame  # customer_id, cluster
    profile: pd.DataFrame  # cluster × features: mean of raw values, plus size
    differences: pd.DataFrame  # cluster × features: standardised difference from all
    descriptions: dict[int, str]
    inertia: float


def prepare_matrix(df: pd.DataFrame, features: Sequence[str],
                   registry: Mapping[str, Feature]) -> np.ndarray:
    """Transformed, imputed, standardised matrix of the chosen numeric features."""
    problems = [ValidationProblem("is not a numeric profile feature", column=f)
                for f in features if f not in registry or registry[f].dtype == CATEGORICAL
                or f not in df]
    if len(features) < 2:
        problems.append(ValidationProblem("choose at least two features"))
    if problems:
        raise ValidationError("clusters", problems)
    x = df[list(features)].astype("float64").copy()
    for f in features:
        col = x[f]
        fill = col.max() if f == "recency_days" else col.median()
        col = col.fillna(0.0 if pd.isna(fill) else fill)
        if registry[f].skewed:
            col = np.log1p(col.clip(lower=0))
        x[f] = col
    return StandardScaler().fit_transform(x.to_numpy())


def choose_k(df: pd.DataFrame, features: Sequence[str], registry: Mapping[str, Feature],
             ks: Sequence[int] = range(2, 11), sample: int = 5000,
             seed: int = 0) -> pd.DataFrame:
    """Inertia and silhouette per k on a seeded sample (elbow / silhouette chart)."""
    part = df.sample(n=min(sample, len(df)), random_state=seed) if len(df) > sample else df
    x = prepare_matrix(part, features, registry)
    rows = []
    for k in ks:
        if k >= len(x):
            break
        km = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(x)
        # silhouette is O(n²): score it on at most 2,000 of the sampled rows
        sil = silhouette_score(x, km.labels_, sample_size=min(2000, len(x)), random_state=seed)
        rows.append({"k": k, "inertia": float(km.inertia_), "silhouette": float(sil)})
    return pd.DataFrame(rows)


def fit_clusters(df: pd.DataFrame, features: Sequence[str], registry: Mapping[str, Feature],
                 k: int, seed: int = 0) -> ClusterResult:
    """k-means with a fixed seed and n_init: the same data gives the same clusters.

    Clusters are renumbered by size (0 = largest) so labels are stable and readable.
    """
    if not 2 <= k <= 20:
        raise ValidationError("clusters", [ValidationProblem("k must be between 2 and 20")])
    if len(df) < k:
        raise ValidationError("clusters", [ValidationProblem(
            f"only {len(df)} customers: fewer than k = {k}")])
    x = prepare_matrix(df, features, registry)
    fit_x = x
    if len(x) > MAX_FIT_ROWS:
        idx = np.random.default_rng(seed).choice(len(x), MAX_FIT_ROWS, replace=False)
        fit_x = x[np.sort(idx)]
    km = KMeans(n_clusters=k, n_init=N_INIT, random_state=seed).fit(fit_x)
    raw = km.predict(x)
    order = np.argsort(-np.bincount(raw, minlength=k), kind="stable")
    relabel = np.empty(k, dtype=int)
    relabel[order] = np.arange(k)
    labels = relabel[raw]
    diffs = pd.DataFrame(x, columns=list(features)).groupby(labels).mean()
    prof = df[list(features)].groupby(labels).mean()
    prof.insert(0, "size", np.bincount(labels, minlength=k))
    if "frequency" in df:
        # Customers who never ordered have no recency or AOV: the means skip them (a
        # cluster of only such customers shows none), the matrix imputes them.
        prof.insert(1, "no_orders_share", (df["frequency"] == 0).groupby(labels).mean())
    descriptions = describe_clusters(diffs, registry)
    out = pd.DataFrame({"customer_id": df["customer_id"].to_numpy(), "cluster": labels})
    inertia = float(((x - km.cluster_centers_[raw]) ** 2).sum())
    return ClusterResult(out, prof, diffs, descriptions, inertia)


def describe_clusters(differences: pd.DataFrame, registry: Mapping[str, Feature],
                      top: int = 3) -> dict[int, str]:
    """'high frequency, low discount share' from standardised differences per cluster."""
    out: dict[int, str] = {}
    for cluster, row in differences.iterrows():  # one row per cluster (≤ 20), not per customer
        strong = row[row.abs() >= DESCRIBE_THRESHOLD]
        strong = strong.reindex(strong.abs().sort_values(ascending=False).index)[:top]
        words = [f"{'high' if v > 0 else 'low'} {registry[f].label.lower()}"
                 for f, v in strong.items()]
        out[int(cluster)] = ", ".join(words) if words else "close to average"
    return out


def default_features(registry: Mapping[str, Feature],
                     df: pd.DataFrame | None = None) -> list[str]:
    """A sensible starting choice: RFM, AOV, tenure, discount and promo behaviour.

    With ``df``, features that are constant there are left out (e.g. discount share in
    a data set that records no discounts): they cannot separate anyone.
    """
    wanted = ["recency_days", "frequency", "monetary", "aov", "tenure_days",
              "discount_share", "promo_order_share", "revenue_90d"]
    out = [f for f in wanted if f in registry]
    if df is not None:
        out = [f for f in out if f in df and df[f].nunique(dropna=True) > 1]
    return out
