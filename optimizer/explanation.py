"""Why is an influencer in or out? Re-solve with it forced the other way and name binding rules."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .candidates import group_values, select_candidates
from .diagnose import explain_infeasible
from .engine import (
    Prepared,
    effective_scenario,
    prepared_for,
    solve_effective,
    strategy_name,
)
from .errors import InputError, did_you_mean
from .funnel import KPI_COLUMNS
from .result import Result
from .scenario import Goal, Scenario, checked_scenario
from .solver import Status
from .verify import RuleCheck, rule_checks


@dataclass
class Explanation:
    """The answer to "why is X in (or out of) the portfolio?".

    ``objective_change`` is forced − base objective (currency; spend when minimising cost), so
    a negative number for a maximize goal is what forcing the opposite choice costs. When the
    scenario itself has no portfolio nothing is forced (``forced`` and ``forced_status`` are
    None) and ``reasons`` hold its diagnosis. When the forced solve has no portfolio, or a rule
    of the brief decides the influencer's place (a filter, ``exclude`` among them, or
    ``include``: forcing it the other way is ``infeasible`` without a solve), the forced
    objective and change are None and ``swapped_in`` / ``swapped_out`` are empty.
    """

    influencer: str
    strategy: str | None
    picked: bool
    base_status: str
    base_objective: float | None
    forced: str | None  # "in" or "out"; None when the scenario itself has no portfolio
    forced_status: str | None
    forced_objective: float | None
    objective_change: float | None
    swapped_in: list[str] = field(default_factory=list)
    swapped_out: list[str] = field(default_factory=list)
    cost: float = 0.0
    value: float = 0.0
    value_per_cost: float | None = None
    portfolio_value_per_cost: float | None = None
    reasons: list[str] = field(default_factory=list)

    @property
    def base_solved(self) -> bool:
        """True when the scenario itself has a verified portfolio."""
        return self.base_status in (Status.OPTIMAL, Status.FEASIBLE)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dictionary."""
        return asdict(self)


def _value_per_cost(value: float, cost: float) -> float | None:
    return value / cost if cost > 0 else None


def standalone_value(scenario: Scenario, prepared: Prepared, position: int) -> float:
    """Value of one influencer on its own (currency; reach not de-duplicated)."""
    frame = prepared.roster.frame
    weights = scenario.objective.weights()
    return float(sum(w * frame[KPI_COLUMNS[k]].iloc[position] for k, w in weights.items()))


def binding_rules(scenario: Scenario, prepared: Prepared, position: int, base: Result) -> list[str]:
    """Rules that keep an unpicked influencer out of the base portfolio (data-only checks).

    A filter (``exclude`` among them) is the one reason for an influencer it rules out: the
    budget and the caps are not why such an influencer is out."""
    roster, overlap = prepared.roster, prepared.overlap
    rules = scenario.constraints
    reasons: list[str] = []
    held = holding_rule(scenario, prepared, position, picked=False)
    if held is not None:
        return [f"ruled out by the filter {held}"]
    picked = {roster.index_of[i] for i in base.selected}
    if rules.max_pair_overlap is not None:
        clashes = overlap.conflict_mask(rules.max_pair_overlap)
        for other, edge in overlap.neighbours(position):
            if other in picked and clashes[edge]:
                reasons.append(
                    f"conflicts with picked {roster.ids[other]}: they share "
                    f"{overlap.share[edge]:.0%} of the smaller audience "
                    f"(max_pair_overlap {rules.max_pair_overlap:.0%})"
                )
    cost = float(roster.frame["cost"].iloc[position])
    spend = float(base.kpis.get("spend") or 0.0)
    if scenario.budget is not None and cost > scenario.budget - spend + 1e-9:
        left = scenario.budget - spend
        reasons.append(f"costs {cost:,.0f} but only {left:,.0f} of the budget is left")
    if rules.max_influencers is not None and len(picked) >= rules.max_influencers:
        reasons.append(f"max_influencers {rules.max_influencers} is reached")
    for column, groups in rules.mix.items():
        label = group_values(roster, column)[position]
        for group, rule in groups.items():
            if group.lower() != label or rule.max_count is None:
                continue
            in_group = int(np.sum(group_values(roster, column)[list(picked)] == label))
            if picked and in_group >= rule.max_count:
                reasons.append(f"{column} {group} max_count {rule.max_count} is full")
    return reasons


def rules_it_serves(
    scenario: Scenario, prepared: Prepared, position: int, base: Result
) -> list[str]:
    """Limits the base portfolio would break without this picked influencer (nobody put in
    its place): why a creator of low value per cost can be in. The rules are measured by the
    re-check (:func:`optimizer.verify.rule_checks`, its tolerance included) on the portfolio
    with and without it; those only the latter breaks are named — its groups' counts and
    spend shares, the other groups' spend-share caps, resource minimums, KPI targets,
    min_influencers, min_spend, and the budget when a package deal lapses without it."""
    roster = prepared.roster
    picked = [roster.index_of[i] for i in base.selected]
    if position not in picked:
        return []
    rest = [j for j in picked if j != position]
    now = {c.rule: c for c in rule_checks(scenario, roster, prepared.overlap, picked)}
    own_include = f"include {roster.ids[position]}"  # said by holding_rule, not here
    reasons = []
    for check in rule_checks(scenario, roster, prepared.overlap, rest):
        before = now.get(check.rule)
        if check.broken and check.rule != own_include and not (before and before.broken):
            reasons.append(_without_it(check, before))
    return reasons


