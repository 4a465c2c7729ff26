"""The ``-o`` writers of ``optimizer.output``: the .xlsx read back with openpyxl and pandas.

Results are built by hand (no solve), so each test is about the file alone.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.output import sheet_name, sheet_names, write_results
from optimizer.result import Result
from optimizer.solver import Status


def solved(strategy: str | None, ids: list[str], handle: str = "@someone") -> Result:
    """A solved result picking ``ids``, each with ``handle``."""
    picks = pd.DataFrame({"id": ids, "handle": [handle] * len(ids), "cost": [100.0] * len(ids)})
    return Result(
        scenario="test",
        strategy=strategy,
        status=Status.OPTIMAL,
        goal="maximize_value",
        objective=1.0,
        selected=list(ids),
        kpis={"spend": 100.0 * len(ids), "count": len(ids)},
        picks=picks,
    )


def xlsx_of(tmp_path: Path, results: list[Result]) -> Path:
    path = tmp_path / "out.xlsx"
    write_results(results, path)
    return path


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b", "a_b"),
        ("q1: [tiktok]*?\\", "q1_ _tiktok____"),
        ("x" * 40, "x" * 31),
        ("'quoted'", "_quoted_"),
        ("a" * 30 + "'b", "a" * 30 + "_"),  # cut at 31, then no apostrophe last
        ("tab\there", "tab_here"),
        ("", "portfolio"),
        ("🚀" * 20, "🚀" * 15),  # Excel counts an emoji as two characters
    ],
)
def test_sheet_name_is_valid_for_excel(name: str, expected: str) -> None:
    assert sheet_name(name) == expected


def test_strategy_names_with_forbidden_characters_get_valid_sheets(tmp_path: Path) -> None:
    path = xlsx_of(tmp_path, [solved("a/b", ["x1"]), solved("why? [2]", ["x2"])])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "a_b", "why_ _2_"]
    assert book["a_b"]["A2"].value == "a/b"  # the full name is kept in the sheet
    assert book["why_ _2_"]["B2"].value == "x2"


def test_sheet_names_are_unique_ignoring_case_and_never_summary() -> None:
    long = "a" * 40
    names = ["summary", "Summary", "x", "X", long + "1", long + "2", "x-2"]
    assert sheet_names(names) == [
        "summary-2",
        "Summary-3",
        "x",
        "X-2",
        "a" * 31,
        "a" * 29 + "-2",
        "x-2-2",
    ]


def test_no_portfolio_is_lost_to_a_clashing_sheet_name(tmp_path: Path) -> None:
    """A strategy ``summary`` overwrote the summary sheet (``Summary`` got openpyxl's
    ``Summary1``), and two names alike in their first 31 characters shared one sheet, so one
    portfolio was lost."""
    long = "b" * 35
    results = [
        solved("summary", ["s1", "s2"]),
        solved("Summary", ["S1"]),
        solved(long + "1", ["l1"]),
        solved(long + "2", ["l2"]),
        solved(None, ["p1"]),
    ]
    path = xlsx_of(tmp_path, results)
    sheets = pd.read_excel(path, sheet_name=None)
    expected = ["summary", "summary-2", "Summary-3", "b" * 31, "b" * 29 + "-2", "portfolio"]
    assert list(sheets) == expected
    summary = sheets["summary"]
    assert summary["strategy"].tolist() == ["summary", "Summary", long + "1", long + "2", "base"]
    assert summary["sheet"].tolist() == list(sheets)[1:]
    for result, sheet in zip(results, summary["sheet"], strict=True):
        assert sheets[sheet]["id"].tolist() == result.selected
        assert set(sheets[sheet]["strategy"]) == {result.strategy or "base"}


def test_text_that_looks_like_a_formula_is_stored_as_text(tmp_path: Path) -> None:
    """Roster text and strategy names starting with ``=`` were written as live formulas (a
    spreadsheet injection); ``#N/A`` as an error value. Every text cell is now a string,
    unchanged; numbers stay numbers."""
    link = '=HYPERLINK("http://evil.example","click")'
    texts = [link, "=1+1", "#N/A", "+1", "-1", "@SUM(A1)"]
    results = [solved("=1+1", ["x1"], handle=link), solved("#N/A", ["x2"], handle="+1")]
    results[0].picks["niche"] = ["@SUM(A1)"]
    results[1].picks["niche"] = ["-1"]
    path = xlsx_of(tmp_path, results)
    book = openpyxl.load_workbook(path)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    found = {cell.value for cell in cells if cell.value in texts}
    assert found == set(texts)
    assert [c.coordinate for c in cells if c.data_type in ("f", "e")] == []  # formula, error
    assert all(c.data_type == "s" for c in cells if isinstance(c.value, str))
    picks = pd.read_excel(path, sheet_name=book.sheetnames[1])
    assert picks.loc[0, ["strategy", "handle", "niche"]].tolist() == ["=1+1", link, "@SUM(A1)"]
    assert picks.loc[0, "cost"] == 100.0


def test_summary_says_why_a_result_has_no_portfolio(tmp_path: Path) -> None:
    """The diagnosis of an infeasible result was left out of the .xlsx: only its status."""
    reasons = ["tier macro min_count 5 needs at least 1,090 but budget is 500", "=try more"]
    infeasible = Result(
        scenario="test",
        strategy="nope",
        status=Status.INFEASIBLE,
        goal="maximize_value",
        diagnosis=list(reasons),
    )
    path = xlsx_of(tmp_path, [infeasible, solved("fine", ["x1"])])
    summary = openpyxl.load_workbook(path)["summary"]
    rows = [[cell.value for cell in row] for row in summary.iter_rows()]
    header = rows[0]
    assert header[-3:] == ["count", "solve_seconds", "diagnosis"]  # after every KPI
    column = header.index("diagnosis")
    assert rows[1][column] == "\n".join(reasons)
    assert rows[2][column] is None  # solved: empty
    assert summary.cell(2, column + 1).data_type == "s"


def test_control_characters_a_workbook_cannot_hold_become_replacement_marks(
    tmp_path: Path,
) -> None:
    """openpyxl refuses them (a traceback, no file); JSON and CSV keep them as they are."""
    path = xlsx_of(tmp_path, [solved("a\x07b", ["x1"], handle="@bad\x01name\ttab")])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["summary", "a_b"]
    row = [cell.value for cell in next(book["a_b"].iter_rows(min_row=2))]
    assert row[:3] == ["a\ufffdb", "x1", "@bad\ufffdname\ttab"]  # a tab is allowed


def test_sweep_and_batch_workbooks_are_as_safe_as_the_results_ones(tmp_path: Path) -> None:
    from optimizer.tables import write_tables

    frame = pd.DataFrame({"strategy": ["=1+1", "x\x02"], "value": [1.0, 2.0]})
    long = "a sheet name well over thirty-one characters"
    path = tmp_path / "sweep.xlsx"
    write_tables(path, {long: frame, long.upper(): frame, "bad/name": frame}, [])
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [long[:31], long.upper()[:29] + "-2", "bad_name"]
    cells = [c for row in book.worksheets[0].iter_rows(min_row=2) for c in row]
    assert [c.value for c in cells] == ["=1+1", 1, "x\ufffd", 2]
    assert [c.data_type for c in cells] == ["s", "n", "s", "n"]


def test_history_is_reserved_by_excel() -> None:
    assert sheet_names(["history", "History", "plain"]) == ["history-2", "History-3", "plain"]
