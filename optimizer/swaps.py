"""Local search on a portfolio: add one, drop one or swap one for another, keeping every row.

The LP's rounding and the short MIPs of the fast path leave portfolios that one exchange can
still improve: a cheap pick out and a better one in, when the budget and the count are both
full. :func:`improve` takes the best such move (objective with shared reach counted exactly)
while one gains, over a *pool* of outsiders (the :data:`POOL` of highest score),
and returns the portfolio it ends at. Every move keeps every row of the array model:

* rows whose coefficients are all 1 with only an upper limit (conflicts, cliques, creator
  limits, max counts) are checked sparsely — a swap may enter ``j`` into a full row only if
  ``i`` leaves that row;
* the other rows (budget, counts with a minimum, spend shares, resources, targets; the reach
  target with its shared-reach terms) are checked densely over the pool.

The result is not yet re-checked: callers pass it to the independent re-check like any other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .arrays import ArrayModel, widened

POOL = 2_000  # outsiders considered per move, highest score first …
MAX_CELLS = 500_000  # … fewer when picks × pool would exceed this …
MIN_POOL = 100  # … but not fewer than this (no search then)
MAX_MOVES = 500  # moves at most per call
SWAP_CHUNK = 20_000  # swaps whose rows are checked at once, best first (bounds the memory)
TOLERANCE = 1e-9  # relative slack on rows (the re-check allows 1e-6)


def _packing_rows(model: ArrayModel) -> np.ndarray:
    """Rows with every coefficient 1 and only an upper limit."""
    a = model.A
    rows = np.repeat(np.arange(a.shape[0]), np.diff(a.indptr))
    all_ones = np.ones(a.shape[0], dtype=bool)
    all_ones[rows[a.data != 1.0]] = False
    return all_ones & ~np.isfinite(model.lo) & np.isfinite(model.hi)


def _symmetric(model: ArrayModel, values: np.ndarray, slots: np.ndarray) -> sp.csr_matrix:
    """The pairs among ``slots`` as a symmetric matrix over them, holding ``values``."""
    where = np.full(model.n, -1, dtype=np.int64)
    where[slots] = np.arange(len(slots))
    a, b = where[model.pair_i], where[model.pair_j]
    inside = (a >= 0) & (b >= 0)
    a, b, v = a[inside], b[inside], values[inside]
    rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
    return sp.csr_matrix((np.concatenate([v, v]), (rows, cols)), shape=(len(slots), len(slots)))


def _with_picks(model: ArrayModel, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Per slot: the sum of ``values`` over its pairs whose other end is picked."""
    n = model.n
    return np.bincount(model.pair_i, values * x[model.pair_j], n) + np.bincount(
        model.pair_j, values * x[model.pair_i], n
    )


