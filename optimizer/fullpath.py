"""The plain full PuLP model (:mod:`optimizer.model`), built and solved by a wall-clock
deadline (:func:`solve_full`).

The greedy portfolio comes first (for scenarios the array model does not cover, the greedy
of a stand-in the arrays can take, re-checked against the brief itself): it warm-starts
HiGHS, and it is the answer when the build passes the deadline, or when HiGHS stops without
anything better or is abandoned there. :func:`optimizer.fastpath.method_for` chooses between
this and the fast path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import pulp

from .arrays import build_arrays, unsupported_reason
from .bounds import run_highs
from .candidates import Candidates
from .fastpath import Abandoned, Deadline, PathAnswer
from .greedy import greedy_portfolio
from .kpis import portfolio_kpis
from .model import BuildOverrun, BuiltModel, build_model
from .overlap import OverlapGraph
from .robust import make_robust
from .roster import Roster
from .scenario import Scenario, SolverSettings
from .solver import SolveOutcome, Status, make_solver, run
from .verify import check_selection, modelled_objective

log = logging.getLogger(__name__)


class DeadlineHiGHS(pulp.HiGHS):
    """PuLP's HiGHS, run so that it stops (or is abandoned) at a wall-clock deadline."""

    deadline: float | None = None

    def callSolver(self, lp: Any) -> None:
        if self.deadline is not None and time.perf_counter() >= self.deadline:
            lp.solverModel = None  # handed over too late: not started, nothing to wait for
            raise Abandoned
        finished, _seconds = run_highs(lp.solverModel, self.deadline)
        if not finished:  # run_highs keeps it until its thread ends
            lp.solverModel = None
            raise Abandoned


def deadline_solver(settings: SolverSettings, deadline: float | None) -> pulp.LpSolver:
    """The solver of ``settings``; HiGHS made to stop (or be abandoned, raising
    :class:`Abandoned`) at the wall-clock ``deadline`` (``time.perf_counter()`` seconds)."""
    solver = make_solver(settings)
    if isinstance(solver, pulp.HiGHS):
        solver.__class__ = DeadlineHiGHS
        solver.deadline = deadline  # type: ignore[attr-defined]
    return solver


def _fails_recheck(
    built: BuiltModel,
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    outcome: SolveOutcome,
) -> bool:
    """Does the solver's current solution, or the value it claims for it, fail the
    independent re-check? (A robust objective is the worst case: not compared here.)"""
    picked = built.picked()
    robust = scenario.robust is not None and scenario.robust.gamma > 0
    claimed = None if robust else outcome.objective
    return bool(check_selection(scenario, roster, overlap, picked, claimed, outcome.bound))


@dataclass(frozen=True)
class GreedyStart:
    """The verified greedy portfolio (roster positions) and its objective as the full model
    counts it (currency; spend when minimising cost)."""

    picked: list[int]
    value: float


def array_stand_in(scenario: Scenario) -> Scenario:
    """``scenario`` as the array model (and so the greedy) can take it: pairwise reach,
    nominal values, list prices. Its portfolios are candidates only: each must pass the
    re-check against ``scenario`` itself (a coverage or Sainsbury reach target, a package
    deal's lower spend, may break it)."""
    if unsupported_reason(scenario) is None:
        return scenario
    constraints = scenario.constraints.model_copy(update={"package_discount": None})
    return scenario.model_copy(
        update={
            "reach": scenario.reach.model_copy(update={"method": "pairwise"}),
            "robust": None,
            "constraints": constraints,
        }
    )


def greedy_start(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates,
    deadline: float | None = None,
) -> GreedyStart | None:
    """The greedy portfolio the full model starts from, and falls back on; None when the
    greedy finds no portfolio that passes the re-check. Scenarios the array model does not
    cover (coverage or Sainsbury reach, robust mode, package deals) get the greedy of their
    :func:`array_stand_in`. The greedy stops filling at the ``deadline``
    (``time.perf_counter()`` seconds), when one is given."""
    stand_in = array_stand_in(scenario)
    model = build_arrays(stand_in, roster, overlap, candidates)
    best = greedy_portfolio(stand_in, roster, overlap, model, deadline=deadline)
    if best is None or (
        stand_in is not scenario and check_selection(scenario, roster, overlap, best.picked)
    ):
        return None
    kpis = portfolio_kpis(scenario, roster, overlap, best.picked)
    return GreedyStart(best.picked, modelled_objective(scenario, roster, best.picked, kpis))


