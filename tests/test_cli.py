"""The ``inflopt`` command through click's CliRunner: exit codes, output formats, files written.

Exit codes: 0 solved, 1 solved but infeasible / no solution, 2 bad input or usage. Anything the
CLI writes goes into ``tmp_path``; the example scenarios are only read.
"""

from __future__ import annotations

import json
import shutil
import tomllib
import traceback
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner, Result

from cli import main
from optimizer.scenario import load_scenario
from optimizer.solver import available_solvers

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
EXAMPLES = sorted([*SCENARIOS.glob("*.yaml"), *SCENARIOS.glob("*.toml")])
FAST = SCENARIOS / "niche-conversions.toml"  # solves in well under a second
MULTI = SCENARIOS / "launch.yaml"  # defines its own strategies, all feasible
PLAIN = {"COLUMNS": "200", "FORCE_COLOR": None, "TTY_COMPATIBLE": None, "NO_COLOR": "1"}

CONTRACT_KEYS = {
    "scenario",
    "strategy",
    "status",
    "objective",
    "bound",
    "gap",
    "selected",
    "kpis",
    "by_tier",
    "solve_seconds",
}
KPI_KEYS = {
    "spend",
    "count",
    "reach",
    "engagement",
    "conversions",
    "cost_per_engagement",
    "cost_per_conversion",
}


def run(*args: str | Path) -> Result:
    """Invoke ``inflopt ARGS``; fail at once on a crash that CliRunner would swallow."""
    result = CliRunner().invoke(main, [str(a) for a in args], env=PLAIN)
    crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
    assert not crashed, "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
    assert "Traceback" not in result.output, result.output
    return result


def describe(result: Result) -> str:
    return f"exit {result.exit_code}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def budget_of(path: Path) -> float | None:
    return load_scenario(path).budget


