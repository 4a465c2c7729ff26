"""compare, explain and infeasibility diagnosis on a seeded sample."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from optimizer import Status, compare, load_scenario, prepare, solve
from optimizer.engine import effective_scenario, solve_effective
from optimizer.explanation import explain
from optimizer.generate import write_sample

OBJECTIVE_TOLERANCE = 1e-6  # relative


def _scenario(tmp_path: Path, extra: dict | None = None, n: int = 60, seed: int = 3):
    write_sample(tmp_path, n=n, seed=seed)
    data = {
        "name": "sample",
        "roster": "roster.csv",
        "overlap": "overlap.csv",
        "budget": 8000,
        "objective": {"reach": 0.01, "engagement": 0.05, "conversions": 20},
        "constraints": {"max_influencers": 8, "max_pair_overlap": 0.3},
        "solver": {"gap": 0},
    }
    data.update(extra or {})
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def test_built_in_strategies_respect_their_tiers_and_hybrid_dominates(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    results = {r.strategy: r for r in compare(scenario, prepared=prepared)}
    assert set(results) == {"micro-only", "macro-only", "hybrid"}
    tiers = prepared.roster.frame.set_index("id")["tier"]
    assert {tiers[i] for i in results["micro-only"].selected} <= {"nano", "micro"}
    assert {tiers[i] for i in results["macro-only"].selected} <= {"macro", "mega"}
    best_single = max(results["micro-only"].objective, results["macro-only"].objective)
    assert results["hybrid"].objective >= best_single * (1 - OBJECTIVE_TOLERANCE)


def test_file_strategies_override_the_base(tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path,
        {"strategies": {"small": {"budget": 2000}, "big": {"budget": 20000}}},
    )
    results = {r.strategy: r for r in compare(scenario)}
    assert results["small"].kpis["spend"] <= 2000 + 1e-6
    assert results["big"].objective >= results["small"].objective


def test_a_strategys_mix_group_replaces_the_base_rule_whatever_its_case(tmp_path: Path) -> None:
    """Groups match ignoring case, in the roster and in merges: a strategy's ``TikTok`` rule
    replaces the base's ``tiktok`` rule instead of standing beside it."""
    mix = {"platform": {"tiktok": {"max_count": 0}}}
    strategies = {s: {"mix": {"platform": {s: {"max_count": 3}}}} for s in ("tiktok", "TikTok")}
    scenario = _scenario(tmp_path, {"constraints": {"max_influencers": 8, "mix": mix}})
    data = {**scenario.model_dump(mode="json"), "strategies": strategies}
    path = tmp_path / "cased.yaml"
    path.write_text(yaml.safe_dump(data))
    cased = load_scenario(path)
    prepared = prepare(cased)
    platform = prepared.roster.frame.set_index("id")["platform"]
    results = {r.strategy: r for r in compare(cased, prepared=prepared)}
    for name in ("tiktok", "TikTok"):
        assert len(effective_scenario(cased, name).constraints.mix["platform"]) == 1
    assert results["TikTok"].objective == pytest.approx(results["tiktok"].objective)
    tiktoks = sum(platform[i] == "tiktok" for i in results["TikTok"].selected)
    assert 0 < tiktoks <= 3


@pytest.mark.parametrize("pick_rank", [0, -1])
def test_forced_explain_equals_a_resolve_with_the_influencer_forced(
    tmp_path: Path, pick_rank: int
) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    base = solve(scenario, prepared=prepared)
    ranked = prepared.roster.frame.sort_values("expected_engagement", ascending=False)
    outside = [i for i in ranked["id"] if i not in base.selected]
    target = base.selected[0] if pick_rank == 0 else outside[-1]
    answer = explain(scenario, target, prepared=prepared)
    key = "exclude" if answer.picked else "include"
    forced = solve(scenario.with_overrides({key: [target]}), prepared=prepared)
    assert answer.picked == (target in base.selected)
    assert answer.forced_objective == pytest.approx(forced.objective, rel=OBJECTIVE_TOLERANCE)
    assert answer.objective_change == pytest.approx(
        forced.objective - base.objective, rel=1e-6, abs=1e-6
    )
    # the base optimum is optimal, so forcing the opposite choice can never gain value
    assert answer.objective_change <= 1e-6 * max(1.0, abs(base.objective))
    assert answer.reasons


