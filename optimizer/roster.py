"""Rosters: read CSV / Parquet / Excel, parse export-style numbers, validate every cell.

A roster has one row per influencer offer. Validation reports every bad cell at once, with
its spreadsheet row number (the header is row 1) and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pandera.pandas as pa

from . import defaults
from .errors import InputError, Problem, did_you_mean
from .funnel import assign_tiers, derive_kpis
from .numbers import MISSING_TEXT, NumberFormatError, parse_column, parse_number
from .ratecard import estimate_costs
from .reading import (
    RawTable,
    clean_header,
    database_label,
    dedupe_headers,
    header_hint,
    map_columns,
    normalize_header,
    numbered,
    read_sql,
    read_table,
    sheet_row,
)
from .scenario import RateCard, Scenario

REQUIRED_COLUMNS: tuple[str, ...] = ("id", "followers")
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
ACTIVITY_COLUMNS: tuple[str, ...] = ("avg_likes", "avg_comments")  # per post, counts
TEXT_COLUMNS: tuple[str, ...] = ("handle", "platform", "niche", "country", "creator")
MONEY_COLUMNS: tuple[str, ...] = ("cost",)  # currency amounts (a symbol is dropped)
MOST_FOLLOWERS = 2e9  # far above any account (the largest had under a billion in 2025)
RESERVED_COLUMNS: tuple[str, ...] = ("tier",)  # computed; a given one must agree with it
RECOMPUTED_COLUMNS: tuple[str, ...] = ("defaulted", "cost_estimated")  # results' own columns


@dataclass
class Roster:
    """A validated roster: one row per influencer, KPIs derived, tiers assigned.

    ``frame`` columns: ``id`` (text), ``followers`` (count), ``cost`` (currency per offer),
    ``tier``, ``platform``, ``niche``, the rates (fractions), ``expected_reach``,
    ``expected_engagement``, ``expected_conversions`` (expected people / engagements /
    conversions), ``defaulted`` (rate columns that took a default), ``cost_estimated``
    (cost priced from a rate card) and any extra columns.
    """

    frame: pd.DataFrame
    source: str
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # notes on values that look wrong
    index_of: dict[str, int] = field(init=False)
    ids: list[str] = field(init=False)  # influencer ids in roster order

    def __post_init__(self) -> None:
        self.ids = [str(v) for v in self.frame["id"].tolist()]
        self.index_of = {v: i for i, v in enumerate(self.ids)}

    def __len__(self) -> int:
        return len(self.frame)

    def column(self, name: str) -> np.ndarray:
        """One column as a numpy array."""
        return self.frame[name].to_numpy()


def row_label(position: int) -> str:
    """``row N``: the spreadsheet row of a data row of the table being checked
    (:func:`optimizer.reading.numbered`; else the header is on row 1, no row skipped)."""
    return f"row {sheet_row(position)}"


def columns_needed(scenario: Scenario) -> dict[str, str]:
    """Roster columns the scenario names, with the key that names them."""
    needed: dict[str, str] = {}
    for prefix, rules in scenario.rule_sets():
        for column in rules.mix or {}:
            needed.setdefault(normalize_header(column), f"{prefix}.mix.{column}")
        for column in rules.resources or {}:
            needed.setdefault(normalize_header(column), f"{prefix}.resources.{column}")
    return needed


def load_roster(scenario: Scenario, path: Path | None = None) -> Roster:
    """Read, validate and enrich the scenario's roster; raises InputError with every problem."""
    settings = scenario.roster
    path = path or scenario.roster_path
    if path is None:
        url = scenario.database_url(settings.url or "")
        source = database_label(url, settings.table, settings.query)
        table = read_sql(url, settings.table, settings.query, "roster")
    else:
        source = str(path)
        table = read_table(path, settings.encoding, settings.sheet)
    with numbered(table):
        return _roster_from_table(scenario, table, source)


ROSTER_FRAME = "roster DataFrame"  # the source named in messages about a DataFrame roster


def roster_from_frame(scenario: Scenario, frame: pd.DataFrame) -> Roster:
    """A roster handed over as a pandas DataFrame, in place of the file or database the
    scenario names, checked and enriched as a file's would be (the scenario's column mapping,
    fill values and rate card apply). Problems name :data:`ROSTER_FRAME` and rows by their
    position from 0, as ``frame.iloc`` counts them. ``TypeError`` if ``frame`` is not one."""
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"a roster must be a pandas DataFrame, not {type(frame).__name__}")
    headers, notes = dedupe_headers([clean_header(c) for c in frame.columns])
    data = frame.reset_index(drop=True).copy()
    data.columns = headers
    table = RawTable(data, "DataFrame", notes, rows=np.arange(len(data)))
    with numbered(table):
        return _roster_from_table(scenario, table, ROSTER_FRAME)


