"""The audience-overlap graph: pairs of influencers and the share of audience they have in common.

An edge's ``share`` is the overlap coefficient: shared followers ÷ followers of the smaller of
the two accounts (a fraction). Its ``shared_reach`` is ``share × min(expected reach)``, the
people the pairwise reach model counts twice when both are picked. Pairs whose share exceeds
``max_pair_overlap`` are conflicts: at most one of the pair may be picked.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .numbers import parse_column
from .reading import (
    database_label,
    header_hint,
    normalize_header,
    numbered,
    read_sql,
    read_table,
)
from .roster import Roster, row_label
from .scenario import Scenario

if TYPE_CHECKING:  # NetworkX is imported only when a graph view is asked for
    import networkx as nx

PAIR_COLUMNS = ("a", "b", "shared")
MAX_CLIQUE_SIZE = 5_000  # a row per clique of up to this many; dense graphs: few, big rows


@dataclass
class OverlapGraph:
    """Pairwise audience overlap over roster positions 0…size−1, held as edge arrays.

    Edge ``k`` joins ``i[k] < j[k]``: ``share`` (fraction of the smaller audience),
    ``shared_reach`` (people) and ``same_creator`` (offers of one creator: never a conflict).
    Arrays hold millions of edges cheaply; :attr:`graph` builds the NetworkX view on first use
    (explanations and graph algorithms), which large solves never need.
    """

    size: int
    i: np.ndarray
    j: np.ndarray
    share: np.ndarray
    shared_reach: np.ndarray
    same_creator: np.ndarray
    method: str  # "file", "database", "estimate" or "none"
    _graph: nx.Graph | None = field(default=None, init=False, repr=False)
    _adjacency: tuple[np.ndarray, np.ndarray, np.ndarray] | None = field(
        default=None, init=False, repr=False
    )

    @property
    def edge_count(self) -> int:
        """Number of overlapping pairs."""
        return len(self.i)

    @property
    def graph(self) -> nx.Graph:
        """The same edges as a NetworkX graph (every position a node), built once on demand."""
        if self._graph is None:
            import networkx as nx

            graph = nx.Graph()
            graph.add_nodes_from(range(self.size))
            for a, b, share, shared, same in zip(
                self.i.tolist(),
                self.j.tolist(),
                self.share.tolist(),
                self.shared_reach.tolist(),
                self.same_creator.tolist(),
                strict=True,
            ):
                data = {"share": share, "shared_reach": shared}
                if same:
                    data["same_creator"] = True
                graph.add_edge(a, b, **data)
            self._graph = graph
        return self._graph

    def pairs(self) -> list[tuple[int, int, float, float]]:
        """``(i, j, share, shared_reach)`` for every overlapping pair, with i < j."""
        return list(
            zip(
                self.i.tolist(),
                self.j.tolist(),
                self.share.tolist(),
                self.shared_reach.tolist(),
                strict=True,
            )
        )

    def conflict_mask(self, max_pair_overlap: float | None) -> np.ndarray:
        """Per edge: is it a conflict (share above the limit, not two offers of one creator)."""
        if max_pair_overlap is None:
            return np.zeros(len(self.i), dtype=bool)
        return (self.share > max_pair_overlap) & ~self.same_creator

    def among(self, positions: Iterable[int]) -> np.ndarray:
        """Indices of the edges with both ends in ``positions``."""
        inside = np.zeros(self.size, dtype=bool)
        inside[np.fromiter(positions, dtype=np.int64)] = True
        return np.flatnonzero(inside[self.i] & inside[self.j])

    def subgraph(self, positions: Iterable[int]) -> nx.Graph:
        """A NetworkX graph of ``positions`` and the edges among them (small: for charts)."""
        import networkx as nx

        nodes = [int(p) for p in positions]
        graph = nx.Graph()
        graph.add_nodes_from(nodes)
        for k in self.among(nodes).tolist():
            data = {"share": float(self.share[k]), "shared_reach": float(self.shared_reach[k])}
            graph.add_edge(int(self.i[k]), int(self.j[k]), **data)
        return graph

    def neighbours(self, position: int) -> list[tuple[int, int]]:
        """``(other position, edge index)`` for every edge at ``position``."""
        if self._adjacency is None:
            ends = np.concatenate([self.i, self.j])
            others = np.concatenate([self.j, self.i])
            edges = np.concatenate([np.arange(len(self.i))] * 2)
            order = np.argsort(ends, kind="stable")
            indptr = np.searchsorted(ends[order], np.arange(self.size + 1))
            self._adjacency = (indptr, others[order], edges[order])
        indptr, others, edges = self._adjacency
        start, stop = indptr[position], indptr[position + 1]
        return list(zip(others[start:stop].tolist(), edges[start:stop].tolist(), strict=True))


def clique_cover(
    edges: Iterable[tuple[int, int]], max_size: int = MAX_CLIQUE_SIZE
) -> list[list[int]]:
    """Cover every conflict edge by a clique (bounded size), greedily.

    Each returned clique K gives one row Σ_{i∈K} x_i ≤ 1, which implies all its pair rows and is
    tighter in the LP. The cover has at most one clique per edge, unlike the set of all maximal
    cliques, which can explode on dense graphs. (:func:`conflict_cover` is the same on arrays.)
    """
    pairs = np.asarray(list(edges), dtype=np.int64).reshape(-1, 2)
    alone, cliques = conflict_cover(pairs[:, 0], pairs[:, 1], max_size)
    return [[int(a), int(b)] for a, b in alone.tolist()] + cliques


def conflict_cover(
    u: np.ndarray, v: np.ndarray, max_size: int = MAX_CLIQUE_SIZE, seconds: float | None = None
) -> tuple[np.ndarray, list[list[int]]]:
    """:func:`clique_cover` of the edges ``u[k]``–``v[k]``: the edges in no triangle (each its
    own largest clique) as a sorted ``(k, 2)`` array, and cliques covering the others.

    Only the edges in some triangle are walked in Python; on large sparse conflict graphs that
    is a small part (5.4 million edges at 1,000,000 candidates, a few hundred in triangles).
    The triangle search and the cliques' growth take at most ``seconds`` together (default
    :data:`COVER_SECONDS`, plus one pass or step); the edges not reached by then are pairs, so
    the cover stays valid whatever the time.
    """
    stop_at = time.perf_counter() + (COVER_SECONDS if seconds is None else seconds)
    u, v = np.asarray(u, dtype=np.int64), np.asarray(v, dtype=np.int64)
    low, high = np.minimum(u, v), np.maximum(u, v)
    keep = low != high
    low, high = low[keep], high[keep]
    if not len(low):
        return np.zeros((0, 2), dtype=np.int64), []
    size = int(high.max()) + 1
    present = np.zeros(size, dtype=bool)
    present[low] = present[high] = True
    nodes = np.flatnonzero(present)  # sorted, without sorting the edges
    if _dense(len(nodes), len(low)):  # (a repeated edge counts twice here: harmless)
        return _cover_on_matrix(low, high, nodes, max_size, stop_at)  # triangles abound
    keys = np.sort(low * size + high)
    keys = keys[np.r_[True, keys[1:] != keys[:-1]]]  # each edge once, sorted
    low, high = keys // size, keys % size
    in_triangle = _in_triangles(low, high, keys, size, stop_at)
    alone = np.column_stack([low[~in_triangle], high[~in_triangle]])
    rest = zip(low[in_triangle].tolist(), high[in_triangle].tolist(), strict=True)
    alone_too, cliques = _cover_greedily(list(rest), max_size, stop_at)
    if alone_too:  # pairs left when the time ran out: one sorted array of them all
        alone = _sorted_pairs(alone, np.array(alone_too, dtype=np.int64))
    return alone, cliques


def _sorted_pairs(*parts: np.ndarray) -> np.ndarray:
    """The ``(k, 2)`` pair arrays ``parts`` as one, sorted by first then second end."""
    pairs = np.concatenate([part.reshape(-1, 2) for part in parts])
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


DENSE_COVER_NODES = 12_000  # conflict graphs on at most this many nodes and with …
DENSE_COVER_DEGREE = 16  # … at least this many edges per node are covered on a matrix …
MATRIX_CELLS_PER_EDGE = 64  # … when it has at most this many cells per edge (past 4,000 nodes)
SMALL_MATRIX_NODES = 4_000  # a matrix this small (16 MB) is fine whatever the edges


def _dense(nodes: int, edges: int) -> bool:
    """Cover a conflict graph of ``nodes`` and ``edges`` on boolean matrices (n² bytes each)?
    Dense graphs (one niche, a low ``max_pair_overlap``) have ~n³ wedges for the triangle
    search and cliques of thousands for the set greedy; a matrix does both in vector steps."""
    if nodes > DENSE_COVER_NODES or edges < DENSE_COVER_DEGREE * nodes:
        return False
    return nodes <= SMALL_MATRIX_NODES or nodes * nodes <= MATRIX_CELLS_PER_EDGE * edges


WEDGE_CHUNK = 4_000_000  # wedges checked per pass of :func:`_in_triangles` (memory bound)


def _in_triangles(
    low: np.ndarray, high: np.ndarray, keys: np.ndarray, size: int, stop_at: float = np.inf
) -> np.ndarray:
    """Per edge (``keys`` = low·size + high, sorted): does it lie in a triangle?

    Each edge is pointed from its endpoint of lower degree to the other; every triangle is
    then one wedge p ← a → q, closed by the edge p–q, at its lowest corner a, and the wedges
    are few on sparse graphs (Σ C(out-degree, 2)). They are checked against ``keys`` in bounded
    passes until ``stop_at`` (``time.perf_counter()`` seconds); the triangles not reached by
    then go unmarked, and their edges become pair rows.
    """
    count = len(keys)
    found = np.zeros(count, dtype=bool)
    degree = np.bincount(low, minlength=size) + np.bincount(high, minlength=size)
    rank = np.empty(size, dtype=np.int64)
    rank[np.lexsort((np.arange(size), degree))] = np.arange(size)
    flip = rank[low] > rank[high]
    tail, head = np.where(flip, high, low), np.where(flip, low, high)
    order = np.argsort(tail, kind="stable")  # edge indices grouped by their tail
    tail, head = tail[order], head[order]
    later = _later_in_group(tail)
    ends = np.cumsum(later)  # wedges from positions 0 … k
    done = 0
    while done < count and time.perf_counter() <= stop_at:
        # the positions whose wedges fit in one pass (at least one position)
        stop = max(int(np.searchsorted(ends, ends[done] - later[done] + WEDGE_CHUNK)), done + 1)
        stop = min(stop, count)
        span = np.arange(done, stop)
        first, second = _pairs_in_groups(span, later[span])
        if len(first):
            p, q = head[first], head[second]
            wedge = np.minimum(p, q) * size + np.maximum(p, q)
            at = np.minimum(np.searchsorted(keys, wedge), count - 1)
            closed = keys[at] == wedge
            found[order[first[closed]]] = True
            found[order[second[closed]]] = True
            found[at[closed]] = True
        done = stop
    return found


def _later_in_group(keys: np.ndarray) -> np.ndarray:
    """Per position of the sorted ``keys``: how many later positions share its key."""
    return np.searchsorted(keys, keys, side="right") - np.arange(len(keys)) - 1


def _pairs_in_groups(positions: np.ndarray, later: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (k, k′) of a position k of ``positions`` with each of the ``later[k]``
    positions right after it (its group's later members, when sorted by group)."""
    first = np.repeat(positions, later)
    before = np.cumsum(later) - later  # pairs of the earlier positions
    second = first + np.arange(len(first)) - np.repeat(before, later) + 1
    return first, second


