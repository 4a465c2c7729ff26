"""Independent re-check of a selection against the roster and the scenario's rules.

Nothing here reads solver values or model rows: every rule is recomputed from the data, so a
solver bug, a tolerance slip or a modelling mistake shows up as a violation instead of a
wrong portfolio.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .kpis import effective_costs, portfolio_kpis
from .overlap import OverlapGraph
from .reach import load_reach
from .robust import worst_case_value
from .roster import Roster
from .scenario import Goal, Scenario

RELATIVE_TOLERANCE = 1e-6  # slack allowed on sums, as a fraction of the limit
ABSOLUTE_TOLERANCE = 1e-6  # and in the unit of the rule


def exceeds(value: float, limit: float) -> bool:
    """Is ``value`` above the upper limit ``limit``, beyond the re-check's tolerance?"""
    return value > limit + ABSOLUTE_TOLERANCE + RELATIVE_TOLERANCE * abs(limit)


def falls_short(value: float, limit: float) -> bool:
    """Is ``value`` below the lower limit ``limit``, beyond the re-check's tolerance?"""
    return value < limit - ABSOLUTE_TOLERANCE - RELATIVE_TOLERANCE * abs(limit)


def model_reach_excess(
    scenario: Scenario, roster: Roster, picked: Sequence[int], kpis: dict
) -> float:
    """People the MIP's reach model counts beyond the exact reach ``kpis["reach"]`` of the
    picks (its documented approximation: Sainsbury tangents; 0 for the other models)."""
    audience = load_reach(scenario, roster)
    return 0.0 if audience is None else audience.model_reach(list(picked)) - kpis["reach"]


def as_the_model_counts(
    scenario: Scenario, roster: Roster, picked: Sequence[int], value: float, kpis: dict
) -> float:
    """A portfolio's ``value`` from the data as the MIP counts it: with the reach weight
    times the people its reach model counts beyond the exact reach (Sainsbury's tangents;
    unchanged for the other models)."""
    return value + scenario.objective.reach * model_reach_excess(scenario, roster, picked, kpis)


def modelled_objective(
    scenario: Scenario, roster: Roster, picked: Sequence[int], kpis: dict
) -> float:
    """A portfolio's objective from its ``kpis`` as the full model of ``scenario`` counts it:
    spend when minimising cost; else its value (the worst case in robust mode), with the
    reach model's documented excess (:func:`as_the_model_counts`)."""
    if scenario.goal is Goal.MINIMIZE_COST:
        return float(kpis["spend"])
    value = float(kpis["value"])
    if scenario.robust is not None and scenario.robust.gamma > 0:
        value = worst_case_value(scenario, roster, list(picked), value)
    return as_the_model_counts(scenario, roster, picked, value, kpis)


def check_robust_objective(
    scenario: Scenario,
    roster: Roster,
    picked: Sequence[int],
    kpis: dict,
    worst_case: float,
    solver_objective: float | None,
    proven: bool,
) -> list[str]:
    """The solver's robust objective against ``worst_case`` (from the data), like with like.

    It can only be lower than the data's: the protection variables of an unproven incumbent
    may be larger than its picks need; at a proven optimum they are the least, and the two
    agree."""
    if solver_objective is None:
        return []
    modelled = as_the_model_counts(scenario, roster, picked, worst_case, kpis)
    slack = 1e-4 * max(1.0, abs(modelled))
    if solver_objective > modelled + slack or (proven and solver_objective < modelled - slack):
        return [f"robust objective: solver {solver_objective:,.4f}, data {modelled:,.4f}"]
    return []


COUNT_KINDS = frozenset({"min_influencers", "max_influencers", "mix_count"})


@dataclass(frozen=True)
class RuleCheck:
    """One rule of the brief measured on a portfolio: ``value`` against ``limit``, in the
    rule's own unit (currency, influencers, people…), a ceiling when ``upper``. Rules on single
    picks (filters, include / exclude, conflicts, offers per creator) appear only when broken,
    as value 1 against limit 0. ``message`` is the re-check's words for a breach."""

    rule: str  # unique per rule, e.g. "budget", "tier micro min_share", "target reach"
    kind: str  # budget, min_spend, min_influencers, max_influencers, mix_count, mix_share,
    # resource, target or item (a rule on single picks)
    value: float
    limit: float
    upper: bool
    message: str
    stated: float = 0.0  # the limit as written: a share as a fraction, a count, an amount
    subject: str = ""  # the mix group, the resource column or the target KPI
    spend: float = 0.0  # the portfolio's spend (currency): a spend share is value / spend

    @property
    def broken(self) -> bool:
        """Does the portfolio break the rule, beyond the re-check's tolerance (none for
        counts: whole numbers)?"""
        if self.kind in COUNT_KINDS:
            return self.value > self.limit if self.upper else self.value < self.limit
        if self.upper:
            return exceeds(self.value, self.limit)
        return falls_short(self.value, self.limit)


