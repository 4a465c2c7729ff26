"""The ``inflopt`` command: a thin click layer over the ``optimizer`` package.

Each command loads, runs and reports; user errors are caught once (``run_safely``) and shown
as messages with exit code 2, never as tracebacks.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

EXIT_SUCCESS = 0  # solved (every result has a verified portfolio)
EXIT_NOT_SOLVED = 1  # solved, but infeasible or no solution within the limits
EXIT_USAGE = 2  # bad input or usage
EXIT_CRASHED = 3  # a batch or sweep task crashed: an error inflopt did not expect (a bug)
EXIT_PIPE = 141  # the reader of our output went away (128 + SIGPIPE, as other tools end)
EXIT_TERMINATED = 143  # SIGTERM (128 + 15): a job scheduler or `kill` ended the run
_OWN_PROCESS = False  # set by :func:`run`: the process is the inflopt program, not a host


class Terminated(BaseException):
    """SIGTERM arrived (a BaseException, so that no ``except Exception`` swallows it)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise Terminated


def run_safely(action: Callable[[], int]) -> None:
    """Run a command body; turn inflopt's errors into messages and exit codes.

    SIGTERM ends the command as Ctrl-C does: the cleanup runs on the way out (a batch's pool
    workers are stopped instead of running on, orphaned, until their tasks end).
    """
    import signal
    import threading

    from rich.console import Console
    from rich.markup import escape

    from optimizer.errors import InputError, SolverError, VerificationError
    from optimizer.report import render_problems

    err = Console(stderr=True, soft_wrap=True, emoji=False)
    on_main = threading.current_thread() is threading.main_thread()
    before = signal.signal(signal.SIGTERM, _raise_terminated) if on_main else None
    try:
        code = action()
    except InputError as exc:
        render_problems(exc.problems, err)
        code = EXIT_USAGE
    except SolverError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        code = EXIT_USAGE
    except VerificationError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        code = EXIT_NOT_SOLVED
    except KeyboardInterrupt:
        err.print("interrupted")
        code = 130
    except Terminated:
        err.print("terminated")
        code = EXIT_TERMINATED
    except BrokenPipeError:  # `inflopt solve … | head`: nobody reads the rest
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit does not fail again
        code = EXIT_PIPE
    finally:  # an in-process caller (tests, scripts) gets its own SIGTERM handling back
        if on_main and before is not None:  # None: a handler set outside Python
            signal.signal(signal.SIGTERM, before)
    if _OWN_PROCESS and code in (130, EXIT_TERMINATED) and _work_left_running():
        _exit_now(code)
    if _OWN_PROCESS and not _abandoned_runs_ended():
        _exit_now(code)
    sys.exit(code)


def _abandoned_runs_ended(seconds: float = 0.0) -> bool:
    """Have the HiGHS runs abandoned at a deadline (cancelled, ending soon) ended, waiting up
    to ``seconds``? One still running when the process ends would abort it ("terminate called
    without an active exception", exit 134) after the result was printed: False then, to exit
    at once. Not waited for by default: the time limit is the command's, not only the
    answer's."""
    bounds = sys.modules.get("optimizer.bounds")
    if bounds is None or not bounds.abandoned_runs():
        return True
    try:
        bounds.settle_abandoned(limit=seconds)
    except Exception:  # SolverError: still running
        return False
    return True


def _work_left_running() -> bool:
    """Is a HiGHS run or a helper thread (the fast path's greedy) still going after an
    interrupt? A normal exit would then wait for it, or abort when HiGHS's thread is torn down
    ("terminate called without an active exception", exit 134)."""
    import threading

    bounds = sys.modules.get("optimizer.bounds")
    if bounds is not None and bounds.abandoned_runs():
        return True
    main = threading.main_thread()
    return any(t is not main and t.is_alive() and not t.daemon for t in threading.enumerate())


