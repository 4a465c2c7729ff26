"""Rosters as discovery tools export them: mapped columns, messy cells, rate cards, creators."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from cli import main
from optimizer import InputError, load_scenario, prepare, solve
from optimizer.defaults import COST_PER_POST_USD
from optimizer.generate import build_roster
from optimizer.verify import check_selection

BASE = {"name": "export", "budget": 5000, "objective": {"engagement": 0.1, "reach": 0.01}}


def _scenario(folder: Path, roster: object, **extra: object):
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump({**BASE, "roster": roster, **extra}, allow_unicode=True))
    return load_scenario(path)


def _messy_export(folder: Path, encoding: str = "utf-8-sig") -> Path:
    """A discovery-tool export: renamed and repeated headers, text numbers, placeholders."""
    lines = [
        "Name,Platform,Followers,Followers,Price,ER,Region,Likes (avg)",
        'anna,Instagram,"12,500",12.5K,$300,3.1%,NA,',
        'björn,TikTok,1.2M,1200000,"$2,500",N/A,EU,40k',
        "carla,YouTube,45k,45000,nan,2%,,",
    ]
    path = folder / "export.csv"
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


MAPPING = {
    "id": "Name",
    "followers": "Followers (2)",
    "cost": "Price",
    "engagement_rate": "ER",
    "country": "Region",
    "avg_likes": "Likes (avg)",
}


@pytest.mark.parametrize("encoding", ["utf-8-sig", "latin-1", "utf-16"])
def test_an_export_is_read_as_it_is(tmp_path: Path, encoding: str) -> None:
    _messy_export(tmp_path, encoding)
    roster = {"file": "export.csv", "columns": MAPPING}
    prepared = prepare(_scenario(tmp_path, roster, rate_card={"fill_missing": True}))
    frame = prepared.roster.frame.set_index("id")
    assert list(frame.index) == ["anna", "björn", "carla"]
    assert frame.loc["anna", "followers"] == 12_500
    assert frame.loc["björn", "followers"] == 1_200_000
    assert frame.loc["anna", "cost"] == 300
    assert frame.loc["anna", "engagement_rate"] == pytest.approx(0.031)
    assert frame.loc["anna", "country"] == "NA"  # North America, not a missing value
    assert frame.loc["björn", "platform"] == "tiktok"
    # carla's price was "nan": priced from the rate card and marked as an estimate
    assert bool(frame.loc["carla", "cost_estimated"]) and not bool(
        frame.loc["anna", "cost_estimated"]
    )
    notes = " ".join(prepared.roster.notes)
    assert "copy 2 is 'Followers (2)'" in notes
    assert "column followers ← 'Followers (2)'" in notes


def test_an_unquoted_thousands_separator_is_reported_with_its_row(tmp_path: Path) -> None:
    # "$2,500" unquoted splits a row into too many cells: the message says which line
    (tmp_path / "r.csv").write_text("id,followers,cost\na,1000,$2,500\n")
    with pytest.raises(InputError) as caught:
        prepare(_scenario(tmp_path, "r.csv"))
    assert "r.csv" in str(caught.value) and "line 2" in str(caught.value)


def test_mapping_to_a_missing_header_suggests_the_close_one(tmp_path: Path) -> None:
    _messy_export(tmp_path)
    roster = {"file": "export.csv", "columns": {**MAPPING, "cost": "Prize"}}
    with pytest.raises(InputError) as caught:
        prepare(_scenario(tmp_path, roster))
    assert "roster.columns.cost" in str(caught.value)
    assert "did you mean 'Price'" in str(caught.value)


@pytest.mark.parametrize("ours", [("id", "creator"), ("id", "handle", "creator")])
def test_one_header_may_feed_several_of_our_columns(tmp_path: Path, ours: tuple) -> None:
    """`id` and `creator` from one column (one offer per creator) failed with "missing
    required columns: id"; `handle` and `creator` from one left `handle` blank."""
    _messy_export(tmp_path)
    mapping = {k: v for k, v in MAPPING.items() if k != "id"} | dict.fromkeys(ours, "Name")
    roster = {"file": "export.csv", "columns": mapping}
    prepared = prepare(_scenario(tmp_path, roster, rate_card={"fill_missing": True}))
    frame = prepared.roster.frame
    for column in ours:
        assert list(frame[column]) == ["anna", "björn", "carla"], column
    assert sum("← 'Name'" in note for note in prepared.roster.notes) == len(ours)


def _clean_csv(folder: Path, rows: list[str], header: str) -> None:
    (folder / "r.csv").write_text("\n".join([header, *rows]) + "\n")


