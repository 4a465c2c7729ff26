"""Bad input at the command line: a clear message and exit code 2 (1 when not solved), never a
traceback, never a silently wrong answer; nothing is written when the input is refused.

Everything the CLI writes goes into ``tmp_path``.
"""

from __future__ import annotations

import json
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result
from conftest import make_scenario

import cli
from optimizer.generate import write_sample
from optimizer.tasks import Task

PLAIN = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}


def run(*args: str | Path) -> Result:
    """Invoke ``inflopt ARGS``; fail at once on a crash that CliRunner would swallow."""
    result = CliRunner().invoke(cli.main, [str(a) for a in args], env=PLAIN)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
    assert "Traceback" not in result.stderr, result.stderr  # JSON on stdout may hold one
    return result


def describe(result: Result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def sample_scenario(folder: Path, name: str = "scenario.yaml", **extra: Any) -> Path:
    """A 30-influencer seeded sample in ``folder`` and a scenario file using it."""
    write_sample(folder, 30, 5)
    data = {
        "name": "input errors",
        "roster": "roster.csv",
        "overlap": "overlap.csv",
        "budget": 3000,
        "objective": {"engagement": 0.05, "conversions": 20},
        "constraints": {"max_influencers": 5},
        **extra,
    }
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_scenario(tmp_path_factory.mktemp("sample"))


# ---------------------------------------------------------------- batch with nothing to run


@pytest.mark.parametrize(
    ("paths", "problem"),
    [
        (["nope.yaml"], "nope.yaml: no scenario files"),
        (["empty"], "empty: no scenario files"),
        (["zz*.yaml"], "zz*.yaml: no scenario files"),
        (["roster.csv"], "roster.csv: scenario files must end in .yaml, .yml or .toml"),
        (["scenario.yaml", "--strategies", "nope"], "strategies.nope: no such strategy"),
    ],
)
def test_a_batch_without_tasks_reports_its_problems_and_exits_2(
    sample: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: list[str], problem: str
) -> None:
    monkeypatch.chdir(sample.parent)
    (sample.parent / "empty").mkdir(exist_ok=True)
    result = run("batch", *paths, "--results", tmp_path / "results")
    assert result.exit_code == 2, describe(result)
    assert problem in result.stderr
    assert "cli: PATHS: no tasks to run" in result.stderr


# ---------------------------------------------------------------- failed tasks


def test_a_task_with_bad_input_shows_its_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The roster disappears after the tasks are planned: each task names the missing file."""
    path = sample_scenario(tmp_path)
    run_many = cli._run_many

    def lose_the_roster(*args: Any) -> list:
        (tmp_path / "roster.csv").unlink()
        return run_many(*args)

    monkeypatch.setattr(cli, "_run_many", lose_the_roster)
    args = ["--budget", "2k,3k", "--strategies", "base", "--workers", "1"]
    result = run("sweep", path, *args, "--results", tmp_path / "results")
    assert result.exit_code == 2, describe(result)
    lines = result.stderr.splitlines()
    for budget in ("2000", "3000"):
        line = f"task scenario.yaml base budget={budget}: {tmp_path / 'roster.csv'}: "
        assert any(text.startswith(line) and "not found" in text for text in lines), lines


def test_a_sweep_checks_its_roster_once_before_any_point(tmp_path: Path) -> None:
    """A bad cell gave one identical error per grid point (400 for 100 budgets × 4
    strategies), after starting every task."""
    path = sample_scenario(tmp_path)
    roster = pd.read_csv(tmp_path / "roster.csv", dtype=str)
    roster.loc[1, "followers"] = "abc"
    roster.to_csv(tmp_path / "roster.csv", index=False)
    args = ["--budget", "2k,3k,4k", "--workers", "1", "--results", tmp_path / "results"]
    result = run("sweep", path, *args)
    assert result.exit_code == 2, describe(result)
    assert result.stderr == (
        "error: 1 problem found\n"
        f"  {tmp_path / 'roster.csv'}: row 3, column followers: 'abc' is not a number\n"
    )
    assert not (tmp_path / "results").exists()


@pytest.fixture
def crashing_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every task reaches its worker broken (no base folder), so the worker raises TypeError."""
    run_many = cli._run_many

    def broken(tasks: list[Task], *args: Any) -> list:
        return run_many([replace(task, base_dir=None) for task in tasks], *args)

    monkeypatch.setattr(cli, "_run_many", broken)


def _path_of_none() -> str:
    """What the worker's ``Path(None)`` raises, as this Python words it."""
    try:
        Path(None)  # type: ignore[arg-type]
    except TypeError as exc:
        return f"TypeError: {exc}"
    raise AssertionError("Path(None) did not raise")


CRASH = _path_of_none()


@pytest.mark.usefixtures("crashing_tasks")
def test_a_crashed_sweep_task_is_one_line_on_stderr_and_a_traceback_in_json(
    sample: Path, tmp_path: Path
) -> None:
    args = ["--budget", "2k", "--strategies", "base", "--workers", "1", "--format", "json"]
    result = run("sweep", sample, *args, "--results", tmp_path / "results")
    assert result.exit_code == 3, describe(result)
    assert result.stderr == f"task scenario.yaml base budget=2000 failed: {CRASH}\n"
    (record,) = json.loads(result.stdout)
    assert record["error"] == CRASH
    assert record["traceback"].startswith("Traceback (most recent call last)")
    assert record["traceback"].rstrip().endswith(CRASH)


@pytest.mark.usefixtures("crashing_tasks")
def test_a_crashed_batch_task_is_one_line_on_stderr_and_a_traceback_in_json(
    sample: Path, tmp_path: Path
) -> None:
    args = ["--strategies", "base", "--workers", "1"]
    result = run("batch", sample, *args, "--results", tmp_path / "results", "--format", "json")
    assert result.exit_code == 3, describe(result)
    assert result.stderr == f"task scenario.yaml base failed: {CRASH}\n"
    (record,) = json.loads(result.stdout)
    assert record["batch"]["error"] == CRASH
    assert record["batch"]["traceback"].startswith("Traceback (most recent call last)")

    result = run("batch", sample, *args, "--results", tmp_path / "results")
    assert result.exit_code == 3, describe(result)
    assert result.stderr == f"task scenario.yaml base failed: {CRASH}\n"


@pytest.mark.usefixtures("crashing_tasks")
def test_bad_input_outranks_a_crash_in_the_exit_code(sample: Path, tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("budget: [\n", encoding="utf-8")
    paths = [sample, tmp_path / "broken.yaml"]
    args = ["--strategies", "base", "--workers", "1", "--results", tmp_path / "results"]
    result = run("batch", *paths, *args)
    assert result.exit_code == 2, describe(result)
    assert f"task scenario.yaml base failed: {CRASH}" in result.stderr


# ---------------------------------------------------------------- generate and overlap build


def test_generate_refuses_a_roster_path_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "roster.csv").mkdir()
    result = run("generate", tmp_path, "-n", "5", "--force")
    assert result.exit_code == 2, describe(result)
    assert f"{tmp_path / 'roster.csv'}: is a folder, not a file" in result.stderr
    assert not (tmp_path / "overlap.csv").exists()


def test_generate_into_a_folder_under_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("mine\n", encoding="utf-8")
    result = run("generate", tmp_path / "file" / "sub", "-n", "5")
    assert result.exit_code == 2, describe(result)
    assert f"{tmp_path / 'file' / 'sub'}: cannot write: Not a directory" in result.stderr


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--seed", "-1", "-1 is not in the range x>=0"),
        ("--degree", "nan", "'nan' is not a finite number"),
        ("--degree", "inf", "'inf' is not a finite number"),
    ],
)
def test_generate_refuses_bad_numbers_and_creates_nothing(
    tmp_path: Path, option: str, value: str, message: str
) -> None:
    folder = tmp_path / "gen"
    result = run("generate", folder, "-n", "5", option, value)
    assert result.exit_code == 2, describe(result)
    assert f"Invalid value for '{option}'" in result.stderr
    assert message in result.stderr
    assert not folder.exists()


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_overlap_build_refuses_a_non_finite_weight(tmp_path: Path, value: str) -> None:
    samples = tmp_path / "samples.csv"
    samples.write_text("influencer,follower\na,1\nb,1\n", encoding="utf-8")
    folder = tmp_path / "out"
    result = run("overlap", "build", samples, "-o", folder, "--weight", value)
    assert result.exit_code == 2, describe(result)
    assert "Invalid value for '--weight'" in result.stderr
    assert not folder.exists()


