"""Batches: expansion, resumable result store, wall-clock kills, Dask parity, bad files."""

from __future__ import annotations

import csv
import json
import os
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import cli
from optimizer import runner
from optimizer.batch import batch_tasks, expand_paths
from optimizer.generate import write_sample
from optimizer.runner import TaskOutcome, _execute_subprocess, run_tasks
from optimizer.scenario import load_scenario
from optimizer.store import ResultStore
from optimizer.tasks import execute, make_task

TIMING_KEYS = ("solve_seconds", "build_seconds")


def scenario_file(path: Path, budget: float, **extra: Any) -> Path:
    """A scenario over ``data/roster.csv`` beside it (written by the ``clients`` fixture)."""
    data = {
        "name": path.stem,
        "roster": "data/roster.csv",
        "overlap": "data/overlap.csv",
        "budget": budget,
        "objective": {"engagement": 0.05, "conversions": 40},
        "constraints": {"max_pair_overlap": 0.3, "max_influencers": 10},
        **extra,
    }
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def clients(tmp_path: Path) -> Path:
    """A folder of 4 client scenarios (one with two strategies) on one seeded roster."""
    folder = tmp_path / "clients"
    write_sample(folder / "data", 40, 11)
    for k, budget in enumerate((2000, 4000, 6000)):
        scenario_file(folder / f"client{k}.yaml", budget)
    strategies = {"small": {"tiers": ["nano", "micro"]}, "big": {"tiers": ["macro", "mega"]}}
    (folder / "nested").mkdir()
    nested = scenario_file(folder / "nested" / "client3.yaml", 5000, strategies=strategies)
    text = nested.read_text().replace("data/", "../data/")
    nested.write_text(text, encoding="utf-8")
    return folder


def comparable(outcome: TaskOutcome) -> dict[str, Any]:
    """The result contract without timings (which differ run to run)."""
    assert outcome.result is not None, outcome.error
    return {k: v for k, v in outcome.result.items() if k not in TIMING_KEYS}


def test_expand_folders_globs_and_files(clients: Path) -> None:
    files, problems = expand_paths([str(clients), str(clients / "client*.yaml"), "missing/*.toml"])
    names = sorted(p.name for p in files)
    assert names == ["client0.yaml", "client1.yaml", "client2.yaml", "client3.yaml"]
    assert [p.source for p in problems] == ["missing/*.toml"]
    tasks, bad = batch_tasks(files, None)
    assert not bad
    assert sorted(t.strategy or "base" for t in tasks) == ["base", "base", "base", "big", "small"]


def test_keys_follow_content_not_paths(clients: Path, tmp_path: Path) -> None:
    first = load_scenario(clients / "client0.yaml")
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "data").mkdir()
    for name in ("roster.csv", "overlap.csv"):
        (moved / "data" / name).write_bytes((clients / "data" / name).read_bytes())
    copy = load_scenario(scenario_file(moved / "client0.yaml", 2000))
    assert make_task(first, None).key == make_task(copy, None).key
    assert make_task(first, None).key != make_task(first.with_overrides({"budget": 2001}), None).key
    with_gap = first.model_copy(update={"solver": first.solver.model_copy(update={"gap": 0.1})})
    assert make_task(first, None).key != make_task(with_gap, None).key
    roster = moved / "data" / "roster.csv"
    roster.write_text(roster.read_text().replace(",", ", ", 1))
    assert make_task(load_scenario(moved / "client0.yaml"), None).key != make_task(first, None).key


def test_interrupted_batch_resumes_with_only_missing_tasks(clients: Path, tmp_path: Path) -> None:
    files, _ = expand_paths([str(clients)])
    tasks, _ = batch_tasks(files, None)
    reference = run_tasks(tasks, workers=2, store=ResultStore(tmp_path / "uninterrupted"))
    assert all(o.solved and not o.cached for o in reference)

    store = ResultStore(tmp_path / "interrupted")
    finished: list[str] = []

    def stop_after_two(outcome: TaskOutcome) -> None:
        finished.append(outcome.task.key)
        if len(finished) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_tasks(tasks, workers=1, store=store, on_done=stop_after_two)
    assert store.keys() == set(finished)

    resumed = run_tasks(tasks, workers=2, store=store)
    assert {o.task.key for o in resumed if o.cached} == set(finished)
    assert sum(not o.cached for o in resumed) == len(tasks) - 2
    assert [comparable(o) for o in resumed] == [comparable(o) for o in reference]
    assert store.keys() == {t.key for t in tasks}


