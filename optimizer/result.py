"""The result of one solve: a verified portfolio and its numbers (the JSON result contract)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .solver import Status

PICK_COLUMNS: tuple[str, ...] = (
    "id",
    "handle",
    "platform",
    "niche",
    "tier",
    "followers",
    "cost",
    "expected_reach",
    "expected_engagement",
    "expected_conversions",
    "defaulted",
    "cost_estimated",
)


@dataclass
class Result:
    """One scenario/strategy solved. KPIs are recomputed from data, never read from the solver.

    ``objective`` is the verified value in budget currency (or the spend, when the goal is
    minimize_cost); ``bound`` the solver's proven bound on it; ``gap`` their relative distance.
    """

    scenario: str
    strategy: str | None
    status: Status
    goal: str
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    selected: list[str] = field(default_factory=list)
    kpis: dict[str, float | None] = field(default_factory=dict)
    by_tier: dict[str, dict[str, float]] = field(default_factory=dict)
    by_platform: dict[str, dict[str, float]] = field(default_factory=dict)
    solve_seconds: float = 0.0
    build_seconds: float = 0.0
    solver: str = "highs"
    reach_method: str = "pairwise"
    overlap_source: str = "none"
    currency: str = "USD"
    diagnosis: list[str] = field(default_factory=list)
    estimated_costs: list[str] = field(default_factory=list)
    model_size: dict[str, int] = field(default_factory=dict)
    uncertainty: dict[str, Any] | None = None
    robust: dict[str, float] | None = None
    simulation: Any = field(default=None, repr=False)
    picks: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)

    @property
    def solved(self) -> bool:
        """True when a verified portfolio exists."""
        return self.status in (Status.OPTIMAL, Status.FEASIBLE)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """The result of a :meth:`to_dict` contract (see :func:`result_from_dict`)."""
        return result_from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON result contract (see docs/results.md)."""
        return {
            "scenario": self.scenario,
            "strategy": self.strategy,
            "status": str(self.status),
            "goal": self.goal,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "selected": list(self.selected),
            "kpis": dict(self.kpis),
            "by_tier": self.by_tier,
            "by_platform": self.by_platform,
            "solve_seconds": round(self.solve_seconds, 4),
            "build_seconds": round(self.build_seconds, 4),
            "solver": self.solver,
            "reach_method": self.reach_method,
            "overlap_source": self.overlap_source,
            "currency": self.currency,
            "diagnosis": list(self.diagnosis),
            "estimated_costs": list(self.estimated_costs),
            "model_size": dict(self.model_size),
            "uncertainty": self.uncertainty,
            "robust": self.robust,
        }


RESULT_KEYS_REQUIRED = ("scenario", "strategy", "status", "goal")
_NUMBER = (int, float)
RESULT_KEY_TYPES: dict[str, tuple[tuple[type, ...], bool]] = {  # key: (types, None allowed)
    "scenario": ((str,), False),
    "strategy": ((str,), True),
    "goal": ((str,), False),
    "objective": (_NUMBER, True),
    "bound": (_NUMBER, True),
    "gap": (_NUMBER, True),
    "selected": ((list,), False),
    "kpis": ((dict,), False),
    "by_tier": ((dict,), False),
    "by_platform": ((dict,), False),
    "solve_seconds": (_NUMBER, False),
    "build_seconds": (_NUMBER, False),
    "solver": ((str,), False),
    "reach_method": ((str,), False),
    "overlap_source": ((str,), False),
    "currency": ((str,), False),
    "diagnosis": ((list,), False),
    "estimated_costs": ((list,), False),
    "model_size": ((dict,), False),
    "uncertainty": ((dict,), True),
    "robust": ((dict,), True),
}


def result_from_dict(data: object, where: str = "result") -> Result:
    """A :class:`Result` from its JSON contract (:meth:`Result.to_dict`, as ``--format json``
    and ``-o FILE.json`` write it). Raises ``ValueError`` naming ``where`` and the key for a
    missing or unknown key, a value of the wrong kind or an unknown status. The picks table
    and the Monte Carlo draws are not in the contract: they come back empty."""
    if not isinstance(data, dict):
        raise ValueError(f"{where}: a result is a JSON object, not {type(data).__name__}")
    known = {f.name for f in fields(Result)} - {"simulation", "picks"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where}: unknown key {unknown[0]!r} (not a result of this version)")
    missing = [key for key in RESULT_KEYS_REQUIRED if key not in data]
    if missing:
        raise ValueError(f"{where}: key {missing[0]!r} is missing")
    for key, (types, optional) in RESULT_KEY_TYPES.items():
        value = data.get(key)
        if key not in data or (value is None and optional):
            continue
        if isinstance(value, bool) or not isinstance(value, types):
            kinds = " or ".join(t.__name__ for t in types) + (" or null" if optional else "")
            raise ValueError(f"{where}: {key} must be {kinds}, not {value!r}")
    try:
        status = Status(data["status"])
    except (ValueError, TypeError):
        choices = ", ".join(s.value for s in Status)
        raise ValueError(f"{where}: status {data['status']!r} is not one of {choices}") from None
    return Result(**{**data, "status": status})


def read_results(path: str | Path) -> list[Result]:
    """The results in a JSON file written by inflopt (one object or a list of them)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read results: {exc}") from None
    items = data if isinstance(data, list) else [data]
    return [result_from_dict(item, f"{path}, result {k + 1}") for k, item in enumerate(items)]


def best_positions(values: Sequence[float | None], better: str | None) -> set[int]:
    """Positions holding the best of ``values`` (``better``: "max" or "min"; ties all win,
    None values never), for marking the best strategy on a KPI; none when fewer than two
    values compare or the KPI has no better direction."""
    present = [(k, v) for k, v in enumerate(values) if v is not None]
    if better is None or len(present) < 2:
        return set()
    best = max(v for _, v in present) if better == "max" else min(v for _, v in present)
    tolerance = 1e-9 * max(1.0, abs(best))
    return {k for k, v in present if abs(v - best) <= tolerance}
