"""The fast path and the greedy against brute force on the oracle's small instances."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario
from test_oracle import SEEDS, case

from optimizer import Status, solve
from optimizer.arrays import build_arrays
from optimizer.bounds import lp_bound
from optimizer.candidates import select_candidates
from optimizer.diagnose import include_clashes
from optimizer.engine import prepare
from optimizer.fastpath import _fixings, method_for
from optimizer.greedy import greedy_portfolio
from optimizer.verify import check_selection


def _scenario(seed, tmp_path, strategy="fast"):
    instance, data, found = case(seed)
    settings = {**instance.scenario["solver"], "strategy": strategy}
    scenario_dict = {**instance.scenario, "solver": settings}
    scenario = make_scenario(
        tmp_path, instance.roster, scenario_dict, instance.pairs, fmt=instance.fmt
    )
    return scenario, data, found


@pytest.mark.parametrize("seed", SEEDS)
def test_fast_path_equals_brute_force(seed, tmp_path):
    scenario, _data, found = _scenario(seed, tmp_path)
    result = solve(scenario)
    if found.best is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL, result.model_size
    assert result.model_size["method"] == "fast"
    assert math.isclose(result.objective, found.best_value, rel_tol=1e-9, abs_tol=1e-6)
    assert result.gap is not None and result.gap <= 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_greedy_is_verified_and_never_above_the_optimum(seed, tmp_path):
    scenario, _data, found = _scenario(seed, tmp_path)
    prepared = prepare(scenario)
    if include_clashes(scenario, prepared.roster, select_candidates(scenario, prepared.roster)):
        return
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    greedy = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    if greedy is None:
        return
    assert found.best is not None
    assert check_selection(scenario, prepared.roster, prepared.overlap, greedy.picked) == []
    assert greedy.value <= model.sense_value(found.best_value) + 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_reduced_cost_fixing_keeps_the_optimum(seed, tmp_path):
    """Fixing against the optimum itself (the strongest incumbent) removes none of its picks."""
    scenario, _data, found = _scenario(seed, tmp_path)
    if found.best is None:
        return
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    bound, _answer = lp_bound(model)
    assert bound is not None
    best_slots = model.slots_of(sorted(found.best))
    optimum = model.sense_value(found.best_value)
    for incumbent in (optimum, optimum - 1.0, optimum - abs(optimum) / 10):
        fixed = _fixings(model, bound, incumbent)
        assert not np.any(fixed[best_slots] == 0), seed
        outside = np.setdiff1d(np.arange(model.n), best_slots)
        assert not np.any(fixed[outside] == 1), seed


def test_auto_takes_the_fast_path_only_for_large_rosters(tmp_path):
    scenario, _data, _found = _scenario(0, tmp_path, strategy="auto")
    assert method_for(scenario, 100)[0] == "full"
    assert method_for(scenario, 50_000)[0] == "fast"
    full, _data, _found = _scenario(0, tmp_path, strategy="full")
    assert method_for(full, 50_000) == ("full", None)


def test_families_the_arrays_lack_fall_back_to_the_full_model(tmp_path):
    scenario, _data, _found = _scenario(0, tmp_path)
    rules = scenario.constraints.model_dump(exclude_unset=True)
    discounted = scenario.with_overrides(
        {**rules, "package_discount": {"min_offers": 2, "discount": 0.1}}
    )
    method, reason = method_for(discounted, 50_000)
    assert method == "full" and "package_discount" in reason


@pytest.mark.parametrize("seed", SEEDS)
def test_rounding_keeps_an_optimal_portfolio(seed, tmp_path):
    """Rounding an integral, optimal x (as if the LP were integral) gives a portfolio worth
    the optimum: nothing of it is shed and nothing better can be added."""
    from optimizer.greedy import round_lp

    scenario, _data, found = _scenario(seed, tmp_path)
    if found.best is None:
        return
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    x = np.zeros(model.n)
    x[model.slots_of(sorted(found.best))] = 1.0
    rounded = round_lp(model, x)
    picked = [int(p) for p in model.positions[rounded > 0.5]]
    assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []
    assert model.objective(rounded) == pytest.approx(model.sense_value(found.best_value), abs=1e-6)


def test_greedy_comes_back_to_a_pick_a_spend_share_minimum_held_off(tmp_path):
    """The best value per cost is a macro, but micro must be ≥ 50 % of spend: the macro waits
    until two micros are in, then fits (an older greedy dropped it for good)."""
    roster = pd.DataFrame(
        {
            "id": ["mac", "mic1", "mic2", "mic3"],
            "followers": [500_000, 20_000, 20_000, 20_000],
            "cost": [100, 100, 100, 100],
            "expected_conversions": [50.0, 10.0, 9.0, 8.0],
        }
    )
    scenario = make_scenario(
        tmp_path,
        roster,
        {
            "budget": 300,
            "objective": {"conversions": 1},
            "constraints": {"mix": {"tier": {"micro": {"min_share": 0.5}}}},
            "solver": {"strategy": "fast"},
        },
    )
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    greedy = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    assert greedy is not None
    ids = sorted(prepared.roster.frame["id"].to_numpy()[greedy.picked].tolist())
    assert ids == ["mac", "mic1", "mic2"]
    assert solve(scenario).objective == pytest.approx(69.0)


@pytest.mark.parametrize("seed", SEEDS[:12])
def test_bulk_picks_equal_one_by_one(seed, tmp_path):
    """The greedy's vectorised add_all leaves the same row activities and pair penalties as
    adding the same influencers one at a time."""
    from optimizer.greedy import _State

    scenario, _data, _found = _scenario(seed, tmp_path)
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    slots = np.random.default_rng(seed).permutation(model.n)[: max(1, model.n // 2)]
    one_by_one, bulk = _State(model), _State(model)
    for j in slots.tolist():
        one_by_one.change(j, 1.0)
    bulk.add_all(slots)
    assert np.array_equal(one_by_one.x, bulk.x)
    assert np.allclose(one_by_one.act, bulk.act)
    assert np.allclose(one_by_one.pen_obj, bulk.pen_obj)
    assert np.allclose(one_by_one.pen_reach, bulk.pen_reach)


def _polished(scenario, monkeypatch, extra: int):
    """(model, rounded incumbent value, polished x or None, LP bound) for ``scenario``."""
    import time

    from optimizer import fastpath
    from optimizer.greedy import round_lp

    monkeypatch.setattr(fastpath, "POLISH_EXTRA", extra)
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    bound, answer = lp_bound(model)
    assert bound is not None and answer.x is not None
    best = fastpath._Best()
    best.offer(scenario, prepared.roster, prepared.overlap, model, round_lp(model, answer.x))
    deadline = fastpath.Deadline.start(time.perf_counter(), None)
    x = fastpath._polish(model, bound, answer.x, best, deadline, scenario.solver)
    if x is not None:
        picked = [int(p) for p in model.positions[x > 0.5]]
        assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []
        assert model.objective(x) >= best.value - 1e-6  # warm-started from the incumbent
        assert model.objective(x) <= bound.value + 1e-6
    return model, best.value, x, bound


@pytest.mark.parametrize("seed", SEEDS)
def test_polishing_is_verified_and_never_above_the_optimum(seed, tmp_path, monkeypatch):
    scenario, _data, found = _scenario(seed, tmp_path)
    if found.best is None:  # an optimum exists, so no include clashes with a filter
        return
    model, _rounded, x, _bound = _polished(scenario, monkeypatch, extra=1)
    if x is not None:
        assert model.objective(x) <= model.sense_value(found.best_value) + 1e-6


def test_polishing_and_the_fast_path_on_a_mid_size_roster(tmp_path, monkeypatch):
    """300 candidates: the neighbourhood (LP support, picks, 50 least settled) is a real
    subset; what it finds is verified, at least the rounding and at most the optimum the full
    model proves, and the whole fast path reaches that optimum."""
    from optimizer import load_scenario
    from optimizer.engine import with_solver_overrides
    from optimizer.synthetic import write_instance

    scenario = load_scenario(write_instance(tmp_path, 300, "typical", seed=0))
    model, rounded, x, _bound = _polished(scenario, monkeypatch, extra=50)
    assert x is not None
    full = solve(with_solver_overrides(scenario, strategy="full", gap=1e-9))
    assert full.status is Status.OPTIMAL
    assert rounded - 1e-6 <= model.objective(x) <= model.sense_value(full.objective) + 1e-6
    fast = solve(with_solver_overrides(scenario, strategy="fast", gap=1e-9))
    assert fast.model_size["method"] == "fast"
    assert fast.objective == pytest.approx(full.objective, rel=1e-9)


def test_the_greedy_reaches_a_spend_floor_the_influencer_cap_would_block(tmp_path, monkeypatch):
    """Adversarial 1,000 (seed 1): spend floor 30 % of budget, influencer cap, tight spend
    shares. Cheap picks fill the cap before the floor; among the candidates dear enough
    (:func:`optimizer.greedy.dear_enough`) the greedy finds a verified portfolio, below the
    certified bound."""
    from optimizer import greedy, load_scenario
    from optimizer.synthetic import write_instance

    scenario = load_scenario(write_instance(tmp_path, 1000, "adversarial", seed=1))
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    dear = greedy.dear_enough(model)
    assert dear is not None and 0 < dear.sum() < model.n
    found = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    assert found is not None
    assert check_selection(scenario, prepared.roster, prepared.overlap, found.picked) == []
    bound, _answer = lp_bound(model)
    assert bound is not None and found.value <= bound.value
    monkeypatch.setattr(greedy, "dear_enough", lambda model: None)
    assert greedy_portfolio(scenario, prepared.roster, prepared.overlap, model) is None
    monkeypatch.undo()

    # the try among the dear ones by value comes before the slow tries by amount
    tries: list[tuple[bool, int]] = []
    cover = greedy._cover

    def recording(state, alive, deadline, by_amount=False):
        tries.append((by_amount, int(alive.sum())))
        return cover(state, alive, deadline, by_amount)

    monkeypatch.setattr(greedy, "_cover", recording)
    x = greedy.greedy_slots(model)
    picked = [int(p) for p in model.positions[x > 0.5]]
    assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []
    n, few = model.n, int(dear.sum())  # each try covers twice (before and after the fill)
    assert tries[:4] == [(False, n), (False, n), (False, few), (False, few)]
    assert tries[4:6] == [(True, n), (True, n)]  # here the tries by value all fail
