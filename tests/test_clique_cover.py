"""clique_cover: every conflict edge lies in some returned clique, each a real, bounded clique."""

from __future__ import annotations

import time
from itertools import combinations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import optimizer.overlap as overlap
from optimizer.overlap import MAX_CLIQUE_SIZE, clique_cover, conflict_cover


def _edge_set(edges) -> set[frozenset[int]]:
    return {frozenset(e) for e in edges}


def assert_valid_cover(edges: list[tuple[int, int]], cliques: list[list[int]], max_size: int):
    """Checks stated on the edge list alone (no networkx): cover, clique-ness, size, count."""
    graph = _edge_set(edges)
    nodes = set().union(*graph) if graph else set()
    covered: set[frozenset[int]] = set()
    for clique in cliques:
        assert len(clique) == len(set(clique)), f"repeated node in {clique}"
        assert 2 <= len(clique) <= max_size, clique
        assert set(clique) <= nodes, f"{clique} has nodes outside the graph"
        for a, b in combinations(clique, 2):
            assert frozenset((a, b)) in graph, f"{clique}: {a}–{b} is not an edge"
            covered.add(frozenset((a, b)))
    assert graph <= covered, f"edges not covered: {sorted(map(sorted, graph - covered))}"
    assert len(cliques) <= len(graph), "more cliques than edges"


def random_edges(rng: np.random.Generator, n: int, density: float) -> list[tuple[int, int]]:
    return [(i, j) for i, j in combinations(range(n), 2) if rng.random() < density]


def test_complete_graph_of_ten_is_one_clique():
    edges = list(combinations(range(10), 2))
    cliques = clique_cover(edges)
    assert len(cliques) == 1
    assert sorted(cliques[0]) == list(range(10))


def test_complete_graph_respects_max_size():
    edges = list(combinations(range(10), 2))
    cliques = clique_cover(edges, max_size=4)
    assert_valid_cover(edges, cliques, 4)
    assert all(len(c) <= 4 for c in cliques)
    assert len(cliques) >= 45 // 6  # a 4-clique covers 6 of the 45 edges


def test_no_edges_gives_no_cliques():
    assert clique_cover([]) == []


def test_single_edge_and_a_triangle():
    edges = [(0, 1), (5, 7), (7, 9), (5, 9)]
    cliques = clique_cover(edges)
    assert_valid_cover(edges, cliques, MAX_CLIQUE_SIZE)
    assert sorted(sorted(c) for c in cliques) == [[0, 1], [5, 7, 9]]


def test_edges_in_either_orientation_and_repeated():
    edges = [(3, 1), (1, 3), (2, 1), (3, 2), (4, 3)]
    cliques = clique_cover(edges)
    assert_valid_cover(edges, cliques, MAX_CLIQUE_SIZE)


def test_two_cliques_sharing_a_node_are_not_merged():
    # K4 on {0,1,2,3} and K4 on {3,4,5,6}: 4 and 5 are not adjacent to 0…2
    edges = list(combinations(range(4), 2)) + list(combinations(range(3, 7), 2))
    cliques = clique_cover(edges)
    assert_valid_cover(edges, cliques, MAX_CLIQUE_SIZE)
    assert sorted(sorted(c) for c in cliques) == [[0, 1, 2, 3], [3, 4, 5, 6]]


@pytest.fixture(params=["sets", "matrix"])
def cover_path(request, monkeypatch):
    """Every cover through the set greedy (sparse graphs) or the matrix one (dense graphs)."""
    if request.param == "sets":
        monkeypatch.setattr(overlap, "DENSE_COVER_NODES", 0)
    else:
        monkeypatch.setattr(overlap, "DENSE_COVER_NODES", 10**9)
        monkeypatch.setattr(overlap, "DENSE_COVER_DEGREE", 0)
    return request.param


@pytest.mark.usefixtures("cover_path")
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("max_size", [2, 3, 5, MAX_CLIQUE_SIZE])
def test_random_graphs(seed, max_size):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 40))
    edges = random_edges(rng, n, float(rng.uniform(0.05, 0.95)))
    cliques = clique_cover(edges, max_size=max_size)
    assert_valid_cover(edges, cliques, max_size)
    if max_size == 2:
        assert len(cliques) == len(_edge_set(edges))


