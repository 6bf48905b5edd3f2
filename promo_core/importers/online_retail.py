"""Preset: UCI Online Retail (2010-11) and Online Retail II year 2009-10, one or both.

Each invoice line is classified once, by the first rule that applies, and every line
that is not loaded is counted under its reason in ``import_report`` (table
``order_lines``):

1. *overlap*: when two files cover the same days, the earlier file's rows from the
   later file's first day on (the 2009-10 sheet repeats 2010-12-01..09);
2. *exact duplicate row* of an earlier row of the same file;
3. *cancellation* (invoice ``C…``); 4. *bad-debt adjustment* (invoice ``A…``);
5. *non-product code*: postage, carriage, fees, manual lines, discounts, samples,
   vouchers, test and ``DCGS…`` codes (``SERVICE_CODES``);
6. *stock adjustment*: quantity ≤ 0 without a customer (price 0, "damages" …);
7. *return*: any other line with quantity ≤ 0; 8. *zero price*;
9. *no customer id* (a sale, but it cannot be tied to a customer).

What is loaded: ``orders`` = invoices with a customer; ``order_id`` the invoice number;
``revenue`` = Σ quantity × price of the kept lines (the price paid is the list price:
the shop's data has no discounts, so ``discount`` = 0); ``cost_of_goods`` is NULL (the
data has no costs); channel ``online``. ``products``: stock codes upper-cased and
trimmed, name = most frequent trimmed description, ``list_price`` = median line price,
``category`` from description keywords (``CATEGORY_KEYWORDS``, first match wins, else
``other``). ``customers``: ``signup_date`` = first kept purchase day (the data has no
sign-up date), ``country`` (their most frequent) kept as an extra attribute.
"""

from __future__ import annotations

import duckdb
import pyarrow as pa

from promo_core.errors import ValidationProblem
from promo_core.importers.mapping import normalise
from promo_core.importers.validate import ROW, _problems, _typed_expr, raise_if_any
from promo_core.importers.writer import Payload

# internal name → normalised header names in either year's file
COLUMNS = {
    "invoice": ("invoiceno", "invoice"), "code": ("stockcode",), "descr": ("description",),
    "qty": ("quantity",), "ts": ("invoicedate",), "price": ("unitprice", "price"),
    "cust": ("customerid",), "country": ("country",),
}
_TYPES = {"qty": "BIGINT", "ts": "TIMESTAMP", "price": "DOUBLE", "cust": "BIGINT"}

SERVICE_CODES = ("POST", "DOT", "M", "C2", "C3", "D", "S", "B", "BANK CHARGES", "AMAZONFEE",
                 "CRUK", "PADS", "ADJUST", "ADJUST2", "TEST001", "TEST002", "GIFT")
SERVICE_PREFIXES = ("GIFT_0001", "DCGS")

# (category, regular expression on the upper-case description); order matters:
# "CHRISTMAS LIGHTS" is Christmas, not lighting.
CATEGORY_KEYWORDS = (
    ("christmas", r"CHRISTMAS|XMAS|ADVENT|SANTA|REINDEER|SNOWFLAKE|NATIVITY"),
    ("lighting", r"LIGHT|LANTERN|CANDLE|LAMP|NIGHT LIGHT"),
    ("bags", r"\bBAGS?\b|PURSE|SHOPPER|TOTE"),
    ("kitchen & dining", r"\bMUGS?\b|\bCUPS?\b|PLATE|BOWL|\bJUG\b|TEAPOT|CAKE|BAKING|LUNCH|"
                         r"\bTINS?\b|SPOON|NAPKIN|TEA |CUTLERY|GLASS|BOTTLE|JAR\b|TRAY"),
    ("stationery & cards", r"\bCARDS?\b|WRAP|PAPER|NOTEBOOK|\bPENS?\b|PENCIL|STICKER|"
                           r"\bTAPE\b|CHALK|ENVELOPE|JOURNAL"),
    ("toys & party", r"\bTOYS?\b|GAME|PARTY|BALLOON|BUNTING|DOLL|PLAYHOUSE|JIGSAW|SPACEBOY"),
    ("jewellery & accessories", r"NECKLACE|BRACELET|EARRING|\bRING\b|HAIR|JEWEL|UMBRELLA"),
    ("garden", r"GARDEN|PLANT|\bBIRD|WATERING|FLOWER POT|HERB"),
    ("home decor", r"FRAME|CLOCK|\bSIGN\b|MIRROR|CUSHION|DOORMAT|VASE|HOOK|HANGER|ORNAMENT|"
                   r"DECORATION|HEART|WALL|DOORSTOP|BOX|STORAGE|BASKET|DRAWER"),
)