COVER_SECONDS = 10.0  # the greedy cover grows cliques this long; edges left are pair rows
# ... except on a matrix while its cliques cover edges faster than pair rows are made of them
# (the array build, the LP's rows, the greedy's conflict lists): 0.6 s for 2 million left
# when a 4,100-candidate brief's 0.12 s ran out, where its last cliques took 0.01 s each
PAIR_ROWS_PER_SECOND = 4_000_000.0
COVER_SHARE = 0.4  # of a time limit, at most, for growing cliques (the model is built first)


def cover_seconds(scenario: Scenario) -> float | None:
    """How long the fast path's cover of ``scenario``'s conflicts may grow cliques (None: the
    default). The full model keeps the default, cut only by its build's deadline (past which
    it stops anyway): its pair rows are PuLP rows, slow to build, so fewer cliques would cost
    more time than they save."""
    limit = scenario.solver.time_limit
    return None if limit is None else min(COVER_SECONDS, COVER_SHARE * limit)


def _cover_on_matrix(
    low: np.ndarray, high: np.ndarray, nodes: np.ndarray, max_size: int, stop_at: float
) -> tuple[np.ndarray, list[list[int]]]:
    """:func:`conflict_cover` of the edges ``low``–``high`` (``low < high``, in any order,
    repeats allowed) on boolean matrices over ``nodes`` (sorted), for dense conflict graphs
    (real exports with one niche and a low ``max_pair_overlap``), where the triangle search
    and the sets of :func:`_cover_greedily` take minutes at 1,000 candidates: the same
    cliques in the same order (an edge whose ends share no neighbour is in no triangle: its
    own row), each choice a vector operation, the "options kept" counts updated as
    candidates drop out. Past ``stop_at`` cliques are still grown (the first one always, at
    most ``max_size`` vector steps) while the last one covered edges faster than
    :data:`PAIR_ROWS_PER_SECOND`: cheaper than the pair rows they save."""
    m = len(nodes)
    position = np.zeros(int(nodes[-1]) + 1, dtype=np.int64)
    position[nodes] = np.arange(m)
    a, b = position[low], position[high]
    adjacent = np.zeros((m, m), dtype=bool)  # no edge u–u: a node is not its own candidate
    adjacent[a, b] = adjacent[b, a] = True
    uncovered = adjacent.copy()
    alone: list[tuple[int, int]] = []
    cliques: list[list[int]] = []
    left = np.zeros((0, 2), dtype=np.int64)  # edges left uncovered when the time ran out
    pace = np.inf  # edges the last clique covered per second
    for u, v in _uncovered_in_order(uncovered):
        step = time.perf_counter()
        if step > stop_at and pace < PAIR_ROWS_PER_SECOND:  # every edge left is its own row
            rows, columns = np.nonzero(uncovered)  # (np.triu first took longer than this)
            upper = rows < columns
            left = np.column_stack([rows[upper], columns[upper]])
            break
        candidates = adjacent[u] & adjacent[v]
        inside = np.flatnonzero(candidates)
        if not len(inside):
            alone.append((u, v))
            uncovered[u, v] = uncovered[v, u] = False
            continue
        clique = [u, v]
        new = uncovered[u].astype(np.int64) + uncovered[v]  # uncovered edges to the clique
        options = np.zeros(m, dtype=np.int64)  # candidates each candidate is adjacent to
        options[inside] = adjacent[np.ix_(inside, inside)].sum(axis=1)
        if len(clique) + len(inside) <= max_size and np.all(options[inside] == len(inside) - 1):
            clique += inside.tolist()  # the candidates are a clique: the steps would add all
            inside = inside[:0]
        while (
            len(inside)
            and len(clique) < max_size
            and (pace >= PAIR_ROWS_PER_SECOND or time.perf_counter() <= stop_at)
        ):
            top = inside[new[inside] == new[inside].max()]
            top = top[options[top] == options[top].max()]
            best = int(top[0])  # the smallest id among the ties, as the sets' -c key
            clique.append(best)
            dropped = inside[~adjacent[best, inside]]  # best itself among them
            candidates[dropped] = False
            inside = np.flatnonzero(candidates)
            if len(inside):
                options[inside] -= adjacent[np.ix_(inside, dropped)].sum(axis=1)
                new[inside] += uncovered[best, inside]
        members = np.array(sorted(clique))
        block = np.ix_(members, members)
        covered = int(np.count_nonzero(uncovered[block])) // 2
        uncovered[block] = False
        cliques.append(nodes[members].tolist())
        pace = covered / max(time.perf_counter() - step, 1e-9)
    return nodes[_sorted_pairs(np.array(alone, dtype=np.int64), left)], cliques


