"""Branching on the LP relaxation: a tighter certified bound, and candidates it settles.

After polishing, the incumbent is often within a fraction of a percent of the optimum while
the LP bound is looser: a few expensive creators (mega, macro) are taken fractionally, and a
fraction of a big item is worth a lot. A short best-first search on the LP closes much of
that: the kept :class:`optimizer.bounds.RestrictedLP` is re-solved from its basis with one
candidate fixed at 0, then at 1 (:func:`optimizer.colgen.resolve`, rows and columns still
generated as needed). A branch whose certified bound is at most the incumbent holds no better
portfolio and is dropped — which settles its candidate at the other value.

The answer's bound is the largest over the branches still open: valid for the whole problem,
since every dropped branch holds nothing better than the incumbent. Every better portfolio
lies in one of the open branches, so the MIP that follows may work in their hull
(:attr:`Search.lb`, :attr:`Search.ub`).
"""

from __future__ import annotations

import heapq
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .bounds import DualBound
from .colgen import Relaxation, resolve

if TYPE_CHECKING:
    from .fastpath import Deadline

log = logging.getLogger(__name__)

BRANCH_LPS = 40  # LP re-solves the search makes at most …
BRANCH_PROGRESS = 0.1  # a branching that closes less than this share of the gap is slow …
BRANCH_STALL = 3  # … and the search stops after this many slow ones in a row (a real tree)
FRACTIONAL = 1e-6  # x within this of 0 or 1 counts as whole


@dataclass
class _Node:
    """One open branch: the candidates it fixes, its certified bound and where to branch."""

    fixed: dict[int, float]  # slot → 0 or 1
    bound: DualBound  # within the branch (its d_x for fixing)
    branch_on: int | None  # a fractional candidate of its LP, or None when the LP is whole
    branch_at: float = 0.5  # … and its LP value


@dataclass
class Search:
    """What the search found: its bound (max sense, whole problem) and the hull of the open
    branches (``lb``/``ub`` over all slots), with the open branch's bound when only one is
    left (valid inside the hull, for reduced-cost fixing), and how many LPs it solved."""

    bound: float
    lb: np.ndarray
    ub: np.ndarray
    only: DualBound | None
    lps: int


def _branch_candidate(c: np.ndarray, x: np.ndarray | None) -> tuple[int | None, float]:
    """The fractional candidate whose value is most at stake (|objective| × distance to
    whole) and its LP value; (None, 0.5) when the LP solution is whole."""
    if x is None:
        return None, 0.5
    fraction = np.minimum(x, 1.0 - x)
    at_stake = np.where(fraction > FRACTIONAL, np.abs(c) * fraction, 0.0)
    slot = int(np.argmax(at_stake))
    return (slot, float(x[slot])) if at_stake[slot] > 0 else (None, 0.5)


def _bounds(base_lb: np.ndarray, base_ub: np.ndarray, fixed: dict[int, float]) -> tuple:
    lb, ub = base_lb.copy(), base_ub.copy()
    if fixed:
        slots = np.fromiter(fixed, dtype=np.int64, count=len(fixed))
        values = np.fromiter(fixed.values(), dtype=float, count=len(fixed))
        lb[slots] = values
        ub[slots] = values
    return lb, ub


def search(
    relaxation: Relaxation,
    incumbent: Callable[[], float],
    offer: Callable[[np.ndarray], object],
    gap: float,
    deadline: Deadline,
    seconds: float,
) -> Search | None:
    """Branch on the LP from ``relaxation`` (solved to the end) for at most ``seconds``.

    ``incumbent()`` is the best verified value so far (max sense); ``offer(x)`` hands over
    each branch's LP solution (to round and re-check). Stops when the bound is within ``gap``
    of the incumbent, after :data:`BRANCH_LPS` re-solves, when :data:`BRANCH_STALL`
    branchings in a row each closed less than :data:`BRANCH_PROGRESS` of the gap (the MIP
    searches a real tree better), or at ``seconds``/the deadline. None when there was nothing
    to search (no bound or no incumbent). With every branch dropped, the bound is the
    incumbent: it is optimal.
    """
    root = relaxation.bound
    model = relaxation.lp.model
    if root is None or relaxation.x is None or not np.isfinite(incumbent()):
        return None
    stop_at = time.perf_counter() + seconds
    base_lb, base_ub = model.lb.astype(float), model.ub.astype(float)
    count = 0
    heap: list[tuple[float, int, _Node]] = []
    first = _Node({}, root, *_branch_candidate(model.c, relaxation.x))
    heapq.heappush(heap, (-root.value, 0, first))
    lps = stalled = 0
    best_bound, before = root.value, incumbent()  # the bound and incumbent a branching ago

    def closed(value: float) -> bool:
        best = incumbent()
        return value - best <= gap * max(abs(best), 1e-9)

    while heap and lps < BRANCH_LPS and stalled < BRANCH_STALL:
        if deadline.passed() or time.perf_counter() >= stop_at:
            break
        top = heap[0][2]
        if closed(top.bound.value) or top.branch_on is None:
            break
        heapq.heappop(heap)
        slot = top.branch_on
        # the far side first (it is the one usually dropped), so that the LP's basis is left
        # near the branch searched next
        for value in (0.0, 1.0) if top.branch_at >= 0.5 else (1.0, 0.0):
            fixed = {**top.fixed, slot: value}
            lb, ub = _bounds(base_lb, base_ub, fixed)
            bound, x, infeasible = resolve(relaxation, lb, ub, deadline, cutoff=incumbent())
            lps += 1
            if bound is None and not infeasible:  # cut short by the deadline: keep it open
                bound = top.bound
            if infeasible or bound is None:
                continue
            if bound.value > top.bound.value:  # unfinished generation: the parent's is tighter
                bound = top.bound
            bound = DualBound(bound.value, bound.d_x, np.zeros(0))  # d_y is not needed: drop it
            if bound.value <= incumbent():
                continue  # nothing better in this branch
            if x is not None:
                offer(x)  # rounded, a portfolio (if the re-check agrees): maybe a better one
            count += 1
            node = _Node(fixed, bound, *_branch_candidate(model.c, x))
            heapq.heappush(heap, (-bound.value, count, node))
        heap = [entry for entry in heap if entry[2].bound.value > incumbent()]
        heapq.heapify(heap)
        now = min(max((-entry[0] for entry in heap), default=incumbent()), best_bound)
        left = now - incumbent()
        slow = left > (1.0 - BRANCH_PROGRESS) * (best_bound - before)
        stalled = stalled + 1 if slow else 0
        best_bound, before = now, incumbent()
        log.debug(
            "branching: %d LPs, %d open, bound %.6g, incumbent %.6g",
            lps,
            len(heap),
            now,
            incumbent(),
        )
    relaxation.lp.set_bounds(base_lb, base_ub)
    nodes = [entry[2] for entry in heap]
    value = max((node.bound.value for node in nodes), default=incumbent())
    value = max(min(value, root.value), incumbent())
    if not nodes:
        return Search(value, base_lb, base_ub, None, lps)
    lbs = [_bounds(base_lb, base_ub, node.fixed) for node in nodes]
    lb = np.minimum.reduce([pair[0] for pair in lbs])
    ub = np.maximum.reduce([pair[1] for pair in lbs])
    return Search(value, lb, ub, nodes[0].bound if len(nodes) == 1 else None, lps)
