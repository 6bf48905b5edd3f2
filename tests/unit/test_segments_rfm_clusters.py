"""RFM groups, clusters (reproducible, described) and affinity/co-purchase."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from promo_core import db, profiles
from promo_core.errors import ValidationError
from promo_core.segments import affinity, clusters, rfm
from tests.unit.test_profiles_shop import AS_OF, build_tiny_shop


@pytest.fixture
def scored(tmp_db_path):
    """100 customers: customer i orders i % 10 + 1 times, the last one i days ago."""
    con = db.connect(tmp_db_path)
    con.execute("INSERT INTO customers SELECT i, DATE '2020-01-01' FROM range(1, 101) t(i)")
    con.execute("""INSERT INTO orders (order_id, customer_id, order_ts, revenue, discount)
        SELECT row_number() OVER (), i,
               TIMESTAMP '2024-03-01' - to_days(CAST(i + 10 * j AS INT)), 10 * (i % 7 + 1), 0
        FROM range(1, 101) t(i), range(0, 10) u(j) WHERE j <= i % 10""")
    table = profiles.materialise_profiles(con, AS_OF)
    yield con, table
    con.close()


def test_rfm_scores_and_groups(scored):
    con, table = scored
    df = rfm.compute_rfm(con, table).set_index("customer_id")
    assert df["r"].between(1, 5).all() and len(df) == 100
    assert df.loc[1, "r"] == 5 and df.loc[100, "r"] == 1  # recency 1 day vs 100 days
    assert df.loc[9, "f"] == 5 and df.loc[10, "f"] == 1  # 10 orders vs 1
    # same frequency → same F score, whatever the scan order
    assert df.groupby(df.index % 10)["f"].nunique().max() == 1
    assert df.loc[9, "rfm_group"] == "Champions"  # R 5, F 5
    assert df.loc[100, "rfm_group"] == "Lost"  # R 1, F 1
    assert df.loc[1, "rfm_group"] == "New"  # R 5, F 1 (2 orders: still the lowest fifth)
    assert df.loc[3, "rfm_group"] == "Potential loyalist"  # R 5, F 2
    assert set(df["rfm_group"]) <= {g.name for g in rfm.DEFAULT_GROUPS}


def test_rfm_mapping_is_editable_and_validated(scored):
    con, table = scored
    frame = rfm.groups_to_frame(rfm.DEFAULT_GROUPS)
    frame.loc[0, "name"] = "Stars"
    df = rfm.compute_rfm(con, table, rfm.groups_from_frame(frame)).set_index("customer_id")
    assert df.loc[9, "rfm_group"] == "Stars"
    frame.loc[1, "r_min"] = 0
    with pytest.raises(ValidationError, match="R range of 'Loyal' must be whole scores 1–5"):
        rfm.groups_from_frame(frame)


def test_no_orders_group(tmp_db_path):
    con = build_tiny_shop(tmp_db_path)
    df = rfm.compute_rfm(con, profiles.materialise_profiles(con, AS_OF)).set_index("customer_id")
    assert df.loc[3, "rfm_group"] == rfm.NO_ORDERS and df.loc[3, "r"] == 0


def _blobs() -> tuple[pd.DataFrame, dict]:
    rng = np.random.default_rng(1)
    n = 300
    df = pd.DataFrame({"customer_id": np.arange(n),
                       "frequency": np.r_[rng.poisson(2, 200), rng.poisson(20, 100)],
                       "discount_share": np.r_[rng.uniform(0.2, 0.4, 200),
                                               rng.uniform(0, 0.05, 100)],
                       "recency_days": np.r_[rng.uniform(0, 300, 299), np.nan]})
    return df, profiles.FEATURES


def test_clusters_are_reproducible_and_described():
    df, reg = _blobs()
    feats = ["frequency", "discount_share", "recency_days"]
    a = clusters.fit_clusters(df, feats, reg, k=2, seed=7)
    b = clusters.fit_clusters(df, feats, reg, k=2, seed=7)
    assert (a.labels["cluster"] == b.labels["cluster"]).all()
    assert list(a.profile["size"]) == [200, 100]  # numbered by size
    assert "high orders" in a.descriptions[1] and "low discount share" in a.descriptions[1]
    k = clusters.choose_k(df, feats, reg, ks=range(2, 5), sample=200)
    assert list(k["k"]) == [2, 3, 4] and k["silhouette"].between(-1, 1).all()


def test_cluster_feature_validation():
    df, reg = _blobs()
    with pytest.raises(ValidationError, match="favourite_channel"):
        clusters.prepare_matrix(df, ["frequency", "favourite_channel"], reg)


def test_affinity_and_pairs(tmp_db_path):
    con = build_tiny_shop(tmp_db_path)
    aff = affinity.category_affinity(con, AS_OF).set_index(["customer_id", "category"])
    # overall: kitchen 110 / 350, garden 240 / 350
    assert aff.loc[(1, "kitchen"), "affinity"] == pytest.approx((110 / 150) / (110 / 350))
    assert aff.loc[(2, "garden"), "affinity"] == pytest.approx(1 / (240 / 350))
    pairs = affinity.category_pairs(con, AS_OF).set_index(["cat_a", "cat_b"])
    # baskets: o1 {kitchen, garden}, o2 {kitchen}, o3 {garden}
    row = pairs.loc[("kitchen", "garden")]
    assert (row.baskets_ab, row.support, row.confidence) == (1, pytest.approx(1 / 3), 0.5)
    assert row.lift == pytest.approx(0.5 / (2 / 3))
    assert affinity.category_pairs(con, date(2023, 1, 1)).empty