def test_rate_card_estimates_follow_the_documented_table(tmp_path: Path) -> None:
    # the smallest account of a tier pays the low end, the largest the high end
    rows, expected = [], {}
    spans = {"nano": (1_000, 10_000), "micro": (10_000, 100_000), "macro": (100_000, 1_000_000)}
    for platform in ("instagram", "tiktok", "youtube"):
        for tier, (low_f, high_f) in spans.items():
            low, high = COST_PER_POST_USD[platform][tier]
            rows.append(f"{platform}_{tier}_lo,{platform},{low_f}")
            rows.append(f"{platform}_{tier}_hi,{platform},{high_f - 1}")
            expected[f"{platform}_{tier}_lo"] = low
            expected[f"{platform}_{tier}_hi"] = high
    _clean_csv(tmp_path, rows, "id,platform,followers")
    frame = prepare(_scenario(tmp_path, "r.csv")).roster.frame.set_index("id")
    assert frame["cost_estimated"].all()
    for ident, price in expected.items():
        assert frame.loc[ident, "cost"] == pytest.approx(price, rel=1e-3), ident


def test_rate_card_prices_every_post_of_an_offer(tmp_path: Path) -> None:
    _clean_csv(
        tmp_path,
        ["one,instagram,10000,1", "three,instagram,10000,3"],
        "id,platform,followers,posts",
    )
    frame = prepare(_scenario(tmp_path, "r.csv")).roster.frame.set_index("id")
    assert frame.loc["three", "cost"] == pytest.approx(3 * frame.loc["one", "cost"])


