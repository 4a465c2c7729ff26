"""The model of one scenario as arrays: the same rows as :func:`optimizer.model.build_model`.

``model.py`` builds a PuLP problem row by row (named rows, elastic slacks, diagnosis). For large
rosters that costs seconds; this module holds the *same* mixed-integer program as numpy/scipy
arrays, built vectorised, for the greedy, the LP bounds and the fast path (see
docs/performance.md, "Scale"). Internally the sense is always **maximise**: under
``goal: minimize_cost`` the objective is ``−spend``.

    maximise   c·x + Σ_p pc_p · y_p
    subject to lo ≤ A x (+ the reach row's −s_p y_p) ≤ hi
               y_p ≥ x_i + x_j − 1           (one "dedup" row per pair p = {i, j})
               lb ≤ x ≤ ub (includes: lb = 1), 0 ≤ y ≤ 1, x binary

Families that are not linear in x alone beyond pairwise reach (coverage and Sainsbury reach,
robust mode, package discounts) are not represented here: :func:`unsupported_reason` says so
and callers use the full PuLP model instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .candidates import Candidates, group_values, select_candidates
from .funnel import KPI_COLUMNS
from .overlap import OverlapGraph, conflict_cover, cover_seconds
from .roster import Roster
from .scenario import Goal, Scenario

INF = float("inf")


def unsupported_reason(scenario: Scenario) -> str | None:
    """Why the array model cannot represent this scenario (None: it can)."""
    if scenario.reach.method != "pairwise":
        return f"reach.method {scenario.reach.method}"
    if scenario.robust is not None and scenario.robust.gamma > 0:
        return "robust mode"
    if getattr(scenario.constraints, "package_discount", None) is not None:
        return "package_discount"
    return None


@dataclass
class ArrayModel:
    """One scenario's MIP as arrays over candidate slots ``0 … n−1`` (see module doc)."""

    candidates: Candidates
    minimize: bool  # goal minimize_cost: the objective below is −spend
    c: np.ndarray  # objective per x (maximise)
    cost: np.ndarray  # spend per x (currency)
    lb: np.ndarray
    ub: np.ndarray
    A: sp.csr_matrix  # rows over x
    lo: np.ndarray
    hi: np.ndarray
    names: list[str]
    pair_i: np.ndarray  # slots
    pair_j: np.ndarray
    pair_s: np.ndarray  # shared reach (people)
    pair_c: np.ndarray  # objective coefficient of y (maximise)
    reach_row: int | None = None  # the target_reach row (y coefficient −s)
    conflict_rows: int = 0
    clique_rows: int = 0
    _csc: sp.csc_matrix | None = field(default=None, repr=False)
    _adjacency: tuple[np.ndarray, ...] | None = field(default=None, repr=False)
    _can_fall: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.c)

    @property
    def positions(self) -> np.ndarray:
        return self.candidates.positions

    @property
    def can_fall(self) -> np.ndarray:
        """Per row: has a negative coefficient, so adding a pick can lower its activity (a
        spend-share row); rows without one only grow as picks are added."""
        if self._can_fall is None:
            rows = np.repeat(np.arange(self.A.shape[0]), np.diff(self.A.indptr))
            self._can_fall = np.zeros(self.A.shape[0], dtype=bool)
            self._can_fall[rows[self.A.data < 0]] = True
        return self._can_fall

    @property
    def csc(self) -> sp.csc_matrix:
        if self._csc is None:
            self._csc = self.A.tocsc()
        return self._csc

    def sense_value(self, objective: float) -> float:
        """A reported objective (value, or spend when minimising) in this model's max sense."""
        return -objective if self.minimize else objective

    def reported(self, value: float) -> float:
        """This model's max-sense value back in the reported sense."""
        return -value if self.minimize else value

    def objective(self, x: np.ndarray) -> float:
        """Max-sense objective of a 0/1 vector over slots (pairs de-duplicated exactly)."""
        both = x[self.pair_i] * x[self.pair_j]
        return float(self.c @ x + self.pair_c @ both)

    def slots_of(self, positions: list[int]) -> np.ndarray:
        """Slots of roster positions (all must be candidates)."""
        return np.searchsorted(self.positions, np.asarray(positions, dtype=np.int64))


