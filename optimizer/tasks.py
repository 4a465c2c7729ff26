"""One task = one scenario variant solved once: the unit that sweeps and batches fan out.

A :class:`Task` carries the *effective* scenario (strategy merged, sweep values applied) as
plain JSON data plus the folder its relative paths resolve against, so it can be pickled to a
local worker process or a Dask worker on another machine (which must see the same files).

Its ``key`` is a SHA-256 over the scenario content, the bytes of the roster, overlap and
other data files and the solver settings: equal keys mean the same answer, so finished tasks can be
skipped on a re-run.
"""

from __future__ import annotations

import hashlib
import json
import time
import traceback
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InfloptError, InputError
from .scenario import Scenario, scenario_from_data

if TYPE_CHECKING:
    from .data import Prepared

KEY_VERSION = "inflopt-task-1"  # bump when results of the same inputs may change


@dataclass(frozen=True)
class Task:
    """A self-contained solve request.

    Attributes:
        key: hex SHA-256 identifying the inputs (see :func:`task_key`).
        source: the scenario file as the user named it (for messages and tables).
        strategy: the strategy name the result is labelled with (None = base scenario).
        data: the effective scenario, ``Scenario.model_dump(mode="json")``.
        base_dir: folder that relative paths in ``data`` resolve against.
        params: sweep values applied to this variant, e.g. ``{"budget": 20000.0}``.
    """

    key: str
    source: str
    strategy: str | None
    data: dict[str, Any]
    base_dir: str
    params: dict[str, float] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """Short human label: ``file [strategy] budget=20000``."""
        parts = [Path(self.source).name, self.strategy or "base"]
        parts += [f"{k}={_short(v)}" for k, v in self.params.items()]
        return " ".join(parts)


def _short(value: float) -> str:
    """A number without a trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@lru_cache(maxsize=256)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file's bytes (cached by path, size and modification time)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_digest(path: Path, source: str, where: str) -> str:
    """SHA-256 of ``path``; a missing file is an :class:`InputError` naming ``source``/``where``."""
    try:
        stat = path.stat()
    except OSError:
        raise InputError.single(source, where, f"file not found: {path}") from None
    return _file_digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


# Scenario keys naming data files: their *contents* enter the task key, not their paths.
DATA_FILE_KEYS: tuple[str, ...] = (
    "roster.file",
    "roster",  # older schema: roster is a plain path
    "overlap.file",
    "reach.membership",
    "reach.segments",
    "reach.segment_sizes",
)


def _replace_files(data: dict[str, Any], scenario: Scenario) -> None:
    """Swap every data-file path in ``data`` for the SHA-256 of the file (in place)."""
    for dotted in DATA_FILE_KEYS:
        *parents, leaf = dotted.split(".")
        node: Any = data
        for part in parents:
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and isinstance(node.get(leaf), str) and node[leaf]:
            path = scenario.resolve(node[leaf])
            node[leaf] = {"sha256": file_digest(path, scenario.source, dotted)}


def task_key(scenario: Scenario, strategy: str | None) -> str:
    """Hash of scenario content, data-file bytes and solver settings (hex SHA-256).

    The roster, overlap and other data files enter by content, not path, so moving a project
    folder keeps its finished results valid while editing a roster invalidates them. A roster
    or overlap read from a database has no content here to hash: its key is new on every call,
    so its results are stored but never reused (a stale answer would pass for a fresh one).
    """
    data = scenario.model_dump(mode="json")
    _replace_files(data, scenario)
    payload = {
        "version": KEY_VERSION,
        "strategy": strategy,
        "scenario": data,
        "solver": scenario.solver.model_dump(mode="json"),
    }
    if scenario.roster.url or scenario.overlap.url:
        payload["never_reused"] = uuid.uuid4().hex
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_task(
    scenario: Scenario, strategy: str | None, params: dict[str, float] | None = None
) -> Task:
    """A task for an *effective* scenario (strategy already merged, sweep values applied)."""
    return Task(
        key=task_key(scenario, strategy),
        source=scenario.source,
        strategy=strategy,
        data=scenario.model_dump(mode="json"),
        base_dir=str(scenario.base_dir),
        params=dict(params or {}),
    )


def rebuild_scenario(data: dict[str, Any], source: str, base_dir: Path) -> Scenario:
    """Validate raw scenario data into a :class:`Scenario` bound to ``source``/``base_dir``."""
    return scenario_from_data(data, source, base_dir)


def task_scenario(task: Task) -> Scenario:
    """The task's scenario, validated again on the worker."""
    return rebuild_scenario(task.data, task.source, Path(task.base_dir))


def execute(task: Task) -> dict[str, Any]:
    """Run one task in this process; never raises.

    Returns a report: ``{"key", "result": <result contract> | None, "error": str | None,
    "crashed": bool, "traceback": str | None, "seconds": wall seconds}``. inflopt's own errors
    (bad input, solver) become their message; any other exception is a crash: ``error`` is
    its one-line ``Type: message`` and ``traceback`` the full traceback.
    """
    from .engine import solve_effective

    started = time.perf_counter()
    result: dict[str, Any] | None = None
    error: str | None = None
    trace: str | None = None
    try:
        scenario = task_scenario(task)
        prepared = prepared_data(scenario)
        solved = solve_effective(scenario, prepared.roster, prepared.overlap, task.strategy)
        result = solved.to_dict()
    except InfloptError as exc:
        error = str(exc)
    except Exception as exc:  # a crash in one task must not stop a batch
        error = crash_line(exc)
        trace = traceback.format_exc()
    return {
        "key": task.key,
        "result": result,
        "error": error,
        "crashed": trace is not None,
        "traceback": trace,
        "seconds": time.perf_counter() - started,
    }


_last_read: tuple[tuple[tuple[str, int, int], ...], Prepared] | None = None


def prepared_data(scenario: Scenario) -> Prepared:
    """The data of ``scenario``, read once per process while they serve: the tasks of a sweep
    or batch mostly share one roster, and reading it (and building its overlap graph) took
    as long as solving at 100,000 influencers. The data last read are kept, with each file's
    size and modification time; a task whose data sections match and whose files are
    unchanged reuses them (ids its rules name are checked again). Data from a database are
    read every time: their changes cannot be seen."""
    from .engine import prepare, prepared_for

    global _last_read
    files = data_files(scenario)
    last = _last_read  # once: another thread of a Dask worker may replace it meanwhile
    if files is not None and last is not None and last[0] == files:
        try:
            return prepared_for(scenario, last[1])
        except ValueError:  # other data sections: read them
            pass
    _last_read = None  # let the old data go before the new are read
    prepared = prepare(scenario)
    if files is not None:
        _last_read = (files, prepared)
    return prepared


def data_files(scenario: Scenario) -> tuple[tuple[str, int, int], ...] | None:
    """Each data file of ``scenario`` as (path, bytes, modification time in ns); None when
    some data come from a database, or a file cannot be read (prepare then says why)."""
    from .reach import reach_files

    if scenario.roster.url or scenario.overlap.url:
        return None
    paths = [scenario.roster_path, scenario.overlap_path, *reach_files(scenario)]
    prints = []
    for path in paths:
        if path is None:
            continue
        try:
            status = path.stat()
        except OSError:
            return None
        prints.append((str(path), status.st_size, status.st_mtime_ns))
    return tuple(prints)


def crash_line(exc: BaseException) -> str:
    """``Type: message`` of an unexpected exception, on one line."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
