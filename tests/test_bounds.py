"""Certified bounds: the dual bound is ≥ the brute-force optimum on every small instance.

The bound of :mod:`optimizer.bounds` holds for *any* row multipliers, so it is checked for
the multipliers of the full LP, of a restricted LP (half the candidates), and for random ones.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_scenario
from test_oracle import SEEDS, case

from optimizer.arrays import build_arrays
from optimizer.bounds import dual_bound, kept_row_bound, lp_bound, solve_sub
from optimizer.candidates import select_candidates
from optimizer.diagnose import include_clashes
from optimizer.engine import prepare


def _model(seed, tmp_path):
    instance, _data, found = case(seed)
    scenario = make_scenario(
        tmp_path, instance.roster, instance.scenario, instance.pairs, fmt=instance.fmt
    )
    prepared = prepare(scenario)
    if include_clashes(scenario, prepared.roster, select_candidates(scenario, prepared.roster)):
        return None, None
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    best = None if found.best_value is None else model.sense_value(found.best_value)
    return model, best


@pytest.mark.parametrize("seed", SEEDS)
def test_bounds_are_above_the_brute_force_optimum(seed, tmp_path):
    model, best = _model(seed, tmp_path)
    if model is None or best is None:
        pytest.skip("no portfolio exists")
    tol = 1e-9 * (1 + abs(best))
    bound, answer = lp_bound(model)
    assert answer.status == "optimal"
    assert bound is not None and bound.value >= best - tol
    # the LP optimum itself is close to the certified bound (the bound is not vacuous)
    assert bound.value <= answer.objective + 1e-6 * (1 + abs(answer.objective))
    half = np.arange(0, model.n, 2)
    restricted = solve_sub(model, half, integer=False)
    multipliers = [(answer.pi_rows, answer.pi_pairs)]
    if restricted.pi_rows is not None:
        assert dual_bound(model, restricted.pi_rows, restricted.pi_pairs).value >= best - tol
        multipliers.append((restricted.pi_rows, restricted.pi_pairs))
    rng = np.random.default_rng(seed)
    for _ in range(5):
        pi_rows = rng.normal(0, 5, len(model.lo))
        pi_pairs = rng.normal(0, 5, len(model.pair_i))
        assert dual_bound(model, pi_rows, pi_pairs).value >= best - tol
        multipliers.append((pi_rows, pi_pairs))
    # keeping the budget or count row in the inner maximisation: still a bound, never looser
    for pi_rows, pi_pairs in multipliers:
        kept = kept_row_bound(model, pi_rows, pi_pairs)
        assert best - tol <= kept <= dual_bound(model, pi_rows, pi_pairs).value + tol


def test_reported_bound_is_above_the_optimum(tmp_path):
    """Through the engine (fast path): bound ≥ objective = brute-force optimum."""
    from optimizer import solve

    for seed in SEEDS[:12]:
        instance, data, found = case(seed)
        if found.best is None:
            continue
        scenario_dict = {**instance.scenario, "solver": {"gap": 0, "strategy": "fast"}}
        scenario = make_scenario(tmp_path, instance.roster, scenario_dict, instance.pairs)
        result = solve(scenario)
        if data.minimize:
            assert result.bound <= found.best_value + 1e-6
        else:
            assert result.bound >= found.best_value - 1e-6


@pytest.mark.parametrize("seed", SEEDS)
def test_row_and_column_generation_reaches_the_full_lp(seed, tmp_path):
    """Started from a few columns and no packing rows or pairs, the restricted LP grows to the
    full LP's optimum; every bound on the way is a bound of the whole problem."""
    from optimizer.colgen import column_generation
    from optimizer.fastpath import Deadline

    model, best = _model(seed, tmp_path)
    if model is None or best is None:
        pytest.skip("no portfolio exists")
    tol = 1e-9 * (1 + abs(best))
    full, answer = lp_bound(model)
    assert full is not None and answer.objective is not None
    start = np.arange(0, model.n, 3)
    relaxation = column_generation(model, Deadline(None), None, start)
    bound, x, infeasible = relaxation.bound, relaxation.x, relaxation.infeasible
    assert not infeasible and bound is not None and x is not None
    assert bound.value >= best - tol
    assert bound.value == pytest.approx(full.value, rel=1e-7, abs=1e-6)
    # the LP solution it ends with breaks no row of the full model
    assert np.all(model.A @ x <= model.hi + 1e-6) and np.all(model.A @ x >= model.lo - 1e-6)


def test_a_re_solve_gets_its_own_time_limit():
    """HiGHS measures ``time_limit`` against the run time of the object over *all* its runs;
    a restricted LP is re-solved many times, so each re-solve's limit must count from there
    (an older run_highs stopped a long column generation early, with no LP answer)."""
    import time

    import highspy

    from optimizer.bounds import run_highs

    rng = np.random.default_rng(0)
    n = 2_000
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.addVars(n, np.zeros(n), np.ones(n))
    for _ in range(200):
        index = rng.choice(n, 40, replace=False).astype(np.int32)
        h.addRow(-highspy.kHighsInf, 5.0, len(index), index, rng.random(40))
    while h.getRunTime() < 0.3:  # build up run time over several solves
        h.changeColsCost(n, np.arange(n, dtype=np.int32), -rng.random(n))
        h.run()
    # a real but tiny re-solve (a few columns made attractive: a few simplex iterations, so a
    # loaded machine still finishes it well inside the limit), shorter than the run time so far
    few = rng.choice(n, 5, replace=False).astype(np.int32)
    h.changeColsCost(len(few), few, np.full(len(few), -10.0))
    finished, _seconds = run_highs(h, time.perf_counter() + 0.2)
    assert finished
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    assert h.getInfo().simplex_iteration_count > 0


