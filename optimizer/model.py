"""Build the mixed-integer program (PuLP): one function per constraint family, every row named.

Variables: ``x_i`` ∈ {0, 1} hire candidate i; ``y_ij`` ∈ [0, 1] both i and j hired (only for
overlapping, non-conflicting pairs, when reach counts). See docs/model.md for the math.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import numpy as np
import pulp

from .candidates import Candidates, group_values, select_candidates
from .funnel import KPI_COLUMNS
from .overlap import COVER_SECONDS, OverlapGraph, conflict_cover
from .reach import load_reach
from .roster import Roster
from .scenario import Goal, GroupRule, Scenario


class BuildOverrun(Exception):
    """The model's build passed its wall-clock deadline (``build_model(..., deadline=)``)."""


ROWS_PER_CLOCK_CHECK = 1024  # the long loops read the clock once per this many rows


@dataclass
class BuiltModel:
    """A PuLP problem with handles on its variables."""

    problem: pulp.LpProblem
    candidates: Candidates
    x: list[pulp.LpVariable]  # one per candidate, aligned with candidates.positions
    pair_vars: list[tuple[int, int, float, pulp.LpVariable]]  # (i, j, shared_reach, y_ij)
    goal: Goal
    conflict_rows: int = 0
    clique_rows: int = 0
    elastic: bool = False  # soft rules get a slack variable (see diagnose.elastic_reasons)
    rigid: frozenset[str] = frozenset()  # rule rows that keep no slack even when elastic
    rules: list[RuleRow] = field(default_factory=list)
    reach_terms: list[tuple[pulp.LpVariable, float]] | None = None  # coverage / sainsbury
    reach_margin: float = 1.0  # reach targets are multiplied by this (see add_targets)
    # package discounts: (v_k, −discount·cost_k, candidate slot k); v_k = x_k ∧ package active
    discount_terms: list[tuple[pulp.LpVariable, float, int]] = field(default_factory=list)
    deadline: float | None = None  # time.perf_counter() seconds the build must end by

    def on_time(self, done: int = 0) -> None:
        """Raise :class:`BuildOverrun` when the deadline has passed (read once per
        :data:`ROWS_PER_CLOCK_CHECK` rows ``done`` by a loop)."""
        if self.deadline is None or done % ROWS_PER_CLOCK_CHECK:
            return
        if time.perf_counter() > self.deadline:
            raise BuildOverrun

    def seconds_left(self) -> float | None:
        """Seconds to the deadline (at least 0), or None without one."""
        return None if self.deadline is None else max(self.deadline - time.perf_counter(), 0.0)

    def picked(self) -> list[int]:
        """Roster positions of the candidates the solver's current solution picks (x > 0.5)."""
        return [
            int(p)
            for p, var in zip(self.candidates.positions, self.x, strict=True)
            if (var.varValue or 0.0) > 0.5
        ]


@dataclass
class RuleRow:
    """A row that comes from a user rule, with the words that name it.

    In an elastic model ``slack`` is the amount by which the row may be violated, in the rule's
    own unit (currency, influencers, people…), and ``scale`` makes violations comparable.
    ``spend_share`` marks a linearised mix share row (right-hand side 0, slack in currency).
    """

    name: str
    label: str
    sense: str
    rhs: float
    slack: pulp.LpVariable | None = None
    scale: float = 1.0
    spend_share: bool = False


def safe_name(text: str) -> str:
    """A constraint-name-safe version of an id or group name."""
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", str(text))


