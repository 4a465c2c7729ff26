"""The audience-overlap graph: pairs of influencers and the share of audience they have in common.

An edge's ``share`` is the overlap coefficient: shared followers ÷ followers of the smaller of
the two accounts (a fraction). Its ``shared_reach`` is ``share × min(expected reach)``, the
people the pairwise reach model counts twice when both are picked. Pairs whose share exceeds
``max_pair_overlap`` are conflicts: at most one of the pair may be picked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from .errors import InputError, Problem
from .numbers import parse_column
from .reading import database_label, normalize_header, read_sql, read_table
from .roster import Roster, row_label
from .scenario import Scenario

PAIR_COLUMNS = ("a", "b", "shared")
MAX_CLIQUE_SIZE = 64


@dataclass
class OverlapGraph:
    """Pairwise audience overlap over roster positions (nodes are 0…n−1 in roster order)."""

    graph: nx.Graph
    method: str  # "file", "estimate" or "none"

    @property
    def edge_count(self) -> int:
        """Number of overlapping pairs."""
        return int(self.graph.number_of_edges())

    def pairs(self) -> list[tuple[int, int, float, float]]:
        """``(i, j, share, shared_reach)`` for every overlapping pair, with i < j."""
        return [
            (min(i, j), max(i, j), data["share"], data["shared_reach"])
            for i, j, data in self.graph.edges(data=True)
        ]

    def conflicts(self, max_pair_overlap: float | None) -> list[tuple[int, int]]:
        """Pairs sharing more than ``max_pair_overlap`` of the smaller audience (none if None)."""
        if max_pair_overlap is None:
            return []
        return sorted(
            (min(i, j), max(i, j))
            for i, j, data in self.graph.edges(data=True)
            if data["share"] > max_pair_overlap and not data.get("same_creator", False)
        )


def clique_cover(
    edges: Iterable[tuple[int, int]], max_size: int = MAX_CLIQUE_SIZE
) -> list[list[int]]:
    """Cover every conflict edge by a clique (bounded size), greedily.

    Each returned clique K gives one row Σ_{i∈K} x_i ≤ 1, which implies all its pair rows and is
    tighter in the LP. The cover has at most one clique per edge, unlike the set of all maximal
    cliques, which can explode on dense graphs.
    """
    conflict = nx.Graph()
    conflict.add_edges_from(edges)
    covered: set[tuple[int, int]] = set()
    cliques: list[list[int]] = []
    for u, v in sorted((min(a, b), max(a, b)) for a, b in conflict.edges()):
        if (u, v) in covered:
            continue
        clique = [u, v]
        candidates = set(conflict[u]) & set(conflict[v])
        while candidates and len(clique) < max_size:
            # prefer the candidate covering most new edges, then the one keeping most options
            best = max(
                candidates,
                key=lambda c: (
                    sum((min(c, k), max(c, k)) not in covered for k in clique),
                    len(candidates & set(conflict[c])),
                    -c,
                ),
            )
            clique.append(best)
            candidates &= set(conflict[best])
        clique.sort()
        for a, b in combinations(clique, 2):
            covered.add((a, b))
        cliques.append(clique)
    return cliques


def build_overlap(scenario: Scenario, roster: Roster) -> OverlapGraph:
    """The overlap graph from the scenario's overlap file, or estimated from niche and platform."""
    graph = nx.Graph()
    graph.add_nodes_from(range(len(roster)))
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
    if len(pairs):
        i = pairs["i"].to_numpy()
        j = pairs["j"].to_numpy()
        share = pairs["share"].to_numpy(dtype=float)
        shared_reach = share * np.minimum(reach[i], reach[j])
        graph.add_edges_from(
            (int(a), int(b), {"share": float(s), "shared_reach": float(r)})
            for a, b, s, r in zip(i, j, share, shared_reach, strict=True)
            if s > 0
        )
    add_same_creator_pairs(graph, roster, scenario.overlap.same_creator, reach)
    return OverlapGraph(graph, method)


