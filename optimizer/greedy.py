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

from .arrays import ArrayModel, build_arrays, pair_adjacency, widened
from .overlap import OverlapGraph
from .roster import Roster
from .scenario import Scenario
from .verify import check_selection

TOLERANCE = 1e-9  # relative slack on rows while building (the re-check allows 1e-6)
BLOCK_FROM = 8  # refusals in a row after which covering tries candidates in blocks …
BLOCK_MAX = 512  # … of at most this many


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
        self.col_of = np.repeat(np.arange(model.n), np.diff(csc.indptr))  # per nonzero
        self.x = np.zeros(model.n, dtype=bool)
        self.act = np.zeros(len(model.lo))
        self.lo_tol, self.hi_tol = widened(model.lo, model.hi, TOLERANCE)  # the limits it keeps
        self.adj = pair_adjacency(model)
        self.pen_obj = np.zeros(model.n)  # objective lost to picked neighbours (≤ 0)
        self.pen_reach = np.zeros(model.n)  # reach shared with picked neighbours (people)
        self.reach_row = model.reach_row
        self.can_fall = model.can_fall
        self._growing: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # never_fit's

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

    def first_fit(self, slots: np.ndarray) -> int:
        """Index in ``slots`` of the first slot that :meth:`fits` now, or −1: the same test
        on all of them at once (cheaper than one by one when most are refused)."""
        if not len(slots):
            return -1
        starts = self.indptr[slots]
        lengths = self.indptr[slots + 1] - starts
        owner = np.repeat(np.arange(len(slots)), lengths)
        first = np.cumsum(lengths) - lengths  # where each slot's entries start in the gather
        entry = np.repeat(starts - first, lengths) + np.arange(int(lengths.sum()))
        rows, vals = self.indices[entry], self.data[entry]
        r = self.reach_row
        if r is not None and np.any(self.pen_reach[slots] != 0):  # as column() does
            pen = self.pen_reach[slots]
            hit = np.flatnonzero(rows == r)
            vals[hit] -= pen[owner[hit]]
            missing = pen != 0
            missing[owner[hit]] = False
            extra = np.flatnonzero(missing)
            rows = np.concatenate([rows, np.full(len(extra), r, dtype=rows.dtype)])
            vals = np.concatenate([vals, -pen[extra]])
            owner = np.concatenate([owner, extra])
        old = self.act[rows]
        new = old + vals
        lo = self.lo_tol[rows]
        bad = (new > self.hi_tol[rows]) | ((old >= lo) & (new < lo))
        refused = np.zeros(len(slots), dtype=bool)
        refused[owner[bad]] = True
        fit = np.flatnonzero(~refused)
        return int(fit[0]) if len(fit) else -1

    def marginal(self, j: int) -> float:
        return float(self.m.c[j] + self.pen_obj[j])

    def fits(self, j: int, sign: float = 1.0) -> bool:
        """Would adding (sign=1) or removing (sign=−1) j keep every limit that holds now?"""
        return self.blocked(j, sign) is None

    def blocked(self, j: int, sign: float = 1.0) -> str | None:
        """Why adding/removing j would break a limit: ``"never"``, ``"later"`` or None (fits).

        ``"later"``: only limits that other picks can loosen would break — a lower limit that
        holds now (a spend-share minimum), or an upper limit on a row with negative
        coefficients (a spend-share maximum). ``"never"``: an upper limit of a row that only
        grows as picks are added (budget, counts, conflicts) — j will not fit again.
        """
        rows, vals = self.column(j)
        if not len(rows):
            return None
        old = self.act[rows]
        new = old + vals if sign > 0 else old - vals
        over = new > self.hi_tol[rows]
        if over.any():  # (array methods: this runs per candidate tried, numpy's calls cost)
            return "later" if self.can_fall[rows[over]].all() else "never"
        lo = self.lo_tol[rows]
        return "later" if ((old >= lo) & (new < lo)).any() else None

    def change(self, j: int, sign: float) -> None:
        ptr, nbr, s, pc = self.adj
        p0, p1 = ptr[j], ptr[j + 1]
        if sign > 0:  # (no `sign *`: this runs once per pick, small arrays cost per call)
            rows, vals = self.column(j)
            self.act[rows] += vals
            self.pen_obj[nbr[p0:p1]] += pc[p0:p1]
            self.pen_reach[nbr[p0:p1]] += s[p0:p1]
        else:
            rows, vals = self._removal_column(j)
            self.act[rows] -= vals
            self.pen_obj[nbr[p0:p1]] -= pc[p0:p1]
            self.pen_reach[nbr[p0:p1]] -= s[p0:p1]
        self.x[j] = sign > 0

    def add_all(self, slots: np.ndarray) -> None:
        """Pick ``slots`` at once (vectorised; the state must hold no picks yet)."""
        slots = np.unique(np.asarray(slots, dtype=np.int64))
        if not len(slots):
            return
        m = self.m
        self.x[slots] = True
        both = self.x[m.pair_i] & self.x[m.pair_j]
        self.act = m.A @ self.x.astype(float)
        if self.reach_row is not None:
            self.act[self.reach_row] -= float(m.pair_s[both].sum())
        ptr, nbr, s, pc = self.adj
        owner = np.repeat(np.arange(m.n), np.diff(ptr))
        picked_nbr = self.x[nbr]
        self.pen_obj = np.bincount(owner[picked_nbr], pc[picked_nbr], m.n).astype(float)
        self.pen_reach = np.bincount(owner[picked_nbr], s[picked_nbr], m.n).astype(float)

    def _removal_column(self, j: int) -> tuple[np.ndarray, np.ndarray]:
        return self.column(j)  # penalties of j come from the other picks, still picked

    def never_fit(self) -> np.ndarray:
        """Per slot: adding it now would exceed an upper limit of a row that only grows as
        picks are added — it stays out of reach until something is removed (vectorised)."""
        if self._growing is None:  # the non-zeros of rows that only grow, with an upper limit
            rows = self.indices
            keep = ~self.can_fall[rows] & np.isfinite(self.m.hi[rows])
            self._growing = (rows[keep], self.data[keep], self.col_of[keep])
        rows, data, cols = self._growing
        slack = self.hi_tol - self.act
        out = np.zeros(self.m.n, dtype=bool)
        out[cols[data > slack[rows]]] = True
        return out

    def unmet(self) -> np.ndarray:
        return np.flatnonzero(self.act < self.lo_tol)