@settings(max_examples=60, deadline=None)
@given(
    edges=st.lists(
        st.tuples(st.integers(0, 25), st.integers(0, 25)).filter(lambda e: e[0] != e[1]),
        max_size=120,
    ),
    max_size=st.integers(2, 8),
)
def test_cover_property(edges, max_size):
    cliques = clique_cover(edges, max_size=max_size)
    assert_valid_cover(edges, cliques, max_size)


@pytest.mark.parametrize("seed", range(40))
def test_the_matrix_cover_gives_the_sets_cover(seed, monkeypatch):
    """Same cliques, same order, same lone edges: the matrix path is a faster form of the
    set greedy (dense real exports took minutes there), not a different cover; edges given
    twice (which it does not sort out first) change nothing."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 70))
    pairs = random_edges(rng, n, float(rng.uniform(0.02, 1.0)))
    if not pairs:
        return
    ids = np.sort(rng.choice(100_000, n, replace=False))  # sparse ids, as roster positions
    edges = np.array([(ids[i], ids[j]) for i, j in pairs])[rng.permutation(len(pairs))]
    max_size = int(rng.integers(2, 10))
    monkeypatch.setattr(overlap, "DENSE_COVER_NODES", 0)
    alone, cliques = conflict_cover(edges[:, 1], edges[:, 0], max_size)  # either orientation
    monkeypatch.setattr(overlap, "DENSE_COVER_NODES", 10**9)
    monkeypatch.setattr(overlap, "DENSE_COVER_DEGREE", 0)
    repeated = np.concatenate([edges, edges[: len(edges) // 3]])  # the matrix takes repeats
    alone_m, cliques_m = conflict_cover(repeated[:, 0], repeated[:, 1], max_size)
    assert alone_m.tolist() == alone.tolist()
    assert cliques_m == cliques


def test_a_complete_conflict_graph_of_a_thousand_is_covered_by_full_cliques():
    """A real export with one niche and a low max_pair_overlap: every pair conflicts."""
    edges = np.array(list(combinations(range(1_000), 2)))
    alone, cliques = conflict_cover(edges[:, 0], edges[:, 1], seconds=600.0)  # no time box
    assert len(alone) == 0
    assert_valid_cover([tuple(e) for e in edges.tolist()], cliques, MAX_CLIQUE_SIZE)
    assert sum(len(c) == MAX_CLIQUE_SIZE for c in cliques) >= 1_000 // MAX_CLIQUE_SIZE


@pytest.mark.parametrize("chunk", [1, 7, 4_000_000])
@pytest.mark.parametrize("seed", range(6))
def test_edges_in_triangles_match_a_matrix_count(seed, chunk, monkeypatch):
    """The wedge search (in passes of ``chunk`` wedges) marks exactly the edges whose ends
    have a common neighbour, as (A·A)∘A does."""
    import scipy.sparse as sp

    from optimizer import overlap

    monkeypatch.setattr(overlap, "WEDGE_CHUNK", chunk)
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 60))
    edges = random_edges(rng, n, float(rng.uniform(0.02, 0.4)))
    if not edges:
        return
    low = np.array([min(e) for e in edges])
    high = np.array([max(e) for e in edges])
    size = int(high.max()) + 1
    keys = low * size + high
    order = np.argsort(keys)
    low, high, keys = low[order], high[order], keys[order]
    adjacency = sp.csr_matrix(
        (np.ones(2 * len(low)), (np.r_[low, high], np.r_[high, low])), shape=(size, size)
    )
    common = np.asarray((adjacency @ adjacency)[low, high]).ravel()
    assert np.array_equal(overlap._in_triangles(low, high, keys, size), common > 0)


@pytest.mark.parametrize("seconds", [0.0, 600.0])
def test_a_cover_out_of_time_leaves_the_rest_as_pairs_and_stays_valid(cover_path, seconds):
    """The greedy grows cliques for a bounded time (the model is built before any deadline
    check): with none left, every edge is its own row — on a matrix, all but the first
    clique's (one costs little, and it may save millions of rows); a valid cover either way."""
    rng = np.random.default_rng(4)
    edges = random_edges(rng, 30, 0.6)
    array = np.array(edges)
    alone, cliques = conflict_cover(array[:, 0], array[:, 1], 5, seconds=seconds)
    cover = [list(pair) for pair in alone.tolist()] + cliques
    assert_valid_cover(edges, cover, 5)
    if seconds == 0.0:
        grown = 1 if cover_path == "matrix" else 0
        assert sum(len(c) > 2 for c in cover) == grown
        assert len(alone) == len(edges) - (10 if grown else 0)  # a clique of 5: 10 edges
    else:
        assert any(len(c) > 2 for c in cover)


