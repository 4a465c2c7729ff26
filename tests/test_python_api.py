"""The Python API's promises: changed scenarios are checked again, strategies survive
overrides, loaded data are reused only when they fit, and wrong arguments get clear errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

import optimizer
from optimizer import InputError, compare, load_scenario, prepare, solve
from optimizer.generate import write_sample
from optimizer.sweep import apply_settings


def _scenario(tmp_path: Path, **extra: object):
    write_sample(tmp_path, n=40, seed=5)
    data = {
        "name": "api",
        "roster": "roster.csv",
        "overlap": "overlap.csv",
        "budget": 6000,
        "objective": {"engagement": 0.05, "conversions": 20},
        "constraints": {"max_influencers": 6, "max_pair_overlap": 0.3},
        "strategies": {"lean": {"budget": 1500}, "wide": {"max_influencers": 10}},
        "solver": {"gap": 0},
        **extra,
    }
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(data))
    return load_scenario(path)


def test_overrides_keep_the_files_strategies_which_apply_on_top(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    changed = scenario.with_overrides({"max_influencers": 2})
    assert changed.strategy_names() == ["lean", "wide"]
    results = {r.strategy: r for r in compare(changed)}
    assert set(results) == {"lean", "wide"}
    assert len(results["lean"].selected) <= 2  # the new base rule under the strategy's budget
    assert results["lean"].kpis["spend"] <= 1500 + 1e-6
    wide = scenario.with_strategy("wide").with_overrides({"max_influencers": 10})
    assert results["wide"].objective == pytest.approx(solve(wide).objective, rel=1e-9)


def test_a_strategy_keeps_only_what_it_sets_after_a_round_trip(tmp_path: Path) -> None:
    """Rebuilt from its data, a strategy that sets only the budget must not clear the base's
    other rules (it did: every unset key came back as an explicit None)."""
    scenario = _scenario(tmp_path)
    rebuilt = apply_settings(scenario, {"budget": 6000})
    lean = rebuilt.with_strategy("lean")
    assert lean.constraints.max_influencers == 6
    assert lean.constraints == scenario.with_strategy("lean").constraints
    assert lean.budget == 1500


def test_a_field_set_after_loading_is_checked_like_the_files(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    scenario.budget = -5
    with pytest.raises(InputError, match="budget"):
        solve(scenario)
    scenario.budget = 6000
    scenario.constraints.max_influencers = -1
    with pytest.raises(InputError, match="max_influencers"):
        compare(scenario)


def test_a_changed_field_is_solved_as_changed(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    before = solve(scenario, prepared=prepared)
    scenario.constraints.max_influencers = 1
    after = solve(scenario, prepared=prepared)
    assert len(after.selected) == 1
    assert after.objective <= before.objective


def test_loaded_data_are_refused_for_a_scenario_that_reads_other_data(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    other = scenario.with_overrides({}).model_copy(update={"tiers": {"small": 0, "big": 50_000}})
    with pytest.raises(ValueError, match="tiers"):
        solve(other, prepared=prepared)
    with pytest.raises(ValueError, match="rule columns"):
        compare(scenario.with_overrides({"resources": {"followers": 1e6}}), prepared=prepared)


def test_reused_data_still_check_the_ids_a_change_names(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    with pytest.raises(InputError, match="no-such-creator"):
        solve(scenario.with_overrides({"include": ["no-such-creator"]}), prepared=prepared)


def test_compare_takes_one_name_a_list_or_nothing(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    assert [r.strategy for r in compare(scenario, "wide", prepared=prepared)] == ["wide"]
    assert [r.strategy for r in compare(scenario, ["wide", "lean"], prepared=prepared)] == [
        "wide",
        "lean",
    ]
    assert compare(scenario, [], prepared=prepared) == []
    assert [r.strategy for r in compare(scenario, prepared=prepared)] == ["lean", "wide"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: solve("scenario.yaml"), "takes a Scenario"),
        (lambda s: solve(s, 3), "strategy must be a name"),
        (lambda s: compare(s, [1]), "strategies must be names"),
        (lambda s: solve(s, prepared=object()), "prepared must come from prepare"),
        (lambda s: load_scenario(123), "takes a file path"),
    ],
)
def test_arguments_of_the_wrong_kind_are_named(tmp_path: Path, call, message: str) -> None:
    scenario = _scenario(tmp_path)
    with pytest.raises(TypeError, match=message):
        call(scenario)


def test_the_package_lists_what_it_exports() -> None:
    assert set(optimizer.__all__) <= set(dir(optimizer))
    assert callable(optimizer.solve)


def test_overrides_reach_every_section_of_the_scenario(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path, solver={"gap": 0, "time_limit": 30})
    changed = scenario.with_overrides(
        {
            "currency": "EUR",
            "solver": {"gap": 0.01},
            "constraints": {"max_influencers": 3},
            "tiers": ["nano", "micro"],
        }
    )
    assert changed.currency == "EUR"
    assert (changed.solver.gap, changed.solver.time_limit) == (0.01, 30)
    assert changed.constraints.max_influencers == 3
    assert changed.constraints.tiers == ["nano", "micro"]  # the rule, not the tier bounds
    assert changed.tiers == scenario.tiers
    with pytest.raises(InputError, match="did you mean 'max_influencers'"):
        scenario.with_overrides({"max_influencer": 3})


def test_explain_is_exported_and_checks_its_arguments(tmp_path: Path) -> None:
    from optimizer import explain

    scenario = _scenario(tmp_path)
    result = solve(scenario, "wide")
    why = explain(scenario, result.selected[0], "wide")
    assert why.picked and why.objective_change is not None and why.objective_change <= 1e-6
    with pytest.raises(TypeError, match="influencer must be an id"):
        explain(scenario, 7)
    with pytest.raises(TypeError, match="takes a Scenario"):
        explain("scenario.yaml", "x")


def test_results_written_as_json_read_back_equal(tmp_path: Path) -> None:
    from optimizer import Result, read_results
    from optimizer.output import write_results

    scenario = _scenario(tmp_path)
    results = compare(scenario)  # lean and wide, solved
    impossible = solve(scenario.with_overrides({"budget": 10, "min_influencers": 3}))
    assert impossible.status == "infeasible" and impossible.diagnosis
    path = tmp_path / "out.json"
    write_results([*results, impossible], path)
    back = read_results(path)
    assert [r.to_dict() for r in back] == [r.to_dict() for r in [*results, impossible]]
    assert back[0].solved and back[0].selected == results[0].selected
    one = tmp_path / "one.json"
    write_results([results[0]], one)
    assert read_results(one)[0].to_dict() == results[0].to_dict()
    assert Result.from_dict(results[0].to_dict()).to_dict() == results[0].to_dict()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unknown key 'extra'"),
        ({"status": "great"}, "status 'great' is not one of"),
        ({"status": None}, "status None"),
    ],
)
def test_a_result_file_that_is_not_a_result_is_named(tmp_path: Path, change, message) -> None:
    from optimizer import read_results

    contract = {"scenario": "s", "strategy": None, "status": "optimal", "goal": "g", **change}
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([contract]))
    with pytest.raises(ValueError, match=f"bad.json, result 1: {re.escape(message)}"):
        read_results(path)
    del contract["goal"]
    path.write_text(json.dumps(contract))
    first = message if "extra" in change else "key 'goal' is missing"  # unknown keys first
    with pytest.raises(ValueError, match=re.escape(first)):
        read_results(path)
    path.write_text("{not json")
    with pytest.raises(ValueError, match="cannot read results"):
        read_results(path)


def test_a_dataframe_roster_solves_as_the_file_it_was_read_from(tmp_path: Path) -> None:
    import pandas as pd

    scenario = _scenario(tmp_path)
    frame = pd.read_csv(tmp_path / "roster.csv", dtype=str)  # text, as exports hold it
    from_file = solve(scenario, "wide")
    from_frame = solve(scenario, "wide", prepared=prepare(scenario, roster=frame))
    assert from_frame.selected == from_file.selected
    assert from_frame.objective == pytest.approx(from_file.objective, rel=1e-12)
    typed = pd.read_csv(tmp_path / "roster.csv")  # numbers as numbers
    assert solve(scenario, "wide", prepared=prepare(scenario, typed)).selected == (
        from_file.selected
    )
    costs = prepare(scenario).roster.frame.set_index("id")["cost"]
    dearer = typed.assign(cost=typed["id"].map(costs) * 3)  # a what-if: every rate tripled
    what_if = solve(scenario, "wide", prepared=prepare(scenario, dearer))
    assert what_if.kpis["spend"] == pytest.approx(3 * costs[what_if.selected].sum(), rel=1e-9)
    assert what_if.kpis["spend"] <= scenario.budget + 1e-6
    assert what_if.objective <= from_file.objective + 1e-6


def test_a_bad_dataframe_cell_is_named_by_its_position(tmp_path: Path) -> None:
    import pandas as pd

    scenario = _scenario(tmp_path)
    frame = pd.read_csv(tmp_path / "roster.csv", dtype=str)
    frame.loc[3, "followers"] = "lots"
    with pytest.raises(InputError, match=r"roster DataFrame: row 3, column followers"):
        prepare(scenario, frame)
    with pytest.raises(TypeError, match="must be a pandas DataFrame"):
        prepare(scenario, frame.to_dict())
    with pytest.raises(TypeError, match="prepare\\(\\) takes a Scenario"):
        prepare("scenario.yaml")


def test_fields_changed_after_prepare_are_checked_against_the_data(tmp_path: Path) -> None:
    """``prepare`` keeps a snapshot: a scenario changed in place afterwards is compared with
    what the data were read for, not with itself."""
    scenario = _scenario(tmp_path)
    prepared = prepare(scenario)
    scenario.constraints.include = ["nope_1"]
    with pytest.raises(InputError, match="nope_1"):
        solve(scenario, prepared=prepared)
    scenario.constraints.include = []
    scenario.tiers = {"small": 0, "big": 50_000}
    with pytest.raises(ValueError, match="tiers"):
        solve(scenario, prepared=prepared)
    scenario.tiers = prepared.scenario.tiers
    scenario.constraints.mix = {"agency": {"x": {"min_count": 1}}}
    with pytest.raises(ValueError, match=r"rule columns \(agency\)"):
        solve(scenario, prepared=prepared)
    scenario.constraints.mix = {}
    scenario.roster = "roster.csv"  # a form the file takes: read again, not an AttributeError
    assert prepare(scenario).roster.ids == prepared.roster.ids


def test_a_strategy_broken_by_an_override_fails_only_when_it_is_run(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    strategies = {"lean": {"budget": 1500, "robust": {"gamma": 1}}, "wide": {"max_influencers": 9}}
    scenario = scenario.with_overrides({"strategies": strategies})  # replaces the file's
    changed = scenario.with_overrides(
        {"goal": "minimize_cost", "targets": {"engagement": 100}, "budget": 6000}
    )
    assert solve(changed).status == "optimal"  # the base and "wide" do not need "lean"
    assert [r.strategy for r in compare(changed, ["wide"])] == ["wide"]
    with pytest.raises(InputError, match=r"strategies\.lean → .*robust"):
        solve(changed, "lean")


def test_compare_checks_every_name_before_it_solves(tmp_path: Path, monkeypatch) -> None:
    from optimizer import engine

    scenario = _scenario(tmp_path)
    with pytest.raises(TypeError, match="strategies must be names"):
        compare(scenario, 5)
    monkeypatch.setattr(engine, "solve_effective", lambda *a, **k: pytest.fail("solved"))
    with pytest.raises(InputError, match="no such strategy"):
        compare(scenario, ["wide", "nope"])


def test_a_value_set_as_text_is_read_without_warnings(tmp_path: Path) -> None:
    import warnings

    scenario = _scenario(tmp_path)
    scenario.budget = "2.5k"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = solve(scenario, "wide")
    assert result.kpis["spend"] <= 2500 + 1e-6


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("solve_seconds", None, "solve_seconds must be int or float, not None"),
        ("selected", None, "selected must be list, not None"),
        ("objective", "12", "objective must be int or float or null, not '12'"),
        ("kpis", [], "kpis must be dict, not []"),
        ("strategy", 3, "strategy must be str or null, not 3"),
    ],
)
def test_a_result_value_of_the_wrong_kind_is_named(key: str, value, message: str) -> None:
    from optimizer import Result

    contract = {"scenario": "s", "strategy": None, "status": "optimal", "goal": "g", key: value}
    with pytest.raises(ValueError, match=re.escape(f"result: {message}")):
        Result.from_dict(contract)


def test_fill_values_reach_the_blanks_of_a_typed_column(tmp_path: Path) -> None:
    import numpy as np
    import pandas as pd

    (tmp_path / "r.csv").write_text("id,followers,cost\na,5000,100\nb,8000,\n")
    data = {"name": "x", "roster": {"file": "r.csv", "fill": {"cost": 250}}, "budget": 1000}
    path = tmp_path / "fill.yaml"
    path.write_text(yaml.safe_dump({**data, "objective": {"reach": 1}}))
    scenario = load_scenario(path)
    typed = pd.DataFrame({"id": ["a", "b"], "followers": [5000.0, 8000.0], "cost": [100, np.nan]})
    from_frame = prepare(scenario, roster=typed).roster.frame["cost"].tolist()
    assert from_frame == prepare(scenario).roster.frame["cost"].tolist() == [100.0, 250.0]
