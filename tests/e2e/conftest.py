"""Real-browser tests: a `streamlit run app.py` server on a free port, driven by
Playwright on Debian's /usr/bin/chromium (no browser download).

The server uses its own data folder with a small demo shop, so the repository's
data/ is never touched. Screenshots go to tests/e2e/screenshots/.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO_ROOT / "tests" / "e2e" / "screenshots"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _build_small_demo(path: Path) -> None:
    try:
        from promo_core.demo import build_demo
    except ImportError:  # generator not there: fall back to the hand-made shop
        from tests.conftest import make_tiny_shop

        make_tiny_shop(path)
        return
    build_demo(path, customers=2_000, seed=11)


@pytest.fixture(scope="session")
def e2e_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("e2e_data")
    _build_small_demo(folder / "demo.duckdb")
    return folder


@contextlib.contextmanager
def serve_app(data_dir: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port over ``data_dir``; yields its URL."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run the README's test command, which installs it")
    port = _free_port()
    env = {**os.environ, "PROMO_LAB_DATA_DIR": str(data_dir), "PYTHONPATH": str(REPO_ROOT)}
    with open(data_dir / "server.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:  # noqa: S310
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            proc.kill()
            pytest.fail(f"streamlit did not become healthy in 60 s; see {data_dir}/server.log")
        try:
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def app_url(e2e_data_dir: Path) -> Iterator[str]:
    with serve_app(e2e_data_dir) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser, app_url: str) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


def wait_for_app(page, timeout: float = 120_000) -> None:
    """Wait until Streamlit has finished running the script (no 'running' widget)."""
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
        timeout=timeout,
    )


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
