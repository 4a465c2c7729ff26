"""inflopt: pick a portfolio of influencers with an exact, verified mixed-integer program.

Every stage is usable from Python::

    from optimizer import load_scenario, solve, compare
    scenario = load_scenario("scenarios/launch.yaml")
    result = solve(scenario, "hybrid")
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# name → module; imported on first use, so ``import optimizer.scenario`` (or ``inflopt
# validate``) does not load the solver stack
_EXPORTS = {
    "BUILT_IN_STRATEGIES": "engine",
    "compare": "engine",
    "solve": "engine",
    "strategy_names": "engine",
    "Prepared": "data",
    "prepare": "data",
    "Explanation": "explanation",
    "explain": "explanation",
    "InfloptError": "errors",
    "InputError": "errors",
    "Problem": "errors",
    "SolverError": "errors",
    "VerificationError": "errors",
    "Result": "result",
    "read_results": "result",
    "Roster": "roster",
    "load_roster": "roster",
    "Scenario": "scenario",
    "load_scenario": "scenario",
    "scenario_json_schema": "scenario",
    "Status": "solver",
}

if TYPE_CHECKING:
    from .data import Prepared, prepare
    from .engine import BUILT_IN_STRATEGIES, compare, solve, strategy_names
    from .errors import InfloptError, InputError, Problem, SolverError, VerificationError
    from .explanation import Explanation, explain
    from .result import Result, read_results
    from .roster import Roster, load_roster
    from .scenario import Scenario, load_scenario, scenario_json_schema
    from .solver import Status


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'optimizer' has no attribute {name!r}")
    return getattr(import_module(f".{module}", __name__), name)


def __dir__() -> list[str]:
    """The module's names with the lazily imported exports (for completion and ``dir()``)."""
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "BUILT_IN_STRATEGIES",
    "Explanation",
    "InfloptError",
    "InputError",
    "Prepared",
    "Problem",
    "Result",
    "Roster",
    "Scenario",
    "SolverError",
    "Status",
    "VerificationError",
    "compare",
    "explain",
    "load_roster",
    "load_scenario",
    "prepare",
    "read_results",
    "scenario_json_schema",
    "solve",
    "strategy_names",
]