def test_per_1000_followers_rate_card(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,tiktok,50000", "b,youtube,20000"], "id,platform,followers")
    card = {"method": "per_1000_followers", "per_1000_followers": {"tiktok": 4, "youtube": 20}}
    frame = prepare(_scenario(tmp_path, "r.csv", rate_card=card)).roster.frame.set_index("id")
    assert frame.loc["a", "cost"] == pytest.approx(200)
    assert frame.loc["b", "cost"] == pytest.approx(400)


def test_engagement_rate_from_likes_and_comments(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,20000,100,500,100"], "id,followers,cost,avg_likes,avg_comments")
    frame = prepare(_scenario(tmp_path, "r.csv")).roster.frame
    assert frame.loc[0, "engagement_rate"] == pytest.approx(600 / 20000)


def test_duplicate_ids_listed_or_resolved_by_policy(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,1000,10", "b,2000,20", "a,3000,30"], "id,followers,cost")
    with pytest.raises(InputError, match=r"rows 2, 4, column id: duplicate id 'a'"):
        prepare(_scenario(tmp_path, "r.csv"))
    for policy, kept in (("keep_first", 1000), ("keep_last", 3000)):
        roster = {"file": "r.csv", "duplicate_ids": policy}
        frame = prepare(_scenario(tmp_path, roster)).roster.frame.set_index("id")
        assert frame.loc["a", "followers"] == kept and len(frame) == 2


def test_capitalised_mix_and_resource_keys_match_their_columns(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,5000,100,US,2", "b,6000,100,DE,1"], "id,followers,cost,Country,Hours")
    constraints = {"mix": {"Country": {"US": {"max_count": 0}}}, "resources": {"Hours": 5}}
    result = solve(_scenario(tmp_path, "r.csv", constraints=constraints))
    assert result.selected == ["b"]


def test_tsv_files_are_tab_separated(tmp_path: Path) -> None:
    (tmp_path / "r.tsv").write_text("id\tfollowers\tcost\na\t5000\t100\n")
    assert prepare(_scenario(tmp_path, "r.tsv")).roster.ids == ["a"]


def test_at_most_k_offers_per_creator_in_every_solve(tmp_path: Path) -> None:
    roster = build_roster(60, seed=5)
    roster["creator"] = [f"c{k % 20}" for k in range(len(roster))]  # 3 offers per creator
    roster.to_csv(tmp_path / "r.csv", index=False)
    for limit in (1, 2):
        scenario = _scenario(
            tmp_path, "r.csv", budget=20000, constraints={"max_offers_per_creator": limit}
        )
        prepared = prepare(scenario)
        result = solve(scenario, prepared=prepared)
        creators = roster.set_index("id").loc[result.selected, "creator"]
        assert creators.value_counts().max() <= limit
        picked = [prepared.roster.index_of[i] for i in result.selected]
        assert check_selection(scenario, prepared.roster, prepared.overlap, picked) == []


def test_offers_of_one_creator_share_audience_but_never_conflict(tmp_path: Path) -> None:
    rows = ["a_ig,ann,instagram,50000,100", "a_tt,ann,tiktok,50000,100"]
    _clean_csv(tmp_path, rows, "id,creator,platform,followers,cost")
    scenario = _scenario(
        tmp_path, "r.csv", constraints={"max_pair_overlap": 0.1}, overlap={"same_creator": 0.5}
    )
    result = solve(scenario)
    assert sorted(result.selected) == ["a_ig", "a_tt"]  # the 50% share is no conflict
    frame = prepare(scenario).roster.frame
    smaller = float(np.minimum(*frame["expected_reach"].to_numpy()))
    assert result.kpis["overlap_waste"] == pytest.approx(0.5 * smaller)


@pytest.mark.parametrize("same_creator", [0.0, 0.5])
def test_a_files_pair_of_one_creators_offers_is_no_conflict(
    tmp_path: Path, same_creator: float
) -> None:
    """Even when ``overlap.same_creator`` is 0 (no pairs added), a pair of one creator's
    offers that the overlap file gives, above ``max_pair_overlap``, is no conflict."""
    rows = ["a_ig,ann,instagram,50000,100", "a_tt,ann,tiktok,50000,100", "b,,youtube,9000,100"]
    _clean_csv(tmp_path, rows, "id,creator,platform,followers,cost")
    (tmp_path / "o.csv").write_text("a,b,shared\na_ig,a_tt,0.6\n")
    overlap = {"file": "o.csv", "shared": "fraction", "same_creator": same_creator}
    scenario = _scenario(tmp_path, "r.csv", overlap=overlap, constraints={"max_pair_overlap": 0.3})
    result = solve(scenario)
    assert sorted(result.selected) == ["a_ig", "a_tt", "b"]
    assert not prepare(scenario).overlap.conflict_mask(0.3).any()


def test_validate_notes_a_mapped_or_filled_name_that_looks_like_a_typo(tmp_path: Path) -> None:
    """Any name may be mapped (``total_posts: posts`` moves a column away), so ``costt`` is no
    error; but it leaves every price to the rate card, and validate says what it looks like."""
    _clean_csv(tmp_path, ["a,5000,100", "b,9000,200"], "id,followers,cost")
    path = tmp_path / "s.yaml"
    roster = {"file": "r.csv", "columns": {"costt": "cost"}, "fill": {"platfrom": "tiktok"}}
    path.write_text(yaml.safe_dump({**BASE, "roster": roster}))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert (
        "roster.columns.costt: not a column inflopt reads (did you mean 'cost'?)" in result.output
    )
    assert "roster.fill.platfrom: not a column inflopt reads (did you mean 'platform'?)" in (
        result.output
    )
    moved = {"file": "r.csv", "columns": {"total_posts": "cost"}}
    path.write_text(yaml.safe_dump({**BASE, "roster": moved}))
    assert (
        "not a column inflopt reads" not in CliRunner().invoke(main, ["validate", str(path)]).output
    )


def test_validate_notes_creator_rules_on_a_roster_without_creators(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,5000,100", "b,9000,200"], "id,followers,cost")
    path = tmp_path / "s.yaml"
    rules = {"max_offers_per_creator": 1}
    deal = {"package_discount": {"discount": 0.1}}
    path.write_text(
        yaml.safe_dump({**BASE, "roster": "r.csv", "constraints": rules, "strategies": {"d": deal}})
    )
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "constraints.max_offers_per_creator: the roster has no creator column" in result.output
    assert "strategies.d.package_discount: the roster has no creator column" in result.output
    _clean_csv(tmp_path, ["a,ann,5000,100"], "id,creator,followers,cost")
    assert "no creator column" not in CliRunner().invoke(main, ["validate", str(path)]).output


def test_validate_shows_how_columns_were_read(tmp_path: Path) -> None:
    _clean_csv(tmp_path, ["a,5000,100"], "ID,Followers,Fee")
    path = tmp_path / "s.yaml"
    roster = {"file": "r.csv", "columns": {"cost": "Fee"}}
    path.write_text(yaml.safe_dump({**BASE, "roster": roster}))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "column cost ← 'Fee'" in result.output
    assert "columns used: id, followers, cost" in result.output


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("goal", ["maximize_value", "minimize_cost"])
def test_package_discounts_match_brute_force(tmp_path: Path, seed: int, goal: str) -> None:
    from itertools import product

    rng = np.random.default_rng(seed)
    n = 9
    creators = [f"c{k % 3}" for k in range(n)]
    cost = rng.integers(50, 400, n).astype(float)
    engagement = rng.integers(100, 3000, n).astype(float)
    rows = [f"o{k},{creators[k]},20000,{cost[k]:.0f},{engagement[k]:.0f},0,0" for k in range(n)]
    _clean_csv(
        tmp_path,
        rows,
        "id,creator,followers,cost,expected_engagement,expected_reach,expected_conversions",
    )
    deal = {"min_offers": 2, "discount": 0.25}
    budget = float(cost.sum() * 0.45)
    target = float(engagement.sum() * 0.5)
    constraints: dict = {"package_discount": deal, "max_offers_per_creator": 3}
    extra: dict = {"budget": budget, "objective": {"engagement": 1.0}, "solver": {"gap": 0}}
    if goal == "minimize_cost":
        constraints["targets"] = {"engagement": target}
        extra = {"goal": goal, "solver": {"gap": 0}}
    result = solve(_scenario(tmp_path, "r.csv", constraints=constraints, **extra))

    best = None
    for mask in product([0, 1], repeat=n):
        picked = [k for k in range(n) if mask[k]]
        booked = {c: sum(creators[k] == c for k in picked) for c in set(creators)}
        spend = sum(cost[k] * (0.75 if booked[creators[k]] >= 2 else 1.0) for k in picked)
        value = sum(engagement[k] for k in picked)
        if goal == "maximize_value":
            if spend <= budget + 1e-9 and (best is None or value > best):
                best = value
        elif value >= target - 1e-9 and (best is None or spend < best):
            best = spend
    assert best is not None
    assert result.objective == pytest.approx(best, rel=1e-9, abs=1e-6)


@pytest.mark.parametrize("seed", range(8))
def test_same_creator_pairs_are_every_pair_of_one_creators_offers(seed: int) -> None:
    """Against the definition: all pairs i < j with the same non-empty creator, once each."""
    from itertools import combinations
    from types import SimpleNamespace

    import pandas as pd

    from optimizer.overlap import same_creator_pairs

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 200))
    names = rng.integers(0, max(1, n // 3), n).astype(str).astype(object)
    names[rng.random(n) < 0.15] = ""
    names[rng.random(n) < 0.1] = None
    left, right = same_creator_pairs(SimpleNamespace(frame=pd.DataFrame({"creator": names})))
    expected = [
        (a, b)
        for a, b in combinations(range(n), 2)
        if names[a] not in (None, "") and names[a] == names[b]
    ]
    assert list(zip(left.tolist(), right.tolist(), strict=True)) == expected


def test_text_cells_are_cleaned_as_exports_write_them() -> None:
    import pandas as pd

    from optimizer.roster import _texts

    cells = pd.Series([" ig_1 ", "N/A", "NA", "nan", None, np.nan, "", "—", "x y", 7], dtype=object)
    assert _texts(cells).tolist() == ["ig_1", "", "NA", "", "", "", "", "", "x y", "7"]


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_rows_are_named_as_the_file_counts_them_with_empty_rows(
    tmp_path: Path, suffix: str
) -> None:
    """Empty rows (blank lines, ``,,`` lines, empty spreadsheet rows) are skipped, and every
    message still names the row a spreadsheet shows."""
    grid = [
        [None, None, None],  # row 1: empty, before the header
        ["id", "followers", "cost"],  # row 2
        ["a", "1000", "10"],  # row 3
        [None, None, None],  # row 4
        ["b", "lots", "20"],  # row 5: not a number
        ["", "", ""],  # row 6
        ["c", "3000", "-5"],  # row 7: negative cost
        ["a", "4000", "40"],  # row 8: a again
    ]
    path = tmp_path / f"r.{suffix}"
    if suffix == "csv":
        lines = ["" if row[0] is None else ",".join(row) for row in grid]  # blank lines
        path.write_text("\n".join(lines) + "\n\n")
    else:
        pd.DataFrame(grid).to_excel(path, header=False, index=False)
    with pytest.raises(InputError) as caught:
        prepare(_scenario(tmp_path, path.name))
    where = sorted(p.where for p in caught.value.problems)
    assert where == ["row 5, column followers", "row 7, column cost", "rows 3, 8, column id"]
    (tmp_path / "fixed.csv").write_text("\n\nid,followers,cost\n\na,1000,10\n,,\nb,2000,20\n\n")
    prepared = prepare(_scenario(tmp_path, "fixed.csv"))
    assert prepared.roster.ids == ["a", "b"]
    assert "4 empty rows skipped" in prepared.roster.notes  # the trailing one is not counted


def test_empty_sections_hold_defaults_and_yaml_merge_keys_work(tmp_path: Path) -> None:
    """``constraints:`` with nothing under it is the default section, not a type error; a
    strategy may reuse another with a YAML merge key (``<<: *anchor``) in spite of the check
    for keys written twice."""
    _clean_csv(tmp_path, ["a1,5000,100", "b2,9000,200"], "id,followers,cost")
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: ids\nroster: r.csv\nbudget: 300\nobjective: {reach: 0.01}\n"
        "constraints:\nsolver:\nstrategies:\n"
        "  one: &one {max_influencers: 1}\n  cheap: {<<: *one, budget: 150}\n"
    )
    scenario = load_scenario(path)
    assert scenario.solver.time_limit == 60 and scenario.constraints.include == []
    assert scenario.strategies["cheap"].max_influencers == 1
    assert sorted(solve(scenario).selected) == ["a1", "b2"]
    assert solve(scenario, "cheap").selected == ["a1"]


def test_a_platform_allow_list_may_name_platforms_this_roster_lacks(tmp_path: Path) -> None:
    """One allow-list for many clients: an absent platform is fine, a typo of a present one
    or a list of only absent ones is not (that would allow no one)."""
    _clean_csv(
        tmp_path, ["a,instagram,5000,100", "b,tiktok,9000,200"], "id,platform,followers,cost"
    )
    shared = _scenario(tmp_path, "r.csv", constraints={"platforms": ["instagram", "twitch"]})
    assert solve(shared).selected == ["a"]
    for listed, hint in ((["instagramm"], "did you mean 'instagram'"), (["twitch"], "twitch")):
        with pytest.raises(InputError, match=hint):
            prepare(_scenario(tmp_path, "r.csv", constraints={"platforms": listed}))


def test_utf16_rows_are_numbered_past_blank_lines(tmp_path: Path) -> None:
    text = "id,followers,cost\na,5000,100\n\nb,abc,200\n"
    for encoding in ("utf-8", "utf-16"):
        (tmp_path / "r.csv").write_text(text, encoding=encoding)
        with pytest.raises(InputError, match=r"row 4, column followers: 'abc'"):
            prepare(_scenario(tmp_path, "r.csv"))


def test_validate_notes_values_that_are_read_but_likely_wrong(tmp_path: Path) -> None:
    """Mixed currency symbols (dropped, not converted), platform codes without default rates
    (they take `other`'s), and follower counts no account has: read, but said."""
    lines = [
        "id,platform,followers,cost",
        "a,IG,12k,$900",
        "b,instagram,40k,€900",
        "c,TT,999B,£100",
        "d,tiktok,5k,300",
    ]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    roster = prepare(_scenario(tmp_path, "r.csv")).roster
    notes = roster.notes
    assert len(roster.warnings) == 3 and set(roster.warnings) <= set(notes)
    result = CliRunner().invoke(main, ["solve", str(tmp_path / "scenario.yaml")])
    assert result.exit_code == 0, result.output
    for warning in roster.warnings:  # solve says them too, on standard error
        assert f"note: {tmp_path / 'r.csv'}: {warning}" in result.stderr
    assert (
        "cost: cells carry different currency symbols ($, £, €); they are added as written,"
        " with no conversion"
    ) in notes
    assert (
        "platform: 2 rows on platforms without default rates (ig, tt) use the 'other' defaults;"
        " write instagram, tiktok or youtube (roster.fill or the file) if that is what they are"
    ) in notes
    assert (
        "followers: 1 row above 2,000,000,000, more than any account has had; check the column"
        " and its suffixes (B is billion)"
    ) in notes


def test_no_such_notes_on_a_clean_roster(tmp_path: Path) -> None:
    lines = ["id,platform,followers,cost", "a,instagram,12k,$900", "b,youtube,40k,$90"]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    notes = " ".join(prepare(_scenario(tmp_path, "r.csv")).roster.notes)
    for word in ("currency symbols", "platforms without default rates", "any account"):
        assert word not in notes


def test_mapping_id_from_the_handle_column_keeps_the_handle(tmp_path: Path) -> None:
    """`{id: handle}` renamed the file's `handle` column to `id`: the picks had no handle."""
    lines = ["handle,followers,cost", "@ana,12k,300", "@ben,40k,900"]
    (tmp_path / "r.csv").write_text("\n".join(lines) + "\n")
    roster = prepare(_scenario(tmp_path, {"file": "r.csv", "columns": {"id": "handle"}})).roster
    assert list(roster.frame["id"]) == ["@ana", "@ben"]
    assert list(roster.frame["handle"]) == ["@ana", "@ben"]
