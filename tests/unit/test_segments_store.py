"""Saved segments: save/rename/delete, validation messages, overlap, cards, export."""

from __future__ import annotations

import pytest

from promo_core import profiles
from promo_core.errors import ValidationError
from promo_core.segments import store
from tests.unit.test_profiles_shop import AS_OF, build_tiny_shop


@pytest.fixture
def shop(tmp_db_path):
    con = build_tiny_shop(tmp_db_path)
    yield con, profiles.materialise_profiles(con, AS_OF)
    con.close()


def test_save_list_members_rename_delete(shop):
    con, _ = shop
    a = store.save_segment(con, "  Buyers ", "rule", {"field": "frequency", "op": ">",
                                                       "value": 0}, AS_OF, [2, 1, 1])
    segs = store.list_segments(con)
    assert (segs.loc[0, "name"], segs.loc[0, "size"], segs.loc[0, "kind"]) == ("Buyers", 2, "rule")
    assert list(store.segment_members(con, a)) == [1, 2]
    assert store.get_definition(con, a)["op"] == ">"
    store.rename_segment(con, a, "Past buyers")
    assert store.list_segments(con).loc[0, "name"] == "Past buyers"
    store.delete_segment(con, a)
    assert store.list_segments(con).empty
    assert con.execute("SELECT count(*) FROM segment_members").fetchone()[0] == 0


@pytest.mark.parametrize("name, ids, message", [
    ("", [1], "give the segment a name"),
    ("buyers", [1], "the name 'buyers' is already taken"),
    ("Empty", [], "the segment is empty"),
])
def test_bad_saves_say_why_and_write_nothing(shop, name, ids, message):
    con, _ = shop
    store.save_segment(con, "Buyers", "rule", {}, AS_OF, [1, 2])
    with pytest.raises(ValidationError) as e:
        store.save_segment(con, name, "rule", {}, AS_OF, ids)
    assert message in str(e.value)
    assert len(store.list_segments(con)) == 1
    assert con.execute("SELECT count(*) FROM segment_members").fetchone()[0] == 2


def test_rename_to_a_taken_name_is_refused(shop):
    con, _ = shop
    store.save_segment(con, "A", "rule", {}, AS_OF, [1])
    b = store.save_segment(con, "B", "rfm", {}, AS_OF, [2])
    with pytest.raises(ValidationError, match="'a' is already taken"):
        store.rename_segment(con, b, "a")
    store.rename_segment(con, b, "b")  # its own name in another case is fine


def test_overlap_cards_and_csv(shop):
    con, table = shop
    a = store.save_segment(con, "A", "rule", {}, AS_OF, [1, 2])
    b = store.save_segment(con, "B", "rfm", {}, AS_OF, [2, 3])
    ov = store.overlap(con, [a, b]).set_index(["seg_a", "seg_b"])
    assert ov.loc[(a, b), "shared"] == 1 and ov.loc[(a, a), "shared"] == 2
    assert ov.loc[(a, b), "share_of_a"] == 0.5
    cards = store.segment_cards(con, [a, b], table).set_index("name")
    assert cards.loc["A", "revenue_share"] == 1.0
    assert cards.loc["A", "aov"] == pytest.approx(350 / 3)
    assert cards.loc["B", "recency_median"] == 5  # customer 3 has no recency
    csv = store.members_csv(con, a).decode()
    assert csv.splitlines() == ["customer_id", "1", "2"]
    full = store.members_csv(con, a, table).decode().splitlines()
    assert full[0].startswith("customer_id,recency_days") and len(full) == 3
