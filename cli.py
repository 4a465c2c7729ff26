"""The ``inflopt`` command: a thin click layer over the ``optimizer`` package.

Each command loads, runs and reports; user errors are caught once (``run_safely``) and shown
as messages with exit code 2, never as tracebacks.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_SUCCESS = 0  # solved (every result has a verified portfolio)
EXIT_NOT_SOLVED = 1  # solved, but infeasible or no solution within the limits
EXIT_USAGE = 2  # bad input or usage


def run_safely(action: Callable[[], int]) -> None:
    """Run a command body; turn inflopt's errors into messages and exit codes."""
    from rich.console import Console

    from optimizer.errors import InputError, SolverError, VerificationError
    from optimizer.report import render_problems

    err = Console(stderr=True, soft_wrap=True)
    try:
        code = action()
    except InputError as exc:
        render_problems(exc.problems, err)
        code = EXIT_USAGE
    except SolverError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        code = EXIT_USAGE
    except VerificationError as exc:
        err.print(f"[red]error:[/red] {exc}", markup=False, highlight=False)
        code = EXIT_NOT_SOLVED
    except KeyboardInterrupt:
        err.print("interrupted")
        code = 130
    sys.exit(code)


def solver_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by commands that solve: solver, limits, output."""
    options = [
        click.option("--solver", default=None, help="Solver by name: highs (default) or cbc."),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            help="Seconds the solver may run (overrides solver.time_limit).",
        ),
        click.option(
            "--gap",
            type=click.FloatRange(0, 1, max_open=True),
            default=None,
            help="Relative optimality gap to stop at, as a fraction (overrides solver.gap).",
        ),
        click.option(
            "--format",
            "output_format",
            type=click.Choice(["table", "json"]),
            default="table",
            show_default=True,
            help="How to print the result.",
        ),
        click.option(
            "-o",
            "--output",
            type=click.Path(dir_okay=False, path_type=Path),
            default=None,
            help="Also write the result to FILE (.csv, .json or .xlsx).",
        ),
        click.option("--force", is_flag=True, help="Overwrite the -o file if it exists."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _load(path: Path, solver: str | None, time_limit: float | None, gap: float | None):
    from optimizer.engine import with_solver_overrides
    from optimizer.scenario import load_scenario

    scenario = load_scenario(path)
    return with_solver_overrides(scenario, name=solver, time_limit=time_limit, gap=gap)


def _console():
    from rich.console import Console

    console = Console()
    return console if console.is_terminal else Console(width=120)


def _report(
    results: list,
    output_format: str,
    output: Path | None,
    force: bool,
    many: bool,
    details: bool = True,
) -> int:
    from optimizer.output import write_results
    from optimizer.report import render_comparison, render_results

    if output is not None:
        write_results(results, output, force=force)
    if output_format == "json":
        payload = [r.to_dict() for r in results]
        click.echo(json.dumps(payload if many else payload[0], indent=2))
    elif many:
        render_comparison(results, _console(), details)
    else:
        render_results(results, _console())
        if output is not None:
            click.echo(f"wrote {output}")
    return EXIT_SUCCESS if all(r.solved for r in results) else EXIT_NOT_SOLVED


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="inflopt")
def main() -> None:
    """inflopt: pick the best portfolio of influencers under a budget and campaign rules."""


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("-s", "--strategy", default=None, help="Solve this strategy of the file.")
@solver_options
def solve(
    scenario_file: Path, strategy: str | None, solver, time_limit, gap, output_format, output, force
) -> None:
    """Solve SCENARIO_FILE into a verified portfolio."""

    def action() -> int:
        from optimizer.engine import solve as solve_scenario

        scenario = _load(scenario_file, solver, time_limit, gap)
        result = solve_scenario(scenario, strategy)
        return _report([result], output_format, output, force, many=False)

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--strategies", default=None, help="Comma-separated strategy names (default: all).")
@click.option("--details", is_flag=True, help="Also print every strategy's portfolio.")
@solver_options
def compare(
    scenario_file: Path,
    strategies: str | None,
    details: bool,
    solver,
    time_limit,
    gap,
    output_format,
    output,
    force,
) -> None:
    """Solve every strategy of SCENARIO_FILE (or micro-only / macro-only / hybrid)."""

    def action() -> int:
        from optimizer.engine import compare as compare_strategies

        scenario = _load(scenario_file, solver, time_limit, gap)
        names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
        results = compare_strategies(scenario, names)
        return _report(results, output_format, output, force, many=True, details=details)

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("-i", "--influencer", required=True, help="The influencer id to explain.")
@click.option("-s", "--strategy", default=None, help="Explain within this strategy.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How to print the answer.",
)
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds each of the two solves may run.",
)
def explain(
    scenario_file: Path, influencer: str, strategy: str | None, output_format: str, time_limit
) -> None:
    """Say why INFLUENCER is in or out: forced the other way, binding rules, value per cost."""

    def action() -> int:
        from optimizer.explain import explain as explain_influencer

        scenario = _load(scenario_file, None, time_limit, None)
        answer = explain_influencer(scenario, influencer, strategy)
        if output_format == "json":
            click.echo(json.dumps(answer.to_dict(), indent=2))
        else:
            state = "IN the portfolio" if answer.picked else "NOT in the portfolio"
            click.echo(f"{answer.influencer} is {state} ({answer.strategy or 'base scenario'})")
            for reason in answer.reasons:
                click.echo(f"  - {reason}")
            if answer.swapped_in or answer.swapped_out:
                click.echo(f"  forced portfolio adds: {', '.join(answer.swapped_in) or '–'}")
                click.echo(f"  forced portfolio drops: {', '.join(answer.swapped_out) or '–'}")
        return EXIT_SUCCESS

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
def validate(scenario_file: Path) -> None:
    """Check SCENARIO_FILE, its roster and overlap file; print every problem at once."""

    def action() -> int:
        from optimizer.engine import prepare
        from optimizer.scenario import load_scenario

        scenario = load_scenario(scenario_file)
        prepared = prepare(scenario)
        roster = prepared.roster
        defaulted = int((roster.frame["defaulted"] != "").sum())
        tiers = roster.frame["tier"].value_counts().to_dict()
        click.echo(f"{scenario_file}: ok")
        click.echo(f"  roster   {roster.source}: {len(roster)} influencers, tiers {tiers}")
        click.echo(f"           {defaulted} rows took one or more default rates")
        click.echo(f"  overlap  {prepared.overlap.method}: {prepared.overlap.edge_count} pairs")
        names = scenario.strategy_names()
        click.echo(f"  strategies: {', '.join(names) if names else 'none (built-in ones used)'}")
        return EXIT_SUCCESS

    run_safely(action)


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files."""
    from optimizer.scenario import scenario_json_schema

    click.echo(json.dumps(scenario_json_schema(), indent=2))


@main.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "-n",
    "--size",
    type=click.IntRange(min=2),
    default=300,
    show_default=True,
    help="Number of influencers.",
)
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--degree",
    type=click.FloatRange(min=0),
    default=6.0,
    show_default=True,
    help="Average overlap partners per influencer.",
)
@click.option("--force", is_flag=True, help="Overwrite roster.csv / overlap.csv in FOLDER.")
def generate(folder: Path, size: int, seed: int, degree: float, force: bool) -> None:
    """Write a seeded synthetic roster.csv and overlap.csv into FOLDER."""

    def action() -> int:
        from optimizer.errors import InputError
        from optimizer.generate import write_sample

        existing = [folder / n for n in ("roster.csv", "overlap.csv") if (folder / n).exists()]
        if existing and not force:
            raise InputError.single(
                str(existing[0]), "", "file exists; pass --force to overwrite it"
            )
        roster_path, overlap_path = write_sample(folder, size, seed, degree)
        click.echo(f"wrote {roster_path} and {overlap_path}")
        return EXIT_SUCCESS

    run_safely(action)


if __name__ == "__main__":
    main()
