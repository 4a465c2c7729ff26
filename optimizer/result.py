"""The result of one solve: a verified portfolio and its numbers (the JSON result contract)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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
