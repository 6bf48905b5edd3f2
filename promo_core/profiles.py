"""Customer profile features as of a date, computed in one DuckDB SQL statement.

"As of D" means the state of the shop at the *start* of D: only orders with
``order_ts < D 00:00`` count, only promotion responses whose window had closed by then,
only customers who had signed up by D (or, without a signup date, had ordered before D).
Nothing after the cut-off is read, so the same SQL builds leakage-free training rows.

The SQL is written over a *spine* of ``(customer_id, as_of)`` pairs, where ``as_of``
may be a DATE or a TIMESTAMP. :func:`compute_profiles` uses one date for everyone;
:func:`compute_profiles_for_pairs` takes a table of pairs, e.g. past exposures with
``as_of = exposed_at``, so each row gets the features as they were at that moment.

Dynamic features (category shares, channel shares, imported customer attributes) are
discovered from the data; :func:`feature_registry` lists every field of a data set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd
import pyarrow as pa

from promo_core import db, rollups

# Materialised profile tables live in an in-memory database attached to the
# connection's instance: unlike TEMP tables it is visible to every cursor, and it never
# writes into the user's data file (which may be opened read-only).
CACHE_DB = "promo_profiles"
MAX_MATERIALISED = 4
RESPONSE_WINDOW_DAYS = 14  # when a promotion has no duration_days
TOP_CATEGORIES = 20  # share columns for the biggest categories; the rest stay in "other"
TOP_CHANNELS = 8

NUMERIC = "numeric"
CATEGORICAL = "categorical"
_SAFE_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Feature:
    """One profile field: what the builder shows and how rules and clusters treat it."""

    label: str
    dtype: str  # NUMERIC or CATEGORICAL
    description: str
    skewed: bool = False  # money and counts: log-transform before clustering


FEATURES: dict[str, Feature] = {
    "recency_days": Feature("Days since last order", NUMERIC,
                            "Days from the last order to the as-of date (empty: never ordered)",
                            skewed=True),
    "frequency": Feature("Orders", NUMERIC, "Orders before the as-of date", skewed=True),
    "monetary": Feature("Revenue", NUMERIC, "Revenue at list price before the as-of date",
                        skewed=True),
    "aov": Feature("Average order value", NUMERIC, "Revenue / orders", skewed=True),
    "tenure_days": Feature("Tenure (days)", NUMERIC,
                           "Days since signup (or first order) to the as-of date"),
    "orders_30d": Feature("Orders in last 30 days", NUMERIC, "Orders in the 30 days before",
                          skewed=True),
    "orders_90d": Feature("Orders in last 90 days", NUMERIC, "Orders in the 90 days before",
                          skewed=True),
    "orders_365d": Feature("Orders in last 365 days", NUMERIC, "Orders in the 365 days before",
                           skewed=True),
    "revenue_30d": Feature("Revenue in last 30 days", NUMERIC, "Revenue in the 30 days before",
                           skewed=True),
    "revenue_90d": Feature("Revenue in last 90 days", NUMERIC, "Revenue in the 90 days before",
                           skewed=True),
    "revenue_365d": Feature("Revenue in last 365 days", NUMERIC,
                            "Revenue in the 365 days before", skewed=True),
    "discount_share": Feature("Discount share", NUMERIC, "Discount / revenue of past orders"),
    "promo_order_share": Feature("Promo order share", NUMERIC,
                                 "Share of orders bought on a promotion or with a discount"),
    "promo_exposures": Feature("Promotions received", NUMERIC,
                               "Treated exposures whose response window closed before"),
    "past_promo_response": Feature("Past promo response", NUMERIC,
                                   "Share of those exposures that converted"),
    "favourite_category": Feature("Favourite category", CATEGORICAL,
                                  "Category with the most revenue (needs order lines)"),
    "favourite_channel": Feature("Favourite channel", CATEGORICAL,
                                 f"Channel with most orders (of the {TOP_CHANNELS} most used)"),
}


def slug(text: str, prefix: str) -> str:
    """A safe SQL identifier made from a data value (category, channel, column name)."""
    s = re.sub(r"[^a-z0-9]+", "_", str(text).lower()).strip("_")[:40] or "x"
    return f"{prefix}{s}"


def check_identifier(name: str) -> str:
    """Whitelist-shape check before an identifier goes into SQL text."""
    if not _SAFE_IDENT.match(name):
        raise ValueError(f"unsafe identifier {name!r}")
    return name


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True)
class DynamicFields:
    """Fields discovered from one data set: value → column name, attribute columns."""

    categories: dict[str, str]
    channels: dict[str, str]
    attributes: dict[str, tuple[str, str]]  # column alias → (source column, dtype)


def _numeric_type(type_name: str) -> bool:
    t = type_name.upper()
    return any(k in t for k in ("INT", "DOUBLE", "FLOAT", "DECIMAL", "REAL", "NUMERIC"))


def discover_fields(con: duckdb.DuckDBPyConnection) -> DynamicFields:
    """Categories, channels and extra customer columns of this data set (small queries)."""
    cur = con.cursor()
    has_lines = cur.execute("SELECT count(*) > 0 FROM order_lines").fetchone()[0]
    categories: dict[str, str] = {}
    if has_lines:
        rows = cur.execute(
            "SELECT p.category FROM products p WHERE p.category IS NOT NULL "
            "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?", [TOP_CATEGORIES]).fetchall()
        categories = _unique_slugs([r[0] for r in rows], "cat_")
    rows = cur.execute(
        "SELECT channel FROM orders WHERE channel IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT ?",
        [TOP_CHANNELS]).fetchall()
    channels = _unique_slugs([r[0] for r in rows], "chan_")
    types = dict(cur.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = 'customers' AND table_catalog = current_database()").fetchall())
    attributes: dict[str, tuple[str, str]] = {}
    taken = set(FEATURES) | set(categories.values()) | set(channels.values())
    for col in db.table_columns(con, "customers"):
        if col in db.TABLES["customers"]:
            continue
        alias = slug(col, "")
        if alias in taken or not _SAFE_IDENT.match(alias):
            alias = slug(col, "attr_")
        taken.add(alias)
        attributes[alias] = (col, NUMERIC if _numeric_type(types.get(col, "")) else CATEGORICAL)
    return DynamicFields(categories, channels, attributes)


def _unique_slugs(values: list[str], prefix: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values:
        name, i = slug(v, prefix), 2
        while name in out.values():
            name, i = f"{slug(v, prefix)}_{i}", i + 1
        out[v] = name
    return out


def feature_registry(con: duckdb.DuckDBPyConnection,
                     fields: DynamicFields | None = None) -> dict[str, Feature]:
    """Every field a rule may use on this data set: FEATURES plus discovered ones."""
    fields = fields or discover_fields(con)
    reg = dict(FEATURES)
    if not fields.categories:
        reg.pop("favourite_category")
    for value, name in fields.categories.items():
        reg[name] = Feature(f"Share: {value}", NUMERIC, f"Share of revenue in category {value}")
    for value, name in fields.channels.items():
        reg[name] = Feature(f"Channel share: {value}", NUMERIC, f"Share of orders via {value}")
    for alias, (col, dtype) in fields.attributes.items():
        reg[alias] = Feature(str(col).replace("_", " ").capitalize(), dtype,
                             f"Customer attribute '{col}'")
    return reg


def profile_sql(fields: DynamicFields, names: rollups.Rollups, *, as_of: date | None = None,
                spine_sql: str | None = None) -> tuple[str, list]:
    """The one-statement feature query and all its parameters.

    Either ``as_of`` (every customer at one date) or ``spine_sql``: SQL text of a relation
    ``(customer_id, as_of)`` built in this module (never user text). With one date each
    source is filtered by a constant, so DuckDB scans it once with the filter pushed down
    instead of joining millions of rows to the spine. The category mix and past responses
    read the loaders' rollups (``names``, see :mod:`promo_core.rollups`), and every
    source is aggregated once per customer: no per-channel or per-line intermediate.
    """
    if (as_of is None) == (spine_sql is None):
        raise ValueError("give as_of or spine_sql")
    params: list = []

    def before(columns: str, source: str, cutoff: str) -> str:
        """Rows of ``source`` (alias t) with ``cutoff`` before each spine row's as_of."""
        if as_of is not None:
            params.extend([as_of, as_of])
            return (f"NOT MATERIALIZED (SELECT {columns}, CAST(? AS DATE) AS as_of "
                    f"FROM {source} WHERE {cutoff} CAST(? AS TIMESTAMP))")
        return (f"MATERIALIZED (SELECT {columns}, s.as_of FROM spine s JOIN {source} "
                f"ON t.customer_id = s.customer_id WHERE {cutoff} CAST(s.as_of AS TIMESTAMP))")

    if as_of is not None:
        spine = "SELECT customer_id, CAST(? AS DATE) AS as_of FROM customers"
        params.append(as_of)
    else:
        spine = spine_sql
    # With one date, grouping and joining on the customer alone is enough (and faster).
    key = "customer_id" if as_of is not None else "customer_id, as_of"

    def on(alias: str) -> str:
        return " AND ".join(f"{alias}.{k} = s.{k}" for k in key.split(", "))

    orders_src = before("t.customer_id, t.order_ts, t.revenue, t.discount, t.channel, "
                        "t.promo_id", f"{names.orders_by_customer} t", "t.order_ts <")
    since = "o.order_ts >= CAST(o.as_of AS TIMESTAMP) - INTERVAL"
    chan_aggs, chan_cols, chan_rank = [], [], []
    for value, name in fields.channels.items():
        check_identifier(name)
        chan_aggs.append(f"count(*) FILTER (WHERE o.channel = ?) AS n_{name}, "
                         f"max(o.order_ts) FILTER (WHERE o.channel = ?) AS last_{name}")
        params.extend([value, value])
        chan_cols.append(f"coalesce(o.n_{name} * 1.0 / nullif(o.frequency, 0), 0.0) AS {name}")
        chan_rank.append(f"{{'n': o.n_{name}, 'ts': o.last_{name}, 'c': ?}}")
    cat_src = cat_mix = cat_join = fav_cat = ""
    cat_cols = []
    if fields.categories:
        cat_src = ",\ncat_orders AS " + before(
            "t.customer_id, t.category, t.revenue", f"{names.order_categories} t",
            "t.order_ts <")
        cat_aggs = []
        for value, name in fields.categories.items():
            check_identifier(name)
            cat_aggs.append(f"coalesce(sum(rev) FILTER (WHERE category = ?), 0) "
                            f"/ nullif(sum(rev), 0) AS {name}")
            params.append(value)
            cat_cols.append(f"coalesce(cm.{name}, 0.0) AS {name}")
        # Ties go to the alphabetically last category, so results never depend on scan order.
        cat_mix = f""",
by_category AS (
    SELECT {key}, category, sum(revenue) AS rev
    FROM cat_orders GROUP BY ALL
),
cat_mix AS (
    SELECT {key}, arg_max(category, (rev, category)) AS favourite_category,
           {', '.join(cat_aggs)}
    FROM by_category GROUP BY {key}
)"""
        cat_join = f"LEFT JOIN cat_mix cm ON {on('cm')}"
        fav_cat = ", cm.favourite_category"
    # Only treated exposures whose response window had closed by the as-of moment.
    expo_src = before(
        "t.customer_id, t.converted, t.next_order_ts, t.window_end",
        f"(SELECT e.*, e.exposed_at + to_days(coalesce(p.duration_days, "
        f"{RESPONSE_WINDOW_DAYS})) AS window_end FROM {names.exposure_next_order} e "
        "LEFT JOIN promotions p ON p.promo_id = e.promo_id) t",
        "NOT coalesce(t.is_control, false) AND t.window_end <=")
    # The favourite channel: most orders, ties to the channel used most recently.
    params.extend(fields.channels)
    fav_chan = (f"list_max(list_filter([{', '.join(chan_rank)}], lambda x: x.n > 0)).c"
                if chan_rank else "NULL::VARCHAR")
    attr_cols = [f"c.{_quote(col)} AS {check_identifier(alias)}"
                 for alias, (col, _) in fields.attributes.items()]
    # Shares are 0, not empty, for customers without orders: rules and k-means need numbers.
    extra = "".join(f", {c}" for c in [*cat_cols, *chan_cols, *attr_cols])
    sql = f"""
WITH spine AS ({spine}),
spine_orders AS {orders_src},
ord AS (
    -- one pass over the orders: everything additive per customer
    SELECT {key}, count(*)::BIGINT AS frequency, sum(o.revenue) AS monetary,
        sum(coalesce(o.discount, 0)) AS discount_total, max(o.order_ts) AS last_ts,
        min(o.order_ts) AS first_ts,
        count(*) FILTER (WHERE {since} 30 DAY) AS orders_30d,
        count(*) FILTER (WHERE {since} 90 DAY) AS orders_90d,
        count(*) FILTER (WHERE {since} 365 DAY) AS orders_365d,
        sum(o.revenue) FILTER (WHERE {since} 30 DAY) AS revenue_30d,
        sum(o.revenue) FILTER (WHERE {since} 90 DAY) AS revenue_90d,
        sum(o.revenue) FILTER (WHERE {since} 365 DAY) AS revenue_365d,
        count(*) FILTER (WHERE o.promo_id IS NOT NULL OR coalesce(o.discount, 0) > 0)
            AS promo_orders
        {''.join(', ' + a for a in chan_aggs)}
    FROM spine_orders o GROUP BY {key}
){cat_src}{cat_mix},
expo AS {expo_src},
expo_out AS (
    SELECT {key}, count(*) AS promo_exposures,
        avg(CASE WHEN converted IS NOT NULL THEN converted::INT
                 WHEN next_order_ts < window_end THEN 1 ELSE 0 END) AS past_promo_response
    FROM expo GROUP BY {key}
)
SELECT s.customer_id, s.as_of,
    date_diff('day', CAST(o.last_ts AS DATE), CAST(s.as_of AS DATE)) AS recency_days,
    coalesce(o.frequency, 0) AS frequency,
    coalesce(o.monetary, 0.0) AS monetary,
    o.monetary / nullif(o.frequency, 0) AS aov,
    date_diff('day', coalesce(c.signup_date, CAST(o.first_ts AS DATE)), CAST(s.as_of AS DATE))
        AS tenure_days,
    coalesce(o.orders_30d, 0) AS orders_30d, coalesce(o.orders_90d, 0) AS orders_90d,
    coalesce(o.orders_365d, 0) AS orders_365d,
    coalesce(o.revenue_30d, 0.0) AS revenue_30d, coalesce(o.revenue_90d, 0.0) AS revenue_90d,
    coalesce(o.revenue_365d, 0.0) AS revenue_365d,
    o.discount_total / nullif(o.monetary, 0) AS discount_share,
    o.promo_orders * 1.0 / nullif(o.frequency, 0) AS promo_order_share,
    coalesce(x.promo_exposures, 0) AS promo_exposures,
    x.past_promo_response,
    {fav_chan} AS favourite_channel{fav_cat}{extra}
FROM spine s
JOIN customers c ON c.customer_id = s.customer_id
LEFT JOIN ord o ON {on('o')}
LEFT JOIN expo_out x ON {on('x')}
{cat_join}
WHERE coalesce(c.signup_date, CAST(o.first_ts AS DATE)) <= CAST(s.as_of AS DATE)
"""
    return sql, params


