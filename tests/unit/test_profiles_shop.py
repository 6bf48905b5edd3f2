"""A tiny hand-made shop (shared by the profile and segment tests; holds no tests itself).

as_of = 2024-03-01 (so the cut-off is 2024-03-01 00:00).

customer 1 (signup 2023-01-01, tier 'gold', age 40):
  o1 2023-06-01 web   rev 100 disc 10  lines: 2 × A@30 (kitchen) + 1 × B@40 (garden)
  o2 2024-02-20 app   rev  50 disc  0  promo 1      lines: 1 × A@50 (kitchen)
customer 2 (signup 2023-12-01, tier 'silver', age 25):
  o3 2024-02-25 web   rev 200 disc 20  lines: 5 × B@40 (garden)
customer 3 (signup 2024-01-15, tier NULL, age NULL): no orders
customer 4 (signup 2024-05-01): not known yet at the as-of date
exposures: promo 1 (duration 7 days) sent to 1 on 2024-02-15 (converted via o2 on 02-20),
           to 2 on 2024-02-15 (no order in window), to 3 as control.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb

from promo_core import db

AS_OF = date(2024, 3, 1)


def build_tiny_shop(path: Path) -> duckdb.DuckDBPyConnection:
    con = db.connect(path)
    con.execute("ALTER TABLE customers ADD COLUMN tier VARCHAR")
    con.execute("ALTER TABLE customers ADD COLUMN age INTEGER")
    con.execute("""INSERT INTO customers VALUES
        (1, DATE '2023-01-01', 'gold', 40), (2, DATE '2023-12-01', 'silver', 25),
        (3, DATE '2024-01-15', NULL, NULL), (4, DATE '2024-05-01', 'gold', 50)""")
    con.execute("""INSERT INTO products VALUES
        ('A', 'Pan', 'kitchen', 'x', 30, 10), ('B', 'Rake', 'garden', 'y', 40, 20)""")
    con.execute("""INSERT INTO orders (order_id, customer_id, order_ts, revenue, discount,
                       cost_of_goods, channel, promo_id) VALUES
        (1, 1, TIMESTAMP '2023-06-01 10:00', 100, 10, 40, 'web', NULL),
        (2, 1, TIMESTAMP '2024-02-20 09:00', 50, 0, 20, 'app', 1),
        (3, 2, TIMESTAMP '2024-02-25 12:00', 200, 20, 80, 'web', NULL)""")
    con.execute("""INSERT INTO order_lines VALUES
        (1, 'A', 2, 30, 0), (1, 'B', 1, 40, 0), (2, 'A', 1, 50, 0), (3, 'B', 5, 40, 0)""")
    con.execute("""INSERT INTO promotions (promo_id, name, promo_type, value, duration_days)
                   VALUES (1, 'Spring', 'percent_off', 0.1, 7)""")
    con.execute("""INSERT INTO exposures (promo_id, customer_id, exposed_at, is_control) VALUES
        (1, 1, TIMESTAMP '2024-02-15 08:00', false),
        (1, 2, TIMESTAMP '2024-02-15 08:00', false),
        (1, 3, TIMESTAMP '2024-02-15 08:00', true)""")
    return con


def add_future_activity(con: duckdb.DuckDBPyConnection) -> None:
    """Orders, lines, exposures and outcomes dated on/after the as-of date."""
    con.execute("""INSERT INTO orders VALUES
        (10, 1, TIMESTAMP '2024-03-01 00:00', 999, 99, 1, 'store', NULL),
        (11, 3, TIMESTAMP '2024-03-05 00:00', 500, 0, 1, 'store', 1),
        (12, 2, TIMESTAMP '2024-02-29 23:59:59', 0, 0, 0, 'web', NULL)""")
    con.execute("DELETE FROM orders WHERE order_id = 12")
    con.execute("INSERT INTO order_lines VALUES (10, 'A', 9, 30, 0), (11, 'B', 3, 40, 0)")
    con.execute("""INSERT INTO exposures VALUES
        (1, 2, TIMESTAMP '2024-02-28 08:00', false, true, 10, true)""")
    db.bump_data_version(con)  # what every writer does