def _uncovered_in_order(uncovered: np.ndarray) -> Iterator[tuple[int, int]]:
    """The edges ``u < v`` still uncovered, in (u, v) order, read from the matrix as the
    caller covers them (each row is searched once per edge handed out, not edge by edge)."""
    for u in range(len(uncovered)):
        while True:
            later = np.flatnonzero(uncovered[u, u + 1 :])
            if not len(later):
                break
            yield u, u + 1 + int(later[0])


def _cover_greedily(
    edges: list[tuple[int, int]], max_size: int, stop_at: float
) -> tuple[list[tuple[int, int]], list[list[int]]]:
    """Cliques (of at most ``max_size``) covering ``edges`` (unique, low < high), greedily:
    each uncovered edge grows into a clique, adding the candidate that covers most new edges,
    then the one keeping most candidates, then the smallest id (counts kept up to date as the
    clique grows, not recounted). Past ``stop_at`` (``time.perf_counter()`` seconds) the
    clique in hand stops growing and the edges still uncovered are returned as pairs."""
    conflict: dict[int, set[int]] = defaultdict(set)  # neighbours (no NetworkX on this path)
    for a, b in edges:
        conflict[a].add(b)
        conflict[b].add(a)
    covered: set[tuple[int, int]] = set()
    cliques: list[list[int]] = []
    alone: list[tuple[int, int]] = []
    for k, (u, v) in enumerate(edges):
        if (u, v) in covered:
            continue
        if time.perf_counter() > stop_at:  # out of time: the rest are their own rows
            alone += [edge for edge in edges[k:] if edge not in covered]
            break
        clique = _grow_clique(u, v, conflict, covered, max_size, stop_at)
        covered.update(combinations(clique, 2))
        cliques.append(clique)
    return alone, cliques


