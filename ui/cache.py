"""Every st.cache_* of the app lives here, keyed by small hashable inputs.

``cache_resource`` holds only the database connections (never mutated by callers:
promo_core works on cursors). ``cache_data`` holds frames keyed by
(database path, data version, …), so an import or rebuild invalidates them.
"""

from __future__ import annotations

import json
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import streamlit as st

from promo_core import db, explain, overview, profiles, uplift
from promo_core import depth_curve as dc
from promo_core import economics as eco
from promo_core import experiments as ex
from promo_core import forecast as fc
from promo_core.segments import affinity, clusters, rfm, store
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


# --- Scenarios page (forecasts shared with Plans) ---------------------------------------
# Forecasts are the expensive step and are
# keyed by (data set, version, model, as-of, promotion): a slider never recomputes them.
@st.cache_resource(max_entries=4, show_spinner=False)
def load_model(path: str, version: str, model_id: int) -> uplift.UpliftModel:
    """A saved uplift model (LightGBM boosters): a resource, never mutated by pages."""
    return uplift.load_model(get_connection(path), model_id)


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Computing customer profiles…")
def load_features(path: str, version: str, as_of) -> pd.DataFrame:
    return profiles.compute_profiles(get_connection(path), as_of)


@st.cache_data(max_entries=4, ttl=3600)
def load_shop_rates(path: str, version: str, as_of) -> tuple[float, float]:
    con = get_connection(path)
    return eco.estimate_margin_rate(con, as_of), eco.estimate_basket_sigma(con, as_of)


@st.cache_data(max_entries=48, ttl=3600, show_spinner="Forecasting every customer…")
def load_forecast(path: str, version: str, model_id: int, as_of, key: str,
                  promo: dict) -> fc.CustomerForecast:
    model = load_model(path, version, model_id)
    return fc.forecast_customers(model, load_features(path, version, as_of), promo)


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Forecasting each depth…")
def load_depth_forecasts(path: str, version: str, model_id: int, as_of,
                         template_key: str, template: dict) -> dict:
    model = load_model(path, version, model_id)
    return dc.depth_forecasts(model, load_features(path, version, as_of), template)


@st.cache_data(max_entries=8, ttl=3600)
def load_segment_members(path: str, version: str) -> dict[str, np.ndarray]:
    con = get_connection(path)
    segs = store.list_segments(con)
    return {r.name: store.segment_members(con, int(r.segment_id)).to_numpy()
            for r in segs.itertuples()}


# --- Explanations page ---------------------------------------------------------------
# Keyed by (data set, version, model, …):
# the model and explainers hold LightGBM boosters, so they are resources; the
# explanations are frames and arrays, so they are data.
@st.cache_data(max_entries=8, ttl=3600, show_spinner=False)
def load_labels(path: str, version: str) -> dict[str, str]:
    return {k: f.label for k, f in profiles.feature_registry(get_connection(path)).items()}


@st.cache_resource(max_entries=8, show_spinner=False)
def get_explainer(path: str, version: str, model_id: int, arm: int, as_of
                  ) -> explain.UpliftExplainer:
    feats = load_features(path, version, as_of)
    return explain.build_explainer(load_model(path, version, model_id), feats, arm)


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def load_explanation(path: str, version: str, model_id: int, arm: int, as_of, max_rows: int,
                     segment_id: int | None = None) -> explain.UpliftExplanation:
    feats = load_features(path, version, as_of)
    if segment_id is not None:
        members = store.segment_members(get_connection(path), segment_id)
        feats = feats[feats.customer_id.isin(members)]
    rows, sampled = explain.sample_frame(feats, max_rows)
    return get_explainer(path, version, model_id, arm, as_of).explain(
        rows, n_population=len(feats), sampled=sampled)