def _item(rule: str, message: str) -> RuleCheck:
    """A broken rule on single picks (see :class:`RuleCheck`)."""
    return RuleCheck(rule, "item", 1.0, 0.0, True, message)


def rule_checks(
    scenario: Scenario, roster: Roster, overlap: OverlapGraph, picked: Sequence[int]
) -> list[RuleCheck]:
    """Every rule of the brief measured on the portfolio ``picked`` (roster positions), from
    the data alone, in the order :func:`check_selection` reports them; see :class:`RuleCheck`.
    """
    return _checks_and_kpis(scenario, roster, overlap, list(picked))[0]


def _checks_and_kpis(
    scenario: Scenario, roster: Roster, overlap: OverlapGraph, picked: list[int]
) -> tuple[list[RuleCheck], dict | None]:
    """:func:`rule_checks` and the portfolio's KPIs (None for a malformed selection)."""
    rules = scenario.constraints
    frame = roster.frame
    positions = np.asarray(picked, dtype=np.int64)
    unknown = bool(np.any((positions < 0) | (positions >= len(roster))))
    if unknown or len(np.unique(positions)) != len(positions):
        return [_item("selection", "selection has repeated or unknown influencers")], None
    checks: list[RuleCheck] = []
    all_ids = roster.ids  # a fresh list on every access: read it once
    ids = [all_ids[p] for p in picked]
    kpis = portfolio_kpis(scenario, roster, overlap, picked)
    spend = kpis["spend"]

    if scenario.budget is not None:
        budget = scenario.budget
        message = f"budget: spend {spend:,.2f} exceeds {budget:,.2f}"
        checks.append(RuleCheck("budget", "budget", spend, budget, True, message, budget))
    if rules.min_spend is not None:
        floor = rules.min_spend
        message = f"min_spend: spend {spend:,.2f} is below {floor:,.2f}"
        checks.append(RuleCheck("min_spend", "min_spend", spend, floor, False, message, floor))
    count = len(picked)
    if rules.min_influencers is not None:
        least = rules.min_influencers
        message = f"min_influencers: {count} picked, need {least}"
        checks.append(
            RuleCheck("min_influencers", "min_influencers", count, least, False, message, least)
        )
    if rules.max_influencers is not None:
        most = rules.max_influencers
        message = f"max_influencers: {count} picked, limit {most}"
        checks.append(
            RuleCheck("max_influencers", "max_influencers", count, most, True, message, most)
        )

    for ident in rules.include:
        if ident not in ids:
            checks.append(_item(f"include {ident}", f"include: {ident} is not picked"))
    for ident in set(rules.exclude) & set(ids):
        checks.append(_item(f"exclude {ident}", f"exclude: {ident} is picked"))
    picks = frame.iloc[picked]  # one lookup, not one per pick (large portfolios)
    pick_ids = picks["id"].to_numpy()
    if rules.min_authenticity is not None:
        authenticity = picks["authenticity"].to_numpy(dtype=float)
        for k in np.flatnonzero(authenticity < rules.min_authenticity).tolist():
            message = f"min_authenticity: {pick_ids[k]} has {authenticity[k]:.3f}"
            checks.append(_item(f"min_authenticity {pick_ids[k]}", message))
    for column, allowed, verb in (
        ("tier", rules.tiers, "is"),
        ("platform", rules.platforms, "is on"),
    ):
        if allowed is None:
            continue
        values = picks[column].astype(str)
        outside = ~values.str.lower().isin({a.lower() for a in allowed}).to_numpy()
        for k in np.flatnonzero(outside).tolist():
            message = f"{column}s: {pick_ids[k]} {verb} {values.iloc[k]}"
            checks.append(_item(f"{column}s {pick_ids[k]}", message))

    checks += _mix_checks(scenario, roster, picks, picked, spend)

    if rules.max_pair_overlap is not None:
        edges = overlap.among(picked)
        clash = edges[overlap.conflict_mask(rules.max_pair_overlap)[edges]]
        for k in clash.tolist():
            a, b = all_ids[overlap.i[k]], all_ids[overlap.j[k]]
            message = (
                f"max_pair_overlap: {a} and {b} share "
                f"{overlap.share[k]:.0%} of the smaller audience"
            )
            checks.append(_item(f"max_pair_overlap {a} {b}", message))

    if rules.max_offers_per_creator is not None and "creator" in frame.columns:
        creators = [str(v) for v in picks["creator"]]
        counts = Counter(creators)
        for creator in {c for c in creators if c}:
            booked = counts[creator]
            if booked > rules.max_offers_per_creator:
                message = (
                    f"max_offers_per_creator: {booked} offers of {creator} "
                    f"(limit {rules.max_offers_per_creator})"
                )
                checks.append(_item(f"max_offers_per_creator {creator}", message))

    for column, limit in rules.resources.items():
        used = float(frame[column].iloc[picked].fillna(0).astype(float).sum())
        if limit.max is not None:
            message = f"resource {column}: {used:,.2f} exceeds {limit.max:,.2f}"
            rule = f"resource {column} max"
            checks.append(
                RuleCheck(rule, "resource", used, limit.max, True, message, limit.max, column)
            )
        if limit.min is not None:
            message = f"resource {column}: {used:,.2f} is below {limit.min:,.2f}"
            rule = f"resource {column} min"
            checks.append(
                RuleCheck(rule, "resource", used, limit.min, False, message, limit.min, column)
            )

    for kpi, target in rules.targets.as_dict().items():
        message = f"target {kpi}: {kpis[kpi]:,.2f} is below {target:,.2f}"
        checks.append(
            RuleCheck(f"target {kpi}", "target", kpis[kpi], target, False, message, target, kpi)
        )
    return checks, kpis