def _grow_clique(
    u: int,
    v: int,
    conflict: dict[int, set[int]],
    covered: set[tuple[int, int]],
    max_size: int,
    stop_at: float,
) -> list[int]:
    """The clique :func:`_cover_greedily` grows from the edge ``u``–``v`` (sorted ids)."""
    clique = [u, v]
    candidates = conflict[u] & conflict[v]
    new = {c: (_edge(c, u) not in covered) + (_edge(c, v) not in covered) for c in candidates}
    options = {c: len(candidates & conflict[c]) for c in candidates}
    while candidates and len(clique) < max_size and time.perf_counter() <= stop_at:
        best = max(candidates, key=lambda c: (new[c], options[c], -c))
        clique.append(best)
        dropped = candidates - conflict[best]  # best itself among them
        candidates -= dropped
        for gone in dropped:
            for c in conflict[gone] & candidates:
                options[c] -= 1
        for c in candidates:
            new[c] += _edge(c, best) not in covered
    return sorted(clique)


def _edge(a: int, b: int) -> tuple[int, int]:
    """The edge a–b as its sorted pair."""
    return (a, b) if a < b else (b, a)


def build_overlap(scenario: Scenario, roster: Roster) -> OverlapGraph:
    """The overlap graph from the scenario's overlap file, or estimated from niche and platform."""
    path = scenario.overlap_path
    settings = scenario.overlap
    if path is not None:
        pairs = read_overlap_file(path, roster, settings.shared)
        method = "file"
    elif settings.url:
        url = scenario.database_url(settings.url)
        table = read_sql(url, settings.table, settings.query, "overlap")
        label = database_label(url, settings.table, settings.query)
        pairs = read_overlap_table(table.frame, label, roster, settings.shared)
        method = "database"
    else:
        pairs = estimate_overlap(scenario, roster)
        method = "estimate" if len(pairs) else "none"
    reach = roster.column("expected_reach").astype(float)
    i = pairs["i"].to_numpy(dtype=np.int64) if len(pairs) else np.zeros(0, np.int64)
    j = pairs["j"].to_numpy(dtype=np.int64) if len(pairs) else np.zeros(0, np.int64)
    share = pairs["share"].to_numpy(dtype=float) if len(pairs) else np.zeros(0)
    i, j = np.minimum(i, j), np.maximum(i, j)
    keep = share > 0
    i, j, share = i[keep], j[keep], share[keep]
    same = np.zeros(len(i), dtype=bool)
    extra_i, extra_j = same_creator_pairs(roster)
    creator_share = settings.same_creator
    if len(extra_i):  # a file's pair of one creator's offers is no conflict either
        same |= _member(i * len(roster) + j, extra_i * len(roster) + extra_j)
    if creator_share > 0 and len(extra_i):
        given = _member(extra_i * len(roster) + extra_j, i * len(roster) + j)
        extra_i, extra_j = extra_i[~given], extra_j[~given]
        i = np.concatenate([i, extra_i])
        j = np.concatenate([j, extra_j])
        share = np.concatenate([share, np.full(len(extra_i), float(creator_share))])
        same = np.concatenate([same, np.ones(len(extra_i), dtype=bool)])
    key = i * max(len(roster), 1) + j
    order = np.argsort(key, kind="stable")
    last = np.ones(len(order), dtype=bool)  # a pair given twice: the later row wins
    last[:-1] = key[order][1:] != key[order][:-1]
    order = order[last]
    i, j, share, same = i[order], j[order], share[order], same[order]
    shared_reach = share * np.minimum(reach[i], reach[j]) if len(i) else np.zeros(0)
    return OverlapGraph(len(roster), i, j, share, shared_reach, same, method)


