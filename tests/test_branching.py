"""Branching on the LP: its bound stays above the optimum, its hull keeps every better
portfolio, and the fast path with branching forced still reaches the proven optimum."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario
from test_oracle import SEEDS, case

from optimizer import Status, branching, fastpath, load_scenario, solve
from optimizer.arrays import build_arrays
from optimizer.colgen import column_generation
from optimizer.engine import prepare, with_solver_overrides
from optimizer.synthetic import write_instance


def _always_branch(monkeypatch) -> None:
    """Branch whenever the gap is open (normally only when the MIP would be big)."""

    def open_gap(relaxation, best, gap) -> bool:
        if relaxation is None or relaxation.bound is None or best.x is None:
            return False
        return not fastpath._close(relaxation.certified, best, gap)

    monkeypatch.setattr(fastpath, "_worth_branching", open_gap)


def _search(model, incumbent: float, monkeypatch) -> branching.Search | None:
    monkeypatch.setattr(branching, "BRANCH_STALL", 1_000)  # search until the LP budget
    relaxation = column_generation(model, fastpath.Deadline(None), None)
    return branching.search(
        relaxation, lambda: incumbent, lambda x: None, 0.0, fastpath.Deadline(None), 60.0
    )


def _check(model, best_slots: np.ndarray, optimum: float, search) -> None:
    """The search's bound is ≥ the optimum; the optimum lies in the hull; fixing inside the
    hull by the one open branch's bound keeps it."""
    tol = 1e-9 * (1 + abs(optimum))
    assert search.bound >= optimum - tol
    x = np.zeros(model.n)
    x[best_slots] = 1.0
    assert np.all(search.lb <= x) and np.all(x <= search.ub)
    if search.only is not None:
        assert search.only.value >= optimum - tol
        hull = fastpath.replace(model, lb=search.lb, ub=search.ub)
        fixed = fastpath._fixings(hull, search.only, optimum - tol)
        assert not np.any(fixed[best_slots] == 0)
        assert not np.any(fixed[x < 0.5] == 1)


@pytest.mark.parametrize("seed", SEEDS)
def test_branching_keeps_the_brute_force_optimum(seed, tmp_path, monkeypatch):
    instance, _data, found = case(seed)
    if found.best is None:
        pytest.skip("no portfolio exists")
    scenario = make_scenario(
        tmp_path, instance.roster, instance.scenario, instance.pairs, fmt=instance.fmt
    )
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    optimum = model.sense_value(found.best_value)
    best_slots = model.slots_of(sorted(found.best))
    for below in (1e-3 * (1 + abs(optimum)), 0.1 * abs(optimum) + 1.0):
        search = _search(model, optimum - below, monkeypatch)
        if search is not None:
            _check(model, best_slots, optimum, search)


def test_branching_on_a_mid_size_adversarial_roster(tmp_path, monkeypatch):
    """200 adversarial candidates (big items taken fractionally by the LP): the search lowers
    the bound, stays above the optimum the full model proves and keeps its portfolio."""
    scenario = load_scenario(write_instance(tmp_path, 200, "adversarial", seed=0))
    full = solve(with_solver_overrides(scenario, strategy="full", gap=1e-9))
    assert full.status is Status.OPTIMAL
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    optimum = model.sense_value(full.objective)
    best_slots = model.slots_of(sorted(prepared.roster.index_of[i] for i in full.selected))
    root = column_generation(model, fastpath.Deadline(None), None).bound
    assert root is not None
    search = _search(model, optimum * (1 - 1e-3), monkeypatch)
    assert search is not None and search.lps > 0
    _check(model, best_slots, optimum, search)
    assert search.bound < root.value  # it did lower the bound


@pytest.mark.parametrize("seed", SEEDS)
def test_the_fast_path_with_branching_forced_equals_brute_force(seed, tmp_path, monkeypatch):
    instance, _data, found = case(seed)
    settings = {**instance.scenario["solver"], "strategy": "fast", "gap": 0}
    scenario = make_scenario(
        tmp_path,
        instance.roster,
        {**instance.scenario, "solver": settings},
        instance.pairs,
        fmt=instance.fmt,
    )
    _always_branch(monkeypatch)
    result = solve(scenario)
    if found.best is None:
        assert result.status is Status.INFEASIBLE
        return
    assert result.status is Status.OPTIMAL, result.model_size
    assert result.objective == pytest.approx(found.best_value, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize(("family", "size"), [("adversarial", 200), ("typical", 300)])
def test_the_fast_path_with_branching_forced_reaches_the_optimum(
    family, size, tmp_path, monkeypatch
):
    scenario = load_scenario(write_instance(tmp_path, size, family, seed=0))
    full = solve(with_solver_overrides(scenario, strategy="full", gap=1e-9))
    _always_branch(monkeypatch)
    fast = solve(with_solver_overrides(scenario, strategy="fast", gap=1e-9))
    assert full.status is Status.OPTIMAL and fast.status is Status.OPTIMAL
    assert fast.model_size.get("branch_lps", 0) > 0, fast.model_size
    assert fast.objective == pytest.approx(full.objective, rel=1e-9)
    assert fast.bound >= full.objective - 1e-6 * abs(full.objective)


def test_fixing_inside_a_hull_respects_its_bounds(tmp_path):
    """A candidate the hull holds at 0 is fixed at 0 (never at 1, whatever its reduced cost),
    one held at 1 is fixed at 1."""
    scenario = load_scenario(write_instance(tmp_path, 120, "typical", seed=1))
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    relaxation = column_generation(model, fastpath.Deadline(None), None)
    bound = relaxation.bound
    assert bound is not None
    lb, ub = model.lb.copy(), model.ub.copy()
    up = int(np.argmax(bound.d_x))  # the strongest pull towards 1
    down = int(np.argmin(bound.d_x))
    ub[up] = 0.0
    lb[down] = 1.0
    hull = fastpath.replace(model, lb=lb, ub=ub)
    fixed = fastpath._fixings(hull, bound, -np.inf)
    assert fixed[up] == 0 and fixed[down] == 1
