"""What each canonical table needs from a file, and a first guess at the column mapping.

A mapping is ``{source column: canonical column}``. Source columns left out are
ignored, except in a customers file, where every other column is kept as an extra
profile attribute under a sanitised name (it becomes a segment field and a feature).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from promo_core import db

IMPORTABLE = ("customers", "orders", "order_lines", "products", "promotions", "exposures")


@dataclass(frozen=True)
class TableSpec:
    required: tuple[str, ...]
    key: tuple[str, ...]
    non_negative: tuple[str, ...] = ()

    def columns(self, table: str) -> dict[str, str]:
        return db.TABLES[table]


SPECS: dict[str, TableSpec] = {
    "customers": TableSpec(("customer_id",), ("customer_id",)),
    "orders": TableSpec(
        ("order_id", "customer_id", "order_ts", "revenue"),
        ("order_id",),
        ("revenue", "discount", "cost_of_goods"),
    ),
    "order_lines": TableSpec(
        ("order_id", "product_id", "quantity", "unit_price"),
        (),  # the same product may appear on two lines of one order (e.g. two prices)
        ("quantity", "unit_price", "discount"),
    ),
    "products": TableSpec(("product_id",), ("product_id",), ("list_price", "unit_cost")),
    "promotions": TableSpec(
        ("promo_id", "name", "promo_type"),
        ("promo_id",),
        ("value", "min_spend", "duration_days", "cost_per_contact", "fixed_cost",
         "unit_cost", "shipping_cost"),
    ),
    # A promotion may be sent to the same customer again in a later week (a plan that
    # reuses a past promotion), so the send time is part of the key.
    "exposures": TableSpec(
        ("promo_id", "customer_id", "exposed_at"), ("promo_id", "customer_id", "exposed_at"),
        ("revenue",),
    ),
}

# Normalised names (lower case, letters and digits only) that mean a canonical column,
# best first. Per table, because "price" is a unit price on a line but a list price
# on a product.
_COMMON = {
    "customer_id": ["customerid", "customer", "custid", "clientid", "userid", "memberid",
                    "customerno", "customernumber", "accountid", "buyerid"],
    "order_id": ["orderid", "invoiceno", "invoice", "invoiceid", "invoicenumber", "orderno",
                 "ordernumber", "order", "transactionid", "receiptid", "basketid"],
    "product_id": ["productid", "stockcode", "sku", "itemid", "productcode", "articleid",
                   "product", "item"],
    "promo_id": ["promoid", "promotionid", "campaignid", "couponid", "offerid", "promo"],
}
SYNONYMS: dict[str, dict[str, list[str]]] = {
    "customers": {
        "customer_id": _COMMON["customer_id"],
        "signup_date": ["signupdate", "signup", "registrationdate", "registered", "joindate",
                        "joined", "createdat", "customersince", "firstpurchasedate"],
    },
    "orders": {
        "order_id": _COMMON["order_id"],
        "customer_id": _COMMON["customer_id"],
        "order_ts": ["orderts", "orderdate", "invoicedate", "orderdatetime", "purchasedate",
                     "transactiondate", "date", "timestamp", "datetime", "createdat"],
        "revenue": ["revenue", "ordertotal", "totalamount", "amount", "total", "sales",
                    "grossrevenue", "ordervalue", "value"],
        "discount": ["discount", "discountamount", "rebate", "couponamount"],
        "cost_of_goods": ["costofgoods", "cogs", "costofgoodssold", "cost", "totalcost"],
        "channel": ["channel", "saleschannel", "orderchannel"],
        "promo_id": _COMMON["promo_id"],
    },
    "order_lines": {
        "order_id": _COMMON["order_id"],
        "product_id": _COMMON["product_id"],
        "quantity": ["quantity", "qty", "units", "count"],
        "unit_price": ["unitprice", "price", "itemprice", "priceeach"],
        "discount": ["discount", "linediscount", "discountamount"],
    },
    "products": {
        "product_id": _COMMON["product_id"],
        "name": ["name", "productname", "description", "title"],
        "category": ["category", "productcategory", "department", "group"],
        "brand": ["brand", "manufacturer", "label"],
        "list_price": ["listprice", "price", "rrp", "msrp", "unitprice"],
        "unit_cost": ["unitcost", "cost", "costprice", "purchaseprice"],
    },
    "promotions": {
        "promo_id": _COMMON["promo_id"],
        "name": ["name", "promotionname", "campaignname", "promoname", "title"],
        "promo_type": ["promotype", "type", "mechanic", "promotiontype", "offertype"],
        "value": ["value", "discountvalue", "depth", "amount", "percent"],
        "min_spend": ["minspend", "minimumspend", "threshold", "spendthreshold"],
        "channel": ["channel"],
        "duration_days": ["durationdays", "duration", "days"],
        "cost_per_contact": ["costpercontact", "contactcost"],
        "fixed_cost": ["fixedcost"],
        "category": ["category"],
        "unit_cost": ["unitcost", "giftcost"],
        "shipping_cost": ["shippingcost"],
        "start_date": ["startdate", "start", "launchdate", "date"],
        "is_targeted": ["istargeted", "targeted"],
    },
    "exposures": {
        "promo_id": _COMMON["promo_id"],
        "customer_id": _COMMON["customer_id"],
        "exposed_at": ["exposedat", "sentat", "sentdate", "senddate", "exposuredate", "date",
                       "timestamp"],
        "is_control": ["iscontrol", "control", "holdout", "controlgroup"],
        "converted": ["converted", "conversion", "purchased", "bought"],
        "revenue": ["revenue", "spend", "amount", "sales"],
        "visited": ["visited", "visit"],
    },
}

_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def normalise(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def sanitise_name(name: str) -> str:
    """A safe SQL identifier for an extra column: lower snake case, starts with a letter."""
    text = re.sub(r"[^a-z0-9]+", "_", str(name).strip().lower()).strip("_")
    if not text or not text[0].isalpha():
        text = f"attr_{text}".rstrip("_")
    return text[:63]


def is_safe_identifier(name: str) -> bool:
    """Whitelist for identifiers that go into SQL text (always quoted as well)."""
    return bool(_IDENT.match(name))


def _looks_like_dates(values: pd.Series) -> bool:
    sample = values.dropna().astype(str).head(200)
    if sample.empty or sample.str.fullmatch(r"-?\d+(\.\d+)?").all():
        return False
    parsed = pd.to_datetime(sample, errors="coerce", format="mixed")
    return bool(parsed.notna().mean() >= 0.9)


def propose_mapping(df: pd.DataFrame, table: str) -> dict[str, str]:
    """Guess ``{source column: canonical column}`` for one table from names and types.

    Names are matched after normalising (``'Customer ID'`` → ``customerid``) against
    the table's synonyms, best synonym first; a date column not found by name is
    found by its values. In a customers file, the remaining columns are proposed as
    extra attributes under their sanitised names.
    """
    if table not in SYNONYMS:
        raise ValueError(f"unknown table '{table}'; allowed: {', '.join(IMPORTABLE)}")
    by_norm: dict[str, str] = {}
    for col in df.columns:
        by_norm.setdefault(normalise(col), str(col))
    mapping: dict[str, str] = {}
    for canonical, names in SYNONYMS[table].items():
        for n in [normalise(canonical), *names]:
            src = by_norm.get(n)
            if src is not None and src not in mapping:
                mapping[src] = canonical
                break
    types = db.TABLES[table]
    for canonical, type_ in types.items():
        if type_ in ("DATE", "TIMESTAMP") and canonical not in mapping.values():
            for col in df.columns:
                if str(col) not in mapping and _looks_like_dates(df[col]):
                    mapping[str(col)] = canonical
                    break
    if table == "customers":
        for col in df.columns:
            if str(col) not in mapping:
                extra = sanitise_name(col)
                if extra not in types and extra not in mapping.values():
                    mapping[str(col)] = extra
    return mapping
