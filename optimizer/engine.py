"""Orchestration: scenario → roster → overlap → model → solve → verified result.

``prepare`` reads the data once; ``solve`` runs one strategy; ``compare`` runs several on the
same data. Nothing here prints: callers decide how to report.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError

from .candidates import select_candidates
from .data import Prepared, data_differences, prepare_checked
from .data import prepare as prepare  # re-exported: callers import it from here too
from .diagnose import explain_empty, explain_infeasible, include_clashes, include_conflicts
from .errors import InputError, Problem, VerificationError, did_you_mean
from .kpis import by_group, effective_costs, portfolio_kpis
from .overlap import OverlapGraph
from .references import check_references
from .result import PICK_COLUMNS, Result
from .robust import worst_case_value
from .roster import Roster
from .scenario import Goal, Scenario, SolverSettings, checked_scenario
from .solver import Status, outside_gap
from .uncertainty import simulate, simulated_targets, summary_draws
from .verify import check_robust_objective, check_selection

log = logging.getLogger(__name__)

BUILT_IN_STRATEGIES: tuple[str, ...] = ("micro-only", "macro-only", "hybrid")
MACRO_FOLLOWERS = 100_000  # tiers starting at or above this many followers count as "macro"


def built_in_overrides(scenario: Scenario, strategy: str) -> dict[str, Any]:
    """The overrides of a built-in strategy, from the scenario's own tiers.

    micro-only keeps tiers whose lower bound is below 100,000 followers (nano, micro by
    default), macro-only the others (macro, mega); hybrid restricts nothing.
    """
    small = [name for name, low in scenario.tier_bounds() if low < MACRO_FOLLOWERS]
    large = [name for name, low in scenario.tier_bounds() if low >= MACRO_FOLLOWERS]
    return {"micro-only": {"tiers": small}, "macro-only": {"tiers": large}}.get(strategy, {})


def with_solver_overrides(scenario: Scenario, **overrides: Any) -> Scenario:
    """A copy whose solver settings take the non-None ``overrides`` (name, time_limit, gap…)."""
    updates = {k: v for k, v in overrides.items() if v is not None}
    if not updates:
        return scenario
    try:
        settings = SolverSettings.model_validate({**scenario.solver.model_dump(), **updates})
    except ValidationError as exc:
        options = {"name": "--solver", "time_limit": "--time-limit", "gap": "--gap"}
        raise InputError(
            Problem(
                "command line",
                options.get(str(e["loc"][0]), str(e["loc"][0])),
                e["msg"].removeprefix("Value error, "),
            )
            for e in exc.errors()
        ) from None
    copy = scenario.model_copy(update={"solver": settings})
    copy._source, copy._base_dir = scenario.source, scenario.base_dir
    return copy


BASE = "base"  # the name of the scenario as written, in lists of strategies


def strategy_name(scenario: Scenario, name: str | None) -> str | None:
    """``name`` as the engine runs it: None (the scenario as written) for None, and for
    :data:`BASE` unless the file defines a strategy of that name (which then wins)."""
    return None if name == BASE and BASE not in scenario.strategies else name


def effective_scenario(scenario: Scenario, strategy: str | None) -> Scenario:
    """The base scenario merged with one strategy (file-defined, else built-in)."""
    if strategy is None:
        return scenario
    if strategy not in scenario.strategies and strategy in BUILT_IN_STRATEGIES:
        return scenario.with_overrides(
            built_in_overrides(scenario, strategy), keep_strategies=False
        )
    if not scenario.strategies:
        hint = did_you_mean(strategy, BUILT_IN_STRATEGIES)
        raise InputError.single(
            scenario.source,
            f"strategies.{strategy}",
            f"no such strategy; without strategies in the file the built-in ones are "
            f"{', '.join(BUILT_IN_STRATEGIES)}{hint}",
        )
    return scenario.with_strategy(strategy)


def solve(
    scenario: Scenario, strategy: str | None = None, *, prepared: Prepared | None = None
) -> Result:
    """Solve one strategy (or the base scenario: None, or ``"base"`` when the file defines
    no strategy of that name) into a verified :class:`Result`.

    ``scenario`` is validated again first, so fields changed after loading are checked like
    the file's (:class:`InputError`). ``prepared`` (from :func:`prepare`) reuses loaded data;
    it must come from a scenario with the same data sections (``ValueError`` otherwise).
    Raises ``TypeError`` for arguments of the wrong kind.
    """
    scenario = checked_scenario(scenario, "solve")
    if strategy is not None and not isinstance(strategy, str):
        raise TypeError(f"solve(): strategy must be a name (str) or None, not {strategy!r}")
    strategy = strategy_name(scenario, strategy)
    effective = effective_scenario(scenario, strategy)  # checks the strategy it merges
    prepared = prepared_for(scenario, prepared)
    return solve_effective(effective, prepared.roster, prepared.overlap, strategy)


def solve_effective(
    scenario: Scenario, roster: Roster, overlap: OverlapGraph, strategy: str | None = None
) -> Result:
    """Solve an already merged scenario on loaded data."""
    result = Result(
        scenario=scenario.name,
        strategy=strategy,
        status=Status.NO_SOLUTION,
        goal=str(scenario.goal),
        solver=scenario.solver.name.lower(),
        overlap_source=overlap.method,
        reach_method=scenario.reach.method,
        currency=scenario.currency,
    )
    candidates = select_candidates(scenario, roster)
    clashes = include_clashes(scenario, roster, candidates)
    clashes += include_conflicts(scenario, roster, overlap)
    if clashes:
        result.status = Status.INFEASIBLE
        result.diagnosis = clashes
        return result

    from .fastpath import method_for, solve_fast  # lazy: SciPy and HiGHS only when solving

    started = time.perf_counter()
    robust = False
    method, fallback = method_for(scenario, len(candidates.positions))
    if method == "fast":  # large rosters: arrays, LP bound, fixing, small MIP (fastpath.py)
        answer = solve_fast(scenario, roster, overlap, candidates, started)
        result.build_seconds = answer.build_seconds
        result.model_size = answer.model_size
    else:
        from .fullpath import solve_full  # lazy: PuLP only for the full model

        answer = solve_full(scenario, roster, overlap, candidates, started)
        robust = scenario.robust is not None and scenario.robust.gamma > 0
        result.build_seconds = answer.build_seconds
        result.model_size = answer.model_size
        if fallback:  # the full model's reason first, then why its answer is the greedy's
            greedy = result.model_size.get("fallback")
            result.model_size.update(
                method="full", fallback=fallback if greedy is None else f"{fallback}; {greedy}"
            )
    outcome = answer.outcome
    result.solve_seconds = outcome.seconds
    result.status = outcome.status
    limit = scenario.solver.time_limit
    ends = None if limit is None else started + limit  # the time limit, as a clock reading
    if outcome.status is Status.INFEASIBLE:
        result.diagnosis = explain_infeasible(scenario, roster, overlap, candidates, ends)
        return result
    if outcome.status is Status.NO_SOLUTION:
        result.bound = outcome.bound
        return result

    picked = answer.picked or []
    if not picked and outcome.status is Status.FEASIBLE:
        # hiring nobody, unproven: a deadline cut the search short (a greedy stopped before
        # its first pick), not an answer — "hiring nobody is best" would be a false claim
        result.status = Status.NO_SOLUTION
        result.bound = outcome.bound
        return result
    solver_objective = None if robust else outcome.objective
    violations = check_selection(scenario, roster, overlap, picked, solver_objective, outcome.bound)
    kpis = portfolio_kpis(scenario, roster, overlap, picked)
    objective = kpis["spend"] if scenario.goal is Goal.MINIMIZE_COST else kpis["value"]
    if robust and scenario.robust is not None:
        objective = worst_case_value(scenario, roster, picked, kpis["value"])
        result.robust = {
            "gamma": scenario.robust.gamma,
            "cv": scenario.robust.cv,
            "nominal_value": kpis["value"],
            "worst_case_value": objective,
        }
        proven = outcome.status is Status.OPTIMAL
        violations += check_robust_objective(
            scenario, roster, picked, kpis, objective, outcome.objective, proven
        )
    if violations:
        raise VerificationError(violations)
    result.objective = objective
    result.bound = outcome.bound
    if outcome.bound is not None:
        result.gap = abs(outcome.bound - objective) / max(abs(objective), 1e-9)
        if result.gap < 1e-12:
            result.gap = 0.0
        approximate = scenario.reach.method == "sainsbury"
        if approximate and outside_gap(objective, outcome.bound, scenario.solver.gap):
            # proven for the tangent model, not for the brief: the gap to the exact value
            # includes the approximation
            result.status = Status.FEASIBLE
    result.selected = [roster.ids[p] for p in picked]
    if not picked:
        result.diagnosis = explain_empty(scenario, roster, candidates)
    result.kpis = {k: (round(v, 6) if v is not None else None) for k, v in kpis.items()}
    result.kpis["count"] = len(picked)
    costs = effective_costs(scenario, roster, picked)
    result.by_tier = by_group(roster, picked, "tier", costs)
    result.by_platform = by_group(roster, picked, "platform", costs)
    columns = [c for c in PICK_COLUMNS if c in roster.frame.columns]
    result.picks = roster.frame.iloc[picked][columns].reset_index(drop=True)
    estimated = roster.frame["cost_estimated"].to_numpy()
    result.estimated_costs = [roster.ids[p] for p in picked if estimated[p]]
    left = None if ends is None else ends - time.perf_counter()
    attach_simulation(result, scenario, roster, picked, left)
    return result


def attach_simulation(
    result: Result,
    scenario: Scenario,
    roster: Roster,
    picked: list[int],
    seconds: float | None = None,
) -> None:
    """Monte Carlo P10/P50/P90 and the chance of meeting each engagement/conversion target.

    ``seconds`` is the time left before the solve's time limit, if it has one: the draws
    are cut to fit in it (:func:`optimizer.uncertainty.summary_draws`), and when too few
    would fit the summary says it was skipped."""
    if not picked:
        return
    settings = scenario.uncertainty
    draws = summary_draws(settings.draws, len(picked), seconds)
    if draws == 0:
        result.uncertainty = {
            "draws": 0,
            "draws_requested": settings.draws,
            "skipped": "the time limit left no time for the Monte Carlo summary",
        }
        return
    simulation = simulate(roster, picked, draws, settings.seed, settings.cv)
    summary = simulation.to_dict()
    if draws < settings.draws:  # thousands of picks, or little time left: fewer draws
        summary["draws_requested"] = settings.draws
    targets = simulated_targets(scenario.constraints.targets.as_dict())
    summary["chance_of_meeting_targets"] = simulation.chance_of_meeting(targets)
    result.simulation = simulation
    result.uncertainty = summary


def strategy_names(scenario: Scenario) -> list[str]:
    """The file's strategies, or the three built-in ones when it defines none."""
    return scenario.strategy_names() or list(BUILT_IN_STRATEGIES)


