"""Exact audience coverage: reach = total weight of the audience units reached by at least one pick.

Input is a membership table, one row per (influencer, audience unit): ``influencer`` (roster
id), ``unit`` (any id: a sampled follower, a community, a panel member) and an optional
``weight`` (people one unit stands for; default 1). In the MIP, unit a gets
``z_a ∈ [0, 1]`` with ``z_a ≤ Σ_{i covers a} x_i`` and reach is ``Σ_a w_a z_a`` (people):
budgeted maximum coverage. See docs/reach-models.md.

The table helpers here (column aliases, fast number parsing, row problems) are shared with
:mod:`optimizer.sainsbury`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .numbers import parse_column
from .reading import RawTable, normalize_header, numbered, read_table
from .roster import Roster, row_label

if TYPE_CHECKING:  # SciPy and PuLP load only for coverage reach
    import pulp
    import scipy.sparse as sp

MEMBERSHIP_COLUMNS: dict[str, tuple[str, ...]] = {
    "influencer": ("influencer", "influencer_id", "id"),
    "unit": ("unit", "unit_id", "follower", "follower_id", "member"),
    "weight": ("weight", "people"),
}


# ---------------------------------------------------------------- table helpers (shared)


def read_columns(
    path: Path, columns: dict[str, tuple[str, ...]], optional: Sequence[str] = ()
) -> RawTable:
    """The table at ``path`` with its columns renamed to ours (first alias found wins).

    ``columns`` maps our name to accepted (normalised) headers. A required column that is
    missing is an :class:`InputError` naming every accepted header.
    """
    table = read_table(path)
    frame = table.frame
    headers = {normalize_header(h): h for h in reversed(list(frame.columns))}
    renames: dict[str, str] = {}
    missing: list[str] = []
    for ours, aliases in columns.items():
        found = next((headers[a] for a in aliases if a in headers), None)
        if found is not None:
            renames[found] = ours
        elif ours not in optional:
            missing.append(f"{ours} (or {', '.join(aliases[1:])})" if len(aliases) > 1 else ours)
    if missing:
        raise InputError.single(str(path), "header", f"missing columns: {'; '.join(missing)}")
    table.frame = frame[list(renames)].rename(columns=renames).reset_index(drop=True)
    return table


def text_cells(values: pd.Series) -> np.ndarray:
    """A column as stripped text, missing cells as ``""``."""
    return values.map(lambda v: "" if pd.isna(v) else str(v).strip()).to_numpy(dtype=object)


def number_cells(values: pd.Series) -> tuple[np.ndarray, dict[int, str]]:
    """A column as floats (NaN when missing) and ``{position: text}`` of unreadable cells.

    Plain numbers are parsed in one vectorised pass; only the rest (``12.5k``, ``3.1%``) go
    through the export-style parser, so million-row tables stay fast.
    """
    fast = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float, copy=True)
    slow = np.flatnonzero(np.isnan(fast))
    if slow.size == 0:
        return fast, {}
    parsed, bad = parse_column(values.iloc[slow].reset_index(drop=True))
    fast[slow] = parsed.to_numpy(dtype=float)
    return fast, {int(slow[k]): text for k, text in bad.items()}


def checked_numbers(
    source: str, cells: pd.Series, column: str, positive: bool = False
) -> tuple[np.ndarray, list[Problem]]:
    """A number column (:func:`number_cells`) and a problem per cell that is unreadable,
    missing, infinite, negative, or (``positive``) zero."""
    values, bad = number_cells(cells)
    problems = [
        Problem(source, f"{row_label(p)}, column {column}", f"{text!r} is not a number")
        for p, text in bad.items()
    ]
    missing = np.isnan(values) & ~np.isin(np.arange(len(values)), list(bad))
    problems += row_problems(source, np.flatnonzero(missing), column, "is missing")
    finite = np.isfinite(values)
    too_low = ~(values > 0) if positive else values < 0
    for mask, message in (
        (np.isinf(values), "must be a finite number (got {:g})"),
        (finite & too_low, "must be > 0 (got {:g})" if positive else "must be ≥ 0 (got {:g})"),
    ):
        problems += [
            Problem(source, f"{row_label(int(p))}, column {column}", message.format(values[p]))
            for p in np.flatnonzero(mask)
        ]
    return values, problems


def row_problems(source: str, positions: np.ndarray, column: str, message: str) -> list[Problem]:
    """One problem per data row position (0-based), naming the spreadsheet row and column."""
    where = f", column {column}" if column else ""
    return [Problem(source, f"{row_label(int(p))}{where}", message) for p in positions]


def roster_positions(
    source: str, ids: np.ndarray, roster: Roster, column: str
) -> tuple[np.ndarray, list[Problem]]:
    """Roster position of each id (−1 when missing or unknown) and a problem per bad row."""
    index = roster.index_of
    positions = np.fromiter((index.get(i, -1) for i in ids), dtype=np.int64, count=len(ids))
    problems = row_problems(source, np.flatnonzero(ids == ""), column, "is missing")
    for p in np.flatnonzero((positions < 0) & (ids != "")):
        problems.append(
            Problem(
                source,
                f"{row_label(int(p))}, column {column}",
                f"id {ids[p]!r} is not in the roster",
            )
        )
    return positions, problems


def duplicate_problems(source: str, keys: pd.DataFrame, what: str) -> list[Problem]:
    """A problem for every row repeating an earlier row's ``keys`` (naming that first row)."""
    repeated = np.flatnonzero(keys.duplicated(keep="first").to_numpy())
    if repeated.size == 0:
        return []
    first = keys.reset_index(drop=True).groupby(list(keys.columns), sort=False).ngroup()
    first_row = pd.Series(np.arange(len(keys))).groupby(first.to_numpy()).transform("min")
    return [
        Problem(
            source, row_label(int(p)), f"{what} already given on {row_label(int(first_row[p]))}"
        )
        for p in repeated
    ]


