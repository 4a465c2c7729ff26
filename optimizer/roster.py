"""Rosters: read CSV / Parquet / Excel, parse export-style numbers, validate every cell.

A roster has one row per influencer offer. Validation reports every bad cell at once, with
its spreadsheet row number (the header is row 1) and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from .errors import InputError, Problem
from .funnel import derive_kpis
from .numbers import parse_column
from .scenario import Scenario

REQUIRED_COLUMNS: tuple[str, ...] = ("id", "followers", "cost")
RATE_COLUMNS: tuple[str, ...] = (
    "engagement_rate",
    "reach_rate",
    "click_rate",
    "conversion_rate",
    "authenticity",
    "audience_fit",
)
EXPECTED_COLUMNS: tuple[str, ...] = (
    "expected_reach",
    "expected_engagement",
    "expected_conversions",
)
COUNT_COLUMNS: tuple[str, ...] = ("followers", "cost", "posts", *EXPECTED_COLUMNS)
TEXT_COLUMNS: tuple[str, ...] = ("handle", "platform", "niche", "country")
RESERVED_COLUMNS: tuple[str, ...] = ("tier",)
HEADER_ROWS = 1  # spreadsheet row of the header; data starts on the next row


@dataclass
class Roster:
    """A validated roster: one row per influencer, KPIs derived, tiers assigned.

    ``frame`` columns: ``id`` (text), ``followers`` (count), ``cost`` (currency per offer),
    ``tier``, ``platform``, ``niche``, the rates (fractions), ``expected_reach``,
    ``expected_engagement``, ``expected_conversions`` (expected people / engagements /
    conversions), ``estimated`` (which KPIs came from the funnel) and any extra columns.
    """

    frame: pd.DataFrame
    source: str
    index_of: dict[str, int] = field(init=False)

    def __post_init__(self) -> None:
        self.index_of = {str(v): i for i, v in enumerate(self.frame["id"].tolist())}

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def ids(self) -> list[str]:
        """Influencer ids in roster order."""
        return self.frame["id"].tolist()

    def column(self, name: str) -> np.ndarray:
        """One column as a numpy array."""
        return self.frame[name].to_numpy()


def normalize_header(name: object) -> str:
    """``' Engagement Rate '`` → ``engagement_rate``: how roster headers are matched."""
    text = str(name).strip().lstrip("\ufeff").lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def read_table(path: Path) -> pd.DataFrame:
    """The raw table of a CSV, Parquet or Excel file, text cells kept as text."""
    source = str(path)
    if not path.exists():
        raise InputError.single(source, "", "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in {".csv", ".txt"}:
            return pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig", skipinitialspace=True
            )
        if suffix == ".parquet":
            return pd.read_parquet(path)
        if suffix in {".xlsx", ".xlsm"}:
            return pd.read_excel(path, engine="openpyxl")
    except (ValueError, OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError.single(source, "", f"cannot read the table: {exc}") from None
    raise InputError.single(source, "", "rosters must be .csv, .parquet or .xlsx files")


def row_label(position: int) -> str:
    """Spreadsheet row of a data row (header on row 1)."""
    return f"row {position + HEADER_ROWS + 1}"


def _columns_needed(scenario: Scenario) -> dict[str, str]:
    """Roster columns the scenario names, with the key that names them."""
    needed: dict[str, str] = {}
    rule_sets = [("constraints", scenario.constraints)]
    rule_sets += [(f"strategies.{n}", s) for n, s in scenario.strategies.items()]
    for prefix, rules in rule_sets:
        for column in rules.mix or {}:
            needed.setdefault(normalize_header(column), f"{prefix}.mix.{column}")
        for column in rules.resources or {}:
            needed.setdefault(normalize_header(column), f"{prefix}.resources.{column}")
    return needed


def load_roster(scenario: Scenario, path: Path | None = None) -> Roster:
    """Read, validate and enrich the scenario's roster; raises InputError with every problem."""
    path = path or scenario.roster_path
    source = str(path)
    raw = read_table(path)
    raw.columns = [normalize_header(c) for c in raw.columns]
    problems: list[Problem] = []

    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    if duplicated:
        problems.append(
            Problem(source, "header", f"columns appear more than once: {', '.join(duplicated)}")
        )
        raw = raw.loc[:, ~raw.columns.duplicated()]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        problems.append(
            Problem(source, "header", f"missing required columns: {', '.join(missing)}")
        )
    for column in RESERVED_COLUMNS:
        if column in raw.columns:
            problems.append(
                Problem(
                    source,
                    f"column {column}",
                    "is computed from followers and the scenario's tiers; rename or drop it",
                )
            )
    for column, key in _columns_needed(scenario).items():
        if column not in raw.columns and column not in {"tier", "platform", "niche"}:
            problems.append(
                Problem(source, f"column {column}", f"named by {key} but not in the roster")
            )
    if len(raw) == 0:
        problems.append(Problem(source, "", "the roster has no rows"))
    if missing or len(raw) == 0:
        raise InputError(problems)

    frame = pd.DataFrame(index=range(len(raw)))
    ids = raw["id"].map(lambda v: "" if pd.isna(v) else str(v).strip())
    for position in np.flatnonzero((ids == "").to_numpy()):
        problems.append(Problem(source, f"{row_label(position)}, column id", "id is missing"))
    for value, group in ids[ids != ""].groupby(ids[ids != ""]):
        if len(group) > 1:
            rows = ", ".join(str(p + HEADER_ROWS + 1) for p in group.index)
            problems.append(Problem(source, f"rows {rows}, column id", f"duplicate id {value!r}"))
    frame["id"] = ids.to_numpy()

    numeric = [c for c in (*COUNT_COLUMNS, *RATE_COLUMNS) if c in raw.columns]
    numeric += [
        c for c, key in _columns_needed(scenario).items() if ".resources." in key and c in raw
    ]
    for column in dict.fromkeys(numeric):
        values, bad = parse_column(raw[column].reset_index(drop=True))
        for position, text in bad.items():
            problems.append(
                Problem(
                    source, f"{row_label(position)}, column {column}", f"{text!r} is not a number"
                )
            )
        frame[column] = values.to_numpy()
    for column in raw.columns:
        if column not in frame.columns:
            frame[column] = raw[column].to_numpy()
    for column in TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = (
                frame[column].map(lambda v: "" if pd.isna(v) else str(v).strip()).astype(str)
            )

    problems.extend(_check_cells(frame, source))
    if problems:
        raise InputError(problems)

    frame["platform"] = _text_or(frame, "platform", "other").str.lower()
    frame["niche"] = _text_or(frame, "niche", "general").str.lower()
    frame["tier"] = assign_tiers(frame["followers"].to_numpy(), scenario.tier_bounds())
    return Roster(derive_kpis(frame), source)