def test_a_matrix_cover_out_of_time_still_grows_cliques_that_cover_fast(monkeypatch) -> None:
    """Three platform cliques of 1,370 (2.8 million edges) with no time left: each clique
    covers its 937,765 edges in a few vector steps, far faster than pair rows are made of
    them (they took 0.6 s more to build for a 4,100-candidate brief under a 0.3 s limit,
    which it then overran), so the cover goes on: three rows. Made slow on paper, it stops
    after the first and leaves the other two cliques' edges as pairs."""
    size = 1_370
    u, v = np.triu_indices(size, 1)
    starts = [0, size, 2 * size]
    low = np.concatenate([u + s for s in starts])
    high = np.concatenate([v + s for s in starts])
    alone, cliques = conflict_cover(low, high, seconds=0.0)
    assert len(alone) == 0
    assert cliques == [list(range(s, s + size)) for s in starts]
    monkeypatch.setattr(overlap, "PAIR_ROWS_PER_SECOND", np.inf)  # no clique is fast enough
    alone, cliques = conflict_cover(low, high, seconds=0.0)
    assert cliques == [list(range(size))]
    assert len(alone) == 2 * len(u)


@pytest.mark.parametrize("n", [30, 120, 900])
def test_a_complete_conflict_graph_is_one_row(n: int) -> None:
    """One niche where every pair shares too much: one clique of all n (with cliques capped
    at 64 it took ~n²/4,000 rows, and past 1,700 nodes the time box left millions of pairs)."""
    u, v = np.triu_indices(n, 1)
    alone, cliques = conflict_cover(u, v)
    assert len(alone) == 0
    assert cliques == [list(range(n))]


def test_three_platform_cliques_of_four_thousand_candidates_are_three_rows() -> None:
    """One niche on three platforms, every same-platform pair over the threshold (an estimated
    overlap with a low ``max_pair_overlap``): 2.8 million edges on 4,110 nodes. The matrix
    cover takes about a second; the sets took minutes, past the time box, leaving pairs."""
    size = 1_370
    u, v = np.triu_indices(size, 1)
    starts = [0, size, 2 * size]
    low = np.concatenate([u + s for s in starts])
    high = np.concatenate([v + s for s in starts])
    alone, cliques = conflict_cover(low, high)
    assert len(alone) == 0
    assert cliques == [list(range(s, s + size)) for s in starts]


def test_a_triangle_search_out_of_time_marks_no_edge() -> None:
    """Past its deadline the wedge search stops: unmarked edges become pair rows (valid)."""
    u, v = np.triu_indices(20, 1)
    keys = u * 20 + v
    assert overlap._in_triangles(u, v, keys, 20).all()
    assert not overlap._in_triangles(u, v, keys, 20, stop_at=time.perf_counter() - 1).any()


def test_the_set_cover_keeps_its_time_box_inside_a_large_clique(monkeypatch) -> None:
    """A 1,000-clique through the sets (sparse) path: the triangle search (166 million
    wedges) and the growth of one clique both look at the clock, so a half-second box ends
    within seconds (it took over a minute) with a valid cover."""
    monkeypatch.setattr(overlap, "DENSE_COVER_NODES", 0)
    u, v = np.triu_indices(1_000, 1)
    started = time.perf_counter()
    alone, cliques = conflict_cover(u, v, seconds=0.5)
    elapsed = time.perf_counter() - started
    assert elapsed < 0.5 + 8.0  # slack for shared CI machines; the benchmarks time it exactly
    edges = list(zip(u.tolist(), v.tolist(), strict=True))
    assert_valid_cover(edges, [list(pair) for pair in alone.tolist()] + cliques, MAX_CLIQUE_SIZE)
    assert alone.tolist() == sorted(alone.tolist())