def test_explain_names_a_conflict_that_keeps_an_influencer_out(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, {"constraints": {"max_pair_overlap": 0.0}})
    prepared = prepare(scenario)
    base = solve(scenario, prepared=prepared)
    graph, ids = prepared.overlap.graph, prepared.roster.ids
    picked = {prepared.roster.index_of[i] for i in base.selected}
    blocked = [p for p in graph if p not in picked and any(q in picked for q in graph[p])]
    assert blocked, "the sample should have an unpicked neighbour of a picked influencer"
    answer = explain(scenario, ids[blocked[0]], prepared=prepared)
    assert any("conflicts with picked" in reason for reason in answer.reasons)


def test_a_filtered_influencer_has_no_forced_portfolio_and_no_capacity_reasons(
    tmp_path: Path,
) -> None:
    """Forcing in an influencer that a filter rules out has no portfolio: nothing is swapped,
    and the budget and the caps, full or not, are not why it is out; the filter is."""
    scenario = _scenario(tmp_path, {"constraints": {"max_influencers": 3}})
    prepared = prepare(scenario)
    base = solve(scenario, "micro-only", prepared=prepared)
    assert len(base.selected) == 3  # the cap is full: it must still not be named
    tiers = prepared.roster.frame.set_index("id")["tier"]
    mega = next(i for i in prepared.roster.ids if tiers[i] == "mega")
    answer = explain(scenario, mega, "micro-only", prepared=prepared)
    assert not answer.picked and answer.forced == "in"
    assert answer.forced_status == "infeasible"
    assert answer.forced_objective is None and answer.objective_change is None
    assert answer.swapped_in == [] and answer.swapped_out == []
    assert answer.reasons[1:] == [
        "ruled out by the filter tiers ['nano', 'micro']",
        f"its value per unit of cost is {answer.value_per_cost:,.2f}, against "
        f"{answer.portfolio_value_per_cost:,.2f} for the picked set as a whole",
    ]


@pytest.mark.parametrize("listed", ["exclude", "include"])
def test_explain_never_lifts_the_briefs_include_or_exclude(tmp_path: Path, listed: str) -> None:
    """Like a filter, an id the brief excludes (or includes) stays so: forcing it the other
    way is impossible, and no forced portfolio is made by lifting the user's choice."""
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    target = solve(scenario, prepared=prepared).selected[0]
    listing = scenario.with_overrides({listed: [target]})
    answer = explain(listing, target, prepared=prepared)
    assert answer.picked == (listed == "include")
    forcing = "exclude" if answer.picked else "include"
    assert answer.reasons[:2] == [
        f"forcing it {answer.forced} makes the rules impossible: "
        f"{forcing} {target} clashes with {listed}",
        "it is on the include list" if answer.picked else "ruled out by the filter exclude",
    ]
    assert answer.forced_status == "infeasible"
    assert answer.forced_objective is None and answer.objective_change is None
    assert answer.swapped_in == [] and answer.swapped_out == []


def test_an_impossible_forcing_is_worded_as_the_engine_words_it(tmp_path: Path) -> None:
    """explain does not re-solve against a filter; what it says is what the solve would say."""
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    tiers = prepared.roster.frame.set_index("id")["tier"]
    mega = next(i for i in prepared.roster.ids if tiers[i] == "mega")
    answer = explain(scenario, mega, "micro-only", prepared=prepared)
    micro_only = effective_scenario(scenario, "micro-only")
    forced = micro_only.with_overrides({"include": [mega]})
    result = solve_effective(forced, prepared.roster, prepared.overlap, "micro-only")
    assert answer.forced_status == str(result.status) == "infeasible"
    assert answer.reasons[0] == "forcing it in makes the rules impossible: " + "; ".join(
        result.diagnosis
    )


def test_infeasible_scenario_names_the_clashing_rules(tmp_path: Path) -> None:
    scenario = _scenario(
        tmp_path,
        {"budget": 3000, "constraints": {"targets": {"conversions": 10_000}}},
    )
    result = solve(scenario)
    assert result.status is Status.INFEASIBLE
    text = " ".join(result.diagnosis)
    assert "target conversions" in text
    assert "reachable" in text


