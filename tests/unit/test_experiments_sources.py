"""Where readout rows come from: past promotions in DuckDB and uploaded files."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from promo_core import db
from promo_core.errors import ValidationError
from promo_core.experiments import (
    available_metrics,
    list_promotions_with_control,
    load_promotion_outcomes,
    read_uploaded_table,
)


def test_outcomes_come_from_orders_in_the_window(tiny_shop):
    con = db.connect(tiny_shop)
    promos = list_promotions_with_control(con)
    assert promos[["promo_id", "name", "treated", "control"]].values.tolist() == [
        [1, "Winter 10%", 1, 1]]
    assert not promos["has_outcomes"].iloc[0]
    out = load_promotion_outcomes(con, 1).set_index("customer_id")
    # customer 2 (treated) bought £200 on 10 Feb, inside [1 Feb, 15 Feb); 3 never bought
    assert out.loc[2, ["arm", "converted", "revenue"]].tolist() == ["treated", 1.0, 200.0]
    assert out.loc[3, ["arm", "converted", "revenue"]].tolist() == ["control", 0.0, 0.0]
    assert available_metrics(out.reset_index()) == ["converted", "revenue"]


def test_window_end_is_exclusive_and_outcome_columns_win(tmp_db_path):
    con = db.connect(tmp_db_path)
    con.execute("""
        INSERT INTO promotions (promo_id, name, promo_type, duration_days)
            VALUES (1, 'Week', 'percent_off', 7), (2, 'Mail', 'informational', 14);
        INSERT INTO exposures (promo_id, customer_id, exposed_at, is_control) VALUES
            (1, 1, '2024-01-01', false), (1, 2, '2024-01-01', true);
        INSERT INTO exposures VALUES (2, 1, '2024-02-01', false, true, 10.0, true),
                                     (2, 2, '2024-02-01', true, false, 0.0, false);
        INSERT INTO orders (order_id, customer_id, order_ts, revenue) VALUES
            (1, 1, '2024-01-03', 20), (2, 1, '2024-01-08', 30), (3, 2, '2024-01-07 23:00', 5),
            (4, 2, '2024-02-03', 99);
    """)
    week = load_promotion_outcomes(con, 1).set_index("customer_id")
    assert week["revenue"].tolist() == [20.0, 5.0]  # 8 Jan is outside [1 Jan, 8 Jan)
    mail = load_promotion_outcomes(con, 2).set_index("customer_id")
    assert mail.loc[2, ["converted", "revenue", "visited"]].tolist() == [0.0, 0.0, 0.0]
    assert available_metrics(mail) == ["converted", "revenue", "visited"]


def test_uploads_are_read_or_refused():
    csv = b"arm,y\nA,1\nB,2\n"
    assert read_uploaded_table(csv, "test.csv").shape == (2, 2)
    buf = io.BytesIO()
    pd.DataFrame({"arm": ["A", "B"], "y": [1, 2]}).to_excel(buf, index=False)
    assert read_uploaded_table(buf.getvalue(), "test.xlsx")["y"].tolist() == [1, 2]
    with pytest.raises(ValidationError, match="'.pdf' is not supported; upload a .csv or .xlsx"):
        read_uploaded_table(b"%PDF", "report.pdf")
    with pytest.raises(ValidationError, match="has no data rows"):
        read_uploaded_table(b"arm,y\n", "empty.csv")


def test_design_columns_are_guessed_from_the_file():
    from promo_core import experiments as ex

    df = pd.DataFrame({"user_id": range(100), "variant": ["control", "B"] * 50,
                       "spend": [1.0] * 100, "note": ["x"] * 100})
    assert ex.guess_arm_column(df) == "variant"
    assert ex.guess_control(["B", "control"]) == "control"
    assert ex.guess_control(["B", "C"]) == "B"
    assert ex.metric_candidates(df, ["variant"]) == ["spend", "note"]
    unnamed = pd.DataFrame({"k": range(100), "g": [1, 2] * 50, "y": [0.5] * 100})
    assert ex.guess_arm_column(unnamed) == "g"  # fewest distinct values
    ids = pd.DataFrame({"LocationID": [1, 2], "paid": [1.0, 2.0], "id": [1, 2], "arm": [0, 1]})
    assert ex.metric_candidates(ids, ["arm"]) == ["paid"]
