"""Plain-words reasons why a scenario has no feasible portfolio (quick, data-only checks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .candidates import Candidates, group_values
from .overlap import OverlapGraph
from .roster import Roster
from .scenario import Scenario, SolverSettings
from .solver import Status, run

if TYPE_CHECKING:
    from .model import RuleRow


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
    scenario: Scenario, roster: Roster, overlap: OverlapGraph, candidates: Candidates
) -> list[str]:
    """Quick data checks first, then an elastic re-solve; a generic reason as a last resort."""
    reasons = include_clashes(scenario, roster, candidates)
    reasons += budget_clashes(scenario, roster, candidates)
    if not reasons:
        reasons = elastic_reasons(scenario, roster, overlap, scenario.solver)
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
) -> list[str]:
    """Rules to relax, and by how much, found by elastic re-solves.

    Every user rule gets a slack variable; minimising the total relative slack gives a
    smallest-violation way to make the rules hold together. Each rule with positive slack is
    one of the clashing rules, and its slack is how far it must move. The rules relaxed so far
    are then held rigid and the re-solve repeated, to offer other ways out ("or: …").
    """
    from .model import build_model  # lazy: PuLP only when a re-solve is needed

    rigid: set[str] = set()
    reasons: list[str] = []
    for attempt in range(alternatives):
        built = build_model(scenario, roster, overlap, elastic=True, rigid=frozenset(rigid))
        outcome = run(built.problem, settings)
        if outcome.status not in (Status.OPTIMAL, Status.FEASIBLE):
            break
        relaxed = [(rule, _slack(rule)) for rule in built.rules]
        relaxed = [(rule, amount) for rule, amount in relaxed if amount is not None]
        if not relaxed:
            break
        words = "; ".join(_describe(rule, amount) for rule, amount in relaxed)
        reasons.append(words if attempt == 0 else f"or: {words}")
        rigid.update(rule.name for rule, _ in relaxed)
    return reasons


def _slack(rule: RuleRow) -> float | None:
    """How far a rule had to bend in the elastic model (None when it held)."""
    if rule.slack is None:
        return None
    amount = float(rule.slack.varValue or 0.0)
    return amount if amount > 1e-6 * max(1.0, abs(rule.rhs)) else None


def _describe(rule: RuleRow, amount: float) -> str:
    if rule.rhs == 0 and rule.sense == "<=":  # a spend-share cap, slack in currency
        return f"{rule.label} must give way: {_amount(amount)} of spend over its share"
    if rule.sense == "<=":
        return f"{rule.label} must rise by {_amount(amount)} (to {_amount(rule.rhs + amount)})"
    if rule.rhs == 0:
        return f"{rule.label} is short by {_amount(amount)} of spend"
    return f"{rule.label} cannot hold: at most {_amount(rule.rhs - amount)} is reachable"


def _amount(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 10 or float(value).is_integer() else f"{value:,.2f}"
