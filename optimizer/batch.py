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


def batch_frame(outcomes: Sequence[TaskOutcome]) -> pd.DataFrame:
    """The summary table: one row per scenario × strategy (its columns even when empty)."""
    rows = []
    for outcome in outcomes:
        result = outcome.result or {}
        kpis = result.get("kpis", {})
        rows.append(
            {
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
                "key": outcome.task.key[:12],
            }
        )
    return with_integers(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


def batch_records(outcomes: Sequence[TaskOutcome]) -> list[dict[str, Any]]:
    """The JSON form: each task's result contract plus a ``batch`` block (file, key, error).

    A crashed task's full traceback is kept here (``batch.traceback``), never printed.
    """
    records = []
    for outcome in outcomes:
        record = dict(outcome.result or {"status": "error"})
        record["batch"] = {
            "file": outcome.task.source,
            "key": outcome.task.key,
            "cached": outcome.cached,
            "killed": outcome.killed,
            "error": outcome.error,
            "traceback": outcome.traceback,
        }
        records.append(record)
    return records


def problem_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Files left out of the batch, one row per problem."""
    return pd.DataFrame(
        [{"file": p.source, "where": p.where, "problem": p.message} for p in problems],
        columns=["file", "where", "problem"],
    )
