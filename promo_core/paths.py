"""Where the product keeps its files. Everything lives under the repository's data/."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("PROMO_LAB_DATA_DIR", REPO_ROOT / "data"))
DEMO_DB = DATA_DIR / "demo.duckdb"
DATASETS_DIR = DATA_DIR / "datasets"
MODELS_DIR = DATA_DIR / "models"
EXPORTS_DIR = DATA_DIR / "exports"


def dataset_path(name: str) -> Path:
    """The DuckDB file of an imported data set called ``name`` (a safe slug)."""
    return DATASETS_DIR / f"{name}.duckdb"