def compare(
    scenario: Scenario,
    strategies: str | Sequence[str] | None = None,
    *,
    prepared: Prepared | None = None,
) -> list[Result]:
    """Solve several strategies on the same data, one :class:`Result` each in the order
    given (None: all of them, see :func:`strategy_names`; one name: that one). Checks its
    arguments as :func:`solve` does."""
    scenario = checked_scenario(scenario, "compare")
    if strategies is None:
        names: list[str] = strategy_names(scenario)
    elif isinstance(strategies, str):
        names = [strategies]
    elif isinstance(strategies, Iterable):
        names = list(strategies)
    else:
        raise TypeError(f"compare(): strategies must be names (str), not {strategies!r}")
    wrong = [name for name in names if not isinstance(name, str)]
    if wrong:
        raise TypeError(f"compare(): strategies must be names (str), not {wrong[0]!r}")
    runs = [strategy_name(scenario, name) for name in names]
    merged = [effective_scenario(scenario, name) for name in runs]  # every name checked first
    prepared = prepared_for(scenario, prepared)
    return [
        solve_effective(effective, prepared.roster, prepared.overlap, name)
        for name, effective in zip(runs, merged, strict=True)
    ]


def prepared_for(scenario: Scenario, prepared: Prepared | None) -> Prepared:
    """The loaded data to solve ``scenario`` (validated: :func:`checked_scenario`) on:
    ``prepared`` if it was read with the same data sections (and ids, tiers and columns the
    scenario names are in it), else read now."""
    if prepared is None:
        return prepare_checked(scenario)
    if not isinstance(prepared, Prepared):
        raise TypeError(f"prepared must come from prepare(), not {type(prepared).__name__}")
    differ = data_differences(prepared.scenario, scenario)
    if differ:
        raise ValueError(
            f"prepared was read for a scenario with other {', '.join(differ)}; "
            f"call prepare() on this scenario"
        )
    if prepared.scenario.rule_sets() != scenario.rule_sets():  # prepare() checked the same
        check_references(scenario, prepared.roster)
    return prepared