def _as_of_param(as_of: date | datetime) -> date | datetime:
    if not isinstance(as_of, date):
        raise TypeError(f"as_of must be a date, got {type(as_of).__name__}")
    return as_of


def compute_profiles(con: duckdb.DuckDBPyConnection, as_of: date,
                     fields: DynamicFields | None = None) -> pd.DataFrame:
    """One row per customer known by ``as_of``, every feature of :func:`feature_registry`."""
    fields = fields or discover_fields(con)
    sql, params = profile_sql(fields, rollups.ensure(con), as_of=_as_of_param(as_of))
    return _frame(con.cursor().sql(sql + " ORDER BY s.customer_id", params=params)
                  .to_arrow_table().drop_columns(["as_of"]))


def _frame(table: pa.Table) -> pd.DataFrame:
    """A profile frame from Arrow: a third faster than ``.df()`` for 1M rows with text.

    Arrow turns integer columns with gaps (recency of a customer with no orders) into
    floats; they stay integers with gaps, as DuckDB's own conversion gives them.
    """
    df = table.to_pandas()
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_integer(column.type) and column.null_count:
            df[name] = df[name].astype("Int64")
    return df


def compute_profiles_for_pairs(con: duckdb.DuckDBPyConnection, pairs: pd.DataFrame,
                               fields: DynamicFields | None = None) -> pd.DataFrame:
    """Features for each ``(customer_id, as_of)`` row of ``pairs`` (as_of DATE or TIMESTAMP).

    With a TIMESTAMP, orders strictly before that moment count (e.g. ``exposed_at``).
    Pairs whose customer was not known yet are dropped; duplicate pairs are merged.
    """
    missing = {"customer_id", "as_of"} - set(pairs.columns)
    if missing:
        raise ValueError(f"pairs needs columns customer_id and as_of; missing {sorted(missing)}")
    fields = fields or discover_fields(con)
    names = rollups.ensure(con)
    cur = con.cursor()
    cur.register("profile_pairs_input", pairs[["customer_id", "as_of"]])
    try:
        sql, params = profile_sql(
            fields, names, spine_sql="SELECT DISTINCT customer_id, as_of FROM profile_pairs_input")
        return cur.execute(sql + " ORDER BY s.customer_id, s.as_of", params).df()
    finally:
        cur.unregister("profile_pairs_input")


