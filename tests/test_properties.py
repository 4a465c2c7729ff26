"""Property tests on random small rosters (hypothesis).

Each example is a roster DataFrame, overlap pairs and a scenario dict drawn here; the
expectations (spend, counts, conflicts, portfolio value, a greedy portfolio) are computed in
this file from that data, never read back from the engine.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from conftest import make_scenario
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from optimizer import Status, prepare, solve
from optimizer.verify import check_selection

MAX_ROWS = 25
PLATFORMS = ("instagram", "tiktok", "youtube")
TIERS = {"nano": 1_000, "micro": 10_000, "macro": 100_000, "mega": 1_000_000}
# The solver runs with gap 0; its absolute MIP gap (1e-6) and feasibility tolerances
# (≈1e-7 on rows) are far below this, and rounding of a few dozen products is far below too.
VALUE_REL_TOL = 1e-6
VALUE_ABS_TOL = 1e-5
# Budget and count rules are re-checked with this slack (engine's verify allows 1e-6 + 1e-6·B).
SPEND_TOL = 1e-6

PROPERTY_SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _close_or_above(value: float, floor: float) -> bool:
    """``value ≥ floor`` up to the solver's tolerances."""
    return value >= floor - VALUE_ABS_TOL - VALUE_REL_TOL * max(abs(value), abs(floor))