def _without_it(check: RuleCheck, before: RuleCheck | None) -> str:
    """A rule the portfolio would break without one pick (``check``, measured without it;
    ``before``: with it), in words."""
    rule, value = check.rule, check.value
    if check.kind == "mix_count":
        return (
            f"without it, {rule} {check.stated:.0f} fails: {value:.0f} picked "
            f"{check.subject} creators would be left"
        )
    if check.kind == "mix_share":
        share = value / check.spend if check.spend > 0 else 0.0
        words = f"without it, {rule} {check.stated:.0%} fails: {check.subject} creators would "
        words += f"hold {share:.1%} of spend"
        if before is not None and before.spend > 0:
            words += f" (now {before.value / before.spend:.1%})"
        return words
    if check.kind == "resource":
        return f"without it, {rule} {check.stated:,.2f} fails: {value:,.2f} would be left"
    if check.kind == "target":
        kpi = check.subject
        return (
            f"without it, the {kpi} target {_amount(check.stated)} fails: {kpi} would be "
            f"{_amount(value)}"
        )
    if check.kind == "min_influencers":
        return f"without it, min_influencers {check.stated:.0f} fails"
    if check.kind == "min_spend":
        return f"without it, min_spend {check.stated:,.0f} fails: spend would be {value:,.0f}"
    if check.kind == "budget":  # fewer picks cost more only when a package deal lapses
        return (
            f"without it, the budget {check.stated:,.0f} fails: its package deal would lapse "
            f"and the others would cost {value:,.0f}"
        )
    return f"without it, {check.message}"