def build_arrays(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates | None = None,
) -> ArrayModel:
    """The array form of ``build_model(scenario, roster, overlap)`` (pairwise reach only)."""
    reason = unsupported_reason(scenario)
    if reason is not None:
        raise ValueError(f"the array model does not cover {reason}")
    candidates = candidates or select_candidates(scenario, roster)
    positions = candidates.positions
    n = len(positions)
    slot = np.full(len(roster), -1, dtype=np.int64)
    slot[positions] = np.arange(n)
    rules = scenario.constraints
    cost = roster.column("cost").astype(float)[positions]
    minimize = scenario.goal is Goal.MINIMIZE_COST

    # pairs (de-duplicated reach) and conflicts, among candidates
    both = (slot[overlap.i] >= 0) & (slot[overlap.j] >= 0) if len(overlap.i) else np.zeros(0, bool)
    theta = rules.max_pair_overlap
    conflict = overlap.conflict_mask(theta)
    weights = scenario.objective.weights()
    needs_reach = (weights["reach"] > 0 and not minimize) or rules.targets.reach is not None
    keep = both & ~conflict & (overlap.shared_reach > 0) if needs_reach else np.zeros(0, bool)
    if needs_reach:
        pair_i, pair_j = slot[overlap.i[keep]], slot[overlap.j[keep]]
        pair_s = overlap.shared_reach[keep].astype(float)
    else:
        pair_i = pair_j = np.zeros(0, dtype=np.int64)
        pair_s = np.zeros(0)

    # objective
    if minimize:
        c = -cost
        pair_c = np.zeros(len(pair_s))
    else:
        c = np.zeros(n)
        for kpi, weight in weights.items():
            if weight > 0:
                c += weight * roster.column(KPI_COLUMNS[kpi]).astype(float)[positions]
        pair_c = -weights["reach"] * pair_s

    # rows in order, as pieces of (cols, vals, row lengths, lo, hi, names)
    pieces: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str]]]
    pieces = []
    everyone = np.arange(n)

    def add(cols: np.ndarray, vals: np.ndarray, lo: float, hi: float, name: str) -> None:
        nonzero = vals != 0
        length = np.array([int(nonzero.sum())])
        row = (cols[nonzero], vals[nonzero].astype(float), length, np.array([lo]), np.array([hi]))
        pieces.append((*row, [name]))

    def add_packing(groups: list[list[int]], limit: float, names: list[str]) -> None:
        """Rows Σ_{k∈group} x_k ≤ limit, one per group (slots), in one piece."""
        lengths = np.fromiter(map(len, groups), dtype=np.int64, count=len(groups))
        cols = np.fromiter(chain.from_iterable(groups), dtype=np.int64, count=int(lengths.sum()))
        add_rows(cols, lengths, limit, names)

    def add_rows(cols: np.ndarray, lengths: np.ndarray, limit: float, names: list[str]) -> None:
        """Packing rows given flat: ``cols`` row after row, ``lengths`` per row."""
        count = len(lengths)
        bounds = (np.full(count, -INF), np.full(count, float(limit)))
        pieces.append((cols.astype(np.int64), np.ones(len(cols)), lengths, *bounds, names))

    def rows_so_far() -> int:
        return sum(len(piece[2]) for piece in pieces)

    if scenario.budget is not None or rules.min_spend is not None:
        hi = float(scenario.budget) if scenario.budget is not None else INF
        lo = float(rules.min_spend) if rules.min_spend is not None else -INF
        add(everyone, cost, lo, hi, "budget")
    if rules.min_influencers is not None or rules.max_influencers is not None:
        lo = float(rules.min_influencers) if rules.min_influencers is not None else -INF
        hi = float(rules.max_influencers) if rules.max_influencers is not None else INF
        add(everyone, np.ones(n), lo, hi, "count")
    for column, groups in rules.mix.items():
        values = group_values(roster, column)[positions]
        for group, rule in groups.items():
            member = values == group.lower()
            name = f"mix_{column}_{group}"
            if rule.min_count is not None or rule.max_count is not None:
                lo = float(rule.min_count) if rule.min_count is not None else -INF
                hi = float(rule.max_count) if rule.max_count is not None else INF
                add(np.flatnonzero(member), np.ones(int(member.sum())), lo, hi, f"{name}_count")
            if rule.min_share is not None:
                add(everyone, (member - rule.min_share) * cost, 0.0, INF, f"{name}_min_share")
            if rule.max_share is not None:
                add(everyone, (member - rule.max_share) * cost, -INF, 0.0, f"{name}_max_share")
    conflict_rows = clique_rows = 0
    if theta is not None:
        sel = both & conflict
        seconds = cover_seconds(scenario)  # the cover is built before any deadline check
        alone, cliques = conflict_cover(slot[overlap.i[sel]], slot[overlap.j[sel]], seconds=seconds)
        add_rows(alone.ravel(), np.full(len(alone), 2), 1.0, ["conflict"] * len(alone))
        add_packing(cliques, 1.0, ["conflict"] * len(cliques))
        clique_rows = sum(len(clique) > 2 for clique in cliques)
        conflict_rows = len(alone) + len(cliques) - clique_rows
    for column, limit in rules.resources.items():
        values = np.nan_to_num(roster.column(column).astype(float)[positions], nan=0.0)
        lo = float(limit.min) if limit.min is not None else -INF
        hi = float(limit.max) if limit.max is not None else INF
        add(everyone, values, lo, hi, f"resource_{column}")
    limit = rules.max_offers_per_creator
    if limit is not None and "creator" in roster.frame.columns:
        creators = pd.Series(roster.frame["creator"].to_numpy()[positions], dtype=object)
        creators = creators.fillna("").astype(str)
        codes, labels = pd.factorize(creators)  # codes in order of first appearance
        crowded = (creators.to_numpy() != "") & (np.bincount(codes)[codes] > limit)
        members = np.flatnonzero(crowded)
        members = members[np.argsort(codes[members], kind="stable")]  # grouped, slots ascending
        groups, lengths = np.unique(codes[members], return_counts=True)
        names = [f"creator_{label}" for label in np.asarray(labels, dtype=object)[groups]]
        add_rows(members, lengths, float(limit), names)
    reach_row = None
    for kpi, target in rules.targets.as_dict().items():
        if kpi == "reach":
            reach_row = rows_so_far()
        values = roster.column(KPI_COLUMNS[kpi]).astype(float)[positions]
        add(everyone, values, float(target), INF, f"target_{kpi}")

    lb = np.zeros(n)
    ub = np.ones(n)
    for ident in rules.include:
        position = roster.index_of[ident]
        if slot[position] >= 0:
            lb[slot[position]] = 1.0

    lengths = np.concatenate([p[2] for p in pieces]) if pieces else np.zeros(0, np.int64)
    indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    indices = np.concatenate([p[0] for p in pieces]).astype(np.int64) if pieces else indptr[:0]
    data = np.concatenate([p[1] for p in pieces]).astype(float) if pieces else np.zeros(0)
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(lengths), n))
    return ArrayModel(
        candidates=candidates,
        minimize=minimize,
        c=c,
        cost=cost,
        lb=lb,
        ub=ub,
        A=matrix,
        lo=np.concatenate([p[3] for p in pieces]) if pieces else np.zeros(0),
        hi=np.concatenate([p[4] for p in pieces]) if pieces else np.zeros(0),
        names=[name for p in pieces for name in p[5]],
        pair_i=pair_i.astype(np.int64),
        pair_j=pair_j.astype(np.int64),
        pair_s=pair_s,
        pair_c=pair_c,
        reach_row=reach_row,
        conflict_rows=conflict_rows,
        clique_rows=clique_rows,
    )


def widened(lo: np.ndarray, hi: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray]:
    """Row limits with a relative slack: ``lo − t·(1 + |lo|)``, ``hi + t·(1 + |hi|)`` (infinite
    limits stay infinite) — what the greedy and the local search let a row reach."""

    def slack(limit: np.ndarray) -> np.ndarray:
        return tolerance * (1.0 + np.abs(np.where(np.isfinite(limit), limit, 0.0)))

    return lo - slack(lo), hi + slack(hi)


def pair_adjacency(model: ArrayModel) -> tuple[np.ndarray, ...]:
    """CSR adjacency of the de-duplication pairs: (indptr, neighbour, shared, objective coef);
    computed once per model."""
    if model._adjacency is not None:
        return model._adjacency
    n = model.n
    a = np.concatenate([model.pair_i, model.pair_j])
    b = np.concatenate([model.pair_j, model.pair_i])
    s = np.concatenate([model.pair_s, model.pair_s])
    pc = np.concatenate([model.pair_c, model.pair_c])
    order = np.argsort(a, kind="stable")
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.add.at(indptr, a + 1, 1)
    model._adjacency = (np.cumsum(indptr), b[order], s[order], pc[order])
    return model._adjacency
