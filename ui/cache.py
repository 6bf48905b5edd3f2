"""Every st.cache_* of the app lives here, keyed by small hashable inputs.

``cache_resource`` holds only the database connections (never mutated by callers:
promo_core works on cursors). ``cache_data`` holds frames keyed by
(database path, data version, …), so an import or rebuild invalidates them.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import pandas as pd
import streamlit as st

from promo_core import db, overview, profiles
from promo_core import experiments as ex
from promo_core.segments import affinity, clusters, rfm
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


# --- Segments page -------------------------------------------------------------------
@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_feature_registry(path: str, version: str) -> dict[str, profiles.Feature]:
    return profiles.feature_registry(get_connection(path))


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def load_profile_frame(path: str, version: str, as_of: date, table: str) -> pd.DataFrame:
    return profiles.load_profiles(get_connection(path), table)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_rfm(path: str, version: str, as_of: date, table: str, groups_json: str) -> pd.DataFrame:
    groups = [rfm.RfmGroup(g["name"], tuple(g["r"]), tuple(g["f"]), tuple(g["m"]))
              for g in json.loads(groups_json)]
    return rfm.compute_rfm(get_connection(path), table, groups)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_k_choice(path: str, version: str, as_of: date, table: str,
              features: tuple[str, ...]) -> pd.DataFrame:
    df = load_profile_frame(path, version, as_of, table)
    return clusters.choose_k(df, features, load_feature_registry(path, version), ks=range(2, 9))


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_clusters(path: str, version: str, as_of: date, table: str, features: tuple[str, ...],
              k: int) -> clusters.ClusterResult:
    df = load_profile_frame(path, version, as_of, table)
    return clusters.fit_clusters(df, features, load_feature_registry(path, version), k=k, seed=0)


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def load_affinity(path: str, version: str, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = get_connection(path)
    return affinity.affinity_summary(con, as_of), affinity.category_pairs(con, as_of)


# --- Experiments page ----------------------------------------------------------------
@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_promotions_with_control(path: str, version: str) -> pd.DataFrame:
    return ex.list_promotions_with_control(get_connection(path))


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Loading outcomes…")
def load_promotion_outcomes(path: str, version: str, promo_id: int) -> pd.DataFrame:
    return ex.load_promotion_outcomes(get_connection(path), promo_id)


@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def load_uploaded_test(data: bytes, name: str) -> pd.DataFrame:
    return ex.read_uploaded_table(data, name)


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Computing the readout…")
def compute_readout(df: pd.DataFrame, spec: dict) -> pd.DataFrame:
    return ex.compute_readout(df, **spec)


@st.cache_data(max_entries=16, ttl=3600, show_spinner="Simulating…")
def simulate_bandits(rates: tuple, names: tuple, policies: tuple, settings: dict):
    return ex.compare_policies(list(rates), policies, arm_names=list(names), **settings)
