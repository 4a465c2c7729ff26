"""Bertsimas–Sim robust objective: the MIP optimum equals brute force over every subset."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pulp
import pytest

from optimizer.robust import (
    ROW_PREFIX,
    apply_budgeted_robustness,
    protection,
    robust_value,
)

CV = 0.4


def knapsack(
    values: np.ndarray, costs: np.ndarray, budget: float
) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """max Σ v x s.t. Σ c x ≤ budget, x binary."""
    problem = pulp.LpProblem("knap", pulp.const.LpMaximize)
    x = problem.add_variable_matrix("x", range(len(values)), cat="Binary")
    problem.setObjective(pulp.lpSum_vars_coefs(list(zip(x, values.tolist(), strict=True))))
    spend = pulp.lpSum_vars_coefs(list(zip(x, costs.tolist(), strict=True)))
    problem.addConstraint(spend <= budget, "budget")
    return problem, x


def solve(problem: pulp.LpProblem, x: list[pulp.LpVariable]) -> tuple[float, list[bool]]:
    stats = problem.solve(pulp.HiGHS(msg=False, mip_rel_gap=0.0))
    assert stats.status_str == "Optimal"
    picked = [(var.varValue or 0.0) > 0.5 for var in x]
    return float(problem.objective.value()), picked


def best_subset(
    values: np.ndarray, deviations: np.ndarray, costs: np.ndarray, budget: float, gamma: float
) -> tuple[float, tuple[bool, ...]]:
    """Best worst-case value over every feasible subset (protection function), and the subset."""
    best: tuple[float, tuple[bool, ...]] = (0.0, (False,) * len(values))
    for bits in itertools.product([False, True], repeat=len(values)):
        picked = np.array(bits)
        if costs[picked].sum() <= budget + 1e-9:
            value = robust_value(values, deviations, picked, gamma)
            if value > best[0] + 1e-12:
                best = (value, bits)
    return best


def brute_force(
    values: np.ndarray, deviations: np.ndarray, costs: np.ndarray, budget: float, gamma: float
) -> float:
    """Best worst-case value over every feasible subset."""
    return best_subset(values, deviations, costs, budget, gamma)[0]


def instance(seed: int, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    rng = np.random.default_rng(seed)
    values = rng.uniform(1, 20, n).round(2)
    # similar value per cost but very different deviations: robustness changes the best subset
    deviations = (values * rng.uniform(0.05, 1.0, n)).round(2)
    costs = (values * rng.uniform(0.8, 1.2, n)).round(2)
    return values, deviations, costs, float(costs.sum() * 0.5)


def test_protection_function_by_hand() -> None:
    deviations = [5.0, 1.0, 3.0, 4.0]
    picked = [True, True, True, False]
    assert protection(deviations, picked, 0) == 0
    assert protection(deviations, picked, 1) == 5
    assert protection(deviations, picked, 1.5) == pytest.approx(5 + 0.5 * 3)
    assert protection(deviations, picked, 2) == 8
    assert protection(deviations, picked, 10) == 9  # all picked deviate, no more


@pytest.mark.parametrize("gamma", [0.0, 0.5, 1.0, 1.7, 2.0, 3.25, 8.0])
@pytest.mark.parametrize("seed", range(6))
def test_mip_equals_brute_force(seed: int, gamma: float) -> None:
    values, deviations, costs, budget = instance(seed, 8)
    problem, x = knapsack(values, costs, budget)
    apply_budgeted_robustness(problem, x, values.tolist(), deviations.tolist(), gamma)
    objective, picked = solve(problem, x)
    expected = brute_force(values, deviations, costs, budget, gamma)
    assert objective == pytest.approx(expected, abs=1e-6)
    # the chosen subset itself attains the optimum under the exact protection function
    assert robust_value(values, deviations, picked, gamma) == pytest.approx(expected, abs=1e-6)


def test_robustness_changes_the_choice_somewhere() -> None:
    """Guards the brute-force test against instances where Γ never changes the best subset."""
    changed = 0
    for seed in range(6):
        values, deviations, costs, budget = instance(seed, 8)
        _, nominal = best_subset(values, deviations, costs, budget, 0)
        _, robust = best_subset(values, deviations, costs, budget, 2)
        changed += nominal != robust
    assert changed >= 3


def test_gamma_zero_is_the_nominal_optimum() -> None:
    values, deviations, costs, budget = instance(11, 10)
    plain, x_plain = knapsack(values, costs, budget)
    nominal_objective, nominal_pick = solve(plain, x_plain)
    problem, x = knapsack(values, costs, budget)
    rows = apply_budgeted_robustness(problem, x, values.tolist(), deviations.tolist(), 0.0)
    objective, picked = solve(problem, x)
    assert objective == pytest.approx(nominal_objective)
    assert picked == nominal_pick
    assert rows.rows == 0 and rows.z is None


def test_rows_are_named_and_other_objective_terms_kept() -> None:
    values, deviations, costs, budget = instance(3, 5)
    problem, x = knapsack(values, costs, budget)
    extra = problem.add_variable("bonus", lowBound=0, upBound=1)
    problem.setObjective(problem.objective + 7.0 * extra + 2.5)
    rows = apply_budgeted_robustness(problem, x, values.tolist(), deviations.tolist(), 1.0)
    names = {row.name for row in problem.constraints()}
    assert {f"{ROW_PREFIX}{k}" for k in range(5)} <= names
    assert rows.rows == 5
    objective, picked = solve(problem, x)
    expected = brute_force(values, deviations, costs, budget, 1.0) + 7.0 + 2.5
    assert objective == pytest.approx(expected, abs=1e-6)
    assert rows.protection_value() == pytest.approx(protection(deviations, picked, 1.0), abs=1e-6)


def test_large_gamma_protects_against_every_pick() -> None:
    values, deviations, costs, budget = instance(5, 8)
    problem, x = knapsack(values, costs, budget)
    apply_budgeted_robustness(problem, x, values.tolist(), deviations.tolist(), 100.0)
    objective, _ = solve(problem, x)
    worst = brute_force(values - deviations, np.zeros(8), costs, budget, 0)
    assert math.isclose(objective, worst, abs_tol=1e-6)


def test_rejects_minimisation_and_bad_gamma() -> None:
    problem = pulp.LpProblem("min", pulp.const.LpMinimize)
    x = problem.add_variable_matrix("x", range(2), cat="Binary")
    with pytest.raises(ValueError, match="minimises"):
        apply_budgeted_robustness(problem, x, [1.0, 1.0], [0.1, 0.1], 1)
    values, deviations, costs, budget = instance(0, 3)
    problem, x = knapsack(values, costs, budget)
    with pytest.raises(ValueError, match="gamma"):
        apply_budgeted_robustness(problem, x, values.tolist(), deviations.tolist(), -1)
