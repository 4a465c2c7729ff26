"""Deadlines hold: a short time limit on a large roster still gives a verified portfolio."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from optimizer import Status, load_scenario, solve
from optimizer.engine import prepare, with_solver_overrides
from optimizer.synthetic import write_instance

SLACK = 20.0  # seconds: shared CI machines; precise timing belongs in benchmarks/


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    path = write_instance(tmp_path_factory.mktemp("large"), 20_000, "typical", seed=3)
    scenario = load_scenario(path)
    return scenario, prepare(scenario)


def _fast_post(scenario):
    copy = scenario.with_overrides({})
    copy = copy.model_copy(
        update={"uncertainty": copy.uncertainty.model_copy(update={"draws": 100})}
    )
    copy._source, copy._base_dir = scenario.source, scenario.base_dir
    return copy


@pytest.mark.parametrize("strategy", ["auto", "full"])
def test_one_second_deadline_on_a_large_roster(large, strategy):
    scenario, prepared = large
    scenario = _fast_post(with_solver_overrides(scenario, time_limit=1.0, strategy=strategy))
    started = time.perf_counter()
    result = solve(scenario, prepared=prepared)
    elapsed = time.perf_counter() - started
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE), result.model_size
    assert result.selected  # verified by the engine before it is reported
    assert elapsed < 1.0 + SLACK
    if result.bound is not None:
        assert result.bound >= result.objective * (1 - 1e-9)


def test_a_robust_solve_keeps_its_deadline(tmp_path):
    """Making the model Γ-robust happens after the clock starts: it must cost little (it once
    read each pick's coefficient from PuLP's expression one by one, quadratic in the roster:
    2 s at 800 candidates, 13 s at 1,600, past a 1 s limit with no portfolio)."""
    path = write_instance(tmp_path, 1_600, "typical", seed=3)
    scenario = load_scenario(path).with_overrides({"robust": {"gamma": 2, "cv": 0.3}})
    scenario = _fast_post(with_solver_overrides(scenario, time_limit=1.0))
    prepared = prepare(scenario)
    started = time.perf_counter()
    result = solve(scenario, prepared=prepared)
    elapsed = time.perf_counter() - started
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE) and result.selected
    assert result.robust is not None
    assert elapsed < 1.0 + SLACK


def test_a_tiny_deadline_still_keeps_the_greedy_floor(large, monkeypatch):
    """With no time for the LP, the fast path's answer is at least the greedy baseline's
    (both greedy keys, as :func:`greedy_portfolio` tries them)."""
    from optimizer import fastpath
    from optimizer.arrays import build_arrays
    from optimizer.greedy import greedy_portfolio

    scenario, prepared = large
    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    floor = greedy_portfolio(scenario, prepared.roster, prepared.overlap, model)
    assert floor is not None

    from optimizer.bounds import RestrictedLP
    from optimizer.colgen import Relaxation

    def no_lp(model, deadline, threads, start=None, gap=0.0):  # as if the deadline came first
        return Relaxation(None, None, False, RestrictedLP(model, np.zeros(0, int)), model.c)

    monkeypatch.setattr(fastpath, "column_generation", no_lp)
    fast = _fast_post(with_solver_overrides(scenario, strategy="fast"))
    result = solve(fast, prepared=prepared)
    assert result.status is Status.FEASIBLE
    assert model.sense_value(result.objective) >= floor.value - 1e-6 * abs(floor.value)


LAUNCH = Path(__file__).resolve().parents[1] / "scenarios" / "launch.yaml"


def _launch(time_limit: float | None):
    """The launch example with this time limit (its file sets 60 s; None: no limit)."""
    scenario = load_scenario(LAUNCH)
    solver = scenario.solver.model_copy(update={"time_limit": time_limit})
    copy = scenario.model_copy(update={"solver": solver})
    copy._source, copy._base_dir = scenario.source, scenario.base_dir
    return copy, prepare(scenario)


def test_the_monte_carlo_summary_is_cut_to_the_time_left(monkeypatch):
    """Under a time limit the summary gets only the draws that fit before it, and says how
    many were asked for; the rate is lowered here so that the cut is certain."""
    from optimizer import uncertainty

    scenario, prepared = _launch(60.0)
    picks = len(solve(scenario, "hybrid", prepared=prepared).selected)
    requested = scenario.uncertainty.draws
    # at this rate the whole 60 s would hold ~requested / 2 draws: fewer remain after the solve
    rate = requested * picks / 120.0
    monkeypatch.setattr(uncertainty, "SUMMARY_CELLS_PER_SECOND", rate)
    result = solve(scenario, "hybrid", prepared=prepared)
    summary = result.uncertainty
    assert summary is not None and summary["draws_requested"] == requested
    assert uncertainty.DEADLINE_MIN_DRAWS <= summary["draws"] <= requested // 2
    assert summary["engagement"]["p10"] <= summary["engagement"]["p90"]
    assert result.simulation.draws == summary["draws"]


def test_no_time_left_skips_the_summary_and_says_so(monkeypatch):
    from rich.console import Console

    from optimizer import uncertainty
    from optimizer.report import comparison_table

    monkeypatch.setattr(uncertainty, "SUMMARY_CELLS_PER_SECOND", 1.0)
    scenario, prepared = _launch(60.0)
    result = solve(scenario, "hybrid", prepared=prepared)
    assert result.selected  # the portfolio is there; only the summary is not
    assert result.uncertainty == {
        "draws": 0,
        "draws_requested": scenario.uncertainty.draws,
        "skipped": "the time limit left no time for the Monte Carlo summary",
    }
    assert result.simulation is None
    console = Console(width=200, record=True)
    console.print(comparison_table([result]))
    assert "P10 / P50 / P90" in console.export_text()  # the band rows show "–"
    assert result.to_dict()["uncertainty"]["draws"] == 0


def test_without_a_time_limit_the_summary_is_not_cut(monkeypatch):
    from optimizer import uncertainty

    monkeypatch.setattr(uncertainty, "SUMMARY_CELLS_PER_SECOND", 1.0)
    scenario, prepared = _launch(None)
    result = solve(scenario, "hybrid", prepared=prepared)
    assert result.uncertainty["draws"] == scenario.uncertainty.draws
    assert "draws_requested" not in result.uncertainty


def test_a_deadline_before_the_first_pick_is_no_solution_not_hiring_nobody(monkeypatch):
    """A greedy the deadline stopped before its first pick leaves the empty portfolio: valid,
    but no answer. It was reported `feasible`, value 0, "hiring nobody is best"."""
    from optimizer import fastpath
    from optimizer.bounds import RestrictedLP
    from optimizer.colgen import Relaxation

    def no_lp(model, deadline, threads, start=None, gap=0.0):  # as if the deadline came first
        return Relaxation(None, None, False, RestrictedLP(model, np.zeros(0, int)), model.c)

    monkeypatch.setattr(fastpath, "column_generation", no_lp)
    monkeypatch.setattr(fastpath, "greedy_tries", lambda model, _p, _d: [np.zeros(model.n)])
    scenario, prepared = _launch(None)  # no lower limit: hiring nobody passes every rule
    result = solve(with_solver_overrides(scenario, strategy="fast"), prepared=prepared)
    assert result.status is Status.NO_SOLUTION
    assert result.selected == [] and result.objective is None and not result.diagnosis


@pytest.fixture
def abandoned_run(tmp_path):
    """A HiGHS MIP left running as ``run_highs`` leaves a run that overstays its deadline
    (abandoned: kept alive until its thread ends); it stops by its own 1 s limit."""
    import optimizer.bounds as bounds
    from optimizer.arrays import build_arrays

    path = write_instance(tmp_path, 1_000, "adversarial", seed=0)
    hard = load_scenario(path)
    prepared = prepare(hard)
    model = build_arrays(hard, prepared.roster, prepared.overlap)
    h, _sub = bounds.build_highs(model, np.arange(model.n), integer=True)
    h.setOptionValue("time_limit", 1.0)  # this MIP needs far longer: it runs to the limit
    h.startSolve()
    bounds._abandoned.append(h)
    yield h
    h.wait(-1.0)  # until its own limit ends it
    bounds.settle_abandoned()


@pytest.mark.parametrize("strategy", ["fast", "full"])
def test_a_solve_after_an_abandoned_run_waits_for_it(abandoned_run, strategy):
    """highspy lets one solve run at a time per process. A run left at a deadline may still
    be going when the next solve of the process starts (`compare`, sweeps, batch workers);
    that solve must wait for it, not fail with "Solver is already running"."""
    assert abandoned_run.is_solver_running()
    scenario, prepared = _launch(30.0)
    scenario = with_solver_overrides(scenario, strategy=strategy)
    result = solve(scenario, "hybrid", prepared=prepared)
    assert result.model_size.get("method", "full") == strategy
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE) and result.selected
    assert not abandoned_run.is_solver_running()


def test_an_abandoned_run_that_does_not_end_is_an_error_not_a_hang(abandoned_run):
    """The wait for an abandoned run has a limit: past it, the next solve fails clearly."""
    import optimizer.bounds as bounds
    from optimizer.errors import SolverError

    assert abandoned_run.is_solver_running()
    with pytest.raises(SolverError, match=r"has not ended 0\.01 s later"):
        bounds.settle_abandoned(limit=0.01)
    assert bounds._abandoned == [abandoned_run]  # still looked at by the next solve

    started = time.perf_counter()  # the next solve does not wait the limit again: it fails
    with pytest.raises(SolverError, match="has still not ended"):
        bounds.settle_abandoned(limit=30.0)
    assert time.perf_counter() - started < 5.0 and abandoned_run.is_solver_running()

    abandoned_run.wait(-1.0)  # once it has ended, the next solve goes on
    bounds.settle_abandoned(limit=30.0)
    assert bounds._abandoned == [] and bounds._given_up == []


def test_a_run_abandoned_earlier_is_not_waited_for_past_the_next_deadline(abandoned_run):
    """A diagnosis re-solve abandoned at its deadline held the next solve of the process
    past its own limit (5.9 s for a 3 s limit). The next run now waits only until its
    deadline; it then has no answer, and the abandoned run is waited for by later solves."""
    import optimizer.bounds as bounds

    scenario, prepared = _launch(None)
    from optimizer.arrays import build_arrays

    model = build_arrays(scenario, prepared.roster, prepared.overlap)
    started = time.perf_counter()
    answer = bounds.solve_sub(model, np.arange(model.n), False, deadline=started + 0.2)
    assert answer.status == "abandoned" and answer.x is None
    assert time.perf_counter() - started < 0.8  # the abandoned run has about 1 s to go
    assert bounds._abandoned == [abandoned_run] and bounds._given_up == []
    later = bounds.solve_sub(model, np.arange(model.n), False, deadline=time.perf_counter() + 30)
    assert later.status == "optimal" and bounds._abandoned == []


def test_a_plain_pulp_solve_waits_for_an_abandoned_run_too(abandoned_run):
    """PuLP's own HiGHS runs in the calling thread, outside highspy's lock: it must not
    overlap with a run left at a deadline either (the diagnosis without a limit uses it)."""
    import pulp

    import optimizer.bounds as bounds
    from optimizer.scenario import SolverSettings
    from optimizer.solver import run

    problem = pulp.LpProblem("tiny", pulp.LpMaximize)
    x = problem.add_variable("x", 0, 1, cat="Binary")
    problem += x
    problem += x <= 1
    assert abandoned_run.is_solver_running()
    outcome = run(problem, SolverSettings())
    assert outcome.status is Status.OPTIMAL and outcome.objective == pytest.approx(1.0)
    assert not abandoned_run.is_solver_running() and not bounds._abandoned


@pytest.mark.parametrize("strategy", ["fast", "full"])
def test_solves_on_two_threads_of_one_process_both_finish(strategy):
    """A Dask worker with several threads runs tasks side by side in one process; highspy
    allows one HiGHS run at a time there, so the engine takes turns instead of failing."""
    from concurrent.futures import ThreadPoolExecutor

    scenario, prepared = _launch(60.0)
    scenario = with_solver_overrides(scenario, strategy=strategy)
    alone = solve(scenario, "hybrid", prepared=prepared)
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = [pool.submit(solve, scenario, "hybrid", prepared=prepared) for _ in range(4)]
        results = [run.result() for run in runs]
    for result in results:
        assert result.status is Status.OPTIMAL
        assert result.objective == pytest.approx(alone.objective, rel=1e-9)


def _with_an_abandoned_run(path: Path, seconds: float, then: str) -> str:
    """A script that starts a HiGHS MIP on the instance at ``path`` with ``seconds`` to run,
    left as :func:`optimizer.bounds.run_highs` leaves a run that overstays its deadline
    (``h``), then runs ``then``."""
    return f"""
