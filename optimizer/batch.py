"""Batches: many scenario files (folders, globs) → one task per scenario × strategy.

A file that cannot be read or validated is reported as problems and left out; the others
still run. Which strategies run: the file's own, or the scenario as written when it has none
(``strategies`` overrides this; ``base`` names the scenario as written).
"""

from __future__ import annotations

import glob
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .engine import BASE, effective_scenario, strategy_name, with_solver_overrides
from .errors import InputError, Problem
from .runner import TaskOutcome
from .scenario import load_scenario
from .tables import with_integers
from .tasks import Task, make_task

SCENARIO_SUFFIXES = (".yaml", ".yml", ".toml")
SUMMARY_COLUMNS: tuple[str, ...] = (
    "file",
    "scenario",
    "strategy",
    "status",
    "objective",
    "spend",
    "count",
    "reach",
    "conversions",
    "seconds",
    "cached",
    "error",
    "key",
)


def _scenario_files(folder: Path) -> list[Path]:
    """Scenario files anywhere under ``folder``, sorted; hidden folders are skipped."""
    found = [
        p
        for p in folder.rglob("*")
        if p.suffix.lower() in SCENARIO_SUFFIXES
        and p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    ]
    return sorted(found)


def expand_paths(patterns: Sequence[str]) -> tuple[list[Path], list[Problem]]:
    """Files named by ``patterns`` (files, folders, globs like ``clients/*.yaml``), de-duplicated.

    A pattern matching nothing is a problem; files are kept in the order they are named.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    for pattern in patterns:
        path = Path(pattern)
        if path.is_dir():
            matches = _scenario_files(path)
        elif path.is_file():
            matches = [path]
        else:
            hits = sorted(Path(p) for p in glob.glob(pattern, recursive=True))
            matches = [p for p in hits if p.is_file() and p.suffix.lower() in SCENARIO_SUFFIXES]
            matches += [f for p in hits if p.is_dir() for f in _scenario_files(p)]
        if not matches:
            problems.append(Problem(pattern, "", "no scenario files (.yaml, .yml, .toml) found"))
        files.extend(matches)
    seen: set[Path] = set()
    unique = [p for p in files if not (p.resolve() in seen or seen.add(p.resolve()))]
    return unique, problems


def file_tasks(
    path: Path, strategies: Sequence[str] | None, solver: dict[str, Any] | None = None
) -> list[Task]:
    """Tasks of one scenario file; raises InputError (every problem) when it is unusable."""
    scenario = with_solver_overrides(load_scenario(path), **(solver or {}))
    names: list[str | None]
    if strategies:
        names = [strategy_name(scenario, s) for s in strategies]
    else:
        names = list(scenario.strategy_names()) or [None]
    return [make_task(effective_scenario(scenario, name), name) for name in names]


def batch_tasks(
    files: Sequence[Path], strategies: Sequence[str] | None, solver: dict[str, Any] | None = None
) -> tuple[list[Task], list[Problem]]:
    """Tasks of every usable file, and the problems of the others (which are left out)."""
    tasks: list[Task] = []
    problems: list[Problem] = []
    for path in files:
        try:
            tasks.extend(file_tasks(path, strategies, solver))
        except InputError as exc:
            problems.extend(exc.problems)
    return tasks, problems


def batch_frame(outcomes: Sequence[TaskOutcome], problems: Sequence[Problem] = ()) -> pd.DataFrame:
    """The summary table: one row per scenario × strategy (its columns even when empty), then
    one ``error`` row per problem of a file left out.

    ``error`` holds a task's error or the reason it was killed, and each problem's text.
    """
    rows = [_outcome_row(outcome) for outcome in outcomes]
    rows += [_problem_row(problem) for problem in problems]
    return with_integers(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def _outcome_row(outcome: TaskOutcome) -> dict[str, Any]:
    """One task's summary row."""
    result = outcome.result or {}
    kpis = result.get("kpis", {})
    return {
        "file": outcome.task.source,
        "scenario": outcome.task.data.get("name"),
        "strategy": outcome.task.strategy or BASE,
        "status": outcome.status,
        "objective": result.get("objective"),
        "spend": kpis.get("spend"),
        "count": kpis.get("count"),
        "reach": kpis.get("reach"),
        "conversions": kpis.get("conversions"),
        "seconds": round(outcome.seconds, 2),
        "cached": outcome.cached,
        "error": outcome.reason,
        "key": outcome.task.key[:12],
    }


def problem_text(problem: Problem) -> str:
    """``where: message`` (the message alone when there is no place)."""
    return f"{problem.where}: {problem.message}" if problem.where else problem.message


def _problem_row(problem: Problem) -> dict[str, Any]:
    """The summary row of a file left out: status ``error``, the problem in ``error``."""
    return {"file": problem.source, "status": "error", "error": problem_text(problem)}


def batch_records(
    outcomes: Sequence[TaskOutcome], problems: Sequence[Problem] = ()
) -> list[dict[str, Any]]:
    """The JSON form: each task's result contract plus a ``batch`` block (file, key, error),
    then ``{"status": "error", "batch": {…}}`` per problem of a file left out (key null).

    ``batch.error`` holds a task's error or the reason it was killed. A crashed task's full
    traceback is kept here (``batch.traceback``), never printed.
    """
    records = []
    for outcome in outcomes:
        record = dict(outcome.result or {"status": "error"})
        record["batch"] = {
            "file": outcome.task.source,
            "key": outcome.task.key,
            "cached": outcome.cached,
            "killed": outcome.killed,
            "error": outcome.reason,
            "traceback": outcome.traceback,
        }
        records.append(record)
    for problem in problems:
        block = {"file": problem.source, "key": None, "cached": False, "killed": False}
        block.update({"error": problem_text(problem), "traceback": None})
        records.append({"status": "error", "batch": block})
    return records


def problem_frame(
    problems: Sequence[Problem], outcomes: Sequence[TaskOutcome] = ()
) -> pd.DataFrame:
    """Files left out of the batch, one row per problem, then each task that failed or was
    killed (``where`` = ``task LABEL``, ``problem`` = its reason)."""
    rows = [{"file": p.source, "where": p.where, "problem": p.message} for p in problems]
    rows += [
        {"file": o.task.source, "where": f"task {o.task.label}", "problem": o.reason}
        for o in outcomes
        if o.reason
    ]
    return pd.DataFrame(rows, columns=["file", "where", "problem"])