def _mix_checks(
    scenario: Scenario, roster: Roster, picks: Any, picked: list[int], spend: float
) -> list[RuleCheck]:
    """The mix rules measured on the picks (``picks``: their roster rows): counts, and spend
    shares as the group's spend (currency) against the share of the whole ``spend``."""
    rules = scenario.constraints
    costs = np.asarray(effective_costs(scenario, roster, picked) if rules.mix else [], float)
    checks: list[RuleCheck] = []
    for column, groups in rules.mix.items():
        labels = picks[column].astype(str).str.strip().str.lower().to_numpy()
        for group, rule in groups.items():
            members = labels == group.lower()
            count = int(members.sum())
            share_spend = float(costs[members].sum())
            name = f"{column} {group}"
            for key, limit, upper, word in (
                ("min_count", rule.min_count, False, "need"),
                ("max_count", rule.max_count, True, "limit"),
            ):
                if limit is None:
                    continue
                message = f"mix {name} {key}: {count} picked, {word} {limit}"
                rule_name = f"{name} {key}"
                checks.append(
                    RuleCheck(rule_name, "mix_count", count, limit, upper, message, limit, group)
                )
            for key, share, upper in (
                ("min_share", rule.min_share, False),
                ("max_share", rule.max_share, True),
            ):
                if share is None:
                    continue
                message = f"mix {name} {key}: {share_spend:,.2f} of {spend:,.2f} spent"
                checks.append(
                    RuleCheck(
                        f"{name} {key}",
                        "mix_share",
                        share_spend,
                        share * spend,
                        upper,
                        message,
                        share,
                        group,
                        spend,
                    )
                )
    return checks


def check_selection(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    picked: Sequence[int],
    solver_objective: float | None = None,
    solver_bound: float | None = None,
) -> list[str]:
    """Every rule the selection breaks (empty when it is a valid portfolio), in the
    re-check's words (:func:`rule_checks`).

    ``solver_objective``: the value the solver claims for it, compared with the data's. When
    maximising, an incumbent the solver did not prove may be worth more than it says (a pair's
    de-duplication variable may exceed what its picks need), never more than ``solver_bound``
    (the bound it reports; None: no ceiling) — nor less than it says.
    """
    picked = list(picked)
    checks, kpis = _checks_and_kpis(scenario, roster, overlap, picked)
    violations = [check.message for check in checks if check.broken]
    if solver_objective is not None and kpis is not None:  # (robust callers pass none)
        recomputed = modelled_objective(scenario, roster, picked, kpis)
        slack = 1e-4 * max(1.0, abs(recomputed))
        ceiling = solver_objective
        if scenario.goal is not Goal.MINIMIZE_COST:
            ceiling = np.inf if solver_bound is None else max(solver_bound, solver_objective)
        if not solver_objective - slack <= recomputed <= ceiling + slack:
            violations.append(
                f"objective: solver says {solver_objective:,.4f}, data give {recomputed:,.4f}"
            )
    return violations
