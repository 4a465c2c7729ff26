"""Export-style numbers: ``12.5k``, ``1.2M``, ``3.1%``, ``$450``, ``1,200`` and missing cells."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from optimizer.numbers import (
    NumberFormatError,
    parse_amount,
    parse_column,
    parse_fraction,
    parse_number,
)
from optimizer.scenario import load_scenario


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12.5k", 12_500.0),
        ("12.5K", 12_500.0),
        ("1.2M", 1_200_000.0),
        ("1.2m", 1_200_000.0),
        ("2bn", 2e9),
        ("3.1%", 0.031),
        ("100%", 1.0),
        ("$450", 450.0),
        ("$1,200", 1_200.0),
        ("1,200", 1_200.0),
        ("1,234,567.5", 1_234_567.5),
        (" 7 ", 7.0),
        ("€1.5k", 1_500.0),
        ("£20", 20.0),
        ("-3", -3.0),
        ("-$120", -120.0),
        ("+4", 4.0),
        (".5", 0.5),
        ("12.5 k", 12_500.0),
        ("2.28E+11", 2.28e11),  # as spreadsheet exports write large counts
        ("5e10", 5e10),
        ("1.5e-3", 0.0015),
    ],
)
def test_parse_number_reads_export_text(text: str, expected: float) -> None:
    assert parse_number(text) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("text", ["nan", "NaN", "N/A", "n/a", "", "   ", "none", "null", "-"])
def test_parse_number_missing_text_is_nan(text: str) -> None:
    assert math.isnan(parse_number(text))


def test_parse_number_none_is_nan() -> None:
    assert math.isnan(parse_number(None))


@pytest.mark.parametrize("value", [3, 2.5, np.int64(4), np.float32(0.5)])
def test_parse_number_passes_numbers_through(value: object) -> None:
    assert parse_number(value) == pytest.approx(float(value))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "abc",
        "12abc",
        "1,2,3",
        "1,20",
        "1.2.3",
        "$-5",
        "12kk",
        "5 %%",
        "k",
        "%",
        "$",
        "2e3k",
        "1e",
        "1e400",
    ],
)
def test_parse_number_rejects_bad_text(text: str) -> None:
    with pytest.raises(NumberFormatError, match="is not a number"):
        parse_number(text)


def test_parse_number_rejects_booleans() -> None:
    with pytest.raises(NumberFormatError):
        parse_number(True)


def test_number_format_error_is_a_value_error() -> None:
    assert issubclass(NumberFormatError, ValueError)


def test_parse_amount_refuses_missing_values() -> None:
    assert parse_amount("$50k") == 50_000.0
    for text in ("", "N/A", "nan"):
        with pytest.raises(NumberFormatError):
            parse_amount(text)


def test_parse_amount_refuses_percents_and_parse_fraction_reads_them() -> None:
    for text in ("50%", " 10 % "):
        with pytest.raises(NumberFormatError, match="is a percent"):
            parse_amount(text)
    assert parse_fraction("30%") == pytest.approx(0.3)
    assert parse_fraction("0.3") == pytest.approx(0.3)
    with pytest.raises(NumberFormatError):
        parse_fraction("n/a")


def test_scenario_shares_may_be_written_as_percents(tmp_path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: s\nroster: r.csv\nbudget: 5k\nobjective: {reach: 1}\n"
        "constraints: {max_pair_overlap: 30%, mix: {tier: {micro: {min_share: 45 %}}},\n"
        "  package_discount: {discount: 15%}}\n"
    )
    rules = load_scenario(path).constraints
    assert rules.max_pair_overlap == pytest.approx(0.3)
    assert rules.mix["tier"]["micro"].min_share == pytest.approx(0.45)
    assert rules.package_discount is not None
    assert rules.package_discount.discount == pytest.approx(0.15)


def test_parse_column_parses_text_and_reports_bad_cells_by_position() -> None:
    column = pd.Series(
        ["12.5k", "1.2M", "3.1%", "$450", "1,200", " 7 ", "€1.5k", "-3", "nan", "N/A", "", "abc"],
        index=range(100, 112),
        name="followers",
    )
    values, bad = parse_column(column)
    expected = [12_500, 1.2e6, 0.031, 450, 1_200, 7, 1_500, -3]
    assert values.iloc[:8].tolist() == pytest.approx(expected)
    assert values.iloc[8:].isna().all()
    assert bad == {11: "abc"}  # positions, not index labels
    assert values.index.tolist() == column.index.tolist()
    assert values.name == "followers"


def test_parse_column_rejects_ambiguous_separators() -> None:
    values, bad = parse_column(pd.Series(["1,2,3", "1,234"]))
    assert bad == {0: "1,2,3"}
    assert math.isnan(values.iloc[0])
    assert values.iloc[1] == 1_234


def test_parse_column_numeric_dtype_passes_through() -> None:
    values, bad = parse_column(pd.Series([1, 2, 3], dtype="int64"))
    assert bad == {}
    assert values.dtype == float
    assert values.tolist() == [1.0, 2.0, 3.0]


def test_parse_column_with_none_and_nan_cells() -> None:
    values, bad = parse_column(pd.Series(["5", None, float("nan")], dtype=object))
    assert bad == {}
    assert values.iloc[0] == 5.0
    assert values.iloc[1:].isna().all()


@given(st.integers(min_value=0, max_value=10**12))
def test_thousands_separators_round_trip(number: int) -> None:
    assert parse_number(f"{number:,}") == number
    assert parse_number(f"${number:,}") == number
    assert parse_number(f"-{number}") == -number


@given(st.integers(min_value=0, max_value=10_000))
def test_percent_is_a_fraction(hundredths: int) -> None:
    text = f"{hundredths / 100:.2f}%"
    assert parse_number(text) == pytest.approx(hundredths / 10_000, abs=1e-12)


def _cell_by_cell(cells: list[object]) -> tuple[list[float], dict[int, str]]:
    """What parse_column must return: parse_number on every cell, bad text by position."""
    parsed, bad = [], {}
    for position, cell in enumerate(cells):
        try:
            parsed.append(parse_number(cell))
        except NumberFormatError:
            parsed.append(math.nan)
            bad[position] = str(cell)
    return parsed, bad


MIXED_CELLS = [
    "12.5k", "3.1%", " 7 ", "1e5", "inf", "N/A", "-", "$1,200", "-0.5", "+.5", "5.", "\t42",
    "1_000", "nan", "0x10", "١٢", "", " \t ", "0012", "-0",
]  # fmt: skip


@pytest.mark.parametrize("dtype", [object, "str"])
def test_parse_column_bulk_path_agrees_with_cell_by_cell(dtype: object) -> None:
    column = pd.Series(MIXED_CELLS, dtype=dtype, index=range(5, 5 + len(MIXED_CELLS)), name="x")
    values, bad = parse_column(column)
    expected, expected_bad = _cell_by_cell(MIXED_CELLS)
    np.testing.assert_array_equal(values.to_numpy(), np.array(expected))
    assert np.array_equal(np.signbit(values.to_numpy()), np.signbit(expected))  # "-0" is -0.0
    assert bad == expected_bad
    assert set(bad.values()) == {"inf", "1_000", "0x10"}  # float() reads these
    assert values.iloc[MIXED_CELLS.index("١٢")] == 12  # Unicode digits: the per-cell path
    assert values.index.equals(column.index) and values.name == "x"


def test_parse_column_object_column_with_non_text_cells() -> None:
    cells: list[object] = ["3", 4, 2.5, None, True, " 12.5k", b"7"]
    values, bad = parse_column(pd.Series(cells, dtype=object))
    expected, expected_bad = _cell_by_cell(cells)
    np.testing.assert_array_equal(values.to_numpy(), np.array(expected))
    assert bad == expected_bad == {4: "True", 6: "b'7'"}


@given(st.floats(allow_nan=False, allow_infinity=False), st.sampled_from(["", " ", "\t"]))
def test_parse_column_plain_decimals_read_exactly(number: float, pad: str) -> None:
    cells = [f"{pad}{number!r}{pad}", f"{number:.6f}", f"{pad}{abs(number):f}"]
    cells = [c for c in cells if "e" not in c.lower()]  # exponents are not export text
    values, bad = parse_column(pd.Series(cells, dtype="str"))
    assert bad == {}
    assert values.tolist() == [parse_number(c) for c in cells]
