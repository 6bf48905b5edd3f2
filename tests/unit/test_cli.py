"""The command line, as a scheduler would call it: exit codes and messages."""

import subprocess
import sys

import pytest

from promo_core import cli, db
from tests.conftest import REPO_ROOT, shared_file


def run(*args: str, env_dir) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "promo_core", *args], cwd=REPO_ROOT, capture_output=True,
        text=True, env={"PROMO_LAB_DATA_DIR": str(env_dir), "PATH": "/usr/bin:/bin"},
        timeout=300,
    )


def test_demo_build_then_info(tmp_path):
    target = tmp_path / "demo.duckdb"
    r = run("demo", "build", "--customers", "1500", "--path", str(target), env_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "customers" in r.stdout and target.exists()
    again = run("demo", "build", "--path", str(target), "--if-missing", env_dir=tmp_path)
    assert again.returncode == 0 and "already built" in again.stdout
    refused = run("demo", "build", "--path", str(target), env_dir=tmp_path)
    assert refused.returncode == cli.EXIT_BAD_INPUT and "--force" in refused.stderr
    info = run("info", "--path", str(target), env_dir=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "1,500 customers" in info.stdout


def test_import_of_a_broken_file_exits_2_and_writes_nothing(tmp_path):
    bad = tmp_path / "orders.csv"
    bad.write_text("order_id,customer_id,order_ts,revenue\n1,1,not a date,10\n2,1,2024-01-02,-5\n")
    r = run("import", "--name", "Broken", "--table", f"orders={bad}", env_dir=tmp_path)
    assert r.returncode == cli.EXIT_BAD_INPUT
    assert "orders.csv" in r.stderr and "Nothing was written" in r.stderr
    assert not (tmp_path / "datasets" / "broken.duckdb").exists()


def test_import_hillstrom_preset(tmp_path):
    source = shared_file("hillstrom-email-analytics", "hillstrom.csv")
    r = run("import", "--name", "Hillstrom", "--preset", "hillstrom", str(source),
            env_dir=tmp_path)
    assert r.returncode == 0, r.stderr
    con = db.connect(tmp_path / "datasets" / "hillstrom.duckdb", read_only=True)
    assert db.row_counts(con)["customers"] == 64_000
    again = run("import", "--name", "Hillstrom", "--preset", "hillstrom", str(source),
                env_dir=tmp_path)
    assert again.returncode == cli.EXIT_BAD_INPUT and "--replace" in again.stderr


@pytest.mark.parametrize("argv", [["info", "--path", "/nonexistent/x.duckdb"]])
def test_missing_database_is_a_clear_error(argv, capsys):
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    assert "no database at" in capsys.readouterr().err
