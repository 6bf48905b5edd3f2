"""Page tests run app.py in-process against a data folder of their own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import make_tiny_shop


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data folder the app uses instead of the repository's data/."""
    folder = tmp_path / "data"
    folder.mkdir()
    monkeypatch.setenv("PROMO_LAB_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def tiny_app(data_dir: Path) -> Path:
    """The data folder with the hand-made tiny shop as its demo database."""
    make_tiny_shop(data_dir / "demo.duckdb")
    return data_dir


def copy_db(source: Path, data_dir: Path) -> Path:
    target = data_dir / "demo.duckdb"
    shutil.copy(source, target)
    return target


APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run_app(page: str | None = None, timeout: float = 60) -> AppTest:  # noqa: F821
    """Run app.py (AppTest resolves relative paths against the caller), then a page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    assert not at.exception, at.exception
    return at


def frame_with_column(at, column: str):
    """The first st.dataframe showing ``column`` (read-only tables carry no key)."""
    for df in at.dataframe:
        if column in df.value.columns:
            return df.value
    raise AssertionError(f"no table with a '{column}' column on the page")