@st.composite
def rosters(draw: st.DrawFn, min_rows: int = 2) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A roster with explicit expected KPIs, and overlap pairs (shares as fractions)."""
    n = draw(st.integers(min_rows, MAX_ROWS))
    rows = []
    for k in range(n):
        rows.append(
            {
                "id": f"p{k:02d}",
                "followers": draw(st.integers(500, 3_000_000)),
                "cost": draw(st.integers(10, 5_000)),
                "platform": draw(st.sampled_from(PLATFORMS)),
                "authenticity": draw(st.integers(50, 100)) / 100,
                "expected_reach": draw(st.integers(0, 100_000)),
                "expected_engagement": draw(st.integers(0, 5_000)),
                "expected_conversions": draw(st.integers(0, 500)) / 10,
            }
        )
    roster = pd.DataFrame(rows)
    all_pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    chosen = (
        draw(st.lists(st.sampled_from(all_pairs), unique=True, max_size=3 * n)) if all_pairs else []
    )
    pairs = pd.DataFrame(
        [
            (roster["id"][i], roster["id"][j], draw(st.integers(1, 90)) / 100)
            for i, j in sorted(chosen)
        ],
        columns=["a", "b", "shared"],
    )
    return roster, pairs


@st.composite
def weights(draw: st.DrawFn) -> dict[str, float]:
    chosen = {
        "reach": draw(st.sampled_from([0.0, 0.005, 0.01, 0.03])),
        "engagement": draw(st.sampled_from([0.0, 0.05, 0.2, 1.0])),
        "conversions": draw(st.sampled_from([0.0, 2.0, 10.0, 40.0])),
    }
    if not any(chosen.values()):
        chosen["reach"] = 0.01
    return chosen


@st.composite
def instances(draw: st.DrawFn, minimums: bool | None = None) -> dict[str, Any]:
    """Roster, pairs and a maximize-value scenario with a random selection of rules.

    Without ``minimums`` every rule is one the empty portfolio satisfies (upper limits,
    filters, conflicts, spend-share rules), so a portfolio must always be reported.
    """
    roster, pairs = draw(rosters())
    with_minimums = draw(st.booleans()) if minimums is None else minimums
    total = int(roster["cost"].sum())
    budget = max(1, int(total * draw(st.floats(0.05, 0.9))))
    rules: dict[str, Any] = {}
    if draw(st.booleans()):
        rules["max_influencers"] = draw(st.integers(0, 8))
    if draw(st.booleans()):
        rules["max_pair_overlap"] = draw(st.sampled_from([0.1, 0.25, 0.4, 0.6]))
    if draw(st.booleans()):
        rules["min_authenticity"] = draw(st.sampled_from([0.6, 0.75, 0.9]))
    present = sorted(set(roster["platform"]))
    mix: dict[str, dict[str, dict[str, Any]]] = {}
    if draw(st.booleans()):
        platform = draw(st.sampled_from(present))
        rule = draw(
            st.sampled_from(
                [{"max_share": 0.5}, {"min_share": 0.3}, {"max_count": 1}, {"max_share": 0.2}]
            )
        )
        mix["platform"] = {platform: rule}
    if draw(st.booleans()):
        mix["tier"] = {draw(st.sampled_from(sorted(TIERS))): {"max_count": draw(st.integers(0, 2))}}
    if mix:
        rules["mix"] = mix
    if draw(st.booleans()):
        ids = roster["id"].tolist()
        rules["exclude"] = draw(st.lists(st.sampled_from(ids), unique=True, max_size=3))
    if with_minimums:
        if draw(st.booleans()):
            rules["min_influencers"] = draw(st.integers(1, 4))
            if rules.get("max_influencers", 99) < rules["min_influencers"]:
                rules["max_influencers"] = rules["min_influencers"]
        if draw(st.booleans()):
            rules["targets"] = {
                "reach": int(roster["expected_reach"].sum() * draw(st.floats(0, 0.4)))
            }
        if draw(st.booleans()):
            group = draw(st.sampled_from(present))
            mix = rules.setdefault("mix", {}).setdefault("platform", {})
            mix.setdefault(group, {})["min_count"] = 1
            if mix[group].get("max_count", 1) < 1:
                mix[group]["max_count"] = 1
    scenario = {
        "budget": budget,
        "tiers": TIERS,
        "objective": draw(weights()),
        "overlap": {"shared": "fraction"},
        "constraints": rules,
        "solver": {"gap": 0, "time_limit": 30},
    }
    return {"roster": roster, "pairs": pairs, "scenario": scenario, "minimums": with_minimums}


# ------------------------------------------------------------------ independent arithmetic


def spend_of(roster: pd.DataFrame, picked: list[str]) -> float:
    return float(roster.set_index("id").loc[picked, "cost"].sum()) if picked else 0.0


class Values:
    """Portfolio value from the test's own roster and pairs (looked up once, reused)."""

    def __init__(self, roster: pd.DataFrame, pairs: pd.DataFrame, weights: dict[str, float]):
        ids = roster["id"].tolist()
        self.reach = dict(zip(ids, roster["expected_reach"].astype(float), strict=True))
        single = (
            weights["reach"] * roster["expected_reach"].astype(float)
            + weights["engagement"] * roster["expected_engagement"].astype(float)
            + weights["conversions"] * roster["expected_conversions"].astype(float)
        )
        self.single = dict(zip(ids, single, strict=True))
        self.pairs = [(a, b, float(s)) for a, b, s in pairs.itertuples(index=False)]
        self.reach_weight = weights["reach"]

    def __call__(self, picked: list[str]) -> float:
        """Σ weight·KPI, reach de-duplicated pairwise: share × the smaller expected reach."""
        chosen = set(picked)
        value = sum(self.single[i] for i in chosen)
        for a, b, share in self.pairs:
            if a in chosen and b in chosen:
                value -= self.reach_weight * share * min(self.reach[a], self.reach[b])
        return value


def value_of(
    roster: pd.DataFrame, pairs: pd.DataFrame, weights: dict[str, float], picked: list[str]
) -> float:
    return Values(roster, pairs, weights)(picked)


def conflicting_pairs(pairs: pd.DataFrame, picked: list[str], limit: float | None) -> list:
    if limit is None:
        return []
    chosen = set(picked)
    return [
        (a, b, s)
        for a, b, s in pairs.itertuples(index=False)
        if a in chosen and b in chosen and s > limit
    ]


