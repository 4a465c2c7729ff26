"""LP relaxations of the array model, solved by HiGHS directly, and a certified dual bound.

**The dual bound.** For ``max c·z`` subject to ``lo ≤ M z ≤ hi`` and ``l ≤ z ≤ u`` (here
``z = (x, y)``, ``M`` = the rows of :mod:`optimizer.arrays` plus the de-duplication rows), *any*
row multipliers ``π`` give, with ``d = c − Mᵀπ``::

    c·z = π·(M z) + d·z ≤ Σ_r (π_r > 0 ? π_r·hi_r : π_r·lo_r) + Σ_j max(d_j·l_j, d_j·u_j)

for every feasible ``z``, integer or not. So the bound holds for the whole problem whatever
LP the multipliers came from (a restricted one, an unconverged one) and whatever the
solver's tolerances: it is evaluated here, in float64, from the data. Multipliers that point
at an infinite side of a row are set to 0 first (which keeps the bound finite and valid).

**Keeping one row.** The budget (or the count) row may instead stay in the inner
maximisation: with its multiplier left out, ``max d'·x`` over the box *and* that row is a
continuous knapsack, solved exactly by value per weight (:func:`kept_row_bound`). The bound
is valid for the same reasons and, when that row binds, tighter: an unconverged column
generation has many columns with positive reduced cost, and the box bound counts all of them
while the budget can only pay for a few.

Reduced-cost fixing uses the same ``d``: forcing ``x_j = 1`` against its sign (``d_j < 0``)
changes the bound to ``UB + d_j``; if that is below the value of a known portfolio, no
portfolio with ``x_j = 1`` can beat it, and ``x_j`` is fixed to 0 (and symmetrically to 1).
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp

from .arrays import ArrayModel
from .errors import SolverError
from .quiet_highs import new_highs

log = logging.getLogger(__name__)

SAFETY = 1e-9  # relative margin added to every bound against float round-off in the sums


@dataclass
class DualBound:
    """A certified upper bound (max sense) and the reduced costs it came with."""

    value: float
    d_x: np.ndarray
    d_y: np.ndarray  # reduced costs of the de-duplication pair variables


def _project(pi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    pi = np.where(np.isfinite(hi), pi, np.minimum(pi, 0.0))
    return np.where(np.isfinite(lo), pi, np.maximum(pi, 0.0))


def _row_term(pi: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    up = np.where(pi > 0, pi * np.where(np.isfinite(hi), hi, 0.0), 0.0)
    down = np.where(pi < 0, pi * np.where(np.isfinite(lo), lo, 0.0), 0.0)
    return float(up.sum() + down.sum())


def dual_bound(model: ArrayModel, pi_rows: np.ndarray, pi_pairs: np.ndarray) -> DualBound:
    """The bound for row multipliers ``π`` (rows of A, then one per pair), with ``d_x``.

    Pass HiGHS's row duals as they come: its convention (column duals are ``c − Mᵀπ``, also
    when maximising) makes ``d_x`` the LP's reduced costs, which pricing and fixing need. Any
    multipliers give a valid bound; that sign gives the tight one.
    """
    rest, d_x, d_y = _dual_parts(model, pi_rows, pi_pairs)
    total = rest + float(np.maximum(d_x * model.lb, d_x * model.ub).sum())
    return DualBound(_safe(total), d_x, d_y)


def _safe(total: float) -> float:
    return total + SAFETY * (1.0 + abs(total))


def _dual_parts(
    model: ArrayModel, pi_rows: np.ndarray, pi_pairs: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """The bound's terms but the x box: (rows and pairs, ``d_x``, ``d_y``), ``π`` projected."""
    pi_rows = _project(np.asarray(pi_rows, float), model.lo, model.hi)
    pi_pairs = np.minimum(np.asarray(pi_pairs, float), 0.0)  # y − x_i − x_j ≥ −1: lo only
    # few pairs have a multiplier (those in the restricted LP): work on them, not on millions
    has = np.flatnonzero(pi_pairs)
    weight = pi_pairs[has]
    d_x = model.c - model.A.T @ pi_rows
    if len(has):
        d_x += np.bincount(model.pair_i[has], weight, model.n)
        d_x += np.bincount(model.pair_j[has], weight, model.n)
    d_y = model.pair_c.astype(float, copy=True)
    d_y[has] -= weight
    if model.reach_row is not None and len(d_y):
        d_y += pi_rows[model.reach_row] * model.pair_s
    rest = _row_term(pi_rows, model.lo, model.hi)
    rest -= float(weight.sum())  # the pair rows' term: π·lo with lo = −1 and π ≤ 0
    rest += float(np.maximum(d_y, 0.0).sum())
    return rest, d_x, d_y