BUILD_PASSED = "greedy (the model's build passed the time limit)"
NO_TIME_TO_HAND_OVER = "greedy (no time left to hand the model to the solver)"
NOT_HANDED_OVER = "not solved (no time left to hand it to the solver)"  # the relaxed model
SOLVER_STOPPED = "greedy (solver stopped first)"
# the solver's optimum is worth less: a model raised above the brief (a Sainsbury reach
# target, raised by the tangents' margin), or an optimum within the gap of a start it refused
WORTH_MORE = "greedy (worth more than the solver's answer)"


def greedy_only(
    start: GreedyStart | None, scenario: Scenario, seconds: float, why: str = BUILD_PASSED
) -> PathAnswer:
    """The answer when the full model cannot be solved by the deadline (``why``): the greedy
    portfolio, ``feasible`` with no bound, or ``no_solution`` without one."""
    reason = {"fallback": why}
    solver = scenario.solver.name.lower()
    if start is None:
        outcome = SolveOutcome(Status.NO_SOLUTION, None, None, None, seconds, solver)
        return PathAnswer(outcome, None, model_size=reason)
    outcome = SolveOutcome(Status.FEASIBLE, start.value, None, None, seconds, solver)
    return PathAnswer(outcome, list(start.picked), model_size=reason)


def no_time_to_hand_over(deadline: float | None, build_seconds: float) -> bool:
    """Is too little time left to hand the built model to the solver? PuLP's hand-over (to
    highspy, or to CBC's file) takes about as long as the build itself (0.7–1.1× measured at
    2,000 and 20,000 candidates) and cannot be cut short; a solver started past the deadline
    only overruns it, to find no more than the greedy portfolio."""
    return deadline is not None and deadline - time.perf_counter() < build_seconds


def run_full(
    built: BuiltModel,
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates,
    started: float,
    recheck: Scenario | None = None,
    start: GreedyStart | None = None,
) -> PathAnswer:
    """Solve the full PuLP model by the deadline, warm-started from the greedy portfolio
    ``start`` (:func:`greedy_start`), if any.

    When HiGHS stops without a better portfolio than the greedy one (or is abandoned), the
    greedy portfolio is the answer (``feasible``), with HiGHS's bound when it proved one.
    ``recheck``: the brief a CBC answer is re-checked against, when the model is not the
    scenario's own (a relaxation); default ``scenario``.
    """
    settings = scenario.solver
    deadline = Deadline.start(started, settings.time_limit)
    greedy: list[int] | None = None
    greedy_value = None
    if start is not None:
        greedy, greedy_value = start.picked, start.value
        chosen = set(greedy)
        for var, position in zip(built.x, candidates.positions, strict=True):
            var.setInitialValue(1.0 if int(position) in chosen else 0.0)
        for i, j, _shared, y in built.pair_vars:
            y.setInitialValue(1.0 if i in chosen and j in chosen else 0.0)
    solver = deadline_solver(settings, deadline.at)
    if isinstance(solver, pulp.HiGHS) and greedy:  # PuLP warns when no variable has a value
        solver.optionsDict["warmStart"] = True
    t0 = time.perf_counter()
    try:
        outcome = run(built.problem, settings, solver)
        if outcome.misreported and solver.optionsDict.get("warmStart"):
            solver.optionsDict["warmStart"] = False  # once more, without the start
            outcome = run(built.problem, settings, solver)
    except Abandoned:
        outcome = SolveOutcome(
            Status.NO_SOLUTION, None, None, None, time.perf_counter() - t0, settings.name
        )
    cbc_answer = outcome.solver == "cbc" and outcome.status in (Status.OPTIMAL, Status.FEASIBLE)
    if cbc_answer and _fails_recheck(built, recheck or scenario, roster, overlap, outcome):
        # CBC stopped within milliseconds has called its LP solution optimal: no portfolio
        # from it, and no bound either (a HiGHS answer that fails the re-check still raises
        # VerificationError in the engine: that would be a bug of the model, to be seen)
        log.warning("%s's answer failed the re-check; it is set aside", outcome.solver)
        outcome = SolveOutcome(
            Status.NO_SOLUTION, None, None, None, outcome.seconds, outcome.solver
        )
    if greedy is None or greedy_value is None:
        return PathAnswer(outcome, None)
    minimize = scenario.goal == "minimize_cost"
    close = 1e-9 * max(1.0, abs(greedy_value))  # the same portfolio may differ in the last bit
    solver_as_good = outcome.objective is not None and (
        outcome.objective <= greedy_value + close
        if minimize
        else outcome.objective >= greedy_value - close
    )
    if outcome.status in (Status.OPTIMAL, Status.FEASIBLE) and solver_as_good:
        return PathAnswer(outcome, None)
    bound = outcome.bound
    gap = None if bound is None else abs(bound - greedy_value) / max(abs(greedy_value), 1e-9)
    status = Status.OPTIMAL if gap is not None and gap <= settings.gap else Status.FEASIBLE
    if check_selection(scenario, roster, overlap, greedy):
        return PathAnswer(outcome, None)
    fallback = SolveOutcome(status, greedy_value, bound, gap, outcome.seconds, outcome.solver)
    why = WORTH_MORE if outcome.status is Status.OPTIMAL else SOLVER_STOPPED
    return PathAnswer(fallback, greedy, model_size={"fallback": why})


