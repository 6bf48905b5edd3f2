"""Who a scenario reaches: earlier assignments take precedence, "no promotion" too."""

from __future__ import annotations

import numpy as np
import pytest

from promo_core import scenarios as sc


def population() -> sc.Population:
    ids = np.arange(1, 7)
    return sc.Population.from_members(ids, {"VIP": np.array([1, 2]), "All": ids})


def test_no_promotion_first_holds_its_customers_out():
    s = sc.Scenario("VIPs spared", [("VIP", None), ("All", "10 % off")])
    assert sc.assign_customers(population(), s).tolist() == [-1, -1, 1, 1, 1, 1]


def test_a_promotion_first_wins_over_a_later_one():
    s = sc.Scenario("VIPs first", [("VIP", "20 % off"), ("All", "10 % off")])
    assert sc.assign_customers(population(), s).tolist() == [0, 0, 1, 1, 1, 1]


def test_an_unknown_segment_is_named():
    with pytest.raises(ValueError, match="unknown segment 'Lapsed'"):
        sc.assign_customers(population(), sc.Scenario("x", [("Lapsed", "10 % off")]))