def kept_row_bound(model: ArrayModel, pi_rows: np.ndarray, pi_pairs: np.ndarray) -> float:
    """The bound of :func:`dual_bound` for the same multipliers, and the same with the budget
    row, then the count row, kept in the inner maximisation (see the module doc): the
    smallest of the three."""
    rest, d_x, _d_y = _dual_parts(model, pi_rows, pi_pairs)
    best = rest + float(np.maximum(d_x * model.lb, d_x * model.ub).sum())
    pi = _project(np.asarray(pi_rows, float), model.lo, model.hi)
    for name in ("budget", "count"):
        if name not in model.names:
            continue
        r = model.names.index(name)
        if pi[r] <= 0 or not math.isfinite(model.hi[r]):
            continue  # only a binding upper limit (budget, max influencers) is worth keeping
        weight = np.zeros(model.n)
        part = slice(model.A.indptr[r], model.A.indptr[r + 1])
        weight[model.A.indices[part]] = model.A.data[part]
        if np.any(weight < 0):
            continue
        # without this row's price: its term leaves the sum, its multiplier the reduced costs
        inner = _knapsack(d_x + pi[r] * weight, weight, float(model.hi[r]), model.lb, model.ub)
        if inner is not None:
            best = min(best, rest - pi[r] * float(model.hi[r]) + inner)
    return _safe(best)


def _knapsack(
    value: np.ndarray, weight: np.ndarray, cap: float, lb: np.ndarray, ub: np.ndarray
) -> float | None:
    """``max value·x`` subject to ``weight·x ≤ cap``, ``lb ≤ x ≤ ub`` (weights ≥ 0, bounds 0
    or 1): the forced ones, every free one of positive value and no weight, then by value per
    weight, the last one in part. None when the forced ones alone exceed ``cap``."""
    forced = lb > 0.5
    total = float(value[forced].sum())
    room = cap - float(weight[forced].sum())
    if room < -1e-9 * (1.0 + abs(cap)):
        return None
    free = ~forced & (ub > 0.5) & (value > 0)
    weightless = free & (weight <= 0)
    total += float(value[weightless].sum())
    slots = np.flatnonzero(free & (weight > 0))
    order = slots[np.argsort(-value[slots] / weight[slots], kind="stable")]
    filled = np.cumsum(weight[order])
    whole = int(np.searchsorted(filled, max(room, 0.0), side="right"))
    total += float(value[order[:whole]].sum())
    if whole < len(order):
        used = float(filled[whole - 1]) if whole else 0.0
        total += float(value[order[whole]]) * max(room - used, 0.0) / float(weight[order[whole]])
    return total


# ------------------------------------------------------------------ HiGHS on a sub-model


@dataclass
class SubModel:
    """The array model restricted to some x columns (the others fixed at 0)."""

    cols: np.ndarray  # x slots in this sub-model, ascending
    pairs: np.ndarray  # indices of model pairs with both ends in cols
    n_rows: int  # rows of A (the de-duplication rows follow)


@dataclass
class HighsAnswer:
    """What one HiGHS run gave (all in the array model's max sense)."""

    status: str  # "optimal", "feasible", "infeasible", "no_solution", "abandoned"
    x: np.ndarray | None  # over all slots (0 outside the sub-model)
    objective: float | None
    mip_bound: float | None
    pi_rows: np.ndarray | None  # LP only: multipliers of A's rows (0 outside)
    pi_pairs: np.ndarray | None  # LP only: multipliers per model pair (0 outside)
    seconds: float
    misreported: bool = False  # a MIP claimed an objective its own solution does not have


CLAIM_TOLERANCE = 1e-6  # relative: a MIP's claimed objective vs its solution's own value