def greedy_portfolio(
    roster: pd.DataFrame, pairs: pd.DataFrame, weights: dict[str, float], budget: float
) -> list[str]:
    """Add the best marginal value per cost that still fits the budget, while it helps."""
    ids = roster["id"].tolist()
    cost = dict(zip(ids, roster["cost"].astype(float), strict=True))
    value_of_ = Values(roster, pairs, weights)
    picked: list[str] = []
    spend = 0.0
    current = 0.0
    while True:
        best, best_ratio, best_value = None, 0.0, current
        for ident in ids:
            if ident in picked or spend + cost[ident] > budget:
                continue
            value = value_of_([*picked, ident])
            ratio = (value - current) / cost[ident]
            if ratio > best_ratio:
                best, best_ratio, best_value = ident, ratio, value
        if best is None:
            return picked
        picked.append(best)
        spend += cost[best]
        current = best_value


def _load(tmp_path_factory, case: dict[str, Any]):
    # the whole instance, so a failure can be replayed without hypothesis
    note(f"roster = {case['roster'].to_dict('list')!r}")
    note(f"pairs = {case['pairs'].to_dict('list')!r}")
    note(f"scenario = {case['scenario']!r}")
    folder = tmp_path_factory.mktemp("prop", numbered=True)
    scenario = make_scenario(folder, case["roster"], case["scenario"], case["pairs"])
    return scenario, prepare(scenario)


def _independent_checks(case: dict[str, Any], scenario, result) -> None:
    roster, rules = case["roster"], case["scenario"]["constraints"]
    spend = spend_of(roster, result.selected)
    assert spend <= scenario.budget + SPEND_TOL * max(1.0, scenario.budget)
    assert len(result.selected) == len(set(result.selected))
    assert len(result.selected) <= rules.get("max_influencers", MAX_ROWS)
    assert len(result.selected) >= rules.get("min_influencers", 0)
    assert conflicting_pairs(case["pairs"], result.selected, rules.get("max_pair_overlap")) == []
    assert not set(result.selected) & set(rules.get("exclude", []))
    value = value_of(roster, case["pairs"], case["scenario"]["objective"], result.selected)
    assert math.isclose(value, result.objective, rel_tol=VALUE_REL_TOL, abs_tol=VALUE_ABS_TOL)


# ------------------------------------------------------------------ properties


@PROPERTY_SETTINGS
@given(case=instances())
def test_every_reported_portfolio_is_valid(case, tmp_path_factory):
    scenario, prepared = _load(tmp_path_factory, case)
    result = solve(scenario, prepared=prepared)
    note(f"status={result.status} selected={result.selected}")
    event(f"status {result.status}, {min(len(result.selected), 3)}+ picked")
    if not case["minimums"]:
        # the empty portfolio meets every drawn rule, so there is always an optimum
        assert result.status is Status.OPTIMAL
    assert result.status in (Status.OPTIMAL, Status.INFEASIBLE)
    if result.status is Status.INFEASIBLE:
        return
    picked = [prepared.roster.index_of[i] for i in result.selected]
    assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []
    _independent_checks(case, scenario, result)


@PROPERTY_SETTINGS
@given(case=instances(), extra=st.floats(0.01, 1.0))
def test_raising_the_budget_never_lowers_the_optimum(case, extra, tmp_path_factory):
    scenario, prepared = _load(tmp_path_factory, case)
    base = solve(scenario, prepared=prepared)
    richer_budget = float(scenario.budget) + max(1.0, extra * float(case["roster"]["cost"].sum()))
    richer_scenario = scenario.with_overrides({"budget": richer_budget})
    richer = solve(richer_scenario, prepared=prepared)
    note(f"base {base.status} {base.objective}; richer {richer.status} {richer.objective}")
    gained = (richer.objective or 0.0) > (base.objective or 0.0) + 1e-6
    event(f"base {base.status}, richer {'better' if gained else 'same'}")
    if base.status is Status.INFEASIBLE:
        return
    assert base.status is Status.OPTIMAL
    # the old portfolio is still allowed, so the new optimum is at least as good
    assert richer.status is Status.OPTIMAL
    assert _close_or_above(richer.objective, base.objective)
    _independent_checks(case, richer_scenario, richer)