def profile_table_name(as_of: date, version: str) -> str:
    """``promo_profiles.profile_<yyyymmdd>_<data version>`` (validated identifiers)."""
    if not re.fullmatch(r"[A-Za-z0-9]{1,32}", version):
        raise ValueError(f"unexpected data version {version!r}")
    return f"{CACHE_DB}.profile_{as_of:%Y%m%d}_{version.lower()}"


def materialise_profiles(con: duckdb.DuckDBPyConnection, as_of: date) -> str:
    """Build (once per as-of date and data version) the profile table; return its name.

    Rule counts and members query this table, so a live count is a scan of ~1M rows,
    not a rebuild. Older tables beyond ``MAX_MATERIALISED`` are dropped to bound memory.
    """
    cur = con.cursor()
    cur.execute(f"ATTACH IF NOT EXISTS ':memory:' AS {CACHE_DB}")
    name = profile_table_name(_as_of_param(as_of), db.data_version(con))
    short = name.split(".", 1)[1]
    exists = cur.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = ? "
                         "AND table_name = ?", [CACHE_DB, short]).fetchone()[0]
    if exists:
        return name
    fields = discover_fields(con)
    sql, params = profile_sql(fields, rollups.ensure(con), as_of=as_of)
    cur.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * EXCLUDE (as_of) FROM ({sql})",
                params)
    # Tables of an older data version are stale; beyond that keep only a few as-of dates.
    others = [r[0] for r in cur.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = ? AND table_name <> ? "
        "ORDER BY table_name", [CACHE_DB, short]).fetchall()]
    suffix = short.rsplit("_", 1)[1]
    stale = [t for t in others if not t.endswith("_" + suffix)]
    fresh = [t for t in others if t.endswith("_" + suffix)]
    for table in stale + fresh[: max(0, len(fresh) - (MAX_MATERIALISED - 1))]:
        cur.execute(f"DROP TABLE IF EXISTS {CACHE_DB}.{check_identifier(table)}")
    return name


