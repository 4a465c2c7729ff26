"""Broken inputs (tests/corpus/) through the real CLI: exit 2, every problem named, no traceback.

Each case in tests/corpus/cases.yaml runs through both ``inflopt validate`` and
``inflopt solve``. Messages go to stderr, one line per problem, each naming the file and the
row/column or key.
"""

from __future__ import annotations

import traceback
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner, Result

from cli import main

CORPUS = Path(__file__).parent / "corpus"
CASES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "cases.yaml").read_text("utf-8"))["cases"]
COMMANDS = ("validate", "solve")

# A plain console (no colour codes in the text we search); wide, so that the checks below do
# not depend on wrapping, which test_problems_fit_one_line_at_default_width checks on its own.
WIDE_PLAIN = {"COLUMNS": "500", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}
DEFAULT_PLAIN = {"COLUMNS": None, "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}


def invoke(args: list[str], env: dict[str, str | None]) -> Result:
    return CliRunner().invoke(main, args, env=env)


def describe(result: Result) -> str:
    """Everything useful when an assertion fails."""
    text = f"exit code {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    if result.exc_info and not isinstance(result.exception, SystemExit):
        text += "\n--- exception\n" + "".join(traceback.format_exception(*result.exc_info))
    return text


def _xfail_reason(case: dict[str, Any], command: str) -> str | None:
    xfail = case.get("xfail")
    if isinstance(xfail, dict):
        return xfail.get(command)
    return xfail


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for command in COMMANDS:
            reason = _xfail_reason(case, command)
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            params.append(pytest.param(case, command, id=f"{case['name']}-{command}", marks=marks))
    return params


@pytest.mark.parametrize(("case", "command"), _params())
def test_broken_input_is_reported(case: dict[str, Any], command: str) -> None:
    result = invoke([command, str(CORPUS / case["scenario"])], WIDE_PLAIN)
    info = describe(result)

    # CliRunner catches a crash (exit code 1, no traceback printed): check for it explicitly.
    assert result.exception is None or isinstance(result.exception, SystemExit), info
    assert "Traceback" not in result.output, info
    assert result.exit_code == 2, info

    errors = result.stderr
    for expected in case["expect"]:
        assert expected in errors, f"missing {expected!r}\n{info}"
    for unexpected in case.get("not_expect", []):
        assert unexpected not in errors, f"unexpected {unexpected!r}\n{info}"
    if "problems" in case:
        count = case["problems"]
        header = f"{count} problem{'s' if count != 1 else ''} found"
        assert header in errors, info
        lines = [line for line in errors.splitlines() if line.startswith("  ")]
        assert len(lines) == count, info


def test_every_corpus_file_is_a_case() -> None:
    listed = {case["scenario"] for case in CASES}
    present = {p.name for p in CORPUS.iterdir() if p.suffix in {".yaml", ".toml"}}
    assert present - listed == {"cases.yaml", "good.yaml"}
    assert listed <= present
    names = [case["name"] for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("command", COMMANDS)
def test_good_baseline_passes(command: str) -> None:
    """The valid file every case varies: so each case fails only for its deliberate break."""
    result = invoke([command, str(CORPUS / "good.yaml")], WIDE_PLAIN)
    assert result.exit_code == 0, describe(result)
    assert result.stderr == "", describe(result)


def test_problems_fit_one_line_at_default_width() -> None:
    """No wrapping at the console width (80 when not a terminal): one line per problem in logs."""
    result = invoke(["validate", str(CORPUS / "several_bad_cells.yaml")], DEFAULT_PLAIN)
    assert result.exit_code == 2, describe(result)
    lines = result.stderr.strip("\n").splitlines()
    assert lines[0] == "error: 3 problems found"
    assert len(lines) == 4, describe(result)
    assert all("roster_several_bad_cells.csv: row " in line for line in lines[1:])
