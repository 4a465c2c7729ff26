"""The full path's greedy start for scenarios the array model does not cover (coverage and
Sainsbury reach, robust mode, package deals): the greedy of a stand-in, re-checked against the
brief itself, is the floor and the answer when the model's build passes the deadline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from test_coverage import coverage_scenario, membership_frame, roster_frame
from test_sainsbury import instance, segment_scenario

from optimizer import Status, solve
from optimizer.arrays import unsupported_reason
from optimizer.candidates import select_candidates
from optimizer.engine import prepare, with_solver_overrides
from optimizer.model import BuildOverrun
from optimizer.verify import check_selection


def _coverage(tmp_path: Path, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    settings = {"budget": 2500, "objective": {"reach": 1, "engagement": 2}}
    return coverage_scenario(
        tmp_path, roster_frame(rng, 12), membership_frame(rng, 12, 40), settings
    )


def _sainsbury(tmp_path: Path, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    roster, shares, sizes = instance(rng, 10)
    settings = {"budget": 4000, "objective": {"reach": 1}}
    return segment_scenario(tmp_path, roster, shares, sizes, settings)


def _robust(tmp_path: Path, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    settings = {"budget": 2500, "objective": {"engagement": 1}, "robust": {"gamma": 2, "cv": 0.3}}
    return make_scenario(tmp_path, roster_frame(rng, 12), settings)


def _package(tmp_path: Path, seed: int) -> Any:
    rng = np.random.default_rng(seed)
    roster = roster_frame(rng, 12)
    roster["creator"] = [f"cr{k // 3}" for k in range(12)]  # three offers per creator
    rules = {"package_discount": {"min_offers": 2, "discount": 0.2}, "min_spend": 1500}
    settings = {"budget": 2500, "objective": {"engagement": 1}, "constraints": rules}
    return make_scenario(tmp_path, roster, settings)


KINDS = {"coverage": _coverage, "sainsbury": _sainsbury, "robust": _robust, "package": _package}


def _start(scenario: Any) -> tuple[Any, Any]:
    from optimizer.fullpath import greedy_start

    prepared = prepare(scenario)
    candidates = select_candidates(scenario, prepared.roster)
    return prepared, greedy_start(scenario, prepared.roster, prepared.overlap, candidates)


def _no_build(monkeypatch: pytest.MonkeyPatch) -> None:
    from optimizer import fullpath

    def overrun(*args: Any, **kwargs: Any) -> Any:  # as if the deadline came in the build
        raise BuildOverrun

    monkeypatch.setattr(fullpath, "build_model", overrun)


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_the_stand_ins_greedy_is_a_valid_floor_of_the_brief(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, seed: int
) -> None:
    scenario = KINDS[kind](tmp_path, seed)
    assert unsupported_reason(scenario) is not None  # the array model cannot take it
    prepared, start = _start(scenario)
    assert start is not None
    assert check_selection(scenario, prepared.roster, prepared.overlap, start.picked) == []
    optimum = solve(scenario, prepared=prepared)
    # Sainsbury: proven for the tangent model, `feasible` when that is not within the gap
    assert optimum.status is Status.OPTIMAL or kind == "sainsbury"
    assert optimum.bound is not None
    robust = optimum.robust["worst_case_value"] if optimum.robust else None
    # the model's objective: the worst case in robust mode, the tangents' reach for Sainsbury
    assert start.value <= (optimum.bound if robust is None else robust) * (1 + 1e-9)

    _no_build(monkeypatch)
    fallback = solve(scenario, prepared=prepared)  # the engine re-checks it, value included
    assert fallback.status is Status.FEASIBLE
    assert fallback.model_size["fallback"] == "greedy (the model's build passed the time limit)"
    assert fallback.selected == [prepared.roster.ids[p] for p in start.picked]
    assert fallback.bound is None


def test_a_stand_in_portfolio_that_breaks_the_brief_is_no_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairwise reach without an overlap file counts the audiences of a and b twice; their
    union (coverage) is one audience, short of the target. The stand-in's greedy takes a and
    b; the re-check refuses them, so there is no start — and no answer past the deadline."""
    roster = pd.DataFrame(
        {
            "id": ["a", "b", "c"],
            "followers": [10_000, 10_000, 10_000],
            "cost": [10, 10, 100],
            "platform": "instagram",
            "niche": "beauty",
            "expected_reach": [100, 100, 60],
            "expected_engagement": [5, 5, 5],
            "expected_conversions": 1.0,
        }
    )
    rows = [(who, f"u{k}", 1) for who in ("a", "b") for k in range(100)]
    rows += [("c", f"v{k}", 1) for k in range(60)]
    members = pd.DataFrame(rows, columns=["influencer", "unit", "weight"])
    settings = {
        "budget": 25,
        "objective": {"engagement": 1},
        "constraints": {"targets": {"reach": 150}},
    }
    scenario = coverage_scenario(tmp_path, roster, members, settings)
    prepared, start = _start(scenario)
    assert start is None
    assert solve(scenario, prepared=prepared).status is Status.INFEASIBLE
    _no_build(monkeypatch)
    assert solve(scenario, prepared=prepared).status is Status.NO_SOLUTION