def _member(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """Per value: is it in ``pool`` (integer keys; a sorted search, fast on millions)."""
    if not len(pool):
        return np.zeros(len(values), dtype=bool)
    pool = np.sort(pool)
    at = np.minimum(np.searchsorted(pool, values), len(pool) - 1)
    return pool[at] == values


def same_creator_pairs(roster: Roster) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``(i < j)`` of offers by one creator (empty creator cells are nobody),
    sorted.

    Offers of one creator share audience: they are paired with ``overlap.same_creator`` as
    share, to de-duplicate reach, but never count as conflicts (``max_offers_per_creator``
    limits how many are booked). A pair also given in the overlap file keeps the file's share.
    """
    if "creator" not in roster.frame.columns:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    creators = pd.Series(roster.frame["creator"].to_numpy(), dtype=object).fillna("").astype(str)
    codes, _labels = pd.factorize(creators)
    shared = np.flatnonzero((creators.to_numpy() != "") & (np.bincount(codes)[codes] > 1))
    shared = shared[np.lexsort((shared, codes[shared]))]  # by creator, positions ascending
    group = codes[shared]
    first, second = _pairs_in_groups(np.arange(len(shared)), _later_in_group(group))
    left, right = shared[first], shared[second]
    order = np.lexsort((right, left))
    return left[order].astype(np.int64), right[order].astype(np.int64)


def read_overlap_file(path: Path, roster: Roster, shared_kind: str) -> pd.DataFrame:
    """Pairs ``(i, j, share)`` from a file of ``a, b, shared`` rows; every bad row reported."""
    with numbered(read_table(path)) as frame:
        return read_overlap_table(frame, str(path), roster, shared_kind)


def read_overlap_table(
    raw: pd.DataFrame, source: str, roster: Roster, shared_kind: str
) -> pd.DataFrame:
    """Pairs ``(i, j, share)`` from a table of ``a, b, shared`` rows; every bad row reported."""
    headers = [str(c) for c in raw.columns]  # as written, for the hint of a missing column
    raw.columns = [normalize_header(c) for c in raw.columns]
    missing = [c for c in PAIR_COLUMNS if c not in raw.columns]
    if missing:
        hint = header_hint(headers)
        raise InputError.single(
            source,
            "header",
            f"missing required columns: {', '.join(missing)} (need a, b, shared){hint}",
        )
    shared, bad = parse_column(raw["shared"].reset_index(drop=True))
    a_ids, b_ids = _id_cells(raw["a"]), _id_cells(raw["b"])
    values = shared.to_numpy(dtype=float)
    if not bad:
        pairs = _clean_pairs(a_ids, b_ids, values, roster, shared_kind)
        if pairs is not None:
            return pairs
    a_list, b_list = (texts[codes].tolist() for codes, texts in (a_ids, b_ids))
    return _read_pairs_by_row(a_list, b_list, values, bad, source, roster, shared_kind)


def _id_cells(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Id cells as ``(codes, texts)``: cell k is ``texts[codes[k]]``, stripped, ``""`` if missing.

    Ids repeat across pairs, so each distinct text cell is stripped once; a column with other
    cells (numbers) is read cell by cell.
    """
    try:
        codes, distinct = pd.factorize(column)  # missing cells get code -1
        uniques = distinct.tolist()
    except TypeError:
        uniques = None
    if uniques is None or not all(isinstance(u, str) for u in uniques):
        cells = column.map(lambda v: "" if pd.isna(v) else str(v).strip()).tolist()
        return np.arange(len(cells)), np.array(cells, dtype=object)
    return codes, np.array([u.strip() for u in uniques] + [""], dtype=object)  # -1 → ""


def _clean_pairs(
    a_ids: tuple[np.ndarray, np.ndarray],
    b_ids: tuple[np.ndarray, np.ndarray],
    values: np.ndarray,
    roster: Roster,
    shared_kind: str,
) -> pd.DataFrame | None:
    """The pairs of :func:`_read_pairs_by_row`, vectorised; None if any row has a problem.

    Checks, all at once, what the row loop checks one row at a time; on any problem the loop
    runs instead and reports it.
    """
    if len(values) == 0 or not np.isfinite(values).all() or (values < 0).any():
        return None
    if shared_kind == "auto":
        shared_kind = _shared_kind(values, "", [])
    if shared_kind not in ("count", "fraction"):  # "mixed": the loop reports it
        return None
    i, j = (
        np.array([roster.index_of.get(t, -1) for t in texts.tolist()], dtype=np.int64)[codes]
        for codes, texts in (a_ids, b_ids)
    )
    if (i < 0).any() or (j < 0).any():
        return None
    low, high = np.minimum(i, j), np.maximum(i, j)
    if (i == j).any() or pd.Index(low * (int(high.max()) + 1) + high).has_duplicates:
        return None
    if shared_kind == "count":
        followers = roster.column("followers").astype(float)
        if np.isnan(followers).any():  # the loop's min() treats NaN by argument order
            return None
        smaller = np.minimum(followers[i], followers[j])
        if (values > smaller).any():
            return None
        share = np.divide(values, smaller, out=np.zeros(len(values)), where=smaller > 0)
    else:
        if (values > 1).any():
            return None
        share = values.astype(float)
    return pd.DataFrame({"i": low, "j": high, "share": share})


def _read_pairs_by_row(
    a_ids: list[str],
    b_ids: list[str],
    values: np.ndarray,
    bad: dict[int, str],
    source: str,
    roster: Roster,
    shared_kind: str,
) -> pd.DataFrame:
    """Pairs ``(i, j, share)`` checked row by row; raises with every problem found."""
    problems: list[Problem] = []
    for position, text in bad.items():
        problems.append(
            Problem(source, f"{row_label(position)}, column shared", f"{text!r} is not a number")
        )
    if shared_kind == "auto":
        shared_kind = _shared_kind(values, source, problems)
    followers = roster.column("followers").astype(float)
    seen: dict[tuple[int, int], int] = {}
    rows: list[tuple[int, int, float]] = []
    for position, (a, b, value) in enumerate(zip(a_ids, b_ids, values, strict=True)):
        where = row_label(position)
        ok = True
        for column, ident in (("a", a), ("b", b)):
            if ident not in roster.index_of:
                text = "is missing" if not ident else f"id {ident!r} is not in the roster"
                problems.append(Problem(source, f"{where}, column {column}", text))
                ok = False
        if position in bad:
            continue
        if np.isnan(value):
            problems.append(Problem(source, f"{where}, column shared", "is missing"))
            ok = False
        elif value < 0:
            problems.append(
                Problem(source, f"{where}, column shared", f"must not be negative (got {value:g})")
            )
            ok = False
        if not ok:
            continue
        i, j = roster.index_of[a], roster.index_of[b]
        if i == j:
            problems.append(Problem(source, where, f"pairs {a!r} with itself"))
            continue
        key = (min(i, j), max(i, j))
        if key in seen:
            problems.append(
                Problem(source, where, f"pair {a!r}–{b!r} already given on {row_label(seen[key])}")
            )
            continue
        seen[key] = position
        smaller = min(followers[i], followers[j])
        if shared_kind == "mixed":
            continue
        if shared_kind == "count":
            share = value / smaller if smaller > 0 else 0.0
            if value > smaller:
                problems.append(
                    Problem(
                        source,
                        f"{where}, column shared",
                        f"{value:,.0f} shared followers is more than the smaller account has "
                        f"({smaller:,.0f})",
                    )
                )
                continue
        else:
            share = value
            if value > 1:
                problems.append(
                    Problem(
                        source, f"{where}, column shared", f"a fraction must be ≤ 1 (got {value:g})"
                    )
                )
                continue
        rows.append((key[0], key[1], share))
    if problems:
        raise InputError(problems)
    return pd.DataFrame(rows, columns=["i", "j", "share"])


def _shared_kind(values: np.ndarray, source: str, problems: list[Problem]) -> str:
    """``fraction`` when every value is ≤ 1, ``count`` when every value is a whole number.

    Anything else is ``mixed``: reported once, and the values are not read further. A mix
    (fractions beside values above 1) is ambiguous: one typo must not turn a file of fractions
    into follower counts. So is a file of only 0s and 1s (one shared follower, or 100 %?).
    Either way ``overlap.shared`` must say which.
    """
    finite = values[np.isfinite(values)]
    whole = finite == np.round(finite)
    if not len(finite) or finite.max() <= 1:
        if not (whole.all() and finite.max(initial=0.0) == 1):
            return "fraction"
        problem = "holds only 0s and 1s, which may be counts of shared followers or shares"
    elif whole.all():
        return "count"
    else:
        rows = np.flatnonzero(np.isfinite(values))

        def listed(mask: np.ndarray) -> str:
            return ", ".join(row_label(int(p)) for p in rows[mask][:5])

        kinds = [
            f"{name} ({listed(mask)})"
            for name, mask in (
                ("counts", whole & (finite > 1)),
                ("fractions", ~whole & (finite <= 1)),
                ("values above 1 that are not whole", ~whole & (finite > 1)),
            )
            if mask.any()
        ]
        problem = ("mixes " + " and ".join(kinds)) if len(kinds) > 1 else f"has {kinds[0]}"
    problems.append(
        Problem(
            source,
            "column shared",
            f"{problem}; set overlap.shared to count or fraction in the scenario",
        )
    )
    return "mixed"


def estimate_overlap(scenario: Scenario, roster: Roster) -> pd.DataFrame:
    """Assumed pairs when there is no overlap file: same niche and platform, or same niche."""
    settings = scenario.overlap.estimate
    frame = roster.frame
    sizes = frame.groupby(["niche", "platform"]).size()
    expected_edges = (
        int((sizes * (sizes - 1) // 2).sum()) if settings.same_niche_platform > 0 else 0
    )
    if settings.same_niche > 0:
        niche_sizes = frame.groupby("niche").size()
        expected_edges = int((niche_sizes * (niche_sizes - 1) // 2).sum())
    if expected_edges > settings.max_edges:
        raise InputError.single(
            scenario.source,
            "overlap.estimate",
            f"estimating overlap would create {expected_edges:,} pairs (limit "
            f"{settings.max_edges:,}); give an overlap file or raise overlap.estimate.max_edges",
        )
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for _, group in frame.groupby("niche"):
        positions = group.index.to_numpy(dtype=np.int64)
        codes, _names = pd.factorize(group["platform"])  # a missing platform (-1) matches none
        if settings.same_niche > 0:  # every pair of the niche
            x, y = np.triu_indices(len(positions), 1)
            same = (codes[x] == codes[y]) & (codes[x] >= 0)
            share = np.where(same, settings.same_niche_platform, settings.same_niche)
        else:  # only pairs on one platform: no more pairs made than kept
            x, y = _pairs_within(codes)
            share = np.full(len(x), settings.same_niche_platform)
        keep = share > 0
        parts.append((positions[x[keep]], positions[y[keep]], share[keep]))
    if not parts:
        none = np.zeros(0, dtype=np.int64)
        return pd.DataFrame({"i": none, "j": none, "share": np.zeros(0)})
    i, j, share = (np.concatenate(column) for column in zip(*parts, strict=True))
    return pd.DataFrame({"i": i, "j": j, "share": share})


def _pairs_within(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair ``x < y`` of positions with the same code (codes < 0 pair with none), in
    (x, y) order."""
    xs, ys = [], []
    for code in np.unique(codes[codes >= 0]):
        members = np.flatnonzero(codes == code)
        a, b = np.triu_indices(len(members), 1)
        xs.append(members[a])
        ys.append(members[b])
    if not xs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    x, y = np.concatenate(xs), np.concatenate(ys)
    order = np.lexsort((y, x))
    return x[order], y[order]