def build_highs(
    model: ArrayModel,
    cols: np.ndarray,
    integer: bool,
    fixed_one: np.ndarray | None = None,
    threads: int | None = None,
):
    """A ``highspy.Highs`` holding the (LP or MIP) sub-model on ``cols``."""
    import highspy

    cols = np.asarray(cols, dtype=np.int64)
    n = model.n
    where = np.full(n, -1, dtype=np.int64)
    where[cols] = np.arange(len(cols))
    inside = (where[model.pair_i] >= 0) & (where[model.pair_j] >= 0)
    pairs = np.flatnonzero(inside)
    k, p = len(cols), len(pairs)
    sub = model.csc[:, cols].tocsr()
    rows_a = sub.shape[0]
    # rows of A (+ −s·y on the reach row), then y_p − x_i − x_j ≥ −1
    blocks = [sp.hstack([sub, sp.csr_matrix((rows_a, p))], format="csr")]
    if model.reach_row is not None and p:
        extra = sp.csr_matrix(
            (-model.pair_s[pairs], (np.full(p, model.reach_row), k + np.arange(p))),
            shape=(rows_a, k + p),
        )
        blocks[0] = (blocks[0] + extra).tocsr()
    if p:
        r = np.repeat(np.arange(p), 3)
        c = np.column_stack(
            [k + np.arange(p), where[model.pair_i[pairs]], where[model.pair_j[pairs]]]
        ).ravel()
        v = np.tile([1.0, -1.0, -1.0], p)
        blocks.append(sp.csr_matrix((v, (r, c)), shape=(p, k + p)))
    matrix = sp.vstack(blocks, format="csr") if len(blocks) > 1 else blocks[0]
    lo = np.concatenate([model.lo, -np.ones(p)])
    hi = np.concatenate([model.hi, np.full(p, np.inf)])
    lb = np.concatenate([model.lb[cols], np.zeros(p)])
    ub = np.concatenate([model.ub[cols], np.ones(p)])
    if fixed_one is not None:
        lb[:k][fixed_one[cols]] = 1.0
    cost = np.concatenate([model.c[cols], model.pair_c[pairs]])

    h = new_highs()
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    inf = highspy.kHighsInf
    lp = highspy.HighsLp()
    lp.num_col_ = k + p
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = lb
    lp.col_upper_ = ub
    lp.row_lower_ = np.where(np.isfinite(lo), lo, -inf)
    lp.row_upper_ = np.where(np.isfinite(hi), hi, inf)
    csc = matrix.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr.astype(np.int32)
    lp.a_matrix_.index_ = csc.indices.astype(np.int32)
    lp.a_matrix_.value_ = csc.data.astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize
    if integer:
        lp.integrality_ = [highspy.HighsVarType.kInteger] * k + [
            highspy.HighsVarType.kContinuous
        ] * p
    h.passModel(lp)
    return h, SubModel(cols, pairs, rows_a)


def run_highs(
    h,
    deadline: float | None,
    time_limit: float | None = None,
    grace: float = 0.3,
    interruptible: bool = True,
) -> tuple[bool, float]:
    """Run ``h``; stop it at the wall-clock ``deadline`` (perf_counter seconds).

    The run happens on HiGHS's solver thread. HiGHS's own time limit is soft for MIPs, so an
    ``interruptible`` run is also cancelled (user interrupt) when the deadline passes; that
    costs a Python callback, and so the GIL, many times a second, which slows Python work on
    other threads: LP re-solves, whose time limit HiGHS keeps, skip it. A run that has not
    stopped ``grace`` seconds after the deadline is abandoned (False): ``h`` must not be
    touched again (it is kept alive until its thread ends, and the next run waits for that:
    see :func:`settle_abandoned`). Runs of several threads take turns (:func:`one_run`). A run
    abandoned earlier that is still going at ``deadline`` is not waited for past it: ``h`` is
    then not run at all (False), and the caller ends by its deadline without an answer.
    """
    with ONE_RUN:
        if deadline is not None and not _abandoned_ended_by(deadline):
            return False, 0.0
        with one_run():
            return _run_now(h, deadline, time_limit, grace, interruptible)


def _abandoned_ended_by(deadline: float) -> bool:
    """Wait for the runs abandoned earlier, but not past ``deadline`` (perf_counter seconds):
    True when none is left. One still going is not given up on (see :func:`settle_abandoned`):
    a later solve with more time waits for it again."""
    while _abandoned:
        run = _abandoned[-1]
        stopped, _status = run.wait(max(deadline - time.perf_counter(), 0.0))
        if not stopped:
            return False
        _abandoned.pop()
        _given_up[:] = [other for other in _given_up if other is not run]
    return True