def check_contract(document: dict[str, Any], budget: float | None) -> None:
    """The JSON result contract of one solved result."""
    assert isinstance(document, dict)
    assert set(document) >= CONTRACT_KEYS, CONTRACT_KEYS - set(document)
    assert document["status"] == "optimal"
    kpis = document["kpis"]
    assert set(kpis) >= KPI_KEYS, KPI_KEYS - set(kpis)
    assert kpis["count"] == len(document["selected"]) > 0
    assert len(set(document["selected"])) == len(document["selected"])
    if budget is not None:
        assert kpis["spend"] <= budget + 1e-6
    assert kpis["spend"] > 0
    # KPIs are rounded to 6 decimals in the contract
    unit = {"rel": 1e-4, "abs": 1e-6}
    assert kpis["cost_per_engagement"] == pytest.approx(kpis["spend"] / kpis["engagement"], **unit)
    assert kpis["cost_per_conversion"] == pytest.approx(kpis["spend"] / kpis["conversions"], **unit)
    tiers = document["by_tier"]
    assert sum(t["count"] for t in tiers.values()) == kpis["count"]
    assert sum(t["spend"] for t in tiers.values()) == pytest.approx(kpis["spend"])
    assert isinstance(document["objective"], float)
    assert document["bound"] is not None
    assert 0 <= document["gap"] <= 1e-4
    assert document["solve_seconds"] >= 0


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A private copy of scenarios/ (files plus data) to run commands that write."""
    target = tmp_path / "scenarios"
    shutil.copytree(SCENARIOS, target)
    return target


# ---------------------------------------------------------------------------- solve


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_solve_prints_a_table_and_writes_the_contract(path: Path, tmp_path: Path) -> None:
    """One solve per example: the table on stdout, the JSON contract in the -o file."""
    out = tmp_path / "result.json"
    result = run("solve", path, "-o", out)
    assert result.exit_code == 0, describe(result)
    text = result.stdout
    assert "status optimal" in text
    assert "Picked influencers" in text
    for title in ("Totals", "Spend by tier"):
        assert title in text
    assert "┃ id" in text  # a rendered table header, not just text
    assert f"wrote {out}" in text
    document = json.loads(out.read_text("utf-8"))
    check_contract(document, budget_of(path))
    assert document["strategy"] is None
    assert document["scenario"] == load_scenario(path).name
    for ident in document["selected"]:
        assert ident in text


def test_solve_json_follows_the_contract() -> None:
    result = run("solve", FAST, "--format", "json")
    assert result.exit_code == 0, describe(result)
    document = json.loads(result.stdout)
    check_contract(document, budget_of(FAST))
    assert document["strategy"] is None
    assert result.stderr == ""


def test_solve_one_strategy_json() -> None:
    result = run("solve", MULTI, "--strategy", "micro-only", "--format", "json")
    assert result.exit_code == 0, describe(result)
    document = json.loads(result.stdout)
    check_contract(document, budget_of(MULTI))
    assert document["strategy"] == "micro-only"
    assert set(document["by_tier"]) <= {"nano", "micro"}


@pytest.mark.parametrize("name", ["nope", "hybird"])
def test_unknown_strategy_is_a_usage_error(name: str) -> None:
    result = run("solve", MULTI, "--strategy", name)
    assert result.exit_code == 2, describe(result)
    assert f"strategies.{name}" in result.stderr
    assert "no such strategy" in result.stderr
    assert "launch.yaml" in result.stderr
    if name == "hybird":
        assert "did you mean 'hybrid'" in result.stderr


def test_missing_scenario_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run("solve", tmp_path / "nowhere.yaml")
    assert result.exit_code == 2, describe(result)
    assert "nowhere.yaml" in result.stderr
    assert "file not found" in result.stderr


@pytest.mark.parametrize("command", ["solve", "compare"])
def test_every_file_written_is_named_on_stdout(command: str, tmp_path: Path) -> None:
    out, report = tmp_path / "result.xlsx", tmp_path / "report.html"
    args = ["-s", "micro-only"] if command == "solve" else ["--strategies", "micro-only"]
    result = run(command, MULTI, *args, "-o", out, "--report", report)
    assert result.exit_code == 0, describe(result)
    assert out.exists() and report.exists()
    assert result.stdout.endswith(f"wrote {out}\nwrote {report}\n")


# ---------------------------------------------------------------------------- compare


def test_compare_json_gives_one_result_per_named_strategy(tmp_path: Path) -> None:
    out = tmp_path / "compare.json"
    names = ["micro-only", "macro-only"]  # launch.yaml's own; its hybrid is the slow one
    result = run("compare", MULTI, "--strategies", ",".join(names), "--format", "json", "-o", out)
    assert result.exit_code == 0, describe(result)
    documents = json.loads(result.stdout)
    assert isinstance(documents, list)
    assert [d["strategy"] for d in documents] == names
    for document in documents:
        check_contract(document, budget_of(MULTI))
    assert json.loads(out.read_text("utf-8")) == documents


def test_compare_takes_base_as_the_scenario_as_written_as_sweep_and_batch_do() -> None:
    result = run("compare", FAST, "--strategies", "base,hybrid", "--format", "json")
    assert result.exit_code == 0, describe(result)
    documents = json.loads(result.stdout)
    assert [d["strategy"] for d in documents] == [None, "hybrid"]
    alone = json.loads(run("solve", FAST, "--format", "json").stdout)
    for document in documents:  # the built-in hybrid restricts nothing either
        assert sorted(document["selected"]) == sorted(alone["selected"])
        assert document["objective"] == pytest.approx(alone["objective"])


def test_a_strategy_the_file_calls_base_wins_in_every_command(tmp_path: Path) -> None:
    """``base`` is the scenario as written unless the file defines a strategy of that name;
    then compare, solve, explain, sweep and batch all run the file's strategy."""
    data = tomllib.loads(FAST.read_text("utf-8"))
    for key in ("roster", "overlap"):
        if isinstance(data.get(key), str):
            data[key] = str((FAST.parent / data[key]).resolve())
    data["strategies"] = {"base": {"max_influencers": 12}}  # as written: 15 picks
    path = tmp_path / "own-base.yaml"
    path.write_text(yaml.safe_dump(data), "utf-8")
    results = tmp_path / "results"
    documents = {
        "compare": run("compare", path, "--strategies", "base", "--format", "json"),
        "solve": run("solve", path, "-s", "base", "--format", "json"),
        "sweep": run(
            "sweep",
            path,
            "--budget",
            "12000",
            "--strategies",
            "base",
            "--results",
            results,
            "--format",
            "json",
        ),
        "batch": run(
            "batch", path, "--strategies", "base", "--results", results, "--format", "json"
        ),
    }
    for command, result in documents.items():
        assert result.exit_code == 0, (command, describe(result))
        document = json.loads(result.stdout)
        document = document[0] if isinstance(document, list) else document
        assert document["kpis"]["count"] == 12, command
    picked = json.loads(documents["solve"].stdout)["selected"]
    explained = run("explain", path, "-s", "base", "-i", picked[0])
    assert explained.exit_code == 0 and "IN the portfolio (base)" in explained.stdout