def load_profiles(con: duckdb.DuckDBPyConnection, table: str,
                  columns: list[str] | None = None) -> pd.DataFrame:
    """Read a materialised profile table (optionally a whitelisted subset of columns)."""
    check_profile_table(table)
    cols = "*"
    if columns:
        have = set(table_fields(con, table))
        bad = [c for c in columns if c not in have]
        if bad:
            raise ValueError(f"unknown profile columns {bad}")
        cols = ", ".join(["customer_id", *(_quote(c) for c in columns if c != "customer_id")])
    return _frame(con.cursor().sql(f"SELECT {cols} FROM {table} ORDER BY customer_id")
                  .to_arrow_table())


def check_profile_table(table: str) -> str:
    """Only ``promo_profiles.profile_…`` names (or a plain safe identifier) reach SQL."""
    if not re.fullmatch(rf"({CACHE_DB}\.)?[a-z_][a-z0-9_]{{0,62}}", table):
        raise ValueError(f"not a profile table name: {table!r}")
    return table


def table_fields(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    """Columns of a profile table, in order."""
    check_profile_table(table)
    database, _, name = table.rpartition(".")
    rows = con.cursor().execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND (database_name = ? OR ? = '') ORDER BY column_index",
        [name, database, database]).fetchall()
    return [r[0] for r in rows]