def _run_now(
    h, deadline: float | None, time_limit: float | None, grace: float, interruptible: bool
) -> tuple[bool, float]:
    """:func:`run_highs` once no other run is going."""
    started = time.perf_counter()
    limit = time_limit
    if deadline is not None:
        left = max(deadline - started, 0.01)
        limit = left if limit is None else min(limit, left)
    if limit is not None:  # HiGHS compares its limit with the object's run time over all runs
        h.setOptionValue("time_limit", float(h.getRunTime() + max(limit, 0.01)))
    if interruptible and not h.HandleUserInterrupt:  # registering twice fires it twice
        h.HandleUserInterrupt = True
    h.startSolve()
    wait = None if limit is None else max(limit, 0.01) + 0.05
    try:
        done, _status = h.wait(-1.0 if wait is None else wait)
    except BaseException:  # Ctrl-C or SIGTERM: stop the run before the exception ends the process
        _stop(h, grace)
        raise
    if not done:
        done = _stop(h, grace)
    return bool(done), time.perf_counter() - started


def _stop(h, grace: float) -> bool:
    """Cancel ``h``'s run and wait ``grace`` seconds for it to end; one that runs on is kept as
    abandoned (its object must outlive its thread). True when it ended. It is listed before
    the wait, so that a second Ctrl-C during the wait cannot leave it untracked."""
    _abandoned.append(h)
    h.cancelSolve()
    done, _status = h.wait(grace)
    if done:
        _abandoned.remove(h)
    return bool(done)


_abandoned: list[Any] = []  # runs left at a deadline, kept alive until their thread ends
# highspy runs one solve at a time per process (the lock its ``startSolve`` takes is shared
# by every ``Highs`` object: a second start raises "Solver is already running"), so solves
# on several threads of one process (a Dask worker with more than one thread) take turns
ONE_RUN = threading.RLock()


@contextmanager
def one_run() -> Iterator[None]:
    """Hold the process's one HiGHS run: take turns with other threads, after every abandoned
    run has ended. Every HiGHS solve of inflopt (highspy or PuLP's) runs inside it."""
    with ONE_RUN:
        settle_abandoned()
        yield


def abandoned_runs() -> int:
    """How many HiGHS runs abandoned at a deadline this process still keeps (they may still
    be going: see :func:`settle_abandoned`)."""
    return len(_abandoned)


SETTLE_SECONDS = 300.0  # longest wait for an abandoned run before the next solve gives up
_given_up: list[Any] = []  # abandoned runs already waited for in full: looked at, not waited for


def settle_abandoned(limit: float = SETTLE_SECONDS) -> None:
    """Wait until every abandoned run has ended (call it holding :data:`ONE_RUN`): an
    abandoned run may still be going when the next solve of the process starts, and only one
    may run at a time. It was cancelled and has a time limit: it ends soon. One that has not
    ended after ``limit`` seconds is a :class:`SolverError` (this process can solve no more),
    not a wait without end; later solves only look whether it has ended since, and fail at
    once if not, instead of waiting ``limit`` seconds each."""
    while _abandoned:
        run = _abandoned[-1]
        waited_before = any(run is other for other in _given_up)
        log.debug("waiting for a HiGHS run left at an earlier deadline to end")
        stopped, _status = run.wait(0.0 if waited_before else limit)
        if not stopped:
            if not waited_before:
                _given_up.append(run)
            raise SolverError(
                f"a HiGHS run stopped at an earlier deadline has not ended {limit:g} s later; "
                "this process cannot start another (run the next solve in a new process)"
                if not waited_before
                else "a HiGHS run stopped at an earlier deadline has still not ended; "
                "this process cannot start another (run the next solve in a new process)"
            )
        _abandoned.pop()
        _given_up[:] = [other for other in _given_up if other is not run]


@atexit.register
def _settle_at_exit() -> None:
    """Let an abandoned run end before the interpreter does. A HiGHS run left at a deadline
    that is still going when a script (an API caller, not the ``inflopt`` command, which ends
    its process at once) reaches its end aborted the process after its work was done
    ("terminate called without an active exception", exit 134). It was cancelled and has a
    time limit: it ends soon; after :data:`SETTLE_SECONDS` the exit goes on regardless."""
    if not _abandoned or not ONE_RUN.acquire(timeout=SETTLE_SECONDS):
        return
    try:
        settle_abandoned()
    except SolverError:
        log.warning("a HiGHS run stopped at a deadline is still going as the process ends")
    finally:
        ONE_RUN.release()