def _infeasible(tmp_path: Path, time_limit: float | None):
    extra = {"budget": 3000, "constraints": {"targets": {"conversions": 10_000}}}
    if time_limit is not None:
        extra["solver"] = {"gap": 0, "time_limit": time_limit}
    return _scenario(tmp_path, extra)


def test_no_time_to_name_the_rules_returns_by_the_deadline_and_says_so(tmp_path, monkeypatch):
    """Building the elastic model cannot be interrupted: when its estimated build does not fit
    twice in the time left, the diagnosis says how to get the rules instead of overrunning."""
    import time

    from optimizer import diagnose

    monkeypatch.setattr(diagnose, "ELASTIC_BUILD_PER_CANDIDATE", 1.0)  # 60 s for 60 rows
    scenario = _infeasible(tmp_path, 5.0)
    started = time.perf_counter()
    result = solve(scenario)
    assert time.perf_counter() - started < 5.0
    assert result.status is Status.INFEASIBLE
    assert result.diagnosis == [diagnose.NO_TIME_TO_NAME]
    monkeypatch.setattr(diagnose, "ELASTIC_BUILD_PER_CANDIDATE", 1e-4)
    assert "reachable" in " ".join(solve(scenario).diagnosis)  # time enough: rules named


def test_a_re_solve_cut_short_claims_no_limit_it_has_not_proven(tmp_path, monkeypatch):
    """An elastic re-solve stopped by the time limit found one way out, not the smallest:
    no "at most … is reachable", and the reason says so."""
    from dataclasses import replace

    from optimizer import diagnose
    from optimizer.solver import run

    def stopped(problem, settings, solver=None):  # as if the time limit had stopped it
        outcome = run(problem, settings, solver)
        return replace(outcome, status=Status.FEASIBLE)

    monkeypatch.setattr(diagnose, "run", stopped)
    result = solve(_infeasible(tmp_path, 30.0))
    assert result.status is Status.INFEASIBLE
    text = " ".join(result.diagnosis)
    assert "target conversions" in text and "was reached" in text
    assert "at most" not in text and "a smaller change may do" in text


def test_a_count_rule_of_zero_is_described_as_a_count_not_a_spend_share(tmp_path: Path) -> None:
    """``max_count: 0`` has right-hand side 0 like a linearised spend share, but its slack is
    a number of influencers: it must rise, it does not give way on spend."""
    mix = {"tier": {"mega": {"max_count": 0}}}
    scenario = _scenario(tmp_path, {"budget": 100_000, "constraints": {"mix": mix}})
    prepared = prepare(scenario)
    reach = solve(scenario, prepared=prepared).kpis["reach"]
    result = solve(scenario.with_overrides({"targets": {"reach": 1.5 * reach}}), prepared=prepared)
    assert result.status is Status.INFEASIBLE
    assert "or: tier mega max_count 0 must rise by 1 (to 1)" in result.diagnosis
    assert "of spend" not in " ".join(result.diagnosis)


def test_elastic_budget_relaxation_is_exactly_what_the_rules_need(tmp_path: Path) -> None:
    # min_count of one tier needs more money than the budget: the diagnosis must say how much
    scenario = _scenario(tmp_path, {"constraints": {"mix": {"tier": {"macro": {"min_count": 3}}}}})
    prepared = prepare(scenario)
    macro_costs = sorted(prepared.roster.frame.query("tier == 'macro'")["cost"])
    cheapest_three = sum(macro_costs[:3])
    tight = scenario.with_overrides({"budget": cheapest_three - 1})
    result = solve_effective(
        effective_scenario(tight, None), prepared.roster, prepared.overlap, None
    )
    assert result.status is Status.INFEASIBLE
    assert any(f"{cheapest_three:,.0f}" in reason for reason in result.diagnosis)


