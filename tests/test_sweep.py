"""Budget sweeps: grid parsing, per-point equality with single solves, the response curve."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from rich.console import Console

import cli
from optimizer.engine import solve
from optimizer.errors import InputError
from optimizer.generate import write_sample
from optimizer.runner import TaskOutcome, run_tasks
from optimizer.scenario import Scenario, load_scenario
from optimizer.sweep import (
    analyse,
    apply_settings,
    curve_frame,
    grid_points,
    parse_grid,
    parse_setting,
    summary_frame,
    summary_title,
    sweep_tasks,
)
from optimizer.tables import frame_table, write_tables
from optimizer.tasks import Task

BUDGETS = "1k:9k:2k"


def write_scenario(folder: Path, data: dict[str, Any], n: int = 40, seed: int = 3) -> Path:
    """A seeded sample roster + overlap in ``folder`` and a scenario file using them."""
    write_sample(folder, n, seed)
    base = {"name": "sweep test", "roster": "roster.csv", "overlap": "overlap.csv"}
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump({**base, **data}, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    folder = tmp_path_factory.mktemp("sweep")
    data = {
        "budget": 5000,
        "objective": {"engagement": 0.05, "conversions": 40},
        "constraints": {"max_pair_overlap": 0.3, "max_influencers": 12},
        "strategies": {"any": {}, "small-only": {"tiers": ["nano", "micro"]}},
    }
    return load_scenario(write_scenario(folder, data))


@pytest.fixture(scope="module")
def outcomes(scenario: Scenario) -> list[TaskOutcome]:
    tasks = sweep_tasks(scenario, [("budget", parse_grid(BUDGETS))], ["any", "small-only"])
    return run_tasks(tasks, workers=2)


# ---------------------------------------------------------------- grids


def test_range_includes_stop_and_reads_export_numbers() -> None:
    assert parse_grid("10k:50k:10k") == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert parse_grid("$1,000:2.5k:500") == [1000, 1500, 2000, 2500]
    assert parse_grid("0.1:0.3:0.1") == pytest.approx([0.1, 0.2, 0.3])


def test_list_keeps_order_and_drops_duplicates() -> None:
    assert parse_grid("50k, 10k,20k,10k") == [50_000, 10_000, 20_000]
    assert parse_grid("7") == [7]


def test_semicolons_separate_values_whose_commas_group_thousands() -> None:
    assert parse_grid("$30,500;$40,000") == [30_500, 40_000]
    assert parse_grid("30k,500k") == [30_000, 500_000]  # a suffix: two values


@pytest.mark.parametrize("text", ["$30,500", "100,200", "1k,2,500"])
def test_a_comma_that_may_group_thousands_is_an_error_not_a_guess(text: str) -> None:
    """'$30,500' was swept as $30 and $500 without a word."""
    with pytest.raises(InputError) as info:
        parse_grid(text)
    assert "thousands group or a new value" in info.value.problems[0].message


def test_a_strategys_own_setting_is_refused_not_ignored() -> None:
    """It was shown as an axis while every point solved the strategy as written."""
    with pytest.raises(InputError) as info:
        parse_setting("strategies.hybrid.robust.gamma=0,10")
    assert info.value.problems[0].message.startswith("strategies.hybrid.robust.gamma: a strategy")


@pytest.mark.parametrize("text", ["", "10k:5k:1k", "1k:5k:0", "1k:5k", "ten", "1:1e9:1"])
def test_bad_grids_are_input_errors(text: str) -> None:
    with pytest.raises(InputError) as info:
        parse_grid(text)
    assert info.value.problems[0].where == "--budget"


def test_set_sweeps_any_numeric_setting(scenario: Scenario) -> None:
    path, values = parse_setting("constraints.max_influencers=5:15:5")
    assert (path, values) == ("constraints.max_influencers", [5, 10, 15])
    changed = apply_settings(scenario, {path: 10, "solver.gap": 0.01})
    assert changed.constraints.max_influencers == 10
    assert changed.solver.gap == 0.01
    assert scenario.constraints.max_influencers == 12  # the original is untouched
    assert changed.roster_path == scenario.roster_path


def test_set_reads_shares_as_percents_but_the_budget_is_an_amount() -> None:
    path, values = parse_setting("constraints.mix.niche.beauty.min_share=20%,40%")
    assert path == "constraints.mix.niche.beauty.min_share"
    assert values == pytest.approx([0.2, 0.4])
    for option in ("budget=50%", "budget=10k,20%"):
        with pytest.raises(InputError, match="is a percent"):
            parse_setting(option)
    with pytest.raises(InputError, match="is a percent"):
        parse_grid("10%:50%:10%")


def test_set_rejects_unknown_keys_and_non_numeric_targets(scenario: Scenario) -> None:
    with pytest.raises(InputError, match="did you mean 'max_influencers'"):
        apply_settings(scenario, {"constraints.max_influencer": 5})
    with pytest.raises(InputError, match="only numeric settings"):
        apply_settings(scenario, {"name": 5})
    with pytest.raises(InputError, match="integer"):
        sweep_tasks(scenario, [("constraints.max_influencers", [2.5])], [None])


def test_grid_is_the_product_of_axes() -> None:
    points = grid_points([("budget", [1, 2]), ("constraints.max_influencers", [5, 6, 7])])
    assert len(points) == 6
    assert points[0] == {"budget": 1, "constraints.max_influencers": 5}
    with pytest.raises(InputError, match="swept twice"):
        grid_points([("budget", [1]), ("budget", [2])])


# ---------------------------------------------------------------- the seeded sweep


def test_optimum_is_non_decreasing_in_budget(outcomes: list[TaskOutcome]) -> None:
    for strategy in ("any", "small-only"):
        series = [o for o in outcomes if o.task.strategy == strategy]
        assert [o.task.params["budget"] for o in series] == parse_grid(BUDGETS)
        assert all(o.status == "optimal" for o in series)
        values = [o.result["objective"] for o in series]
        assert all(b >= a * (1 - 1e-6) for a, b in itertools.pairwise(values))
        assert values[-1] > values[0]  # the budget binds somewhere on this grid


def test_each_grid_point_equals_a_single_solve(
    scenario: Scenario, outcomes: list[TaskOutcome]
) -> None:
    for outcome in outcomes:
        budget = outcome.task.params["budget"]
        merged = scenario.with_strategy(outcome.task.strategy)
        single = solve(merged.with_overrides({"budget": budget}))
        assert outcome.result["status"] == str(single.status)
        assert outcome.result["objective"] == pytest.approx(single.objective, rel=1e-6)
        assert outcome.result["kpis"]["spend"] <= budget + 1e-6


def test_marginal_returns_are_kpi_per_extra_thousand(outcomes: list[TaskOutcome]) -> None:
    summaries = analyse(outcomes, kpi="conversions")
    for summary in summaries:
        first, second = summary.points[0], summary.points[1]
        expected = (second.kpi("conversions") - first.kpi("conversions")) / 2000 * 1000
        assert first.marginal is None
        assert second.marginal == pytest.approx(expected)


def test_min_budget_matches_the_grid_and_minimize_cost(tmp_path: Path) -> None:
    """Objective = conversions only, so the optimum at B meets a target iff any plan ≤ B does."""
    data = {
        "budget": 9000,
        "objective": {"conversions": 1},
        "constraints": {"max_pair_overlap": 0.3},
    }
    scenario = load_scenario(write_scenario(tmp_path, data, seed=5))
    grid = parse_grid(BUDGETS)
    outcomes = run_tasks(sweep_tasks(scenario, [("budget", grid)], [None]), workers=2)
    conversions = [o.result["kpis"]["conversions"] for o in outcomes]
    assert conversions[2] < conversions[3]
    target = 0.5 * (conversions[2] + conversions[3])  # reached first at the 4th grid budget
    (summary,) = analyse(outcomes, targets={"conversions": target})
    meeting = [b for b, c in zip(grid, conversions, strict=True) if c >= target]
    assert summary.min_budget == min(meeting) == grid[3]

    cheapest = solve(
        scenario.with_overrides(
            {"goal": "minimize_cost", "targets": {"conversions": target}, "budget": grid[-1]}
        )
    )
    assert cheapest.status == "optimal"
    step = grid[1] - grid[0]
    assert summary.min_budget - step < cheapest.kpis["spend"] <= summary.min_budget


def test_targets_in_the_scenario_make_low_budgets_infeasible(tmp_path: Path) -> None:
    data = {
        "budget": 9000,
        "objective": {"conversions": 1},
        "constraints": {"targets": {"reach": 100_000}},
    }
    scenario = load_scenario(write_scenario(tmp_path, data, seed=5))
    outcomes = run_tasks(sweep_tasks(scenario, [("budget", parse_grid(BUDGETS))], [None]))
    (summary,) = analyse(outcomes)
    statuses = [o.status for o in outcomes]
    assert "infeasible" in statuses and "optimal" in statuses
    first_solved = next(o.task.params["budget"] for o in outcomes if o.solved)
    assert summary.min_budget == first_solved
    assert summary.targets == {"reach": 100_000}


# ---------------------------------------------------------------- knee (exact numbers)


def fake(budget: float, conversions: float, strategy: str = "s") -> TaskOutcome:
    task = Task("k", "f.yaml", strategy, {"name": "x"}, ".", {"budget": budget})
    result = {"status": "optimal", "objective": conversions, "kpis": {"conversions": conversions}}
    return TaskOutcome(task, result)


def test_knee_is_where_returns_stay_below_the_threshold() -> None:
    # marginal per 1k: -, 10, 2, 8, 1, 0.5
    curve = [fake(1000 * b, c) for b, c in [(1, 10), (2, 20), (3, 22), (4, 30), (5, 31), (6, 31.5)]]
    (summary,) = analyse(curve, threshold=5)
    assert [p.marginal for p in summary.points][1:] == pytest.approx([10, 2, 8, 1, 0.5])
    assert summary.knee_budget == 4000
    assert [p.knee for p in summary.points] == [False, False, False, True, False, False]


def test_marginals_and_knee_span_a_point_without_a_result() -> None:
    """A killed point at 2k: the rise 10 → 30 happened across it, so the knee is at 3k (not at
    the first budget, as when the 3k marginal was left blank)."""
    killed = fake(2000, 0)
    killed.result = {"status": "no_solution", "diagnosis": ["stopped: …"]}
    killed.killed = True
    curve = [fake(1000, 10), killed, fake(3000, 30), fake(4000, 31), fake(5000, 31.5)]
    (summary,) = analyse(curve, threshold=5)
    assert [p.marginal for p in summary.points] == [None, None, pytest.approx(10), 1, 0.5]
    assert summary.knee_budget == 3000
    assert [p.knee for p in summary.points] == [False, False, True, False, False]


def test_counts_stay_integers_beside_a_point_without_a_result(tmp_path: Path) -> None:
    solved = fake(1000, 10)
    solved.result["kpis"]["count"] = 25
    killed = fake(2000, 0)
    killed.result = {"status": "no_solution", "diagnosis": ["stopped: …"]}
    curve = curve_frame(analyse([solved, killed]))
    write_tables(tmp_path / "curve.csv", {"curve": curve}, [])
    rows = (tmp_path / "curve.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert [row.split(",")[header.index("count")] for row in rows[1:]] == ["25", ""]
    console = Console(width=200, record=True)
    console.print(frame_table(curve))
    assert " 25 " in console.export_text() and "25.0" not in console.export_text()
    write_tables(tmp_path / "curve.xlsx", {"curve": curve}, [])
    sheet = pd.read_excel(tmp_path / "curve.xlsx")
    assert sheet["count"].tolist()[0] == 25 and pd.isna(sheet["count"].tolist()[1])


def test_the_curve_says_why_a_point_has_no_result() -> None:
    killed = fake(2000, 0)
    killed.result = {"status": "no_solution", "diagnosis": ["stopped: past the limit of 1 s"]}
    killed.killed = True
    failed = TaskOutcome(fake(3000, 0).task, None, error="roster.csv: row 2: bad")
    curve = curve_frame(analyse([fake(1000, 10), killed, failed]))
    assert curve["error"].fillna("").tolist() == [
        "",
        "stopped: past the limit of 1 s",
        "roster.csv: row 2: bad",
    ]


def test_default_threshold_and_curves_that_never_flatten() -> None:
    curve = [fake(1000, 10), fake(2000, 20), fake(3000, 30)]
    (summary,) = analyse(curve)
    assert summary.threshold == pytest.approx(0.2 * 10)  # a fifth of 10 per 1k at the start
    assert summary.knee_budget is None
    (flat,) = analyse([fake(1000, 10), fake(2000, 10)], threshold=1)
    assert flat.knee_budget == 1000


# ---------------------------------------------------------------- command line


def test_cli_sweep_writes_table_files_and_chart(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    data = {"budget": 5000, "objective": {"conversions": 40}}
    path = write_scenario(tmp_path, data, n=25)
    args = ["sweep", str(path), "--budget", "2k,4k", "--strategies", "base,micro-only"]
    args += ["--results", str(tmp_path / "results"), "--workers", "1"]
    args += ["-o", str(tmp_path / "curve.csv"), "--chart", str(tmp_path / "curve.svg")]
    runner = CliRunner()
    first = runner.invoke(cli.main, [*args, "--format", "json"])
    assert first.exit_code == 0, first.output
    records = json.loads(first.output)
    assert [r["sweep"]["params"]["budget"] for r in records] == [2000, 4000, 2000, 4000]
    assert (tmp_path / "curve.csv").read_text().startswith("strategy,budget,status")
    assert (tmp_path / "curve.svg").read_text().lstrip().startswith("<?xml")
    assert len(list((tmp_path / "results").glob("*.json"))) == 4

    again = runner.invoke(cli.main, args)
    assert again.exit_code == 2
    assert "file exists" in again.output


def test_cli_sweep_needs_a_grid(tmp_path: Path) -> None:
    path = write_scenario(tmp_path, {"budget": 5000, "objective": {"conversions": 1}}, n=20)
    result = CliRunner().invoke(cli.main, ["sweep", str(path)])
    assert result.exit_code == 2
    assert "--budget" in result.output


def test_a_budget_with_cents_is_shown_as_given() -> None:
    """`--budget 30000.5` is solved at 30,000.50: the terminal table says so (it showed
    30,000), while KPIs above 100 keep no decimals."""
    curve = curve_frame(analyse([fake(30_000.5, 10), fake(40_000, 12)]))
    console = Console(width=200, record=True)
    console.print(frame_table(curve))
    text = console.export_text()
    assert "30,000.50" in text and " 40,000 " in text


def test_a_sweep_along_another_setting_is_one_series_with_its_smallest_value_meeting_targets():
    """Without a budget axis each value of the setting was a series of its own (one-point
    lines in the chart) and the minimum-budget column was blank though points met the
    targets. Now the setting is the series' axis: no knee (it is per 1,000 of budget), and
    the smallest grid value meeting the targets is named."""
    axis = "constraints.max_influencers"

    def point(count: int, conversions: float) -> TaskOutcome:
        task = Task(f"k{count}", "f.yaml", "hybrid", {"name": "x"}, ".", {axis: count})
        result = {"status": "optimal", "objective": 1.0, "kpis": {"conversions": conversions}}
        return TaskOutcome(task, result)

    (summary,) = analyse(
        [point(30, 387), point(10, 209), point(20, 340)], targets={"conversions": 300}
    )
    assert summary.axis == axis and summary.fixed == {}
    assert [p.params[axis] for p in summary.points] == [10, 20, 30]
    assert [p.meets_targets for p in summary.points] == [False, True, True]
    assert summary.first_meeting == 20 and summary.min_budget is None
    assert summary.knee_budget is None and summary.threshold is None
    assert all(p.marginal is None and not p.knee for p in summary.points)
    table = summary_frame([summary])
    assert table.to_dict("records") == [
        {
            "strategy": "hybrid",
            "targets": "conversions ≥ 300",
            f"smallest_{axis}_meeting_targets": 20,
        }
    ]
    assert (
        summary_title([summary]) == f"Smallest {axis} meeting the targets (blank: none in the grid)"
    )
    (untargeted,) = analyse([point(10, 209), point(20, 340)])
    assert summary_frame([untargeted]).empty and summary_title([untargeted]) is None


def test_no_knee_is_claimed_when_the_largest_budgets_have_no_result() -> None:
    """Returns fall below the threshold at 4k, but 5k was killed: whether the curve rises
    again past 4k is not known, so no knee is claimed (it was claimed at 3k)."""
    killed = fake(5000, 0)
    killed.result = {"status": "no_solution", "diagnosis": ["stopped: …"]}
    killed.killed = True
    curve = [fake(1000, 10), fake(2000, 20), fake(3000, 30), fake(4000, 31), killed]
    (summary,) = analyse(curve, threshold=5)
    assert [p.marginal for p in summary.points] == [None, 10, 10, 1, None]
    assert summary.knee_budget is None
    assert not any(p.knee for p in summary.points)
    (solved,) = analyse(curve[:4], threshold=5)  # the same curve without the killed point
    assert solved.knee_budget == 3000