def test_explain_prints_no_forced_portfolio_when_forcing_is_impossible() -> None:
    """tt_0045 is ruled out by the brief's min_authenticity: forcing it in has no portfolio,
    so nothing is added or dropped, and the full 15-creator cap is not named."""
    result = run("explain", FAST, "-i", "tt_0045")
    assert result.exit_code == 0, describe(result)
    assert "forcing it in makes the rules impossible" in result.stdout
    assert "ruled out by the filter min_authenticity 0.8" in result.stdout
    assert "forced portfolio" not in result.stdout
    assert "max_influencers" not in result.stdout
    answer = json.loads(run("explain", FAST, "-i", "tt_0045", "--format", "json").stdout)
    assert answer["forced_status"] == "infeasible"
    assert answer["swapped_in"] == [] and answer["swapped_out"] == []


def test_explain_keeps_the_briefs_exclusion() -> None:
    """The brief excludes tt_0017 (under contract with a competitor): forcing it in is
    impossible, as for any filter, not a re-solve with the exclusion lifted."""
    result = run("explain", FAST, "-i", "tt_0017")
    assert result.exit_code == 0, describe(result)
    assert "include tt_0017 clashes with exclude" in result.stdout
    assert "changes the value" not in result.stdout
    assert "forced portfolio" not in result.stdout


def test_compare_json_gives_one_result_per_strategy_and_xlsx_holds_them(tmp_path: Path) -> None:
    """No strategies in the file: all built-in ones (micro-only, macro-only, hybrid) are solved;
    some are infeasible for this brief, so the exit code is 1."""
    path = SCENARIOS / "cheapest-reach.yaml"
    out = tmp_path / "compare.xlsx"
    result = run("compare", path, "--format", "json", "-o", out)
    documents = json.loads(result.stdout)
    assert [d["strategy"] for d in documents] == ["micro-only", "macro-only", "hybrid"]
    statuses = [d["status"] for d in documents]
    assert result.exit_code == (0 if set(statuses) == {"optimal"} else 1), describe(result)
    for document in documents:
        if document["status"] == "infeasible":
            assert document["selected"] == []
            assert document["diagnosis"], "an infeasible result must say why"
    sheets = pd.read_excel(out, sheet_name=None)
    summary = sheets["summary"]
    assert summary["strategy"].tolist() == [d["strategy"] for d in documents]
    assert summary["status"].tolist() == statuses
    diagnoses = ["\n".join(d["diagnosis"]) for d in documents]
    assert summary["diagnosis"].fillna("").tolist() == diagnoses
    for document in documents:
        picks = sheets[document["strategy"]]
        if document["selected"]:
            assert sorted(picks["id"].astype(str)) == sorted(document["selected"])
        else:
            assert picks.empty


def test_compare_one_strategy_json_file_matches_stdout(tmp_path: Path) -> None:
    out = tmp_path / "one.json"
    result = run("compare", FAST, "--strategies", "hybrid", "--format", "json", "-o", out)
    assert result.exit_code == 0, describe(result)
    printed = json.loads(result.stdout)
    assert isinstance(printed, list)
    assert len(printed) == 1
    assert json.loads(out.read_text("utf-8")) == printed


# ---------------------------------------------------------------------------- -o files


