"""What HiGHS claims is checked, not trusted: a warm-started MIP that reports an objective its
solution does not have, or "optimal" with a bound outside the gap, proves nothing and is run
again without the start.

highspy 1.16.0 did exactly that on the knapsack below (found by the property tests): given the
greedy portfolio (86.4) as a start it answered "optimal", returned the start, and reported the
LP bound (90.6) as its objective; the optimum is 90.0. pyproject keeps highspy below 1.16; the
checks stay for whatever version comes next.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from conftest import make_scenario

from optimizer import Status, bounds, solve
from optimizer.arrays import build_arrays
from optimizer.engine import prepare, with_solver_overrides
from optimizer.solver import outside_gap

COSTS = [1654, 10, 10, 10, 996, 10, 776, 10, 110, 182, 1148, 285, 1662, 154, 10, 10, 10]
COSTS += [4690, 10, 346, 10, 10]
CONVERSIONS = [2.1, 0.1, 0, 0, 0, 0.1, 0, 0, 0.2, 0.3, 2.0, 0.1, 5.6, 0.1, 0, 3.6, 0, 8.1, 0]
CONVERSIONS += [3.5, 5.5, 14.0]
BUDGET = 9841


def knapsack_optimum(costs: list[int], values: list[float], budget: int) -> float:
    """The 0/1 knapsack optimum by dynamic programming over whole currency units."""
    best = np.zeros(budget + 1)
    for cost, value in zip(costs, values, strict=True):
        if cost <= budget:
            best[cost:] = np.maximum(best[cost:], best[: budget + 1 - cost] + value)
    return float(best[-1])


@pytest.fixture
def knapsack(tmp_path):
    n = len(COSTS)
    roster = pd.DataFrame(
        {
            "id": [f"p{k:02d}" for k in range(n)],
            "followers": 500,
            "cost": COSTS,
            "platform": "instagram",
            "authenticity": 0.5,
            "expected_reach": 0,
            "expected_engagement": 0,
            "expected_conversions": CONVERSIONS,
        }
    )
    scenario = {
        "budget": BUDGET,
        "objective": {"reach": 0.0, "engagement": 0.0, "conversions": 2.0},
        "solver": {"gap": 0, "time_limit": 30},
    }
    return make_scenario(tmp_path, roster, scenario)


@pytest.mark.parametrize("strategy", ["full", "fast"])
def test_the_warm_started_knapsack_reaches_its_optimum(knapsack, strategy):
    optimum = knapsack_optimum(COSTS, [2 * c for c in CONVERSIONS], BUDGET)
    assert optimum == pytest.approx(90.0)
    result = solve(with_solver_overrides(knapsack, strategy=strategy))
    assert result.status == "optimal"
    assert result.objective == pytest.approx(optimum, abs=1e-9)
    assert result.bound == pytest.approx(optimum, abs=1e-6)


def test_optimal_with_a_bound_outside_the_gap_is_not_trusted():
    assert outside_gap(86.4, 90.6, 0.0)
    assert outside_gap(86.4, 90.6, 0.04)  # 4.9 % apart
    assert not outside_gap(86.4, 90.6, 0.05)
    assert not outside_gap(90.0, 90.0 + 5e-7, 0.0)  # within the solvers' absolute gap
    assert not outside_gap(-90.0, -90.0, 0.0)
    assert not outside_gap(None, 90.6, 0.0)


class _Claims:
    """A finished HiGHS run that says what it is told (its model: max 4·x0 + 3·x1 + 1)."""

    def __init__(self, claimed: float) -> None:
        import highspy

        self.status = highspy.HighsModelStatus.kOptimal
        self.claimed = claimed

    def getModelStatus(self):
        return self.status

    def getInfo(self):
        return SimpleNamespace(
            primal_solution_status=2, objective_function_value=self.claimed, mip_dual_bound=8.0
        )

    def getSolution(self):
        return SimpleNamespace(col_value=[1.0, 0.0], dual_valid=False)

    def getLp(self):
        return SimpleNamespace(col_cost_=[4.0, 3.0], offset_=1.0)


def _two_slot_model(knapsack):
    prepared = prepare(knapsack)
    model = build_arrays(knapsack, prepared.roster, prepared.overlap)
    sub = bounds.SubModel(cols=np.array([0, 1]), pairs=np.zeros(0, dtype=np.int64), n_rows=1)
    return model, sub


def test_a_misreported_mip_objective_is_neither_a_proof_nor_a_bound(knapsack):
    model, sub = _two_slot_model(knapsack)
    honest = bounds.read_answer(model, _Claims(5.0), sub, True, 0.1)
    assert (honest.status, honest.objective, honest.mip_bound) == ("optimal", 5.0, 8.0)
    assert not honest.misreported
    lying = bounds.read_answer(model, _Claims(8.0), sub, True, 0.1)
    assert lying.misreported
    assert (lying.status, lying.objective, lying.mip_bound) == ("feasible", 5.0, None)
    assert lying.x is not None and lying.x[0] == 1.0


def test_a_misreported_warm_start_is_solved_again_without_it(knapsack, monkeypatch):
    model, _sub = _two_slot_model(knapsack)
    starts: list[bool] = []
    read = bounds.read_answer

    def first_misreported(model, h, sub, integer, seconds):
        answer = read(model, h, sub, integer, seconds)
        if not starts[-1]:
            return answer
        return bounds.HighsAnswer("feasible", answer.x, 0.0, None, None, None, 0.0, True)

    real_build = bounds.build_highs

    def recording_build(model, cols, integer, fixed_one=None, threads=None):
        h, sub = real_build(model, cols, integer, fixed_one, threads)
        original = h.setSolution
        starts.append(False)

        def noting(*args):
            starts[-1] = True
            return original(*args)

        h.setSolution = noting
        return h, sub

    monkeypatch.setattr(bounds, "read_answer", first_misreported)
    monkeypatch.setattr(bounds, "build_highs", recording_build)
    cols = np.arange(model.n)
    answer = bounds.solve_sub(model, cols, True, gap=0.0, start=np.zeros(model.n))
    assert starts == [True, False]
    assert answer.status == "optimal" and not answer.misreported
    assert model.reported(answer.objective) == pytest.approx(90.0)


class _Answered:
    """A PuLP problem whose solve reports what it is told (no solver runs)."""

    def __init__(self, objective: float, bound: float) -> None:
        self.sense = -1  # pulp.const.LpMaximize
        self.stats = SimpleNamespace(
            status=1, has_solution=True, objective=objective, best_bound=bound, gap_rel=0.0
        )

    def solve(self, solver):
        return self.stats


@pytest.mark.parametrize(
    ("name", "bound", "expected"),
    [("highs", 90.6, "feasible"), ("highs", 86.4, "optimal"), ("cbc", 87.0, "optimal")],
)
def test_run_trusts_optimal_only_with_a_bound_within_the_gap(name, bound, expected):
    """HiGHS's "optimal" with a bound 4.9 % away is a portfolio, not a proof (and its bound is
    dropped). CBC may prune up to its cutoff increment on integral objectives: its claim stands."""
    from optimizer.scenario import SolverSettings
    from optimizer.solver import run

    settings = SolverSettings(name=name, gap=0.0)
    outcome = run(_Answered(86.4, bound), settings, solver=object())
    assert outcome.status == expected
    assert outcome.misreported is (expected == "feasible")
    assert outcome.objective == 86.4
    assert outcome.bound == (None if expected == "feasible" else bound)


def test_the_full_path_solves_a_misreported_warm_start_again_without_it(knapsack, monkeypatch):
    from optimizer import fullpath
    from optimizer.solver import SolveOutcome, Status

    real_run = fullpath.run
    warm_starts: list[bool] = []

    def first_misreported(problem, settings, solver):
        warm_starts.append(bool(solver.optionsDict.get("warmStart")))
        outcome = real_run(problem, settings, solver)
        if len(warm_starts) > 1:
            return outcome
        return SolveOutcome(Status.FEASIBLE, 86.4, 90.6, None, 0.0, "highs", misreported=True)

    monkeypatch.setattr(fullpath, "run", first_misreported)
    result = solve(with_solver_overrides(knapsack, strategy="full"))
    assert warm_starts == [True, False]
    assert result.status == "optimal"
    assert result.objective == pytest.approx(90.0)


def test_a_bound_on_the_wrong_side_of_the_solution_is_no_bound() -> None:
    """CBC stopped within milliseconds once gave a maximising bound of −2.5e10 for a solution
    worth 3,262: no valid bound lies below a solution when maximising (above, minimising)."""
    import pulp

    from optimizer.solver import _wrong_side

    most, least = pulp.LpProblem("m", pulp.LpMaximize), pulp.LpProblem("l", pulp.LpMinimize)
    assert _wrong_side(most, 3262.175, -25_075_189_000.0)
    assert not _wrong_side(most, 3262.175, 3262.175)
    assert not _wrong_side(most, 3262.175, 3300.0)
    assert _wrong_side(least, 3150.0, 3200.0)
    assert not _wrong_side(least, 3150.0, 3100.0)
    assert not _wrong_side(least, 3150.0, None)


class _SlowInfeasible:
    """A PuLP problem whose solve says "infeasible" after ``seconds`` (no solver runs)."""

    sense = -1

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def solve(self, solver):
        import time

        time.sleep(self.seconds)
        return SimpleNamespace(
            status=-1, has_solution=False, objective=None, best_bound=None, gap_rel=None
        )


@pytest.mark.parametrize(
    ("name", "limit", "expected"),
    [("cbc", 0.01, "no_solution"), ("cbc", 30.0, "infeasible"), ("highs", 0.01, "infeasible")],
)
def test_cbc_infeasible_at_its_time_limit_is_no_proof(name, limit, expected):
    """CBC stopped by a limit of milliseconds has answered "infeasible" for feasible briefs."""
    from optimizer.scenario import SolverSettings
    from optimizer.solver import run

    settings = SolverSettings(name=name, time_limit=limit)
    assert run(_SlowInfeasible(0.02), settings, solver=object()).status == expected


def test_a_claimed_optimum_that_fails_the_recheck_gives_way_to_the_greedy(knapsack, monkeypatch):
    """CBC stopped within milliseconds has called its LP solution optimal; the full path sets
    such an answer aside (no portfolio, no bound from it) and keeps the greedy portfolio."""
    from optimizer import fullpath
    from optimizer.solver import SolveOutcome, Status

    def lp_answer(problem, settings, solver):
        for var in problem.variables():
            var.varValue = 1.0  # everyone: far over the budget
        return SolveOutcome(Status.OPTIMAL, 999.0, 999.0, 0.0, 0.01, "cbc")

    monkeypatch.setattr(fullpath, "run", lp_answer)
    result = solve(with_solver_overrides(knapsack, strategy="full"))
    assert result.status == "feasible"
    assert result.bound is None
    assert result.model_size.get("fallback") == "greedy (solver stopped first)"
    assert result.kpis["spend"] <= BUDGET


def test_the_engine_keeps_a_cbc_optimal_claim_that_run_trusts(knapsack, monkeypatch):
    """A CBC "optimal" with its bound a cutoff increment away stands (see above); the engine's
    check of the gap to the exact value is for Sainsbury reach only, and must not undo it."""
    from dataclasses import replace

    from optimizer import fullpath
    from optimizer.engine import with_solver_overrides

    real = fullpath.run

    def cbc_like(problem, settings, solver):
        outcome = real(problem, settings, solver)
        return replace(outcome, bound=outcome.objective + 0.6, solver="cbc")

    monkeypatch.setattr(fullpath, "run", cbc_like)
    result = solve(with_solver_overrides(knapsack, strategy="full"))
    assert result.status is Status.OPTIMAL
    assert result.bound == pytest.approx(result.objective + 0.6)
