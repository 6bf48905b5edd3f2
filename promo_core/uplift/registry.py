"""Saved models: LightGBM text files plus a JSON card, listed in the ``models`` table.

A model is a folder ``<MODELS_DIR>/<model_id>-<learner>-<outcome>/`` holding
``card.json`` and one ``m<member>_<booster>.txt`` per booster (LightGBM's own format;
no pickles, so a file can be read without running code). ``models.path`` stores the
folder name relative to ``MODELS_DIR`` so a data folder can be moved.

The champion — the model forecasts use — is recorded in ``meta`` under
``uplift.champion`` (``models`` has no flag column yet; see the package docstring).
"""

from __future__ import annotations

import json
import platform
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import lightgbm as lgb
import numpy as np
import pandas as pd

from promo_core import db, paths, profiles
from promo_core.uplift.model import FeatureMismatchError, UpliftModel

CHAMPION_KEY = "uplift.champion"
KIND_PREFIX = "uplift"
_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def _versions() -> dict[str, str]:
    import duckdb as _duckdb
    import sklearn

    return {"python": platform.python_version(), "lightgbm": lgb.__version__,
            "numpy": np.__version__, "pandas": pd.__version__, "duckdb": _duckdb.__version__,
            "scikit-learn": sklearn.__version__}


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def model_card(model: UpliftModel) -> dict:
    """Everything needed to rebuild the model around its booster files."""
    return {
        "learner": model.learner, "outcome": model.outcome, "kind": model.kind,
        "feature_columns": model.feature_columns,
        "promotion_columns": model.promotion_columns, "categories": model.categories,
        "arms": {str(k): v for k, v in model.arms.items()},
        "treated_share": {str(k): v for k, v in model.treated_share.items()},
        "seen_depths": model.seen_depths, "config": model.config,
        "seed": model.config.get("seed"), "metrics": model.metrics,
        "boosters": [sorted(m) for m in model.members],
        "info": model.info, "versions": _versions(),
    }


def save_model(con: duckdb.DuckDBPyConnection, model: UpliftModel, *,
               as_of: str | None = None, name: str | None = None) -> int:
    """Write the model's files and its ``models`` row; return the new ``model_id``.

    The card records the data fingerprint (:func:`promo_core.db.fingerprint`) and
    ``as_of`` so a later load can tell whether the data have changed since.
    """
    cur = con.cursor()
    model_id = int(cur.execute("SELECT coalesce(max(model_id), 0) + 1 FROM models")
                   .fetchone()[0])
    fingerprint = db.fingerprint(con)
    created = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    model.info = {**model.info, "model_id": model_id, "fingerprint": fingerprint,
                  "as_of": as_of, "created_at": created.isoformat(),
                  "name": name or model.name}
    folder_name = _SAFE.sub("_", f"{model_id}-{model.learner}-{model.outcome}")
    folder = paths.MODELS_DIR / folder_name
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    try:
        for i, member in enumerate(model.members):
            for key, booster in member.items():
                booster.save_model(str(folder / f"m{i}_{key}.txt"))
        card = model_card(model)
        (folder / "card.json").write_text(json.dumps(card, indent=1, default=_json_default))
        with db.transaction(con) as tx:
            tx.execute("INSERT INTO models VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
                model_id, model.info["name"], f"{KIND_PREFIX}:{model.learner}:{model.outcome}",
                created, json.dumps(card["config"], default=_json_default),
                json.dumps(model.metrics, default=_json_default), fingerprint, folder_name])
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-written
        raise
    return model_id


def list_models(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Saved uplift models, newest first, with ``is_champion``."""
    df = con.cursor().execute(
        "SELECT model_id, name, kind, created_at, metrics, fingerprint, path FROM models "
        "WHERE kind LIKE ? ORDER BY model_id DESC", [f"{KIND_PREFIX}:%"]).df()
    champ = champion_id(con)
    df["is_champion"] = df.model_id == champ
    return df


def load_model(con: duckdb.DuckDBPyConnection, model_id: int, *, check: bool = True
               ) -> UpliftModel:
    """Read a saved model back. With ``check``, its features must exist in this data set."""
    row = con.cursor().execute("SELECT path FROM models WHERE model_id = ? AND kind LIKE ?",
                               [int(model_id), f"{KIND_PREFIX}:%"]).fetchone()
    if row is None:
        raise ValueError(f"no saved uplift model with id {model_id}")
    folder = paths.MODELS_DIR / row[0]
    model = load_model_folder(folder)
    if check:
        check_features(con, model)
    model.info["stale"] = model.info.get("fingerprint") != db.fingerprint(con)
    return model


def load_model_folder(folder: Path) -> UpliftModel:
    card_file = folder / "card.json"
    if not card_file.exists():
        raise FileNotFoundError(f"model files are missing: {card_file} (was data/models "
                                "moved or deleted?)")
    card = json.loads(card_file.read_text())
    members = [{key: lgb.Booster(model_file=str(folder / f"m{i}_{key}.txt")) for key in keys}
               for i, keys in enumerate(card["boosters"])]
    return UpliftModel(
        learner=card["learner"], outcome=card["outcome"], kind=card["kind"],
        feature_columns=card["feature_columns"], promotion_columns=card["promotion_columns"],
        categories=card["categories"], arms=card["arms"], treated_share=card["treated_share"],
        seen_depths=card["seen_depths"], config=card["config"], members=members,
        metrics=card["metrics"], info=card["info"])


def check_features(con: duckdb.DuckDBPyConnection, model: UpliftModel) -> None:
    """Raise :class:`FeatureMismatchError` if this data set lacks the model's features."""
    available = set(profiles.feature_registry(con))
    missing = [c for c in model.feature_columns if c not in available]
    if missing:
        raise FeatureMismatchError(
            f"model {model.info.get('model_id', '')} was trained on features this data set "
            f"does not have: {', '.join(missing[:8])}{' …' if len(missing) > 8 else ''}. "
            "Retrain on this data set or pick another model.")


def set_champion(con: duckdb.DuckDBPyConnection, model_id: int) -> None:
    """Mark a saved model as the one forecasts use."""
    exists = con.cursor().execute("SELECT count(*) FROM models WHERE model_id = ? AND kind "
                                  "LIKE ?", [int(model_id), f"{KIND_PREFIX}:%"]).fetchone()[0]
    if not exists:
        raise ValueError(f"no saved uplift model with id {model_id}")
    db.set_meta(con, CHAMPION_KEY, str(int(model_id)))


def champion_id(con: duckdb.DuckDBPyConnection) -> int | None:
    value = db.get_meta(con, CHAMPION_KEY)
    return int(value) if value else None


def load_champion(con: duckdb.DuckDBPyConnection) -> UpliftModel | None:
    """The champion model, or None when none has been chosen."""
    model_id = champion_id(con)
    return None if model_id is None else load_model(con, model_id)