def _read_back(path: Path) -> dict[str, Any]:
    """What an output file says: selected ids and (where stored) the KPIs."""
    if path.suffix == ".json":
        document = json.loads(path.read_text("utf-8"))
        return {"selected": document["selected"], "spend": document["kpis"]["spend"]}
    if path.suffix == ".csv":
        picks = pd.read_csv(path)
        return {"selected": picks["id"].astype(str).tolist(), "spend": picks["cost"].sum()}
    sheets = pd.read_excel(path, sheet_name=None)
    picks = sheets["portfolio"]
    summary = sheets["summary"]
    assert len(summary) == 1
    return {"selected": picks["id"].astype(str).tolist(), "spend": summary["spend"].iloc[0]}


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx"])
def test_output_file_matches_the_json_result(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"out{suffix}"
    result = run("solve", FAST, "--format", "json", "-o", out)
    assert result.exit_code == 0, describe(result)
    document = json.loads(result.stdout)
    written = _read_back(out)
    assert sorted(written["selected"]) == sorted(document["selected"])
    assert written["spend"] == pytest.approx(document["kpis"]["spend"])
    if suffix == ".json":
        assert json.loads(out.read_text("utf-8")) == document
    if suffix == ".csv":
        picks = pd.read_csv(out)
        assert set(picks["strategy"]) == {"base"}
        assert {"id", "tier", "cost", "expected_reach"} <= set(picks.columns)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]  # no temp file left


@pytest.mark.parametrize("suffix", [".json", ".csv", ".xlsx"])
def test_output_file_is_not_overwritten_without_force(tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"keep{suffix}"
    out.write_bytes(b"precious\n")
    result = run("solve", FAST, "-o", out)
    assert result.exit_code == 2, describe(result)
    assert out.name in result.stderr
    assert "--force" in result.stderr
    assert out.read_bytes() == b"precious\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == [out.name]

    result = run("solve", FAST, "--format", "json", "-o", out, "--force")
    assert result.exit_code == 0, describe(result)
    document = json.loads(result.stdout)
    assert sorted(_read_back(out)["selected"]) == sorted(document["selected"])


def test_output_with_unknown_extension_is_a_usage_error(tmp_path: Path) -> None:
    out = tmp_path / "out.txt"
    result = run("solve", FAST, "-o", out)
    assert result.exit_code == 2, describe(result)
    assert "out.txt" in result.stderr
    assert ".csv, .json or .xlsx" in result.stderr
    assert not out.exists()


def test_xlsx_sheet_of_a_strategy_named_with_a_slash_is_valid(tmp_path: Path) -> None:
    """Excel forbids ``/ [ ] : * ? \\`` in sheet names; openpyxl raised on them (a traceback)."""
    path = tmp_path / "slash.yaml"
    brief = {
        "name": "Slashed",
        "roster": str(SCENARIOS / "data" / "roster.csv"),
        "budget": 5000,
        "objective": {"engagement": 0.1},
        "strategies": {"a/b": {"max_influencers": 5}},
    }
    path.write_text(yaml.safe_dump(brief), encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = run("compare", path, "-o", out)
    assert result.exit_code == 0, describe(result)
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == ["summary", "a_b"]
    assert set(sheets["a_b"]["strategy"]) == {"a/b"}
    assert len(sheets["a_b"]) == 5


# ---------------------------------------------------------------------------- infeasible


def test_infeasible_scenario_exits_1_and_names_the_clashing_rule(workdir: Path) -> None:
    path = workdir / "too-many-macros.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "name": "Five macros on a shoestring",
                "roster": "data/roster.csv",
                "overlap": "data/overlap.csv",
                "budget": 500,
                "objective": {"engagement": 0.1},
                "constraints": {"mix": {"tier": {"macro": {"min_count": 5}}}},
            }
        ),
        encoding="utf-8",
    )
    result = run("solve", path)
    assert result.exit_code == 1, describe(result)
    assert "infeasible" in result.stdout
    assert "macro min_count 5" in result.stdout
    assert "500" in result.stdout

    result = run("solve", path, "--format", "json")
    assert result.exit_code == 1, describe(result)
    document = json.loads(result.stdout)
    assert document["status"] == "infeasible"
    assert document["selected"] == []
    assert any("macro min_count 5" in reason for reason in document["diagnosis"])


# ---------------------------------------------------------------------------- validate, schema


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_validate_good_file(path: Path) -> None:
    result = run("validate", path)
    assert result.exit_code == 0, describe(result)
    assert f"{path}: ok" in result.stdout
    assert "300 influencers" in result.stdout
    assert result.stderr == ""


