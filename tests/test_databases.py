"""Rosters and overlap pairs read from SQLite and PostgreSQL give the same portfolio as CSV."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import yaml

from optimizer import InputError, load_scenario, solve
from optimizer.generate import write_sample

sqlalchemy = pytest.importorskip("sqlalchemy")

BASE = {
    "name": "database",
    "budget": 6000,
    "objective": {"reach": 0.01, "engagement": 0.05, "conversions": 20},
    "constraints": {"max_influencers": 10, "max_pair_overlap": 0.3},
    "solver": {"gap": 0},
}


def _solve(folder: Path, roster: object, overlap: object) -> list[str]:
    path = folder / f"s{abs(hash(str(roster))) % 10**8}.yaml"
    path.write_text(yaml.safe_dump({**BASE, "roster": roster, "overlap": overlap}))
    result = solve(load_scenario(path))
    assert result.solved
    return sorted(result.selected)


def _load_tables(url: str, folder: Path) -> None:
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as connection:
        pd.read_csv(folder / "roster.csv", dtype=str).to_sql(
            "creators", connection, if_exists="replace", index=False
        )
        pd.read_csv(folder / "overlap.csv").to_sql(
            "pairs", connection, if_exists="replace", index=False
        )
    engine.dispose()


def test_sqlite_gives_the_same_portfolio_as_csv(tmp_path: Path) -> None:
    write_sample(tmp_path, n=80, seed=11)
    _load_tables(f"sqlite:///{tmp_path / 'agency.db'}", tmp_path)
    from_csv = _solve(tmp_path, "roster.csv", "overlap.csv")
    relative = "sqlite:///agency.db"  # resolved against the scenario's folder
    from_table = _solve(
        tmp_path, {"url": relative, "table": "creators"}, {"url": relative, "table": "pairs"}
    )
    from_query = _solve(
        tmp_path,
        {"url": relative, "query": "select * from creators"},
        {"url": relative, "query": "select a, b, shared from pairs"},
    )
    assert from_csv == from_table == from_query
    assert from_csv


def test_missing_table_is_a_clear_input_error(tmp_path: Path) -> None:
    write_sample(tmp_path, n=10, seed=1)
    _load_tables(f"sqlite:///{tmp_path / 'agency.db'}", tmp_path)
    path = tmp_path / "bad.yaml"
    scenario = {**BASE, "roster": {"url": "sqlite:///agency.db", "table": "creatorz"}}
    path.write_text(yaml.safe_dump(scenario))
    with pytest.raises(InputError) as caught:
        solve(load_scenario(path))
    text = str(caught.value)
    assert "creatorz" in text and "roster.table" in text


def test_url_and_file_together_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "both.yaml"
    roster = {"file": "r.csv", "url": "sqlite:///x.db", "table": "t"}
    path.write_text(yaml.safe_dump({**BASE, "roster": roster}))
    with pytest.raises(InputError, match="exactly one of file"):
        load_scenario(path)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL server: INFLOPT_TEST_POSTGRES_URL, or a private one started here."""
    given = os.environ.get("INFLOPT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not binaries:
        pytest.skip("no PostgreSQL server binaries (.ci/run installs Debian's postgresql)")
    bin_dir = Path(binaries[-1]).parent
    as_user: list[str] = []
    if os.geteuid() == 0:  # initdb refuses root: run the server as the postgres user
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: cannot start PostgreSQL")
        as_user = ["runuser", "-u", "postgres", "--"]
    data = Path(tempfile.mkdtemp(prefix="inflopt-pg-"))
    os.chmod(data, 0o777)
    cluster = data / "cluster"
    port = _free_port()
    try:
        subprocess.run(
            [
                *as_user,
                str(bin_dir / "initdb"),
                "-D",
                str(cluster),
                "--auth=trust",
                "-U",
                "postgres",
            ],
            check=True,
            capture_output=True,
        )
        options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1"
        pg_ctl = [str(bin_dir / "pg_ctl"), "-D", str(cluster), "-l", str(data / "server.log")]
        subprocess.run(
            [*as_user, *pg_ctl, "-o", options, "-w", "start"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(f"could not start a PostgreSQL server: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(cluster), "-m", "fast", "stop"],
            capture_output=True,
        )
        shutil.rmtree(data, ignore_errors=True)


def test_postgresql_gives_the_same_portfolio_as_csv(tmp_path: Path, postgres_url: str) -> None:
    pytest.importorskip("psycopg")
    write_sample(tmp_path, n=80, seed=12)
    _load_tables(postgres_url, tmp_path)
    from_csv = _solve(tmp_path, "roster.csv", "overlap.csv")
    from_pg = _solve(
        tmp_path,
        {"url": postgres_url, "table": "creators"},
        {"url": postgres_url, "query": "select a, b, shared from pairs"},
    )
    assert from_csv == from_pg
    assert from_csv


def test_a_batch_never_reuses_a_result_read_from_a_database(tmp_path: Path) -> None:
    """The task key sees files by content but a database only by its URL: after the table
    changed, the stored answer was reused as if fresh (and two folders with their own
    `sqlite:///agency.db` shared one key)."""
    from click.testing import CliRunner

    import cli

    write_sample(tmp_path, n=40, seed=5)
    _load_tables(f"sqlite:///{tmp_path / 'agency.db'}", tmp_path)
    path = tmp_path / "db.yaml"
    roster = {"url": "sqlite:///agency.db", "table": "creators"}
    path.write_text(yaml.safe_dump({**BASE, "roster": roster, "overlap": "overlap.csv"}))
    args = ["batch", str(path), "--workers", "1", "--results", str(tmp_path / "results")]
    first = CliRunner().invoke(cli.main, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    engine = sqlalchemy.create_engine(f"sqlite:///{tmp_path / 'agency.db'}")
    with engine.begin() as connection:  # now nobody is affordable
        connection.exec_driver_sql("update creators set cost = '999999'")
    engine.dispose()
    again = CliRunner().invoke(cli.main, [*args, "--format", "json"])
    assert again.exit_code == 0, again.output
    (before,), (after,) = yaml.safe_load(first.stdout), yaml.safe_load(again.stdout)
    assert before["selected"] and not after["selected"]
    assert after["batch"]["cached"] is False