def add_same_creator_pairs(
    graph: nx.Graph, roster: Roster, share: float, reach: np.ndarray
) -> None:
    """Offers of one creator share audience: pair them (share of the smaller audience).

    Such pairs de-duplicate reach but are never conflicts (``max_offers_per_creator`` limits
    how many offers of one creator are booked). Pairs given in the overlap file are kept.
    """
    if share <= 0 or "creator" not in roster.frame.columns:
        return
    creators = roster.frame["creator"].to_numpy()
    groups: dict[str, list[int]] = {}
    for position, creator in enumerate(creators):
        if creator:
            groups.setdefault(str(creator), []).append(position)
    for members in groups.values():
        for i, j in combinations(members, 2):
            if graph.has_edge(i, j):
                graph.edges[i, j]["same_creator"] = True
                continue
            shared = share * min(reach[i], reach[j])
            graph.add_edge(i, j, share=share, shared_reach=float(shared), same_creator=True)


def read_overlap_file(path: Path, roster: Roster, shared_kind: str) -> pd.DataFrame:
    """Pairs ``(i, j, share)`` from a file of ``a, b, shared`` rows; every bad row reported."""
    return read_overlap_table(read_table(path).frame, str(path), roster, shared_kind)


def read_overlap_table(
    raw: pd.DataFrame, source: str, roster: Roster, shared_kind: str
) -> pd.DataFrame:
    """Pairs ``(i, j, share)`` from a table of ``a, b, shared`` rows; every bad row reported."""
    raw.columns = [normalize_header(c) for c in raw.columns]
    missing = [c for c in PAIR_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError.single(
            source, "header", f"missing required columns: {', '.join(missing)} (need a, b, shared)"
        )
    problems: list[Problem] = []
    shared, bad = parse_column(raw["shared"].reset_index(drop=True))
    for position, text in bad.items():
        problems.append(
            Problem(source, f"{row_label(position)}, column shared", f"{text!r} is not a number")
        )
    a_ids = raw["a"].map(lambda v: "" if pd.isna(v) else str(v).strip()).tolist()
    b_ids = raw["b"].map(lambda v: "" if pd.isna(v) else str(v).strip()).tolist()
    values = shared.to_numpy(dtype=float)
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

    Anything else is ``mixed``: reported once, and the values are not read further.

    A mix (fractions beside values above 1) is ambiguous: one typo must not turn a file of
    fractions into follower counts, so it is reported and ``overlap.shared`` must say which.
    """
    finite = np.isfinite(values)
    if not finite.any() or values[finite].max() <= 1:
        return "fraction"
    whole = values[finite] == np.round(values[finite])
    if whole.all():
        return "count"
    above = [row_label(int(p)) for p in np.flatnonzero(finite & (values > 1))[:5]]
    fractional = [
        row_label(int(p)) for p in np.flatnonzero(finite & (values != np.round(values)))[:5]
    ]
    problems.append(
        Problem(
            source,
            "column shared",
            f"mixes counts ({', '.join(above)}: above 1) and fractions ({', '.join(fractional)}); "
            "set overlap.shared to count or fraction in the scenario",
        )
    )
    return "mixed"


def estimate_overlap(scenario: Scenario, roster: Roster) -> pd.DataFrame:
    """Assumed pairs when there is no overlap file: same niche and platform, or same niche."""
    settings = scenario.overlap.estimate
    frame = roster.frame
    rows: list[tuple[int, int, float]] = []
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
    for _, group in frame.groupby("niche"):
        positions = group.index.to_numpy()
        platforms = group["platform"].to_numpy()
        for x, y in combinations(range(len(positions)), 2):
            same_platform = platforms[x] == platforms[y]
            share = settings.same_niche_platform if same_platform else settings.same_niche
            if share > 0:
                rows.append((int(positions[x]), int(positions[y]), share))
    return pd.DataFrame(rows, columns=["i", "j", "share"])