def test_a_task_over_its_wall_clock_limit_is_killed(tmp_path: Path) -> None:
    """A 20,000-influencer solve of the full model needs about 3 s (10,000: about 1.5 s, too
    close to the limit once worker start-up no longer counts); the small one far less.

    (The fast path of large rosters can finish in about 1 s, so the slow task forces the full
    model.)
    """
    write_sample(tmp_path / "data", 20_000, 2)
    slow_file = scenario_file(tmp_path / "slow.yaml", 200_000, solver={"strategy": "full"})
    slow = load_scenario(slow_file)
    quick_folder = tmp_path / "quick"
    write_sample(quick_folder / "data", 30, 2)
    quick = load_scenario(scenario_file(quick_folder / "quick.yaml", 3000))
    store = ResultStore(tmp_path / "results")
    started = time.monotonic()
    slow_outcome, quick_outcome = run_tasks(
        [make_task(slow, None), make_task(quick, None)], workers=1, limit=1.5, store=store
    )
    assert time.monotonic() - started < 20  # the solver's own limit is 60 s
    assert slow_outcome.killed and slow_outcome.status == "no_solution"
    assert "wall-clock limit of 1.5 s" in slow_outcome.result["diagnosis"][0]
    assert quick_outcome.status == "optimal"  # the pool replaced the killed worker
    record = json.loads(store.path(slow_outcome.task.key).read_text())
    assert record["killed"] and record["wall_limit"] == 1.5

    label = slow_outcome.task.label
    said = [f"task {label}: stopped: the task ran past its wall-clock limit of 1.5 s"]
    assert slow_outcome.error_lines() == said  # printed on standard error by the CLI
    assert quick_outcome.error_lines() == []

    again = run_tasks([make_task(slow, None)], workers=1, limit=1.0, store=store)
    assert again[0].cached  # a shorter or equal limit would be killed again: reuse
    assert again[0].error_lines() == said  # and the reason is given again


def slow_start_worker(conn: Any) -> None:
    """A pool worker whose start-up takes 3 s (as a fresh worker on a loaded machine may)."""
    time.sleep(3)
    runner._worker_main(conn)