def read_answer(model: ArrayModel, h, sub: SubModel, integer: bool, seconds: float) -> HighsAnswer:
    """Solution, bound and multipliers of a finished run, mapped back to the whole model."""
    import highspy

    status = h.getModelStatus()
    S = highspy.HighsModelStatus
    info = h.getInfo()
    k = len(sub.cols)
    if status == S.kInfeasible:
        return HighsAnswer("infeasible", None, None, None, None, None, seconds)
    has = info.primal_solution_status == 2 or status == S.kOptimal  # 2 = feasible
    x = objective = None
    pi_rows = pi_pairs = None
    if has:
        solution = h.getSolution()
        values = np.asarray(solution.col_value, dtype=float)
        x = np.zeros(model.n)
        x[sub.cols] = values[:k]
        objective = float(info.objective_function_value)
        if not integer and solution.dual_valid:
            duals = np.asarray(solution.row_dual, dtype=float)
            pi_rows = duals[: sub.n_rows]
            pi_pairs = np.zeros(len(model.pair_i))
            pi_pairs[sub.pairs] = duals[sub.n_rows :]
    bound = None
    if integer:
        value = info.mip_dual_bound
        bound = float(value) if math.isfinite(value) else None
    if status == S.kOptimal:
        word = "optimal"
    elif has:
        word = "feasible"
    else:
        word = "no_solution"
    if integer and objective is not None:
        own = _own_objective(h, values)
        if abs(own - objective) > CLAIM_TOLERANCE * (1.0 + abs(own)):
            # seen with highspy 1.16 given a start: "optimal", the start returned as the
            # solution and the LP bound as its objective. Nothing it says is proof.
            log.info("HiGHS claimed objective %.9g for a solution worth %.9g", objective, own)
            return HighsAnswer("feasible", x, own, None, None, None, seconds, misreported=True)
    return HighsAnswer(word, x, objective, bound, pi_rows, pi_pairs, seconds)


def _own_objective(h, values: np.ndarray) -> float:
    """The objective of the solution ``values`` of ``h``'s model, computed here."""
    lp = h.getLp()
    return float(np.dot(lp.col_cost_, values) + lp.offset_)


def solve_sub(
    model: ArrayModel,
    cols: np.ndarray,
    integer: bool,
    deadline: float | None = None,
    *,
    time_limit: float | None = None,
    gap: float = 1e-6,
    start: np.ndarray | None = None,
    fixed_one: np.ndarray | None = None,
    threads: int | None = None,
) -> HighsAnswer:
    """Solve the LP relaxation or the MIP of the sub-model on ``cols``, within ``deadline``."""
    h, sub = build_highs(model, cols, integer, fixed_one, threads)
    if integer:
        h.setOptionValue("mip_rel_gap", float(gap))
        if start is not None:
            values = np.concatenate(
                [start[sub.cols], (start[model.pair_i[sub.pairs]] * start[model.pair_j[sub.pairs]])]
            )
            h.setSolution(len(values), np.arange(len(values), dtype=np.int32), values)
    finished, seconds = run_highs(h, deadline, time_limit)
    if not finished:
        return HighsAnswer("abandoned", None, None, None, None, None, seconds)
    answer = read_answer(model, h, sub, integer, seconds)
    if answer.misreported and start is not None:  # once more, without the start
        again = solve_sub(
            model, cols, integer, deadline, time_limit=time_limit, gap=gap,
            fixed_one=fixed_one, threads=threads,
        )  # fmt: skip
        again.seconds += answer.seconds
        return again if again.x is not None or again.status == "infeasible" else answer
    return answer


def _entries_in(part: sp.csr_matrix | sp.csc_matrix, position: np.ndarray) -> tuple:
    """HiGHS's ``(nnz, starts, index, value)`` for the rows (CSR) or columns (CSC) of ``part``,
    keeping the entries whose other index is already in the LP (``position`` ≥ 0), renumbered."""
    count = len(part.indptr) - 1  # rows of a CSR slice, columns of a CSC one
    keep = position[part.indices] >= 0
    owner = np.repeat(np.arange(count), np.diff(part.indptr))[keep]
    starts = np.searchsorted(owner, np.arange(count)).astype(np.int32)
    index = position[part.indices[keep]].astype(np.int32)
    return int(keep.sum()), starts, index, part.data[keep].astype(float)