def _amount(value: float) -> str:
    """A KPI for a sentence: whole units from 100 on, else two decimals (conversions)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"


def holding_rule(
    scenario: Scenario, prepared: Prepared, position: int, *, picked: bool
) -> str | None:
    """The rule of the brief that alone decides the influencer's place, if any: for an unpicked
    one the filter that rules it out (``exclude`` is one), for a picked one ``include``."""
    if picked:
        return "include" if prepared.roster.ids[position] in scenario.constraints.include else None
    return select_candidates(scenario, prepared.roster).excluded_by.get(position)


def _forced_scenario(scenario: Scenario, influencer: str, picked: bool) -> Scenario:
    """``scenario`` with ``influencer`` forced the other way (excluded if picked, else included)."""
    key = "exclude" if picked else "include"
    return scenario.with_overrides({key: [*getattr(scenario.constraints, key), influencer]})


def explain(
    scenario: Scenario,
    influencer: str,
    strategy: str | None = None,
    *,
    prepared: Prepared | None = None,
) -> Explanation:
    """Solve, then re-solve with ``influencer`` forced the other way, and say why.

    A rule of the brief that alone decides its place (see :func:`holding_rule`) is never lifted:
    forcing the influencer against it is reported as impossible, without a re-solve.
    Arguments are checked as :func:`optimizer.solve` checks them."""
    scenario = checked_scenario(scenario, "explain")
    if not isinstance(influencer, str):
        raise TypeError(f"explain(): influencer must be an id (str), not {influencer!r}")
    prepared = prepared_for(scenario, prepared)
    roster = prepared.roster
    if influencer not in roster.index_of:
        hint = did_you_mean(influencer, roster.ids)
        raise InputError.single(roster.source, "--influencer", f"no id {influencer!r}{hint}")
    position = roster.index_of[influencer]
    strategy = strategy_name(scenario, strategy)
    effective = effective_scenario(scenario, strategy)
    base = solve_effective(effective, roster, prepared.overlap, strategy)
    value = standalone_value(effective, prepared, position)
    cost = float(roster.frame["cost"].iloc[position])
    if not base.solved:
        return Explanation(
            influencer=influencer,
            strategy=strategy,
            picked=False,
            base_status=str(base.status),
            base_objective=None,
            forced=None,
            forced_status=None,
            objective_change=None,
            forced_objective=None,
            cost=cost,
            value=value,
            value_per_cost=_value_per_cost(value, cost),
            reasons=_diagnosis(effective, prepared, base),
        )
    picked = influencer in base.selected
    held = holding_rule(effective, prepared, position, picked=picked)
    forced = None
    if held is None:
        forced_scenario = _forced_scenario(effective, influencer, picked)
        forced = solve_effective(forced_scenario, roster, prepared.overlap, strategy)
    solved = forced if forced is not None and forced.solved else None

    portfolio_value = float(base.kpis.get("value") or 0.0)
    portfolio_spend = float(base.kpis.get("spend") or 0.0)
    explanation = Explanation(
        influencer=influencer,
        strategy=strategy,
        picked=picked,
        base_status=str(base.status),
        base_objective=base.objective,
        forced="out" if picked else "in",
        forced_status=str(forced.status if forced is not None else Status.INFEASIBLE),
        forced_objective=solved.objective if solved is not None else None,
        objective_change=(
            solved.objective - base.objective
            if solved is not None and solved.objective is not None and base.objective is not None
            else None
        ),
        swapped_in=sorted(set(solved.selected) - set(base.selected)) if solved is not None else [],
        swapped_out=sorted(set(base.selected) - set(solved.selected)) if solved is not None else [],
        cost=cost,
        value=value,
        value_per_cost=_value_per_cost(value, cost),
        portfolio_value_per_cost=_value_per_cost(portfolio_value, portfolio_spend),
    )
    explanation.reasons = _reasons(effective, prepared, position, base, forced, held, explanation)
    return explanation


def _diagnosis(scenario: Scenario, prepared: Prepared, result: Result) -> list[str]:
    """Why ``result`` has no portfolio: its own diagnosis, else the elastic explanation."""
    if result.diagnosis:
        return list(result.diagnosis)
    if result.status is Status.NO_SOLUTION:
        return ["no portfolio found before the time limit; raise --time-limit"]
    candidates = select_candidates(scenario, prepared.roster)
    return explain_infeasible(scenario, prepared.roster, prepared.overlap, candidates)


def _reasons(
    scenario: Scenario,
    prepared: Prepared,
    position: int,
    base: Result,
    forced: Result | None,
    held: str | None,
    answer: Explanation,
) -> list[str]:
    """The forced re-solve's outcome (or the rule that makes it impossible), the binding rules
    of an unpicked influencer, and its value per cost against the portfolio's."""
    reasons: list[str] = []
    minimize = scenario.goal is Goal.MINIMIZE_COST
    if held is not None:
        forcing = "exclude" if answer.picked else "include"
        reasons.append(
            f"forcing it {answer.forced} makes the rules impossible: "
            f"{forcing} {answer.influencer} clashes with {held}"
        )
        if answer.picked:
            reasons.append("it is on the include list")
    elif forced is not None and not forced.solved:
        why = _diagnosis(scenario, prepared, forced)
        reasons.append(f"forcing it {answer.forced} makes the rules impossible: " + "; ".join(why))
    elif answer.objective_change is not None:
        word = "spend" if minimize else "value"
        if base.robust is not None and not minimize:  # the solves' objective is the worst case
            word = "worst-case value"
        reasons.append(
            f"forcing it {answer.forced} changes the {word} by {answer.objective_change:+,.2f} "
            f"({answer.base_objective:,.2f} → {answer.forced_objective:,.2f})"
        )
        unproven = [
            f"{name}: gap {result.gap:.1e}" if result.gap is not None else f"{name}: no bound"
            for name, result in (("portfolio", base), ("forced", forced))
            if result is not None and result.status is Status.FEASIBLE
        ]
        if unproven:  # a deadline stopped a solve: the change is between unproven plans
            reasons.append(
                f"not proven: the time limit stopped the search ({'; '.join(unproven)}); "
                "raise --time-limit for the exact change"
            )
    if answer.picked:
        reasons += rules_it_serves(scenario, prepared, position, base)
    else:
        reasons += binding_rules(scenario, prepared, position, base)
    if minimize:  # the value is 0 or beside the point: what the targets count, per cost
        reasons += _targets_per_cost(scenario, prepared, position, base)
    elif answer.value_per_cost is not None and answer.portfolio_value_per_cost is not None:
        nominal = "nominal " if base.robust is not None else ""
        reasons.append(
            f"its {nominal}value per unit of cost is {answer.value_per_cost:,.2f}, against "
            f"{answer.portfolio_value_per_cost:,.2f} for the picked set as a whole"
        )
    return reasons


def _targets_per_cost(
    scenario: Scenario, prepared: Prepared, position: int, base: Result
) -> list[str]:
    """A minimize-cost brief: each target KPI per 1,000 of cost, the influencer's own (reach
    not de-duplicated) against the portfolio's (de-duplicated)."""
    frame = prepared.roster.frame
    cost = float(frame["cost"].iloc[position])
    spend = float(base.kpis.get("spend") or 0.0)
    lines = []
    for kpi in scenario.constraints.targets.as_dict():
        own = float(frame[KPI_COLUMNS[kpi]].iloc[position])
        total = base.kpis.get(kpi)
        if cost <= 0 or spend <= 0 or total is None:
            continue
        lines.append(
            f"its {kpi} per 1,000 {scenario.currency} of cost is {1000 * own / cost:,.2f}, against "
            f"{1000 * float(total) / spend:,.2f} for the picked set as a whole"
        )
    return lines