class _DeadEnds:
    """Slots that cannot fit any more (:meth:`_State.never_fit`), refreshed lazily.

    One refresh reads every non-zero (~10 ns each), one refused slot costs ~20 µs: refresh
    after as many refusals as make up a refresh's cost, and twice as rarely after a refresh
    that found few new dead ends (refusals for other reasons), so refreshes never dominate.
    """

    def __init__(self, state: _State) -> None:
        self.state = state
        self.dead = np.zeros(state.m.n, dtype=bool)
        self.refused = 0
        self.every = max(64, state.m.A.nnz // 2000)

    def refuse(self, count: int = 1) -> bool:
        """Count ``count`` refusals; True when it refreshed the dead ends."""
        self.refused += count
        if self.refused < self.every:
            return False
        before = int(self.dead.sum())
        self.dead = self.state.never_fit()
        if int(self.dead.sum()) - before < self.refused // 2:
            self.every *= 2
        self.refused = 0
        return True

    def prune(self, heap: list[tuple[float, int, int]]) -> list[tuple[float, int, int]]:
        """``heap`` without its dead or picked entries when they are a quarter or more of it
        (else as it is). Once the budget is spent nearly all are: popping them one by one took
        most of the greedy's time at 100,000 candidates. The order of the rest is kept."""
        if not heap:
            return heap
        slots = np.fromiter((entry[2] for entry in heap), dtype=np.int64, count=len(heap))
        gone = self.dead[slots] | self.state.x[slots]
        if 4 * int(gone.sum()) < len(heap):
            return heap
        kept = [entry for entry, out in zip(heap, gone.tolist(), strict=True) if not out]
        heapq.heapify(kept)
        return kept


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
        ok = ~state.never_fit()[cols]
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
        added = _add_in_order(state, r, cols[np.argsort(-score, kind="stable")], deadline)
        if added is None:
            return  # the deadline passed
        if not added:
            tried.add(r)


def _add_in_order(state: _State, r: int, order: np.ndarray, deadline: float | None) -> bool | None:
    """Try ``order`` one after the other, adding each slot that fits, until row ``r``'s lower
    limit holds: whether any was added (None when the deadline passed).

    After :data:`BLOCK_FROM` refusals in a row, the next ones are tried as a block (as many
    as were refused in a row, at most :data:`BLOCK_MAX`) by :meth:`_State.first_fit`: the same
    slot is added as one by one, for less time when most are refused (tight mix rules).
    """
    added = False
    ends = _DeadEnds(state)
    at = streak = 0
    while at < len(order):
        if state.act[r] >= state.lo_tol[r]:
            break
        if deadline is not None and time.perf_counter() > deadline:
            return None
        if streak < BLOCK_FROM:
            j = int(order[at])
            at += 1
            if state.x[j] or ends.dead[j]:
                continue
            if state.fits(j):
                state.change(j, 1.0)
                added, streak = True, 0
            else:
                ends.refuse()
                streak += 1
            continue
        block = order[at : at + min(streak, BLOCK_MAX)]
        live = np.flatnonzero(~(state.x[block] | ends.dead[block]))
        first = state.first_fit(block[live])
        if first < 0:
            at += len(block)
            ends.refuse(len(live))
            streak += len(block)
            continue
        at += int(live[first]) + 1
        ends.refuse(first)
        state.change(int(block[live[first]]), 1.0)
        added, streak = True, 0
    return added


PER_COST, PER_COST_AND_SLOT, PER_PICK = "cost", "cost and slot", "pick"
FILL_KEYS = (PER_COST, PER_COST_AND_SLOT, PER_PICK)  # the greedy's fill orders, tried in turn
PICK_ORDER_CANDIDATES = 20_000  # the fill by value alone runs up to this many candidates …
PICK_ORDER_PICKS = 20  # … or when the other orders picked at most this many


def worth_trying(per: str, model: ArrayModel, found: list[np.ndarray]) -> bool:
    """Is the fill order ``per`` worth a run after the portfolios ``found``? By value alone
    (the last) only where it can matter and costs little: few candidates, or few picks
    (dense conflicts); at 100,000 candidates it added a third to the fast path's time, for a
    floor the LP rounding beats there anyway."""
    if per != PER_PICK or model.n <= PICK_ORDER_CANDIDATES:
        return True
    return max((int(x.sum()) for x in found), default=0) <= PICK_ORDER_PICKS


def scarcity(model: ArrayModel, per: str = PER_COST) -> np.ndarray:
    """What one pick uses up, by which the fill divides its value: its cost (``per`` =
    :data:`PER_COST`); its share of the budget plus its share of ``max_influencers``
    (:data:`PER_COST_AND_SLOT`), the better key when the count cap binds before the budget;
    or nothing (:data:`PER_PICK`: value alone, best when conflicts leave room for few picks,
    where a cheap creator of high value per cost can shut out a dear one worth 50 times more,
    as the best single item does for the knapsack greedy)."""
    cost = np.maximum(model.cost, 1e-9)
    if per == PER_PICK:
        return np.ones(model.n)
    if per != PER_COST_AND_SLOT or "count" not in model.names:
        return cost
    slots = float(model.hi[model.names.index("count")])
    if not np.isfinite(slots):
        return cost
    budget = model.names.index("budget") if "budget" in model.names else None
    cap = float(model.hi[budget]) if budget is not None else np.inf
    if not np.isfinite(cap):
        cap = float(cost.sum())
    return cost / max(cap, 1e-9) + 1.0 / max(slots, 1.0)


def _fill(
    state: _State,
    alive: np.ndarray,
    priority: np.ndarray | None,
    deadline: float | None,
    per: str = PER_COST,
) -> None:
    """Add candidates by marginal value per scarce resource (:func:`scarcity` ``per``; or by
    ``priority``) while they fit.

    A candidate blocked by a limit that later picks can loosen (see :meth:`_State.blocked`)
    waits aside; after each addition the best waiting one is tried again before any worse
    candidate, and what still waits at the end gets another pass if the last one added anyone.
    """
    model = state.m
    scarce = scarcity(model, per)
    budget = model.names.index("budget") if "budget" in model.names else None
    cap = model.hi[budget] if budget is not None else np.inf
    counter = model.names.index("count") if "count" in model.names else None
    todo = np.flatnonzero(alive & ~state.x & (model.c > 0))
    if priority is not None:
        todo = todo[np.lexsort((-(model.c[todo] / scarce[todo]), -priority[todo]))]
    count = added = 0
    while len(todo):
        if counter is not None and state.act[counter] + 1.0 > model.hi[counter] + 1e-9:
            return  # max_influencers reached: nobody fits any more
        if deadline is not None and time.perf_counter() > deadline:
            return  # (building the heap takes ~0.5 s at 1,000,000 candidates)
        todo = todo[~state.never_fit()[todo]]
        ends = _DeadEnds(state)
        if priority is not None:  # keys: smaller is better
            keys = np.arange(len(todo), dtype=float)
        else:
            keys = -(model.c[todo] + state.pen_obj[todo]) / scarce[todo]
        heap = list(zip(keys.tolist(), range(len(todo)), todo.tolist(), strict=True))
        heapq.heapify(heap)
        aside: list[tuple[float, int, int, int]] = []  # (key, k, j, additions when tried)
        added_before = added
        while heap or aside:
            count += 1
            if deadline is not None and count % 256 == 0 and time.perf_counter() > deadline:
                return
            retry = bool(aside) and aside[0][3] < added and (not heap or aside[0][0] <= heap[0][0])
            if retry:
                entry, k, j, _tried = heapq.heappop(aside)
            elif heap:
                entry, k, j = heapq.heappop(heap)
            else:
                break
            if state.x[j] or ends.dead[j]:
                continue
            if budget is not None and state.act[budget] + model.cost[j] > cap + 1e-9 * cap:
                continue  # spend only grows: j never fits again
            marginal = state.marginal(j)
            if marginal <= 0:
                continue
            if priority is None and not retry:
                ratio = -marginal / scarce[j]
                if heap and ratio > heap[0][0] + 1e-12:
                    heapq.heappush(heap, (ratio, k, j))  # stale key: re-queue with its true value
                    continue
            why = state.blocked(j)
            if why is None:
                state.change(j, 1.0)
                added += 1
                if counter is not None and state.act[counter] + 1.0 > model.hi[counter] + 1e-9:
                    return  # the cap is reached: nobody else fits, waiting or not
            elif why == "later":
                heapq.heappush(aside, (entry, k, j, added))
            elif ends.refuse():
                heap = ends.prune(heap)
        if added == added_before or not aside:
            return
        todo = np.asarray([j for _key, _k, j, _t in sorted(aside)], dtype=np.int64)


def _prune(state: _State, deadline: float | None = None) -> None:
    """Minimising cost: drop the dearest picks whose removal keeps every limit (until the
    ``deadline``: what is left is still a valid portfolio, only dearer)."""
    model = state.m
    picked = np.flatnonzero(state.x & (model.lb < 0.5))
    for count, j in enumerate(picked[np.argsort(-model.cost[picked])].tolist()):
        if deadline is not None and count % 256 == 0 and time.perf_counter() > deadline:
            return
        if state.fits(j, -1.0):
            state.change(j, -1.0)


def greedy_slots(
    model: ArrayModel,
    priority: np.ndarray | None = None,
    alive: np.ndarray | None = None,
    deadline: float | None = None,
    per: str = PER_COST,
) -> np.ndarray:
    """A 0/1 vector over slots built greedily, filling by marginal value per ``per`` (see
    :func:`scarcity`; not yet verified, may miss lower limits).

    Tries again, while a lower limit stays unmet: (when a spend floor and an influencer cap
    both exist) among the candidates dear enough for the cap to reach the floor
    (:func:`dear_enough`), then covering rows by amount, among all and among the dear ones.
    Covering by value among the dear ones comes before covering by amount: a try by amount
    takes the dearest first and, when it fails, fails slowly (at adversarial 1,000,000 it took
    two minutes to find nothing more fits; the try among the dear ones a few seconds).
    """
    alive = np.ones(model.n, dtype=bool) if alive is None else alive
    dear = dear_enough(model)
    tries = [(False, alive)]
    if dear is not None:
        tries.append((False, alive & dear))
    tries.append((True, alive))
    if dear is not None:
        tries.append((True, alive & dear))
    for attempt, (by_amount, allowed) in enumerate(tries):
        if attempt and deadline is not None and time.perf_counter() > deadline:
            break
        state = _State(model)
        for j in np.flatnonzero(model.lb > 0.5).tolist():
            state.change(j, 1.0)
        _cover(state, allowed, deadline, by_amount)
        if not model.minimize:
            _fill(state, allowed, priority, deadline, per)
        _cover(state, allowed, deadline, by_amount)
        if model.minimize:
            _prune(state, deadline)
        if not len(state.unmet()):
            break
    return state.x.astype(float)


def dear_enough(model: ArrayModel) -> np.ndarray | None:
    """Per slot: does it cost at least what each remaining pick must spend on average for
    ``max_influencers`` picks to reach ``min_spend``? (Includes always count.) None without
    both limits. A greedy that fills the cap with cheap picks first can never reach the
    floor; among these it can."""
    if "budget" not in model.names or "count" not in model.names:
        return None
    floor = float(model.lo[model.names.index("budget")])
    cap = float(model.hi[model.names.index("count")])
    if not (np.isfinite(floor) and floor > 0 and np.isfinite(cap)):
        return None
    forced = model.lb > 0.5
    left = cap - float(forced.sum())
    if left < 1:
        return None
    need = (floor - float(model.cost[forced].sum())) / left
    if need <= 0:
        return None  # the includes reach the floor: every candidate is dear enough
    return forced | (model.cost >= need)


def _shed_over(state: _State, deadline: float | None = None) -> None:
    """Drop picks (never includes) until no upper limit is exceeded: in each exceeded row,
    the pick that gives least value per unit it uses of that row goes first. Stops at the
    ``deadline`` (a limit may then stay exceeded: the rounding does not count)."""
    model, csr = state.m, state.m.A
    for _ in range(model.n):
        if deadline is not None and time.perf_counter() > deadline:
            return
        over = np.flatnonzero(state.act > state.hi_tol)
        if not len(over):
            return
        r = int(over[0])
        cols, vals = (
            csr.indices[csr.indptr[r] : csr.indptr[r + 1]],
            csr.data[csr.indptr[r] : csr.indptr[r + 1]],
        )
        ok = (vals > 0) & state.x[cols] & (model.lb[cols] < 0.5)
        if not ok.any():
            return
        cols, vals = cols[ok], vals[ok]
        loss = (model.c[cols] + state.pen_obj[cols]) / vals
        state.change(int(cols[np.argmin(loss)]), -1.0)


def _shed_under(state: _State, deadline: float | None = None) -> None:
    """Lower limits no addition can meet: drop picks that pull the row down (a spend-share
    minimum broken by other tiers' spend), least value per unit of the shortfall first, as
    long as the drop keeps every other limit that holds. Stops at the ``deadline``."""
    model, csr = state.m, state.m.A
    for r in state.unmet().tolist():
        p0, p1 = csr.indptr[r], csr.indptr[r + 1]
        cols, vals = csr.indices[p0:p1], csr.data[p0:p1]
        ok = (vals < 0) & state.x[cols] & (model.lb[cols] < 0.5)
        cols, vals = cols[ok], vals[ok]
        order = np.argsort((model.c[cols] + state.pen_obj[cols]) / -vals, kind="stable")
        for count, j in enumerate(cols[order].tolist()):
            if state.act[r] >= state.lo_tol[r]:
                break
            if deadline is not None and count % 64 == 0 and time.perf_counter() > deadline:
                return
            rows, change = state.column(j)
            new = state.act[rows] - change
            held = state.act[rows] >= state.lo_tol[rows]
            breaks = held & (new < state.lo_tol[rows])
            if not np.any(breaks):
                state.change(j, -1.0)


def round_lp(
    model: ArrayModel,
    x_lp: np.ndarray,
    deadline: float | None = None,
) -> np.ndarray:
    """LP rounding: the LP's ones (and the includes), repaired, then filled in LP order.

    On these models the LP optimum is nearly integral, so its ones are nearly a portfolio:
    exceeded upper limits are mended by dropping picks, unmet lower limits by adding helpers
    (or, failing that, dropping what pulls them down), and what budget and counts leave is
    filled in the order of the LP values (then value per cost). Not yet verified.
    """
    ones = np.flatnonzero((x_lp > 1.0 - 1e-6) | (model.lb > 0.5))
    x, value, mended = _round_once(model, ones, x_lp, True, deadline)
    late = deadline is not None and time.perf_counter() > deadline
    if mended and not late:  # a lower limit was short: also try mending it by value
        other, other_value, _ = _round_once(model, ones, x_lp, False, deadline)
        if other_value > value:
            x = other
    return x


def _round_once(
    model: ArrayModel, ones: np.ndarray, x_lp: np.ndarray, by_amount: bool, deadline: float | None
) -> tuple[np.ndarray, float, bool]:
    """One rounding of :func:`round_lp`: ``(x, value or −inf if a limit is broken, whether a
    lower limit had to be mended)``."""
    state = _State(model)
    state.add_all(ones)
    _shed_over(state, deadline)
    mended = len(state.unmet()) > 0
    alive = np.ones(model.n, dtype=bool)
    _cover(state, alive, deadline, by_amount)
    _shed_under(state, deadline)
    _cover(state, alive, deadline, by_amount)
    if model.minimize:
        _prune(state, deadline)
    else:
        _fill(state, alive, np.round(x_lp, 6), deadline)
        _cover(state, alive, deadline, by_amount)
    x = state.x.astype(float)
    holds = not len(state.unmet()) and not np.any(state.act > state.hi_tol)
    return x, model.objective(x) if holds else -np.inf, mended


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


def greedy_tries(
    model: ArrayModel, priority: np.ndarray | None = None, deadline: float | None = None
) -> list[np.ndarray]:
    """The greedy's portfolios (not yet verified), one per fill order of :data:`FILL_KEYS`
    that is :func:`worth_trying` (only by ``priority`` when one is given), the later ones
    only while the ``deadline`` allows: the floor is the best of them."""
    found: list[np.ndarray] = []
    for per in FILL_KEYS if priority is None else (PER_COST,):
        if found and deadline is not None and time.perf_counter() > deadline:
            break
        if worth_trying(per, model, found):
            found.append(greedy_slots(model, priority, deadline=deadline, per=per))
    return found


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
    for x in greedy_tries(model, priority, deadline):
        result = verified(scenario, roster, overlap, model, x)
        if result is not None and (best is None or result.value > best.value):
            best = result
    if best is not None:
        best.seconds = time.perf_counter() - started
    return best
