"""Products and order lines of the demo shop.

Lines are drawn after every basket value is final, so that they add up to the order
exactly: each line takes a share of the basket, picks the product of its category
whose list price is nearest the share per unit, and charges the share (rounded to
cents) as ``unit_price`` — so unit prices sit within a few per cent of today's list
price, as prices drift over two years. The last line (quantity 1) absorbs the cents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from promo_core.demo.population import FAVOURITE_SHARE, N_CATEGORIES

# (category, lowest price, highest price, cost as a share of price)
CATEGORIES = (
    ("Apparel", 8.0, 120.0, 0.45),
    ("Footwear", 15.0, 180.0, 0.50),
    ("Beauty", 3.0, 60.0, 0.35),
    ("Home", 6.0, 250.0, 0.50),
    ("Electronics", 12.0, 600.0, 0.72),
    ("Sports", 8.0, 220.0, 0.55),
    ("Toys", 5.0, 90.0, 0.50),
    ("Books", 4.0, 40.0, 0.60),
)
PRODUCTS_PER_CATEGORY = 30
BRANDS = ("Northwind", "Alder & Co", "Brightside", "Cobalt", "Fernleaf", "Harbour", "Kestrel")


@dataclass(frozen=True)
class Catalogue:
    frame: pd.DataFrame  # the products table, sorted by (category index, price)
    category: np.ndarray
    log_price: np.ndarray
    unit_cost: np.ndarray


def build_catalogue(rng: np.random.Generator) -> Catalogue:
    rows = []
    for c, (name, low, high, cost_share) in enumerate(CATEGORIES):
        # Log-spaced prices with jitter, so the ladder is dense at every price level.
        grid = np.geomspace(low, high, PRODUCTS_PER_CATEGORY)
        price = np.sort(np.round(grid * rng.uniform(0.97, 1.03, PRODUCTS_PER_CATEGORY), 2) - 0.01)
        cost = np.round(price * cost_share * rng.uniform(0.85, 1.15, PRODUCTS_PER_CATEGORY), 2)
        brand = rng.choice(BRANDS, PRODUCTS_PER_CATEGORY)
        for j in range(PRODUCTS_PER_CATEGORY):
            rows.append((f"P{c + 1}{j + 1:03d}", f"{name} item {j + 1}", name, brand[j],
                         float(price[j]), float(cost[j]), c))
    frame = pd.DataFrame(
        rows, columns=["product_id", "name", "category", "brand", "list_price", "unit_cost", "cat"]
    )
    return Catalogue(
        frame=frame.drop(columns="cat"), category=frame["cat"].to_numpy(),
        log_price=np.log(frame["list_price"].to_numpy()), unit_cost=frame["unit_cost"].to_numpy(),
    )


@dataclass
class Lines:
    order_pos: np.ndarray  # position of the order in the orders arrays
    product: np.ndarray  # row of the catalogue
    quantity: np.ndarray
    unit_price: np.ndarray
    discount: np.ndarray


def draw_lines(
    cat: Catalogue, revenue: np.ndarray, discount: np.ndarray, favourite: np.ndarray,
    rng: np.random.Generator,
) -> tuple[Lines, np.ndarray]:
    """Order lines for orders with these basket values; returns (lines, cost_of_goods)."""
    n = len(revenue)
    k = 1 + np.minimum(rng.poisson(0.6 * np.log1p(np.maximum(revenue / 20.0, 0))), 5)
    order_pos = np.repeat(np.arange(n), k)
    first = np.r_[0, np.cumsum(k)[:-1]]
    last = np.zeros(len(order_pos), dtype=bool)
    last[first + k - 1] = True
    m = len(order_pos)
    # Cheap draws on purpose (tens of millions of lines): uniform shares in [0.5, 1.5),
    # one uniform for the category (favourite below FAVOURITE_SHARE, else another one)
    # and one for the quantity (1, 2 with 19 %, 3 with 3 %).
    weight = 0.5 + rng.random(m)
    share = weight / np.add.reduceat(weight, first)[order_pos]
    value = revenue[order_pos] * share
    fav = favourite[order_pos]
    u = rng.random(m)
    step = 1 + ((u - FAVOURITE_SHARE) / (1 - FAVOURITE_SHARE) * (N_CATEGORIES - 1)).astype(np.int64)
    category = np.where(u < FAVOURITE_SHARE, fav, (fav + step) % N_CATEGORIES)
    u = rng.random(m)
    quantity = np.where(last, 1, 1 + (u < 0.22) + (u < 0.03))
    category, quantity = _fit_price_range(category, quantity, value, last)
    product = _nearest_product(cat, category, np.log(np.maximum(value / quantity, 0.01)))
    unit_price = np.where(last, 0.0, np.round(value / quantity, 2))
    line_value = quantity * unit_price
    before_last = np.add.reduceat(line_value, first)  # the last line is still 0 here
    unit_price[last] = np.round(revenue - before_last, 2)
    line_value = quantity * unit_price
    line_discount = np.where(last, 0.0, np.round(discount[order_pos] * share, 2))
    line_discount[last] = np.round(discount - np.add.reduceat(line_discount, first), 2)
    cogs = np.add.reduceat(quantity * cat.unit_cost[product], first)
    lines = Lines(order_pos, product, quantity.astype(np.int32), unit_price, line_discount)
    return lines, np.round(cogs, 2)


def _fit_price_range(
    category: np.ndarray, quantity: np.ndarray, value: np.ndarray, last: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Move lines whose price per unit is outside their category's range to one that fits.

    Lines too dear for their category buy more units (or, for the single-unit last line,
    come from the dearest category); lines too cheap buy one unit from the cheapest.
    """
    low = np.array([c[1] for c in CATEGORIES])
    high = np.array([c[2] for c in CATEGORIES])
    need = np.ceil(value / high[category]).astype(np.int64)
    quantity = np.where(last, quantity, np.maximum(quantity, need))
    too_dear = value / quantity > high[category]
    category = np.where(too_dear, int(np.argmax(high)), category)
    quantity = np.where(value / quantity < low[category], 1, quantity)
    too_cheap = value / quantity < low[category]
    category = np.where(too_cheap, int(np.argmin(low)), category)
    return category, quantity


def _nearest_product(cat: Catalogue, category: np.ndarray, log_unit: np.ndarray) -> np.ndarray:
    """Row of the product in ``category`` whose log price is nearest ``log_unit``."""
    key = cat.category * 100.0 + cat.log_price  # sorted: catalogue is by (category, price)
    lo = category * PRODUCTS_PER_CATEGORY
    hi = lo + PRODUCTS_PER_CATEGORY - 1
    pos = np.clip(np.searchsorted(key, category * 100.0 + log_unit), lo, hi)
    below = np.clip(pos - 1, lo, hi)
    closer = np.abs(cat.log_price[below] - log_unit) < np.abs(cat.log_price[pos] - log_unit)
    return np.where(closer, below, pos)