def _columns_of(name: str, data: pa.Table) -> tuple[dict[str, str], list[ValidationProblem]]:
    by_norm = {normalise(c): c for c in data.column_names}
    found, missing = {}, []
    for key, names in COLUMNS.items():
        src = next((by_norm[n] for n in names if n in by_norm), None)
        if src is None:
            missing.append("/".join(names))
        else:
            found[key] = src
    problems = [ValidationProblem(
        "not an Online Retail file: missing column(s) " + ", ".join(missing))] if missing else []
    return found, problems


def _stage_file(cur: duckdb.DuckDBPyConnection, i: int, name: str, data: pa.Table) -> list:
    found, problems = _columns_of(name, data)
    if problems:
        return problems
    keys = list(COLUMNS)
    arrow = pa.table([data.column(found[k]) for k in keys]
                     + [pa.array(range(1, data.num_rows + 1), pa.int64())], names=keys + [ROW])
    cur.register(f"or_raw_{i}", arrow)
    families = {"ts": "iso"}
    if cur.execute(f"SELECT count({_typed_expr('ts', 'TIMESTAMP', 'iso')}) = count(ts) "
                   f"FROM or_raw_{i}").fetchall()[0][0] is False:
        families["ts"] = "day"  # a re-saved CSV may carry 01/12/2010 08:26 (UK layout)
    typed = {k: _typed_expr(k, t, families.get(k, "")) for k, t in _TYPES.items()}
    # One typed copy that keeps the raw text of the typed columns, then all checks in
    # a single scan of it (a million lines: every extra pass costs about a second).
    cur.execute(f"""
        CREATE TABLE or_{i} AS SELECT {i} AS file, {ROW},
            upper(trim(invoice)) AS invoice, upper(trim(code)) AS code, descr AS descr_raw,
            nullif(trim(descr), '') AS descr, {typed['qty']} AS qty, {typed['ts']} AS ts,
            {typed['price']} AS price, {typed['cust']} AS cust,
            nullif(trim(country), '') AS country,
            nullif(trim(or_raw.qty), '') AS qty_raw, nullif(trim(or_raw.ts), '') AS ts_raw,
            nullif(trim(or_raw.price), '') AS price_raw, nullif(trim(or_raw.cust), '') AS cust_raw
        FROM or_raw_{i} AS or_raw""")
    checks = [(f"{k}_raw IS NOT NULL AND {k} IS NULL",
               f"cannot be read as {'a date' if t == 'TIMESTAMP' else 'a number'}", found[k], [])
              for k, t in _TYPES.items()]
    checks += [(f"nullif({k}, '') IS NULL" if k in ("invoice", "code") else f"{k}_raw IS NULL",
                "is empty", found[k], []) for k in ("invoice", "code", "qty", "ts", "price")]
    problems += _problems(cur, f"or_{i}", checks)
    cur.unregister(f"or_raw_{i}")
    return problems