import numpy as np
import optimizer.bounds as bounds
from optimizer import load_scenario
from optimizer.arrays import build_arrays
from optimizer.engine import prepare

scenario = load_scenario({str(path)!r})
prepared = prepare(scenario)
model = build_arrays(scenario, prepared.roster, prepared.overlap)
h, _sub = bounds.build_highs(model, np.arange(model.n), integer=True)
h.setOptionValue("time_limit", {seconds})
h.startSolve()
bounds._abandoned.append(h)
{then}
"""


def _run_script(script: str):
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip


@pytest.mark.parametrize("still_running_for", [1.0, 60.0])
def test_a_run_abandoned_at_a_deadline_does_not_abort_the_process_at_exit(
    tmp_path, still_running_for
):
    """A HiGHS run abandoned at a deadline may still be going when the command ends. If it
    ends while the interpreter is shutting down, its thread cannot return to Python and the
    process aborted ("terminate called without an active exception", exit 134: 2 runs in 8
    on a real 2,989-row export). A slow object teardown holds the shutdown open here so that
    the 1 s run ends inside it. A run still going when the command ends (1 s or 60 s to go)
    is now left by ending the process at once, its output flushed."""
    path = write_instance(tmp_path, 1_000, "adversarial", seed=0)
    then = """
import time
import cli

