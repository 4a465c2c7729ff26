"""The ``-o`` writers of ``optimizer.output``: the .xlsx read back with openpyxl and pandas.

Results are built by hand (no solve), so each test is about the file alone.
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from optimizer.output import sheet_name, write_results
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