@pytest.mark.parametrize("seed", range(20))
def test_the_continuous_knapsack_matches_an_lp_solver(seed):
    from scipy.optimize import linprog

    from optimizer.bounds import _knapsack

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 30))
    value = rng.normal(0, 10, n)
    weight = np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0.5, 20, n))
    lb = (rng.random(n) < 0.1).astype(float)
    ub = np.where(rng.random(n) < 0.1, lb, 1.0)
    cap = float(rng.uniform(0, weight.sum() + 1))
    answer = linprog(-value, A_ub=[weight], b_ub=[cap], bounds=list(zip(lb, ub, strict=True)))
    got = _knapsack(value, weight, cap, lb, ub)
    if answer.status == 2:  # the forced ones alone exceed the capacity
        assert got is None
    else:
        assert got == pytest.approx(-answer.fun, rel=1e-9, abs=1e-7)


def test_keeping_the_budget_row_tightens_an_unconverged_bound(tmp_path):
    """A restricted LP on a tenth of a 300-candidate roster leaves many columns with positive
    reduced cost; the budget can pay for few of them, so the kept-row bound is lower — and
    still above the optimum the full model proves."""
    from optimizer import Status, load_scenario, solve
    from optimizer.engine import with_solver_overrides
    from optimizer.synthetic import write_instance

    scenario = load_scenario(write_instance(tmp_path, 300, "typical", seed=0))
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    full = solve(with_solver_overrides(scenario, strategy="full", gap=1e-9))
    assert full.status is Status.OPTIMAL
    optimum = model.sense_value(full.objective)
    restricted = solve_sub(model, np.arange(0, model.n, 10), integer=False)
    assert restricted.pi_rows is not None
    plain = dual_bound(model, restricted.pi_rows, restricted.pi_pairs).value
    kept = kept_row_bound(model, restricted.pi_rows, restricted.pi_pairs)
    assert optimum - 1e-6 <= kept < plain - 1e-6 * abs(plain)


def test_column_generation_stops_once_its_bound_is_close_enough(tmp_path):
    """With a gap asked for, the LP may stop early: its certified bound is still above the
    full LP's optimum (so above the integer optimum), and within the allowed share of the gap
    above it; with no gap asked for it runs to the full LP."""
    from optimizer import load_scenario
    from optimizer.colgen import ENOUGH_SHARE, column_generation, start_scores
    from optimizer.fastpath import Deadline
    from optimizer.synthetic import write_instance

    scenario = load_scenario(write_instance(tmp_path, 3000, "typical", seed=1))
    prepared = prepare(scenario)
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    full, answer = lp_bound(model)
    assert full is not None and answer.objective is not None
    lp_value = answer.objective
    tol = 1e-7 * (1 + abs(lp_value))
    start = np.argsort(-start_scores(model))[:10]  # a few columns: several rounds to go
    complete = column_generation(model, Deadline(None), None, start)
    assert complete.certified == pytest.approx(full.value, rel=1e-7, abs=1e-6)
    for gap in (1e-6, 1e-3, 0.05):
        early = column_generation(model, Deadline(None), None, start, gap=gap)
        assert early.bound is not None and early.x is not None
        assert lp_value - tol <= early.certified <= lp_value * (1 + ENOUGH_SHARE * gap) + tol
        assert early.columns <= complete.columns
    # on this instance the last round is worth skipping at a 5 % gap
    assert early.certified > complete.certified + tol


class _OneRound:
    """A deadline that passes once the first LP round has begun (no clock reading)."""

    at = None

    def __init__(self) -> None:
        self.asked = 0

    def passed(self) -> bool:
        self.asked += 1
        return self.asked > 1


@pytest.mark.parametrize("seed", SEEDS)
def test_a_deadline_while_rows_are_mended_still_gives_a_bound(seed, tmp_path, monkeypatch):
    """Cut short after its first LP (every candidate in, no conflict rows yet), whose solution
    breaks rows (every break counts as many here), column generation had no bound at all;
    the last round's multipliers give one (weak, but valid for any multipliers): ≥ the
    brute-force optimum, also once the budget row is kept (the certified value)."""
    from optimizer import colgen

    model, best = _model(seed, tmp_path)
    if model is None or best is None:
        pytest.skip("no portfolio exists")
    monkeypatch.setattr(colgen, "FEW_BROKEN", 0.0)  # any broken row: mend before a bound
    every = np.arange(model.n)  # all columns, no conflict rows or pairs yet: an LP solution
    relaxation = colgen.column_generation(model, _OneRound(), None, every)
    assert relaxation.bound is not None and relaxation.x is not None
    tol = 1e-9 * (1 + abs(best))
    assert relaxation.bound.value >= best - tol
    assert best - tol <= relaxation.certified <= relaxation.bound.value + tol