def _pool_size(x: np.ndarray) -> int:
    """Outsiders per move for a portfolio of ``x``'s size (see :data:`MAX_CELLS`)."""
    return min(POOL, MAX_CELLS // max(int(np.count_nonzero(x > 0.5)), 1))


def improve(
    model: ArrayModel,
    x: np.ndarray,
    score: np.ndarray | None = None,
    deadline: float | None = None,
) -> np.ndarray:
    """``LocalSearch(model, score).improve(x, deadline)``, for one portfolio."""
    return LocalSearch(model, score).improve(x, deadline)


@dataclass
class _Rows:
    """The model's rows split for the moves, with the tolerance applied to the limits."""

    pack: sp.csr_matrix  # rows of ones with only an upper limit …
    pack_hi: np.ndarray  # … and those limits
    general: sp.csr_matrix  # every other row …
    general_csc: sp.csc_matrix  # … by column
    lo: np.ndarray  # their limits, widened by TOLERANCE
    hi: np.ndarray
    reach: int | None  # the reach target among them (shared reach counts there)


class LocalSearch:
    """The rows of one model split for the moves (see the module doc), prepared once; a
    search may then run from many portfolios."""

    def __init__(self, model: ArrayModel, score: np.ndarray | None = None) -> None:
        """``score``: per slot, how promising an outsider is (the fast path passes the LP's
        reduced costs); default: its objective coefficient."""
        self.model = model
        self.score = model.c if score is None else score
        self._order: np.ndarray | None = None  # slots by score, sorted on the first search
        self._rows: _Rows | None = None  # prepared on the first search that runs

    @property
    def rows(self) -> _Rows:
        if self._rows is None:
            model = self.model
            packing = _packing_rows(model)
            general = np.flatnonzero(~packing)
            lo, hi = widened(model.lo[general], model.hi[general], TOLERANCE)
            reach = None
            if model.reach_row is not None:
                reach = int(np.flatnonzero(general == model.reach_row)[0])
            dense = model.A[general]
            self._rows = _Rows(
                pack=model.A[packing].tocsr(),
                pack_hi=model.hi[packing],
                general=dense.tocsr(),
                general_csc=dense.tocsc(),
                lo=lo,
                hi=hi,
                reach=reach,
            )
        return self._rows

    @staticmethod
    def runs_on(x: np.ndarray) -> bool:
        """Whether a search from ``x`` runs: its pool is at least :data:`MIN_POOL`."""
        return _pool_size(x) >= MIN_POOL

    def improve(self, x: np.ndarray, deadline: float | None = None) -> np.ndarray:
        """``x`` (0/1 over slots, every row held) after best-improvement add, drop and swap
        moves.

        The :data:`POOL` outsiders of highest score are tried (fewer for large portfolios,
        see :data:`MAX_CELLS`). Stops when no move gains, after :data:`MAX_MOVES`, or at the
        wall-clock ``deadline`` (perf_counter seconds). Returns ``x`` unchanged when the
        portfolio is too large for a pool of :data:`MIN_POOL`.
        """
        model = self.model
        x = (np.asarray(x) > 0.5).astype(float)
        if not self.runs_on(x):
            return x
        if self._order is None:
            self._order = np.argsort(-self.score, kind="stable")
        order = self._order
        for _ in range(MAX_MOVES):
            if deadline is not None and time.perf_counter() > deadline:
                break
            picks = np.flatnonzero(x > 0.5)
            pool = order[(x[order] < 0.5) & (model.ub[order] > 0.5)][: _pool_size(x)]
            move = self._best_move(x, picks, pool)
            if move is None:
                break
            out, into = move
            if out >= 0:
                x[out] = 0.0
            if into >= 0:
                x[into] = 1.0
        return x

    def _best_move(
        self, x: np.ndarray, picks: np.ndarray, pool: np.ndarray
    ) -> tuple[int, int] | None:
        """The best gaining move as (slot out or −1, slot in or −1), or None."""
        model = self.model
        r = self.rows
        reach = r.reach
        gain = model.c + _with_picks(model, model.pair_c, x)  # a pick's worth; an outsider's gain
        act = r.general @ x
        cols = np.concatenate([picks, pool])
        change = r.general_csc[:, cols].toarray()  # per column: what it adds to each row
        if reach is not None:
            shared = _with_picks(model, model.pair_s, x)
            act[reach] -= 0.5 * float(shared @ x)
            change[reach] -= shared[cols]
        k = len(picks)
        change_in, change_out = change[:, k:], change[:, :k]
        value = model.objective(x)
        best, move = 1e-9 * (1.0 + abs(value)), None

        full = r.pack @ x + 1.0 > r.pack_hi + 1e-9  # one more member would break these rows
        blocked_by = r.pack[full].tocsc()  # full rows × slots
        blocked = np.asarray(blocked_by[:, pool].sum(axis=0)).ravel()  # full rows per outsider

        def holds(new: np.ndarray) -> np.ndarray:
            return np.all((new >= r.lo[:, None]) & (new <= r.hi[:, None]), axis=0)

        adds = holds(act[:, None] + change_in) & (blocked == 0)
        if adds.any():
            j = int(np.argmax(np.where(adds, gain[pool], -np.inf)))
            if gain[pool[j]] > best:
                best, move = float(gain[pool[j]]), (-1, int(pool[j]))
        removable = model.lb[picks] < 0.5
        drops = holds(act[:, None] - change_out) & removable
        if drops.any():
            i = int(np.argmax(np.where(drops, -gain[picks], -np.inf)))
            if -gain[picks[i]] > best:
                best, move = float(-gain[picks[i]]), (int(picks[i]), -1)
        if not len(pool) or not removable.any():
            return move
        pair_c = _symmetric(model, model.pair_c, cols)[:k, k:]
        delta = gain[pool][None, :] - gain[picks][:, None] - pair_c.toarray()
        delta[~removable] = -np.inf
        ii, jj = np.nonzero(delta > best)  # swaps that would beat every add and drop …
        if not len(ii):
            return move
        ranked = np.argsort(-delta[ii, jj], kind="stable")  # … best first
        ii, jj = ii[ranked], jj[ranked]
        pair_s = _symmetric(model, model.pair_s, cols)[:k, k:] if reach is not None else None
        common = None
        if blocked_by.shape[0]:  # full rows shared by each pick and outsider
            common = (blocked_by[:, picks].T @ blocked_by[:, pool]).tocsr()
        for first in range(0, len(ii), SWAP_CHUNK):  # the first that holds is the best
            i, j = ii[first : first + SWAP_CHUNK], jj[first : first + SWAP_CHUNK]
            new = act[:, None] + change_in[:, j] - change_out[:, i]
            if pair_s is not None:  # j's shared reach counted i, who leaves
                new[reach] += np.asarray(pair_s[i, j]).ravel()
            ok = holds(new)
            if common is not None:  # every full row j is in must hold i, who leaves it
                ok &= np.asarray(common[i, j]).ravel() == blocked[j]
            if ok.any():
                t = int(np.argmax(ok))
                return int(picks[i[t]]), int(pool[j[t]])
        return move
