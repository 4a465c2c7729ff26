"""``inflopt overlap build``: shared-follower counts against plain set arithmetic.

On a small synthetic sample every pair is checked; on the real Twitch graph (skipped when
../shared/data is absent) every pair touching 300 random streamers is checked, and the sum
of all shared counts against the wedge identity Σ_pairs |A∩B| = Σ_f C(deg f, 2).
"""

from __future__ import annotations

from collections import Counter
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from cli import main
from optimizer.errors import InputError
from optimizer.samples import build_tables, read_samples

TWITCH = Path(__file__).resolve().parents[2] / "shared/data/real/overlap/twitch_ENGB_edges.csv"


def direct_pairs(frame: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float, float]]:
    """(a, b) → (shared, jaccard, overlap) for every pair sharing a follower, by set operations."""
    sets: dict[str, set[str]] = {}
    for influencer, follower in frame.itertuples(index=False):
        sets.setdefault(influencer, set()).add(follower)
    out = {}
    for a, b in combinations(sorted(sets), 2):
        common = len(sets[a] & sets[b])
        if common:
            union = len(sets[a] | sets[b])
            out[(a, b)] = (common, common / union, common / min(len(sets[a]), len(sets[b])))
    return out


def as_dict(pairs: pd.DataFrame) -> dict[tuple[str, str], tuple[int, float, float]]:
    return {
        (r.a, r.b): (int(r.shared), float(r.jaccard), float(r.overlap))
        for r in pairs.itertuples(index=False)
    }


@pytest.mark.parametrize("seed", range(5))
def test_counts_equal_set_computation_on_a_synthetic_sample(seed: int) -> None:
    rng = np.random.default_rng(seed)
    rows = 400
    frame = pd.DataFrame(
        {
            "influencer": [f"i{k}" for k in rng.integers(0, 15, rows)],
            "follower": [f"f{k}" for k in rng.integers(0, 120, rows)],
        }
    )
    tables = build_tables(frame)
    expected = direct_pairs(frame)
    got = as_dict(tables.pairs)
    assert got.keys() == expected.keys()
    for key, (shared, jaccard, overlap) in expected.items():
        assert got[key][0] == shared
        assert got[key][1] == pytest.approx(jaccard)
        assert got[key][2] == pytest.approx(overlap)
    distinct = frame.drop_duplicates()
    assert len(tables.membership) == len(distinct) == rows - tables.samples.repeated
    assert set(map(tuple, tables.membership[["influencer", "unit"]].to_numpy())) == set(
        map(tuple, distinct.to_numpy())
    )


def test_min_shared_and_overlap_mode() -> None:
    frame = pd.DataFrame(
        {"influencer": list("aaabbbcc"), "follower": ["1", "2", "3", "1", "2", "4", "1", "9"]}
    )
    tables = build_tables(frame, min_shared=2, shared_as="overlap")
    assert tables.pairs[["a", "b", "shared_count"]].values.tolist() == [["a", "b", 2]]
    assert tables.pairs["shared"].tolist() == pytest.approx([2 / 3])


@pytest.mark.skipif(not TWITCH.exists(), reason="../shared/data is not available")
def test_counts_equal_set_computation_on_the_twitch_graph() -> None:
    frame = read_samples(TWITCH, "from", "to", symmetric=True)
    tables = build_tables(frame)
    neighbours: dict[str, set[str]] = {}
    for a, b in frame.itertuples(index=False):
        neighbours.setdefault(a, set()).add(b)
    degrees = Counter({k: len(v) for k, v in neighbours.items()})
    assert int(tables.pairs["shared"].sum()) == sum(d * (d - 1) // 2 for d in degrees.values())

    rng = np.random.default_rng(0)
    chosen = set(rng.choice(sorted(neighbours), 300, replace=False).tolist())
    expected: dict[tuple[str, str], int] = {}
    for a in chosen:
        counts = Counter(b for f in neighbours[a] for b in neighbours[f] if b != a)
        for b, shared in counts.items():
            expected[(min(a, b), max(a, b))] = shared
    pairs = tables.pairs
    touching = pairs[pairs["a"].isin(chosen) | pairs["b"].isin(chosen)]
    got = dict(zip(zip(touching["a"], touching["b"], strict=True), touching["shared"], strict=True))
    assert got == expected


def test_cli_writes_both_files_and_refuses_to_overwrite(tmp_path: Path) -> None:
    samples = tmp_path / "samples.csv"
    pd.DataFrame({"creator": ["a", "a", "b", "b", "c"], "fan": ["1", "2", "2", "3", "3"]}).to_csv(
        samples, index=False
    )
    args = ["overlap", "build", str(samples), "-o", str(tmp_path / "out")]
    args += ["--influencer-column", "creator", "--follower-column", "fan"]
    first = CliRunner().invoke(main, args)
    assert first.exit_code == 0, first.output
    pairs = pd.read_csv(tmp_path / "out/overlap.csv", dtype={"a": str, "b": str})
    assert pairs[["a", "b", "shared"]].values.tolist() == [["a", "b", 1], ["b", "c", 1]]
    membership = pd.read_csv(tmp_path / "out/membership.csv", dtype=str)
    assert list(membership.columns) == ["influencer", "unit", "weight"]
    assert len(membership) == 5
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 2
    missing = CliRunner().invoke(main, ["overlap", "build", str(tmp_path / "nope.csv"), "-o", "x"])
    assert missing.exit_code == 2


def test_a_sample_row_without_an_id_is_named_by_its_file_row(tmp_path: Path) -> None:
    path = tmp_path / "follows.csv"
    path.write_text("influencer,follower\na,f1\n\n\nb,\nc,f2\n")  # b's follower missing: row 5
    with pytest.raises(InputError) as caught:
        read_samples(path)
    assert [p.where for p in caught.value.problems] == ["row 5"]


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_a_column_not_in_the_samples_is_named_with_the_columns_there(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"follows{suffix}"
    frame = pd.DataFrame({"influencer": ["a", "b"], "follower": ["f1", "f2"]})
    frame.to_parquet(path) if suffix == ".parquet" else frame.to_csv(path, index=False)
    with pytest.raises(InputError) as caught:
        read_samples(path, influencer_column="who")
    (problem,) = caught.value.problems
    assert (problem.source, problem.where) == (str(path), "column who")
    assert problem.message == "not in the file (its columns: influencer, follower)"


def test_a_samples_file_with_only_a_header_is_an_input_error(tmp_path: Path) -> None:
    """It wrote two empty tables and exited 0."""
    path = tmp_path / "follows.csv"
    path.write_text("influencer,follower\n")
    with pytest.raises(InputError) as caught:
        read_samples(path)
    (problem,) = caught.value.problems
    assert (problem.source, problem.message) == (str(path), "no sample rows (only a header)")
    result = CliRunner().invoke(main, ["overlap", "build", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2 and not (tmp_path / "o").exists()