class RestrictedLP:
    """The LP relaxation on a growing set of x columns, kept in one ``highspy.Highs`` object.

    Column *and* row generation: only the x columns added so far are in; of the packing rows
    (conflicts, creator limits: non-negative coefficients, no lower limit) and of the
    de-duplication pairs only those added — the caller adds those the LP solution breaks.
    A missing row's multiplier is 0 in the bound, which stays valid (see module doc).
    The next :meth:`solve` starts from the previous basis.
    """

    def __init__(self, model: ArrayModel, cols: np.ndarray, threads: int | None = None) -> None:
        import highspy

        self.model = model
        m = model
        self.h = new_highs()
        if threads is not None:
            self.h.setOptionValue("threads", int(threads))
        self.h.changeObjectiveSense(highspy.ObjSense.kMaximize)
        rows = m.A.shape[0]
        self.lazy = ~m.can_fall & ~np.isfinite(m.lo) & np.isfinite(m.hi)  # packing rows
        self.row_of = np.full(rows, -1, dtype=np.int64)  # A row → HiGHS row
        self.where = np.full(m.n, -1, dtype=np.int64)  # x slot → HiGHS column
        self.pair_col = np.full(len(m.pair_i), -1, dtype=np.int64)
        self.pair_row = np.full(len(m.pair_i), -1, dtype=np.int64)
        self.lb = m.lb.astype(float, copy=True)  # the x bounds in force (a branch changes them)
        self.ub = m.ub.astype(float, copy=True)
        self.num_col = self.num_row = 0
        self._open: np.ndarray | None = None  # pairs not in, both ends in (see open_pairs)
        self.add_rows(np.flatnonzero(~self.lazy))
        self.add(cols)

    @property
    def inside(self) -> np.ndarray:
        """Per x slot: is it a column of this LP."""
        return self.where >= 0

    def add_rows(self, rows: np.ndarray) -> None:
        """Append rows of A (not yet in), with their entries in the columns already in."""
        m = self.model
        rows = np.asarray(rows, dtype=np.int64)
        rows = rows[self.row_of[rows] < 0]
        if not len(rows):
            return
        inf = highs_inf()
        self.h.addRows(
            len(rows),
            np.where(np.isfinite(m.lo[rows]), m.lo[rows], -inf),
            np.where(np.isfinite(m.hi[rows]), m.hi[rows], inf),
            *_entries_in(m.A[rows], self.where),
        )
        self.row_of[rows] = self.num_row + np.arange(len(rows))
        self.num_row += len(rows)

    def add(self, slots: np.ndarray) -> None:
        """Append the x columns ``slots`` (those not yet in), with entries in the rows in."""
        m = self.model
        slots = np.asarray(slots, dtype=np.int64)
        slots = slots[self.where[slots] < 0]
        if not len(slots):
            return
        self.h.addCols(
            len(slots),
            m.c[slots].astype(float),
            self.lb[slots],
            self.ub[slots],
            *_entries_in(m.csc[:, slots], self.row_of),
        )
        self.where[slots] = self.num_col + np.arange(len(slots))
        self.num_col += len(slots)
        self._open = None

    def set_bounds(self, lb: np.ndarray, ub: np.ndarray) -> None:
        """Make ``lb ≤ x ≤ ub`` (over all slots) the bounds of the x columns, those in and
        those added later; only the changed ones are passed to HiGHS."""
        changed = np.flatnonzero((lb != self.lb) | (ub != self.ub))
        self.lb[changed] = lb[changed]
        self.ub[changed] = ub[changed]
        changed = changed[self.where[changed] >= 0]
        if len(changed):
            self.h.changeColsBounds(
                len(changed),
                self.where[changed].astype(np.int32),
                self.lb[changed],
                self.ub[changed],
            )

    def add_pairs(self, new: np.ndarray) -> None:
        """Append de-duplication pairs (both ends in, pair not yet in): y column and row."""
        m = self.model
        new = np.asarray(new, dtype=np.int64)
        new = new[self.pair_col[new] < 0]
        q = len(new)
        if not q:
            return
        if m.reach_row is not None:  # y enters the reach row with −shared reach
            starts = np.arange(q, dtype=np.int32)
            index = np.full(q, self.row_of[m.reach_row], dtype=np.int32)
            value = -m.pair_s[new].astype(float)
        else:
            starts = np.zeros(q, dtype=np.int32)
            index = np.zeros(0, dtype=np.int32)
            value = np.zeros(0)
        self.h.addCols(
            q,
            m.pair_c[new].astype(float),
            np.zeros(q),
            np.ones(q),
            len(index),
            starts,
            index,
            value,
        )
        self.pair_col[new] = self.num_col + np.arange(q)
        self.num_col += q
        index = np.column_stack(
            [self.pair_col[new], self.where[m.pair_i[new]], self.where[m.pair_j[new]]]
        ).ravel()
        self.h.addRows(
            q,
            -np.ones(q),
            np.full(q, highs_inf()),
            3 * q,
            np.arange(0, 3 * q, 3, dtype=np.int32),
            index.astype(np.int32),
            np.tile([1.0, -1.0, -1.0], q),
        )
        self.pair_row[new] = self.num_row + np.arange(q)
        self.num_row += q

    def open_pairs(self) -> np.ndarray:
        """De-duplication pairs not in this LP whose two ends are (kept between calls: one
        pass over millions of pairs per new batch of columns, not per check)."""
        m = self.model
        if self._open is None:
            both = (self.where[m.pair_i] >= 0) & (self.where[m.pair_j] >= 0)
            self._open = np.flatnonzero(both & (self.pair_col < 0))
        else:
            self._open = self._open[self.pair_col[self._open] < 0]
        return self._open

    def likely(self, slots: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Packing rows and pairs (not yet in) with two or more members among ``slots`` —
        the ones the next solution is likely to break once ``slots`` can enter."""
        m = self.model
        among = np.zeros(m.n)
        among[slots] = 1.0
        load = m.A @ among
        rows = np.flatnonzero(self.lazy & (self.row_of < 0) & (load > 1.5))
        both = (self.pair_col < 0) & (among[m.pair_i] > 0) & (among[m.pair_j] > 0)
        return rows, np.flatnonzero(both)

    def broken(self, x: np.ndarray, tol: float = 1e-7) -> tuple[np.ndarray, np.ndarray]:
        """Rows and pairs missing from this LP that ``x`` breaks: ``(rows, pairs)`` to add."""
        m = self.model
        act = m.A @ x
        rows = np.flatnonzero(self.lazy & (self.row_of < 0) & (act > m.hi + tol))
        open_ = self.open_pairs()
        return rows, open_[x[m.pair_i[open_]] + x[m.pair_j[open_]] > 1.0 + tol]

    def paying(self, bound: DualBound, tol: float = 1e-7) -> np.ndarray:
        """Pairs missing from this LP, both ends in, whose y has a positive reduced cost
        (reach targets can make sharing pay): add them before pricing columns."""
        open_ = self.open_pairs()
        return open_[bound.d_y[open_] > tol]

    def solve(self, deadline: float | None = None) -> HighsAnswer:
        """Re-solve from the last basis; x over all slots, multipliers of every row."""
        import highspy

        finished, seconds = run_highs(self.h, deadline, interruptible=False)
        if not finished:
            return HighsAnswer("abandoned", None, None, None, None, None, seconds)
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return HighsAnswer("infeasible", None, None, None, None, None, seconds)
        if status != highspy.HighsModelStatus.kOptimal:
            return HighsAnswer("no_solution", None, None, None, None, None, seconds)
        solution = self.h.getSolution()
        values = np.asarray(solution.col_value, dtype=float)
        x = np.zeros(self.model.n)
        inside = self.where >= 0
        x[inside] = values[self.where[inside]]
        pi_rows = pi_pairs = None
        if solution.dual_valid:
            duals = np.asarray(solution.row_dual, dtype=float)
            pi_rows = np.zeros(self.model.A.shape[0])
            has = self.row_of >= 0
            pi_rows[has] = duals[self.row_of[has]]
            pi_pairs = np.zeros(len(self.model.pair_i))
            has = self.pair_row >= 0
            pi_pairs[has] = duals[self.pair_row[has]]
        objective = float(self.h.getInfo().objective_function_value)
        return HighsAnswer("optimal", x, objective, None, pi_rows, pi_pairs, seconds)


def highs_inf() -> float:
    import highspy

    return float(highspy.kHighsInf)


def lp_bound(
    model: ArrayModel, deadline: float | None = None
) -> tuple[DualBound | None, HighsAnswer]:
    """The full LP relaxation and the certified bound from its multipliers."""
    answer = solve_sub(model, np.arange(model.n), integer=False, deadline=deadline)
    if answer.pi_rows is None or answer.pi_pairs is None:
        return None, answer
    return dual_bound(model, answer.pi_rows, answer.pi_pairs), answer
