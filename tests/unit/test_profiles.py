"""Profile features against values worked out by hand on the tiny shop."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest

from promo_core import db, profiles, rollups
from tests.unit.test_profiles_shop import AS_OF, add_future_activity, build_tiny_shop


@pytest.fixture
def shop(tmp_db_path):
    con = build_tiny_shop(tmp_db_path)
    yield con
    con.close()


def test_features_match_hand_computed_values(shop):
    df = profiles.compute_profiles(shop, AS_OF).set_index("customer_id")
    assert list(df.index) == [1, 2, 3]  # customer 4 signs up after the as-of date
    assert df["frequency"].dtype == "int64" and df["orders_365d"].dtype == "int64"
    c1, c2, c3 = df.loc[1], df.loc[2], df.loc[3]
    assert (c1.recency_days, c1.frequency, c1.monetary, c1.aov) == (10, 2, 150.0, 75.0)
    assert c1.tenure_days == 425
    assert (c1.orders_30d, c1.orders_90d, c1.orders_365d) == (1, 1, 2)
    assert (c1.revenue_30d, c1.revenue_90d, c1.revenue_365d) == (50.0, 50.0, 150.0)
    assert c1.discount_share == pytest.approx(10 / 150)
    assert c1.promo_order_share == 1.0  # o1 had a discount, o2 a promo
    assert (c1.promo_exposures, c1.past_promo_response) == (1, 1.0)
    assert c1.favourite_category == "kitchen"
    assert c1.cat_kitchen == pytest.approx(110 / 150)
    assert c1.cat_garden == pytest.approx(40 / 150)
    assert (c1.chan_web, c1.chan_app) == (0.5, 0.5)
    assert c1.favourite_channel == "app"  # a tie goes to the most recent channel
    assert (c1.tier, c1.age) == ("gold", 40)

    assert (c2.recency_days, c2.frequency, c2.monetary, c2.tenure_days) == (5, 1, 200.0, 91)
    assert c2.discount_share == pytest.approx(0.1)
    assert (c2.promo_exposures, c2.past_promo_response) == (1, 0.0)
    assert (c2.favourite_category, c2.cat_garden, c2.cat_kitchen) == ("garden", 1.0, 0.0)
    assert c2.favourite_channel == "web"

    assert pd.isna(c3.recency_days) and pd.isna(c3.aov) and pd.isna(c3.past_promo_response)
    assert (c3.frequency, c3.monetary, c3.tenure_days, c3.promo_exposures) == (0, 0.0, 46, 0)
    assert (c3.cat_kitchen, c3.chan_web) == (0.0, 0.0)
    assert pd.isna(c3.tier)


def test_nothing_after_as_of_is_used(shop):
    fields = profiles.discover_fields(shop)
    before = profiles.compute_profiles(shop, AS_OF, fields)
    add_future_activity(shop)
    after = profiles.compute_profiles(shop, AS_OF, fields)
    pd.testing.assert_frame_equal(before, after)
    # and a later as-of date does see the new order (the test can fail)
    later = profiles.compute_profiles(shop, date(2024, 3, 2), fields).set_index("customer_id")
    assert later.loc[1, "frequency"] == 3
    assert later.loc[1, "cat_kitchen"] == pytest.approx((110 + 270) / (150 + 270))


def test_rollups_follow_the_data_version(shop, tmp_path):
    profiles.compute_profiles(shop, AS_OF)
    assert db.get_meta(shop, rollups.META_KEY) == db.data_version(shop)
    add_future_activity(shop)  # bumps the version: the next profile rebuilds the rollups
    profiles.compute_profiles(shop, date(2024, 3, 9))
    assert db.get_meta(shop, rollups.META_KEY) == db.data_version(shop)
    n = shop.execute("SELECT count(*) FROM order_categories").fetchone()[0]
    assert n == 6  # (order, category) pairs: o1 kitchen + garden, o2, o3, o10, o11
    nxt = dict(shop.execute("SELECT customer_id, next_order_ts FROM exposure_next_order "
                            "WHERE exposed_at = TIMESTAMP '2024-02-15 08:00'").fetchall())
    assert nxt == {1: datetime(2024, 2, 20, 9), 2: datetime(2024, 2, 25, 12),
                   3: datetime(2024, 3, 5)}


def test_read_only_file_builds_rollups_in_memory(shop, tmp_db_path):
    expected = profiles.compute_profiles(shop, AS_OF)
    shop.execute("DROP TABLE order_categories")
    shop.execute("DELETE FROM meta WHERE key = ?", [rollups.META_KEY])
    shop.close()
    ro = db.connect(tmp_db_path, read_only=True)
    try:
        pd.testing.assert_frame_equal(profiles.compute_profiles(ro, AS_OF), expected)
    finally:
        ro.close()


def test_registry_lists_dynamic_fields(shop):
    reg = profiles.feature_registry(shop)
    assert {"cat_kitchen", "cat_garden", "chan_web", "chan_app", "tier", "age"} <= set(reg)
    assert reg["tier"].dtype == profiles.CATEGORICAL and reg["age"].dtype == profiles.NUMERIC
    assert reg["cat_kitchen"].label == "Share: kitchen"


def test_no_order_lines_degrades_gracefully(shop):
    shop.execute("DELETE FROM order_lines")
    df = profiles.compute_profiles(shop, AS_OF)
    assert "favourite_category" not in df and not any(c.startswith("cat_") for c in df)
    assert "favourite_category" not in profiles.feature_registry(shop)
    assert df.set_index("customer_id").loc[1, "monetary"] == 150.0


def test_pairs_give_features_as_of_each_moment(shop):
    pairs = pd.DataFrame({"customer_id": [1, 1, 2],
                          "as_of": [datetime(2024, 2, 20, 9, 0), datetime(2024, 2, 20, 9, 1),
                                    datetime(2024, 3, 1)]})
    df = profiles.compute_profiles_for_pairs(shop, pairs)
    assert list(df["frequency"]) == [1, 2, 1]  # o2 at 09:00 is not before 09:00
    assert list(df["customer_id"]) == [1, 1, 2]


def test_materialised_table_is_shared_and_reused(shop):
    name = profiles.materialise_profiles(shop, AS_OF)
    assert name.startswith("promo_profiles.profile_20240301_")
    assert profiles.materialise_profiles(shop, AS_OF) == name
    n = shop.cursor().execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    assert n == 3
    assert "cat_kitchen" in profiles.table_fields(shop, name)


def test_profile_table_name_is_validated():
    with pytest.raises(ValueError):
        profiles.check_profile_table("x; DROP TABLE customers")
    with pytest.raises(ValueError):
        profiles.profile_table_name(AS_OF, "1; drop")
