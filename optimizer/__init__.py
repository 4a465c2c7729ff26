"""inflopt: pick a portfolio of influencers with an exact, verified mixed-integer program.

Every stage is usable from Python::

    from optimizer import load_scenario, solve, compare
    scenario = load_scenario("scenarios/launch.yaml")
    result = solve(scenario, "hybrid")
"""

from __future__ import annotations

from .engine import BUILT_IN_STRATEGIES, Prepared, compare, prepare, solve, strategy_names
from .errors import InfloptError, InputError, Problem, SolverError, VerificationError
from .result import Result
from .roster import Roster, load_roster
from .scenario import Scenario, load_scenario, scenario_json_schema
from .solver import Status

__all__ = [
    "BUILT_IN_STRATEGIES",
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
    "load_roster",
    "load_scenario",
    "prepare",
    "scenario_json_schema",
    "solve",
    "strategy_names",
]