# ---------------------------------------------------------------- the membership model


@dataclass
class Membership:
    """Which audience units each roster influencer reaches, and what each unit weighs.

    ``matrix`` is a 0/1 CSR matrix (roster positions × units); ``weights`` are people per
    unit; reach values are in people (the weight unit).
    """

    matrix: sp.csr_matrix
    weights: np.ndarray
    units: np.ndarray
    source: str
    method: str = "coverage"
    target_margin: float = 1.0  # the MIP's reach is exact: targets need no safety margin

    @property
    def audience_sizes(self) -> np.ndarray:
        """People each roster influencer reaches on its own (Σ of its units' weights)."""
        return np.asarray(self.matrix @ self.weights, dtype=float)

    def covered(self, picked: Sequence[int]) -> np.ndarray:
        """Indices of the units reached by at least one picked influencer."""
        rows = self.matrix[np.asarray(list(picked), dtype=np.int64)]
        return np.unique(rows.indices)

    def reach(self, picked: Sequence[int]) -> float:
        """Exact de-duplicated reach of ``picked`` (people): weight of the union of audiences."""
        return float(self.weights[self.covered(picked)].sum())

    def gross_reach(self, picked: Sequence[int]) -> float:
        """Σ of the picked influencers' own audiences (people, counting overlaps repeatedly)."""
        return float(self.audience_sizes[np.asarray(list(picked), dtype=np.int64)].sum())

    def pairwise_reach(self, picked: Sequence[int]) -> float:
        """The pairwise estimate Σ_i w(A_i) − Σ_{i<j} w(A_i ∩ A_j) (people).

        By the Bonferroni inequality it never exceeds :meth:`reach`: a unit reached by k ≥ 3
        picks is subtracted k(k−1)/2 times instead of k − 1 times.
        """
        rows = self.matrix[np.asarray(list(picked), dtype=np.int64)]
        gram = rows.multiply(self.weights).tocsr() @ rows.T
        total = float(gram.sum())
        own = float(gram.diagonal().sum())
        return own - (total - own) / 2.0

    def model_reach(self, picked: Sequence[int]) -> float:
        """Reach as the MIP counts it at an optimum: exact for coverage."""
        return self.reach(picked)

    def add_to_model(
        self,
        problem: pulp.LpProblem,
        x: list[pulp.LpVariable],
        positions: np.ndarray,
        on_time: Callable[[int], None] = lambda done: None,
    ) -> list[tuple[pulp.LpVariable, float]]:
        """Add the coverage variables and rows; return the reach terms (people).

        Units reached by the same set of candidates are merged into one class (their weights
        add up), and a class reached by a single candidate i needs no variable: its weight
        goes straight onto x_i. Other classes c get ``z_c ∈ [0, 1]`` and
        ``z_c − Σ_{i covers c} x_i ≤ 0``.
        ``on_time(rows_done)`` is called before each row (or group of rows): it may raise
        to stop a build past its deadline (:class:`optimizer.model.BuildOverrun`).
        """
        classes = unit_classes(self.matrix[np.asarray(positions, dtype=np.int64)], self.weights)
        terms: list[tuple[pulp.LpVariable, float]] = []
        shared = [(members, w) for members, w in classes if len(members) > 1]
        for members, weight in classes:
            if len(members) == 1:
                terms.append((x[members[0]], weight))
        if not shared:
            return terms
        import pulp

        z = problem.add_variable_matrix("cover", range(len(shared)), lowBound=0, upBound=1)
        for c, (members, weight) in enumerate(shared):
            on_time(c)
            row = pulp.lpSum_vars_coefs([(z[c], 1.0), *((x[k], -1.0) for k in members)])
            problem.addConstraint(row <= 0, f"coverage_{c}")
            terms.append((z[c], weight))
        return terms