@pytest.mark.parametrize(
    ("option", "value"),
    [("--knee-threshold", "nan"), ("--knee-threshold", "inf"), ("--task-limit", "nan")],
)
def test_sweep_refuses_non_finite_numbers(
    sample: Path, tmp_path: Path, option: str, value: str
) -> None:
    results = tmp_path / "results"
    result = run("sweep", sample, "--budget", "2k", option, value, "--results", results)
    assert result.exit_code == 2, describe(result)
    assert f"Invalid value for '{option}': '{value}' is not a finite number" in result.stderr
    assert not results.exists()


def test_sweep_refuses_a_negative_knee_threshold(sample: Path, tmp_path: Path) -> None:
    results = tmp_path / "results"
    args = ["--budget", "2k", "--knee-threshold", "-3", "--results", results]
    result = run("sweep", sample, *args)
    assert result.exit_code == 2, describe(result)
    assert "Invalid value for '--knee-threshold': -3.0 is not in the range x>=0" in result.stderr
    assert not results.exists()


# ---------------------------------------------------------------- explain an infeasible scenario


def test_explain_says_the_scenario_itself_has_no_portfolio(tmp_path: Path) -> None:
    write_sample(tmp_path, 30, 5)
    first = str(pd.read_csv(tmp_path / "roster.csv")["id"].iloc[0])
    path = sample_scenario(tmp_path, budget=50, constraints={"include": [first]})
    result = run("explain", path, "-i", first)
    assert result.exit_code == 1, describe(result)
    assert "the scenario itself has no portfolio (base scenario, status infeasible)" in (
        result.stdout
    )
    assert "include list costs" in result.stdout
    assert "NOT in the portfolio" not in result.stdout
    assert "forcing it" not in result.stdout

    result = run("explain", path, "-i", first, "--format", "json")
    assert result.exit_code == 1, describe(result)
    answer = json.loads(result.stdout)
    assert answer["base_status"] == "infeasible"
    assert answer["forced"] is None and answer["forced_status"] is None


