"""Reading an overlap table: the vectorised path for clean tables equals the row-by-row check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from optimizer import overlap
from optimizer.errors import InputError
from optimizer.overlap import _id_cells, _read_pairs_by_row, read_overlap_table
from optimizer.roster import Roster

FOLLOWERS = [0.0, *range(1000, 12000, 1000)]  # u00 has none: its shares are 0


def make_roster() -> Roster:
    ids = [f"u{k:02d}" for k in range(12)]
    return Roster(pd.DataFrame({"id": ids, "followers": FOLLOWERS}), "r")


def clean_table(kind: str) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    pairs = [(a, b) for a in range(12) for b in range(12) if a < b]
    rows = []
    for a, b in pairs:
        first, second = (a, b) if rng.random() < 0.5 else (b, a)  # either order in the file
        smaller = int(min(FOLLOWERS[a], FOLLOWERS[b]))
        value = f"{rng.random():.4f}" if kind == "fraction" else str(rng.integers(0, smaller + 1))
        rows.append((f" u{first:02d}", f"u{second:02d}\t", value))
    return pd.DataFrame(rows, columns=["A", "b", "Shared"], dtype="str")


def by_row(raw: pd.DataFrame, roster: Roster, kind: str) -> pd.DataFrame:
    """The row loop on its own (ids and numbers read as read_overlap_table reads them)."""
    frame = raw.copy()
    frame.columns = ["a", "b", "shared"]
    ids = [texts[codes].tolist() for codes, texts in map(_id_cells, (frame["a"], frame["b"]))]
    values = overlap.parse_column(frame["shared"])[0].to_numpy(dtype=float)
    return _read_pairs_by_row(ids[0], ids[1], values, {}, "f.csv", roster, kind)


@pytest.mark.parametrize("kind", ["fraction", "count"])
@pytest.mark.parametrize("given", ["auto", "exact"])
def test_clean_table_fast_path_equals_row_loop(
    kind: str, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    roster, raw = make_roster(), clean_table(kind)
    shared_kind = "auto" if given == "auto" else kind
    expected = by_row(raw, roster, shared_kind)
    monkeypatch.setattr(overlap, "_read_pairs_by_row", None)  # must not be needed
    got = read_overlap_table(raw.copy(), "f.csv", roster, shared_kind)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert (got["i"] < got["j"]).all() and len(got) == len(raw)


def test_id_cells_strip_text_and_read_other_cells_one_by_one() -> None:
    for cells in ([" a ", None, "b", " a ", float("nan")], [" a ", 3, 4.0, None]):
        codes, texts = _id_cells(pd.Series(cells, dtype=object))
        expected = ["" if pd.isna(v) else str(v).strip() for v in cells]
        assert texts[codes].tolist() == expected


@pytest.mark.parametrize(
    ("row", "where", "message"),
    [
        (("u01", "u01", "0.5"), "row 4", "pairs 'u01' with itself"),
        (("u02", "u01", "0.5"), "row 4", "already given on row 2"),
        (("u01", "zz", "0.5"), "row 4, column b", "id 'zz' is not in the roster"),
        (("u01", "u05", "1.5"), "row 4, column shared", "a fraction must be ≤ 1 (got 1.5)"),
        (("u01", "u05", "-1"), "row 4, column shared", "must not be negative"),
        (("u01", "u05", ""), "row 4, column shared", "is missing"),
        (("u01", "u05", "0x10"), "row 4, column shared", "'0x10' is not a number"),
        (("u01", "u05", "1e5"), "row 4, column shared", "a fraction must be ≤ 1 (got 100000)"),
    ],
)
def test_one_bad_row_is_reported_by_the_row_loop(
    row: tuple[str, str, str], where: str, message: str
) -> None:
    rows = [("u01", "u02", "0.5"), ("u03", "u04", "0.25"), row]
    raw = pd.DataFrame(rows, columns=["a", "b", "shared"], dtype="str")
    with pytest.raises(InputError) as caught:
        read_overlap_table(raw, "f.csv", make_roster(), "fraction")
    assert where in str(caught.value) and message in str(caught.value)


def test_a_bad_row_after_blank_lines_is_named_by_its_file_row(tmp_path) -> None:
    path = tmp_path / "overlap.csv"
    path.write_text("a,b,shared\n\nu01,u02,0.5\n\n\nu03,u04,2\n")  # the bad row is row 6
    with pytest.raises(InputError) as caught:
        overlap.read_overlap_file(path, make_roster(), "fraction")
    assert [p.where for p in caught.value.problems] == ["row 6, column shared"]