def test_the_task_limit_does_not_count_worker_start_up(
    clients: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Quick tasks on workers that take 3 s to start must not be killed at a 2 s limit."""
    monkeypatch.setattr(runner, "_worker_main", slow_start_worker)
    files, _ = expand_paths([str(clients / "client0.yaml"), str(clients / "client1.yaml")])
    tasks, _ = batch_tasks(files, None)
    outcomes = run_tasks(tasks, workers=2, limit=2.0)
    assert [(o.status, o.killed) for o in outcomes] == [("optimal", False)] * 2


def test_a_worker_stuck_in_start_up_is_still_stopped(
    clients: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner, "_worker_main", slow_start_worker)
    monkeypatch.setattr(runner, "STARTUP_SECONDS", 0.5)
    tasks, _ = batch_tasks([clients / "client0.yaml"], None)
    started = time.monotonic()
    (outcome,) = run_tasks(tasks, workers=1, limit=0.5)
    assert time.monotonic() - started < 2.5
    assert outcome.status == "error" and outcome.crashed and not outcome.killed
    assert outcome.error == "worker process did not start the task within 1 s"


def test_dask_local_cluster_gives_the_pool_results(clients: Path) -> None:
    distributed = pytest.importorskip("distributed")
    files, _ = expand_paths([str(clients)])
    tasks, _ = batch_tasks(files, None)
    local = run_tasks(tasks, workers=2)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        remote = run_tasks(tasks, dask=client)
        limited = run_tasks(tasks[:1], dask=cluster.scheduler_address, limit=60)
    assert [comparable(o) for o in remote] == [comparable(o) for o in local]
    assert comparable(limited[0]) == comparable(local[0])


def test_a_fresh_interpreter_child_gives_the_inline_result(clients: Path) -> None:
    """Dask workers run limited tasks in ``python -m optimizer.runner``, whose report comes
    back as a pickle on stdout: nothing printed there (HiGHS's banner) may corrupt it."""
    files, _ = expand_paths([str(clients / "client0.yaml")])
    tasks, _ = batch_tasks(files, None)
    inline = execute(tasks[0])
    child = _execute_subprocess(tasks[0], 60)
    assert child["error"] is None, child["error"]
    assert child["result"]["status"] == "optimal"
    assert {k: v for k, v in child["result"].items() if k not in TIMING_KEYS} == {
        k: v for k, v in inline["result"].items() if k not in TIMING_KEYS
    }


def test_one_bad_scenario_is_reported_and_the_others_solve(clients: Path, tmp_path: Path) -> None:
    (clients / "broken.yaml").write_text("name: broken\nroster: data/roster.csv\nbudgett: 5\n")
    scenario_file(clients / "no-roster.yaml", 3000, roster="data/missing.csv")
    results = tmp_path / "results"
    summary = tmp_path / "summary.csv"
    args = ["batch", str(clients), "--workers", "2", "--results", str(results), "-o", str(summary)]
    outcome = CliRunner().invoke(cli.main, args)
    assert outcome.exit_code == 2
    assert "budgett: unknown key (did you mean 'budget'?)" in outcome.output
    assert "missing.csv" in outcome.output
    rows = list(csv.DictReader(summary.open(encoding="utf-8")))
    assert [r["status"] for r in rows] == ["optimal"] * 5 + ["error"] * 2  # the left-out files
    assert {Path(r["file"]).name for r in rows[5:]} == {"broken.yaml", "no-roster.yaml"}
    assert len(list(results.glob("*.json"))) == 5


def by_file(frame: pd.DataFrame, column: str) -> dict[str, Any]:
    """``column`` of a sheet by file name."""
    return {Path(f).name: v for f, v in zip(frame["file"], frame[column], strict=True)}


def test_every_output_carries_file_problems_and_task_errors(clients: Path, tmp_path: Path) -> None:
    """A good file, a roster with a bad cell (fails while solving), an unparsable YAML file."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "data").mkdir()
    with open(clients / "data" / "roster.csv", encoding="utf-8", newline="") as handle:
        roster = list(csv.reader(handle))
    roster[2][roster[0].index("followers")] = "abc"
    with open(folder / "data" / "roster.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(roster)
    (folder / "data" / "overlap.csv").write_text((clients / "data" / "overlap.csv").read_text())
    scenario_file(folder / "bad-roster.yaml", 3000)
    (folder / "good.yaml").write_text(
        (clients / "client0.yaml").read_text().replace("data/", str(clients / "data") + "/")
    )
    (folder / "broken.yaml").write_text("name: broken\nbudget: [unclosed\n  - x: :\n")
    bad_cell = "row 3, column followers: 'abc' is not a number"
    args = ["batch", str(folder), "--workers", "1", "--results", str(tmp_path / "results")]
    for suffix in (".csv", ".json", ".xlsx"):
        outcome = CliRunner().invoke(cli.main, [*args, "-o", str(tmp_path / f"out{suffix}")])
        assert outcome.exit_code == 2, outcome.output

    with open(tmp_path / "out.csv", encoding="utf-8") as handle:
        rows = {Path(r["file"]).name: r for r in csv.DictReader(handle)}
    assert rows["good.yaml"]["status"] == "optimal" and rows["good.yaml"]["error"] == ""
    assert rows["bad-roster.yaml"]["status"] == "error"
    assert bad_cell in rows["bad-roster.yaml"]["error"]
    assert rows["broken.yaml"]["status"] == "error"
    assert "not valid YAML" in rows["broken.yaml"]["error"]

    records = json.loads((tmp_path / "out.json").read_text())
    errors = {Path(r["batch"]["file"]).name: r["batch"]["error"] for r in records}
    assert errors["good.yaml"] is None
    assert bad_cell in errors["bad-roster.yaml"]
    assert "not valid YAML" in errors["broken.yaml"]

    sheets = pd.read_excel(tmp_path / "out.xlsx", sheet_name=None)
    summary = by_file(sheets["summary"], "error")
    assert bad_cell in summary["bad-roster.yaml"] and "not valid YAML" in summary["broken.yaml"]
    problems = by_file(sheets["problems"], "problem")
    assert set(problems) == {"bad-roster.yaml", "broken.yaml"}
    assert bad_cell in problems["bad-roster.yaml"]


def test_a_fresh_interpreter_childs_start_up_is_not_counted_in_its_limit(
    clients: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On daemonic Dask workers each limited task starts a new interpreter (about 1–2 s
    here, more on a loaded node). That start-up was counted in ``--task-limit``: a task
    that solves in well under the limit was killed and stored as ``no_solution``. The limit
    now counts from the child's acknowledgement (here after a 3 s start-up, limit 2.5 s)."""
    (tmp_path / "sitecustomize.py").write_text("import time\ntime.sleep(3.0)\n")
    before = os.environ.get("PYTHONPATH")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(tmp_path), before])))
    files, _ = expand_paths([str(clients / "client0.yaml")])
    tasks, _ = batch_tasks(files, None)
    started = time.monotonic()
    child = _execute_subprocess(tasks[0], 2.5)
    assert time.monotonic() - started > 3.0  # the slow start-up did happen
    assert child["error"] is None, child["error"]
    assert child["result"]["status"] == "optimal"


