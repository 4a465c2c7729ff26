"""An overlap-aware, rule-respecting greedy portfolio (baseline and warm start).

Works on the array model (:mod:`optimizer.arrays`), so it honours every row the MIP has:

1. includes are picked first;
2. **cover**: while a lower limit is unmet (min counts, min spend, resource minimums,
   targets), add the member that helps it best (value per cost when maximising value, row
   contribution per cost when minimising cost);
3. **fill** (maximise value only): add candidates by marginal value per cost, the marginal value
   counting the reach shared with influencers already picked (lazy greedy: marginal values
   only fall as the portfolio grows);
4. **repair** the lower limits again, and when minimising cost, drop picks that are not needed.

Every addition keeps every upper limit (budget, max counts, conflicts and cliques, creator
limits, resource maximums, spend-share maximums) and never breaks a lower limit that already
holds (so spend-share minimums, met by the empty portfolio, stay met). The answer is only
returned after :func:`optimizer.verify.check_selection` accepts it.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass

import numpy as np

from .arrays import ArrayModel, build_arrays, pair_adjacency
from .overlap import OverlapGraph
from .roster import Roster
from .scenario import Scenario
from .verify import check_selection

TOLERANCE = 1e-9  # relative slack on rows while building (the re-check allows 1e-6)


@dataclass
class GreedyResult:
    """A verified greedy portfolio: roster positions, max-sense objective, seconds."""

    picked: list[int]
    value: float  # the model's max-sense objective (−spend when minimising cost)
    seconds: float


class _State:
    """Greedy bookkeeping: picks, row activities and per-slot pair penalties."""

    def __init__(self, model: ArrayModel) -> None:
        self.m = model
        csc = model.csc
        self.indptr, self.indices, self.data = csc.indptr, csc.indices, csc.data
        self.x = np.zeros(model.n, dtype=bool)
        self.act = np.zeros(len(model.lo))
        self.tol_hi = TOLERANCE * (1.0 + np.abs(np.where(np.isfinite(model.hi), model.hi, 0)))
        self.tol_lo = TOLERANCE * (1.0 + np.abs(np.where(np.isfinite(model.lo), model.lo, 0)))
        self.adj = pair_adjacency(model)
        self.pen_obj = np.zeros(model.n)  # objective lost to picked neighbours (≤ 0)
        self.pen_reach = np.zeros(model.n)  # reach shared with picked neighbours (people)
        self.reach_row = model.reach_row

    def column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        p0, p1 = self.indptr[j], self.indptr[j + 1]
        rows, vals = self.indices[p0:p1], self.data[p0:p1]
        r = self.reach_row
        if r is not None and self.pen_reach[j] != 0:
            vals = vals.copy()
            hit = np.flatnonzero(rows == r)
            if len(hit):
                vals[hit[0]] -= self.pen_reach[j]
            else:
                rows = np.append(rows, r)
                vals = np.append(vals, -self.pen_reach[j])
        return rows, vals

    def marginal(self, j: int) -> float:
        return float(self.m.c[j] + self.pen_obj[j])

    def fits(self, j: int, sign: float = 1.0) -> bool:
        """Would adding (sign=1) or removing (sign=−1) j keep every limit that holds now?"""
        rows, vals = self.column(j)
        if not len(rows):
            return True
        old = self.act[rows]
        new = old + sign * vals
        lo, hi = self.m.lo[rows], self.m.hi[rows]
        if np.any(new > hi + self.tol_hi[rows]):
            return False
        held = old >= lo - self.tol_lo[rows]
        return not np.any(held & (new < lo - self.tol_lo[rows]))

    def change(self, j: int, sign: float) -> None:
        rows, vals = self.column(j) if sign > 0 else self._removal_column(j)
        self.act[rows] += sign * vals
        self.x[j] = sign > 0
        ptr, nbr, s, pc = self.adj
        p0, p1 = ptr[j], ptr[j + 1]
        self.pen_obj[nbr[p0:p1]] += sign * pc[p0:p1]
        self.pen_reach[nbr[p0:p1]] += sign * s[p0:p1]

    def _removal_column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        return self.column(j)  # penalties of j come from the other picks, still picked

    def unmet(self) -> np.ndarray:
        return np.flatnonzero(self.act < self.m.lo - self.tol_lo)


def _cover(
    state: _State, alive: np.ndarray, deadline: float | None, by_amount: bool = False
) -> None:
    """Add members of unmet lower-limit rows until every lower limit holds (or none helps)."""
    model = state.m
    csr = model.A
    tried: set[int] = set()
    while True:
        if deadline is not None and time.perf_counter() > deadline:
            return
        unmet = [r for r in state.unmet().tolist() if r not in tried]
        if not unmet:
            return
        r = unmet[-1] if by_amount else unmet[0]  # by amount: group rows before spend
        p0, p1 = csr.indptr[r], csr.indptr[r + 1]
        cols, vals = csr.indices[p0:p1], csr.data[p0:p1]
        ok = (vals > 0) & ~state.x[cols] & alive[cols]
        cols, vals = cols[ok], vals[ok]
        if r == model.reach_row:
            vals = vals - state.pen_reach[cols]
            keep = vals > 0
            cols, vals = cols[keep], vals[keep]
        if not len(cols):
            tried.add(r)
            continue
        cost = np.maximum(model.cost[cols], 1e-9)
        if by_amount:  # biggest contribution first (when a count limit binds before the row)
            deficit = model.lo[r] - state.act[r]
            score = np.minimum(vals, deficit) + 1e-9 * (model.c[cols] + state.pen_obj[cols]) / cost
        elif model.minimize:
            score = vals / cost
        else:
            marginal = model.c[cols] + state.pen_obj[cols]
            score = marginal / cost + 1e-12 * vals
        added = False
        for count, k in enumerate(np.argsort(-score, kind="stable").tolist()):
            if state.act[r] >= model.lo[r] - state.tol_lo[r]:
                break
            if deadline is not None and count % 256 == 0 and time.perf_counter() > deadline:
                return
            j = int(cols[k])
            if not state.x[j] and state.fits(j):
                state.change(j, 1.0)
                added = True
        if not added:
            tried.add(r)


def _scarcity(model: ArrayModel, count_aware: bool) -> np.ndarray:
    """What one pick uses up: its cost, or (count-aware) its share of the budget plus its share
    of ``max_influencers`` — the better key when the count cap binds before the budget."""
    cost = np.maximum(model.cost, 1e-9)
    if not count_aware or "max_influencers" not in model.names:
        return cost
    budget = model.names.index("budget") if "budget" in model.names else None
    cap = float(model.hi[budget]) if budget is not None else float(cost.sum())
    slots = max(float(model.hi[model.names.index("max_influencers")]), 1.0)
    return cost / max(cap, 1e-9) + 1.0 / slots


def _fill(
    state: _State,
    alive: np.ndarray,
    priority: np.ndarray | None,
    deadline: float | None,
    count_aware: bool = False,
) -> None:
    """Add candidates by marginal value per scarce resource (or by ``priority``) while they fit."""
    model = state.m
    cost = _scarcity(model, count_aware)
    budget = model.names.index("budget") if "budget" in model.names else None
    cap = model.hi[budget] if budget is not None else np.inf
    free = np.flatnonzero(alive & ~state.x & (model.c > 0))
    if priority is not None:
        order = free[np.lexsort((-(model.c[free] / cost[free]), -priority[free]))]
        for count, j in enumerate(order.tolist()):
            if deadline is not None and count % 256 == 0 and time.perf_counter() > deadline:
                return
            if budget is not None and state.act[budget] + model.cost[j] > cap + 1e-9 * cap:
                continue
            if state.marginal(j) > 0 and state.fits(j):
                state.change(j, 1.0)
        return
    heap = [(-(model.c[j] + state.pen_obj[j]) / cost[j], j) for j in free.tolist()]
    heapq.heapify(heap)
    count = 0
    while heap:
        count += 1
        if deadline is not None and count % 256 == 0 and time.perf_counter() > deadline:
            return
        _key, j = heapq.heappop(heap)
        if state.x[j]:
            continue
        if budget is not None and state.act[budget] + model.cost[j] > cap + 1e-9 * cap:
            continue  # spend only grows: j never fits again
        marginal = state.marginal(j)
        if marginal <= 0:
            continue
        ratio = -marginal / cost[j]
        if heap and ratio > heap[0][0] + 1e-12:
            heapq.heappush(heap, (ratio, j))  # stale key: re-queue with its true value
            continue
        if state.fits(j):
            state.change(j, 1.0)


def _prune(state: _State) -> None:
    """Minimising cost: drop the dearest picks whose removal keeps every limit."""
    model = state.m
    picked = np.flatnonzero(state.x & (model.lb < 0.5))
    for j in picked[np.argsort(-model.cost[picked])].tolist():
        if state.fits(j, -1.0):
            state.change(j, -1.0)


def greedy_slots(
    model: ArrayModel,
    priority: np.ndarray | None = None,
    alive: np.ndarray | None = None,
    deadline: float | None = None,
    count_aware: bool = False,
) -> np.ndarray:
    """A 0/1 vector over slots built greedily (not yet verified; may miss lower limits)."""
    alive = np.ones(model.n, dtype=bool) if alive is None else alive
    for by_amount in (False, True):  # second try only when a lower limit stayed unmet
        state = _State(model)
        for j in np.flatnonzero(model.lb > 0.5).tolist():
            state.change(j, 1.0)
        _cover(state, alive, deadline, by_amount)
        if not model.minimize:
            _fill(state, alive, priority, deadline, count_aware)
        _cover(state, alive, deadline, by_amount)
        if model.minimize:
            _prune(state)
        if not len(state.unmet()):
            break
    return state.x.astype(float)


def verified(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    model: ArrayModel,
    x: np.ndarray,
) -> GreedyResult | None:
    """``x`` as a portfolio if the independent re-check accepts it, else None."""
    picked = [int(p) for p in model.positions[x > 0.5]]
    if check_selection(scenario, roster, overlap, picked):
        return None
    return GreedyResult(picked, model.objective((x > 0.5).astype(float)), 0.0)


def greedy_portfolio(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    model: ArrayModel | None = None,
    priority: np.ndarray | None = None,
    deadline: float | None = None,
) -> GreedyResult | None:
    """The greedy portfolio, verified, or None when the greedy finds no valid one."""
    started = time.perf_counter()
    model = model or build_arrays(scenario, roster, overlap)
    best: GreedyResult | None = None
    # by value per cost, then by value per share of budget and count cap: keep the better
    for count_aware in (False, True) if priority is None else (False,):
        x = greedy_slots(model, priority, deadline=deadline, count_aware=count_aware)
        result = verified(scenario, roster, overlap, model, x)
        if result is not None and (best is None or result.value > best.value):
            best = result
    if best is not None:
        best.seconds = time.perf_counter() - started
    return best
