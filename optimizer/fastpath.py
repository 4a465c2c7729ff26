"""Large rosters, fast and certified; and wall-clock deadlines for every solve.

**Which path.** ``solver.strategy`` (scenario) or ``--exact-full`` (CLI) chooses: ``full`` is
the plain PuLP model of :mod:`optimizer.model` (solved by :mod:`optimizer.fullpath`); ``fast``
the path below; ``auto`` (default) takes the fast path from :data:`FAST_FROM` candidates on.
Scenarios the array model does not cover (coverage or Sainsbury reach, robust mode, package
discounts) and solvers other than HiGHS always use the full model, and the result says so
(``model_size.method``, ``model_size.fallback``).

**The fast path** (see docs/performance.md, "Scale"):

1. the model as arrays (:mod:`optimizer.arrays`), built vectorised;
2. the LP relaxation by row and column generation in one warm-started HiGHS LP
   (:mod:`optimizer.colgen`): the best candidates overall and of every group
   first, packing rows and de-duplication pairs added when broken, candidates with positive
   reduced cost priced in until none is; every round's multipliers give a **certified bound
   of the whole problem** (:mod:`optimizer.bounds`). Meanwhile, on a thread of its own (HiGHS
   releases the GIL), a greedy portfolio (:mod:`optimizer.greedy`): the floor;
3. LP rounding (:func:`optimizer.greedy.round_lp`): the LP's ones, mended and filled, then
   improved by add / drop / swap moves (:mod:`optimizer.swaps`) — as is every portfolio the
   polishing and the MIPs below return;
4. polishing: a small MIP on the LP's support, the incumbent's picks and the
   :data:`POLISH_EXTRA` least-settled candidates — the near-optimal incumbent that fixing
   needs;
5. when the MIP would be big (more than :data:`MIP_FREE_LIMIT` candidates left free),
   branching on the LP (:mod:`optimizer.branching`): a tighter bound, and candidates the
   branches settle;
6. reduced-cost fixing against the best incumbent, then a MIP on what stays free (or, when
   too much stays free, on a shortlist of the least settled), warm-started from the
   incumbent; improved incumbents fix more. When a shortlist finds nothing better and a
   deadline is set, a last MIP on all free candidates (up to :data:`WHOLE_MIP_LIMIT`) runs
   until the deadline; its bound counts when it is better.

Every portfolio is re-checked by :func:`optimizer.verify.check_selection` before it counts.
The reported bound is the LP dual bound (after branching, the open branches'), or — when the
MIP covered every unfixed candidate — the larger of its proven bound and the incumbent,
whichever is smaller.

**Deadlines.** ``solver.time_limit`` is a wall-clock promise counted from the start of the
solve: HiGHS runs on its own thread, stops at the deadline by its own time limit (LP) or by a
user interrupt (MIP), and is abandoned if it has not stopped shortly after; the greedy checks
the clock as it goes. Some time is kept back at the end for the last re-check, the result
and its Monte Carlo summary (:data:`RESERVE`, :data:`RESERVE_PER_CANDIDATE`; the summary's
draws are cut to what fits before the limit: :func:`optimizer.engine.attach_simulation`),
and the LP and the greedy stop earlier still (:data:`ROUNDING_PER_CANDIDATE`) so that the
LP's last solution can be rounded; a greedy that overruns its time is not waited for. The
best verified portfolio so far (at least the greedy one, when the greedy finishes in time) is
returned as ``feasible``; building the arrays is not interruptible.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from . import branching
from .arrays import ArrayModel, build_arrays, unsupported_reason
from .bounds import DualBound, solve_sub
from .candidates import Candidates
from .colgen import Relaxation, column_generation
from .greedy import greedy_tries, round_lp, verified
from .overlap import OverlapGraph
from .roster import Roster
from .scenario import Scenario, SolverSettings
from .solver import SolveOutcome, Status
from .swaps import LocalSearch
from .verify import check_selection

log = logging.getLogger(__name__)

FAST_FROM = 500  # candidates from which "auto" takes the fast path
MIP_FREE_LIMIT = 4_000  # free candidates a MIP round takes at most …
WHOLE_MIP_LIMIT = 50_000  # … except a last try on all of them, until the deadline
POLISH_EXTRA = 50  # least-settled free candidates the polishing MIP adds to the LP's support
POLISH_SECONDS = 10.0  # … and its time limit without a deadline (with one: a quarter of the rest)
BRANCH_SECONDS = 10.0  # branching on the LP without a deadline (with one: a quarter of the rest)
# seconds kept back at the deadline for the last re-check, the result and its Monte Carlo
# summary: RESERVE, and RESERVE_PER_CANDIDATE more per candidate (4 s at 1,000,000:
# re-checking 100,000 picks takes ~1 s, and 200 draws of 50,000 picks ~1 s)
RESERVE = 0.1
RESERVE_PER_CANDIDATE = 4e-6
# the LP and the greedy stop this much earlier per candidate, so that the LP's last solution
# can be rounded (6 s at 1,000,000: the rounding's fill takes ~5 s at adversarial 1,000,000)
ROUNDING_PER_CANDIDATE = 6e-6
GREEDY_GRACE = 0.1  # seconds the engine waits for a greedy past its deadline
SWAP_SECONDS = 0.25  # local search per portfolio at most (and a tenth of the time left)


class Abandoned(Exception):
    """HiGHS did not stop at the deadline; its thread was left to finish on its own."""


@dataclass
class Deadline:
    """A wall-clock deadline (perf_counter seconds), or none."""

    at: float | None

    @classmethod
    def start(cls, started: float, seconds: float | None, candidates: int = 0) -> Deadline:
        """``seconds`` after ``started``, less what the re-check, the result and its Monte
        Carlo summary need after it (more for large rosters: a portfolio of 100,000 picks
        takes ~1 s to re-check twice), at most a tenth of the time."""
        if seconds is None:
            return cls(None)
        reserve = RESERVE + RESERVE_PER_CANDIDATE * candidates
        return cls(started + seconds - min(reserve, 0.1 * seconds))

    def earlier(self, seconds: float) -> Deadline:
        """This deadline less ``seconds`` (at most half the time left now)."""
        if self.at is None:
            return self
        return Deadline(self.at - min(seconds, max(self.left(), 0.0) / 2))

    def left(self) -> float:
        return np.inf if self.at is None else self.at - time.perf_counter()

    def passed(self) -> bool:
        return self.left() <= 0


@dataclass
class PathAnswer:
    """What a path found: the outcome in our terms and the verified picks (roster positions)."""

    outcome: SolveOutcome
    picked: list[int] | None
    build_seconds: float = 0.0
    model_size: dict[str, Any] = field(default_factory=dict)


def method_for(scenario: Scenario, candidates: int) -> tuple[str, str | None]:
    """``("fast" | "full", reason the fast path was not taken or None)``."""
    strategy = getattr(scenario.solver, "strategy", "auto")
    if strategy == "full":
        return "full", None
    reason = unsupported_reason(scenario)
    if scenario.solver.name != "highs":
        reason = reason or f"solver {scenario.solver.name}"
    wanted = strategy == "fast" or candidates >= FAST_FROM
    if not wanted:
        return "full", None
    if reason is not None:
        return "full", f"fast path does not cover {reason}"
    return "fast", None


# ---------------------------------------------------------------- the fast path


@dataclass
class _Best:
    x: np.ndarray | None = None
    value: float = -np.inf  # max sense
    picked: list[int] | None = None

    def offer(
        self,
        scenario: Scenario,
        roster: Roster,
        overlap: OverlapGraph,
        model: ArrayModel,
        x: np.ndarray | None,
    ) -> bool:
        """Keep ``x`` if it is verified and better; True when kept."""
        if x is None:
            return False
        x = (x > 0.5).astype(float)
        value = model.objective(x)
        if value <= self.value + 1e-9 * (1 + abs(value)):
            return False
        answer = verified(scenario, roster, overlap, model, x)
        if answer is None:
            log.debug("fast path: a candidate portfolio failed the re-check")
            return False
        self.x, self.value, self.picked = x, value, answer.picked
        return True


def _shortlist_seconds(deadline: Deadline) -> float | None:
    """A shortlist MIP certifies nothing, it only seeks a better portfolio: a third of the
    time left (at least a second), so later rounds can use what it finds."""
    left = deadline.left()
    return None if not np.isfinite(left) else max(1.0, left / 3)


def _greedy_result(
    greedy: Future[tuple[list[np.ndarray], float]], early: Deadline
) -> tuple[list[np.ndarray], float | None]:
    """The greedy's portfolios and seconds, waiting for it at most :data:`GREEDY_GRACE` past
    ``early``. A greedy that late was cut short (it would miss a lower limit and not count),
    and at 1,000,000 candidates it looks at the clock only every second or so: the LP's
    rounding needs that time. ([], None) when it did not come back in time."""
    wait = None if early.at is None else max(early.left(), 0.0) + GREEDY_GRACE
    try:
        return greedy.result(timeout=wait)
    except TimeoutError:
        log.debug("fast path: the greedy did not finish by its deadline; not waiting for it")
        return [], None


def _timed[T](function: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """``function(*args, **kwargs)`` and the seconds it took."""
    started = time.perf_counter()
    return function(*args, **kwargs), time.perf_counter() - started


def _swap_until(deadline: Deadline) -> float:
    """When a local search stops: :data:`SWAP_SECONDS` from now, or sooner by a tenth of the
    time left."""
    return time.perf_counter() + min(SWAP_SECONDS, deadline.left() / 10)


def _polish_seconds(deadline: Deadline) -> float:
    """The polishing MIP only seeks a better incumbent: a quarter of the time left (at least
    half a second), or :data:`POLISH_SECONDS` without a deadline."""
    left = deadline.left()
    return POLISH_SECONDS if not np.isfinite(left) else max(0.5, left / 4)


def _polish(
    model: ArrayModel,
    bound: DualBound,
    lp_x: np.ndarray,
    best: _Best,
    deadline: Deadline,
    settings: SolverSettings,
) -> np.ndarray | None:
    """A small MIP around the LP optimum: its support, the incumbent's picks and the
    :data:`POLISH_EXTRA` least-settled free candidates (by |reduced cost|), the rest fixed.

    The LP is nearly integral, so the best portfolio usually lies here; found early it is
    the incumbent reduced-cost fixing needs to settle most candidates. Returns its x or None.
    """
    fixed = _fixings(model, bound, best.value)
    free = np.flatnonzero(fixed < 0)
    ranked = free[np.argsort(np.abs(bound.d_x[free]), kind="stable")][:POLISH_EXTRA]
    near = np.flatnonzero(lp_x > 1e-6)
    if best.x is not None:
        near = np.union1d(near, np.flatnonzero(best.x > 0.5))
    chosen = np.union1d(ranked, near[fixed[near] < 0])
    if len(chosen) > MIP_FREE_LIMIT or len(chosen) >= len(free):
        return None  # as big as the MIPs that follow: no shortcut
    answer = solve_sub(
        model,
        np.union1d(chosen, np.flatnonzero(fixed == 1)),
        integer=True,
        deadline=deadline.at,
        gap=settings.gap,
        time_limit=_polish_seconds(deadline),
        start=best.x,
        fixed_one=fixed == 1,
        threads=settings.threads,
    )
    return answer.x


def _certified(relaxation: Relaxation | None) -> float:
    """The relaxation's certified bound (max sense); +∞ without one."""
    return np.inf if relaxation is None else relaxation.certified