# ---------------------------------------------------------------- Sainsbury segment sizes


@pytest.mark.parametrize("size", ["inf", "1e400"])
def test_sainsbury_refuses_a_non_finite_segment_size(tmp_path: Path, size: str) -> None:
    roster = pd.DataFrame(
        {
            "id": ["c0", "c1"],
            "followers": [3000, 6000],
            "cost": [100, 200],
            "platform": "instagram",
            "niche": "beauty",
            "expected_reach": [1000, 2000],
            "expected_engagement": [10, 20],
            "expected_conversions": 1.0,
        }
    )
    (tmp_path / "shares.csv").write_text("influencer,segment,share\nc0,s1,0.5\nc1,s2,0.5\n")
    sizes = tmp_path / "sizes.csv"
    sizes.write_text(f"segment,size\ns1,{size}\ns2,50000\n")
    reach = {
        "method": "sainsbury",
        "segments": str(tmp_path / "shares.csv"),
        "segment_sizes": str(sizes),
    }
    scenario = make_scenario(
        tmp_path, roster, {"budget": 300, "objective": {"reach": 1}, "reach": reach}
    )
    result = run("solve", scenario.source, "--format", "json")
    assert result.exit_code == 2, describe(result)
    assert f"{sizes}: row 2, column size: must be a finite number" in result.stderr
    assert "NaN" not in result.stdout


# ---------------------------------------------------------------- output paths and options


@pytest.mark.parametrize("command", ["sweep", "batch"])
def test_a_results_folder_in_a_missing_folder_is_refused_before_solving(
    sample: Path, tmp_path: Path, command: str
) -> None:
    results = tmp_path / "nodir" / "results"
    extra = ["--budget", "2k"] if command == "sweep" else []
    result = run(command, sample, *extra, "--results", results)
    assert result.exit_code == 2, describe(result)
    assert f"{results}: folder {results.parent} does not exist" in result.stderr
    assert not results.parent.exists()


def test_overlap_build_output_in_a_missing_folder_is_refused(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    samples.write_text("influencer,follower\na,1\nb,1\n", encoding="utf-8")
    folder = tmp_path / "nodir" / "out"
    result = run("overlap", "build", samples, "-o", folder)
    assert result.exit_code == 2, describe(result)
    assert f"{folder}: folder {folder.parent} does not exist" in result.stderr
    assert not folder.parent.exists()


def test_compare_runs_a_repeated_strategy_once(sample: Path) -> None:
    result = run("compare", sample, "--strategies", "hybrid,micro-only,hybrid", "--format", "json")
    assert result.exit_code == 0, describe(result)
    assert [r["strategy"] for r in json.loads(result.stdout)] == ["hybrid", "micro-only"]


def test_a_failed_re_check_prints_a_plain_error_line(
    sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Standard error is not a terminal here: no rich markup may leak into the message."""
    import optimizer.engine as engine

    monkeypatch.setattr(engine, "check_selection", lambda *args: ["budget: [made up]"])
    result = run("solve", sample)
    assert result.exit_code == 1, describe(result)
    assert result.stderr == (
        "error: solver answer failed the independent re-check: budget: [made up]\n"
    )


@pytest.mark.parametrize("address", ["localhost", "http://127.0.0.1:8786", "127.0.0.1:abc"])
def test_a_dask_address_that_is_no_address_is_an_input_error(
    sample: Path, tmp_path: Path, address: str
) -> None:
    pytest.importorskip("distributed")
    result = run("batch", sample, "--dask", address, "--results", tmp_path / "results")
    assert result.exit_code == 2, describe(result)
    assert f"cli: --dask: cannot reach a Dask scheduler at {address}: " in result.stderr