@pytest.mark.parametrize(
    ("status", "shift", "accepted"),
    [("feasible", -50.0, True), ("optimal", -50.0, False), ("feasible", 50.0, False)],
)
def test_an_unproven_robust_incumbent_may_understate_its_worst_case(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, status: str, shift: float, accepted: bool
) -> None:
    """An incumbent the deadline stopped at may carry more protection than its picks need,
    so the solver's worst case lies below the data's; only at a proof must they agree, and a
    solver's worst case above the data's is always wrong."""
    from dataclasses import replace

    from optimizer import fullpath
    from optimizer.errors import VerificationError
    from optimizer.solver import Status as SolverStatus

    real_run_full = fullpath.run_full

    def shifted(*args, **kwargs):
        answer = real_run_full(*args, **kwargs)
        outcome = answer.outcome
        changed = replace(outcome, status=SolverStatus(status), objective=outcome.objective + shift)
        return replace(answer, outcome=changed)

    monkeypatch.setattr(fullpath, "run_full", shifted)
    robust = {"robust": {"gamma": 2, "cv": 0.4}}
    scenario = _scenario(tmp_path, {"strategies": {"robust": robust}})
    if accepted:
        result = solve(scenario, "robust")
        assert result.robust is not None and result.objective == result.robust["worst_case_value"]
    else:
        with pytest.raises(VerificationError, match="robust objective"):
            solve(scenario, "robust")


def test_robust_strategy_maximises_the_worst_case(tmp_path: Path) -> None:
    from optimizer.robust import worst_case_value

    robust = {"gamma": 2, "cv": 0.4}
    scenario = _scenario(tmp_path, {"strategies": {"nominal": {}, "robust": {"robust": robust}}})
    prepared = prepare(scenario)
    nominal = solve(scenario, "nominal", prepared=prepared)
    protected = solve(scenario, "robust", prepared=prepared)
    assert protected.robust is not None and nominal.robust is None
    assert protected.objective == pytest.approx(protected.robust["worst_case_value"])
    assert protected.robust["worst_case_value"] <= protected.kpis["value"] + 1e-6
    # the nominal optimum judged by the same worst case can never beat the robust optimum
    robust_view = effective_scenario(scenario, "robust")
    picked = [prepared.roster.index_of[i] for i in nominal.selected]
    nominal_worst = worst_case_value(robust_view, prepared.roster, picked, nominal.kpis["value"])
    assert protected.objective >= nominal_worst - 1e-6 * abs(nominal_worst)
    assert nominal.objective >= protected.kpis["value"] - 1e-6 * abs(nominal.objective)


def test_monte_carlo_bands_bracket_the_median(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, {"constraints": {"targets": {"conversions": 1}}})
    result = solve(scenario)
    bands = result.uncertainty
    assert bands is not None
    for kpi in ("engagement", "conversions"):
        assert bands[kpi]["p10"] <= bands[kpi]["p50"] <= bands[kpi]["p90"]
    assert 0.0 <= bands["chance_of_meeting_targets"]["conversions"] <= 1.0


def test_best_positions_mark_every_tie_and_need_two_values():
    from optimizer.result import best_positions

    assert best_positions([3.0, None, 5.0, 5.0], "max") == {2, 3}
    assert best_positions([3.0, None, 5.0, 3.0 + 1e-12], "min") == {0, 3}
    assert best_positions([3.0, None], "max") == set()  # one value compares with nothing
    assert best_positions([3.0, 4.0], None) == set()  # a KPI without a better direction


def test_two_included_creators_that_conflict_are_named_with_their_overlap(tmp_path: Path) -> None:
    """It read `include u3 cannot hold: at most 0 is reachable`, naming neither the pair nor
    the overlap rule."""
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    graph = prepared.overlap
    k = int(np.flatnonzero(graph.conflict_mask(0.3))[0])
    a, b = prepared.roster.ids[int(graph.i[k])], prepared.roster.ids[int(graph.j[k])]
    data = {"constraints": {"max_influencers": 8, "max_pair_overlap": 0.3, "include": [a, b]}}
    result = solve(_scenario(tmp_path, data), prepared=None)
    assert result.status is Status.INFEASIBLE
    share = f"{float(graph.share[k]):.0%}"
    assert result.diagnosis == [
        f"include {a} and {b} clash with max_pair_overlap 30%: they share {share} of the "
        "smaller audience"
    ]