class SlowToGo:  # torn down while the interpreter shuts down
    def __del__(self):
        time.sleep(3.0)

keep = SlowToGo()
print("solving", flush=True)
cli._OWN_PROCESS = True  # as the inflopt program (cli.run) sets it
cli.run_safely(lambda: 0)
"""
    started = time.monotonic()
    done = _run_script(_with_an_abandoned_run(path, still_running_for, then))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "solving\n" and "terminate called" not in done.stderr
    assert time.monotonic() - started < 40  # the 60 s run is not waited for


def test_a_script_that_ends_while_an_abandoned_run_goes_on_exits_cleanly(tmp_path):
    """An API script whose solve abandoned a HiGHS run at a deadline, ending while that run
    still goes (2 s to go here), aborted after its work was done ("terminate called without
    an active exception", exit 134: 3 runs in 3). The interpreter now lets the run end first."""
    path = write_instance(tmp_path, 1_000, "adversarial", seed=0)
    done = _run_script(_with_an_abandoned_run(path, 2.0, 'print("solving", flush=True)'))
    assert done.returncode == 0, done.stderr
    assert done.stdout == "solving\n" and "terminate called" not in done.stderr


def test_a_library_call_never_ends_its_callers_process(tmp_path):
    """Called in-process (click's CliRunner, a notebook), a command must not end the host
    process even when a HiGHS run abandoned earlier is still going: the test suite itself
    runs the CLI that way, and `os._exit` there would end pytest with the command's code."""
    path = write_instance(tmp_path, 1_000, "adversarial", seed=0)
    then = f"""
from click.testing import CliRunner
import cli

result = CliRunner().invoke(cli.main, ["validate", {str(path)!r}])
print("after", result.exit_code, flush=True)
h.cancelSolve()
h.wait(-1.0)
"""
    done = _run_script(_with_an_abandoned_run(path, 30.0, then))
    assert done.returncode == 0, done.stderr
    assert done.stdout.endswith("after 0\n"), done.stdout


def test_the_full_models_build_stops_at_the_deadline_with_the_greedy_portfolio(large):
    """The PuLP build of 20,000 candidates takes seconds (it cannot be handed to HiGHS in
    parts): under a 1 s limit it stops at the deadline, and the greedy portfolio, found
    first, is the answer — `feasible`, no bound. It used to finish the build, ~5 s late."""
    from optimizer.candidates import select_candidates
    from optimizer.fullpath import greedy_start

    scenario, prepared = large
    scenario = _fast_post(with_solver_overrides(scenario, time_limit=1.0, strategy="full"))
    candidates = select_candidates(scenario, prepared.roster)
    start = greedy_start(scenario, prepared.roster, prepared.overlap, candidates)
    assert start is not None
    started = time.perf_counter()
    result = solve(scenario, prepared=prepared)
    elapsed = time.perf_counter() - started
    assert result.status is Status.FEASIBLE
    assert result.model_size["fallback"] == "greedy (the model's build passed the time limit)"
    assert result.bound is None and result.gap is None
    assert sorted(result.selected) == sorted(prepared.roster.ids[p] for p in start.picked)
    assert result.objective == pytest.approx(start.value)
    assert elapsed < 1.0 + SLACK


def test_a_build_past_its_deadline_stops() -> None:
    """``build_model`` with a deadline already passed raises, and without one builds."""
    from optimizer.model import BuildOverrun, build_model

    scenario, prepared = _launch(None)
    with pytest.raises(BuildOverrun):
        build_model(scenario, prepared.roster, prepared.overlap, deadline=time.perf_counter())
    built = build_model(scenario, prepared.roster, prepared.overlap)
    assert built.problem.numConstraints() > 0