@pytest.fixture
def counted_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each data read of this process's tasks (the roster file it read), none kept before."""
    from optimizer import data, tasks

    monkeypatch.setattr(tasks, "_last_read", None)
    reads: list[str] = []
    real = data.prepare_checked

    def counting(scenario: Any, roster: Any = None) -> Any:
        reads.append(str(scenario.roster_path))
        return real(scenario, roster)

    monkeypatch.setattr(data, "prepare_checked", counting)
    return reads


def test_tasks_on_the_same_unchanged_data_read_it_once(clients: Path, counted_reads) -> None:
    """A worker keeps the data it read last: the next task on the same files (other budgets
    here) reuses them, with the same answers as a fresh read. (The nested client reads the
    same roster from another folder: its task reads it again.)"""
    files, _ = expand_paths([str(clients / f"client{k}.yaml") for k in range(3)])
    tasks, _ = batch_tasks(files, None)
    assert len(tasks) == 3
    reports = [execute(task) for task in tasks]
    assert len(counted_reads) == 1  # one roster for all of them
    assert all(report["error"] is None for report in reports)
    from optimizer import tasks as task_module

    task_module._last_read = None  # a fresh read gives the same results
    again = execute(tasks[-1])
    assert len(counted_reads) == 2
    assert {k: v for k, v in again["result"].items() if k not in TIMING_KEYS} == {
        k: v for k, v in reports[-1]["result"].items() if k not in TIMING_KEYS
    }


def test_a_changed_data_file_is_read_again(clients: Path, counted_reads) -> None:
    """A file rewritten between tasks (another size or modification time) is read again: a
    worker serving several batches must not answer from old data."""
    files, _ = expand_paths([str(clients / "client0.yaml")])
    tasks, _ = batch_tasks(files, None)
    first = execute(tasks[0])
    roster = clients / "data" / "roster.csv"
    frame = pd.read_csv(roster)
    frame["cost"] = "$1"  # every offer at 1 USD: another portfolio, another spend
    frame.to_csv(roster, index=False)
    stamp = roster.stat().st_mtime_ns + 10**9
    os.utime(roster, ns=(stamp, stamp))  # a later time, even on coarse clocks
    second = execute(tasks[0])
    assert len(counted_reads) == 2
    assert first["error"] is None and second["error"] is None, second["error"]
    assert second["result"]["kpis"]["spend"] <= 10 < first["result"]["kpis"]["spend"]


def test_other_data_sections_are_read_for_their_task(clients: Path, counted_reads) -> None:
    """Same files, another way of reading them (no overlap file here): read again, and the
    task after it too (only the data read last are kept)."""
    with_file = scenario_file(clients / "a.yaml", 3000)
    text = with_file.read_text().replace("overlap: data/overlap.csv\n", "")
    without = clients / "b.yaml"
    without.write_text(text.replace("max_pair_overlap: 0.3", "max_pair_overlap: null"))
    tasks, _ = batch_tasks([with_file, without, with_file], None)
    reports = [execute(task) for task in tasks]
    assert all(report["error"] is None for report in reports), reports
    assert len(counted_reads) == 3
    assert reports[1]["result"]["overlap_source"] != reports[0]["result"]["overlap_source"]