def _text_or(frame: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(default, index=frame.index)
    return frame[column].replace("", default)


def _schema() -> pa.DataFrameSchema:
    """What valid numeric cells are: counts and money ≥ 0, rates in [0, 1], posts ≥ 1."""
    columns = {
        "followers": pa.Column(float, pa.Check.ge(0), nullable=False),
        "cost": pa.Column(float, pa.Check.ge(0), nullable=False),
        "posts": pa.Column(float, pa.Check.ge(1), nullable=True, required=False),
    }
    for name in EXPECTED_COLUMNS:
        columns[name] = pa.Column(float, pa.Check.ge(0), nullable=True, required=False)
    for name in RATE_COLUMNS:
        columns[name] = pa.Column(float, pa.Check.in_range(0, 1), nullable=True, required=False)
    return pa.DataFrameSchema(columns, strict=False)


_CHECK_WORDS = {
    "not_nullable": "is missing",
    "greater_than_or_equal_to(0)": "must not be negative",
    "greater_than_or_equal_to(1)": "must be at least 1",
    "in_range(0, 1)": "must be a fraction between 0 and 1 (write 3.1% or 0.031)",
}


def _check_cells(frame: pd.DataFrame, source: str) -> list[Problem]:
    problems = []
    for column in ("followers", "cost", *RATE_COLUMNS, "posts", *EXPECTED_COLUMNS):
        if column in frame.columns:
            infinite = np.isinf(frame[column].to_numpy(dtype=float))
            for position in np.flatnonzero(infinite):
                problems.append(
                    Problem(source, f"{row_label(position)}, column {column}", "is infinite")
                )
                frame.loc[position, column] = np.nan
    try:
        _schema().validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for case in cases.itertuples(index=False):
            position = case.index
            where = f"column {case.column}"
            if position is not None and not pd.isna(position):
                where = f"{row_label(int(position))}, {where}"
            words = _CHECK_WORDS.get(str(case.check), f"fails check {case.check}")
            value = case.failure_case
            detail = "" if pd.isna(value) else f" (got {value:g})"
            problems.append(Problem(source, where, words + detail))
    return problems


def assign_tiers(followers: np.ndarray, bounds: list[tuple[str, float]]) -> np.ndarray:
    """Tier name per influencer from ``(name, lower bound)`` pairs sorted ascending.

    Accounts below the smallest bound fall into the smallest tier.
    """
    names = np.array([name for name, _ in bounds], dtype=object)
    lows = np.array([low for _, low in bounds], dtype=float)
    position = np.searchsorted(lows, followers, side="right") - 1
    return names[np.clip(position, 0, len(names) - 1)]