def _close(upper: float, best: _Best, gap: float) -> bool:
    """Is the best portfolio within ``gap`` (relative) of the bound ``upper``?"""
    if not np.isfinite(upper) or best.x is None:
        return False
    return upper - best.value <= gap * max(abs(best.value), 1e-9)


def _worth_branching(relaxation: Relaxation | None, best: _Best, gap: float) -> bool:
    """Branch on the LP when the gap is open and reduced-cost fixing leaves more candidates
    free than one MIP takes (:data:`MIP_FREE_LIMIT`): there the MIP would be slow to prove
    the bound, and branching on the few big fractional ones lowers it cheaply. Below that,
    the MIP is quicker than branching."""
    if relaxation is None or relaxation.bound is None or best.x is None:
        return False
    if _close(relaxation.certified, best, gap):
        return False
    free = _fixings(relaxation.lp.model, relaxation.bound, best.value) < 0
    return int(free.sum()) > MIP_FREE_LIMIT


def _branch_seconds(deadline: Deadline) -> float:
    """Branching on the LP gets a quarter of the time left, or :data:`BRANCH_SECONDS`."""
    left = deadline.left()
    return BRANCH_SECONDS if not np.isfinite(left) else left / 4


def _fixings(model: ArrayModel, bound: DualBound, incumbent: float) -> np.ndarray:
    """Reduced-cost fixing: −1 free, 0 or 1 fixed (no portfolio beating ``incumbent`` differs)."""
    d = bound.d_x
    tol = 1e-7 * (1.0 + abs(incumbent))
    fixed = np.full(model.n, -1, dtype=np.int8)
    free = model.lb < model.ub  # branching may have settled some: their d_x says nothing
    at_zero = free & (d < 0) & (bound.value + d < incumbent - tol)
    at_one = free & (d > 0) & (bound.value - d < incumbent - tol)
    fixed[at_zero] = 0
    fixed[at_one] = 1
    fixed[model.ub < 0.5] = 0
    fixed[model.lb > 0.5] = 1
    return fixed


