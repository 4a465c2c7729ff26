"""The published JSON Schema accepts every example scenario and rejects a broken one."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import yaml

from optimizer import scenario_json_schema

jsonschema = pytest.importorskip("jsonschema")
SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def _read(path: Path) -> dict:
    if path.suffix == ".toml":
        return tomllib.loads(path.read_text())
    return yaml.safe_load(path.read_text())


@pytest.fixture(scope="module")
def validator():
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize(
    "path", sorted([*SCENARIOS.glob("*.yaml"), *SCENARIOS.glob("*.toml")]), ids=lambda p: p.name
)
def test_examples_are_valid_against_the_schema(validator, path: Path) -> None:
    assert [e.message for e in validator.iter_errors(_read(path))] == []


def test_schema_rejects_unknown_keys_and_bad_bounds(validator) -> None:
    data = _read(SCENARIOS / "launch.yaml")
    data["budgt"] = 5
    data["constraints"]["max_pair_overlap"] = 1.5
    messages = " ".join(e.message for e in validator.iter_errors(data))
    assert "budgt" in messages
    assert "1.5" in messages