@pytest.mark.parametrize(
    ("share", "limit", "shown"),
    [(0.3004, 0.3, "30.04%"), (1.0, 0.25, "100%"), (0.35, 0.3, "35%"), (0.305, 0.3, "30.5%")],
)
def test_a_shared_audience_reads_above_the_limit_it_breaks(share, limit, shown) -> None:
    from optimizer.diagnose import _above

    assert _above(share, limit) == shown


LAUNCH = Path(__file__).resolve().parents[1] / "scenarios" / "launch.yaml"


def test_explain_on_a_robust_strategy_names_the_worst_case_and_the_nominal_value() -> None:
    """Its solves' objective is the worst case; it was called "value" beside the nominal
    value per cost, one answer with two meanings of the word."""
    scenario = load_scenario(LAUNCH)
    answer = explain(scenario, "tt_0045", "hybrid-robust")
    assert answer.reasons[0].startswith("forcing it out changes the worst-case value by ")
    assert answer.reasons[-1].startswith("its nominal value per unit of cost is ")


def test_explain_says_when_a_deadline_left_its_solves_unproven(monkeypatch) -> None:
    """Under a short --time-limit both solves may stop at unproven plans: the change between
    them was given as if it were the answer."""
    from dataclasses import replace

    import optimizer.explanation as explain_module

    real = explain_module.solve_effective

    def stopped(*args, **kwargs):  # as if the deadline came before the proof
        result = real(*args, **kwargs)
        return replace(result, status=Status.FEASIBLE, gap=0.25) if result.solved else result

    monkeypatch.setattr(explain_module, "solve_effective", stopped)
    answer = explain(load_scenario(LAUNCH), "ig_0003", "hybrid")
    assert (
        "not proven: the time limit stopped the search (portfolio: gap 2.5e-01; forced: gap "
        "2.5e-01); raise --time-limit for the exact change"
    ) in answer.reasons


def test_the_diagnosis_is_time_boxed_even_without_a_time_limit(tmp_path, monkeypatch) -> None:
    """Proving the smallest total slack can take minutes where infeasibility takes 0.04 s
    (three niches, one conflict clique each, a nano spend share it cannot meet): the elastic
    re-solves stop at the diagnosis's time box, and the reason says the amount is unproven."""
    import time

    from optimizer import diagnose
    from optimizer.generate import build_roster

    roster = build_roster(647, 22, ("z0", "z1", "z2")).head(400)
    roster.to_csv(tmp_path / "roster.csv", index=False)
    brief = {
        "name": "hard diagnosis",
        "roster": "roster.csv",
        "budget": 3048,
        "objective": {"reach": 0.005, "conversions": 5.0},
        "constraints": {
            "max_pair_overlap": 0.09,
            "min_influencers": 4,
            "max_influencers": 20,
            "min_spend": 2743,
            "mix": {"tier": {"nano": {"min_share": 0.5, "max_count": 4}}},
        },
        "solver": {"time_limit": None},
    }
    (tmp_path / "brief.yaml").write_text(yaml.safe_dump(brief))
    monkeypatch.setattr(diagnose, "DIAGNOSIS_SECONDS", 1.0)
    started = time.perf_counter()
    result = solve(load_scenario(tmp_path / "brief.yaml"))
    elapsed = time.perf_counter() - started
    assert result.status is Status.INFEASIBLE
    # without the box the re-solves ran 16 s here; with it, 1 s of solving and the builds
    assert elapsed < 8.0
    assert len(result.diagnosis) == 1
    assert result.diagnosis[0].startswith("tier nano min_share 50% is short by ")
    assert result.diagnosis[0].endswith(
        "(found before the diagnosis's time box stopped the re-solve: a smaller change may do)"
    )