def _roster_from_table(scenario: Scenario, table: RawTable, source: str) -> Roster:
    """Validate and enrich a roster table (inside :func:`numbered`, so rows count right)."""
    settings = scenario.roster
    standard = frozenset(
        {*REQUIRED_COLUMNS, *RATE_COLUMNS, *COUNT_COLUMNS, *TEXT_COLUMNS, *ACTIVITY_COLUMNS}
    )
    problems = map_columns(table, settings.columns, scenario.source, standard=standard)
    raw = table.frame
    headers = [str(c) for c in raw.columns]  # as written, for the hint of a missing column
    raw.columns = [normalize_header(c) for c in raw.columns]
    for column, value in settings.fill.items():
        name = normalize_header(column)
        if name in (*COUNT_COLUMNS, *RATE_COLUMNS, *ACTIVITY_COLUMNS) and isinstance(value, str):
            why = _fill_problem(name, value)
            if why:  # reported once, on the scenario, not on every row it would fill
                problems.append(Problem(scenario.source, f"roster.fill.{column}", why))
                continue
        if name not in raw.columns:
            raw[name] = str(value)
        else:
            blank = _texts(raw[name]) == ""
            if blank.any():  # as text, read below like the file's own cells (typed: Parquet)
                raw[name] = raw[name].astype(object)
                raw.loc[blank, name] = str(value)
        table.notes.append(f"column {name}: blanks filled with {value!r} (roster.fill)")
    known = {*REQUIRED_COLUMNS, *RATE_COLUMNS, *COUNT_COLUMNS, *TEXT_COLUMNS, *ACTIVITY_COLUMNS}
    for key, names in (("columns", settings.columns), ("fill", settings.fill)):
        for name in names:  # any name is allowed (total_posts: posts moves a column away) …
            hint = did_you_mean(normalize_header(name), sorted(known), cutoff=0.8)
            if normalize_header(name) not in known and hint:  # … but this looks like a typo
                table.notes.append(f"roster.{key}.{name}: not a column inflopt reads{hint}")
    if "creator" not in raw.columns:
        for prefix, rules in scenario.rule_sets():
            for key in ("max_offers_per_creator", "package_discount"):
                if getattr(rules, key, None) is not None:
                    table.notes.append(
                        f"{prefix}.{key}: the roster has no creator column, so every offer is "
                        "its own creator and the rule changes nothing"
                    )
    used = [c for c in raw.columns if c in known]
    table.notes.append(f"columns used: {', '.join(used) or 'none'}")
    recomputed = [c for c in raw.columns if c in RECOMPUTED_COLUMNS]
    if recomputed:
        table.notes.append(f"{', '.join(recomputed)}: recomputed (the file's values are not used)")
    if "tier" in raw.columns:
        table.notes.append("tier: checked against the tiers computed from followers")
    ignored = {*known, *RESERVED_COLUMNS, *RECOMPUTED_COLUMNS}
    others = [c for c in raw.columns if c not in ignored]
    if others:
        table.notes.append(f"other columns (kept for mix/resource rules): {', '.join(others)}")

    duplicated = sorted({c for c in raw.columns if list(raw.columns).count(c) > 1})
    if duplicated:
        problems.append(
            Problem(source, "header", f"columns appear more than once: {', '.join(duplicated)}")
        )
        raw = raw.loc[:, ~raw.columns.duplicated()]
    missing = [c for c in REQUIRED_COLUMNS if c not in raw.columns]
    if missing:
        problems.append(
            Problem(
                source,
                "header",
                f"missing required columns: {', '.join(missing)}{header_hint(headers)}",
            )
        )
    for column, key in columns_needed(scenario).items():
        if column not in raw.columns and column not in {"tier", "platform", "niche"}:
            problems.append(
                Problem(source, f"column {column}", f"named by {key} but not in the roster")
            )
    if len(raw) == 0:
        problems.append(Problem(source, "", "the roster has no rows"))
    if missing or len(raw) == 0:
        raise InputError(problems)

    ids = _texts(raw["id"])
    for position in np.flatnonzero((ids == "").to_numpy()):
        problems.append(Problem(source, f"{row_label(position)}, column id", "id is missing"))
    keep = _duplicate_id_mask(ids, settings.duplicate_ids, source, problems, table.notes)
    frame = pd.DataFrame(index=range(len(raw)))
    frame["id"] = ids.to_numpy()

    numeric = [c for c in (*COUNT_COLUMNS, *RATE_COLUMNS, *ACTIVITY_COLUMNS) if c in raw.columns]
    summed = {c: k for c, k in columns_needed(scenario).items() if ".resources." in k}
    for column, key in summed.items():
        if column in {*TEXT_COLUMNS, *RESERVED_COLUMNS}:
            problems.append(Problem(source, f"column {column}", f"is text, but {key} sums it"))
        elif column in raw:
            numeric.append(column)
    flagged: set[tuple[int, str]] = set()  # cells already reported as unreadable
    for column in dict.fromkeys(numeric):
        cells = raw[column].reset_index(drop=True)
        values, bad = parse_column(cells)
        if column not in RATE_COLUMNS:  # "3.1%" is a rate; a count or a price it is not
            bad.update(_percent_cells(cells))
        flagged.update((position, column) for position in bad)
        frame[column] = values.to_numpy()
        readable = values.notna().to_numpy(copy=True)
        readable[list(bad)] = False
        if column in summed and len(bad) > 3 and not readable.any():
            examples = ", ".join(repr(text) for text in list(dict.fromkeys(bad.values()))[:3])
            problems.append(
                Problem(
                    source,
                    f"column {column}",
                    f"no cell is a number ({examples}, …), but {summed[column]} sums it",
                )
            )
            continue
        for position, text in bad.items():
            where = f"{row_label(position)}, column {column}"
            problems.append(Problem(source, where, _unreadable(column, text)))
    for column in raw.columns:
        if column not in frame.columns:
            frame[column] = raw[column].to_numpy()
    for column in TEXT_COLUMNS:
        if column in frame.columns:
            frame[column] = _texts(frame[column]).astype(str)

    card = scenario.rate_card
    estimate_blanks = "cost" not in frame.columns or (card is not None and card.fill_missing)
    problems.extend(_check_cells(frame, source, estimate_blanks, flagged))
    if problems:
        raise InputError(problems)
    tiers = assign_tiers(frame["followers"].to_numpy(), scenario.tier_bounds())
    if "tier" in raw.columns:  # e.g. a picks file written by `-o`, read back as a roster
        _check_given_tiers(frame, tiers, source)

    frame = frame[keep].reset_index(drop=True)
    frame["platform"] = _text_or(frame, "platform", "other").str.lower()
    frame["niche"] = _text_or(frame, "niche", "general").str.lower()
    frame["tier"] = tiers[keep]
    cost, estimated = estimate_costs(frame, card or RateCard())
    frame["cost"] = cost
    frame["cost_estimated"] = estimated
    if estimated.any():
        how = "the scenario's rate_card" if card else "the default rate card"
        table.notes.append(f"cost: {int(estimated.sum())} rows priced from {how}")
    _engagement_from_activity(frame, table.notes)
    warnings: list[str] = []
    _suspicious_values(frame, warnings)
    _currency_symbols(raw, warnings)
    return Roster(derive_kpis(frame), source, [*table.notes, *warnings], warnings)