def _exit_now(code: int) -> None:
    """End the process with ``code`` at once, after the cleanup that already ran on the way
    out (a batch's workers stopped, temporary files removed): threads are not waited for."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


class FiniteFloat(click.FloatRange):
    """A float option, bounded as by :class:`click.FloatRange`, that refuses nan and ±inf."""

    name = "float"

    def _describe_range(self) -> str:
        """The ``[x>=0]`` of ``--help``; nothing when unbounded (not ``x<=None``)."""
        bounded = self.min is not None or self.max is not None
        return super()._describe_range() if bounded else ""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def limit_options(
    time_limit_help: str = "Seconds the solver may run (overrides solver.time_limit).",
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """--solver, --time-limit and --gap: the solver settings a command line may override."""
    options = [
        click.option("--solver", default=None, help="Solver by name: highs (default) or cbc."),
        click.option(
            "--time-limit",
            type=click.FloatRange(min=0, min_open=True),
            default=None,
            help=time_limit_help,
        ),
        click.option(
            "--gap",
            type=click.FloatRange(0, 1, max_open=True),
            default=None,
            help="Relative optimality gap to stop at, as a fraction (overrides solver.gap).",
        ),
    ]

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            function = option(function)
        return function

    return decorate


def solver_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options shared by commands that solve: solver, limits, output."""
    options = [
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
    return limit_options()(function)


def _load(
    path: Path,
    solver: str | None,
    time_limit: float | None,
    gap: float | None,
    exact_full: bool = False,
):
    from optimizer.engine import with_solver_overrides
    from optimizer.scenario import load_scenario

    scenario = load_scenario(path)
    method = "full" if exact_full else None
    return with_solver_overrides(
        scenario, name=solver, time_limit=time_limit, gap=gap, strategy=method
    )


REPORT = click.option(
    "--report",
    "report_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Also write a self-contained HTML report to this file.",
)
EXACT_FULL = click.option(
    "--exact-full",
    is_flag=True,
    help="Solve the plain full model (no fast path for large rosters; see docs/performance.md).",
)


def _report(
    results: list,
    output_format: str,
    output: Path | None,
    force: bool,
    many: bool,
    details: bool = True,
    report_path: Path | None = None,
) -> int:
    """Print ``results`` (and write ``output``); in table form, name every file written (the
    HTML report at ``report_path`` was written before)."""
    from optimizer.output import write_results
    from optimizer.report import render_comparison, render_results

    if output is not None:
        write_results(results, output, force=force, many=many)
    if output_format == "json":
        payload = [r.to_dict() for r in results]
        click.echo(json.dumps(payload if many else payload[0], indent=2))
        return EXIT_SUCCESS if all(r.solved for r in results) else EXIT_NOT_SOLVED
    if many:
        render_comparison(results, _console(), details)
    else:
        render_results(results, _console())
    for path in (output, report_path):
        if path is not None:
            click.echo(f"wrote {path}")
    return EXIT_SUCCESS if all(r.solved for r in results) else EXIT_NOT_SOLVED


def _warn_about_roster(roster) -> None:
    """The roster's notes on values that look wrong (mixed currencies, free picks…), on
    standard error: read as written, they would otherwise pass without a word."""
    for warning in roster.warnings:
        click.echo(f"note: {roster.source}: {warning}", err=True)


def _check_outputs(output: Path | None, report_path: Path | None, force: bool) -> None:
    """Refuse bad or existing output paths before any solving starts."""
    from optimizer.tables import check_new

    check_new(output, force, (".csv", ".json", ".xlsx"))
    check_new(report_path, force, (".html", ".htm"))


def _write_report(results: list, prepared, path: Path | None, force: bool) -> None:
    """Write the HTML report of ``results`` when a path is given (atomically)."""
    if path is None:
        return
    from optimizer.html_report import render_html, write_html

    simulations = {r.strategy or "base": r.simulation for r in results if r.simulation}
    write_html(path, render_html(results, prepared, simulations), force=force)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="inflopt")