def test_the_full_paths_greedy_stops_at_the_deadline(tmp_path: Path) -> None:
    """The greedy start reads the clock: with the deadline already past it stops before its
    first pick, and a brief that needs picks gets no start (not a late one)."""
    from optimizer.fullpath import greedy_start
    from optimizer.synthetic import write_instance

    scenario = with_solver_overrides(
        _load(write_instance(tmp_path, 2_000, "typical", seed=2)), strategy="full"
    )
    prepared = prepare(scenario)
    candidates = select_candidates(scenario, prepared.roster)
    args = (scenario, prepared.roster, prepared.overlap, candidates)
    assert greedy_start(*args) is not None
    assert greedy_start(*args, deadline=0.0) is None  # min_influencers unmet: no portfolio


def _load(path: Path) -> Any:
    from optimizer import load_scenario

    return load_scenario(path)


def test_no_time_to_hand_over_is_less_time_left_than_the_build_took() -> None:
    import time

    from optimizer.fullpath import no_time_to_hand_over

    now = time.perf_counter()
    assert not no_time_to_hand_over(None, 100.0)  # no deadline: always time
    assert not no_time_to_hand_over(now + 60.0, 1.0)
    assert no_time_to_hand_over(now + 0.5, 2.0)
    assert no_time_to_hand_over(now - 1.0, 0.0)  # past the deadline


def _sample(time_limit: float) -> Any:
    from optimizer import load_scenario

    launch = Path(__file__).resolve().parents[1] / "scenarios" / "launch.yaml"
    return with_solver_overrides(load_scenario(launch), time_limit=time_limit, strategy="full")


def test_a_model_built_too_late_to_hand_over_is_not_solved(monkeypatch: pytest.MonkeyPatch):
    """A build that leaves less time than it took (0.6 s of a 1 s limit here) is not handed
    to HiGHS: PuLP's hand-over takes about as long and cannot be cut short. The greedy
    portfolio, found first, is the answer, in time."""
    import time

    from optimizer import fullpath

    build = fullpath.build_model

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        built = build(*args, **kwargs)
        time.sleep(0.6)
        return built

    monkeypatch.setattr(fullpath, "build_model", slow_build)
    handed_over: list[bool] = []
    monkeypatch.setattr(fullpath, "run_full", lambda *a, **k: handed_over.append(True))
    scenario = _sample(1.0)
    started = time.perf_counter()
    result = solve(scenario)
    assert time.perf_counter() - started < 1.0 + 20.0  # shared CI machines
    assert not handed_over
    assert result.status is Status.FEASIBLE and result.selected and result.bound is None
    assert result.model_size["fallback"] == fullpath.NO_TIME_TO_HAND_OVER


def test_a_solver_reached_past_the_deadline_is_not_started() -> None:
    import time

    import pulp

    import optimizer.bounds as bounds
    from optimizer.fastpath import Abandoned
    from optimizer.fullpath import deadline_solver
    from optimizer.scenario import SolverSettings
    from optimizer.solver import run

    problem = pulp.LpProblem("tiny", pulp.LpMaximize)
    x = problem.add_variable("x", 0, 1, cat="Binary")
    problem += x
    problem += x <= 1
    settings = SolverSettings()
    with pytest.raises(Abandoned):
        run(problem, settings, deadline_solver(settings, time.perf_counter() - 1.0))
    assert bounds.abandoned_runs() == 0  # nothing started, nothing left running
    assert run(problem, settings, deadline_solver(settings, None)).objective == pytest.approx(1)


def test_the_robust_rows_stop_at_the_builds_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The protection rows (one per pick) are a long loop of the build: past the deadline it
    stops inside them, not after them."""
    import time

    import optimizer.model as model
    from optimizer.robust import make_robust

    scenario = _robust(tmp_path, 0)
    prepared = prepare(scenario)
    built = model.build_model(scenario, prepared.roster, prepared.overlap)
    rows = built.problem.numConstraints()
    monkeypatch.setattr(model, "ROWS_PER_CLOCK_CHECK", 1)
    built.deadline = time.perf_counter() - 1.0
    with pytest.raises(BuildOverrun) as stopped:
        make_robust(built, scenario, prepared.roster, 2, 0.3)
    assert any(entry.name == "apply_budgeted_robustness" for entry in stopped.traceback)
    assert built.problem.numConstraints() == rows  # not one protection row added


def test_the_fallback_says_why_the_full_model_and_why_the_greedy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """From 500 candidates a robust brief takes the full model for a reason; when its build
    passes the deadline the answer is the greedy's for another: `fallback` names both."""
    from optimizer.synthetic import write_instance

    path = write_instance(tmp_path, 600, "typical", seed=4)
    scenario = _load(path).with_overrides({"robust": {"gamma": 2, "cv": 0.3}})
    _no_build(monkeypatch)
    result = solve(scenario)
    assert result.status is Status.FEASIBLE and result.selected
    assert result.model_size["method"] == "full"
    assert result.model_size["fallback"] == (
        "fast path does not cover robust mode; greedy (the model's build passed the time limit)"
    )
