"""A reach target under an over-counting reach model (Sainsbury): two solves, one answer.

The tangent model counts at least the exact reach, at most ``1 + ε`` times it. With the
target raised by ``1 + ε`` (``build_model``'s default) every portfolio the MIP finds meets
the exact target, but portfolios whose exact reach lies in ``[T, T·(1 + ε))`` are cut off:
that model's bound, its "optimal" and its "infeasible" prove nothing for the brief. With the
target as written the MIP is a relaxation of the brief (the model never counts less than the
exact reach, and when maximising its value never less than the exact value): its bound and
its "infeasible" are proofs, and its portfolio counts when its exact reach meets the target.
"""

from __future__ import annotations

from dataclasses import replace

from .fastpath import PathAnswer
from .fullpath import run_full
from .kpis import portfolio_kpis
from .model import BuiltModel
from .overlap import OverlapGraph
from .robust import worst_case_value
from .roster import Roster
from .scenario import Goal, Scenario
from .solver import Status
from .verify import check_selection

SOLVED = (Status.OPTIMAL, Status.FEASIBLE)


def needs_relaxed_bound(built: BuiltModel, scenario: Scenario) -> bool:
    """Did ``built`` raise a reach target (so its bound is not one of the brief)?"""
    return scenario.constraints.targets.reach is not None and built.reach_margin != 1.0


def _without_reach_target(scenario: Scenario) -> Scenario:
    """``scenario`` with no reach target (the relaxed model's target is checked by its rows).
    A copy, not ``with_overrides``: revalidated, minimize_cost with no target is refused."""
    targets = scenario.constraints.targets.model_copy(update={"reach": None})
    constraints = scenario.constraints.model_copy(update={"targets": targets})
    copy = scenario.model_copy(update={"constraints": constraints})
    copy._source, copy._base_dir = scenario.source, scenario.base_dir
    return copy


def _picked(built: BuiltModel, answer: PathAnswer) -> list[int] | None:
    """The portfolio of a path's answer (roster positions), None without one."""
    if answer.outcome.status not in SOLVED:
        return None
    return answer.picked if answer.picked is not None else built.picked()


def _exact(scenario: Scenario, roster: Roster, overlap: OverlapGraph, picked: list[int]) -> float:
    """The brief's objective of ``picked`` from the data: spend, or value with exact reach
    (its worst case when robust)."""
    kpis = portfolio_kpis(scenario, roster, overlap, picked)
    if scenario.goal is Goal.MINIMIZE_COST:
        return kpis["spend"]
    if scenario.robust is not None and scenario.robust.gamma > 0:
        return worst_case_value(scenario, roster, picked, kpis["value"])
    return kpis["value"]


def with_relaxed_bound(
    restricted: PathAnswer,
    built: BuiltModel,
    relaxed_model: BuiltModel,
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    started: float,
) -> PathAnswer:
    """Combine the restricted solve (``restricted``, of ``built``) with the relaxed one (of
    ``relaxed_model``: the target as written), run here by the same deadline: the better
    portfolio that meets the brief exactly, the relaxed model's bound, and ``optimal`` only
    when the two lie within ``solver.gap``."""
    candidates = built.candidates
    loose = _without_reach_target(scenario)  # what a CBC answer of the relaxation must hold
    relaxed = run_full(relaxed_model, scenario, roster, overlap, candidates, started, recheck=loose)
    outcome = relaxed.outcome
    seconds = restricted.outcome.seconds + outcome.seconds
    size = {**restricted.model_size, "relaxed_target_status": str(outcome.status)}
    minimize = scenario.goal is Goal.MINIMIZE_COST
    offers = []  # (exact objective, picks, answer): portfolios meeting the brief exactly
    for model, answer in ((built, restricted), (relaxed_model, relaxed)):
        picked = _picked(model, answer)
        if picked is not None and not check_selection(scenario, roster, overlap, picked):
            offers.append((_exact(scenario, roster, overlap, picked), picked, answer))
    if outcome.status is Status.INFEASIBLE and not offers:  # the relaxation has none: proven
        return replace(relaxed, outcome=replace(outcome, seconds=seconds), model_size=size)
    bound = None if outcome.status is Status.INFEASIBLE else outcome.bound
    if not offers:
        return PathAnswer(
            replace(restricted.outcome, status=Status.NO_SOLUTION, objective=None, bound=bound,
                    gap=None, seconds=seconds),
            None, model_size=size,
        )  # fmt: skip
    value, picked, answer = (min if minimize else max)(offers, key=lambda offer: offer[0])
    gap = None if bound is None else abs(bound - value) / max(abs(value), 1e-9)
    proven = gap is not None and gap <= scenario.solver.gap
    status = Status.OPTIMAL if proven else Status.FEASIBLE
    chosen = replace(answer.outcome, status=status, bound=bound, gap=gap, seconds=seconds)
    return PathAnswer(chosen, picked, model_size=size)


def without_relaxed_bound(
    restricted: PathAnswer, why: str = "not built (time limit)"
) -> PathAnswer:
    """The restricted solve alone, when the relaxed model could not be built (or solved:
    ``why``) in time: its bound is of the raised target (not valid for the brief), so none is
    claimed, and a portfolio is ``feasible`` at best."""
    outcome = restricted.outcome
    if outcome.status in (Status.OPTIMAL, Status.FEASIBLE):
        outcome = replace(outcome, status=Status.FEASIBLE, bound=None, gap=None)
    else:
        outcome = replace(outcome, status=Status.NO_SOLUTION, bound=None, gap=None)
    size = {**restricted.model_size, "relaxed_target_status": why}
    return replace(restricted, outcome=outcome, model_size=size)
