"""Shared helpers: write a roster, optional overlap pairs and a scenario to disk, then load it.

Tests describe an instance as plain data (a DataFrame and a dict) and get back a real
:class:`optimizer.Scenario`, read through the same file path a user's scenario takes.
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from optimizer import Scenario, load_scenario

ROSTER_FILE = "roster.csv"
OVERLAP_FILE = "overlap.csv"


def _toml_key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _toml_value(value: Any) -> str:
    """One TOML value; mappings become inline tables (None entries are left out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML cannot hold {value!r}")
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, Mapping):
        items = [
            f"{_toml_key(str(k))} = {_toml_value(v)}" for k, v in value.items() if v is not None
        ]
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def to_toml(data: Mapping[str, Any]) -> str:
    """A small TOML writer for scenario dicts (tomllib only reads)."""
    return "".join(
        f"{_toml_key(str(k))} = {_toml_value(v)}\n" for k, v in data.items() if v is not None
    )


def plain(value: Any) -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if isinstance(value, np.str_):
        return str(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def make_scenario(
    tmp_path: Path,
    roster_df: pd.DataFrame,
    scenario_dict: Mapping[str, Any],
    overlap_df: pd.DataFrame | None = None,
    fmt: str = "yaml",
) -> Scenario:
    """Write the roster (CSV), the overlap pairs (CSV, if given) and the scenario, and load it.

    Every call writes into a fresh sub-folder of ``tmp_path``, so several scenarios made in
    one test never overwrite each other's data. ``scenario_dict`` needs no ``roster`` or
    ``name`` key (they default to the written roster and ``"test"``). With ``overlap_df`` the
    scenario's ``overlap.file`` points at the written pairs; other ``overlap`` settings in
    ``scenario_dict`` (e.g. ``shared: fraction``) are kept. numpy numbers in ``scenario_dict``
    are written as plain numbers.
    """
    folder = Path(tempfile.mkdtemp(prefix="scenario-", dir=tmp_path))
    roster_df.to_csv(folder / ROSTER_FILE, index=False)
    data: dict[str, Any] = {"name": "test", "roster": ROSTER_FILE, **plain(scenario_dict)}
    if overlap_df is not None:
        overlap_df.to_csv(folder / OVERLAP_FILE, index=False)
        settings = data.get("overlap")
        settings = dict(settings) if isinstance(settings, Mapping) else {}
        data["overlap"] = {**settings, "file": OVERLAP_FILE}
    if fmt == "yaml":
        path = folder / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    elif fmt == "toml":
        path = folder / "scenario.toml"
        path.write_text(to_toml(data), encoding="utf-8")
    else:
        raise ValueError(f"fmt must be 'yaml' or 'toml', not {fmt!r}")
    return load_scenario(path)


@pytest.fixture
def scenario_maker(tmp_path: Path):
    """``make_scenario`` bound to this test's ``tmp_path``."""

    def make(
        roster_df: pd.DataFrame,
        scenario_dict: Mapping[str, Any],
        overlap_df: pd.DataFrame | None = None,
        fmt: str = "yaml",
    ) -> Scenario:
        return make_scenario(tmp_path, roster_df, scenario_dict, overlap_df, fmt)

    return make


def reach_rows_clock_calls(scenario: Scenario, prepared: Any) -> tuple[list[int], Any, Any]:
    """The reach model's rows added to a fresh problem over every roster row: the counts its
    ``on_time`` hook was called with, the problem, and the reach data."""
    import pulp

    from optimizer.reach import load_reach

    data = load_reach(scenario, prepared.roster)
    calls: list[int] = []
    positions = np.arange(len(prepared.roster.ids))
    problem = pulp.LpProblem("reach_rows", pulp.const.LpMaximize)
    x = problem.add_variable_matrix("x", [int(p) for p in positions], cat="Binary")
    data.add_to_model(problem, x, positions, on_time=calls.append)
    return calls, problem, data


def assert_build_stops_in_reach_rows(scenario: Scenario, prepared: Any, monkeypatch) -> None:
    """A build already past its deadline, reading the clock at every row, stops inside the
    reach model's rows (they come first), not after them."""
    import time

    import optimizer.model as model

    monkeypatch.setattr(model, "ROWS_PER_CLOCK_CHECK", 1)
    with pytest.raises(model.BuildOverrun) as stopped:
        model.build_model(
            scenario, prepared.roster, prepared.overlap, deadline=time.perf_counter() - 1
        )
    assert any(entry.name == "add_to_model" for entry in stopped.traceback)