def unit_classes(matrix: sp.csr_matrix, weights: np.ndarray) -> list[tuple[tuple[int, ...], float]]:
    """Units grouped by the set of rows (candidates) that reach them: ``(rows, total weight)``.

    Units no row reaches, and classes of zero weight, are left out.
    """
    import scipy.sparse as sp

    csc = sp.csc_matrix(matrix)
    csc.sort_indices()
    totals: dict[tuple[int, ...], float] = {}
    indptr, indices = csc.indptr, csc.indices
    for unit in np.flatnonzero(np.diff(indptr) > 0):
        key = tuple(indices[indptr[unit] : indptr[unit + 1]].tolist())
        totals[key] = totals.get(key, 0.0) + float(weights[unit])
    return [(key, weight) for key, weight in totals.items() if weight > 0]


def load_membership(path: Path, roster: Roster) -> Membership:
    """Read and check a membership table; every bad row is reported at once (InputError)."""
    source = str(path)
    with numbered(read_columns(path, MEMBERSHIP_COLUMNS, optional=("weight",))) as frame:
        return _membership_from_table(frame, source, roster)


def _membership_from_table(frame: pd.DataFrame, source: str, roster: Roster) -> Membership:
    if not len(frame):  # every candidate would reach nobody: a silent empty portfolio
        raise InputError.single(source, "", "the membership file has no rows")
    influencers = text_cells(frame["influencer"])
    units = text_cells(frame["unit"])
    positions, problems = roster_positions(source, influencers, roster, "influencer")
    problems += row_problems(source, np.flatnonzero(units == ""), "unit", "is missing")
    if "weight" in frame.columns:
        weights, weight_problems = checked_numbers(source, frame["weight"], "weight")
        problems += weight_problems
    else:
        weights = np.ones(len(frame))
    keys = pd.DataFrame({"influencer": influencers, "unit": units})
    problems += duplicate_problems(source, keys, "this influencer–unit pair is")
    problems += _inconsistent_weights(source, units, weights)
    if problems:
        raise InputError(sorted(problems, key=_row_order))
    return _membership(positions, units, weights, len(roster), source)


def _inconsistent_weights(source: str, units: np.ndarray, weights: np.ndarray) -> list[Problem]:
    """A unit is one group of people: every row of a unit must give it the same weight."""
    frame = pd.DataFrame({"unit": units, "weight": weights})
    first = frame.groupby("unit", sort=False)["weight"].transform("first").to_numpy()
    differs = np.flatnonzero(~np.isclose(weights, first) & ~np.isnan(weights) & ~np.isnan(first))
    return [
        Problem(
            source,
            f"{row_label(int(p))}, column weight",
            f"unit {units[p]!r} has weight {weights[p]:g} here but {first[p]:g} on an earlier row",
        )
        for p in differs
    ]


def _membership(
    positions: np.ndarray, units: np.ndarray, weights: np.ndarray, size: int, source: str
) -> Membership:
    codes, unit_ids = pd.factorize(pd.Series(units), sort=False)
    unit_weight = np.zeros(len(unit_ids))
    unit_weight[codes] = weights
    import scipy.sparse as sp

    matrix = sp.csr_matrix(
        (np.ones(len(codes)), (positions, codes)), shape=(size, len(unit_ids)), dtype=float
    )
    matrix.data[:] = 1.0  # repeated pairs were rejected; keep it 0/1 regardless
    return Membership(matrix, unit_weight, np.asarray(unit_ids, dtype=object), source)


def _row_order(problem: Problem) -> tuple[int, str]:
    digits = "".join(ch for ch in problem.where.split(",")[0] if ch.isdigit())
    return (int(digits) if digits else 0, problem.where)