def main() -> None:
    """inflopt: pick the best portfolio of influencers under a budget and campaign rules."""


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("-s", "--strategy", default=None, help="Solve this strategy of the file.")
@REPORT
@EXACT_FULL
@solver_options
def solve(
    scenario_file: Path,
    strategy: str | None,
    report_path: Path | None,
    exact_full: bool,
    solver,
    time_limit,
    gap,
    output_format,
    output,
    force,
) -> None:
    """Solve SCENARIO_FILE into a verified portfolio."""

    def action() -> int:
        from optimizer.engine import prepare
        from optimizer.engine import solve as solve_scenario

        _check_outputs(output, report_path, force)
        scenario = _load(scenario_file, solver, time_limit, gap, exact_full)
        prepared = prepare(scenario)
        _warn_about_roster(prepared.roster)
        result = solve_scenario(scenario, strategy, prepared=prepared)
        _write_report([result], prepared, report_path, force)
        return _report([result], output_format, output, force, False, report_path=report_path)

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--strategies", default=None, help="Comma-separated strategy names (default: all).")
@click.option("--details", is_flag=True, help="Also print every strategy's portfolio.")
@REPORT
@EXACT_FULL
@solver_options
def compare(
    scenario_file: Path,
    strategies: str | None,
    details: bool,
    report_path: Path | None,
    exact_full: bool,
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
        from optimizer.engine import prepare

        _check_outputs(output, report_path, force)
        scenario = _load(scenario_file, solver, time_limit, gap, exact_full)
        names = _names(strategies)
        prepared = prepare(scenario)
        _warn_about_roster(prepared.roster)
        results = compare_strategies(scenario, names, prepared=prepared)
        _write_report(results, prepared, report_path, force)
        return _report(results, output_format, output, force, True, details, report_path)

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The HTML file to write.",
)
@click.option("--strategies", default=None, help="Comma-separated strategy names (default: all).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@limit_options("Seconds each strategy's solve may run (overrides solver.time_limit).")
def report(
    scenario_file: Path,
    output: Path,
    strategies: str | None,
    force: bool,
    solver: str | None,
    time_limit: float | None,
    gap: float | None,
) -> None:
    """Solve every strategy and write one self-contained HTML report a strategist can email."""

    def action() -> int:
        from optimizer.engine import compare as compare_strategies
        from optimizer.engine import prepare

        _check_outputs(None, output, force)
        scenario = _load(scenario_file, solver, time_limit, gap)
        names = _names(strategies)
        prepared = prepare(scenario)
        _warn_about_roster(prepared.roster)
        results = compare_strategies(scenario, names, prepared=prepared)
        _write_report(results, prepared, output, force)
        click.echo(f"wrote {output}")
        return EXIT_SUCCESS if all(r.solved for r in results) else EXIT_NOT_SOLVED

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
@limit_options("Seconds each of the two solves may run (overrides solver.time_limit).")
def explain(
    scenario_file: Path,
    influencer: str,
    strategy: str | None,
    output_format: str,
    solver: str | None,
    time_limit: float | None,
    gap: float | None,
) -> None:
    """Say why INFLUENCER is in or out: forced the other way, binding rules, value per cost."""

    def action() -> int:
        from optimizer.explanation import explain as explain_influencer

        scenario = _load(scenario_file, solver, time_limit, gap)
        answer = explain_influencer(scenario, influencer, strategy)
        if output_format == "json":
            click.echo(json.dumps(answer.to_dict(), indent=2))
            return EXIT_SUCCESS if answer.base_solved else EXIT_NOT_SOLVED
        where = answer.strategy or "base scenario"
        if not answer.base_solved:
            click.echo(
                f"the scenario itself has no portfolio ({where}, status {answer.base_status}), "
                f"so {answer.influencer} is neither in nor out of one"
            )
        else:
            state = "IN the portfolio" if answer.picked else "NOT in the portfolio"
            click.echo(f"{answer.influencer} is {state} ({where})")
        for reason in answer.reasons:
            click.echo(f"  - {reason}")
        if answer.swapped_in or answer.swapped_out:
            click.echo(f"  forced portfolio adds: {', '.join(answer.swapped_in) or '–'}")
            click.echo(f"  forced portfolio drops: {', '.join(answer.swapped_out) or '–'}")
        return EXIT_SUCCESS if answer.base_solved else EXIT_NOT_SOLVED

    run_safely(action)


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
def validate(scenario_file: Path) -> None:
    """Check SCENARIO_FILE, its roster and overlap file; print every problem at once."""

    def action() -> int:
        from optimizer.data import prepare  # no solver stack: checking files stays quick
        from optimizer.scenario import load_scenario

        scenario = load_scenario(scenario_file)
        prepared = prepare(scenario)
        roster = prepared.roster
        defaulted = int((roster.frame["defaulted"] != "").sum())
        tiers = roster.frame["tier"].value_counts().to_dict()
        click.echo(f"{scenario_file}: ok")
        click.echo(
            f"  roster   {roster.source}: {_count(len(roster), 'influencer')}, tiers {tiers}"
        )
        click.echo(f"           {_count(defaulted, 'row')} took one or more default rates")
        for note in roster.notes:
            click.echo(f"           {note}")
        pairs = _count(prepared.overlap.edge_count, "pair")
        click.echo(f"  overlap  {prepared.overlap.method}: {pairs}")
        reach = scenario.reach
        if reach.method == "coverage":
            click.echo(f"  reach    coverage: membership {reach.membership}")
        elif reach.method == "sainsbury":
            click.echo(
                f"  reach    sainsbury: segments {reach.segments}, sizes {reach.segment_sizes}, "
                f"max_error {reach.max_error:g}"
            )
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
@click.option(
    "--seed", type=click.IntRange(min=0), default=7, show_default=True, help="Random seed."
)
@click.option(
    "--degree",
    type=FiniteFloat(min=0),
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

        targets = [folder / n for n in ("roster.csv", "overlap.csv")]
        folders = [p for p in targets if p.is_dir()]
        if folders:
            raise InputError.single(str(folders[0]), "", "is a folder, not a file")
        existing = [p for p in targets if p.exists()]
        if existing and not force:
            raise InputError.single(
                str(existing[0]), "", "file exists; pass --force to overwrite it"
            )
        roster_path, overlap_path = write_sample(folder, size, seed, degree)
        click.echo(f"wrote {roster_path} and {overlap_path}")
        return EXIT_SUCCESS

    run_safely(action)


# ---------------------------------------------------------------- sweep and batch (many tasks)


def execution_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """Options of commands that run many tasks: workers, Dask, per-task limit, results folder."""
    options = [
        click.option(
            "--workers",
            type=click.IntRange(min=1),
            default=None,
            help="Local worker processes [default: the core count].",
        ),
        click.option(
            "--dask", "dask_address", default=None, help="Run on the Dask scheduler at ADDRESS."
        ),
        click.option(
            "--task-limit",
            type=FiniteFloat(min=0, min_open=True),
            default=None,
            help="Wall-clock seconds per task; an overrunning task is killed (no_solution).",
        ),
        click.option(
            "--results",
            "results_dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("inflopt-results"),
            show_default=True,
            help="Folder of finished results (one JSON per task); a re-run skips them.",
        ),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def _run_many(tasks: list, workers, dask_address, task_limit, results_dir: Path) -> list:
    from optimizer.runner import run_tasks
    from optimizer.store import ResultStore

    return run_tasks(
        tasks,
        workers=workers,
        limit=task_limit,
        store=ResultStore(results_dir),
        dask=dask_address,
        progress=sys.stderr.isatty(),
    )


def _count(n: int, noun: str) -> str:
    """``1 task``, ``2 tasks``, ``1,200 rows``."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _print_task_errors(outcomes: list) -> None:
    """Each failed task's message on standard error (a crash: one line, no traceback)."""
    for outcome in outcomes:
        for line in outcome.error_lines():
            click.echo(line, err=True)


def _many_exit_code(outcomes: list, problems: list) -> int:
    """2 for bad input anywhere, else 3 for a crashed task, else 1 or 0 as for ``compare``."""
    if problems or any(o.error and not o.crashed for o in outcomes):
        return EXIT_USAGE
    if any(o.crashed for o in outcomes):
        return EXIT_CRASHED
    return EXIT_SUCCESS if all(o.solved for o in outcomes) else EXIT_NOT_SOLVED


def _console():
    from rich.console import Console

    class PipedConsole(Console):
        def on_broken_pipe(self) -> None:  # rich would exit with 1 ("not solved"): let
            raise BrokenPipeError  # run_safely end with EXIT_PIPE

    console = PipedConsole(emoji=False)
    return console if console.is_terminal else PipedConsole(width=160, emoji=False)


def _names(text: str | None) -> list[str] | None:
    """Comma-separated names, blanks and repeats dropped (first order kept); None when none."""
    names = [s.strip() for s in text.split(",") if s.strip()] if text else []
    return list(dict.fromkeys(names)) or None


def _targets(pairs: tuple[str, ...]) -> dict[str, float]:
    from optimizer.errors import InputError
    from optimizer.scenario import KPI_NAMES
    from optimizer.sweep import parse_grid

    targets = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        if name.strip() not in KPI_NAMES or not value:
            raise InputError.single("cli", "--target", f"{pair!r}: write KPI=VALUE, KPI one of "
                                    + ", ".join(KPI_NAMES))  # fmt: skip
        targets[name.strip()] = parse_grid(value, "--target")[0]
    return targets


@main.command()
@click.argument("scenario_file", type=click.Path(path_type=Path))
@click.option("--budget", "budget_grid", default=None, help="Budgets: 10k:200k:10k or 10k,20k,50k.")
@click.option("--set", "settings", multiple=True, help="Sweep any numeric setting: PATH=GRID.")
@click.option("--strategies", default=None, help="Comma-separated strategies; 'base' = as written.")
@click.option("--kpi", default="conversions", show_default=True, help="KPI of the curve.")
@click.option(
    "--knee-threshold", type=FiniteFloat(min=0), default=None, help="KPI per extra 1,000 spent."
)
@click.option("--target", "targets", multiple=True, help="KPI=VALUE: find the minimum budget.")
@click.option("--chart", type=click.Path(dir_okay=False, path_type=Path), help="PNG/SVG chart.")
@solver_options
@execution_options
def sweep(scenario_file: Path, budget_grid, settings, strategies, kpi, knee_threshold, targets,
          chart, solver, time_limit, gap, output_format, output, force, workers, dask_address,
          task_limit, results_dir) -> None:  # fmt: skip
    """Solve SCENARIO_FILE over a grid of budgets (or other settings) for every strategy."""

    def action() -> int:
        from optimizer import sweep as sw
        from optimizer.engine import strategy_name, strategy_names
        from optimizer.tables import CHART_FORMATS, check_new, check_parent

        check_new(output, force)
        check_new(chart, force, tuple(CHART_FORMATS))
        check_parent(results_dir)
        axes = [("budget", sw.parse_grid(budget_grid))] if budget_grid else []
        axes += [sw.parse_setting(text) for text in settings]
        if not axes:
            raise click.UsageError("give --budget GRID and/or --set PATH=GRID")
        scenario = _load(scenario_file, solver, time_limit, gap)
        names = _names(strategies) or strategy_names(scenario)
        tasks = sw.sweep_tasks(scenario, axes, [strategy_name(scenario, n) for n in names])
        if not any(path.startswith(("roster", "overlap", "reach")) for path, _ in axes):
            from optimizer.data import prepare  # every point reads the same data: check it
            # once here (an error is one message and exit 2, not one per grid point)

            prepare(scenario)
        outcomes = _run_many(tasks, workers, dask_address, task_limit, results_dir)
        summaries = sw.analyse(outcomes, kpi, knee_threshold, _targets(targets))
        _print_task_errors(outcomes)
        _sweep_report(summaries, output_format, output, chart, force)
        return _many_exit_code(outcomes, [])

    run_safely(action)


def _sweep_report(summaries: list, output_format: str, output, chart, force: bool) -> None:
    from optimizer import sweep as sw
    from optimizer.tables import frame_table, write_chart, write_tables

    curve, summary = sw.curve_frame(summaries), sw.summary_frame(summaries)
    if output is not None:
        sheets = {"curve": curve, "summary": summary}
        write_tables(output, sheets, sw.curve_records(summaries), force)
    if chart is not None:
        kpi = summaries[0].kpi if summaries else "conversions"
        write_chart(chart, lambda tmp, fmt: sw.draw_chart(summaries, kpi, tmp, fmt), force)
    if output_format == "json":
        click.echo(json.dumps(sw.curve_records(summaries), indent=2, default=str))
        return
    console = _console()
    shown = curve.drop(columns=["error", "cached"], errors="ignore").dropna(axis=1, how="all")
    console.print(frame_table(shown, "Response curve"))
    title = sw.summary_title(summaries)
    if title is not None:
        console.print(frame_table(summary, title))
    for path in (output, chart):
        if path is not None:
            click.echo(f"wrote {path}")


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--strategies", default=None, help="Comma-separated strategies; 'base' = as written.")
@solver_options
@execution_options
def batch(paths: tuple[str, ...], strategies, solver, time_limit, gap, output_format, output, force,
          workers, dask_address, task_limit, results_dir) -> None:  # fmt: skip
    """Solve every scenario file in PATHS (files, folders, globs); one result per strategy."""

    def action() -> int:
        from optimizer.batch import batch_tasks, expand_paths
        from optimizer.errors import InputError, Problem
        from optimizer.tables import check_new, check_parent

        check_new(output, force)
        check_parent(results_dir)
        files, problems = expand_paths(paths)
        overrides = {"name": solver, "time_limit": time_limit, "gap": gap}
        tasks, bad = batch_tasks(files, _names(strategies), overrides)
        if not tasks:
            nothing = Problem("cli", "PATHS", "no tasks to run: every path given was left out")
            raise InputError([*problems, *bad, nothing])
        outcomes = _run_many(tasks, workers, dask_address, task_limit, results_dir)
        _batch_report(outcomes, problems + bad, output_format, output, force)
        return _many_exit_code(outcomes, problems + bad)

    run_safely(action)


def _batch_report(outcomes: list, problems: list, output_format: str, output, force: bool) -> None:
    from rich.console import Console

    from optimizer.batch import batch_frame, batch_records, problem_frame
    from optimizer.report import render_problems
    from optimizer.tables import frame_table, write_tables

    if output is not None:
        sheets = {
            "summary": batch_frame(outcomes, problems),
            "problems": problem_frame(problems, outcomes),
        }
        write_tables(output, sheets, batch_records(outcomes, problems), force)
    if problems:
        render_problems(problems, Console(stderr=True, soft_wrap=True, emoji=False))
    _print_task_errors(outcomes)
    if output_format == "json":
        click.echo(json.dumps(batch_records(outcomes, problems), indent=2, default=str))
        return
    shown = batch_frame(outcomes).drop(columns=["key", "error"])
    _console().print(frame_table(shown, f"Batch: {_count(len(outcomes), 'task')}"))
    if output is not None:
        click.echo(f"wrote {output}")


@main.group()
def overlap() -> None:
    """Build audience-overlap data (pairs file, membership table) from follower samples."""


@overlap.command("build")
@click.argument("samples", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for overlap.csv (pairs) and membership.csv.",
)
@click.option("--influencer-column", default="influencer", show_default=True)
@click.option("--follower-column", default="follower", show_default=True)
@click.option(
    "--symmetric", is_flag=True, help="Rows are mutual links (a follow graph): count both ways."
)
@click.option(
    "--min-shared",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Leave out pairs sharing fewer sampled followers.",
)
@click.option(
    "--weight",
    type=FiniteFloat(min=0, min_open=True),
    default=1.0,
    show_default=True,
    help="People one sampled follower stands for (membership weight).",
)
@click.option(
    "--shared",
    "shared_as",
    type=click.Choice(["count", "overlap"]),
    default="count",
    show_default=True,
    help="What the pairs file's shared column holds (overlap: for partial samples).",
)
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv")
@click.option("--force", is_flag=True, help="Overwrite existing files in the folder.")
def overlap_build(
    samples: Path,
    folder: Path,
    influencer_column: str,
    follower_column: str,
    symmetric: bool,
    min_shared: int,
    weight: float,
    shared_as: str,
    fmt: str,
    force: bool,
) -> None:
    """Count shared followers of every pair in SAMPLES (influencer, follower rows)."""

    def action() -> int:
        from optimizer.samples import build_tables, read_samples, write_tables
        from optimizer.tables import check_parent

        check_parent(folder)
        frame = read_samples(samples, influencer_column, follower_column, symmetric)
        tables = build_tables(frame, min_shared, weight, shared_as)  # type: ignore[arg-type]
        written = write_tables(tables, folder, fmt, force)
        info = tables.samples
        click.echo(
            f"{info.rows_read:,} sample rows ({info.repeated:,} repeated), "
            f"{len(info.influencers):,} influencers, {len(info.followers):,} followers"
        )
        click.echo(f"wrote {written[0]} ({len(tables.pairs):,} pairs)")
        click.echo(f"wrote {written[1]} ({len(tables.membership):,} rows)")
        return EXIT_SUCCESS

    run_safely(action)


def run() -> None:
    """The ``inflopt`` program (console script, ``python cli.py``): inflopt owns the process,
    so :func:`run_safely` may end it at once rather than wait for solver threads. Called as a
    library (``main`` under click's CliRunner, a script), it never ends its caller's process."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    main()


if __name__ == "__main__":
    run()