def _check_given_tiers(frame: pd.DataFrame, computed: np.ndarray, source: str) -> None:
    """A roster's own ``tier`` column must agree with ``computed``, the tiers the scenario
    gives by followers (blank cells aside): the computed ones are used, so a column that
    disagrees would be silently overruled. Raises InputError naming the first rows that differ."""
    given = _texts(frame["tier"]).to_numpy(dtype=str)
    same = np.char.lower(given) == np.char.lower(computed.astype(str))  # tier names: any case
    differ = np.flatnonzero((given != "") & ~same)
    if not len(differ):
        return
    shown = [
        Problem(
            source,
            f"{row_label(int(p))}, column tier",
            f"says {given[p]}, but {frame['followers'].iloc[p]:,.0f} followers make it "
            f"{computed[p]} under the scenario's tiers; rename or drop the column",
        )
        for p in differ[:5]
    ]
    if len(differ) > 5:
        shown.append(Problem(source, "column tier", f"{len(differ) - 5} more rows differ"))
    raise InputError(shown)


def _suspicious_values(frame: pd.DataFrame, notes: list[str]) -> None:
    """Notes on values that are valid but often mean a column was read for something else."""
    free = int((frame["cost"] == 0).sum())
    if free:
        notes.append(f"cost: {free} rows cost 0 and are free picks; check they are real prices")
    if "posts" in frame.columns and float(frame["posts"].median()) > 10:
        notes.append(
            f"posts: median {frame['posts'].median():,.0f} posts per offer; if this is the "
            "account's lifetime post count, map it away (roster.columns)"
        )
    huge = int((frame["followers"] > MOST_FOLLOWERS).sum())
    if huge:
        notes.append(
            f"followers: {huge} row{'s' * (huge != 1)} above {MOST_FOLLOWERS:,.0f}, more than "
            "any account has had; "
            "check the column and its suffixes (B is billion)"
        )
    known = set(defaults.PLATFORMS)
    unknown = sorted(set(frame["platform"]) - known)
    if unknown:
        count = int((~frame["platform"].isin(known)).sum())
        shown = ", ".join(unknown[:8]) + (", …" if len(unknown) > 8 else "")
        notes.append(
            f"platform: {count} row{'s' * (count != 1)} on platforms without default rates "
            f"({shown}) use the "
            "'other' defaults; write instagram, tiktok or youtube (roster.fill or the file) "
            "if that is what they are"
        )


