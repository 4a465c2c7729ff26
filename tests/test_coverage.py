"""Exact coverage reach: brute-force union oracle, pairwise ≤ exact, minimize cost for a target.

Instances are tiny (≤ 10 influencers, ≤ 40 audience units), so every portfolio can be listed
and its reach computed here with plain Python sets, independently of the engine.
"""

from __future__ import annotations

from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import assert_build_stops_in_reach_rows, make_scenario, reach_rows_clock_calls

from optimizer import Status, solve
from optimizer.coverage import load_membership
from optimizer.engine import prepare
from optimizer.errors import InputError

TOL = 1e-6


def roster_frame(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """A roster of n influencers with whole-number costs and given expected KPIs."""
    return pd.DataFrame(
        {
            "id": [f"c{i}" for i in range(n)],
            "followers": rng.integers(2_000, 50_000, n),
            "cost": rng.integers(1, 20, n) * 100,
            "platform": rng.choice(["instagram", "tiktok"], n),
            "niche": "beauty",
            "expected_reach": rng.integers(100, 1000, n),
            "expected_engagement": rng.integers(10, 100, n),
            "expected_conversions": 1.0,
        }
    )


def membership_frame(rng: np.random.Generator, n: int, units: int) -> pd.DataFrame:
    """Random audiences with heavy overlap; unit weights are whole numbers of people."""
    weights = rng.integers(1, 6, units)
    rows = []
    for i in range(n):
        size = int(rng.integers(1, units // 2))
        for unit in rng.choice(units, size=size, replace=False):
            rows.append((f"c{i}", f"u{unit}", int(weights[unit])))
    return pd.DataFrame(rows, columns=["influencer", "unit", "weight"])


def audiences(members: pd.DataFrame) -> tuple[dict[str, set[str]], dict[str, float]]:
    """Each influencer's set of units, and each unit's weight (the oracle's own reading)."""
    sets: dict[str, set[str]] = {}
    for row in members.itertuples():
        sets.setdefault(row.influencer, set()).add(row.unit)
    weight = dict(zip(members["unit"], members["weight"].astype(float), strict=True))
    return sets, weight


def union_weight(picked: list[str], sets: dict[str, set[str]], weight: dict[str, float]) -> float:
    covered = set().union(*(sets.get(i, set()) for i in picked)) if picked else set()
    return float(sum(weight[u] for u in covered))


def all_portfolios(ids: list[str]) -> list[list[str]]:
    return [list(c) for k in range(len(ids) + 1) for c in combinations(ids, k)]


def coverage_scenario(
    tmp_path: Path, roster: pd.DataFrame, members: pd.DataFrame, settings: dict[str, Any]
):
    path = tmp_path / f"membership_{len(list(tmp_path.iterdir()))}.csv"
    members.to_csv(path, index=False)
    data = {"reach": {"method": "coverage", "membership": str(path)}, **settings}
    return make_scenario(tmp_path, roster, data)


@pytest.mark.parametrize("seed", range(6))
def test_union_reach_and_pairwise_estimate_match_set_arithmetic(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    roster, members = roster_frame(rng, 8), membership_frame(rng, 8, 30)
    scenario = coverage_scenario(
        tmp_path, roster, members, {"budget": 1000, "objective": {"reach": 1}}
    )
    prepared = prepare(scenario)
    data = load_membership(scenario.resolve(scenario.reach.membership), prepared.roster)
    sets, weight = audiences(members)
    for picked in all_portfolios(list(roster["id"])):
        positions = [prepared.roster.index_of[i] for i in picked]
        exact = union_weight(picked, sets, weight)
        gross = sum(union_weight([i], sets, weight) for i in picked)
        shared = sum(
            sum(weight[u] for u in sets.get(a, set()) & sets.get(b, set()))
            for a, b in combinations(picked, 2)
        )
        assert data.reach(positions) == pytest.approx(exact, abs=TOL)
        assert data.gross_reach(positions) == pytest.approx(gross, abs=TOL)
        assert data.pairwise_reach(positions) == pytest.approx(gross - shared, abs=TOL)
        assert data.pairwise_reach(positions) <= data.reach(positions) + TOL


@pytest.mark.parametrize("seed", range(8))
def test_max_coverage_optimum_equals_enumeration(tmp_path: Path, seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    n = 9
    roster, members = roster_frame(rng, n), membership_frame(rng, n, 40)
    budget = int(roster["cost"].sum() * 0.4)
    engagement_value = [0.0, 0.5][seed % 2]
    max_count = 3 if seed % 3 == 0 else None
    settings = {
        "budget": budget,
        "objective": {"reach": 1.0, "engagement": engagement_value},
        "constraints": {"max_influencers": max_count},
    }
    result = solve(coverage_scenario(tmp_path, roster, members, settings))
    sets, weight = audiences(members)
    cost = dict(zip(roster["id"], roster["cost"], strict=True))
    engagement = dict(zip(roster["id"], roster["expected_engagement"], strict=True))

    def value(picked: list[str]) -> float:
        return union_weight(picked, sets, weight) + engagement_value * sum(
            engagement[i] for i in picked
        )

    feasible = [
        p
        for p in all_portfolios(list(roster["id"]))
        if sum(cost[i] for i in p) <= budget and (max_count is None or len(p) <= max_count)
    ]
    best = max(value(p) for p in feasible)
    assert result.status is Status.OPTIMAL
    assert result.reach_method == "coverage"
    assert result.objective == pytest.approx(best, abs=TOL)
    assert result.kpis["reach"] == pytest.approx(union_weight(result.selected, sets, weight))
    assert result.kpis["reach_pairwise"] <= result.kpis["reach"] + TOL


@pytest.mark.parametrize(("seed", "gamma"), [(0, 1), (1, 2), (2, 1), (3, 3)])
def test_robust_coverage_optimum_equals_enumeration(tmp_path: Path, seed: int, gamma: int) -> None:
    """Γ-robust value with coverage reach: reach counted once (on the units), and the worst
    case takes the Γ largest engagement and conversion shortfalls of the picks."""
    rng = np.random.default_rng(300 + seed)
    n, cv = 8, 0.3
    roster, members = roster_frame(rng, n), membership_frame(rng, n, 30)
    budget = int(roster["cost"].sum() * 0.5)
    weights = {"reach": 1.0, "engagement": 2.0, "conversions": 5.0}
    settings = {"budget": budget, "objective": weights, "robust": {"gamma": gamma, "cv": cv}}
    result = solve(coverage_scenario(tmp_path, roster, members, settings))
    sets, weight = audiences(members)
    cost = dict(zip(roster["id"], roster["cost"], strict=True))
    uncertain = {
        row.id: 2.0 * row.expected_engagement + 5.0 * row.expected_conversions
        for row in roster.itertuples()
    }

    def worst_case(picked: list[str]) -> float:
        shortfalls = sorted((cv * uncertain[i] for i in picked), reverse=True)
        nominal = union_weight(picked, sets, weight) + sum(uncertain[i] for i in picked)
        return nominal - sum(shortfalls[:gamma])

    feasible = [p for p in all_portfolios(list(roster["id"])) if sum(cost[i] for i in p) <= budget]
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(max(worst_case(p) for p in feasible), abs=TOL)
    assert result.objective == pytest.approx(worst_case(result.selected), abs=TOL)


@pytest.mark.parametrize("share", [0.5, 0.8])
@pytest.mark.parametrize("seed", range(4))
def test_minimize_cost_reaching_a_share_of_the_units(tmp_path: Path, seed: int, share: float):
    """ "Cheapest set that reaches 80% of these units", checked against every portfolio."""
    rng = np.random.default_rng(200 + seed)
    n = 10
    roster, members = roster_frame(rng, n), membership_frame(rng, n, 40)
    sets, weight = audiences(members)
    total = sum(weight.values())
    target = share * total
    settings = {"goal": "minimize_cost", "constraints": {"targets": {"reach": target}}}
    result = solve(coverage_scenario(tmp_path, roster, members, settings))
    cost = dict(zip(roster["id"], roster["cost"], strict=True))
    reaching = [
        sum(cost[i] for i in p)
        for p in all_portfolios(list(roster["id"]))
        if union_weight(p, sets, weight) >= target - TOL
    ]
    if not reaching:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL
    assert result.objective == pytest.approx(min(reaching), abs=TOL)
    assert union_weight(result.selected, sets, weight) >= target - TOL


def test_pairwise_model_calls_a_reachable_target_infeasible_but_coverage_does_not(tmp_path):
    """Three creators sharing one audience: pairwise subtracts it three times, union once."""
    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "followers": [5000, 5000, 5000],
            "cost": [100, 100, 100],
            "platform": "instagram",
            "niche": "beauty",
            "expected_reach": [10, 10, 10],
            "expected_engagement": 1,
            "expected_conversions": 0.0,
        }
    )
    rows = [(i, f"s{k}", 1) for i in "abc" for k in range(6)]  # 6 people everyone reaches
    rows += [(i, f"{i}{k}", 1) for i in "abc" for k in range(4)]  # 4 people of their own
    members = pd.DataFrame(rows, columns=["influencer", "unit", "weight"])
    settings = {"goal": "minimize_cost", "constraints": {"targets": {"reach": 18}}}
    result = solve(coverage_scenario(tmp_path, roster, members, settings))
    assert result.status is Status.OPTIMAL
    assert sorted(result.selected) == ["a", "b", "c"]
    assert result.kpis["reach"] == pytest.approx(18)  # 6 shared + 3 × 4 own
    assert result.kpis["reach_pairwise"] == pytest.approx(30 - 3 * 6)  # = 12 < 18
    assert result.kpis["overlap_waste"] == pytest.approx(12)


def test_every_bad_membership_row_is_reported(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    roster = roster_frame(rng, 3)
    members = pd.DataFrame(
        [
            ("c0", "u1", "1"),
            ("ghost", "u2", "1"),  # row 3: unknown influencer
            ("c1", "", "1"),  # row 4: missing unit
            ("c1", "u3", "-2"),  # row 5: negative weight
            ("c0", "u1", "1"),  # row 6: repeated pair
            ("c2", "u1", "3"),  # row 7: unit u1 weighs 1 elsewhere
            ("c2", "u4", "lots"),  # row 8: not a number
        ],
        columns=["influencer", "unit", "weight"],
    )
    with pytest.raises(InputError) as caught:
        coverage_scenario_solve = coverage_scenario(
            tmp_path, roster, members, {"budget": 1000, "objective": {"reach": 1}}
        )
        prepare(coverage_scenario_solve)
    where = [p.where for p in caught.value.problems]
    assert where == [
        "row 3, column influencer",
        "row 4, column unit",
        "row 5, column weight",
        "row 6",
        "row 7, column weight",
        "row 8, column weight",
    ]
    assert "ghost" in str(caught.value)


def test_an_infinite_weight_and_an_empty_membership_file_are_reported(tmp_path: Path) -> None:
    roster = roster_frame(np.random.default_rng(2), 3)
    settings = {"budget": 1000, "objective": {"reach": 1}}
    members = pd.DataFrame([("c0", "u1", "inf")], columns=["influencer", "unit", "weight"])
    with pytest.raises(InputError, match=r"row 2, column weight: must be a finite number"):
        prepare(coverage_scenario(tmp_path, roster, members, settings))
    empty = pd.DataFrame(columns=["influencer", "unit", "weight"])
    with pytest.raises(InputError, match="the membership file has no rows"):
        prepare(coverage_scenario(tmp_path, roster, empty, settings))


def test_unknown_reach_keys_and_missing_files_are_errors(tmp_path: Path) -> None:
    roster = roster_frame(np.random.default_rng(2), 3)
    with pytest.raises(InputError, match="unknown key"):
        make_scenario(
            tmp_path, roster, {"budget": 10, "objective": {"reach": 1}, "reach": {"metod": "x"}}
        )
    with pytest.raises(InputError, match="needs membership"):
        make_scenario(
            tmp_path,
            roster,
            {"budget": 10, "objective": {"reach": 1}, "reach": {"method": "coverage"}},
        )


def _peer_module():
    """benchmarks/peer_parity.py, imported by path (benchmarks/ is not a package)."""
    import importlib.util
    import sys

    if "peer_parity" in sys.modules:
        return sys.modules["peer_parity"]
    path = Path(__file__).resolve().parents[1] / "benchmarks/peer_parity.py"
    spec = importlib.util.spec_from_file_location("peer_parity", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["peer_parity"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("budget", "risk_cap", "coverage"),
    [(3_000, 0.3, 0.5), (3_000, 0.2, 0.8), (25_000, 0.3, 0.8), (10_000, 1.0, 0.8)],
)
def test_peer_instance_matches_its_enumerated_optimum(
    tmp_path: Path, budget: float, risk_cap: float, coverage: float
) -> None:
    peer_parity = _peer_module()
    if not peer_parity.PEER.exists():
        pytest.skip("../shared/data/peer is not available")
    peer = peer_parity.load_peer()
    result = peer_parity.solve_case(peer, tmp_path / "case", budget, risk_cap, coverage)
    best = peer_parity.enumerate_cheapest(peer, budget, risk_cap, coverage)
    if best is None:
        assert result.status is Status.INFEASIBLE
        return
    plan = peer_parity.plan_of(peer, result.selected)
    assert result.status is Status.OPTIMAL
    assert plan.cost == pytest.approx(best)
    assert plan.covered >= coverage * 20 and plan.risk <= risk_cap + TOL
    assert result.kpis["reach"] == plan.covered


def test_membership_rows_are_named_by_their_file_row_past_blank_lines(tmp_path: Path) -> None:
    roster = roster_frame(np.random.default_rng(3), 3)
    members = pd.DataFrame([("c0", "u1", "1")], columns=["influencer", "unit", "weight"])
    prepared = prepare(
        coverage_scenario(tmp_path, roster, members, {"budget": 1000, "objective": {"reach": 1}})
    )
    path = tmp_path / "members.csv"
    path.write_text("influencer,unit,weight\n\nc0,u1,1\n\nghost,u2,1\n")  # ghost on row 5
    with pytest.raises(InputError) as caught:
        load_membership(path, prepared.roster)
    assert [p.where for p in caught.value.problems] == ["row 5, column influencer"]


def test_the_coverage_rows_stop_at_the_builds_deadline(tmp_path: Path, monkeypatch) -> None:
    """The coverage rows are one of the build's long loops: they read the clock (one row per
    class of units), so a build past its deadline stops inside them, not after them."""
    rng = np.random.default_rng(3)
    scenario = coverage_scenario(
        tmp_path,
        roster_frame(rng, 12),
        membership_frame(rng, 12, 40),
        {"budget": 1000, "objective": {"reach": 1}},
    )
    prepared = prepare(scenario)
    rows, problem, _data = reach_rows_clock_calls(scenario, prepared)
    assert len(rows) > 1 and rows == list(range(problem.numConstraints()))  # one per row
    assert_build_stops_in_reach_rows(scenario, prepared, monkeypatch)