def test_schema_is_json_schema_with_budget() -> None:
    result = run("schema")
    assert result.exit_code == 0, describe(result)
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert {"budget", "name", "roster", "constraints", "strategies"} <= set(schema["properties"])
    assert {"name", "roster"} <= set(schema["required"])
    assert "budget" in result.stdout
    # every $ref points at a definition that exists
    definitions = schema.get("$defs", {})

    def refs(node: Any) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [r for v in node.values() for r in refs(v)]
        if isinstance(node, list):
            return [r for v in node for r in refs(v)]
        return []

    for ref in refs(schema):
        assert ref.startswith("#/$defs/")
        assert ref.removeprefix("#/$defs/") in definitions


# ---------------------------------------------------------------------------- generate


def test_generate_writes_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    folder = tmp_path / "sample"
    result = run("generate", folder, "-n", "40", "--seed", "3")
    assert result.exit_code == 0, describe(result)
    roster, overlap = folder / "roster.csv", folder / "overlap.csv"
    assert len(pd.read_csv(roster)) == 40
    assert {"a", "b", "shared"} <= set(pd.read_csv(overlap).columns)
    before = (roster.read_bytes(), overlap.read_bytes())

    result = run("generate", folder, "-n", "50", "--seed", "4")
    assert result.exit_code == 2, describe(result)
    assert "--force" in result.stderr
    assert "roster.csv" in result.stderr
    assert (roster.read_bytes(), overlap.read_bytes()) == before

    result = run("generate", folder, "-n", "50", "--seed", "4", "--force")
    assert result.exit_code == 0, describe(result)
    assert len(pd.read_csv(roster)) == 50


def test_generate_refuses_when_only_the_overlap_file_exists(tmp_path: Path) -> None:
    (tmp_path / "overlap.csv").write_text("mine\n")
    result = run("generate", tmp_path, "-n", "10")
    assert result.exit_code == 2, describe(result)
    assert (tmp_path / "overlap.csv").read_text() == "mine\n"
    assert not (tmp_path / "roster.csv").exists()


def test_generated_sample_validates(tmp_path: Path) -> None:
    run("generate", tmp_path, "-n", "30", "--seed", "11")
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "name: generated\nroster: roster.csv\noverlap: overlap.csv\nbudget: 5k\n"
        "objective: {engagement: 0.1}\n",
        encoding="utf-8",
    )
    result = run("validate", scenario)
    assert result.exit_code == 0, describe(result)
    assert "30 influencers" in result.stdout


# ---------------------------------------------------------------------------- solvers


@pytest.mark.skipif("cbc" in available_solvers(), reason="CBC is installed here")
def test_missing_cbc_is_a_clear_usage_error() -> None:
    result = run("solve", FAST, "--solver", "cbc")
    assert result.exit_code == 2, describe(result)
    assert "cbc" in result.stderr
    assert "not installed" in result.stderr


@pytest.mark.skipif("cbc" in available_solvers(), reason="CBC is installed here")
def test_missing_cbc_message_keeps_the_install_hint() -> None:
    result = run("solve", FAST, "--solver", "cbc")
    assert "pip install 'inflopt[cbc]'" in result.stderr


def test_unknown_solver_option_is_a_usage_error() -> None:
    result = run("solve", FAST, "--solver", "nope")
    assert result.exit_code == 2, describe(result)
    assert "unknown solver 'nope'" in result.stderr
    assert "highs" in result.stderr


@pytest.mark.parametrize(
    "command",
    [("report", "-o", "plan.html", "--strategies", "hybrid"), ("explain", "-i", "tt_0017")],
    ids=["report", "explain"],
)
def test_report_and_explain_take_the_solver_options_too(tmp_path: Path, command) -> None:
    """They solve like the other commands, so --solver and --gap apply to them as well (they
    had only --time-limit)."""
    name, *rest = command
    rest = [str(tmp_path / part) if part.endswith(".html") else part for part in rest]
    result = run(name, FAST, *rest, "--solver", "nope")
    assert result.exit_code == 2, describe(result)
    assert "unknown solver 'nope'" in result.stderr
    assert not (tmp_path / "plan.html").exists()
    result = run(name, FAST, *rest, "--solver", "highs", "--gap", "0.01", "--time-limit", "30")
    assert result.exit_code == 0, describe(result)
    assert (tmp_path / "plan.html").exists() == (name == "report")