def _affine(pairs: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    return pulp.lpSum_vars_coefs(pairs) if pairs else pulp.LpAffineExpression.empty()


def _add(
    built: BuiltModel,
    expr: pulp.LpAffineExpression,
    sense: str,
    rhs: float,
    name: str,
    label: str | None = None,
    scale: float | None = None,
    spend_share: bool = False,
) -> None:
    """Add ``expr (<=|>=) rhs`` as a named row; ``label`` marks a user rule (soft when elastic),
    ``spend_share`` a mix share row."""
    slack = None
    if label is not None and built.elastic and name not in built.rigid:
        slack = built.problem.add_variable(f"slack_{name}", 0, None)
        expr = expr - slack if sense == "<=" else expr + slack
    row = expr <= rhs if sense == "<=" else expr >= rhs
    built.problem.addConstraint(row, name)
    if label is not None:
        size = scale if scale is not None else max(1.0, abs(rhs))
        built.rules.append(RuleRow(name, label, sense, rhs, slack, size, spend_share))


def build_model(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    elastic: bool = False,
    rigid: frozenset[str] = frozenset(),
    raise_reach_target: bool = True,
    deadline: float | None = None,
) -> BuiltModel:
    """The full MIP of one (effective) scenario; ``elastic`` lets user rules bend (diagnosis).

    ``raise_reach_target``: a reach model that may over-count (Sainsbury) raises a reach
    target by its margin, so the exact reach meets it (a restriction); False keeps the target
    as written (a relaxation: for bounds and for the diagnosis).
    ``deadline`` (``time.perf_counter()`` seconds): the conflict cover and the row loops of
    the conflict, de-duplication, coverage and Sainsbury rows (the long ones) stop there,
    raising :class:`BuildOverrun`.
    """
    candidates = select_candidates(scenario, roster)
    sense = pulp.const.LpMaximize if scenario.goal is Goal.MAXIMIZE_VALUE else pulp.const.LpMinimize
    problem = pulp.LpProblem(safe_name(scenario.name) or "inflopt", sense)
    positions = candidates.positions
    x = problem.add_variable_matrix("x", [int(p) for p in positions], cat="Binary")
    built = BuiltModel(problem, candidates, x, [], scenario.goal, elastic=elastic, rigid=rigid)
    built.deadline = deadline
    slot = {int(p): k for k, p in enumerate(positions)}

    needs_reach = (
        scenario.objective.reach > 0 and scenario.goal is Goal.MAXIMIZE_VALUE
    ) or scenario.constraints.targets.reach is not None
    inside = np.zeros(len(overlap.i), dtype=bool)  # per edge: both ends are candidates
    inside[overlap.among(positions)] = True
    conflict = inside & overlap.conflict_mask(scenario.constraints.max_pair_overlap)
    if needs_reach:
        add_reach_model(built, scenario, roster, overlap, slot, inside & ~conflict)
        if not raise_reach_target:
            built.reach_margin = 1.0

    add_package_discounts(built, scenario, roster)
    set_objective(built, scenario, roster, slot)
    add_budget(built, scenario, roster)
    add_count_limits(built, scenario)
    add_mix_rules(built, scenario, roster)
    built.on_time()
    add_conflicts(built, overlap, conflict, slot, roster)
    built.on_time()
    add_includes(built, scenario, roster, slot)
    add_resource_limits(built, scenario, roster)
    add_creator_limits(built, scenario, roster)
    add_targets(built, scenario, roster)
    built.on_time()
    if elastic:
        problem.sense = pulp.const.LpMinimize
        problem.setObjective(
            _affine([(r.slack, 1.0 / r.scale) for r in built.rules if r.slack is not None])
        )
    return built


def add_reach_model(
    built: BuiltModel,
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    slot: dict[int, int],
    pairable: np.ndarray,
) -> None:
    """De-duplicated reach by ``scenario.reach.method``: pairwise (default), coverage, sainsbury.

    The non-pairwise models add their own variables and rows and leave the linear reach
    terms (people) in ``built.reach_terms``; see docs/reach-models.md.
    """
    data = load_reach(scenario, roster)
    if data is None:
        add_pair_variables(built, overlap, slot, pairable)
        return
    built.reach_terms = data.add_to_model(
        built.problem, built.x, built.candidates.positions, on_time=built.on_time
    )
    built.reach_margin = data.target_margin


def add_pair_variables(
    built: BuiltModel, overlap: OverlapGraph, slot: dict[int, int], pairable: np.ndarray
) -> None:
    """``y_ij ≥ x_i + x_j − 1`` for every overlapping candidate pair that may both be hired
    (``pairable``: per edge of ``overlap``, both ends candidates and no conflict)."""
    keep = pairable & (overlap.shared_reach > 0)
    pairs = list(
        zip(
            overlap.i[keep].tolist(),
            overlap.j[keep].tolist(),
            overlap.shared_reach[keep].tolist(),
            strict=True,
        )
    )
    if not pairs:
        return
    y = built.problem.add_variable_matrix("y", range(len(pairs)), lowBound=0, upBound=1)
    for k, (i, j, shared) in enumerate(pairs):
        built.on_time(k)
        expr = _affine([(y[k], 1.0), (built.x[slot[i]], -1.0), (built.x[slot[j]], -1.0)])
        _add(built, expr, ">=", -1.0, f"reach_dedup_{i}_{j}")
        built.pair_vars.append((i, j, shared, y[k]))


def kpi_expression(built: BuiltModel, roster: Roster, kpi: str) -> pulp.LpAffineExpression:
    """Expected KPI of the portfolio as a linear expression (reach de-duplicated by the model)."""
    if kpi == "reach" and built.reach_terms is not None:
        return _affine(built.reach_terms)
    values = roster.column(KPI_COLUMNS[kpi]).astype(float)
    terms = [
        (var, float(values[p])) for var, p in zip(built.x, built.candidates.positions, strict=True)
    ]
    if kpi == "reach":
        terms += [(y, -shared) for _i, _j, shared, y in built.pair_vars]
    return _affine(terms)


def spend_expression(built: BuiltModel, roster: Roster) -> pulp.LpAffineExpression:
    """Total cost of the hired candidates (currency)."""
    cost = roster.column("cost").astype(float)
    terms = [
        (var, float(cost[p])) for var, p in zip(built.x, built.candidates.positions, strict=True)
    ]
    terms += [(v, coef) for v, coef, _k in built.discount_terms]
    return _affine(terms)


def add_package_discounts(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """Package deals: with ≥ m offers of a creator booked, each of them costs d less.

    Per creator c with offers S_c: binary u_c = 1 exactly when Σ_{S_c} x ≥ m
    (m·u_c ≤ Σ x and Σ x − |S_c|·u_c ≤ m − 1), and v_k = x_k·u_c linearised
    (v_k ≤ x_k, v_k ≤ u_c, v_k ≥ x_k + u_c − 1). Spend gains −d·c_k·v_k.
    """
    deal = scenario.constraints.package_discount
    if deal is None or "creator" not in roster.frame.columns:
        return
    positions = built.candidates.positions
    creators = roster.frame["creator"].to_numpy()[positions]
    cost = roster.column("cost").astype(float)[positions]
    groups: dict[str, list[int]] = {}
    for k, creator in enumerate(creators):
        if creator:
            groups.setdefault(str(creator), []).append(k)
    m = deal.min_offers
    for creator, members in groups.items():
        if len(members) < m:
            continue
        name = f"package_{safe_name(creator)}"
        u = built.problem.add_variable(name, 0, 1, cat="Binary")
        count = [(built.x[k], 1.0) for k in members]
        _add(built, _affine([*count, (u, -float(m))]), ">=", 0.0, f"{name}_needs")
        _add(built, _affine([*count, (u, -float(len(members)))]), "<=", m - 1.0, f"{name}_applies")
        for k in members:
            v = built.problem.add_variable(f"{name}_v{k}", 0, 1)
            _add(built, _affine([(v, 1.0), (built.x[k], -1.0)]), "<=", 0.0, f"{name}_v{k}_x")
            _add(built, _affine([(v, 1.0), (u, -1.0)]), "<=", 0.0, f"{name}_v{k}_u")
            both = _affine([(v, 1.0), (built.x[k], -1.0), (u, -1.0)])
            _add(built, both, ">=", -1.0, f"{name}_v{k}_both")
            built.discount_terms.append((v, -deal.discount * float(cost[k]), k))


def set_objective(
    built: BuiltModel, scenario: Scenario, roster: Roster, slot: dict[int, int]
) -> None:
    """Maximize Σ_k weight_k · KPI_k, or minimize spend when the goal is minimize_cost."""
    if scenario.goal is Goal.MINIMIZE_COST:
        built.problem.setObjective(spend_expression(built, roster))
        return
    weights = scenario.objective.weights()
    value = np.zeros(len(built.x))
    for kpi, weight in weights.items():
        if weight > 0 and not (kpi == "reach" and built.reach_terms is not None):
            value += (
                weight * roster.column(KPI_COLUMNS[kpi]).astype(float)[built.candidates.positions]
            )
    terms = list(zip(built.x, value.tolist(), strict=True))
    if weights["reach"] > 0:
        terms += [(y, -weights["reach"] * shared) for _i, _j, shared, y in built.pair_vars]
        terms += [(v, weights["reach"] * c) for v, c in built.reach_terms or []]
    built.problem.setObjective(_affine(terms))


def add_budget(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """``budget``: spend ≤ B; ``min_spend``: spend ≥ m (currency)."""
    spend = spend_expression(built, roster)
    if scenario.budget is not None:
        budget = float(scenario.budget)
        _add(built, spend, "<=", budget, "budget", f"budget {budget:,.0f}")
    if scenario.constraints.min_spend is not None:
        floor = float(scenario.constraints.min_spend)
        _add(built, spend, ">=", floor, "min_spend", f"min_spend {floor:,.0f}")


def add_count_limits(built: BuiltModel, scenario: Scenario) -> None:
    """``min_influencers`` ≤ number hired ≤ ``max_influencers``."""
    count = _affine([(var, 1.0) for var in built.x])
    rules = scenario.constraints
    if rules.min_influencers is not None:
        n = rules.min_influencers
        _add(built, count, ">=", n, "min_influencers", f"min_influencers {n}")
    if rules.max_influencers is not None:
        n = rules.max_influencers
        _add(built, count, "<=", n, "max_influencers", f"max_influencers {n}")


def add_mix_rules(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """Per group of a categorical column: count limits, and spend-share limits (linearised).

    ``min_share s``: Σ_{i∈g} c_i x_i ≥ s · Σ_i c_i x_i  ⇔  Σ_i (𝟙[i∈g] − s) c_i x_i ≥ 0.
    """
    positions = built.candidates.positions
    cost = roster.column("cost").astype(float)[positions]
    money_scale = float(scenario.budget) if scenario.budget else max(1.0, float(cost.sum()))
    for column, groups in scenario.constraints.mix.items():
        values = group_values(roster, column)[positions]
        for group, rule in groups.items():
            member = values == group.lower()
            _add_group_rule(built, column, group, rule, member, cost, money_scale)


def _add_group_rule(
    built: BuiltModel,
    column: str,
    group: str,
    rule: GroupRule,
    member: np.ndarray,
    cost: np.ndarray,
    money_scale: float,
) -> None:
    prefix = f"mix_{safe_name(column)}_{safe_name(group)}"
    words = f"{column} {group}"
    in_group = _affine([(built.x[k], 1.0) for k in np.flatnonzero(member)])
    if rule.min_count is not None:
        label = f"{words} min_count {rule.min_count}"
        _add(built, in_group, ">=", rule.min_count, f"{prefix}_min_count", label)
    if rule.max_count is not None:
        label = f"{words} max_count {rule.max_count}"
        _add(built, in_group, "<=", rule.max_count, f"{prefix}_max_count", label)
    for bound, sense, kind in (
        (rule.min_share, ">=", "min_share"),
        (rule.max_share, "<=", "max_share"),
    ):
        if bound is None:
            continue
        coefs = (member.astype(float) - bound) * cost
        terms = [(var, float(c)) for var, c in zip(built.x, coefs, strict=True) if c != 0]
        terms += [  # discounted spend counts towards the shares too
            (v, coef * (float(member[k]) - bound))
            for v, coef, k in built.discount_terms
            if float(member[k]) != bound
        ]
        expr = _affine(terms)
        label = f"{words} {kind} {bound:.0%}"
        name = f"{prefix}_{kind}"
        _add(built, expr, sense, 0.0, name, label, scale=money_scale, spend_share=True)


def add_conflicts(
    built: BuiltModel,
    overlap: OverlapGraph,
    conflict: np.ndarray,
    slot: dict[int, int],
    roster: Roster,
) -> None:
    """At most one of each conflicting pair (``conflict``: per edge of ``overlap``, among
    candidates), strengthened into clique rows Σ_K x_i ≤ 1 (:func:`conflict_cover`)."""
    ids = roster.ids
    left = built.seconds_left()  # the cover may grow cliques until the deadline, at most
    seconds = None if left is None else min(COVER_SECONDS, left)
    alone, cliques = conflict_cover(overlap.i[conflict], overlap.j[conflict], seconds=seconds)
    built.on_time()
    for k, (a, b) in enumerate(alone.tolist()):
        built.on_time(k)
        expr = _affine([(built.x[slot[a]], 1.0), (built.x[slot[b]], 1.0)])
        _add(built, expr, "<=", 1.0, f"overlap_conflict_{safe_name(ids[a])}_{safe_name(ids[b])}")
        built.conflict_rows += 1
    for k, clique in enumerate(cliques):
        built.on_time(k)
        expr = _affine([(built.x[slot[i]], 1.0) for i in clique])
        _add(built, expr, "<=", 1.0, f"overlap_clique_{built.clique_rows}_{len(clique)}_members")
        built.clique_rows += 1


def add_includes(
    built: BuiltModel, scenario: Scenario, roster: Roster, slot: dict[int, int]
) -> None:
    """Influencers on the include list must be hired (they passed the filters; see engine)."""
    for ident in scenario.constraints.include:
        position = roster.index_of[ident]
        if position in slot:
            expr = _affine([(built.x[slot[position]], 1.0)])
            _add(built, expr, ">=", 1.0, f"include_{safe_name(ident)}", f"include {ident}")


def add_resource_limits(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """Σ column_i x_i within [min, max] for every resource column named in the scenario."""
    positions = built.candidates.positions
    for column, limit in scenario.constraints.resources.items():
        values = roster.column(column).astype(float)[positions]
        values = np.nan_to_num(values, nan=0.0)
        expr = _affine([(var, float(v)) for var, v in zip(built.x, values, strict=True) if v != 0])
        name = f"resource_{safe_name(column)}"
        if limit.max is not None:
            label = f"resource {column} max {limit.max:,.6g}"
            _add(built, expr, "<=", float(limit.max), f"{name}_max", label)
        if limit.min is not None:
            label = f"resource {column} min {limit.min:,.6g}"
            _add(built, expr, ">=", float(limit.min), f"{name}_min", label)


def add_creator_limits(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """At most k offers of one creator (rows sharing the roster's ``creator`` key)."""
    limit = scenario.constraints.max_offers_per_creator
    if limit is None or "creator" not in roster.frame.columns:
        return
    creators = roster.frame["creator"].to_numpy()[built.candidates.positions]
    slots: dict[str, list[int]] = {}
    for k, creator in enumerate(creators):
        if creator:
            slots.setdefault(str(creator), []).append(k)
    for creator, members in slots.items():
        if len(members) > limit:
            expr = _affine([(built.x[k], 1.0) for k in members])
            name = f"creator_{safe_name(creator)}_max_offers"
            _add(built, expr, "<=", limit, name, f"max_offers_per_creator {limit} ({creator})")


def add_targets(built: BuiltModel, scenario: Scenario, roster: Roster) -> None:
    """``target_<kpi>``: expected KPI ≥ target (reach de-duplicated).

    A reach target is multiplied by ``built.reach_margin`` (1 + ε for Sainsbury reach, whose
    MIP value may over-state the exact reach by that factor), so the exact reach meets it.
    """
    for kpi, target in scenario.constraints.targets.as_dict().items():
        expr = kpi_expression(built, roster, kpi)
        rhs = target * built.reach_margin if kpi == "reach" else target
        _add(built, expr, ">=", rhs, f"target_{kpi}", f"target {kpi} {target:,.0f}")
