"""Plain-words reasons why a scenario has no feasible portfolio (quick, data-only checks)."""

from __future__ import annotations

import numpy as np

from .model import Candidates, group_values
from .roster import Roster
from .scenario import Scenario


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


def explain_infeasible(scenario: Scenario, roster: Roster, candidates: Candidates) -> list[str]:
    """Best-effort reasons; a generic one when no single rule explains it."""
    reasons = include_clashes(scenario, roster, candidates)
    reasons += budget_clashes(scenario, roster, candidates)
    if not reasons:
        reasons.append(
            "no portfolio satisfies all rules together (no single rule explains it: "
            "relax targets, mix minimums or overlap limits one at a time)"
        )
    return reasons
