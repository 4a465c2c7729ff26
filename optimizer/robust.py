"""Budgeted-uncertainty robust objective (Bertsimas & Sim, 2004), still a MIP.

Each candidate's value ``v_i`` (budget currency) is nominal; its uncertain part (engagement and
conversions, not reach) may fall short by up to ``d_i = cv × (w_eng·E_i + w_conv·C_i)``.
Nature is allowed to hit at most ``Γ`` of the picked influencers with their full shortfall
(and one more with a fraction ``Γ − ⌊Γ⌋`` of it). The robust plan maximises the worst case:

    max  Σ v_i x_i − β(x, Γ)
    β(x, Γ) = max { Σ d_i x_i u_i : Σ u_i ≤ Γ, 0 ≤ u_i ≤ 1 }      (protection function)

By LP duality β(x, Γ) = min { Γ·z + Σ p_i : z + p_i ≥ d_i x_i, z ≥ 0, p_i ≥ 0 }, so the robust
counterpart stays linear:

    max  Σ v_i x_i − Γ·z − Σ p_i
    s.t. p_i + z ≥ d_i x_i      (row ``robust_protect_<k>``)   z ≥ 0, p_i ≥ 0

Γ = 0 gives the nominal plan; Γ ≥ number of picks protects against every pick falling short
at once (the classic worst case, very conservative). In between, Γ is the number of
influencers you expect could disappoint at the same time.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .funnel import KPI_COLUMNS
from .roster import Roster
from .scenario import Scenario

if TYPE_CHECKING:
    import pulp

    from .model import BuiltModel

ROW_PREFIX = "robust_protect_"
DEFAULT_CV = 0.3


@dataclass
class RobustRows:
    """Handles on what :func:`apply_budgeted_robustness` added to a problem."""

    gamma: float
    z: pulp.LpVariable | None
    p: dict[int, pulp.LpVariable] = field(default_factory=dict)  # x position k → p_k
    rows: int = 0

    def protection_value(self) -> float:
        """Γ·z + Σ p_k after a solve: the protection the solver charged (currency)."""
        if self.z is None:
            return 0.0
        total = self.gamma * (self.z.varValue or 0.0)
        return total + sum(var.varValue or 0.0 for var in self.p.values())


def protection(deviations: Sequence[float], picked: Sequence[bool], gamma: float) -> float:
    """β(x, Γ): the sum of the ⌊Γ⌋ largest deviations among the picked, plus (Γ − ⌊Γ⌋) × the next.

    This is the optimum of the inner LP of the module docstring, computed directly (currency).
    """
    if gamma < 0:
        raise ValueError("gamma must not be negative")
    chosen = np.sort(np.asarray(deviations, dtype=float)[np.asarray(picked, dtype=bool)])[::-1]
    full = min(math.floor(gamma), chosen.size)
    total = float(chosen[:full].sum())
    if full < chosen.size:
        total += (gamma - math.floor(gamma)) * float(chosen[full])
    return total


def worst_case_value(scenario: Scenario, roster: Roster, picked: list[int], value: float) -> float:
    """Value when the Γ worst picks fall short by cv of their uncertain value (currency)."""
    settings = scenario.robust
    if settings is None or not picked:
        return value
    _nominal, deviations = value_coefficients(scenario, roster, picked, settings.cv)
    return value - protection(deviations, [True] * len(picked), settings.gamma)


def robust_value(
    nominal: Sequence[float], deviations: Sequence[float], picked: Sequence[bool], gamma: float
) -> float:
    """Worst-case value of a selection: Σ_picked v_i − β(x, Γ) (currency)."""
    mask = np.asarray(picked, dtype=bool)
    return float(np.asarray(nominal, dtype=float)[mask].sum()) - protection(deviations, mask, gamma)


def value_coefficients(
    scenario: Scenario, roster: Roster, positions: Sequence[int], cv: float
) -> tuple[np.ndarray, np.ndarray]:
    """Nominal per-pick value ``v_i`` and deviation ``d_i`` for roster ``positions`` (currency).

    ``v_i = w_reach·R_i + w_eng·E_i + w_conv·C_i`` (the x coefficients of the value objective;
    pairwise reach de-duplication stays on the y variables); ``d_i = cv × (w_eng·E_i +
    w_conv·C_i)``: only engagement and conversions are uncertain.
    """
    weights = scenario.objective.weights()
    index = np.asarray(positions, dtype=int)

    def column(kpi: str) -> np.ndarray:
        return roster.column(KPI_COLUMNS[kpi]).astype(float)[index]

    uncertain = weights["engagement"] * column("engagement")
    uncertain += weights["conversions"] * column("conversions")
    nominal = weights["reach"] * column("reach") + uncertain
    return nominal, cv * uncertain


def apply_budgeted_robustness(
    problem: pulp.LpProblem,
    x: Sequence[pulp.LpVariable],
    nominal: Sequence[float],
    deviations: Sequence[float],
    gamma: float,
    on_time: Callable[[int], None] | None = None,
) -> RobustRows:
    """Rewrite a maximisation ``problem`` into its Γ-robust counterpart, in place.

    The objective becomes ``Σ v_k x_k − Γ·z − Σ p_k`` plus whatever terms the current objective
    has on variables other than ``x`` (e.g. reach de-duplication on y), and its constant; the
    current coefficients of ``x`` are replaced by ``nominal``. Adds ``z ≥ 0`` (``robust_z``),
    ``p_k ≥ 0`` (``robust_p_<k>``) and rows ``robust_protect_<k>: p_k + z − d_k x_k ≥ 0`` for
    every k with ``d_k > 0``. Γ = 0 (or no positive deviation) leaves the objective nominal and
    adds nothing else. ``on_time(k)`` is called before the k-th protection row (a build's
    deadline check: it may raise).
    """
    import pulp  # lazy: the fast path and the re-checks need no PuLP

    _check_inputs(problem, x, nominal, deviations, gamma)
    base = _objective_without(problem, x)
    terms = [(var, float(v)) for var, v in zip(x, nominal, strict=True) if v != 0]
    live = [k for k, d in enumerate(deviations) if d > 0]
    if gamma == 0 or not live:
        problem.setObjective(base + pulp.lpSum_vars_coefs(terms) if terms else base)
        return RobustRows(gamma, None)
    z = problem.add_variable("robust_z", lowBound=0)
    p = problem.add_variable_matrix("robust_p", live, lowBound=0)
    robust = RobustRows(gamma, z, dict(zip(live, p, strict=True)))
    for done, (k, p_k) in enumerate(robust.p.items()):
        if on_time is not None:
            on_time(done)
        row = pulp.lpSum_vars_coefs([(p_k, 1.0), (z, 1.0), (x[k], -float(deviations[k]))]) >= 0
        problem.addConstraint(row, f"{ROW_PREFIX}{k}")
        robust.rows += 1
    penalty = [(z, -float(gamma))] + [(p_k, -1.0) for p_k in robust.p.values()]
    problem.setObjective(base + pulp.lpSum_vars_coefs(terms + penalty))
    return robust


def make_robust(
    built: BuiltModel, scenario: Scenario, roster: Roster, gamma: float, cv: float = DEFAULT_CV
) -> RobustRows:
    """Make a built value model Γ-robust (call between ``build_model`` and the solve); its
    rows read the build's deadline (:class:`optimizer.model.BuildOverrun` past it).

    The solver's objective is then the worst-case value, not the nominal one: compare the
    verified KPIs' ``value`` with :func:`robust_value`, not with the solver objective.
    """
    positions = [int(p) for p in built.candidates.positions]
    _nominal, deviations = value_coefficients(scenario, roster, positions, cv)
    # the nominal value of each pick is what the built objective gives it: with coverage or
    # Sainsbury reach, reach is counted on their own variables, not on x
    objective = built.problem.objective
    coefficient = {var.name: c for var, c in objective.items()} if objective is not None else {}
    nominal = [float(coefficient.get(var.name, 0.0)) for var in built.x]  # (one pass: PuLP's
    # expression .get costs time in proportion to its size, so per pick it was quadratic)
    return apply_budgeted_robustness(
        built.problem, built.x, nominal, deviations, gamma, on_time=built.on_time
    )


def _check_inputs(
    problem: pulp.LpProblem,
    x: Sequence[pulp.LpVariable],
    nominal: Sequence[float],
    deviations: Sequence[float],
    gamma: float,
) -> None:
    import pulp

    if problem.sense != pulp.const.LpMaximize:
        raise ValueError("robust mode protects a value to maximise; the problem minimises")
    if not (len(x) == len(nominal) == len(deviations)):
        raise ValueError("x, nominal and deviations must have the same length")
    if not math.isfinite(gamma) or gamma < 0:
        raise ValueError(f"gamma must be a finite number ≥ 0, got {gamma!r}")
    if any(not math.isfinite(d) or d < 0 for d in deviations):
        raise ValueError("deviations must be finite and ≥ 0")


def _objective_without(
    problem: pulp.LpProblem, x: Sequence[pulp.LpVariable]
) -> pulp.LpAffineExpression:
    """The current objective without its terms on ``x`` (constant kept)."""
    import pulp

    current = problem.objective
    skip = {var.name for var in x}
    if current is None:
        return pulp.LpAffineExpression.empty()
    kept = [(var, coef) for var, coef in current.items() if var.name not in skip]
    expr = pulp.lpSum_vars_coefs(kept) if kept else pulp.LpAffineExpression.empty()
    return expr + current.constant