def test_explain_on_a_minimize_cost_brief_gives_each_target_per_cost() -> None:
    """A minimize-cost brief has no value: "value per unit of cost is 0.00, against 0.00"
    said nothing. Each target's KPI per 1,000 of cost, recomputed from the roster and the
    plan, takes its place."""
    path = LAUNCH.parent / "cheapest-reach.yaml"
    scenario = load_scenario(path)
    prepared = prepare(scenario)
    base = solve(scenario, prepared=prepared)
    answer = explain(scenario, "tt_0000")
    row = prepared.roster.frame.iloc[prepared.roster.index_of["tt_0000"]]
    spend = base.kpis["spend"]
    assert answer.reasons[0].startswith("forcing it out changes the spend by ")
    assert answer.reasons[1].startswith("without it, the reach target 500,000 fails")
    assert answer.reasons[2:4] == [
        f"its reach per 1,000 USD of cost is {1000 * row['expected_reach'] / row['cost']:,.2f}, "
        f"against {1000 * base.kpis['reach'] / spend:,.2f} for the picked set as a whole",
        f"its engagement per 1,000 USD of cost is "
        f"{1000 * row['expected_engagement'] / row['cost']:,.2f}, "
        f"against {1000 * base.kpis['engagement'] / spend:,.2f} for the picked set as a whole",
    ]
    assert not any("value per unit of cost" in line for line in answer.reasons)


@pytest.mark.parametrize("seed", [4, 5, 6, 7, 8, 9])
def test_a_picked_creator_names_exactly_the_limits_it_alone_keeps(
    tmp_path: Path, seed: int
) -> None:
    """Independent check: the rules named for a picked creator ("without it, … fails") are
    there exactly when the portfolio without it breaks a rule, by the re-check's count. The
    spend-share caps of other groups count too: without a YouTube pick, TikTok's share rises."""
    from optimizer.engine import effective_scenario
    from optimizer.explanation import rules_it_serves
    from optimizer.verify import check_selection

    mix = {
        "tier": {"micro": {"min_share": 0.3, "min_count": 2}, "macro": {"min_count": 1}},
        "platform": {"tiktok": {"max_share": 0.4}, "instagram": {"max_share": 0.5}},
    }
    rules = {
        "max_influencers": 8,
        "min_influencers": 4,
        "min_spend": 4000,
        "max_pair_overlap": 0.3,
        "mix": mix,
        "resources": {"followers": {"min": 200_000}},
        "targets": {"engagement": 20_000},
    }
    scenario = _scenario(tmp_path, {"constraints": rules}, seed=seed)
    prepared = prepare(scenario)
    effective = effective_scenario(scenario, None)
    base = solve(scenario, prepared=prepared)
    assert base.solved
    all_named: list[str] = []
    for ident in base.selected:
        position = prepared.roster.index_of[ident]
        rest = [prepared.roster.index_of[i] for i in base.selected if i != ident]
        broken = check_selection(effective, prepared.roster, prepared.overlap, rest)
        named = rules_it_serves(effective, prepared, position, base)
        assert bool(named) == bool(broken), (ident, named, broken)
        assert all(reason.startswith("without it, ") for reason in named)
        all_named += named
        answer = explain(scenario, ident, prepared=prepared)
        assert all(reason in answer.reasons for reason in named)
    assert any("max_share" in reason for reason in all_named)  # the brief is tight there


def test_a_package_deal_that_lapses_without_a_pick_names_the_budget(tmp_path: Path) -> None:
    """Three offers of one creator at half price (150 in all) fill a budget of 150; without
    one of them the deal lapses and the other two cost 200. The re-check's rules, measured
    with and without the pick, name that: the budget is what keeps the offer in."""
    import pandas as pd
    from conftest import make_scenario

    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c", "d"],
            "creator": ["x", "x", "x", "y"],
            "followers": 20_000,
            "cost": [100, 100, 100, 160],
            "platform": "instagram",
            "niche": "beauty",
            "expected_reach": 1_000,
            "expected_engagement": [50, 50, 50, 100],
            "expected_conversions": 1.0,
        }
    )
    rules = {"package_discount": {"min_offers": 3, "discount": 0.5}}
    settings = {"budget": 150, "objective": {"engagement": 1}, "constraints": rules}
    scenario = make_scenario(tmp_path, roster, settings)
    base = solve(scenario)
    assert sorted(base.selected) == ["a", "b", "c"] and base.kpis["spend"] == pytest.approx(150)
    answer = explain(scenario, "a")
    assert (
        "without it, the budget 150 fails: its package deal would lapse and the others would "
        "cost 200"
    ) in answer.reasons
