"""Real-data trials (docs/real-data.md): every scenario in scenarios/real/ validates and solves.

The scenarios read public Kaggle tables kept beside the repository in ../shared/data/real/ (never
copied into it: licences unknown). Without that folder every test here is skipped. The expected
outcome of each scenario is listed in EXPECTED; an ``InputError`` entry would hold the message
the docs show for a table that cannot be used as exported.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from cli import main
from optimizer import InputError, load_scenario, prepare, solve
from optimizer.engine import Prepared
from optimizer.kpis import portfolio_kpis
from optimizer.result import Result
from optimizer.scenario import Scenario
from optimizer.solver import Status
from optimizer.verify import check_selection

REPO = Path(__file__).resolve().parent.parent
REAL_DATA = REPO.parent / "shared" / "data" / "real"
SCENARIOS = sorted((REPO / "scenarios" / "real").glob("*.yaml"))

pytestmark = pytest.mark.skipif(
    not REAL_DATA.is_dir(),
    reason=f"real public tables not found at {REAL_DATA} (they live beside the repo, not in it)",
)

# scenario file → (rows read, Status.OPTIMAL) or (None, fragment of the expected InputError)
EXPECTED: dict[str, tuple[int | None, Status | str]] = {
    "global-youtube-2023.yaml": (995, Status.OPTIMAL),
    "sm2022-instagram.yaml": (991, Status.OPTIMAL),  # 1000 rows, 9 duplicate handles dropped
    "sm2022-tiktok.yaml": (999, Status.OPTIMAL),  # 1 duplicate handle dropped
    "sm2022-youtube.yaml": (999, Status.OPTIMAL),  # 1003 rows, 4 duplicate channels dropped
    "top-instagram-200.yaml": (200, Status.OPTIMAL),
}


@cache
def loaded(path: Path) -> tuple[Scenario, Prepared]:
    scenario = load_scenario(path)
    return scenario, prepare(scenario)


@cache
def solved(path: Path) -> Result:
    scenario, prepared = loaded(path)
    return solve(scenario, prepared=prepared)


def test_every_real_scenario_has_an_expected_outcome() -> None:
    assert sorted(EXPECTED) == [p.name for p in SCENARIOS]


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_real_scenario_validates(path: Path) -> None:
    rows, outcome = EXPECTED[path.name]
    result = CliRunner().invoke(main, ["validate", str(path)])
    if not isinstance(outcome, Status):
        assert result.exit_code == 2, result.output
        assert outcome in result.output
        return
    assert result.exit_code == 0, result.output
    assert f"{path}: ok" in result.output
    assert f": {rows} influencers" in result.output
    assert "rows priced from the default rate card" in result.output


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_real_scenario_solves_to_a_verified_portfolio(path: Path) -> None:
    rows, outcome = EXPECTED[path.name]
    if not isinstance(outcome, Status):
        with pytest.raises(InputError, match=outcome):
            loaded(path)
        return
    scenario, prepared = loaded(path)
    assert len(prepared.roster.frame) == rows
    result = solved(path)
    assert result.status is outcome, result.diagnosis
    assert result.selected
    picked = [prepared.roster.index_of[ident] for ident in result.selected]
    assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []
    kpis = portfolio_kpis(scenario, prepared.roster, prepared.overlap, picked)
    assert kpis["spend"] <= scenario.budget + 1e-6
    assert result.kpis["spend"] == pytest.approx(kpis["spend"])
    # no table has prices: every picked cost is a rate-card estimate and is reported as one
    assert sorted(result.estimated_costs) == sorted(result.selected)


def _variant(tmp_path: Path, name: str, edit: dict) -> Path:
    """A copy of scenarios/real/NAME with ``edit`` applied to its roster block."""
    data = yaml.safe_load((REPO / "scenarios" / "real" / name).read_text(encoding="utf-8"))
    data["roster"]["file"] = str(REAL_DATA / Path(data["roster"]["file"]).name)
    data["roster"].update(edit)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_duplicate_handles_are_rejected_without_a_policy(tmp_path: Path) -> None:
    path = _variant(tmp_path, "sm2022-instagram.yaml", {"duplicate_ids": "error"})
    with pytest.raises(InputError) as caught:
        prepare(load_scenario(path))
    text = str(caught.value)
    assert "rows 299, 445, column id: duplicate id 'kevinhart4real'" in text
    assert text.count("duplicate id") == 9


def test_the_nan_percent_cell_is_read_as_a_missing_rate(tmp_path: Path) -> None:
    # documented in docs/real-data.md: the 60-day rate has one "NaN%" cell (row 169)
    scenario = (REPO / "scenarios" / "real" / "top-instagram-200.yaml").name
    columns = {"id": "channel_info", "total_posts": "posts", "engagement_rate": "60_day_eng_rate"}
    path = _variant(tmp_path, scenario, {"columns": columns})
    frame = prepare(load_scenario(path)).roster.frame
    row = frame.iloc[169 - 2]  # spreadsheet row 169 (header on row 1)
    # the missing rate is filled from the account's average likes, as for rows without a rate
    assert row["engagement_rate"] == pytest.approx(min(1.0, row["avg_likes"] / row["followers"]))
    assert not frame["defaulted"].str.contains("engagement_rate").any()
