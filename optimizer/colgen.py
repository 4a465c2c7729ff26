"""The LP relaxation of the array model by row and column generation, with certified bounds.

One :class:`optimizer.bounds.RestrictedLP` is kept and grown, re-solved from its last basis
each round: first the conflict/creator rows and de-duplication pairs its solution breaks are
added; when none is, the candidates with the largest positive reduced cost are priced in.
Every round's multipliers give a bound of the whole problem (:func:`optimizer.bounds.dual_bound`);
the best one is kept. The same LP, with some candidates' bounds changed, is re-solved for the
branches of :mod:`optimizer.branching`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import numpy as np

from .arrays import ArrayModel
from .bounds import DualBound, RestrictedLP, dual_bound, kept_row_bound
from .greedy import PER_COST_AND_SLOT, scarcity

if TYPE_CHECKING:
    from .fastpath import Deadline

START_SHARE = 0.08  # share of each group's best candidates in the first restricted LP
START_MAX = 20_000  # … but at most this many from the overall ranking
PRICE_MIN = 500  # columns priced in per column-generation round, at least …
PRICE_SHARE = 0.25  # … or this share of the columns already in, …
PRICE_MAX = 10_000  # … but at most this many (big rounds cost many simplex iterations)
FEW_BROKEN = 0.05  # broken rows (a share of the LP's rows) few enough to add while pricing …
# … up to this many candidates. At adversarial 1,000,000 the LP is stopped by the deadline,
# and the solution it stopped at then rounded in 9+ s to less than the greedy portfolio
# (45,415 ones against 58,597 when each round is mended first: 5 s, 14 % above the greedy)
FEW_BROKEN_UP_TO = 500_000
ENOUGH_SHARE = 0.5  # the LP may stop once its bound is within this share of the asked gap


@dataclass
class Relaxation:
    """The LP relaxation as far as it got: the best certified bound, the last LP solution,
    whether the whole problem is infeasible, and the LP itself (kept for re-solves)."""

    bound: DualBound | None
    x: np.ndarray | None
    infeasible: bool
    lp: RestrictedLP
    score: np.ndarray  # per candidate: the order in which columns enter when the LP is short
    certified: float = np.inf  # the best bound (max sense): ``bound``, or lower (see below)

    @property
    def columns(self) -> int:
        return int(self.lp.inside.sum())


def start_scores(model: ArrayModel) -> np.ndarray:
    """Per candidate: how good a first column it is (value per scarce resource; minimising
    cost: how much of the lower limits it covers per cost)."""
    cost = np.maximum(model.cost, 1e-9)
    if model.minimize:
        help_ = np.zeros(model.n)
        for r in np.flatnonzero(model.lo > 0):
            row = model.A.getrow(r)
            help_[row.indices] += np.maximum(row.data, 0) / max(model.lo[r], 1.0)
        return help_ / cost
    return model.c / scarcity(model, PER_COST_AND_SLOT)


def start_columns(model: ArrayModel, score: np.ndarray) -> np.ndarray:
    """The first restricted LP: the best overall, the best members of every group row
    (a share row's members are its positive entries) and the includes."""
    n = model.n
    chosen = np.zeros(n, dtype=bool)
    chosen[model.lb > 0.5] = True
    take = min(max(200, int(START_SHARE * n)), START_MAX)
    chosen[np.argsort(-score)[:take]] = True
    csr = model.A
    for r in range(csr.shape[0]):
        if model.names[r] in ("conflict",) or model.names[r].startswith("creator_"):
            continue
        part = slice(csr.indptr[r], csr.indptr[r + 1])
        cols, data = csr.indices[part], csr.data[part]
        if np.any(data < 0):
            cols = cols[data > 0]  # a share row: its group
        if len(cols) == n or not len(cols):
            continue
        k = min(max(20, int(START_SHARE * len(cols))), START_MAX // 4)
        chosen[cols[np.argsort(-score[cols])[:k]]] = True
    return np.flatnonzero(chosen)


@dataclass
class _Generated:
    """What :func:`generate` leaves for its caller besides its answer."""

    multipliers: tuple[np.ndarray, np.ndarray] | None = None  # of the best bound's round
    converged: bool = False  # no broken row, no paying pair, no column to price: the LP's end


def column_generation(
    model: ArrayModel,
    deadline: Deadline,
    threads: int | None,
    start: np.ndarray | None = None,
    gap: float = 0.0,
) -> Relaxation:
    """The LP relaxation of the whole problem until no row is broken and no column pays
    (or the deadline). ``start``: the first columns (default :func:`start_columns`).

    ``gap`` (a fraction of the objective) is the gap the caller asks for: the LP stops as
    soon as its certified bound lies within :data:`ENOUGH_SHARE` of it above the restricted
    LP's value, since further rounds could lower the bound by no more than that difference.
    """
    score = start_scores(model)
    first = start_columns(model, score) if start is None else start
    lp = RestrictedLP(model, first, threads)
    found = _Generated()
    bound, x, infeasible = generate(
        lp, model, score, deadline, found=found, enough=ENOUGH_SHARE * gap
    )
    certified = np.inf if bound is None else bound.value
    if found.multipliers is not None and not found.converged:
        # cut short (by the deadline, or close enough): columns still have a positive reduced
        # cost, and the bound that keeps the budget (or count) row counts only what it can buy
        certified = min(certified, kept_row_bound(model, *found.multipliers))
    return Relaxation(bound, x, infeasible, lp, score, certified)


def resolve(
    relaxation: Relaxation,
    lb: np.ndarray,
    ub: np.ndarray,
    deadline: Deadline,
    cutoff: float = -np.inf,
) -> tuple[DualBound | None, np.ndarray | None, bool]:
    """The relaxation with the x bounds ``lb``, ``ub`` (a branch), from the LP's last basis:
    (best bound of the problem within those bounds, LP x, infeasible). Stops early once the
    bound is at most ``cutoff``."""
    model = relaxation.lp.model
    relaxation.lp.set_bounds(lb, ub)
    branch = replace(model, lb=lb, ub=ub)
    return generate(relaxation.lp, branch, relaxation.score, deadline, cutoff)


def generate(
    lp: RestrictedLP,
    model: ArrayModel,
    score: np.ndarray,
    deadline: Deadline,
    cutoff: float = -np.inf,
    found: _Generated | None = None,
    enough: float = 0.0,
) -> tuple[DualBound | None, np.ndarray | None, bool]:
    """Grow and re-solve ``lp`` until it is the LP of ``model`` (whose ``lb``/``ub`` must be
    the LP's), or its bound is at most ``cutoff``, or within ``enough`` (a fraction) of the
    restricted LP's value: (best bound, last LP x, infeasible).

    Rows and pairs its solution breaks are added first; then the candidates with the largest
    positive reduced cost are priced in (at most a quarter of the columns already in, at
    least :data:`PRICE_MIN`). When the restricted LP is infeasible, candidates enter by
    ``score`` until it is not or every candidate is in. ``found``, when given, receives the
    multipliers of the best bound's round and whether the LP got to its end.
    """
    best: DualBound | None = None
    x = None
    last: tuple[np.ndarray, np.ndarray] | None = None  # the last round's multipliers
    lp.add(np.flatnonzero(~lp.inside & (model.lb > 0.5)))  # held at 1: the LP must see them
    while not deadline.passed():
        answer = lp.solve(deadline.at)
        inside = lp.inside
        if answer.status == "infeasible":
            if inside.all():
                return best, None, True
            grow = np.flatnonzero(~inside)  # the next best candidates by score
            take = min(max(int(inside.sum()), PRICE_MIN), len(grow))
            lp.add(grow[np.argsort(-score[grow], kind="stable")[:take]])
            continue
        if answer.x is None or answer.pi_rows is None or answer.pi_pairs is None:
            break
        x = answer.x
        last = (answer.pi_rows, answer.pi_pairs)
        rows, pairs = lp.broken(x)
        mended = bool(len(rows) or len(pairs))
        if mended:
            lp.add_rows(rows)
            lp.add_pairs(pairs)
            few = FEW_BROKEN * lp.num_row if model.n <= FEW_BROKEN_UP_TO else 0
            if len(rows) + len(pairs) > few:
                continue  # a bound now would be weak: mend the rows first
            # only a few: price columns in this round too (the bound holds whatever the
            # multipliers), rather than spend a re-solve on them alone
        bound = dual_bound(model, answer.pi_rows, answer.pi_pairs)
        if best is None or bound.value < best.value:
            best = bound
            if found is not None:
                found.multipliers = (answer.pi_rows, answer.pi_pairs)
        if best.value <= cutoff:
            break
        value = answer.objective  # the restricted LP's: the whole LP's value lies in between
        if (
            enough > 0
            and value is not None
            and best.value - value <= enough * max(abs(value), 1e-9)
        ):
            if not mended:
                break  # the bound is as good as the asked gap needs
            continue  # with rows broken the value may be too high: re-solve, then judge
        pairs = lp.paying(bound)
        if len(pairs):
            lp.add_pairs(pairs)
            continue
        d = bound.d_x
        can_rise = model.ub > 0.5  # a branch may hold some candidates at 0
        price = np.flatnonzero(~inside & can_rise & (d > 1e-9 * (1.0 + np.abs(model.c))))
        if not len(price):
            if mended:
                continue  # the new rows may change the answer
            if found is not None:
                found.converged = True
            break
        take = min(max(PRICE_MIN, int(PRICE_SHARE * inside.sum())), PRICE_MAX)
        if len(price) > take:
            price = price[np.argpartition(-d[price], take)[:take]]
        lp.add(price)
        rows, pairs = lp.likely(np.union1d(price, np.flatnonzero(x > 1e-9)))
        lp.add_rows(rows)  # saves rounds that would only add the rows the new columns break
        lp.add_pairs(pairs)
    if best is None and last is not None:
        # the deadline came while rows were still being mended: the bound of those
        # multipliers is weak, but valid (any multipliers give one), and better than none
        best = dual_bound(model, *last)
        if found is not None:
            found.multipliers = last
    return best, x, False
