"""Where the product keeps its files: under the repository's data/, or under
``$PROMO_LAB_DATA_DIR`` when set (tests point it at a temporary folder).

The names are resolved on every access (module ``__getattr__``), so setting the
variable at any time takes effect; use them as ``paths.DEMO_DB``, not
``from promo_core.paths import DEMO_DB``.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

_UNDER_DATA_DIR = {
    "DEMO_DB": "demo.duckdb",
    "DATASETS_DIR": "datasets",
    "MODELS_DIR": "models",
    "EXPORTS_DIR": "exports",
}


def data_dir() -> Path:
    return Path(os.environ.get("PROMO_LAB_DATA_DIR") or REPO_ROOT / "data")


def __getattr__(name: str) -> Path:
    if name == "DATA_DIR":
        return data_dir()
    if name in _UNDER_DATA_DIR:
        return data_dir() / _UNDER_DATA_DIR[name]
    raise AttributeError(name)


def dataset_path(name: str) -> Path:
    """The DuckDB file of an imported data set called ``name`` (a safe slug)."""
    return data_dir() / "datasets" / f"{name}.duckdb"