def solve_fast(
    scenario: Scenario,
    roster: Roster,
    overlap: OverlapGraph,
    candidates: Candidates,
    started: float,
) -> PathAnswer:
    """The fast path (see the module doc); every answer verified."""
    settings = scenario.solver
    deadline = Deadline.start(started, settings.time_limit, len(candidates.positions))
    model = build_arrays(scenario, roster, overlap, candidates)
    build_seconds = time.perf_counter() - started
    size: dict[str, Any] = {
        "candidates": model.n,
        "variables": model.n + len(model.pair_i),
        "constraints": model.A.shape[0] + len(model.pair_i),
        "conflict_rows": model.conflict_rows,
        "clique_rows": model.clique_rows,
        "method": "fast",
    }
    if model.n == 0:  # every influencer filtered out: the empty portfolio or nothing
        seconds = time.perf_counter() - started - build_seconds
        holds = bool(np.all(model.lo <= 1e-9) and np.all(model.hi >= -1e-9))
        if holds and not check_selection(scenario, roster, overlap, []):
            outcome = SolveOutcome(Status.OPTIMAL, 0.0, 0.0, 0.0, seconds, "highs")
            return PathAnswer(outcome, [], build_seconds, size)
        outcome = SolveOutcome(Status.INFEASIBLE, None, None, None, seconds, "highs")
        return PathAnswer(outcome, None, build_seconds, size)
    phases: dict[str, float] = {"build": build_seconds}
    size["phase_seconds"] = phases
    clock = time.perf_counter()

    def lap(name: str) -> None:  # seconds per phase (re-checks included), for benchmarks
        nonlocal clock
        now = time.perf_counter()
        phases[name] = phases.get(name, 0.0) + now - clock
        clock = now

    best = _Best()
    relaxation = bound = lp_x = None
    proven = False
    infeasible = False
    # the greedy (pure Python) runs on a thread of its own while HiGHS solves the LP (HiGHS
    # releases the GIL); it is the floor, cut short only by the deadline (then it may miss a
    # lower limit and not count). Both stop early enough to round the LP's last solution.
    early = deadline.earlier(ROUNDING_PER_CANDIDATE * model.n)
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="inflopt-greedy")
    try:
        greedy = pool.submit(_timed, greedy_tries, model, None, early.at)
        if not deadline.passed():
            relaxation = column_generation(model, early, settings.threads, gap=settings.gap)
            bound, lp_x, infeasible = relaxation.bound, relaxation.x, relaxation.infeasible
            size["lp_columns"] = relaxation.columns
        lap("lp")
        greedy_xs, size["greedy_seconds"] = _greedy_result(greedy, early)
    finally:
        pool.shutdown(wait=False)  # a greedy past its time stops at its next look at the clock
    for greedy_x in sorted(greedy_xs, key=model.objective, reverse=True):  # the better one
        best.offer(scenario, roster, overlap, model, greedy_x)  # first: one re-check, not two
    size["greedy_value"] = model.reported(best.value) if best.x is not None else None
    lap("greedy")  # waiting for it after the LP, and its re-check

    search = LocalSearch(model, None if bound is None else bound.d_x)  # outsiders by d_x

    def offer_improved(x: np.ndarray | None) -> bool:  # x, and x after local search
        kept = best.offer(scenario, roster, overlap, model, x)
        if x is None or deadline.passed() or not search.runs_on(x):
            return kept
        better = search.improve(x, _swap_until(deadline))
        return best.offer(scenario, roster, overlap, model, better) or kept

    def offer_rounded(x: np.ndarray) -> bool:  # an LP solution, rounded, if it re-checks
        return best.offer(scenario, roster, overlap, model, round_lp(model, x, deadline.at))

    if lp_x is not None and not deadline.passed():
        offer_improved(round_lp(model, lp_x, deadline.at))
        lap("rounding")
        if not _close(_certified(relaxation), best, settings.gap) and not deadline.passed():
            offer_improved(_polish(model, bound, lp_x, best, deadline, settings))
            lap("polish")
    certified = _certified(relaxation)  # the best bound so far (max sense)
    space, fixing = model, bound  # where better portfolios lie, and the bound to fix by there
    if _worth_branching(relaxation, best, settings.gap) and not deadline.passed():
        found = branching.search(
            relaxation,
            lambda: best.value,
            offer_rounded,
            settings.gap,
            deadline,
            _branch_seconds(deadline),
        )
        if found is not None:
            certified = min(certified, found.bound)
            space = replace(model, lb=found.lb, ub=found.ub)
            fixing = found.only or bound
            size["branch_lps"] = found.lps
        lap("branching")
    mip_bound = None
    last_try = False  # a shortlist found nothing: give the rest of the time to all free ones
    while fixing is not None and not infeasible and not deadline.passed():
        if _close(certified, best, settings.gap):
            break
        fixed = _fixings(space, fixing, best.value)
        free = np.flatnonzero(fixed < 0)
        size["free_after_fixing"] = len(free)
        whole = len(free) <= MIP_FREE_LIMIT or last_try
        if whole:
            chosen = free
        else:
            ranked = free[np.argsort(np.abs(fixing.d_x[free]))]  # the least settled first
            picks = np.flatnonzero(best.x > 0.5) if best.x is not None else np.zeros(0, int)
            chosen = np.union1d(ranked[:MIP_FREE_LIMIT], picks[fixed[picks] < 0])
        cols = np.union1d(chosen, np.flatnonzero(fixed == 1))
        answer = solve_sub(
            space,
            cols,
            integer=True,
            deadline=deadline.at,
            gap=settings.gap,
            time_limit=_shortlist_seconds(deadline) if not whole else None,
            start=best.x,
            fixed_one=fixed == 1,
            threads=settings.threads,
        )
        improved = offer_improved(answer.x)
        lap("mip")
        if whole:  # the MIP saw every candidate not fixed (nor settled by branching): its
            # bound covers every portfolio better than the incumbent
            if answer.status == "infeasible":
                infeasible = best.x is None  # nothing at all beats −∞: no portfolio exists
                if best.x is not None:  # nothing beats the incumbent (branching can leave it
                    mip_bound = best.value  # outside the space the MIP searched)
            elif answer.mip_bound is not None:
                mip_bound = max(answer.mip_bound, best.value)
            elif answer.status == "optimal":
                mip_bound = best.value
            proven = answer.status in ("optimal", "infeasible") and best.x is not None
            break
        if not improved:
            if deadline.at is None:
                break  # no deadline: keep the LP certificate rather than run unbounded
            if len(free) > WHOLE_MIP_LIMIT:
                break  # too big to build and search in the time left
            last_try = True  # until the deadline; its bound counts if better
    seconds = time.perf_counter() - started - build_seconds
    if best.x is None:
        status = Status.INFEASIBLE if infeasible else Status.NO_SOLUTION
        upper = model.reported(certified) if np.isfinite(certified) else None
        outcome = SolveOutcome(status, None, upper, None, seconds, "highs")
        return PathAnswer(outcome, None, build_seconds, size)
    upper_max = certified
    if mip_bound is not None:
        upper_max = min(upper_max, mip_bound)
    upper_max = max(upper_max, best.value)
    gap = (upper_max - best.value) / max(abs(best.value), 1e-9)
    optimal = proven or gap <= settings.gap
    status = Status.OPTIMAL if optimal else Status.FEASIBLE
    upper = None if not np.isfinite(upper_max) else model.reported(upper_max)
    outcome = SolveOutcome(
        status,
        model.reported(best.value),
        upper,
        None if upper is None else gap,
        seconds,
        "highs",
    )
    return PathAnswer(outcome, best.picked, build_seconds, size)
