"""Which reach model a scenario uses, and its audience data, loaded once per process.

``pairwise`` (the default) needs nothing beyond the overlap graph and returns ``None`` here.
``coverage`` (:mod:`optimizer.coverage`) and ``sainsbury`` (:mod:`optimizer.sainsbury`)
read their tables through :func:`load_reach`, which keeps the last few in memory: the model
builder, the KPI computation and the verifier all ask for the same data, and strategies of
one scenario share it. Entries are keyed by file paths, sizes and modification times and by
the roster's ids and expected reach, so an edited file or another roster is read afresh.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .coverage import load_membership
from .funnel import KPI_COLUMNS
from .roster import Roster
from .sainsbury import load_segments
from .scenario import Scenario

if TYPE_CHECKING:  # PuLP is imported only when a model is built
    import pulp

CACHE_SIZE = 8


class ReachData(Protocol):
    """A reach model with data: the MIP part, and exact reach of a selection (people)."""

    method: str
    source: str

    @property
    def target_margin(self) -> float:
        """Factor applied to reach targets in the MIP so that the exact reach meets them."""
        ...

    def reach(self, picked: Sequence[int]) -> float:
        """Exact de-duplicated reach of the picked roster positions."""
        ...

    def gross_reach(self, picked: Sequence[int]) -> float:
        """Reach counting every overlap repeatedly."""
        ...

    def pairwise_reach(self, picked: Sequence[int]) -> float:
        """The pairwise (second-order) estimate of the same selection, from the same data."""
        ...

    def model_reach(self, picked: Sequence[int]) -> float:
        """Reach as the MIP counts it at an optimum (for checking the solver's objective)."""
        ...

    def add_to_model(
        self, problem: pulp.LpProblem, x: list[pulp.LpVariable], positions: np.ndarray
    ) -> list[tuple[pulp.LpVariable, float]]:
        """Add variables and rows; return the linear reach terms."""
        ...


_cache: OrderedDict[tuple[object, ...], ReachData] = OrderedDict()


def reach_files(scenario: Scenario) -> list[Path]:
    """The audience files the scenario's reach method reads, resolved."""
    settings = scenario.reach
    names = {
        "pairwise": [],
        "coverage": [settings.membership],
        "sainsbury": [settings.segments, settings.segment_sizes],
    }[settings.method]
    return [scenario.resolve(name) for name in names if name is not None]


def load_reach(scenario: Scenario, roster: Roster) -> ReachData | None:
    """The scenario's reach data (``None`` for pairwise); raises InputError on bad files."""
    settings = scenario.reach
    if settings.method == "pairwise":
        return None
    files = reach_files(scenario)
    key = (settings.method, settings.max_error, *map(_file_key, files), _roster_key(roster))
    if key in _cache:
        _cache.move_to_end(key)
        return _cache[key]
    if settings.method == "coverage":
        data: ReachData = load_membership(files[0], roster)
    else:
        data = load_segments(files[0], files[1], roster, settings.max_error)
    _cache[key] = data
    while len(_cache) > CACHE_SIZE:
        _cache.popitem(last=False)
    return data


def _file_key(path: Path) -> tuple[str, int, int]:
    try:
        stat = path.stat()
    except OSError:
        return (str(path), -1, -1)
    return (str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def _roster_key(roster: Roster) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update("\x1f".join(map(str, roster.ids)).encode())
    digest.update(np.ascontiguousarray(roster.column(KPI_COLUMNS["reach"]), dtype=float).tobytes())
    return digest.hexdigest()
