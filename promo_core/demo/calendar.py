"""The demo shop's calendar: the two-year order history and its seasonality.

Intensities are constant within a day, so expected order counts over any window are
differences of cumulative sums (exact, used by both the simulation and the truth).
The grid runs past the end of the history so candidate promotions after ``as_of``
can be scored with the same seasonality.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

HISTORY_START = date(2023, 1, 1)
HISTORY_END = date(2024, 12, 31)  # last day with orders (inclusive)
GRID_END = date(2027, 12, 31)  # seasonality is defined this far, for forecasts

# Site-wide sales: every order on these days gets SALE_DISCOUNT off. Discount-hungry
# customers buy more in them, which is what makes ``discount_share`` informative.
SALE_DISCOUNT = 0.20
SALE_PERIODS = (((1, 1), 10), ((7, 1), 10), ((11, 29), 7))  # (month, day), length in days

# Weekly pattern Mon..Sun (online shops peak on Sunday evening and Monday).
WEEKDAY = np.array([1.10, 1.00, 0.95, 0.95, 0.90, 0.85, 1.25])
# Hour-of-day profile of order times.
HOURS = np.array(
    [0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.4, 0.8, 1.1, 1.2, 1.3, 1.3,
     1.4, 1.3, 1.2, 1.2, 1.3, 1.4, 1.5, 1.8, 2.0, 1.9, 1.4, 0.8]
)
HOUR_CDF = np.cumsum(HOURS / HOURS.sum())


def day_index(d: date) -> int:
    """Days since HISTORY_START (the unit of every day array in the demo package)."""
    return (d - HISTORY_START).days


def index_date(i: int) -> date:
    return HISTORY_START + timedelta(days=int(i))


@dataclass(frozen=True)
class Grid:
    """Daily seasonality from HISTORY_START to GRID_END.

    ``cum_regular[d]`` is the sum of the regular intensity over days ``< d``;
    ``cum_sale[d]`` the same for the sale-only intensity. Both have ``n_days + 1`` entries.
    """

    season: np.ndarray
    sale: np.ndarray
    cum_regular: np.ndarray
    cum_sale: np.ndarray

    @property
    def n_days(self) -> int:
        return len(self.season)


def _annual(day_of_year: np.ndarray) -> np.ndarray:
    """Annual shape: Christmas peak in late Nov–Dec, January lull, a soft summer dip."""
    t = day_of_year / 365.25
    christmas = 0.9 * np.exp(-0.5 * ((day_of_year - 345) / 14.0) ** 2)
    black_friday = 0.35 * np.exp(-0.5 * ((day_of_year - 333) / 4.0) ** 2)
    summer = -0.12 * np.exp(-0.5 * ((day_of_year - 200) / 25.0) ** 2)
    return 1.0 + 0.08 * np.cos(2 * np.pi * (t - 0.2)) + christmas + black_friday + summer


def build_grid() -> Grid:
    n = (GRID_END - HISTORY_START).days + 1
    dates = np.array([HISTORY_START + timedelta(days=int(i)) for i in range(n)])
    doy = np.array([d.timetuple().tm_yday for d in dates], dtype=float)
    dow = np.array([d.weekday() for d in dates])
    season = _annual(doy) * WEEKDAY[dow]
    # Normalise so the mean regular intensity over a year is 1: rate_i is orders/year.
    season = season / season[:365].mean() / 365.0
    sale = np.zeros(n, dtype=bool)
    for year in range(HISTORY_START.year, GRID_END.year + 1):
        for (month, day), length in SALE_PERIODS:
            first = (date(year, month, day) - HISTORY_START).days
            sale[max(first, 0) : max(first + length, 0)] = True
    cum_regular = np.concatenate([[0.0], np.cumsum(season)])
    cum_sale = np.concatenate([[0.0], np.cumsum(season * sale)])
    return Grid(season=season, sale=sale, cum_regular=cum_regular, cum_sale=cum_sale)


GRID = build_grid()


def expected_orders(
    rate: np.ndarray,
    sale_boost: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
) -> np.ndarray:
    """Expected orders in days [start, end) at ``rate`` orders/year (0 when end <= start).

    ``sale_boost`` multiplies the extra intensity on sale days: the intensity is
    ``rate * season(d) * (1 + sale_boost * sale(d))``.
    """
    s = np.clip(start, 0, GRID.n_days)
    e = np.clip(end, 0, GRID.n_days)
    e = np.maximum(e, s)
    regular = GRID.cum_regular[e] - GRID.cum_regular[s]
    sale = GRID.cum_sale[e] - GRID.cum_sale[s]
    return rate * (regular + sale_boost * sale)


def draw_days(
    cum: np.ndarray, start: np.ndarray, end: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """One day per element in [start, end), with probability proportional to the intensity."""
    lo, hi = cum[start], cum[end]
    u = lo + rng.random(len(start)) * (hi - lo)
    day = np.searchsorted(cum, u, side="right") - 1
    return np.clip(day, start, end - 1)


def draw_seconds(n: int, rng: np.random.Generator) -> np.ndarray:
    """Seconds after midnight, following the hour-of-day profile."""
    hour = np.searchsorted(HOUR_CDF, rng.random(n), side="right")
    return np.minimum(hour, 23) * 3600 + rng.integers(0, 3600, n)
