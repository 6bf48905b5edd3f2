"""Rule compiler: results on the tiny shop, validation messages, injection attempts."""

from __future__ import annotations

import pytest

from promo_core import profiles
from promo_core.errors import ValidationError
from promo_core.segments import rules
from tests.unit.test_profiles_shop import AS_OF, build_tiny_shop


@pytest.fixture
def shop(tmp_db_path):
    con = build_tiny_shop(tmp_db_path)
    table = profiles.materialise_profiles(con, AS_OF)
    yield con, table, profiles.feature_registry(con)
    con.close()


def members(shop, rule):
    con, table, reg = shop
    return list(rules.rule_members(con, table, rule, reg))


@pytest.mark.parametrize("rule, expected", [
    ({"field": "frequency", "op": ">=", "value": 1}, [1, 2]),
    ({"field": "recency_days", "op": "<", "value": 8}, [2]),  # NULL recency never matches
    ({"field": "monetary", "op": "between", "value": [100, 150]}, [1]),
    ({"field": "tier", "op": "in", "value": ["gold", "bronze"]}, [1]),
    ({"field": "tier", "op": "not in", "value": ["gold"]}, [2]),
    ({"field": "tier", "op": "!=", "value": "gold"}, [2]),
    ({"field": "monetary", "op": "top %", "value": 34}, [2]),
    ({"field": "monetary", "op": "bottom %", "value": 34}, [3]),
    ({"combine": "or", "rules": [{"field": "frequency", "op": "=", "value": 0},
                                 {"combine": "and", "rules": [
                                     {"field": "cat_garden", "op": ">", "value": 0.5},
                                     {"field": "age", "op": "<", "value": 30}]}]}, [2, 3]),
])
def test_rules_select_the_expected_customers(shop, rule, expected):
    assert members(shop, rule) == expected


def test_live_size_and_shares(shop):
    con, table, reg = shop
    size = rules.rule_size(con, table, {"field": "frequency", "op": ">", "value": 0}, reg)
    assert (size.size, size.customers, size.revenue, size.total_revenue) == (2, 3, 350.0, 350.0)
    assert size.share_customers == pytest.approx(2 / 3) and size.share_revenue == 1.0


@pytest.mark.parametrize("value", [
    "gold'; DROP TABLE customers; --",
    "' OR 1=1 --",
    ["x') OR ('1'='1", "gold\"; DELETE FROM orders; --"],
])
def test_injection_in_values_is_just_a_value(shop, value):
    con, table, reg = shop
    op = "in" if isinstance(value, list) else "="
    assert members(shop, {"field": "tier", "op": op, "value": value}) == []
    assert con.execute("SELECT count(*) FROM customers").fetchone()[0] == 4
    assert con.execute("SELECT count(*) FROM orders").fetchone()[0] == 3


@pytest.mark.parametrize("field", [
    'frequency" > 0 OR "1"="1', "frequency; DROP TABLE orders", "1=1) OR (1", "customer_id",
])
def test_injection_in_field_names_is_refused(shop, field):
    with pytest.raises(ValidationError, match="unknown field"):
        members(shop, {"field": field, "op": ">", "value": 0})


def test_operator_injection_is_refused(shop):
    with pytest.raises(ValidationError, match="operator"):
        members(shop, {"field": "frequency", "op": "> 0 OR 1 =", "value": 1})


@pytest.mark.parametrize("rule, message", [
    ({"field": "frequency", "op": ">", "value": "ten"}, "Orders needs a number, got 'ten'"),
    ({"field": "frequency", "op": ">", "value": True}, "needs a number"),
    ({"field": "tier", "op": "=", "value": 3}, "Tier needs text"),
    ({"field": "tier", "op": "<", "value": "a"}, "operator '<' cannot be used on Tier"),
    ({"field": "monetary", "op": "between", "value": [5]}, "needs two numbers"),
    ({"field": "monetary", "op": "between", "value": [9, 1]}, "low 9 is above high 1"),
    ({"field": "monetary", "op": "top %", "value": 150}, "percentage in (0, 100]"),
    ({"field": "tier", "op": "in", "value": []}, "non-empty list"),
    ({"field": "no_such", "op": "=", "value": 1}, "unknown field 'no_such'"),
    ({"combine": "xor", "rules": [{"field": "frequency", "op": "=", "value": 1}]}, "combine"),
    ({"combine": "and", "rules": []}, "at least one condition"),
])
def test_validation_messages(shop, rule, message):
    with pytest.raises(ValidationError) as e:
        members(shop, rule)
    assert message in str(e.value)


def test_parse_value_from_text():
    num = profiles.FEATURES["monetary"]
    assert rules.parse_value(" 10, 50.5", num, "between") == [10, 50.5]
    assert rules.parse_value("gold, silver", profiles.FEATURES["favourite_channel"], "in") == [
        "gold", "silver"]
    with pytest.raises(ValidationError, match="Revenue needs a number, got 'abc'"):
        rules.parse_value("abc", num, ">")


@pytest.mark.parametrize("op, pct", [("top %", 20), ("top %", 29), ("bottom %", 7),
                                     ("top %", 100), ("bottom %", 0.5)])
def test_top_percent_matches_cume_dist_with_ties(tmp_db_path, op, pct):
    con = profiles.db.connect(tmp_db_path)
    con.execute("CREATE TABLE p AS SELECT i AS customer_id, "
                "CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919) % 37 END AS frequency, "
                "1.0 AS monetary FROM range(500) r(i)")
    order = "DESC" if op == "top %" else "ASC"
    expected = [r[0] for r in con.execute(
        f"SELECT customer_id FROM (SELECT customer_id, cume_dist() OVER (ORDER BY frequency "
        f"{order}) cd FROM p WHERE frequency IS NOT NULL) WHERE cd <= ? ORDER BY 1",
        [pct / 100]).fetchall()]
    got = list(rules.rule_members(con, "p", {"field": "frequency", "op": op, "value": pct},
                                  profiles.FEATURES))
    assert got == expected
