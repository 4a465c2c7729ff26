"""Segment-based reach (the Sainsbury formula): audiences independent within each segment.

Inputs: per influencer the share of its reached audience in each segment (``influencer,
segment, share``, as platform analytics export audience demographics) and the size of each
segment in people (``segment, size``). Influencer i reaches ``p_is = R_i · share_is / N_s`` of
segment s (``R_i`` = expected reach from the roster, ``N_s`` = segment size); under
independence the picks reach

    reach_s = N_s · (1 − Π_i (1 − p_is x_i)) = N_s · (1 − e^{u_s}),  u_s = Σ_i log(1 − p_is) x_i.

``f(u) = 1 − e^u`` is concave and decreasing on u ≤ 0, so the MIP bounds the reached fraction
ρ_s by tangents: ``ρ_s ≤ 1 − e^t − e^t (u_s − t)`` for each breakpoint t, and ``ρ_s ≤ 1``.
The breakpoints (see :func:`tangent_points`) make the envelope ``g`` satisfy

    f(u) ≤ g(u) ≤ (1 + ε) · f(u)   for every u ≤ 0   (ε = ``reach.max_error``),

so the MIP's reach over-states the true reach by at most a factor 1 + ε. Reported reach is
always the exact formula, evaluated after solving. See docs/reach-models.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .coverage import (
    checked_numbers,
    duplicate_problems,
    number_cells,
    read_columns,
    roster_positions,
    row_problems,
    text_cells,
)
from .errors import InputError, Problem
from .funnel import KPI_COLUMNS
from .reading import numbered
from .roster import Roster, row_label

if TYPE_CHECKING:  # SciPy and PuLP load only for Sainsbury reach
    import pulp
    import scipy.sparse as sp

SEGMENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "influencer": ("influencer", "influencer_id", "id"),
    "segment": ("segment", "segment_id"),
    "share": ("share", "audience_share", "fraction"),
}
SIZE_COLUMNS: dict[str, tuple[str, ...]] = {
    "segment": ("segment", "segment_id"),
    "size": ("size", "people", "population"),
}
SHARE_SUM_TOLERANCE = 1e-6  # an influencer's shares may add up to at most 1 + this
GRID_POINTS = 2001  # points per tangent pair when the error bound is checked


# ---------------------------------------------------------------- tangent breakpoints


def _relative_error(u: np.ndarray, points: np.ndarray) -> np.ndarray:
    """(g(u) − f(u)) / f(u) for the envelope g of tangents at ``points`` capped at 1 (u < 0)."""
    f = -np.expm1(u)
    e = np.exp(points)[:, None]
    tangents = 1.0 - e - e * (u[None, :] - points[:, None])
    g = np.minimum(1.0, tangents.min(axis=0))
    return (g - f) / f


def _pair_error(t: float, s: float) -> float:
    """Largest relative error of the envelope of the tangents at t > s on [s, t] (t ≤ 0)."""
    upper = min(t, -1e-9)
    u = np.linspace(s, upper, GRID_POINTS)
    e_t, e_s = math.exp(t), math.exp(s)
    crossing = ((1 - e_t + t * e_t) - (1 - e_s + s * e_s)) / (e_t - e_s)  # where they meet
    u = np.append(u, min(max(crossing, s), upper))
    return float(_relative_error(u, np.array([t, s])).max())


def _cap_error(t: float) -> float:
    """Relative error where the last tangent (at t) reaches the cap 1, at u = t − 1."""
    u = t - 1.0
    return math.exp(u) / -math.expm1(u)


def _next_point(t: float, max_error: float) -> float:
    """The lowest s < t with pair error ≤ ``max_error`` (bisection; error grows with t − s)."""
    low, high = 0.0, 1.0
    while _pair_error(t, t - high) <= max_error and high < 64:
        low, high = high, 2.0 * high
    for _ in range(50):
        middle = (low + high) / 2.0
        if _pair_error(t, t - middle) <= max_error:
            low = middle
        else:
            high = middle
    return t - low


@lru_cache(maxsize=32)
def tangent_points(max_error: float) -> tuple[float, ...]:
    """Breakpoints t_0 = 0 > t_1 > … > t_K for a relative over-estimate of at most ``max_error``.

    Greedy from t_0 = 0 (where f is nearly linear, f(u) ≈ −u, and the tangent is exact to first
    order): each next t_{k+1} is the lowest point at which the envelope of the tangents at t_k
    and t_{k+1} still stays within ``max_error`` on [t_{k+1}, t_k] (bisection, the error
    checked on a grid and at the tangents' crossing, where it peaks). The list ends once the
    cap ρ ≤ 1 is itself within the bound: below t_K − 1 the cap binds, and its relative error
    e^u / (1 − e^u) is largest at u = t_K − 1. ε = 1% takes about a dozen tangents.
    """
    if not 0 < max_error <= 0.5:
        raise ValueError("max_error must be in (0, 0.5]")
    target = max_error * (1 - 1e-6)  # leave room for floating-point noise
    points = [0.0]
    while _cap_error(points[-1]) > target:
        points.append(_next_point(points[-1], target))
    return tuple(points)


def max_relative_error(points: Sequence[float], samples: int = 200_001) -> float:
    """The envelope's largest relative over-estimate, measured on a dense grid of u < 0.

    The grid spans [t_K − 30, 0) with extra density near 0; below it the cap's error
    e^u / (1 − e^u) is under 1e-13.
    """
    low = points[-1] - 30.0
    u = np.concatenate([-np.geomspace(1e-9, 1.0, samples // 4), np.linspace(low, -1.0, samples)])
    return float(_relative_error(u, np.asarray(points)).max())


def envelope(u: np.ndarray, points: Sequence[float]) -> np.ndarray:
    """g(u) = min(1, min_k tangent_k(u)): the reached fraction the MIP allows at log-miss u."""
    e = np.exp(np.asarray(points))[:, None]
    t = np.asarray(points)[:, None]
    return np.minimum(1.0, (1.0 - e - e * (u[None, :] - t)).min(axis=0))


# ---------------------------------------------------------------- the segment model


@dataclass
class Segments:
    """Each roster influencer's penetration ``p_is`` of each segment, and the segment sizes.

    ``penetration`` is a CSR matrix (roster positions × segments) of fractions in [0, 1];
    ``sizes`` are people. Reach values are people.
    """

    penetration: sp.csr_matrix
    sizes: np.ndarray
    names: np.ndarray
    max_error: float
    source: str
    method: str = "sainsbury"
    points: tuple[float, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.points = tangent_points(self.max_error)

    @property
    def target_margin(self) -> float:
        """Reach targets are raised by this factor in the MIP, so the exact reach meets them."""
        return 1.0 + self.max_error

    @property
    def floor(self) -> float:
        """Lowest log-miss coefficient the MIP needs: at u ≤ t_K − 1 the cap ρ ≤ 1 binds."""
        return self.points[-1] - 1.0

    def _rows(self, picked: Sequence[int]) -> sp.csr_matrix:
        return self.penetration[np.asarray(list(picked), dtype=np.int64)]

    def log_miss(self, picked: Sequence[int], clip: bool = False) -> np.ndarray:
        """u_s = Σ_{i picked} log(1 − p_is) per segment (−inf when some p_is = 1)."""
        rows = self._rows(picked).tocoo()
        with np.errstate(divide="ignore"):
            logs = np.log1p(-rows.data)
        if clip:
            logs = np.maximum(logs, self.floor)
        return np.bincount(rows.col, weights=logs, minlength=len(self.sizes))

    def reach_by_segment(self, picked: Sequence[int]) -> np.ndarray:
        """Exact reached people per segment: N_s · (1 − Π(1 − p_is))."""
        return self.sizes * -np.expm1(self.log_miss(picked))

    def reach(self, picked: Sequence[int]) -> float:
        """Exact de-duplicated reach (people) under independence within segments."""
        return float(self.reach_by_segment(picked).sum())

    def gross_reach(self, picked: Sequence[int]) -> float:
        """Σ_s N_s Σ_i p_is: people reached counting overlaps repeatedly."""
        return float((self._rows(picked).sum(axis=0).A1 * self.sizes).sum())

    def pairwise_reach(self, picked: Sequence[int]) -> float:
        """Second-order estimate Σ_s N_s (Σ_i p_is − Σ_{i<j} p_is p_js); never above the exact."""
        rows = self._rows(picked)
        first = rows.sum(axis=0).A1
        squares = rows.multiply(rows).sum(axis=0).A1
        return float((self.sizes * (first - (first**2 - squares) / 2.0)).sum())

    def model_reach(self, picked: Sequence[int]) -> float:
        """Reach as the MIP counts it at an optimum: Σ_s N_s g(u_s), within (1 + ε) of exact."""
        u = self.log_miss(picked, clip=True)
        return float((self.sizes * envelope(u, self.points)).sum())

    def add_to_model(
        self,
        problem: pulp.LpProblem,
        x: list[pulp.LpVariable],
        positions: np.ndarray,
        on_time: Callable[[int], None] = lambda done: None,
    ) -> list[tuple[pulp.LpVariable, float]]:
        """Add ρ_s ∈ [0, 1] and its tangent rows for every segment a candidate reaches.

        Row for breakpoint t: ``ρ_s + e^t Σ_i a_is x_i ≤ 1 − e^t + t e^t`` with
        ``a_is = max(log(1 − p_is), t_K − 1)``. Returns the reach terms ``(ρ_s, N_s)``.
        ``on_time(rows_done)`` is called before each row (or group of rows): it may raise
        to stop a build past its deadline (:class:`optimizer.model.BuildOverrun`).
        """
        import pulp
        import scipy.sparse as sp

        columns = sp.csc_matrix(self.penetration[np.asarray(positions, dtype=np.int64)])
        reached = np.flatnonzero(np.diff(columns.indptr) > 0)
        if reached.size == 0:
            return []
        rho = problem.add_variable_matrix("segment", [int(s) for s in reached], 0, 1)
        terms: list[tuple[pulp.LpVariable, float]] = []
        for done, (var, s) in enumerate(zip(rho, reached, strict=True)):
            on_time(done)
            start, end = columns.indptr[s], columns.indptr[s + 1]
            with np.errstate(divide="ignore"):
                coefs = np.maximum(np.log1p(-columns.data[start:end]), self.floor)
            members = columns.indices[start:end]
            for k, t in enumerate(self.points):
                slope = math.exp(t)
                row = pulp.lpSum_vars_coefs(
                    [(var, 1.0), *((x[m], slope * c) for m, c in zip(members, coefs, strict=True))]
                )
                problem.addConstraint(row <= 1.0 - slope + t * slope, f"segment_{s}_tangent_{k}")
            terms.append((var, float(self.sizes[s])))
        return terms


def load_segments(
    shares_path: Path, sizes_path: Path, roster: Roster, max_error: float
) -> Segments:
    """Read and check audience shares and segment sizes; every problem reported at once."""
    sizes, names, problems = _read_sizes(sizes_path)
    source = str(shares_path)
    with numbered(read_columns(shares_path, SEGMENT_COLUMNS)) as frame:
        influencers = text_cells(frame["influencer"])
        segments = text_cells(frame["segment"])
        positions, found = roster_positions(source, influencers, roster, "influencer")
        problems += found
        problems += row_problems(source, np.flatnonzero(segments == ""), "segment", "is missing")
        known = {name: k for k, name in enumerate(names)}
        codes = np.fromiter(
            (known.get(s, -1) for s in segments), dtype=np.int64, count=len(segments)
        )
        for p in np.flatnonzero((codes < 0) & (segments != "")):
            problems.append(
                Problem(
                    source,
                    f"{row_label(int(p))}, column segment",
                    f"segment {segments[p]!r} has no size in {sizes_path}",
                )
            )
        shares, share_problems = _shares(source, frame["share"])
        problems += share_problems
        keys = pd.DataFrame({"influencer": influencers, "segment": segments})
        problems += duplicate_problems(source, keys, "this influencer–segment pair is")
        if problems:
            raise InputError(problems)
        reach = roster.column(KPI_COLUMNS["reach"]).astype(float)
        problems += _share_sums(source, roster, positions, shares)
        penetration = reach[positions] * shares / sizes[codes]
        problems += _penetration_problems(
            source, roster, positions, penetration, names, codes, sizes
        )
        if problems:
            raise InputError(problems)
        import scipy.sparse as sp

        matrix = sp.csr_matrix(
            (np.minimum(penetration, 1.0), (positions, codes)),
            shape=(len(roster), len(names)),
            dtype=float,
        )
        matrix.eliminate_zeros()
        return Segments(matrix, sizes, names, max_error, source)


def _read_sizes(path: Path) -> tuple[np.ndarray, np.ndarray, list[Problem]]:
    source = str(path)
    with numbered(read_columns(path, SIZE_COLUMNS)) as frame:
        names = text_cells(frame["segment"])
        problems = row_problems(source, np.flatnonzero(names == ""), "segment", "is missing")
        sizes, size_problems = checked_numbers(source, frame["size"], "size", positive=True)
        problems += size_problems
        problems += duplicate_problems(source, pd.DataFrame({"segment": names}), "this segment is")
        return sizes, names, problems


def _shares(source: str, column: pd.Series) -> tuple[np.ndarray, list[Problem]]:
    shares, bad = number_cells(column)
    problems = [
        Problem(source, f"{row_label(p)}, column share", f"{text!r} is not a number")
        for p, text in bad.items()
    ]
    wrong = np.flatnonzero(
        ~((shares >= 0) & (shares <= 1)) & ~np.isin(np.arange(len(shares)), list(bad))
    )
    problems += [
        Problem(
            source,
            f"{row_label(int(p))}, column share",
            f"must be a fraction in [0, 1] (got {shares[p]:g})",
        )
        for p in wrong
    ]
    return shares, problems


def _share_sums(
    source: str, roster: Roster, positions: np.ndarray, shares: np.ndarray
) -> list[Problem]:
    """An influencer's audience shares cannot add up to more than 1 (the rest is outside)."""
    totals = np.bincount(positions, weights=shares, minlength=len(roster))
    return [
        Problem(source, f"influencer {roster.ids[i]}", f"shares add up to {totals[i]:.4g} (> 1)")
        for i in np.flatnonzero(totals > 1 + SHARE_SUM_TOLERANCE)
    ]


def _penetration_problems(
    source: str,
    roster: Roster,
    positions: np.ndarray,
    penetration: np.ndarray,
    names: np.ndarray,
    codes: np.ndarray,
    sizes: np.ndarray,
) -> list[Problem]:
    """An influencer cannot reach more people of a segment than the segment has."""
    return [
        Problem(
            source,
            row_label(int(p)),
            f"{roster.ids[positions[p]]} reaches {penetration[p] * sizes[codes[p]]:,.0f} people "
            f"of segment {names[codes[p]]!r}, which has only {sizes[codes[p]]:,.0f}",
        )
        for p in np.flatnonzero(penetration > 1 + 1e-9)
    ]
