"""Fixtures every test folder shares."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("PROMO_LAB_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_file(*parts: str) -> Path:
    """A file of ../shared/data, or skip the test when that folder is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data set not available: {path}")
    return path


@pytest.fixture
def tmp_db_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


def make_tiny_shop(path: Path) -> Path:
    """A hand-made shop small enough to check every figure by hand.

    3 customers; 5 orders (customer 3 never buys): revenue 100+50+30 for 1,
    200 for 2 (with a 20 discount), 10 for 1 in March; one promotion with one
    treated and one control exposure.
    """
    from promo_core import db

    con = db.connect(path)
    con.execute("ALTER TABLE customers ADD COLUMN region VARCHAR")
    con.execute(
        """
        INSERT INTO customers VALUES
          (1, DATE '2023-01-05', 'North'), (2, DATE '2023-02-01', 'South'),
          (3, DATE '2023-03-01', 'North');
        INSERT INTO orders VALUES
          (10, 1, TIMESTAMP '2024-01-10 10:00', 100, 0, 60, 'web', NULL),
          (11, 1, TIMESTAMP '2024-01-20 10:00', 50, 0, 30, 'web', NULL),
          (12, 1, TIMESTAMP '2024-02-05 10:00', 30, 0, 18, 'app', NULL),
          (13, 2, TIMESTAMP '2024-02-10 10:00', 200, 20, 120, 'web', 1),
          (14, 1, TIMESTAMP '2024-03-01 10:00', 10, 0, NULL, 'web', NULL);
        INSERT INTO promotions VALUES
          (1, 'Winter 10%', 'percent_off', 0.10, NULL, 'email', 14, 0.05, 100,
           NULL, NULL, NULL, DATE '2024-02-01', false);
        INSERT INTO exposures VALUES
          (1, 2, TIMESTAMP '2024-02-01 08:00', false, NULL, NULL, NULL),
          (1, 3, TIMESTAMP '2024-02-01 08:00', true, NULL, NULL, NULL);
        """
    )
    db.set_meta(con, "as_of", "2024-03-01")
    db.bump_data_version(con)
    con.close()
    return path


@pytest.fixture
def tiny_shop(tmp_path: Path) -> Path:
    return make_tiny_shop(tmp_path / "tiny.duckdb")