def _currency_symbols(raw: pd.DataFrame, notes: list[str]) -> None:
    """A note when one money column mixes currency symbols: they are dropped, not converted."""
    for column in MONEY_COLUMNS:
        if column not in raw.columns or pd.api.types.is_numeric_dtype(raw[column]):
            continue
        found = raw[column].astype(str).str.extract(r"^\s*[-+]?\s*([$€£¥])", expand=False)
        symbols = sorted(set(found.dropna()))
        if len(symbols) > 1:
            notes.append(
                f"{column}: cells carry different currency symbols ({', '.join(symbols)}); "
                "they are added as written, with no conversion"
            )


def _engagement_from_activity(frame: pd.DataFrame, notes: list[str]) -> None:
    """Engagement rate = (avg likes + avg comments) ÷ followers where no rate is given."""
    if "avg_likes" not in frame.columns:
        return
    comments = frame["avg_comments"].fillna(0.0) if "avg_comments" in frame.columns else 0.0
    followers = frame["followers"].replace(0, np.nan)
    raw_rate = (frame["avg_likes"] + comments) / followers
    capped = int((raw_rate > 1).sum())
    if capped:
        notes.append(
            f"engagement_rate: {capped} rows above 1 (more engagements than followers) capped at 1"
        )
    derived = raw_rate.clip(upper=1.0)
    given = frame["engagement_rate"] if "engagement_rate" in frame.columns else np.nan
    fill = pd.isna(given) & derived.notna()
    frame["engagement_rate"] = np.where(fill, derived, given)
    if fill.any():
        notes.append(
            f"engagement_rate: {int(fill.sum())} rows from (avg_likes + avg_comments) ÷ followers"
        )


TEXT_MISSING = MISSING_TEXT - {"na"}  # in text, "NA" can be a value (North America)


def _fill_problem(column: str, value: str) -> str | None:
    """Why a ``roster.fill`` text for numeric ``column`` cannot be read, or None."""
    try:
        parse_number(value)
    except NumberFormatError:
        return f"{value!r} is not a number"
    if value.strip().endswith("%") and column not in RATE_COLUMNS:
        return _unreadable(column, value)
    return None


def _unreadable(column: str, text: str) -> str:
    """What is wrong with ``text`` (a cell or a fill value) in numeric ``column``."""
    if not text.strip().endswith("%"):
        return f"{text!r} is not a number"
    kind = "a price" if column == "cost" else "a count" if column in COUNT_COLUMNS else "an amount"
    return f"{text!r} is a percent, not {kind}"


def _percent_cells(cells: pd.Series) -> dict[int, str]:
    """``{position: text}`` of the text cells written as a percent (``1%``)."""
    if pd.api.types.is_numeric_dtype(cells):
        return {}
    text = cells.astype(str).str.strip()
    percent = (text.str.endswith("%") & cells.notna()).to_numpy()
    return {int(p): str(text.iloc[p]) for p in np.flatnonzero(percent)}