def solve_full(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates,
    started: float,
) -> PathAnswer:
    """The plain full model: the greedy start, the PuLP build by the deadline (past it the
    greedy portfolio is the answer), the solve, and the relaxed re-solve a Sainsbury reach
    target needs for its bound."""
    from .reach_target import needs_relaxed_bound, with_relaxed_bound, without_relaxed_bound

    deadline = Deadline.start(started, scenario.solver.time_limit).at
    start = greedy_start(scenario, roster, overlap, candidates, deadline)  # first: the floor
    building = time.perf_counter()

    def build(raise_reach_target: bool = True) -> BuiltModel:
        built = build_model(
            scenario, roster, overlap, raise_reach_target=raise_reach_target, deadline=deadline
        )
        if scenario.robust is not None and scenario.robust.gamma > 0:
            make_robust(built, scenario, roster, scenario.robust.gamma, scenario.robust.cv)
        return built

    size: dict[str, Any] = {"candidates": len(candidates.positions)}
    try:
        built = build()
    except BuildOverrun:
        answer = greedy_only(start, scenario, time.perf_counter() - started)
        answer.model_size = {**size, **answer.model_size}
        return answer
    build_seconds = time.perf_counter() - building
    if no_time_to_hand_over(deadline, build_seconds):
        answer = greedy_only(start, scenario, time.perf_counter() - started, NO_TIME_TO_HAND_OVER)
        answer.build_seconds = build_seconds
        answer.model_size = {**size, **answer.model_size}
        return answer
    size |= {
        "variables": built.problem.numVariables(),
        "constraints": built.problem.numConstraints(),
        "conflict_rows": built.conflict_rows,
        "clique_rows": built.clique_rows,
    }
    twice = needs_relaxed_bound(built, scenario)  # a second solve gives the bound
    first = scenario
    if twice and scenario.solver.time_limit is not None:  # half the time for each
        half = scenario.solver.model_copy(update={"time_limit": scenario.solver.time_limit / 2})
        first = scenario.model_copy(update={"solver": half})
    answer = run_full(built, first, roster, overlap, candidates, started, start=start)
    if twice:
        relaxing = time.perf_counter()
        try:
            relaxed = build(raise_reach_target=False)
        except BuildOverrun:
            answer = without_relaxed_bound(answer)
        else:
            if no_time_to_hand_over(deadline, time.perf_counter() - relaxing):
                answer = without_relaxed_bound(answer, NOT_HANDED_OVER)
            else:
                answer = with_relaxed_bound(
                    answer, built, relaxed, scenario, roster, overlap, started
                )
    if answer.picked is None and answer.outcome.status in (Status.OPTIMAL, Status.FEASIBLE):
        answer.picked = built.picked()  # the solver's own portfolio
    answer.build_seconds = build_seconds
    answer.model_size = size | answer.model_size
    return answer