def _classify(cur: duckdb.DuckDBPyConnection, n: int, names: list[str]) -> None:
    union = " UNION ALL ".join(f"SELECT * FROM or_{i}" for i in range(n))
    cur.execute(f"CREATE TABLE or_all AS {union}")
    # Each file's successor in time; rows of a file from its successor's first day on
    # are the overlap (the later file wins).
    cur.execute("""
        CREATE TABLE or_span AS SELECT file, min(ts) AS first_ts, max(ts) AS last_ts,
            lead(date_trunc('day', min(ts))) OVER (ORDER BY min(ts)) AS cutoff,
            lead(file) OVER (ORDER BY min(ts)) AS next_file
        FROM or_all GROUP BY file""")
    codes = list(SERVICE_CODES)
    prefixes = list(SERVICE_PREFIXES)
    prefix_sql = " OR ".join("starts_with(l.code, ?)" for _ in prefixes)
    cur.execute(
        f"""
        CREATE TABLE or_lines AS
        SELECT l.*, CASE
            WHEN s.cutoff IS NOT NULL AND l.ts >= s.cutoff
                THEN 'overlap: the same days are in ' || list_extract(?, s.next_file + 1)
            -- duplicates by a 64-bit row hash: a false match among 1M rows is ~1e-8 likely
            WHEN row_number() OVER (PARTITION BY l.file, hash(l.invoice, l.code, l.descr_raw,
                 l.qty, l.ts, l.price, l.cust, l.country) ORDER BY l.__row) > 1
                THEN 'exact duplicate row'
            WHEN l.invoice LIKE 'C%' THEN 'cancellation (invoice C…)'
            WHEN l.invoice LIKE 'A%' THEN 'bad-debt adjustment (invoice A…)'
            WHEN list_contains(?, l.code) OR {prefix_sql}
                THEN 'non-product code (postage, fees, manual, vouchers, DCGS…)'
            WHEN l.qty <= 0 AND l.cust IS NULL THEN 'stock adjustment (quantity ≤ 0, no customer)'
            WHEN l.qty <= 0 THEN 'return (quantity ≤ 0 on a sales invoice)'
            WHEN l.price <= 0 THEN 'zero price'
            WHEN l.cust IS NULL THEN 'no customer id'
            WHEN TRY_CAST(l.invoice AS BIGINT) IS NULL THEN 'invoice number not numeric'
          END AS reason
        FROM or_all l JOIN or_span s USING (file)""",
        [names, codes, *prefixes],
    )


def _category_sql() -> tuple[str, list[str]]:
    whens, params = [], []
    for category, pattern in CATEGORY_KEYWORDS:
        whens.append("WHEN regexp_matches(upper(name), ?) THEN ?")
        params += [pattern, category]
    return f"CASE {' '.join(whens)} ELSE 'other' END", params


def _build_tables(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("CREATE TABLE kept AS SELECT * FROM or_lines WHERE reason IS NULL")
    cur.execute("""
        CREATE TABLE out_order_lines AS SELECT invoice::BIGINT AS order_id, code AS product_id,
            qty::INTEGER AS quantity, price AS unit_price, 0.0::DOUBLE AS discount
        FROM kept ORDER BY order_id, __row""")
    cur.execute("""
        CREATE TABLE out_orders AS SELECT invoice::BIGINT AS order_id,
            any_value(cust) AS customer_id, min(ts) AS order_ts,
            round(sum(qty * price), 2) AS revenue, 0.0::DOUBLE AS discount,
            NULL::DOUBLE AS cost_of_goods, 'online' AS channel, NULL::BIGINT AS promo_id
        FROM kept GROUP BY invoice ORDER BY order_id""")
    category, params = _category_sql()
    cur.execute(f"""
        CREATE TABLE out_products AS SELECT product_id, name, {category} AS category,
            NULL::VARCHAR AS brand, list_price, NULL::DOUBLE AS unit_cost
        FROM (SELECT code AS product_id, mode(descr) AS name, median(price) AS list_price
              FROM kept GROUP BY code) ORDER BY product_id""", params)
    cur.execute("""
        CREATE TABLE out_customers AS SELECT cust AS customer_id,
            min(ts)::DATE AS signup_date, mode(country) AS country
        FROM kept GROUP BY cust ORDER BY customer_id""")


def build_online_retail(
    stage: duckdb.DuckDBPyConnection, files: list[tuple[str, pa.Table]], progress,
) -> Payload:
    """Stage one or both Online Retail files as ``out_*``; ValidationError if unusable."""
    cur = stage.cursor()
    problems = {}
    for i, (name, data) in enumerate(files):
        progress(0.2 + 0.1 * i, f"Checking {name}…")
        problems[name] = _stage_file(cur, i, name, data)
    raise_if_any(problems)
    progress(0.35, "Classifying invoice lines…")
    _classify(cur, len(files), [name for name, _ in files])
    progress(0.45, "Building orders, products and customers…")
    _build_tables(cur)
    dropped = [("order_lines", reason, n) for reason, n in cur.execute(
        "SELECT reason, count(*) FROM or_lines WHERE reason IS NOT NULL "
        "GROUP BY reason ORDER BY 2 DESC").fetchall()]
    as_of = cur.execute("SELECT max(order_ts)::DATE FROM out_orders").fetchall()[0][0]
    return Payload(["customers", "products", "orders", "order_lines"],
                   {"country": "VARCHAR"}, dropped, ", ".join(n for n, _ in files),
                   None if as_of is None else as_of.isoformat())