def _texts(column: pd.Series) -> pd.Series:
    """Text cells, stripped, with export placeholders for "missing" (``nan``, ``N/A``, blank
    cells) as empty strings; vectorised (a million ids in well under a second)."""
    text = column.astype(str).str.strip()
    missing = column.isna().to_numpy() | text.str.lower().isin(TEXT_MISSING).to_numpy()
    return text.where(~missing, "")


def _duplicate_id_mask(
    ids: pd.Series, policy: str, source: str, problems: list[Problem], notes: list[str]
) -> np.ndarray:
    """Rows to keep: report every repeated id (policy ``error``) or keep its first / last row."""
    keep_all = np.ones(len(ids), dtype=bool)
    present = ids[ids != ""]
    present = present[present.duplicated(keep=False)]  # only repeated ids need grouping
    if present.empty:
        return keep_all
    repeated = {v: g.index.tolist() for v, g in present.groupby(present) if len(g) > 1}
    if not repeated:
        return keep_all
    if policy == "error":
        for value, positions in repeated.items():
            rows = ", ".join(str(sheet_row(p)) for p in positions)
            problems.append(Problem(source, f"rows {rows}, column id", f"duplicate id {value!r}"))
        return keep_all
    which = "first" if policy == "keep_first" else "last"
    for value, positions in repeated.items():
        kept = positions[0] if which == "first" else positions[-1]
        rows = ", ".join(str(sheet_row(p)) for p in positions)
        notes.append(
            f"duplicate id {value!r} on rows {rows}: kept row {sheet_row(kept)} ({policy})"
        )
    return ~(ids.duplicated(keep=which) & (ids != "")).to_numpy()


def _text_or(frame: pd.DataFrame, column: str, default: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series(default, index=frame.index)
    return frame[column].replace("", default)


def _schema(cost_nullable: bool = False) -> pa.DataFrameSchema:
    """What valid numeric cells are: counts and money ≥ 0, rates in [0, 1], posts ≥ 1."""
    columns = {
        "followers": pa.Column(float, pa.Check.ge(0), nullable=False),
        "cost": pa.Column(float, pa.Check.ge(0), nullable=cost_nullable, required=False),
        "posts": pa.Column(float, pa.Check.ge(1), nullable=True, required=False),
    }
    for name in EXPECTED_COLUMNS:
        columns[name] = pa.Column(float, pa.Check.ge(0), nullable=True, required=False)
    for name in RATE_COLUMNS:
        columns[name] = pa.Column(float, pa.Check.in_range(0, 1), nullable=True, required=False)
    for name in ACTIVITY_COLUMNS:
        columns[name] = pa.Column(float, pa.Check.ge(0), nullable=True, required=False)
    return pa.DataFrameSchema(columns, strict=False)


_CHECK_WORDS = {
    "not_nullable": "is missing",
    "greater_than_or_equal_to(0)": "must not be negative",
    "greater_than_or_equal_to(1)": "must be at least 1",
    "in_range(0, 1)": "must be a fraction between 0 and 1 (write 3.1% or 0.031)",
}


def _check_cells(
    frame: pd.DataFrame,
    source: str,
    cost_nullable: bool = False,
    flagged: set[tuple[int, str]] | None = None,
) -> list[Problem]:
    """Range and missing-value problems of the numeric cells (unreadable cells not repeated)."""
    flagged = flagged or set()
    problems = []
    for column in (
        "followers",
        "cost",
        *RATE_COLUMNS,
        "posts",
        *EXPECTED_COLUMNS,
        *ACTIVITY_COLUMNS,
    ):
        if column in frame.columns:
            infinite = np.isinf(frame[column].to_numpy(dtype=float))
            for position in np.flatnonzero(infinite):
                problems.append(
                    Problem(source, f"{row_label(position)}, column {column}", "is infinite")
                )
                frame.loc[position, column] = np.nan
    try:
        _schema(cost_nullable).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        for case in cases.itertuples(index=False):
            position = case.index
            known = position is not None and not pd.isna(position)
            if known and (int(position), str(case.column)) in flagged:
                continue
            where = f"column {case.column}"
            if position is not None and not pd.isna(position):
                where = f"{row_label(int(position))}, {where}"
            words = _CHECK_WORDS.get(str(case.check), f"fails check {case.check}")
            value = case.failure_case
            detail = "" if pd.isna(value) else f" (got {value:g})"
            problems.append(Problem(source, where, words + detail))
    return problems
