"""Independent re-check of a selection against the roster and the scenario's rules.

Nothing here reads solver values or model rows: every rule is recomputed from the data, so a
solver bug, a tolerance slip or a modelling mistake shows up as a violation instead of a
wrong portfolio.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from .kpis import effective_costs, portfolio_kpis
from .overlap import OverlapGraph
from .reach import load_reach
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


def check_selection(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    picked: Sequence[int],
    solver_objective: float | None = None,
    solver_bound: float | None = None,
) -> list[str]:
    """Every rule the selection breaks (empty when it is a valid portfolio).

    ``solver_objective``: the value the solver claims for it, compared with the data's. When
    maximising, an incumbent the solver did not prove may be worth more than it says (a pair's
    de-duplication variable may exceed what its picks need), never more than ``solver_bound``
    (the bound it reports; None: no ceiling) — nor less than it says.
    """
    violations: list[str] = []
    rules = scenario.constraints
    frame = roster.frame
    picked = list(picked)
    if len(set(picked)) != len(picked) or any(not 0 <= p < len(roster) for p in picked):
        return ["selection has repeated or unknown influencers"]
    all_ids = roster.ids  # a fresh list on every access: read it once
    ids = [all_ids[p] for p in picked]
    kpis = portfolio_kpis(scenario, roster, overlap, picked)
    spend = kpis["spend"]

    if scenario.budget is not None and exceeds(spend, scenario.budget):
        violations.append(f"budget: spend {spend:,.2f} exceeds {scenario.budget:,.2f}")
    if rules.min_spend is not None and falls_short(spend, rules.min_spend):
        violations.append(f"min_spend: spend {spend:,.2f} is below {rules.min_spend:,.2f}")
    if rules.min_influencers is not None and len(picked) < rules.min_influencers:
        violations.append(f"min_influencers: {len(picked)} picked, need {rules.min_influencers}")
    if rules.max_influencers is not None and len(picked) > rules.max_influencers:
        violations.append(f"max_influencers: {len(picked)} picked, limit {rules.max_influencers}")

    for ident in rules.include:
        if ident not in ids:
            violations.append(f"include: {ident} is not picked")
    for ident in set(rules.exclude) & set(ids):
        violations.append(f"exclude: {ident} is picked")
    picks = frame.iloc[picked]  # one lookup, not one per pick (large portfolios)
    pick_ids = picks["id"].to_numpy()
    if rules.min_authenticity is not None:
        authenticity = picks["authenticity"].to_numpy(dtype=float)
        for k in np.flatnonzero(authenticity < rules.min_authenticity).tolist():
            violations.append(f"min_authenticity: {pick_ids[k]} has {authenticity[k]:.3f}")
    for column, allowed, verb in (
        ("tier", rules.tiers, "is"),
        ("platform", rules.platforms, "is on"),
    ):
        if allowed is None:
            continue
        values = picks[column].astype(str)
        outside = ~values.str.lower().isin({a.lower() for a in allowed}).to_numpy()
        for k in np.flatnonzero(outside).tolist():
            violations.append(f"{column}s: {pick_ids[k]} {verb} {values.iloc[k]}")

    costs = np.asarray(effective_costs(scenario, roster, picked) if rules.mix else [], float)
    for column, groups in rules.mix.items():
        labels = picks[column].astype(str).str.strip().str.lower().to_numpy()
        for group, rule in groups.items():
            members = labels == group.lower()
            count = int(members.sum())
            share_spend = float(costs[members].sum())
            name = f"mix {column} {group}"
            if rule.min_count is not None and count < rule.min_count:
                violations.append(f"{name} min_count: {count} picked, need {rule.min_count}")
            if rule.max_count is not None and count > rule.max_count:
                violations.append(f"{name} max_count: {count} picked, limit {rule.max_count}")
            if rule.min_share is not None and falls_short(share_spend, rule.min_share * spend):
                violations.append(f"{name} min_share: {share_spend:,.2f} of {spend:,.2f} spent")
            if rule.max_share is not None and exceeds(share_spend, rule.max_share * spend):
                violations.append(f"{name} max_share: {share_spend:,.2f} of {spend:,.2f} spent")

    if rules.max_pair_overlap is not None:
        edges = overlap.among(picked)
        clash = edges[overlap.conflict_mask(rules.max_pair_overlap)[edges]]
        for k in clash.tolist():
            violations.append(
                f"max_pair_overlap: {all_ids[overlap.i[k]]} and {all_ids[overlap.j[k]]} share "
                f"{overlap.share[k]:.0%} of the smaller audience"
            )

    if rules.max_offers_per_creator is not None and "creator" in frame.columns:
        creators = [str(v) for v in picks["creator"]]
        counts = Counter(creators)
        for creator in {c for c in creators if c}:
            booked = counts[creator]
            if booked > rules.max_offers_per_creator:
                violations.append(
                    f"max_offers_per_creator: {booked} offers of {creator} "
                    f"(limit {rules.max_offers_per_creator})"
                )

    for column, limit in rules.resources.items():
        used = float(frame[column].iloc[picked].fillna(0).astype(float).sum())
        if limit.max is not None and exceeds(used, limit.max):
            violations.append(f"resource {column}: {used:,.2f} exceeds {limit.max:,.2f}")
        if limit.min is not None and falls_short(used, limit.min):
            violations.append(f"resource {column}: {used:,.2f} is below {limit.min:,.2f}")

    for kpi, target in rules.targets.as_dict().items():
        if falls_short(kpis[kpi], target):
            violations.append(f"target {kpi}: {kpis[kpi]:,.2f} is below {target:,.2f}")

    if solver_objective is not None:
        recomputed = spend
        if scenario.goal is not Goal.MINIMIZE_COST:
            recomputed = as_the_model_counts(scenario, roster, picked, kpis["value"], kpis)
        slack = 1e-4 * max(1.0, abs(recomputed))
        ceiling = solver_objective
        if scenario.goal is not Goal.MINIMIZE_COST:
            ceiling = np.inf if solver_bound is None else max(solver_bound, solver_objective)
        if not solver_objective - slack <= recomputed <= ceiling + slack:
            violations.append(
                f"objective: solver says {solver_objective:,.4f}, data give {recomputed:,.4f}"
            )
    return violations
