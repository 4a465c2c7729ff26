"""Plain-words reasons why a scenario has no feasible portfolio (quick, data-only checks)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import numpy as np

from .candidates import Candidates, group_values
from .overlap import OverlapGraph
from .roster import Roster
from .scenario import Scenario, SolverSettings
from .solver import SolveOutcome, Status, run

if TYPE_CHECKING:
    import pulp

    from .model import RuleRow

# building the elastic PuLP model takes 0.1–0.2 ms per candidate (measured at 1,000 to
# 100,000), and it cannot be interrupted: under a time limit an elastic re-solve starts only
# when twice this estimate fits in the time left
ELASTIC_BUILD_PER_CANDIDATE = 2e-4
NO_TIME_TO_NAME = (
    "the time limit left no time to name the clashing rules (elastic re-solves): solve "
    "again with a longer --time-limit, or none, to get them"
)
# the elastic re-solves may take this long in all (seconds), with or without a time limit:
# proving the smallest total slack can take far longer than proving the brief infeasible
# (seconds against minutes on dense conflict graphs), and the verdict should not wait on it
DIAGNOSIS_SECONDS = 10.0
NOT_NAMED_IN_TIME = (
    "the clashing rules could not be named within the diagnosis's time box (elastic "
    "re-solves): relax targets, mix minimums or overlap limits one at a time"
)


def _money(value: float) -> str:
    return f"{value:,.0f}"


def include_clashes(scenario: Scenario, roster: Roster, candidates: Candidates) -> list[str]:
    """Included influencers that a filter rules out."""
    reasons = []
    for ident in scenario.constraints.include:
        position = roster.index_of[ident]
        rule = candidates.excluded_by.get(position)
        if rule is not None:
            reasons.append(f"include {ident} clashes with {rule}")
    return reasons


def include_conflicts(scenario: Scenario, roster: Roster, overlap: OverlapGraph) -> list[str]:
    """Pairs of included influencers that ``max_pair_overlap`` forbids together."""
    rules = scenario.constraints
    if rules.max_pair_overlap is None or len(rules.include) < 2:
        return []
    edges = overlap.among(roster.index_of[i] for i in rules.include)
    edges = edges[overlap.conflict_mask(rules.max_pair_overlap)[edges]]
    ids = roster.ids
    limit = rules.max_pair_overlap
    return [
        f"include {ids[int(overlap.i[k])]} and {ids[int(overlap.j[k])]} clash with "
        f"max_pair_overlap {limit:.0%}: they share {_above(float(overlap.share[k]), limit)} "
        "of the smaller audience"
        for k in edges.tolist()
    ]


def _above(share: float, limit: float) -> str:
    """``share`` as a percent with enough decimals to read above ``limit`` (30.04%, not 30%)."""
    for digits in range(4):
        if round(share, digits + 2) > limit:
            return f"{share:.{digits}%}"
    return f"{share:.4%}"


def budget_clashes(scenario: Scenario, roster: Roster, candidates: Candidates) -> list[str]:
    """Rules whose cheapest way to hold already costs more than the budget, or lack candidates."""
    rules = scenario.constraints
    positions = candidates.positions
    cost = roster.column("cost").astype(float)
    budget = scenario.budget
    reasons: list[str] = []
    included = [roster.index_of[i] for i in rules.include]
    must_pay = float(cost[included].sum()) if included else 0.0
    if budget is not None and must_pay > budget:
        reasons.append(f"include list costs {_money(must_pay)} but budget is {_money(budget)}")

    def needs(count: int, members: np.ndarray, label: str) -> None:
        available = positions[members]
        if len(available) < count:
            reasons.append(f"{label} needs {count} influencers but only {len(available)} qualify")
            return
        cheapest = float(np.sort(cost[available])[:count].sum())
        if rules.package_discount is not None:  # a lower bound even if every deal applies
            cheapest *= 1.0 - rules.package_discount.discount
        if budget is not None and cheapest > budget:
            reasons.append(
                f"{label} needs at least {_money(cheapest)} but budget is {_money(budget)}"
            )

    if rules.min_influencers:
        needs(
            rules.min_influencers,
            np.ones(len(positions), dtype=bool),
            f"min_influencers {rules.min_influencers}",
        )
    for column, groups in rules.mix.items():
        values = group_values(roster, column)[positions]
        for group, rule in groups.items():
            if rule.min_count:
                needs(
                    rule.min_count,
                    values == group.lower(),
                    f"{column} {group} min_count {rule.min_count}",
                )
    if rules.max_influencers is not None and len(included) > rules.max_influencers:
        reasons.append(
            f"include lists {len(included)} influencers, max_influencers is {rules.max_influencers}"
        )
    if budget is not None and rules.min_spend is not None and rules.min_spend > budget:
        reasons.append(f"min_spend {_money(rules.min_spend)} is above budget {_money(budget)}")
    return reasons


def explain_infeasible(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates,
    deadline: float | None = None,
    seconds: float | None = None,
) -> list[str]:
    """Quick data checks first, then an elastic re-solve; a generic reason as a last resort.

    ``deadline`` (``time.perf_counter()`` seconds) is the solve's time limit, if it has one:
    the elastic re-solves stop by it, and are skipped (the reason says so) when building
    their model would not fit in the time left. Whatever the deadline, their solving gets
    at most ``seconds`` in all (default ``DIAGNOSIS_SECONDS``; their builds come on top)."""
    reasons = include_clashes(scenario, roster, candidates)
    reasons += include_conflicts(scenario, roster, overlap)
    reasons += budget_clashes(scenario, roster, candidates)
    if reasons:
        return reasons
    build = ELASTIC_BUILD_PER_CANDIDATE * len(candidates.positions)
    # neither the build nor reading the answer back can be interrupted: the re-solves stop one
    # build's time before the deadline, and start only if their build ends before that
    solve_by = None if deadline is None else deadline - build
    # up to three re-solves, each with a build: the box is for their solving
    box = DIAGNOSIS_SECONDS if seconds is None else seconds
    boxed_by = time.perf_counter() + box + 3 * build
    box_first = solve_by is None or boxed_by < solve_by
    stop = boxed_by if solve_by is None else min(boxed_by, solve_by)
    reasons = elastic_reasons(
        scenario,
        roster,
        overlap,
        scenario.solver,
        deadline=stop,
        build_seconds=build,
        stopped_by="the diagnosis's time box" if box_first else "the time limit",
    )
    if not reasons and time.perf_counter() + build >= stop:
        return [NOT_NAMED_IN_TIME if box_first else NO_TIME_TO_NAME]
    if not reasons:
        reasons.append(
            "no portfolio satisfies all rules together (no single rule explains it: "
            "relax targets, mix minimums or overlap limits one at a time)"
        )
    return reasons


def explain_empty(scenario: Scenario, roster: Roster, candidates: Candidates) -> list[str]:
    """Why the best portfolio hires nobody: every influencer filtered out, or none affordable."""
    if len(candidates.positions) == 0:
        counts: dict[str, int] = {}
        for rule in candidates.excluded_by.values():
            counts[rule] = counts.get(rule, 0) + 1
        detail = ", ".join(f"{rule}: {n}" for rule, n in sorted(counts.items()))
        return [f"every influencer is ruled out by a filter ({detail})"]
    cheapest = float(roster.column("cost").astype(float)[candidates.positions].min())
    if scenario.budget is not None and cheapest > scenario.budget:
        return [
            f"no influencer fits the budget: the cheapest candidate costs {_money(cheapest)}, "
            f"budget is {_money(scenario.budget)}"
        ]
    return ["hiring nobody is best: no candidate adds value under these rules"]


def elastic_reasons(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    settings: SolverSettings,
    alternatives: int = 3,
    deadline: float | None = None,
    build_seconds: float = 0.0,
    stopped_by: str = "the time limit",
) -> list[str]:
    """Rules to relax, and by how much, found by elastic re-solves.

    Every user rule gets a slack variable; minimising the total relative slack gives a
    smallest-violation way to make the rules hold together. Each rule with positive slack is
    one of the clashing rules, and its slack is how far it must move. The rules relaxed so far
    are then held rigid and the re-solve repeated, to offer other ways out ("or: …").
    With a ``deadline`` (``time.perf_counter()`` seconds) every re-solve stops by it, and no
    new one starts unless its model's build (``build_seconds``, estimated) ends before it; a
    re-solve stopped by it gives amounts that are one way out, not proven the smallest
    (its reason says so, naming ``stopped_by``, what set the deadline).
    """
    from .model import build_model  # lazy: PuLP only when a re-solve is needed

    rigid: set[str] = set()
    reasons: list[str] = []
    for attempt in range(alternatives):
        if deadline is not None and time.perf_counter() + build_seconds >= deadline:
            break
        rigid_rules = frozenset(rigid)  # the reach target as written: "at most" stays true
        built = build_model(
            scenario, roster, overlap, elastic=True, rigid=rigid_rules, raise_reach_target=False
        )
        outcome = _run_by(built.problem, settings, deadline)
        if outcome is None or outcome.status not in (Status.OPTIMAL, Status.FEASIBLE):
            break
        relaxed = [(rule, _slack(rule)) for rule in built.rules]
        relaxed = [(rule, amount) for rule, amount in relaxed if amount is not None]
        if not relaxed:
            break
        proven = outcome.status is Status.OPTIMAL
        words = "; ".join(_describe(rule, amount, proven) for rule, amount in relaxed)
        if not proven:
            words += f" (found before {stopped_by} stopped the re-solve: a smaller change may do)"
        reasons.append(words if attempt == 0 else f"or: {words}")
        rigid.update(rule.name for rule, _ in relaxed)
    return reasons


def _run_by(
    problem: pulp.LpProblem, settings: SolverSettings, deadline: float | None
) -> SolveOutcome | None:
    """Solve ``problem`` as ``settings`` say, by the wall-clock ``deadline`` if there is one
    (its time limit cut to the time left); None when the solver had to be abandoned."""
    if deadline is None:
        return run(problem, settings)
    from .fastpath import Abandoned  # lazy: the solver stack only when a re-solve is needed
    from .fullpath import deadline_solver

    left = max(deadline - time.perf_counter(), 0.01)
    limit = left if settings.time_limit is None else min(settings.time_limit, left)
    limited = settings.model_copy(update={"time_limit": limit})
    try:
        return run(problem, limited, deadline_solver(limited, deadline))
    except Abandoned:
        return None


def _slack(rule: RuleRow) -> float | None:
    """How far a rule had to bend in the elastic model (None when it held)."""
    if rule.slack is None:
        return None
    amount = float(rule.slack.varValue or 0.0)
    return amount if amount > 1e-6 * max(1.0, abs(rule.rhs)) else None


def _describe(rule: RuleRow, amount: float, proven: bool = True) -> str:
    """One bent rule in words; ``proven``: the elastic re-solve proved its total slack the
    smallest (else the amounts are one way out, and "at most" would be a claim it cannot make)."""
    if rule.spend_share and rule.sense == "<=":  # slack in currency, not in the rule's unit
        return f"{rule.label} must give way: {_amount(amount)} of spend over its share"
    if rule.spend_share:
        return f"{rule.label} is short by {_amount(amount)} of spend"
    if rule.sense == "<=":
        return f"{rule.label} must rise by {_amount(amount)} (to {_amount(rule.rhs + amount)})"
    if not proven:
        return f"{rule.label} cannot hold: {_amount(rule.rhs - amount)} was reached"
    return f"{rule.label} cannot hold: at most {_amount(rule.rhs - amount)} is reachable"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.2f}"