def test_help_and_validate_load_no_solver_stack():
    """``inflopt --help`` and ``inflopt validate`` stay quick: no PuLP, HiGHS, SciPy or
    NetworkX is imported for them (they load only when a model is built or solved)."""
    import subprocess
    import sys

    heavy = ("pulp", "highspy", "scipy", "networkx")
    code = (
        "import sys, cli\n"
        "for args in (['--help'], ['validate', sys.argv[1]]):\n"
        "    try:\n"
        "        cli.main(args, standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        f"print('heavy:' + ','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    scenario = str(Path(__file__).resolve().parents[1] / "scenarios" / "launch.yaml")
    done = subprocess.run(
        [sys.executable, "-c", code, scenario], capture_output=True, text=True, check=True
    )
    assert "ok" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "heavy:"


@pytest.mark.parametrize("extra", [[], ["--exact-full"]])
def test_json_on_stdout_parses_in_a_fresh_process(extra):
    """``inflopt solve --format json`` in a new interpreter prints JSON and nothing else on
    stdout (highspy 1.16 prints a banner from C for the first solver object of a process)."""
    import subprocess
    import sys

    command = [sys.executable, str(ROOT / "cli.py"), "solve", str(FAST), "--format", "json"]
    done = subprocess.run([*command, *extra], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == "optimal"


def test_a_solve_without_stdout_still_writes_its_output_file(tmp_path):
    """Started with file descriptor 1 closed (a service, ``>&-``), the solve still runs: the
    HiGHS banner guard finds no stdout to protect and steps aside."""
    import os
    import subprocess
    import sys

    out = tmp_path / "result.json"
    command = [sys.executable, str(ROOT / "cli.py"), "solve", str(FAST), "-o", str(out)]
    done = subprocess.run(
        command, stderr=subprocess.PIPE, text=True, check=False, preexec_fn=lambda: os.close(1)
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(out.read_text())["status"] == "optimal"


def test_the_fast_path_loads_no_pulp(tmp_path):
    """A solve on the fast path imports HiGHS and SciPy but neither PuLP nor NetworkX (they
    cost start-up time and ~40 MB); the full model still loads PuLP when it is needed."""
    import subprocess
    import sys

    from optimizer.synthetic import write_instance

    scenario = str(write_instance(tmp_path / "fast", 600, "typical", seed=1))
    code = (
        "import sys\n"
        "from optimizer import solve, load_scenario\n"
        "from optimizer.engine import with_solver_overrides\n"
        "scenario = load_scenario(sys.argv[1])\n"
        "result = solve(with_solver_overrides(scenario, strategy=sys.argv[2]))\n"
        "print(result.status, result.model_size.get('method', 'full'))\n"
        "print('loaded:' + ','.join(m for m in ('pulp', 'networkx') if m in sys.modules))\n"
    )
    for strategy, expected in (("fast", "loaded:"), ("full", "loaded:pulp")):
        done = subprocess.run(
            [sys.executable, "-c", code, scenario, strategy],
            capture_output=True,
            text=True,
            check=True,
        )
        lines = done.stdout.strip().splitlines()
        assert lines[-2] == f"optimal {strategy}", done.stdout
        assert lines[-1] == expected, done.stdout


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_a_reader_that_goes_away_ends_the_run_quietly(fmt):
    """``inflopt solve … | head``: when the pipe closes, no traceback and exit code 141
    (128 + SIGPIPE, as other Unix tools end), not 1 ("not solved")."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first line
    command = [sys.executable, "-c", "import cli; cli.main()", "solve"]
    command += [str(root / "scenarios" / "launch.yaml"), "-s", "hybrid", "--format", fmt]
    done = subprocess.run(command, stdout=write, stderr=subprocess.PIPE, text=True, cwd=root)
    os.close(write)
    assert done.returncode == 141, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr


def test_a_command_run_in_process_gives_back_the_sigterm_handler() -> None:
    """A script or test runner that calls the CLI in-process keeps its own SIGTERM handling
    afterwards (`timeout` could not stop a test run while inflopt's handler stayed)."""
    import signal

    before = signal.getsignal(signal.SIGTERM)
    result = run("validate", MULTI)
    assert result.exit_code == 0, describe(result)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_picks_file_reads_back_as_the_roster_of_a_shortlist_brief(tmp_path: Path) -> None:
    """`-o picks.csv` then a brief on that shortlist: its `tier` column agrees with the tiers
    computed from followers (same thresholds), so it is accepted; one that disagrees is named."""
    picks = tmp_path / "picks.csv"
    result = run("solve", MULTI, "-s", "hybrid", "-o", picks)
    assert result.exit_code == 0, describe(result)
    brief = tmp_path / "shortlist.yaml"
    brief.write_text("name: shortlist\nroster: picks.csv\nbudget: 10k\nobjective: {reach: 1}\n")
    again = run("solve", brief, "--format", "json")
    assert again.exit_code == 0, describe(again)
    shortlist = set(pd.read_csv(picks)["id"])
    assert set(json.loads(again.stdout)["selected"]) <= shortlist

    frame = pd.read_csv(picks)
    row = int(frame.index[frame["tier"] == "micro"][0])
    frame.loc[row, "tier"] = "mega"
    frame.to_csv(picks, index=False)
    wrong = run("validate", brief)
    assert wrong.exit_code == 2, describe(wrong)
    followers = f"{frame.loc[row, 'followers']:,.0f}"
    assert (
        f"row {row + 2}, column tier: says mega, but {followers} followers make it micro "
        "under the scenario's tiers; rename or drop the column"
    ) in wrong.stderr


def test_a_robust_solve_labels_its_worst_case_apart_from_the_nominal_value() -> None:
    """The status line gave the worst case as "value" and the totals the nominal value as
    "value": two different numbers under one name."""
    result = run("solve", MULTI, "-s", "hybrid-robust", "--format", "json")
    assert result.exit_code == 0, describe(result)
    robust = json.loads(result.stdout)["robust"]
    worst, nominal = robust["worst_case_value"], robust["nominal_value"]
    assert worst < nominal
    text = run("solve", MULTI, "-s", "hybrid-robust").stdout
    first = text.splitlines()[0]
    assert f"worst-case value (Γ 3, cv 0.3) {worst:,.2f} USD" in first
    assert f"value (USD)                       │ {nominal:,.2f} │" in text
    assert f"worst-case value (USD)            │ {worst:,.2f} │" in text


def test_a_picks_file_reads_back_with_tier_names_in_capitals(tmp_path: Path) -> None:
    """The tier check compared the file's cells lower-cased with the scenario's names as
    written: every row failed for `tiers: {Small: 0, Big: 100000}`."""
    brief = tmp_path / "tiers.yaml"
    roster = SCENARIOS / "data" / "roster.csv"
    brief.write_text(
        f"name: caps\nroster: {roster}\nbudget: 10k\nobjective: {{reach: 1}}\n"
        "tiers: {Small: 0, Big: 100000}\n"
    )
    picks = tmp_path / "picks.csv"
    solved = run("solve", brief, "-o", picks)
    assert solved.exit_code == 0, describe(solved)
    assert set(pd.read_csv(picks)["tier"]) <= {"Small", "Big"}
    again = tmp_path / "again.yaml"
    again.write_text(brief.read_text().replace(str(roster), "picks.csv"))
    result = run("validate", again)
    assert result.exit_code == 0, describe(result)


def test_text_that_looks_like_an_emoji_code_is_printed_as_written(tmp_path: Path) -> None:
    """rich turns `:abc:` into 🔤 unless told not to: a handle or an address in a message
    must come out as written."""
    roster = pd.read_csv(SCENARIOS / "data" / "roster.csv")
    roster["handle"] = ":fire:" + roster["handle"]
    roster.to_csv(tmp_path / "roster.csv", index=False)
    brief = tmp_path / "s.yaml"
    brief.write_text("name: emoji\nroster: roster.csv\nbudget: 5k\nobjective: {reach: 1}\n")
    result = run("solve", brief)
    assert result.exit_code == 0, describe(result)
    assert ":fire:@" in result.stdout and "🔥" not in result.stdout
