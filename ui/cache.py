"""Every st.cache_* of the app lives here, keyed by small hashable inputs.

``cache_resource`` holds only the database connections (never mutated by callers:
promo_core works on cursors). ``cache_data`` holds frames keyed by
(database path, data version, …), so an import or rebuild invalidates them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import streamlit as st

from promo_core import db, overview
from ui import state


@st.cache_resource(max_entries=8)
def get_connection(path: str) -> duckdb.DuckDBPyConnection:
    """One read-write connection per data set file and process."""
    return db.connect(path)


def active_path() -> str:
    if state.ACTIVE_DATASET not in st.session_state:  # page run without app.py
        from ui import widgets

        widgets.init_session()
    return st.session_state[state.ACTIVE_DATASET]


def active_connection() -> duckdb.DuckDBPyConnection:
    return get_connection(active_path())


def active_version() -> str:
    """The active data set's data version: pass it, with the path, to cached loaders
    so that an import or rebuild invalidates them."""
    return db.data_version(active_connection())


def forget_connection(path: str) -> None:
    """Close and drop a cached connection (before a data set file is replaced)."""
    get_connection(path).close()
    get_connection.clear(path)


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_table_summary(path: str, version: str) -> pd.DataFrame:
    return overview.table_summary(get_connection(path))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_kpis(path: str, version: str) -> dict:
    return overview.headline_kpis(get_connection(path))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_monthly_sales(path: str, version: str) -> pd.DataFrame:
    return overview.monthly_sales(get_connection(path))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_orders_per_customer(path: str, version: str) -> pd.DataFrame:
    return overview.orders_per_customer(get_connection(path))


@st.cache_data(max_entries=32, ttl=3600, show_spinner=False)
def load_quality_report(path: str, version: str) -> pd.DataFrame:
    return overview.quality_report(get_connection(path))


def dataset_label(path: str) -> str:
    return "Demo shop" if Path(path).stem == "demo" else Path(path).stem