@PROPERTY_SETTINGS
@given(case=instances(), which=st.integers(0, MAX_ROWS))
def test_excluding_a_picked_influencer_never_raises_the_optimum(case, which, tmp_path_factory):
    scenario, prepared = _load(tmp_path_factory, case)
    base = solve(scenario, prepared=prepared)
    assume(base.status is Status.OPTIMAL and base.selected)
    dropped = base.selected[which % len(base.selected)]
    excluded = [*case["scenario"]["constraints"].get("exclude", []), dropped]
    narrower_scenario = scenario.with_overrides({"exclude": excluded})
    narrower = solve(narrower_scenario, prepared=prepared)
    note(f"base {base.objective} {base.selected}; without {dropped}: {narrower.objective}")
    event(f"after exclusion: {narrower.status}")
    assert narrower.status in (Status.OPTIMAL, Status.INFEASIBLE)
    if not case["minimums"]:
        assert narrower.status is Status.OPTIMAL
    if narrower.status is Status.OPTIMAL:
        assert dropped not in narrower.selected
        assert _close_or_above(base.objective, narrower.objective)
        _independent_checks(case, narrower_scenario, narrower)


@st.composite
def budget_only(draw: st.DrawFn) -> dict[str, Any]:
    roster, pairs = draw(rosters(min_rows=1))
    budget = max(1, int(roster["cost"].sum() * draw(st.floats(0.02, 1.2))))
    scenario = {
        "budget": budget,
        "objective": draw(weights()),
        "overlap": {"shared": "fraction"},
        "solver": {"gap": 0, "time_limit": 30},
    }
    return {"roster": roster, "pairs": pairs, "scenario": {**scenario, "constraints": {}}}


@PROPERTY_SETTINGS
@given(case=budget_only())
def test_optimum_is_at_least_a_greedy_portfolio(case, tmp_path_factory):
    scenario, prepared = _load(tmp_path_factory, case)
    result = solve(scenario, prepared=prepared)
    assert result.status is Status.OPTIMAL
    roster, pairs, weights_ = case["roster"], case["pairs"], case["scenario"]["objective"]
    greedy = greedy_portfolio(roster, pairs, weights_, scenario.budget)
    greedy_value = value_of(roster, pairs, weights_, greedy)
    note(f"greedy {greedy_value} {greedy}; engine {result.objective} {result.selected}")
    event("greedy below optimum" if greedy_value < result.objective - 1e-6 else "greedy optimal")
    assert spend_of(roster, greedy) <= scenario.budget
    assert _close_or_above(result.objective, greedy_value)
    _independent_checks(case, scenario, result)


def test_greedy_helper_is_not_trivial():
    """The greedy baseline used above really builds portfolios (guards a vacuous comparison)."""
    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "cost": [100, 100, 150],
            "expected_reach": [1000, 900, 1200],
            "expected_engagement": [0, 0, 0],
            "expected_conversions": [0.0, 0.0, 0.0],
        }
    )
    pairs = pd.DataFrame([("a", "b", 0.5)], columns=["a", "b", "shared"])
    w = {"reach": 1.0, "engagement": 0.0, "conversions": 0.0}
    assert value_of(roster, pairs, w, ["a", "b"]) == pytest.approx(1000 + 900 - 450)
    # a (10/unit) first, then b is worth only 4.5/unit, c 8/unit: greedy takes a then c
    assert greedy_portfolio(roster, pairs, w, budget=250) == ["a", "c"]
    assert greedy_portfolio(roster, pairs, w, budget=50) == []
