"""Run a PuLP problem on a named solver and read its outcome into our own status at once."""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import SolverError
from .quiet_highs import swallow_banner
from .scenario import SolverSettings

if TYPE_CHECKING:  # PuLP loads only when a solver runs
    import pulp

log = logging.getLogger(__name__)

SOLVER_CLASSES: dict[str, str] = {"highs": "HiGHS", "cbc": "COIN_CMD"}  # keys: SOLVER_NAMES


class Status(StrEnum):
    """Outcome of a solve, as reported to users."""

    OPTIMAL = "optimal"  # proven optimal within the gap tolerance
    FEASIBLE = "feasible"  # a limit was hit, a verified solution was found
    INFEASIBLE = "infeasible"  # the rules cannot all hold
    NO_SOLUTION = "no_solution"  # a limit was hit before any solution was found


@dataclass(frozen=True)
class SolveOutcome:
    """What the solver said, already in our terms."""

    status: Status
    objective: float | None
    bound: float | None
    gap: float | None
    seconds: float
    solver: str
    misreported: bool = False  # "optimal" claimed with a bound outside the gap: not trusted


def available_solvers() -> list[str]:
    """Our names of the solvers installed here."""
    import pulp

    swallow_banner()  # PuLP's availability check builds a Highs
    installed = set(pulp.listSolvers(onlyAvailable=True))
    return [name for name, cls in SOLVER_CLASSES.items() if cls in installed]


def make_solver(settings: SolverSettings) -> pulp.LpSolver:
    """A PuLP solver object for ``settings.name`` with its limits applied."""
    name = settings.name.lower()
    if name not in SOLVER_CLASSES:
        raise SolverError(
            f"unknown solver {settings.name!r}; choose one of {', '.join(SOLVER_CLASSES)}"
        )
    if name not in available_solvers():
        raise SolverError(
            f"solver {name!r} is not installed here (installed: {', '.join(available_solvers())}); "
            "for CBC install the 'cbc' extra: pip install 'inflopt[cbc]'"
        )
    import pulp

    options: dict[str, object] = {"msg": settings.msg, "gapRel": settings.gap}
    if settings.time_limit is not None:
        options["timeLimit"] = settings.time_limit
    if settings.threads is not None:
        options["threads"] = settings.threads
    return getattr(pulp, SOLVER_CLASSES[name])(**options)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def run(
    problem: pulp.LpProblem, settings: SolverSettings, solver: pulp.LpSolver | None = None
) -> SolveOutcome:
    """Solve ``problem``; map PuLP's stop reason and solution flag to :class:`Status`.

    ``solver``: an already configured solver (e.g. a deadline-aware HiGHS), else from settings.
    """
    import pulp

    from .bounds import one_run  # lazy: SciPy only when solving

    solver = solver or make_solver(settings)
    started = time.perf_counter()
    if isinstance(solver, pulp.HiGHS):  # one HiGHS run at a time per process (bounds.py)
        with one_run():
            stats = problem.solve(solver)
    else:
        stats = problem.solve(solver)
    seconds = time.perf_counter() - started
    reason = pulp.const.LpSolveStatus(stats.status)
    objective = _finite(stats.objective) if stats.has_solution else None
    bound = _finite(stats.best_bound)
    gap = _finite(stats.gap_rel) if objective is not None else None
    limit = settings.time_limit
    if reason is pulp.const.LpSolveStatus.Infeasible and (
        settings.name.lower() == "cbc" and limit is not None and seconds >= limit
    ):  # CBC stopped by its limit within milliseconds has said "infeasible": no proof
        status = Status.NO_SOLUTION
    elif reason is pulp.const.LpSolveStatus.Infeasible:
        status = Status.INFEASIBLE
    elif not stats.has_solution:
        status = Status.NO_SOLUTION
    elif reason is pulp.const.LpSolveStatus.Optimal or (
        reason is pulp.const.LpSolveStatus.GapLimit
        and gap is not None
        and (gap <= settings.gap or not outside_gap(objective, bound, settings.gap))
    ):  # (CBC asked for gap 0 stops at a rounding-noise gap such as 1e-16)
        status = Status.OPTIMAL
    else:
        status = Status.FEASIBLE
    if status is Status.OPTIMAL and bound is None:
        bound = objective
    if status is Status.OPTIMAL and gap is None:
        gap = 0.0
    # HiGHS only: CBC may prove optimality with a bound up to its cutoff increment away
    # (integral objectives), which is sound though the bound says otherwise
    highs = settings.name.lower() == "highs"
    misreported = highs and status is Status.OPTIMAL and outside_gap(objective, bound, settings.gap)
    if misreported:  # seen with highspy 1.16 given a start: the start back, the LP bound
        log.info("solver %s claimed optimal %s with bound %s", settings.name, objective, bound)
        status, bound, gap = Status.FEASIBLE, None, None  # its bound is as suspect
    elif _wrong_side(problem, objective, bound):  # seen with CBC stopped within milliseconds
        log.info("solver %s gave bound %s on the wrong side of %s", settings.name, bound, objective)
        bound, gap = None, None
        if status is Status.OPTIMAL:
            status = Status.FEASIBLE
    log.debug("solver %s stopped: %s (%s) in %.3fs", settings.name, reason.name, status, seconds)
    return SolveOutcome(status, objective, bound, gap, seconds, settings.name.lower(), misreported)


def _wrong_side(problem: pulp.LpProblem, objective: float | None, bound: float | None) -> bool:
    """Is ``bound`` below the solution's value when maximising (above it when minimising),
    beyond the tolerances of :func:`outside_gap`? No valid bound can be."""
    import pulp

    if objective is None or bound is None:
        return False
    allowed = 1e-6 + 1e-7 * abs(objective)
    if problem.sense == pulp.const.LpMaximize:
        return bound < objective - allowed
    return bound > objective + allowed


def outside_gap(objective: float | None, bound: float | None, gap: float) -> bool:
    """Is ``bound`` further from ``objective`` than the relative ``gap`` (plus the solvers'
    absolute gap, 1e-6, and 1e-7 relative for the objective recomputed from values that are
    integral only within the solver's tolerance) allows?"""
    if objective is None or bound is None:
        return False
    allowed = gap * max(abs(objective), abs(bound)) + 1e-6 + 1e-7 * abs(objective)
    return abs(bound - objective) > allowed
